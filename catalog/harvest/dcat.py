"""Reading a DCAT-AP(.de) catalog (Turtle, RDF/XML, JSON-LD) with Hydra paging, as piveau,
GovData and ckanext-dcat serve it.

The source's address is the catalog document. Each page is fetched through the outbound
guard (public addresses, body cap, deadlines), parsed with rdflib into a graph of its own,
converted and released before the next page is fetched: memory holds one page, whatever the
size of the catalog. The format comes from the Content-Type, else the address's extension,
else each parser is tried. The next page is the page's hydra:next (Hydra Core) or
hydra:nextPage (the older vocabulary ckanext-dcat writes); a link back to a page already
read, a page that repeats only records already read, or far more records than the catalog's
hydra:totalItems announced stop the run. A JSON-LD context the document names by address
is fetched through the guard too (rdflib would fetch it itself, unguarded).

Every dcat:Dataset becomes a package dict in the shape ckanext-dcat's parser with GovData's
dcatde profile gives (CKAN fields, `extras`, `resources`), so the Mapper and the run are
those of the CKAN harvester:

- id: the dataset's URI, else its dct:identifier (both stable across runs); name: a slug of
  the URI's last path segment (a Stadtdaten catalog's dataset URI ends with the Kurzname),
  made unique within the page;
- organization: {"name": slug of the publisher's foaf:name (else of its URI's last
  segment), "title": foaf:name}; the source's organisation mapping matches that slug,
  e.g. "Hanse- und Universitätsstadt Rostock" → hanse-und-universitaetsstadt-rostock;
- license_id: the dataset's dct:license, else the one all its distributions name (DCAT-AP
  puts licences there); where they differ the Mapper chooses and reports it;
- a literal in German is preferred, then one without a language, then any; of several
  values the first in sorted order, so that a record reads the same on every run.

Properties of a dataset that are not taken over are named in one report line per record.
"""

from __future__ import annotations

import gc
import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from posixpath import splitext
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import requests
from django.utils.translation import gettext as _
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS
from rdflib.plugins.parsers.jsonld import to_rdf

from core import outbound

from ..errors import HarvestAborted
from . import client
from .mapping import READER_NOTES, licence_code, valid_url
from .readers import Page, Reader

# rdflib's defined namespaces: in a plain Namespace (a str), DCT.title and DCT.format are str's methods.
DCT = DCTERMS
DCATAP = Namespace("http://data.europa.eu/r5r/")
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
# DCAT-AP.de 1.x wrote its properties in versioned namespaces; newest last.
DCATDE_VERSIONS = (
    Namespace("http://dcat-ap.de/def/dcatde/1_0/"),
    Namespace("http://dcat-ap.de/def/dcatde/1.0/"),
    Namespace("http://dcat-ap.de/def/dcatde/1.0.1/"),
    DCATDE,
)
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SCHEMA = Namespace("http://schema.org/")
SPDX = Namespace("http://spdx.org/rdf/terms#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
LOCN = Namespace("http://www.w3.org/ns/locn#")

ACCEPT = "text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8, */*;q=0.1"
MEDIA_TYPES = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
    "application/n-triples": "nt",
    "text/n3": "n3",
}
EXTENSIONS = {".ttl": "turtle", ".rdf": "xml", ".xml": "xml", ".owl": "xml", ".jsonld": "json-ld", ".json": "json-ld",
              ".nt": "nt", ".n3": "n3"}  # fmt: skip
FORMAT_NAMES = {"turtle": "Turtle", "xml": "RDF/XML", "json-ld": "JSON-LD", "nt": "N-Triples", "n3": "N3"}
WEB_PAGES = ("text/html", "application/xhtml+xml")
# A JSON-LD document names few contexts; more (or deeper) is a loop or an attack.
MAX_CONTEXTS = 5

