"""What /api/v1/datasets/ shows and accepts. Reading serializers never query: the views
hand them datasets with publisher, classification, people, keywords, themes and
distributions loaded, and `is_internal` annotated (may this user see the dataset in the
internal catalog?). Writing serializers only check shapes; the services check the rules."""

import contextlib
import functools

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from governance.models import Decision, Organisation, VocabularyTerm
from governance.vocabularies import PublicationForm, Vocabulary

from .. import permissions
from ..models import (
    Classification,
    Dataset,
    DatasetState,
    Distribution,
    DistributionKind,
    SpecialCategory,
)
from ..vocabularies import FILE_TYPE_CHOICES, LICENCE_CHOICES, DataTheme, LegalBasis

User = get_user_model()


def absolute(request, path: str | None) -> str | None:
    if path is None:
        return None
    return request.build_absolute_uri(path) if request is not None else path


def optional_reverse(url_name: str, *args, **kwargs) -> str | None:
    """The path of a URL name, or None while that page does not exist (yet)."""
    with contextlib.suppress(NoReverseMatch):
        return reverse(url_name, args=args or None, kwargs=kwargs or None)
    return None


def username(user) -> str | None:
    return user.get_username() if user is not None else None


# ---------------------------------------------------------------------------
# Distributions


def download_url(distribution: Distribution, request) -> str:
    """Where to get the data: the portal's download for a published upload, the staff
    download for an upload only the internal catalog shows, or the external address."""
    dataset = distribution.dataset
    if not distribution.file:
        return distribution.access_url
    if dataset.is_published:
        return absolute(request, reverse("portal:download", args=[dataset.name, distribution.identifier]))
    return absolute(request, reverse("catalog:distribution_file", args=[dataset.name, distribution.pk]))


class DistributionSummarySerializer(serializers.ModelSerializer):
    licence = serializers.CharField(source="effective_licence", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Distribution
        fields = ["identifier", "title", "kind", "format", "media_type", "byte_size", "licence", "download_url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, distribution) -> str:
        return download_url(distribution, self.context.get("request"))


class DistributionSerializer(DistributionSummarySerializer):
    dataset = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta(DistributionSummarySerializer.Meta):
        fields = [
            "identifier",
            "dataset",
            "title",
            "description",
            "kind",
            "format",
            "media_type",
            "byte_size",
            "checksum_sha256",
            "licence",
            "access_url",
            "download_url",
            "status",
            "created",
            "modified",
        ]
        read_only_fields = fields


class DistributionCreateSerializer(serializers.Serializer):
    """A new distribution: an uploaded file (multipart) or an external address, never both."""

    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=DistributionKind.choices, default=DistributionKind.DOWNLOAD)
    file = serializers.FileField(required=False, allow_null=True)
    access_url = serializers.URLField(required=False, allow_blank=True, max_length=1000, default="")
    format = serializers.ChoiceField(
        choices=FILE_TYPE_CHOICES,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Nur bei einer externen Adresse; bei einer Datei wird das Format erkannt."),
    )
    licence = serializers.ChoiceField(
        choices=LICENCE_CHOICES,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Leer lassen, um die Lizenz des Datensatzes zu übernehmen."),
    )

    def validate(self, data):
        upload, url = data.get("file"), data.get("access_url")
        if upload and url:
            raise serializers.ValidationError(
                {"access_url": _("Bitte entweder eine Datei hochladen oder eine Adresse angeben, nicht beides.")}
            )
        if not upload and not url:
            raise serializers.ValidationError(
                {"file": _("Bitte laden Sie eine Datei hoch oder geben Sie eine externe Adresse an.")}
            )
        if url and not data.get("format"):
            raise serializers.ValidationError({"format": _("Bitte wählen Sie das Format der verlinkten Daten.")})
        return data


# ---------------------------------------------------------------------------
# Classifications


class ClassificationSummarySerializer(serializers.ModelSerializer):
    protection_overall = serializers.IntegerField(read_only=True)

    class Meta:
        model = Classification
        fields = ["number", "personal_data", "confidentiality", "protection_overall", "classified_at"]
        read_only_fields = fields


# What a classifier decides (the rest of a version is recorded by the service).
CLASSIFICATION_INPUT = [
    "personal_data",
    "special_categories",
    "vulnerable_subjects",
    "confidentiality",
    "vs_nfd",
    "protection_confidentiality",
    "protection_integrity",
    "protection_availability",
    "trade_secrets",
    "third_party_rights",
    "critical_infrastructure",
    "statistical_confidentiality",
    "spatial_granularity",
    "temporal_granularity",
    "legal_bases",
    "justification",
]


class ClassificationSerializer(serializers.ModelSerializer):
    dataset = serializers.SlugRelatedField(slug_field="name", read_only=True)
    special_categories = serializers.ListField(child=serializers.ChoiceField(choices=SpecialCategory.choices))
    legal_bases = serializers.ListField(child=serializers.ChoiceField(choices=LegalBasis.choices))
    protection_overall = serializers.IntegerField(read_only=True)
    classified_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Classification
        fields = ["number", "dataset", *CLASSIFICATION_INPUT, "protection_overall", "classified_by", "classified_at"]
        read_only_fields = fields


class ClassificationCreateSerializer(serializers.ModelSerializer):
    """A new classification version. `based_on` is the version the client saw (0 for
    none): if another was recorded meanwhile, the answer is 409 and nothing is written."""

    based_on = serializers.IntegerField(min_value=0, write_only=True)
    special_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=SpecialCategory.choices), required=False, default=list
    )
    legal_bases = serializers.ListField(
        child=serializers.ChoiceField(choices=LegalBasis.choices), required=False, default=list
    )

    class Meta:
        model = Classification
        fields = ["based_on", *CLASSIFICATION_INPUT]


