"""DCAT-AP.de 3.0 in RDF: the published catalog for harvesters (GovData, the Landes-
portale, data.europa.eu) and Linked-Data clients. The tests validate it against the
official SHACL shapes (DCAT-AP 3.0.0 + DCAT-AP.de 3.0, and HVD for high-value datasets).

What a dataset says is resolved by `portal.projection` (the same view the CKAN API
renders): this module reads rows through it and only turns them into triples. One
source of triples (`DcatExport`) feeds every output. Turtle and N-Triples are written
straight from the triples by the small writers below; RDF/XML and JSON-LD go through
an rdflib Graph, which is fine for a page of 100 datasets but not for the whole
catalog. The full export (`stream_catalog`) reads the catalog in pieces by primary key
and writes each piece as soon as it is read, so memory stays flat and 100,000 datasets
fit the time budget.

URIs depend only on the public base URL (SITE_URL) and the dataset's name, which never
changes after the dataset is created:

    catalog        <site>/catalog
    dataset        <site>/dataset/<name>          (RDF or, for browsers, the portal page)
    record         <site>/dataset/<name>#record
    distribution   <site>/dataset/<name>#distribution-<uuid>
    data service   <site>/dataset/<name>#service-<uuid>

Every controlled-vocabulary concept the output refers to (themes, frequencies, file
types, licences, …) is described once per document with its class and its concept
scheme (`skos:inScheme`), which is what the authority tables say about it: a
validator that cannot fetch the tables (owl:imports) still sees where a URI is from.
"""

from __future__ import annotations

import gc
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time
from urllib.parse import quote

from django.conf import settings
from django.db.models import Count, Func, Max, Q, Subquery
from django.utils import translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from rdflib import BNode, Graph, Literal, URIRef

from catalog.models import Dataset
from catalog.vocabularies import EU_AUTHORITY, LICENCE_BASE, Language

from .projection import (
    COLUMNS,
    LANGUAGE_URIS,
    PUBLIC_ACCESS,
    PUBLISHER_TYPE_BASE,
    SCHEME_TITLES,
    Projection,
    concept_labels,
    published_rows,
)

# ---------------------------------------------------------------------------
# Terms: plain strings and tuples, cheap enough for millions of triples. rdflib
# terms are made from them only where a Graph is needed (`to_rdflib`).


class IRI(str):
    __slots__ = ()


class Blank(str):
    """A blank node's label, unique within one document."""

    __slots__ = ()


# A literal: (text, language tag or None, datatype IRI or None). A plain tuple, because
# a class of its own costs a second per 100,000 datasets.
Lit = tuple[str, str | None, IRI | None]


Term = IRI | Blank | Lit
Triple = tuple[IRI | Blank, IRI, Term]


class Vocab:
    """A namespace: `DCAT.Dataset` is the IRI <http://www.w3.org/ns/dcat#Dataset>."""

    def __init__(self, base: str):
        self._base = base

    def __str__(self):
        return self._base

    def __getattr__(self, local: str) -> IRI:
        if local.startswith("__"):
            raise AttributeError(local)
        term = IRI(self._base + local)
        setattr(self, local, term)  # later look-ups are plain attribute reads
        return term

    def __getitem__(self, local: str) -> IRI:
        return getattr(self, local)