# A source's optional prefix has up to 30 characters; a Kurzname up to 100.
NAME_LENGTH = 70
POLITICAL_GEOCODING = "http://dcat-ap.de/def/politicalGeocoding/"
PUBLIC = URIRef("http://publications.europa.eu/resource/authority/access-right/PUBLIC")
SHA256 = {"http://spdx.org/rdf/terms#checksumAlgorithm_sha256", "http://dcat-ap.de/def/hashAlgorithms/sha/256"}


def _dcatde(name: str) -> list[URIRef]:
    return [namespace[name] for namespace in DCATDE_VERSIONS]


# DCAT-AP.de's own properties the package dict carries, in each of its namespaces.
DCATDE_MAPPED = ("politicalGeocodingURI", "politicalGeocodingLevelURI", "geocodingText", "geocodingDescription",
                 "contributorID", "licenseAttributionByText")  # fmt: skip
# The dataset properties the package dict carries. dct:spatial, dct:accessRights,
# dcatde:maintainer and dct:creator count only where they are used (see Converter).
MAPPED = {
    RDF.type,
    DCT.identifier,
    DCT.title,
    DCT.description,
    DCAT.keyword,
    DCT.publisher,
    DCAT.contactPoint,
    DCT.license,
    DCAT.landingPage,
    DCT.modified,
    DCT.issued,
    DCT.accrualPeriodicity,
    DCT.language,
    DCAT.theme,
    DCT.temporal,
    DCAT.spatialResolutionInMeters,
    DCATAP.hvdCategory,
    DCATAP.applicableLegislation,
    DCAT.distribution,
    *(predicate for name in DCATDE_MAPPED for predicate in _dcatde(name)),
}
PREFIXES = {
    str(DCAT): "dcat",
    str(DCT): "dct",
    **{str(namespace): "dcatde" for namespace in DCATDE_VERSIONS},
    str(DCATAP): "dcatap",
    str(FOAF): "foaf",
    str(VCARD): "vcard",
    "http://www.w3.org/ns/adms#": "adms",
    "http://www.w3.org/2002/07/owl#": "owl",
    str(SCHEMA): "schema",
    "http://www.w3.org/ns/locn#": "locn",
    str(SPDX): "spdx",
    str(SKOS): "skos",
    "http://www.w3.org/ns/prov#": "prov",
    "http://www.w3.org/ns/dqv#": "dqv",
    str(RDFS): "rdfs",
    str(RDF): "rdf",
    "http://data.europa.eu/eli/ontology#": "eli",
}