# ---------------------------------------------------------------------------
# Datasets


class DatasetInternalSerializer(serializers.ModelSerializer):
    """What only people who see the dataset in the internal catalog learn about it."""

    steward = serializers.SlugRelatedField(slug_field="username", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    classification = ClassificationSummarySerializer(source="current_classification", read_only=True, allow_null=True)

    class Meta:
        model = Dataset
        fields = [
            "state",
            "version",
            "publication_outcome",
            "ethics_outcome",
            "classification",
            "steward",
            "owner",
            "state_changed_at",
            "rereview_on",
            "rereview_requested_at",
            "release_at",
            "created",
        ]
        read_only_fields = fields


class DcatLinksSerializer(serializers.Serializer):
    ttl = serializers.URLField(allow_null=True)
    rdf = serializers.URLField(allow_null=True)
    jsonld = serializers.URLField(allow_null=True)


class DatasetLinksSerializer(serializers.Serializer):
    api = serializers.URLField()
    portal = serializers.URLField(allow_null=True, help_text=_("Nur bei veröffentlichten Datensätzen."))
    ckan = serializers.URLField(allow_null=True)
    dcat = DcatLinksSerializer()
    catalog = serializers.URLField(allow_null=True, help_text=_("Die Seite im internen Katalog."))


def dataset_links(dataset: Dataset, request) -> dict:
    public = dataset.is_published

    def public_url(url_name, *args, **kwargs):
        return absolute(request, optional_reverse(url_name, *args, **kwargs)) if public else None

    ckan = optional_reverse("ckan:action", "package_show")
    return {
        "api": absolute(request, reverse("catalog-api:dataset-detail", args=[dataset.name])),
        "portal": public_url("portal:dataset_detail", dataset.name),
        "ckan": absolute(request, f"{ckan}?id={dataset.name}") if public and ckan else None,
        "dcat": {
            fmt: public_url("portal:dataset_dcat", name=dataset.name, format=fmt) for fmt in ("ttl", "rdf", "jsonld")
        },
        "catalog": absolute(request, dataset.get_absolute_url()) if getattr(dataset, "is_internal", False) else None,
    }


class DatasetSerializer(serializers.ModelSerializer):
    """A dataset in DCAT-AP.de terms; `internal` is null for everyone who sees it only on the portal."""

    keywords = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    themes = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    publisher = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    publisher_name = serializers.CharField(source="publisher.name", read_only=True)
    distributions = DistributionSummarySerializer(many=True, read_only=True)
    links = serializers.SerializerMethodField()
    internal = serializers.SerializerMethodField()

    class Meta:
        model = Dataset
        fields = [
            "name",
            "identifier",
            "title",
            "description",
            "keywords",
            "themes",
            "publisher",
            "publisher_name",
            "contact_name",
            "contact_email",
            "contact_url",
            "licence",
            "attribution_text",
            "geocoding_level",
            "municipality_key",
            "spatial_label",
            "spatial_resolution_m",
            "temporal_start",
            "temporal_end",
            "update_frequency",
            "language",
            "hvd_category",
            "landing_page",
            "issued",
            "modified",
            "distributions",
            "links",
            "internal",
        ]
        read_only_fields = fields

    @extend_schema_field(DatasetLinksSerializer)
    def get_links(self, dataset) -> dict:
        return dataset_links(dataset, self.context.get("request"))

    @extend_schema_field(DatasetInternalSerializer(allow_null=True))
    def get_internal(self, dataset) -> dict | None:
        if not getattr(dataset, "is_internal", False):
            return None
        return DatasetInternalSerializer(dataset, context=self.context).data


class DatasetWriteSerializer(serializers.ModelSerializer):
    """The metadata a steward sends. On a change, `version` is the version the client
    started from (optimistic locking: another change meanwhile gives 409)."""

    name = serializers.SlugField(max_length=100, required=False)
    publisher = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Organisation.objects.none(),  # the user's own, set in __init__
        error_messages={"does_not_exist": _("Für die Organisation „{value}“ dürfen Sie keine Datensätze pflegen.")},
    )
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    steward = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    keywords = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    themes = serializers.ListField(child=serializers.ChoiceField(choices=DataTheme.choices), required=False)
    version = serializers.IntegerField(required=False, write_only=True)
    reason = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=_("Grund der Änderung; erscheint im Versionsverlauf."),
    )

    class Meta:
        model = Dataset
        fields = [
            "name",
            "title",
            "description",
            "keywords",
            "themes",
            "publisher",
            "owner",
            "steward",
            "contact_name",
            "contact_email",
            "contact_url",
            "licence",
            "attribution_text",
            "geocoding_level",
            "municipality_key",
            "spatial_label",
            "spatial_resolution_m",
            "temporal_start",
            "temporal_end",
            "update_frequency",
            "language",
            "hvd_category",
            "landing_page",
            "version",
            "reason",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["publisher"].queryset = permissions.editing_organisations(request.user)
        if self.instance is None:
            self.fields["name"].required = True
        else:
            self.fields["version"].required = True
            self.fields["publisher"].required = False

    def validate_name(self, value):
        if self.instance is not None and value != self.instance.name:
            raise serializers.ValidationError(
                _("Der Kurzname ist Teil der Adresse und bleibt nach dem Anlegen gleich.")
            )
        return value

    def validate(self, data):
        # Also on PATCH, which DRF lets skip required fields: no change without its version.
        if self.instance is not None and "version" not in data:
            raise serializers.ValidationError({"version": self.fields["version"].error_messages["required"]})
        return data

    def model_fields(self) -> dict:
        """The dataset's own fields, as the services take them."""
        skip = {"keywords", "themes", "version", "reason"}
        fields = {name: value for name, value in self.validated_data.items() if name not in skip}
        if self.instance is not None:
            fields.pop("name", None)
        return fields


# ---------------------------------------------------------------------------
# The publication workflow


class TransitionSerializer(serializers.Serializer):
    """One step the user may take now, with the fields its POST takes."""

    action = serializers.CharField()
    label = serializers.CharField()
    primary = serializers.BooleanField()
    reason_required = serializers.BooleanField()
    fields = serializers.ListField(child=serializers.CharField())
    url = serializers.URLField()


class TransitionInputSerializer(serializers.Serializer):
    """The input of a workflow step; which fields count depends on the action (GET
    …/transitions/ lists them). The workflow says what is missing."""

    expected_version = serializers.IntegerField(help_text=_("Die Version des Datensatzes, die Sie gesehen haben."))
    reasons = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    confirmed = serializers.BooleanField(
        required=False, default=False, help_text=_("Freigabe: Ausschlussgründe und Prüfungen bestätigt.")
    )
    confirm_alternative = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("Veröffentlichen: Distributionen liegen in der freigegebenen Form vor."),
    )
    outcome = serializers.ChoiceField(
        choices=[(PublicationForm.CLOSED.value, PublicationForm.CLOSED.label),
                 (PublicationForm.INTERNAL.value, PublicationForm.INTERNAL.label)],
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Ablehnen: „nur intern“ oder „nicht veröffentlichungsfähig“."),
    )  # fmt: skip
    grounds = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        default=list,
        help_text=_("Ablehnen: Ausschlussgründe."),
    )
    rereview_on = serializers.DateField(required=False, allow_null=True, default=None)
    release_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "Freigeben: Veröffentlichungstermin (Sperrfrist), höchstens ein Jahr im Voraus; bis dahin ist der "
            "Datensatz nirgends öffentlich. Sperrfrist ändern: der neue Termin, null hebt sie auf."
        ),
    )

    def validate_grounds(self, value):
        known = set(
            VocabularyTerm.objects.in_force()
            .filter(vocabulary=Vocabulary.EXCLUSION_GROUND, code__in=value)
            .values_list("code", flat=True)
        )
        unknown = sorted(set(value) - known)
        if unknown:
            raise serializers.ValidationError(
                _("Unbekannter Ausschlussgrund: %(codes)s") % {"codes": ", ".join(unknown)}
            )
        return value


