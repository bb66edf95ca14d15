"""Filters of /api/v1/ethics-reviews/; they narrow what ethics.permissions lets the user see."""

import django_filters
from django.utils.translation import gettext_lazy as _

from catalog.models import EthicsOutcome

from ..models import EthicsReview, ReviewStatus


class EthicsReviewFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReviewStatus.choices, label=_("Status"))
    outcome = django_filters.ChoiceFilter(choices=EthicsOutcome.choices, label=_("Ergebnis"))
    organisation = django_filters.CharFilter(field_name="organisation__slug", label=_("Kurzname der Organisation"))
    dataset = django_filters.CharFilter(field_name="dataset__name", label=_("Kurzname des Datensatzes"))
    data_use = django_filters.NumberFilter(field_name="data_use_id", label=_("Kennung der Datennutzung"))

    class Meta:
        model = EthicsReview
        fields = []