class DcatReader(Reader):
    """A DCAT-AP catalog has no standard way to ask for changes only: every run reads it whole."""

    def pages(self) -> Iterator[Page]:
        visited: set[str] = set()
        seen: set[str] = set()
        read, total, url = 0, None, self.source.url
        with self.session() as session:
            while True:
                self.check_deadline()
                graph, base = self.graph(session, url)
                if not visited and not is_catalog(graph):
                    raise HarvestAborted(
                        _("Die Adresse liefert RDF, aber keinen DCAT-Katalog: weder dcat:Catalog noch dcat:Dataset.")
                    )
                packages, notes = Converter(graph).packages()
                announced = total_items(graph)
                total = announced if announced is not None else total
                following = next_page(graph, base)
                # The page's triples go before the next page is fetched. A Graph refers to itself
                # (through its namespace manager): only the cycle collector frees it.
                del graph
                gc.collect()
                visited |= {urldefrag(url).url, urldefrag(base).url}
                if not packages:
                    return
                ids = {package["id"] for package in packages}
                if seen and ids <= seen:
                    raise HarvestAborted(
                        _("Die Quelle liefert zweimal dieselbe Seite; das Blättern funktioniert dort nicht.")
                    )
                seen |= ids
                read += len(packages)
                if total is not None and read > total + 10 * self.page_size + 1000:
                    raise HarvestAborted(_("Die Quelle liefert weit mehr Datensätze, als sie angekündigt hat."))
                yield Page(packages, total=total, notes=notes)
                if following is None:
                    return
                if urldefrag(following).url in visited:
                    raise HarvestAborted(
                        _(
                            "Die Quelle verweist beim Blättern auf eine Seite, die schon gelesen wurde (%(url)s); "
                            "das Blättern funktioniert dort nicht."
                        )
                        % {"url": following[:300]}
                    )
                url = following

    # -- fetching -------------------------------------------------------------

    def session(self) -> outbound.GuardedSession:
        session = client.session_for(self.source, deadline=self.deadline)
        session.headers["Accept"] = ACCEPT
        return session

    @staticmethod
    def get(session, url: str, *, accept: str | None = None) -> requests.Response:
        with client.transport_errors():
            response = session.get(url, headers={"Accept": accept} if accept else None)
        if not 200 <= response.status_code < 300:
            raise HarvestAborted(
                _("Die Quelle hat mit HTTP-Status %(status)s geantwortet (%(url)s).")
                % {"status": response.status_code, "url": url[:300]}
            )
        return response

    def graph(self, session, url: str) -> tuple[Graph, str]:
        """The page at `url` as a graph of its own, and the address it came from (after
        redirects), against which its relative IRIs and links resolve."""
        response = self.get(session, url)
        base = response.url or url
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if media_type in WEB_PAGES:
            raise HarvestAborted(
                _(
                    "Die Adresse liefert eine Webseite (%(type)s), keinen DCAT-Katalog in RDF (Turtle, RDF/XML oder "
                    "JSON-LD). Stimmt die Adresse des Katalogs?"
                )
                % {"type": media_type}
            )
        declared = MEDIA_TYPES.get(media_type) or EXTENSIONS.get(splitext(urlsplit(base).path)[1].lower())
        for fmt in [declared] if declared else ["turtle", "xml", "json-ld"]:
            try:
                return self.parse(session, response.content, fmt, base), base
            except HarvestAborted:
                raise
            except Exception as error:  # rdflib's parsers raise errors of many kinds
                if declared:
                    detail = " ".join(str(error).split())[:300]
                    raise HarvestAborted(
                        _("Die Quelle hat kein gültiges %(format)s geliefert (%(error)s).")
                        % {"format": FORMAT_NAMES[fmt], "error": detail}
                    ) from None
        raise HarvestAborted(
            _(
                "Die Quelle hat kein lesbares RDF geliefert (Inhaltstyp „%(type)s“); erwartet wird Turtle, RDF/XML "
                "oder JSON-LD."
            )
            % {"type": media_type or "–"}
        )

    def parse(self, session, body: bytes, fmt: str, url: str) -> Graph:
        graph = Graph()
        if fmt == "json-ld":
            # rdflib's JSON-LD parser itself, into the plain graph (named graphs merged into it):
            # Graph.parse would go through the deprecated ConjunctiveGraph.
            to_rdf(self.inline_contexts(session, json.loads(body), url, {}), graph, base=url)
        else:
            graph.parse(data=body, format=fmt, publicID=url)
        return graph

    # -- JSON-LD contexts -------------------------------------------------------

    def inline_contexts(self, session, node, base: str, fetched: dict, depth: int = 0):
        """`node` with every context named by address (@context, @import) replaced by the
        context itself, fetched through the guard."""
        if isinstance(node, list):
            return [self.inline_contexts(session, item, base, fetched, depth) for item in node]
        if not isinstance(node, dict):
            return node
        result = {}
        for key, value in node.items():
            if key == "@context":
                result[key] = self.context(session, value, base, fetched, depth)
            elif key != "@import":
                result[key] = self.inline_contexts(session, value, base, fetched, depth)
        if isinstance(node.get("@import"), str):
            # JSON-LD 1.1: the imported context, overridden by the terms given here.
            imported = self.context(session, node["@import"], base, fetched, depth)
            result = {**(imported if isinstance(imported, dict) else {}), **result}
        return result

    def context(self, session, value, base: str, fetched: dict, depth: int):
        if isinstance(value, list):
            return [self.context(session, item, base, fetched, depth) for item in value]
        if not isinstance(value, str):
            return self.inline_contexts(session, value, base, fetched, depth)
        url = urljoin(base, value)
        if depth >= MAX_CONTEXTS or (url not in fetched and len(fetched) >= MAX_CONTEXTS):
            raise HarvestAborted(
                _("Das JSON-LD der Quelle verweist auf mehr als %(count)s Kontexte.") % {"count": MAX_CONTEXTS}
            )
        if url not in fetched:
            response = self.get(session, url, accept="application/ld+json, application/json;q=0.9")
            try:
                fetched[url] = json.loads(response.content).get("@context", {})
            except (ValueError, AttributeError):
                raise HarvestAborted(
                    _("Der JSON-LD-Kontext %(url)s ist kein gültiges JSON-LD.") % {"url": url[:300]}
                ) from None
        return self.context(session, fetched[url], url, fetched, depth + 1) if fetched[url] else {}