class FiredRuleSerializer(serializers.Serializer):
    code = serializers.CharField(source="rule.code")
    version = serializers.IntegerField(source="number")
    title = serializers.CharField()
    section = serializers.CharField(source="section.number")
    policy = serializers.CharField(source="policy_version.document.title")


class DatasetDecisionSerializer(serializers.ModelSerializer):
    """A decision about a dataset, as catalog.workflow records it."""

    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    outcome_label = serializers.CharField(source="get_outcome_display", read_only=True)
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Decision
        fields = [
            "id",
            "kind",
            "kind_label",
            "outcome",
            "outcome_label",
            "reasons",
            "exclusion_grounds",
            "required_reviews",
            "conditions",
            "rereview_on",
            "actor",
            "decided_at",
        ]
        read_only_fields = fields


class DecisionTrailSerializer(DatasetDecisionSerializer):
    """A decision of `catalog.inbox.decision_trail`, with the rules that fired."""

    exclusion_ground_labels = serializers.ListField(source="ground_labels", child=serializers.CharField())
    required_review_labels = serializers.ListField(source="review_labels", child=serializers.CharField())
    fired_rules = FiredRuleSerializer(many=True)

    class Meta(DatasetDecisionSerializer.Meta):
        fields = [
            *DatasetDecisionSerializer.Meta.fields,
            "exclusion_ground_labels",
            "required_review_labels",
            "fired_rules",
        ]
        read_only_fields = fields


