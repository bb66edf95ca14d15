"""Filters of /api/v1/datasets/. They narrow the queryset the view starts from (the
published datasets, plus for staff the ones they may see internally), never widen it."""

from datetime import UTC

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from governance.models import Organisation

from ..models import Dataset, DatasetState, Distribution
from ..vocabularies import FILE_TYPE_CHOICES, LICENCE_CHOICES, DataTheme, HVDCategory


class DatasetFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q", max_length=200, label=_("Sucht in Titel, Beschreibung und Schlagwörtern.")
    )
    publisher = django_filters.CharFilter(
        method="filter_publisher", label=_("Kurzname der Organisation; schließt die Einheiten darunter ein.")
    )
    state = django_filters.ChoiceFilter(
        choices=DatasetState.choices, label=_("Status (im Portal sind alle Datensätze veröffentlicht).")
    )
    theme = django_filters.ChoiceFilter(choices=DataTheme.choices, method="filter_theme", label=_("Thema (EU-Code)"))
    keyword = django_filters.CharFilter(
        method="filter_keyword", label=_("Schlagwort (genau, ohne Groß-/Kleinschreibung)")
    )
    licence = django_filters.ChoiceFilter(choices=LICENCE_CHOICES, label=_("Lizenz"))
    # Not "format": DRF reads that parameter as the choice of renderer.
    file_format = django_filters.ChoiceFilter(
        choices=FILE_TYPE_CHOICES, method="filter_format", label=_("Format einer Distribution (EU-Code, z. B. CSV)")
    )
    hvd_category = django_filters.ChoiceFilter(choices=HVDCategory.choices, label=_("HVD-Kategorie"))
    modified_since = django_filters.IsoDateTimeFilter(
        method="filter_modified_since", label=_("Geändert seit (ISO 8601)")
    )

    class Meta:
        model = Dataset
        fields = []

    def filter_q(self, datasets, name, value):
        query = " ".join(value.split())
        if not query:
            return datasets
        keyword_hits = Dataset.keywords.through.objects.filter(keyword__name__icontains=query)
        return datasets.filter(
            Q(title__icontains=query) | Q(description__icontains=query) | Q(pk__in=keyword_hits.values("dataset_id"))
        )

    def filter_publisher(self, datasets, name, value):
        roots = Organisation.objects.filter(slug=value).values_list("pk", flat=True)
        return datasets.filter(publisher__in=Organisation.objects.subtree_ids(roots))

    def filter_theme(self, datasets, name, value):
        themes = Dataset.themes.through.objects.filter(dataset=OuterRef("pk"), theme__code=value)
        return datasets.filter(Exists(themes))

    def filter_keyword(self, datasets, name, value):
        keywords = Dataset.keywords.through.objects.filter(dataset=OuterRef("pk"), keyword__name__iexact=value.strip())
        return datasets.filter(Exists(keywords))

    def filter_modified_since(self, datasets, name, value):
        # Python reads offsets up to ±23:59, PostgreSQL takes only up to ±15:59: compare in UTC.
        try:
            since = value.astimezone(UTC)
        except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
            raise ValidationError({"modified_since": [_("Das Datum liegt außerhalb des gültigen Bereichs.")]}) from None
        return datasets.filter(modified__gte=since)

    def filter_format(self, datasets, name, value):
        return datasets.filter(Exists(Distribution.objects.current().filter(dataset=OuterRef("pk"), format=value)))
