"""The DCAT-AP.de view of the published datasets, read once and resolved once. The CKAN
Action API (`portal.ckan.dictize`: package dicts) and the DCAT-AP.de documents
(`portal.dcat`: triples) only render what this module resolves; neither looks up a
URI or derives a value of its own, so the two cannot say different things.

Reading: `Projection.read()` takes a values() queryset of `COLUMNS` over published
datasets (filtered, ordered and sliced by the caller) and attaches keywords, themes
and distributions in three more queries, whatever the number of datasets. The
organisations of the network (tens, at most hundreds) are read once per projection,
in one query. Rows stay plain dicts and are resolved in place: at 100,000 datasets
(the full export) model instances, or an object of its own per dataset, cost more
than everything else together.

What a dataset row holds after read(), besides its COLUMNS:

    keywords            [name], by name; keyword_ids: their pks, in that order
    themes              [theme code], by code; theme_uris: their EU data-theme URIs, in that order
    publisher           the organisation's row (`read_organisations`)
    contributor_id      the DCAT-AP.de contributor ID: the publisher's own, else its nearest parent's, else ""
    uri                 the dataset's URI: <base>/dataset/<name>
    portal_page         the dataset's page on the portal (the landing page when none is declared)
    licence_uri         the dataset's licence (DCAT-AP.de licence vocabulary)
    frequency_uri, language_uri, geocoding_level_uri     EU / DCAT-AP.de vocabulary URIs
    spatial_uri         the municipality key's political-geocoding URI, None without a key
    hvd_uri             the high-value-dataset category, None for other datasets;
    legislation_uri     then also the HVD regulation, else None
    distributions       rows of DISTRIBUTION_COLUMNS, oldest first, each with:
        upload          a file uploaded here (not a link)
        url             the access URL: the portal's download URL of an upload, else the declared one
        download_url    the same for uploads and download links; None for APIs and services
        access_service  an API or service endpoint, i.e. a dcat:DataService
        format_uri      the EU file-type URI of its format, None for a format outside the vocabulary
                        ("Sonstiges": a harvested link whose format no EU file type names)
        media_type      the declared media type, else the file type's, else None
        media_type_uri  its IANA URI; None for services (WMS, WFS …: types IANA has not registered)
        licence_uri     the distribution's own licence, else the dataset's
        issued          issued with the dataset, or later if added afterwards

Every value is a plain string (or None), whatever the renderer: RDF's IRI terms are
made by `portal.dcat`. (A str subclass would be tracked by Python's garbage collector,
and so would every dict holding one: a search of 1,000 packages then spends more time
collecting than building.) What comes from user input (landing page, access URL,
media type and so media_type_uri, website, contributor ID) stays as entered;
`portal.dcat.iri()` makes it a valid IRI where RDF needs one.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse
from django.utils import translation

from catalog.models import Dataset, Distribution, DistributionKind
from catalog.vocabularies import (
    EU_AUTHORITY,
    FILE_TYPES_BY_CODE,
    HVD_LEGISLATION_URI,
    LICENCE_BASE,
    LICENCES_BY_CODE,
    DataTheme,
    Frequency,
    GeocodingLevel,
    HVDCategory,
    Language,
)
from datastore.models import DataTable
from governance.models import Organisation, OrgType

# ---------------------------------------------------------------------------
# Vocabularies: code → URI, computed once (TextChoices rebuild `.values` on every access)

PUBLIC_ACCESS = EU_AUTHORITY + "access-right/PUBLIC"  # every dataset this view shows is public
HVD_LEGISLATION = HVD_LEGISLATION_URI
MUNICIPALITY_KEY_BASE = "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
PUBLISHER_TYPE_BASE = "http://purl.org/adms/publishertype/"

THEME_URIS = {theme.value: theme.uri for theme in DataTheme}
FREQUENCY_URIS = {frequency.value: frequency.uri for frequency in Frequency}
LANGUAGE_URIS = {language.value: language.uri for language in Language}
GEOCODING_LEVEL_URIS = {level.value: level.uri for level in GeocodingLevel}
HVD_URIS = {category.value: category.uri for category in HVDCategory}
FILE_TYPE_URIS = {code: file_type.uri for code, file_type in FILE_TYPES_BY_CODE.items()}
PUBLISHER_TYPE_URIS = {
    org_type: PUBLISHER_TYPE_BASE + name
    for org_type, name in {
        OrgType.KERNVERWALTUNG: "LocalAuthority",
        OrgType.EIGENBETRIEB: "LocalAuthority",  # no legal personality of its own: part of the municipality
        OrgType.ZWECKVERBAND: "LocalAuthority",
        OrgType.EIGENGESELLSCHAFT: "Company",
        OrgType.BETEILIGUNG: "Company",
    }.items()
}


def concept_labels() -> dict[str, tuple[str, str]]:
    """(label, language) of every concept the DCAT output names, by URI: a validator that
    does not load the EU vocabularies (the plain DCAT-AP 3.0.0 shapes) still reads a
    skos:prefLabel on each. German, as the catalog's own texts; the ADMS publisher types
    have only their English labels."""
    global _CONCEPT_LABELS
    if _CONCEPT_LABELS is None:
        with translation.override("de"):
            labels = {
                choice.uri: (str(choice.label), "de")
                for vocabulary in (DataTheme, Frequency, Language, GeocodingLevel, HVDCategory)
                for choice in vocabulary
            }
            labels.update(
                {file_type.uri: (file_type.label, "de") for file_type in FILE_TYPES_BY_CODE.values() if file_type.uri}
            )
            labels.update({licence.uri: (licence.label, "de") for licence in LICENCES_BY_CODE.values()})
            labels[PUBLIC_ACCESS] = ("öffentlich", "de")
            labels[PUBLISHER_TYPE_BASE + "LocalAuthority"] = ("Local Authority", "en")
            labels[PUBLISHER_TYPE_BASE + "Company"] = ("Company", "en")
        _CONCEPT_LABELS = labels
    return _CONCEPT_LABELS


_CONCEPT_LABELS: dict[str, tuple[str, str]] | None = None
# The titles of the concept schemes the catalog describes (its dcat:themeTaxonomy).
SCHEME_TITLES = {EU_AUTHORITY + "data-theme": ("Datenthemen", "de")}


# Plain strings: comparing with them is cheaper than with the enum's members.
DOWNLOAD, SERVICE = DistributionKind.DOWNLOAD.value, DistributionKind.SERVICE.value
SERVICE_KINDS = (DistributionKind.API.value, SERVICE)
# A format's URI and media type, in one look-up per distribution.
FORMATS = {code: (FILE_TYPE_URIS[code], file_type.media_type or None) for code, file_type in FILE_TYPES_BY_CODE.items()}
UNKNOWN_FORMAT = (None, None)

LICENCE_URIS = {code: licence.uri for code, licence in LICENCES_BY_CODE.items()}


def licence_uri(code: str) -> str:
    return LICENCE_URIS.get(code) or LICENCE_BASE + code


def spatial_uri(municipality_key: str) -> str | None:
    return MUNICIPALITY_KEY_BASE + municipality_key if municipality_key else None


# ---------------------------------------------------------------------------
# Rows

COLUMNS = (
    "pk", "identifier", "name", "title", "description", "publisher_id", "contact_name", "contact_email",
    "contact_url", "licence", "attribution_text", "geocoding_level", "municipality_key", "spatial_label",
    "spatial_resolution_m", "temporal_start", "temporal_end", "update_frequency", "language", "hvd_category",
    "landing_page", "issued", "modified", "created",
)  # fmt: skip
DISTRIBUTION_COLUMNS = (
    "identifier", "dataset_id", "title", "description", "kind", "file", "access_url", "format", "media_type",
    "byte_size", "checksum_sha256", "licence", "created", "modified",
)  # fmt: skip
ORGANISATION_COLUMNS = (
    "pk", "uuid", "slug", "name", "org_type", "parent_id", "contributor_id", "website", "email", "municipality",
    "municipality_key",
)  # fmt: skip


def read_organisations(queryset=None) -> dict[int, dict]:
    """Organisation rows by pk (all of them, or those of `queryset`), with `created`
    (the first history record: the model keeps no creation time of its own),
    `spatial_uri` and `publisher_type_uri`."""
    history = Organisation.history.model.objects.filter(id=OuterRef("pk")).order_by("history_date")
    rows = (
        (Organisation.objects.all() if queryset is None else queryset)
        .annotate(created=Subquery(history.values("history_date")[:1]))
        .values(*ORGANISATION_COLUMNS, "created")
    )
    organisations = {}
    for row in rows:
        row["spatial_uri"] = spatial_uri(row["municipality_key"])
        row["publisher_type_uri"] = PUBLISHER_TYPE_URIS.get(row["org_type"])
        organisations[row["pk"]] = row
    return organisations


def published_rows():
    """The published datasets as values(*COLUMNS), for `Projection.read()`."""
    return Dataset.objects.published().values(*COLUMNS)


def url_parts(base: str, url_name: str, *placeholders: str) -> list[str]:
    """The absolute URL of `url_name`, reverse()d once and split at its placeholders (valid
    values that appear nowhere else in it): joined with the real values in their place, it
    is the URL. The full export needs hundreds of thousands of these."""
    rest = reverse(url_name, args=placeholders)
    parts = []
    for placeholder in placeholders:
        before, rest = rest.split(placeholder)
        parts.append(before)
    parts[0] = base + parts[0]
    return [*parts, rest]


class Projection:
    """The resolved DCAT-AP.de view of published datasets, with URLs on `base_url`
    (SITE_URL for the DCAT documents; the host the client asked for CKAN)."""

    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/")
        self._organisations: dict[int, dict] | None = None
        self._dataset = f"{self.base}/dataset/"
        self._portal_page = url_parts(self.base, "portal:dataset_detail", "dataset-name")
        self._download = url_parts(self.base, "portal:download", "dataset-name", "00000000-0000-0000-0000-000000000000")

    @property
    def organisations(self) -> dict[int, dict]:
        """Every organisation of the network by pk, each with `dataset_contributor_id`
        (the contributor ID its datasets carry); one query for the projection's lifetime."""
        if self._organisations is None:
            self._organisations = read_organisations()
            for organisation in self._organisations.values():
                organisation["dataset_contributor_id"] = self._inherited_contributor_id(organisation)
        return self._organisations

    def _inherited_contributor_id(self, organisation: dict) -> str:
        """The organisation's DCAT-AP.de contributor ID, else the nearest parent's:
        GovData wants exactly one per dataset (convention K12/13), and a department or
        enterprise without one of its own delivers under its city's."""
        seen = set()
        while organisation is not None and organisation["pk"] not in seen:
            if organisation["contributor_id"]:
                return organisation["contributor_id"]
            seen.add(organisation["pk"])
            organisation = self._organisations.get(organisation["parent_id"])
        return ""

    def read(self, rows) -> list[dict]:
        """The datasets of a values(*COLUMNS) queryset, resolved: four queries, whatever
        their number, and the organisations' once per projection."""
        rows = list(rows)
        if not rows:
            return rows
        by_pk = {}
        for row in rows:
            row["keywords"], row["keyword_ids"], row["themes"], row["distributions"] = [], [], [], []
            by_pk[row["pk"]] = row
        keywords = Dataset.keywords.through.objects.filter(dataset_id__in=by_pk).order_by("keyword__name")
        for dataset_id, keyword_id, name in keywords.values_list("dataset_id", "keyword_id", "keyword__name"):
            dataset = by_pk[dataset_id]
            dataset["keywords"].append(name)
            dataset["keyword_ids"].append(keyword_id)
        themes = Dataset.themes.through.objects.filter(dataset_id__in=by_pk).order_by("theme__code")
        for dataset_id, code in themes.values_list("dataset_id", "theme__code"):
            by_pk[dataset_id]["themes"].append(code)
        distributions = (
            Distribution.objects.current()
            .filter(dataset_id__in=by_pk)
            .order_by("dataset_id", "created", "pk")
            # Its table can be queried (datastore): CKAN's datastore_active, DCAT's conformsTo.
            .annotate(queryable=Exists(DataTable.objects.filter(distribution=OuterRef("pk")).exclude(table_name="")))
        )
        for distribution in distributions.values(*DISTRIBUTION_COLUMNS, "queryable"):
            by_pk[distribution["dataset_id"]]["distributions"].append(distribution)
        organisations = self.organisations
        for row in rows:
            self._resolve(row, organisations[row["publisher_id"]])
        return rows

    def published_dataset(self, name: str) -> dict | None:
        rows = self.read(published_rows().filter(name=name))
        return rows[0] if rows else None

    def _resolve(self, row: dict, publisher: dict) -> None:
        name, licence, issued = row["name"], row["licence"], row["issued"]
        page_start, page_end = self._portal_page
        download_start, download_middle, download_end = self._download
        row["publisher"] = publisher
        row["contributor_id"] = publisher["dataset_contributor_id"]
        row["uri"] = self._dataset + name
        row["portal_page"] = page_start + name + page_end
        row["licence_uri"] = LICENCE_URIS.get(licence) or LICENCE_BASE + licence
        row["theme_uris"] = [THEME_URIS[code] for code in row["themes"]]
        row["frequency_uri"] = FREQUENCY_URIS.get(row["update_frequency"])
        row["language_uri"] = LANGUAGE_URIS.get(row["language"])
        row["geocoding_level_uri"] = GEOCODING_LEVEL_URIS.get(row["geocoding_level"])
        row["spatial_uri"] = MUNICIPALITY_KEY_BASE + row["municipality_key"] if row["municipality_key"] else None
        hvd = row["hvd_uri"] = HVD_URIS.get(row["hvd_category"])
        row["legislation_uri"] = HVD_LEGISLATION if hvd is not None else None
        for distribution in row["distributions"]:
            upload = distribution["upload"] = bool(distribution["file"])
            kind = distribution["kind"]
            if upload:
                url = f"{download_start}{name}{download_middle}{distribution['identifier']}{download_end}"
                distribution["download_url"] = url
            else:
                url = distribution["access_url"]
                distribution["download_url"] = url if kind == DOWNLOAD else None
            distribution["url"] = url
            distribution["access_service"] = not upload and kind in SERVICE_KINDS
            distribution["format_uri"], format_media_type = FORMATS.get(distribution["format"], UNKNOWN_FORMAT)
            media_type = distribution["media_type"] = distribution["media_type"] or format_media_type
            # Service endpoints (WMS, WFS) answer in types IANA has not registered.
            distribution["media_type_uri"] = IANA_MEDIA_TYPES + media_type if media_type and kind != SERVICE else None
            own_licence = distribution["licence"] or licence
            distribution["licence_uri"] = LICENCE_URIS.get(own_licence) or LICENCE_BASE + own_licence
            created = distribution["created"]
            distribution["issued"] = created if issued is None or created > issued else issued