# ---------------------------------------------------------------------------
# The dataset list, light (issue 12): the JSON of DatasetSerializer, from values() rows

# The list reads these columns (values() names) and, for users who may see internal
# datasets, INTERNAL_LIST_COLUMNS too. keywords, themes and distributions come from
# three more queries (views.with_related).
LIST_COLUMNS = (
    "pk", "name", "identifier", "title", "description", "publisher__slug", "publisher__name", "contact_name",
    "contact_email", "contact_url", "licence", "attribution_text", "geocoding_level", "municipality_key",
    "spatial_label", "spatial_resolution_m", "temporal_start", "temporal_end", "update_frequency", "language",
    "hvd_category", "landing_page", "issued", "modified", "state", "is_internal",
)  # fmt: skip
INTERNAL_LIST_COLUMNS = (
    "version", "publication_outcome", "ethics_outcome", "steward__username", "owner__username", "state_changed_at",
    "rereview_on", "rereview_requested_at", "release_at", "created", "current_classification__number",
    "current_classification__personal_data", "current_classification__confidentiality",
    "current_classification__protection_confidentiality", "current_classification__protection_integrity",
    "current_classification__protection_availability", "current_classification__classified_at",
)  # fmt: skip
LIST_DISTRIBUTION_COLUMNS = (
    "pk", "dataset_id", "identifier", "title", "kind", "format", "media_type", "byte_size", "licence", "file",
    "access_url",
)  # fmt: skip

# Fields whose to_representation is str(): their values come from the database as str already.
_STR_FIELDS = (serializers.CharField, serializers.EmailField, serializers.URLField, serializers.SlugField)
# Placeholders for a template's arguments: valid for the URL converters (slug, uuid, int),
# and nowhere else in a URL.
_PLACEHOLDERS = ("dataset-name-placeholder", "00000000-0000-4000-8000-000000000000", "987654321987654321")


class UrlTemplate:
    """An absolute URL with arguments in it (a dataset's name, a distribution's identifier):
    the path reversed once per process, made absolute once per request, then str.format
    for each row. The arguments are slugs, UUIDs and numbers, which neither reverse() nor
    build_absolute_uri() changes. Should a placeholder not come out exactly once, every
    URL is built the slow way."""

    def __init__(self, request, key: str):
        self.request = request
        self.path_for, placeholders = LIST_URLS[key]
        path = _list_paths(get_script_prefix())[key]
        self.exists = path is not None
        self._format = None
        if path is not None:
            url = absolute(request, path).replace("{", "{{").replace("}", "}}")
            if all(url.count(placeholder) == 1 for placeholder in placeholders):
                for number, placeholder in enumerate(placeholders):
                    url = url.replace(placeholder, f"{{{number}}}")
                self._format = url.format

    def __call__(self, *args) -> str | None:
        if self._format is not None:
            return self._format(*args)
        return absolute(self.request, self.path_for(*args))