DCAT = Vocab("http://www.w3.org/ns/dcat#")
DCT = Vocab("http://purl.org/dc/terms/")
DCATDE = Vocab("http://dcat-ap.de/def/dcatde/")
DCATAP = Vocab("http://data.europa.eu/r5r/")
FOAF = Vocab("http://xmlns.com/foaf/0.1/")
VCARD = Vocab("http://www.w3.org/2006/vcard/ns#")
SKOS = Vocab("http://www.w3.org/2004/02/skos/core#")
SPDX = Vocab("http://spdx.org/rdf/terms#")
ELI = Vocab("http://data.europa.eu/eli/ontology#")
HYDRA = Vocab("http://www.w3.org/ns/hydra/core#")
RDF = Vocab("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
XSD = Vocab("http://www.w3.org/2001/XMLSchema#")
LOCN = Vocab("http://www.w3.org/ns/locn#")

PREFIXES = {
    "dcat": DCAT, "dct": DCT, "dcatde": DCATDE, "dcatap": DCATAP, "foaf": FOAF, "vcard": VCARD, "skos": SKOS,
    "spdx": SPDX, "eli": ELI, "hydra": HYDRA, "rdf": RDF, "xsd": XSD, "locn": LOCN,
}  # fmt: skip

# Characters an IRI may not contain (RFC 3987, N-Triples IRIREF); URLField lets some through.
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def iri(value: str) -> IRI:
    """An IRI from user input (a URL field), with forbidden characters percent-encoded."""
    return IRI(_IRI_FORBIDDEN.sub(lambda match: quote(match.group()), value))


def text(value: str, lang: str | None = "de") -> Lit:
    return (value, lang, None)


def typed(value: str, datatype: IRI) -> Lit:
    return (value, None, datatype)


def date_time(value: datetime) -> Lit:
    return (value.isoformat(), None, XSD.dateTime)


# Control characters XML 1.0 forbids; a pasted description may carry one. Writers drop them.
_CONTROL_CHARACTERS = [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]
_XML_FORBIDDEN = dict.fromkeys(_CONTROL_CHARACTERS)


def to_rdflib(term: Term):
    if type(term) is IRI:
        return URIRef(term)
    if type(term) is Blank:
        return BNode(term)
    value, lang, datatype = term
    return Literal(value.translate(_XML_FORBIDDEN), lang=lang, datatype=None if datatype is None else URIRef(datatype))


# ---------------------------------------------------------------------------
# Formats


@dataclass(frozen=True)
class RdfFormat:
    extension: str
    media_type: str
    content_type: str


FORMATS = {
    fmt.extension: fmt
    for fmt in (
        RdfFormat("ttl", "text/turtle", "text/turtle; charset=utf-8"),
        RdfFormat("rdf", "application/rdf+xml", "application/rdf+xml; charset=utf-8"),
        RdfFormat("jsonld", "application/ld+json", "application/ld+json"),
    )
}
FORMATS_BY_MEDIA_TYPE = {fmt.media_type: fmt for fmt in FORMATS.values()}
# The full export: formats written piece by piece.
STREAM_FORMATS = {"ttl": "text/turtle; charset=utf-8", "nt": "application/n-triples; charset=utf-8"}

DATASETS_PER_PAGE = 100  # as ckanext-dcat (ckanext.dcat.datasets_per_page)
EXPORT_CHUNK_SIZE = 500


# ---------------------------------------------------------------------------
# Controlled vocabularies


@dataclass(frozen=True)
class ConceptKind:
    """What a referenced vocabulary URI is: its classes and its concept scheme."""

    types: tuple[IRI, ...]
    scheme: IRI | None = None


def _eu(name: str) -> IRI:
    return IRI(EU_AUTHORITY + name)


THEME = ConceptKind((SKOS.Concept,), _eu("data-theme"))
FREQUENCY = ConceptKind((DCT.Frequency, SKOS.Concept), _eu("frequency"))
LANGUAGE = ConceptKind((DCT.LinguisticSystem, SKOS.Concept), _eu("language"))
ACCESS_RIGHT = ConceptKind((DCT.RightsStatement, SKOS.Concept), _eu("access-right"))
FILE_TYPE = ConceptKind((DCT.MediaTypeOrExtent, SKOS.Concept), _eu("file-type"))
LICENCE = ConceptKind((DCT.LicenseDocument, SKOS.Concept), IRI(LICENCE_BASE.rstrip("/")))
HVD_CATEGORY = ConceptKind((SKOS.Concept,), IRI("http://data.europa.eu/bna/asd487ae75"))
GEOCODING_LEVEL = ConceptKind((SKOS.Concept,), IRI("http://dcat-ap.de/def/politicalGeocoding/Level"))
PUBLISHER_TYPE = ConceptKind((SKOS.Concept,), IRI(PUBLISHER_TYPE_BASE + "1.0"))
CONCEPT_SCHEME = ConceptKind((SKOS.ConceptScheme,))
LEGISLATION = ConceptKind((ELI.LegalResource,))
MEDIA_TYPE = ConceptKind((DCT.MediaType,))
LOCATION = ConceptKind((DCT.Location,))
DOCUMENT = ConceptKind((FOAF.Document,))
CHECKSUM_ALGORITHM = ConceptKind((SPDX.ChecksumAlgorithm,))

SHA256 = SPDX.checksumAlgorithm_sha256


# ---------------------------------------------------------------------------
# Reading the catalog: rows resolved by the projection (portal.projection)


class InvalidParameter(ValueError):
    """A query parameter of a catalog request that cannot be used; the message says why."""


MAX_PAGE = 2**31 - 1


def parse_page(value: str | None) -> int:
    if value in (None, ""):
        return 1
    # Bounded: a page beyond PostgreSQL's integer range overflowed the OFFSET (a 500).
    if not value.isdecimal() or len(value) > 10 or not 1 <= int(value) <= MAX_PAGE:
        raise InvalidParameter(
            _("Der Parameter „page“ muss eine ganze Zahl von 1 bis %(max)d sein.") % {"max": MAX_PAGE}
        )
    return int(value)


def parse_modified_since(value: str | None) -> datetime | None:
    """An ISO 8601 date or date-time; without a zone it is UTC, as in ckanext-dcat."""
    if not value:
        return None
    # An unencoded "+" of the zone offset arrives as a space.
    value = value.strip().replace(" ", "+")
    try:
        parsed = parse_datetime(value)
        if parsed is None and (day := parse_date(value)) is not None:
            parsed = datetime.combine(day, time.min)
    except ValueError:
        parsed = None
    if parsed is None:
        raise InvalidParameter(
            _(
                "Der Parameter „modified_since“ muss ein Datum nach ISO 8601 sein, "
                "z. B. 2025-01-31 oder 2025-01-31T12:00:00Z."
            )
        )
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class CatalogPage:
    number: int
    per_page: int
    total: int
    modified: datetime | None  # the newest change among the matching datasets
    datasets: list[dict]

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.per_page))