# ---------------------------------------------------------------------------
# A page's graph


def is_catalog(graph: Graph) -> bool:
    return (None, RDF.type, DCAT.Catalog) in graph or (None, RDF.type, DCAT.Dataset) in graph


def total_items(graph: Graph) -> int | None:
    counts = []
    for value in graph.objects(None, HYDRA.totalItems):
        try:
            counts.append(int(str(value)))
        except ValueError:
            continue
    return max(counts) if counts else None


def next_page(graph: Graph, url: str) -> str | None:
    """hydra:next (Hydra Core) or hydra:nextPage (ckanext-dcat, as a literal), relative to the page."""
    links = sorted(str(value) for predicate in (HYDRA.next, HYDRA.nextPage) for value in graph.objects(None, predicate))
    return urljoin(url, links[0]) if links else None


def slug(value: str, max_length: int) -> str:
    text = value.translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:max_length].strip("-")


def last_segment(uri: str) -> str:
    parts = urlsplit(uri)
    segment = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    return f"{segment} {unquote(parts.query)}".strip()


def prefixed(uri: str) -> str:
    split = max(uri.rfind("#"), uri.rfind("/")) + 1
    prefix = PREFIXES.get(uri[:split])
    return f"{prefix}:{uri[split:]}" if prefix else f"<{uri}>"


def email_of(value: str) -> str:
    value = unquote(value.strip()).removeprefix("mailto:")
    # An address written as a relative IRI (<info@…>) arrives resolved against the document.
    if value.startswith(("http://", "https://")) and "@" in value.rsplit("/", 1)[-1]:
        value = value.rsplit("/", 1)[-1]
    return value


def as_date(value: str) -> str:
    return value[:10] if re.match(r"\d{4}-\d{2}-\d{2}", value) else value


def licence_of(values: list[str]) -> str:
    """Of several licences the first the catalog knows (a source may name an unknown next to a known one)."""
    return next((value for value in values if licence_code(value)), values[0] if values else "")