def _ckan_path(name: str) -> str | None:
    ckan = optional_reverse("ckan:action", "package_show")
    return f"{ckan}?id={name}" if ckan else None


NAME, UUID_ARGUMENT, NUMBER = _PLACEHOLDERS
# The URLs of a dataset in the list: a function from the arguments to the path (None if
# that page does not exist), and the placeholders for the arguments.
LIST_URLS = {
    "api": (lambda name: reverse("catalog-api:dataset-detail", args=[name]), (NAME,)),
    "portal": (lambda name: optional_reverse("portal:dataset_detail", name), (NAME,)),
    "ckan": (_ckan_path, (NAME,)),
    **{
        f"dcat_{fmt}": (lambda name, fmt=fmt: optional_reverse("portal:dataset_dcat", name=name, format=fmt), (NAME,))
        for fmt in ("ttl", "rdf", "jsonld")
    },
    "catalog": (lambda name: reverse("catalog:dataset_detail", args=[name]), (NAME,)),
    "download": (lambda name, identifier: reverse("portal:download", args=[name, identifier]), (NAME, UUID_ARGUMENT)),
    "file": (lambda name, pk: reverse("catalog:distribution_file", args=[name, pk]), (NAME, NUMBER)),
}


@functools.lru_cache(maxsize=8)
def _list_paths(script_prefix: str) -> dict[str, str | None]:
    """The paths of LIST_URLS for their placeholders; reverse() depends on nothing else
    that changes while the process runs."""
    return {key: path_for(*placeholders) for key, (path_for, placeholders) in LIST_URLS.items()}


class _CurrentTimeZone:
    """Marks a date-time column: DRF's DateTimeField looks the current time zone up for
    every value; the list looks it up once per request (DatasetListSerializer.__init__)."""

    def __init__(self, field: serializers.DateTimeField):
        self.field = field

    def bind(self):
        field = self.field
        output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
        iso = isinstance(output_format, str) and output_format.lower() == ISO_8601
        if not (settings.USE_TZ and iso) or hasattr(field, "timezone"):
            return field.to_representation
        zone = timezone.get_current_timezone()

        def convert(value):
            # DateTimeField.to_representation for an aware value in ISO 8601, with the zone looked up once.
            if isinstance(value, str) or value.utcoffset() is None:
                return field.to_representation(value)
            try:
                text = value.astimezone(zone).isoformat()
            except OverflowError:
                return field.to_representation(value)
            return text[:-6] + "Z" if text.endswith("+00:00") else text

        return convert


def _converter(field):
    """How the list writes a column of this serializer field: None where the value from
    the database is already what to_representation returns, else a converter."""
    if type(field) in _STR_FIELDS or isinstance(field, serializers.SlugRelatedField):
        return None  # str(); a slug relation's column (e.g. steward__username) is the slug itself
    if type(field) is serializers.ChoiceField and all(type(key) is str for key in field.choices):
        return None  # text choices map each value to itself
    if type(field) is serializers.DateTimeField:
        return _CurrentTimeZone(field)
    return field.to_representation


def _column_writers(serializer_class, names, column=lambda name: name) -> list[tuple[str, str, object]]:
    """(output name, column, converter or None) for the fields `names`, in that order. The
    converters are the serializer's own fields', so formats (date-times in the current
    time zone, decimals as strings, UUIDs) are exactly those of the serializer."""
    fields = serializer_class().fields
    return [(name, column(name), _converter(fields[name])) for name in names]


def _bound(writers):
    """The writers with the date-time converters bound to this request's time zone."""
    return [
        (name, column, convert.bind() if type(convert) is _CurrentTimeZone else convert)
        for name, column, convert in writers
    ]