def catalog_page(
    *,
    number: int = 1,
    modified_since: datetime | None = None,
    per_page: int = DATASETS_PER_PAGE,
    projection: Projection | None = None,
) -> CatalogPage:
    """One page of the published catalog, newest change first, as in ckanext-dcat; a
    page beyond the last one is empty (also as there). The rows are resolved by
    `projection` (by default one on SITE_URL).

    No OFFSET over the table: the first query walks the index of the catalog's order
    (catalog.Dataset's "dataset_published_by_change", an index-only scan) to the page's
    first dataset, and counts; the second reads the page from that dataset on (keyset).
    Page 300 costs little more than page 1, in the same queries."""
    queryset = Dataset.objects.published()
    if modified_since is not None:
        queryset = queryset.filter(modified__gte=modified_since)
    ordered = queryset.order_by("-modified", "pk")
    start = (number - 1) * per_page
    # COUNT as a plain function: an aggregate would make Django group the subquery.
    total = queryset.order_by().annotate(total=Func("pk", function="COUNT")).values("total")
    newest = ordered.values("modified")[:1]
    first = (
        ordered.annotate(total=Subquery(total), newest=Subquery(newest))
        .values_list("modified", "pk", "total", "newest")[start : start + 1]
        .first()
    )
    if first is None:  # an empty catalog, or a page beyond the last one
        summary = queryset.aggregate(total=Count("pk"), modified=Max("modified"))
        return CatalogPage(number, per_page, summary["total"], summary["modified"], [])
    first_modified, first_pk, total, newest = first
    # From the page's first dataset on, in the order (-modified, pk); the range on
    # `modified` lets PostgreSQL start the index scan there.
    from_first = Q(modified__lte=first_modified) & ~Q(modified=first_modified, pk__lt=first_pk)
    projection = projection or Projection(settings.SITE_URL)
    rows = projection.read(ordered.filter(from_first).values(*COLUMNS)[:per_page])
    return CatalogPage(number, per_page, total, newest, rows)


# ---------------------------------------------------------------------------
# Triples