class Converter:
    """The datasets of one page as package dicts, and a note for each record with
    properties that are not taken over."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self._properties: dict = {}

    # -- values -----------------------------------------------------------------

    def properties(self, node) -> dict:
        """The node's triples as {predicate: [objects]}: one look-up in the graph per node
        instead of one per property read (half the time of converting a page)."""
        found = self._properties.get(node)
        if found is None:
            found = self._properties[node] = {}
            for predicate, value in self.graph.predicate_objects(node):
                found.setdefault(predicate, []).append(value)
        return found

    def objects(self, subject, predicates) -> list:
        properties = self.properties(subject)
        predicates = predicates if isinstance(predicates, list | tuple) else [predicates]
        return [value for predicate in predicates for value in properties.get(predicate, ())]

    def values(self, subject, predicates) -> list[str]:
        """The URIs and literals of `subject`'s `predicates`, sorted, without duplicates."""
        found = {str(value).strip() for value in self.objects(subject, predicates) if not isinstance(value, BNode)}
        return sorted(value for value in found if value)

    def first(self, subject, predicates) -> str:
        values = self.values(subject, predicates)
        return values[0] if values else ""

    def text(self, subject, predicates) -> str:
        """The German literal, else one without a language, else any."""
        literals = [value for value in self.objects(subject, predicates) if isinstance(value, Literal)]
        ranked = sorted(literals, key=lambda value: ({"de": 0, None: 1}.get(value.language, 2), str(value)))
        return str(ranked[0]).strip() if ranked else ""

    def nodes(self, subject, predicate) -> list:
        """The resources `subject` refers to, in a stable order (blank nodes by their content)."""

        def key(node):
            if isinstance(node, BNode):
                properties = self.properties(node).items()
                return (1, sorted(f"{p} {o}" for p, objects in properties for o in objects if not isinstance(o, BNode)))
            return (0, [str(node)])

        return sorted((node for node in self.objects(subject, predicate) if not isinstance(node, Literal)), key=key)

    # -- the page ---------------------------------------------------------------

    def datasets(self) -> list:
        typed = set(self.graph.subjects(RDF.type, DCAT.Dataset))
        linked = {node for node in self.graph.objects(None, DCAT.dataset) if not isinstance(node, Literal)}
        return sorted(typed | linked, key=str)

    def packages(self) -> tuple[list[dict], list[tuple[str, str]]]:
        converted = [self.package(dataset) for dataset in self.datasets()]
        names = Counter(package["name"] for package, _unmapped in converted)
        notes = []
        for package, unmapped in converted:
            if names[package["name"]] > 1:
                # Two records of the page would get the same name: both get their id's digest.
                digest = hashlib.sha256(package["id"].encode()).hexdigest()[:8]
                package["name"] = f"{package['name'][: NAME_LENGTH - 9]}-{digest}"
            if unmapped:
                package[READER_NOTES] = [_("Nicht übernommen: %(properties)s.") % {"properties": ", ".join(unmapped)}]
        return [package for package, _unmapped in converted], notes

    # -- a dataset --------------------------------------------------------------

    def package(self, dataset) -> tuple[dict, list[str]]:
        used = set()
        uri = str(dataset) if isinstance(dataset, URIRef) else ""
        identifier = self.first(dataset, DCT.identifier)
        remote_id = uri if uri and len(uri) <= 100 else identifier if len(identifier) <= 100 else ""
        if not remote_id and (uri or identifier):
            remote_id = "sha256:" + hashlib.sha256((uri or identifier).encode()).hexdigest()
        title = " ".join(self.text(dataset, DCT.title).split())
        name = slug(last_segment(uri) if uri else "", NAME_LENGTH) or slug(last_segment(identifier), NAME_LENGTH)
        name = name or slug(title, NAME_LENGTH)

        contact = self.contact(dataset, used)
        creator = self.agent(next(iter(self.nodes(dataset, DCT.creator)), None))
        if not contact["name"] and not contact["email"] and any(creator):
            used.add(DCT.creator)
        resources = self.resources(dataset)
        extras = {
            "uri": uri,
            "identifier": identifier,
            "issued": self.first(dataset, DCT.issued),
            "frequency": self.first(dataset, DCT.accrualPeriodicity),
            "language": self.json_list(dataset, DCT.language),
            "theme": self.json_list(dataset, DCAT.theme),
            "politicalGeocodingURI": self.geocoding(dataset, used),
            "politicalGeocodingLevelURI": self.first(dataset, _dcatde("politicalGeocodingLevelURI")),
            "geocodingText": self.text(dataset, [DCATDE.geocodingDescription, *_dcatde("geocodingText")])
            or self.place_name(dataset, used),
            "contributorID": self.json_list(dataset, _dcatde("contributorID")),
            "spatial_resolution_in_meters": self.first(dataset, DCAT.spatialResolutionInMeters),
            # One category, as Stadtdaten's own CKAN API gives it (ckanext-dcat writes a JSON list).
            "hvd_category": self.first(dataset, DCATAP.hvdCategory),
            "applicable_legislation": self.json_list(dataset, DCATAP.applicableLegislation),
            "licenseAttributionByText": self.text(dataset, _dcatde("licenseAttributionByText"))
            or self.shared_attribution(resources),
            **self.temporal(dataset),
        }
        if self.values(dataset, DCT.accessRights) == [str(PUBLIC)]:
            used.add(DCT.accessRights)
        package = {
            "id": remote_id,
            "name": name,
            "title": title,
            "notes": self.text(dataset, DCT.description),
            "url": self.landing_page(dataset, uri),
            "metadata_modified": self.first(dataset, DCT.modified),
            "license_id": licence_of(self.values(dataset, DCT.license)) or self.shared_licence(resources),
            "maintainer": contact["name"],
            "maintainer_email": contact["email"],
            "author": creator[0],
            "author_email": creator[1],
            "organization": self.publisher(dataset),
            "tags": [{"name": keyword} for keyword in self.keywords(dataset)],
            "extras": [{"key": key, "value": value} for key, value in extras.items() if value],
            "resources": resources,
        }
        taken = {prefixed(str(predicate)) for predicate in MAPPED | used}
        unmapped = sorted({prefixed(str(predicate)) for predicate in self.properties(dataset)} - taken)
        return package, unmapped

    def json_list(self, subject, predicates) -> str:
        values = self.values(subject, predicates)
        return json.dumps(values) if values else ""

    def keywords(self, dataset) -> list[str]:
        literals = [value for value in self.objects(dataset, DCAT.keyword) if isinstance(value, Literal)]
        german = [value for value in literals if value.language in (None, "de")]
        return sorted({str(value).strip() for value in german or literals} - {""})

    def landing_page(self, dataset, uri: str) -> str:
        """dcat:landingPage, else the dataset's URI where it is an address; an empty one lets
        the Mapper name the source."""
        for candidate in (self.first(dataset, DCAT.landingPage), uri):
            if candidate and valid_url(candidate, max_length=200, web_only=True):
                return candidate
        return ""

    def agent(self, node) -> tuple[str, str]:
        """(name, e-mail) of a foaf:Agent."""
        if node is None:
            return "", ""
        return self.text(node, FOAF.name), email_of(self.first(node, FOAF.mbox))

    def publisher(self, dataset) -> dict | None:
        node = next(iter(self.nodes(dataset, DCT.publisher)), None)
        if node is None:
            # Some portals name the publisher as text.
            title = self.text(dataset, DCT.publisher)
            return {"name": slug(title, 100), "title": title} if slug(title, 100) else None
        title = self.text(node, FOAF.name)
        name = slug(title, 100) or (slug(last_segment(str(node)), 100) if isinstance(node, URIRef) else "")
        return {"name": name, "title": title or str(node)} if name else None

    def contact(self, dataset, used: set) -> dict:
        """dcat:contactPoint (vCard): the first that has an address, else the first; without
        one, DCAT-AP.de's dcatde:maintainer."""
        points = [
            (self.text(node, [VCARD.fn, VCARD["organization-name"]]), email_of(self.first(node, VCARD.hasEmail)))
            for node in self.nodes(dataset, DCAT.contactPoint)
        ]
        points.sort(key=lambda point: not point[1])
        if points:
            return {"name": points[0][0], "email": points[0][1]}
        for predicate in _dcatde("maintainer"):
            name, email = self.agent(next(iter(self.nodes(dataset, predicate)), None))
            if name or email:
                used.add(predicate)
                return {"name": name, "email": email}
        return {"name": "", "email": ""}

    def place_name(self, dataset, used: set) -> str:
        """The place in words: a dct:Location's locn:geographicName (GeoDCAT-AP, and what
        Stadtdaten writes) or its skos:prefLabel."""
        for node in self.objects(dataset, DCT.spatial):
            if not isinstance(node, URIRef):
                name = self.text(node, [LOCN.geographicName, SKOS.prefLabel])
                if name:
                    used.add(DCT.spatial)
                    return name
        return ""

    def geocoding(self, dataset, used: set) -> str:
        """DCAT-AP.de's political geocoding URIs, then those given as dct:spatial (as a URI or
        a dct:Location's locn:adminUnitL2), which DCAT-AP.de asks to mirror them."""
        uris = self.values(dataset, _dcatde("politicalGeocodingURI"))
        mirrored = []
        for node in self.objects(dataset, DCT.spatial):
            if isinstance(node, URIRef):
                candidates = [node]
            else:  # a dct:Location: its locn:adminUnitL2 (or whatever names the area)
                candidates = [value for values in self.properties(node).values() for value in values]
            mirrored += [str(value) for value in candidates if str(value).startswith(POLITICAL_GEOCODING)]
        if mirrored:
            used.add(DCT.spatial)
        uris += [uri for uri in sorted(set(mirrored)) if uri not in uris]
        return json.dumps(uris) if uris else ""

    def temporal(self, dataset) -> dict:
        """The time covered: dct:PeriodOfTime with dcat:startDate/endDate (DCAT-AP 2+) or
        schema:startDate/endDate (DCAT-AP.de 1.x); of several, the earliest start and the latest end."""
        starts, ends = [], []
        for period in self.objects(dataset, DCT.temporal):
            starts += [as_date(value) for value in self.values(period, [DCAT.startDate, SCHEMA.startDate])]
            ends += [as_date(value) for value in self.values(period, [DCAT.endDate, SCHEMA.endDate])]
        return {"temporal_start": min(starts, default=""), "temporal_end": max(ends, default="")}

    @staticmethod
    def shared_licence(resources: list[dict]) -> str:
        """DCAT-AP puts the licence on the distributions: where they all name the same, it is
        the dataset's (as ckanext-dcat takes it). Where they differ, the Mapper chooses and says so."""
        licences = {resource["license"] for resource in resources}
        return licences.pop() if len(licences) == 1 else ""

    @staticmethod
    def shared_attribution(resources: list[dict]) -> str:
        """DCAT-AP.de puts the attribution text on the distributions; the dataset takes the commonest."""
        texts = Counter(text for resource in resources if (text := resource.get("licenseAttributionByText")))
        return min(texts, key=lambda text: (-texts[text], text)) if texts else ""

    # -- distributions ------------------------------------------------------------

    def resources(self, dataset) -> list[dict]:
        resources, ids = [], Counter()
        for node in self.nodes(dataset, DCAT.distribution):
            resource = self.resource(node)
            if isinstance(node, BNode):
                # A blank node has no name of its own: its address is what stays the same.
                ids[resource["url"]] += 1
                number = ids[resource["url"]]
                resource["id"] = f"url:{resource['url']}" + (f"#{number}" if number > 1 else "")
            resources.append(resource)
        return resources

    def resource(self, node) -> dict:
        uri = str(node) if isinstance(node, URIRef) else ""
        resource = {
            "id": uri,
            "uri": uri,
            "url": self.first(node, DCAT.downloadURL) or self.first(node, DCAT.accessURL),
            "name": " ".join(self.text(node, DCT.title).split()),
            "description": self.text(node, DCT.description),
            "format": self.first(node, DCT.format),
            "mimetype": self.first(node, DCAT.mediaType),
            "license": licence_of(self.values(node, DCT.license)),
        }
        size = self.first(node, DCAT.byteSize)
        if re.fullmatch(r"\d+(\.0*)?", size):
            resource["size"] = int(size.split(".")[0])
        for checksum in self.nodes(node, SPDX.checksum):
            value = self.first(checksum, SPDX.checksumValue).lower()
            if self.first(checksum, SPDX.algorithm) in SHA256 and re.fullmatch(r"[0-9a-f]{64}", value):
                resource["hash"] = value
                resource["hash_algorithm"] = "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"
                break
        optional = {
            "licenseAttributionByText": self.text(node, _dcatde("licenseAttributionByText")),
            "issued": self.first(node, DCT.issued),
            "modified": self.first(node, DCT.modified),
            "applicable_legislation": self.json_list(node, DCATAP.applicableLegislation),
            "resource_type": "api" if self.objects(node, DCAT.accessService) else "",
        }
        resource.update({key: value for key, value in optional.items() if value})
        return resource