@functools.cache
def _writers() -> dict[str, list]:
    """The column writers, built once per process from the serializers themselves."""
    nested = {"keywords", "themes", "publisher", "publisher_name", "distributions", "links", "internal"}
    internal_columns = {"steward": "steward__username", "owner": "owner__username"}
    return {
        "dataset": _column_writers(
            DatasetSerializer, [name for name in DatasetSerializer.Meta.fields if name not in nested]
        ),
        "internal": _column_writers(
            DatasetInternalSerializer,
            [name for name in DatasetInternalSerializer.Meta.fields if name != "classification"],
            lambda name: internal_columns.get(name, name),
        ),
        "classification": _column_writers(
            ClassificationSummarySerializer,
            ClassificationSummarySerializer.Meta.fields,
            lambda name: f"current_classification__{name}",
        ),
        "distribution": _column_writers(
            DistributionSummarySerializer,
            [name for name in DistributionSummarySerializer.Meta.fields if name not in ("licence", "download_url")],
        ),
    }


def _write(writers, row: dict, data: dict) -> dict:
    for name, column, convert in writers:
        value = row[column]
        data[name] = value if value is None or convert is None else convert(value)
    return data


class DatasetListSerializer:
    """Writes the rows of the dataset list (values() dicts of LIST_COLUMNS with
    "keywords", "themes" and "distributions" attached) as DatasetSerializer writes the
    same datasets, key for key and byte for byte (catalog/tests/test_api_list_fast.py
    compares them). Model instances, a ModelSerializer and seven reverse() per row cost
    several times the database's time for a page; this writes plain dicts with the
    serializer's own field converters, and URLs from per-request templates."""

    def __init__(self, request):
        self.request = request
        writers = {kind: _bound(kind_writers) for kind, kind_writers in _writers().items()}
        self.dataset_writers, self.internal_writers = writers["dataset"], writers["internal"]
        self.classification_writers, self.distribution_writers = writers["classification"], writers["distribution"]
        self.api_url = UrlTemplate(request, "api")
        self.portal_url = UrlTemplate(request, "portal")
        self.ckan_url = UrlTemplate(request, "ckan")
        self.dcat_urls = {fmt: UrlTemplate(request, f"dcat_{fmt}") for fmt in ("ttl", "rdf", "jsonld")}
        self.catalog_url = UrlTemplate(request, "catalog")
        self.download_url = UrlTemplate(request, "download")
        self.file_url = UrlTemplate(request, "file")

    def to_representation(self, rows: list[dict]) -> list[dict]:
        return [self.dataset(row) for row in rows]

    def dataset(self, row: dict) -> dict:
        # In the order of DatasetSerializer.Meta.fields.
        data = _write(self.dataset_writers[:4], row, {})
        data["keywords"] = row["keywords"]
        data["themes"] = row["themes"]
        data["publisher"] = row["publisher__slug"]
        data["publisher_name"] = row["publisher__name"]
        _write(self.dataset_writers[4:], row, data)
        data["distributions"] = [self.distribution(row, distribution) for distribution in row["distributions"]]
        data["links"] = self.links(row)
        data["internal"] = self.internal(row) if row["is_internal"] else None
        return data

    def distribution(self, row: dict, distribution: dict) -> dict:
        data = _write(self.distribution_writers, distribution, {})
        data["licence"] = distribution["licence"] or row["licence"]
        if not distribution["file"]:
            data["download_url"] = distribution["access_url"]
        elif row["state"] == DatasetState.PUBLISHED:
            data["download_url"] = self.download_url(row["name"], distribution["identifier"])
        else:
            data["download_url"] = self.file_url(row["name"], distribution["pk"])
        return data

    def links(self, row: dict) -> dict:
        name = row["name"]
        public = row["state"] == DatasetState.PUBLISHED
        return {
            "api": self.api_url(name),
            "portal": self.portal_url(name) if public and self.portal_url.exists else None,
            "ckan": self.ckan_url(name) if public and self.ckan_url.exists else None,
            "dcat": {fmt: url(name) if public and url.exists else None for fmt, url in self.dcat_urls.items()},
            "catalog": self.catalog_url(name) if row["is_internal"] else None,
        }

    def internal(self, row: dict) -> dict:
        # In the order of DatasetInternalSerializer.Meta.fields: classification is the fifth.
        data = _write(self.internal_writers[:4], row, {})
        data["classification"] = self.classification(row)
        return _write(self.internal_writers[4:], row, data)

    def classification(self, row: dict) -> dict | None:
        if row["current_classification__number"] is None:
            return None
        # In the order of ClassificationSummarySerializer.Meta.fields: protection_overall is the fourth.
        data = _write(self.classification_writers[:3], row, {})
        data["protection_overall"] = max(
            row["current_classification__protection_confidentiality"],
            row["current_classification__protection_integrity"],
            row["current_classification__protection_availability"],
        )
        return _write(self.classification_writers[4:], row, data)