class DcatExport:
    """The triples of one RDF document: a catalog page, a dataset or the full export,
    rendered from the rows of its `projection`. Shared resources (organisations,
    vocabulary concepts) are described the first time the document refers to them;
    blank-node labels are unique in the document."""

    def __init__(self, base_url: str):
        self.projection = Projection(base_url)
        self.base = self.projection.base
        self.catalog = IRI(f"{self.base}/catalog")
        self._described: set[str] = set()
        self._vocabulary: dict[str, IRI] = {}
        self._blank_numbers = itertools.count(1)

    def blank(self) -> Blank:
        return Blank(f"b{next(self._blank_numbers)}")

    def vocabulary(self, uri: str) -> IRI:
        """The IRI of a concept URI the projection resolved (a theme, licence, format …):
        made once per document, since a document names few concepts many times."""
        known = self._vocabulary.get(uri)
        if known is None:
            known = self._vocabulary[uri] = IRI(uri)
        return known

    # -- shared resources ---------------------------------------------------

    def concept(self, uri: IRI, kind: ConceptKind) -> list[Triple]:
        if uri in self._described:
            return []
        self._described.add(uri)
        triples = [(uri, RDF.type, cls) for cls in kind.types]
        if kind.scheme is not None:
            triples.append((uri, SKOS.inScheme, kind.scheme))
        if SKOS.Concept in kind.types and (label := concept_labels().get(uri)):
            triples.append((uri, SKOS.prefLabel, text(*label)))
        if kind is CONCEPT_SCHEME and (title := SCHEME_TITLES.get(uri)):
            triples.append((uri, DCT.title, text(*title)))
        return triples

    def agent(self, organisation: dict) -> tuple[Blank, list[Triple]]:
        node = Blank(f"organisation{organisation['pk']}")
        if node in self._described:
            return node, []
        self._described.add(node)
        triples = [
            (node, RDF.type, FOAF.Agent),
            (node, RDF.type, FOAF.Organization),
            (node, FOAF.name, text(organisation["name"], None)),
        ]
        if organisation["website"]:
            triples.append((node, FOAF.homepage, iri(organisation["website"])))
        if organisation["email"]:
            triples.append((node, FOAF.mbox, iri(f"mailto:{organisation['email']}")))
        if organisation["publisher_type_uri"] is not None:
            publisher_type = self.vocabulary(organisation["publisher_type_uri"])
            triples.append((node, DCT.type, publisher_type))
            triples += self.concept(publisher_type, PUBLISHER_TYPE)
        return node, triples

    def catalog_publisher(self) -> tuple[Blank, list[Triple]]:
        """The organisation named by the setting DCAT_CATALOG_PUBLISHER (a slug), else
        the one organisation at the top of the network; a network of several cities
        without that setting publishes as the portal itself (SITE_NAME)."""
        slug = settings.DCAT_CATALOG_PUBLISHER
        organisations = self.projection.organisations.values()
        chosen = [org for org in organisations if slug and org["slug"] == slug]
        roots = [org for org in organisations if org["parent_id"] is None]
        if chosen or len(roots) == 1:
            return self.agent((chosen or roots)[0])
        node = Blank("portal")
        if node in self._described:
            return node, []
        self._described.add(node)
        return node, [
            (node, RDF.type, FOAF.Agent),
            (node, FOAF.name, text(settings.SITE_NAME, None)),
            (node, FOAF.homepage, IRI(f"{self.base}/")),
        ]

    # -- catalog --------------------------------------------------------------

    def catalog_triples(self, *, modified: datetime | None) -> list[Triple]:
        catalog, homepage = self.catalog, IRI(f"{self.base}/")
        publisher, more = self.catalog_publisher()
        with translation.override("de"):
            title = _("Offene Daten des Stadtverbunds")
            description = _(
                "Offene Daten der Städte, Eigenbetriebe und Beteiligungen des Stadtverbunds: suchen, herunterladen, "
                "nachvollziehen, was nicht veröffentlicht wird, und Daten wünschen."
            )
        language = self.vocabulary(LANGUAGE_URIS[Language.DEU])
        triples = [
            (catalog, RDF.type, DCAT.Catalog),
            (catalog, DCT.title, text(title)),
            (catalog, DCT.description, text(description)),
            (catalog, DCT.publisher, publisher),
            (catalog, DCT.language, language),
            (catalog, FOAF.homepage, homepage),
            (catalog, DCAT.themeTaxonomy, THEME.scheme),
        ]
        if modified is not None:
            triples.append((catalog, DCT.modified, date_time(modified)))
        return [
            *triples,
            *more,
            *self.concept(language, LANGUAGE),
            *self.concept(THEME.scheme, CONCEPT_SCHEME),
            *self.concept(homepage, DOCUMENT),
        ]

    def catalog_links(self, rows: list[dict]) -> list[Triple]:
        """The catalog's dcat:dataset and dcat:record for these datasets."""
        uris = [IRI(row["uri"]) for row in rows]
        return [
            *((self.catalog, DCAT.dataset, uri) for uri in uris),
            *((self.catalog, DCAT.record, IRI(f"{uri}#record")) for uri in uris),
        ]

    # -- dataset --------------------------------------------------------------

    def dataset_triples(self, row: dict) -> list[Triple]:
        """The dataset's own triples first, then those of what it refers to, so that a
        writer can group them by subject."""
        uri, portal_page = IRI(row["uri"]), IRI(row["portal_page"])
        publisher, more = self.agent(row["publisher"])
        contact = self.blank()
        own: list[Triple] = [
            (uri, RDF.type, DCAT.Dataset),
            # True in DCAT 3 (dcat:Dataset is a dcat:Resource), but validators check the range
            # of the record's foaf:primaryTopic without the DCAT ontology, so we say it.
            (uri, RDF.type, DCAT.Resource),
            (uri, DCT.identifier, text(str(row["identifier"]), None)),
            (uri, DCT.title, text(row["title"])),
            (uri, DCT.description, text(row["description"])),
            (uri, DCT.publisher, publisher),
            (uri, DCAT.contactPoint, contact),
        ]

        vocabulary, iris = self.vocabulary, self._vocabulary

        def ref(predicate: IRI, target: str | None, kind: ConceptKind):
            if target is not None:
                target = iris.get(target) or vocabulary(target)
                own.append((uri, predicate, target))
                more.extend(self.concept(target, kind))

        if row["contributor_id"]:
            own.append((uri, DCATDE.contributorID, iri(row["contributor_id"])))
        own += [(uri, DCAT.keyword, text(keyword)) for keyword in row["keywords"]]
        for theme in row["theme_uris"]:
            ref(DCAT.theme, theme, THEME)
        ref(DCT.spatial, row["spatial_uri"], LOCATION)
        if row["spatial_label"]:
            # The place in words, as GeoDCAT-AP names a dct:Location (dcatde:geocodingDescription,
            # which said it in DCAT-AP.de 2, is deprecated in 3.0).
            place = self.blank()
            own.append((uri, DCT.spatial, place))
            more += [(place, RDF.type, DCT.Location), (place, LOCN.geographicName, text(row["spatial_label"]))]
        ref(DCATDE.politicalGeocodingLevelURI, row["geocoding_level_uri"], GEOCODING_LEVEL)
        if row["spatial_resolution_m"] is not None:
            own.append((uri, DCAT.spatialResolutionInMeters, typed(str(row["spatial_resolution_m"]), XSD.decimal)))
        if row["temporal_start"] or row["temporal_end"]:
            period = self.blank()
            own.append((uri, DCT.temporal, period))
            more.append((period, RDF.type, DCT.PeriodOfTime))
            if row["temporal_start"]:
                more.append((period, DCAT.startDate, typed(row["temporal_start"].isoformat(), XSD.date)))
            if row["temporal_end"]:
                more.append((period, DCAT.endDate, typed(row["temporal_end"].isoformat(), XSD.date)))
        ref(DCT.accrualPeriodicity, row["frequency_uri"], FREQUENCY)
        ref(DCT.language, row["language_uri"], LANGUAGE)
        ref(DCT.accessRights, PUBLIC_ACCESS, ACCESS_RIGHT)
        if row["issued"]:
            own.append((uri, DCT.issued, date_time(row["issued"])))
        own.append((uri, DCT.modified, date_time(row["modified"])))
        landing_page = iri(row["landing_page"]) if row["landing_page"] else portal_page
        own.append((uri, DCAT.landingPage, landing_page))
        more.append((landing_page, RDF.type, FOAF.Document))
        if row["hvd_uri"] is not None:
            ref(DCATAP.applicableLegislation, row["legislation_uri"], LEGISLATION)
            ref(DCATAP.hvdCategory, row["hvd_uri"], HVD_CATEGORY)

        more += [
            (contact, RDF.type, VCARD.Kind),
            (contact, RDF.type, VCARD.Organization),
            (contact, VCARD.fn, text(row["contact_name"], None)),
            (contact, VCARD.hasEmail, iri(f"mailto:{row['contact_email']}")),
        ]
        if row["contact_url"]:
            more.append((contact, VCARD.hasURL, iri(row["contact_url"])))

        record = IRI(f"{uri}#record")
        more += [
            (record, RDF.type, DCAT.CatalogRecord),
            (record, FOAF.primaryTopic, uri),
            (record, DCT.modified, date_time(row["modified"])),
        ]
        if row["issued"]:
            more.append((record, DCT.issued, date_time(row["issued"])))

        for distribution in row["distributions"]:
            node = IRI(f"{uri}#distribution-{distribution['identifier']}")
            own.append((uri, DCAT.distribution, node))
            more += self.distribution_triples(
                row, distribution, node, uri=uri, publisher=publisher, contact=contact, portal_page=portal_page
            )
        return own + more

    def distribution_triples(
        self, row: dict, distribution: dict, node: IRI, *, uri: IRI, publisher, contact, portal_page: IRI
    ) -> list[Triple]:
        own: list[Triple] = [(node, RDF.type, DCAT.Distribution), (node, DCT.title, text(distribution["title"]))]
        more: list[Triple] = []

        vocabulary, iris = self.vocabulary, self._vocabulary

        def ref(predicate: IRI, target: str | None, kind: ConceptKind):
            if target is not None:
                target = iris.get(target) or vocabulary(target)
                own.append((node, predicate, target))
                more.extend(self.concept(target, kind))

        if distribution["description"]:
            own.append((node, DCT.description, text(distribution["description"])))
        # An upload's URL is the portal's own; a link is user input.
        url = IRI(distribution["url"]) if distribution["upload"] else iri(distribution["url"])
        own.append((node, DCAT.accessURL, url))
        if distribution["download_url"] is not None:
            own.append((node, DCAT.downloadURL, url))
        ref(DCT.format, distribution["format_uri"], FILE_TYPE)
        if distribution["media_type_uri"] is not None:
            # A declared media type is user input: made a valid IRI first.
            ref(DCAT.mediaType, iri(distribution["media_type_uri"]), MEDIA_TYPE)
        if distribution["byte_size"] is not None:
            own.append((node, DCAT.byteSize, typed(str(distribution["byte_size"]), XSD.nonNegativeInteger)))
        if distribution["checksum_sha256"]:
            checksum = self.blank()
            own.append((node, SPDX.checksum, checksum))
            more += [
                (checksum, RDF.type, SPDX.Checksum),
                (checksum, SPDX.algorithm, SHA256),
                (checksum, SPDX.checksumValue, typed(distribution["checksum_sha256"], XSD.hexBinary)),
                *self.concept(SHA256, CHECKSUM_ALGORITHM),
            ]
        ref(DCT.license, distribution["licence_uri"], LICENCE)
        if row["attribution_text"]:
            own.append((node, DCATDE.licenseAttributionByText, text(row["attribution_text"])))
        own += [
            (node, DCT.issued, date_time(distribution["issued"])),
            (node, DCT.modified, date_time(distribution["modified"])),
        ]
        ref(DCATAP.applicableLegislation, row["legislation_uri"], LEGISLATION)
        if distribution["table_schema_url"] is not None:
            # A queryable table: the Table Schema (frictionless) of its columns with the data
            # dictionary, at a stable address (datastore:table_schema). DCAT-AP's "linked
            # schemas" range is dct:Standard.
            schema = IRI(distribution["table_schema_url"])
            own.append((node, DCT.conformsTo, schema))
            more.append((schema, RDF.type, DCT.Standard))
        if distribution["access_service"]:
            service = IRI(f"{uri}#service-{distribution['identifier']}")
            own.append((node, DCAT.accessService, service))
            more += self.service_triples(
                row, distribution, service, dataset=uri, endpoint=url, publisher=publisher, contact=contact,
                portal_page=portal_page,
            )  # fmt: skip
        return own + more

    def service_triples(
        self, row, distribution, service: IRI, *, dataset, endpoint, publisher, contact, portal_page
    ) -> list[Triple]:
        """The API or geo service behind a distribution (dcat:DataService). The HVD
        regulation asks for one for every high-value dataset offered through an API."""
        triples = [
            (service, RDF.type, DCAT.DataService),
            (service, DCT.title, text(distribution["title"])),
            (service, DCAT.endpointURL, endpoint),
            (service, DCAT.servesDataset, dataset),
            (service, DCT.publisher, publisher),
            (service, DCAT.contactPoint, contact),
            (service, FOAF.page, portal_page),
            (service, DCT.license, self.vocabulary(distribution["licence_uri"])),
            (service, DCT.accessRights, self.vocabulary(PUBLIC_ACCESS)),
            (portal_page, RDF.type, FOAF.Document),
        ]
        if row["hvd_uri"] is not None:
            triples += [
                (service, DCATAP.applicableLegislation, self.vocabulary(row["legislation_uri"])),
                (service, DCATAP.hvdCategory, self.vocabulary(row["hvd_uri"])),
            ]
        return triples


def paging_triples(page: CatalogPage, page_url: Callable[[int], str]) -> list[Triple]:
    """Hydra paging as ckanext-dcat writes it: the current page's URL as a
    hydra:PagedCollection, the links as literals, the deprecated *Page properties
    next to the current ones. An empty result has no paging node (as there)."""
    if page.total == 0:
        return []
    node = IRI(page_url(page.number))
    triples = [
        (node, RDF.type, HYDRA.PagedCollection),
        (node, HYDRA.totalItems, typed(str(page.total), XSD.integer)),
        (node, HYDRA.itemsPerPage, typed(str(page.per_page), XSD.integer)),
    ]
    links = {"first": 1, "last": page.last}
    if page.number > 1:
        # Beyond the end, "previous" leads back to the last page.
        links["previous"] = min(page.number - 1, page.last)
    if page.number < page.last:
        links["next"] = page.number + 1
    for name, number in links.items():
        url = text(page_url(number), None)
        triples += [(node, HYDRA[name], url), (node, HYDRA[f"{name}Page"], url)]
    return triples


def catalog_page_triples(export: DcatExport, page: CatalogPage, page_url: Callable[[int], str]) -> list[Triple]:
    triples = export.catalog_triples(modified=page.modified) + export.catalog_links(page.datasets)
    for row in page.datasets:
        triples += export.dataset_triples(row)
    return triples + paging_triples(page, page_url)


# ---------------------------------------------------------------------------
# Writers


# One pass over a literal: escape what N-Triples and Turtle must escape, drop control characters.
_LITERAL_ESCAPES = str.maketrans(
    {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", **dict.fromkeys(map(chr, _CONTROL_CHARACTERS))}
)
_PN_LOCAL = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


class NTriplesWriter:
    """N-Triples: one line per triple, the simplest format to stream and to split.
    Written for speed (the full export writes millions of terms): one dispatch on the
    term's type, no graph."""

    def header(self) -> str:
        return ""

    def iri(self, term: IRI) -> str:
        return f"<{term}>"

    def term(self, term: Term) -> str:
        kind = type(term)
        if kind is IRI:
            return self.iri(term)
        if kind is Blank:
            return f"_:{term}"
        value, lang, datatype = term
        value = value.translate(_LITERAL_ESCAPES)
        if lang:
            return f'"{value}"@{lang}'
        if datatype is not None:
            return f'"{value}"^^{self.iri(datatype)}'
        return f'"{value}"'

    def write(self, triples: Iterable[Triple]) -> str:
        term = self.term
        lines = []
        append = lines.append
        subject = subject_text = None
        for s, p, o in triples:
            if s is not subject:
                subject, subject_text = s, term(s)
            # IRIs, the commonest objects, without a call.
            append(f"{subject_text} <{p}> <{o}> .\n" if type(o) is IRI else f"{subject_text} <{p}> {term(o)} .\n")
        return "".join(lines)


class TurtleWriter(NTriplesWriter):
    """Turtle without a graph: the prefixes once at the top, then a block for each
    run of triples with the same subject (`;`) and predicate (`,`). A subject that
    comes back later gets another block, which Turtle allows."""

    # IRIs outside the document's own base that recur (vocabularies, licences, formats)
    # are remembered, up to this many.
    CACHE_SIZE = 20_000

    def __init__(self, base: str = ""):
        self._prefixes = {str(namespace): prefix for prefix, namespace in PREFIXES.items()}
        self._names: dict[str, str] = {RDF.type: "a"}
        self._base = base or "\0"  # the dataset's own IRIs never recur: no need to look them up

    def header(self) -> str:
        return "".join(f"@prefix {prefix}: <{namespace}> .\n" for namespace, prefix in self._prefixes.items()) + "\n"

    def iri(self, term: IRI) -> str:
        name = self._names.get(term)
        if name is not None:
            return name
        if term.startswith(self._base):
            return f"<{term}>"
        split = max(term.rfind("#"), term.rfind("/")) + 1
        prefix = self._prefixes.get(term[:split])
        in_namespace = prefix is not None and _PN_LOCAL.match(term, split)
        name = f"{prefix}:{term[split:]}" if in_namespace else f"<{term}>"
        if len(self._names) < self.CACHE_SIZE:
            self._names[term] = name
        return name

    def write(self, triples: Iterable[Triple]) -> str:
        iri, term, names = self.iri, self.term, self._names
        parts: list[str] = []
        subject = predicate = None
        for s, p, o in triples:
            # Names already known (predicates, classes, vocabularies), the commonest, without a call.
            o_text = names.get(o) if type(o) is IRI else None
            if o_text is None:
                o_text = term(o)
            if s != subject:
                parts += (" .\n" if subject is not None else "", term(s), " ", names.get(p) or iri(p), " ", o_text)
                subject, predicate = s, p
            elif p != predicate:
                parts += (" ;\n    ", names.get(p) or iri(p), " ", o_text)
                predicate = p
            else:
                parts += (", ", o_text)
        if subject is not None:
            parts.append(" .\n")
        return "".join(parts)


def new_graph() -> Graph:
    graph = Graph(bind_namespaces="core")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, str(namespace))
    return graph


def render(triples: list[Triple], fmt: RdfFormat) -> bytes:
    """A document in one of FORMATS: Turtle straight from the triples, RDF/XML and
    JSON-LD through rdflib (flat RDF/XML: rdflib's "pretty" form loses shared blank nodes)."""
    if fmt.extension == "ttl":
        writer = TurtleWriter()
        return (writer.header() + writer.write(triples)).encode()
    graph = new_graph()
    for s, p, o in triples:
        graph.add((to_rdflib(s), to_rdflib(p), to_rdflib(o)))
    if fmt.extension == "jsonld":
        return graph.serialize(format="json-ld", auto_compact=True, encoding="utf-8")
    return graph.serialize(format="xml", encoding="utf-8")


def stream_catalog(base_url: str, fmt: str = "ttl", *, chunk_size: int = EXPORT_CHUNK_SIZE) -> Iterator[bytes]:
    """The whole published catalog as Turtle or N-Triples, written in pieces of
    `chunk_size` datasets. Each piece is read by primary key (no long-lived cursor or
    transaction) in four queries; nothing is kept between pieces but the record of
    which shared resources the document has described."""
    export = DcatExport(base_url)
    read = export.projection.read
    writer = TurtleWriter(export.base) if fmt == "ttl" else NTriplesWriter()
    modified = Dataset.objects.published().aggregate(modified=Max("modified"))["modified"]
    yield (writer.header() + writer.write(export.catalog_triples(modified=modified))).encode()
    last = 0
    while True:
        with _collector_paused():
            rows = read(published_rows().filter(pk__gt=last).order_by("pk")[:chunk_size])
            if not rows:
                return
            last = rows[-1]["pk"]
            # The catalog's links first, so that Turtle groups them into one block per piece.
            triples = export.catalog_links(rows)
            for row in rows:
                triples += export.dataset_triples(row)
            piece = writer.write(triples).encode()
            del rows, triples
        yield piece


@contextmanager
def _collector_paused():
    """A piece is tens of thousands of tuples of strings, without reference cycles;
    Python's cyclic garbage collector would scan them over and over (a third of the
    export's time). Paused only while a piece is built, never across a yield."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
