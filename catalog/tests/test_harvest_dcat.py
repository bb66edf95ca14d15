"""Harvesting DCAT-AP(.de) catalogs (issue 23). Real records of German portals (GovData's
example catalog with Berlin, Rhineland-Palatinate and Hamburg records, a Rostock record, a
Bremen record, the DCAT-AP.de reference examples; fixtures/dcat/README.md names their
sources) are served by an http.server on 127.0.0.1 that the test starts, in RDF/XML, Turtle
and JSON-LD, on one page or paged with Hydra, and harvested through the real path: the run,
the DcatReader, the outbound guard and the Mapper. Where a test needs another serialisation
or a paged catalog, it makes it from the real files with rdflib (said at the test)."""

import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from django.test import override_settings
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, XSD

from catalog.harvest import client, service, sources
from catalog.models import Dataset, DatasetState, HarvestJob, HarvestRecord, HarvestStatus
from catalog.tests.ckan_fake import trusted_sources_on_loopback
from catalog.tests.test_harvest import counts, entries, run
from core.tests.local_http import send, serving

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "dcat"
DCAT = Namespace("http://www.w3.org/ns/dcat#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
TYPES = {".rdf": "application/rdf+xml; charset=utf-8", ".ttl": "text/turtle; charset=utf-8",
         ".jsonld": "application/ld+json"}  # fmt: skip
PARSERS = {".rdf": "xml", ".ttl": "turtle", ".jsonld": "json-ld"}
# Where GovData's example catalog says it lives (its Hydra page): its one relative IRI resolves there.
GOVDATA_CATALOG = "http://data.example-domain.de/catalog.rdf"

BERLIN = "63961baa-2fd0-40d4-9242-4a9640ff5f1e"
RLP = "0ee2fe79-fc37-400d-a8ca-4915b0295aec"
HAMBURG = "bd2d4fa6-e9ad-470d-888b-5eb1378d39e9"
GOVDATA_RECORDS = {
    "b5882a57-d142-4930-9290-b12bbb6e3f0c",
    BERLIN,
    RLP,
    "4ade8a03-2801-471a-8f7f-97c70265e7eb",
    HAMBURG,
    "3ca58f59-adfd-4ae7-a277-1707973fd755",
}
ROSTOCK = "c1be4007-d811-48fb-8818-2cb358b06a63"


# ---- A DCAT-AP endpoint on 127.0.0.1 ------------------------------------------------------------


@dataclass
class Portal:
    """The documents it serves by path (with query), and the requests it saw."""

    url: str = ""
    documents: dict = field(default_factory=dict)
    requests: list = field(default_factory=list)

    def put(self, path: str, body: bytes, content_type: str, *, status: int = 200) -> str:
        self.documents[path] = (status, content_type, body)
        return path

    def put_fixture(self, path: str, name: str, content_type: str | None = None) -> str:
        return self.put(path, (FIXTURES / name).read_bytes(), content_type or TYPES[Path(name).suffix])

    def paths(self) -> list[str]:
        return [request["path"] for request in self.requests]


@contextmanager
def dcat_portal():
    portal = Portal()

    def answer(handler, served):
        portal.requests.append({"path": handler.path, "headers": dict(handler.headers)})
        status, content_type, body = portal.documents.get(handler.path, (404, "text/plain", b"Nicht gefunden"))
        send(handler, status, body, {"Content-Type": content_type})

    with serving(answer) as served, override_settings(OUTBOUND_ALLOWED_HOSTS=[served.host_port]):
        portal.url = served.url
        yield portal


@pytest.fixture
def portal():
    with dcat_portal() as served:
        yield served


@pytest.fixture(autouse=True)
def bounds(settings):
    settings.HARVEST_PAGE_SIZE = 3
    settings.HARVEST_TIMEOUT = (2, 2)


@pytest.fixture
def source_for(portal, org_a, org_a_department, admin_a):
    """A DCAT source at a path of the portal. The organisation mapping names the publishers
    by the slug of their foaf:name (what an administrator sees at the source)."""
    org_a.email = "opendata@stadt-a.example"
    org_a.save()

    def make(path, *, trusted=False, mappings=None, **fields):
        return service.save_source(
            None,
            by=admin_a,
            fields={"name": f"DCAT {path}", "kind": "dcat", "url": portal.url + path, "default_organisation": org_a,
                    "responsible": admin_a, "trusted": trusted, **fields},
            mappings=list(mappings if mappings is not None else [
                ("datenportal-berlin", org_a_department),
                ("hanse-und-universitaetsstadt-rostock", org_a_department),
            ]),
        )  # fmt: skip

    return make


def graph_of(name: str, public_id: str | None = None) -> Graph:
    graph = Graph()
    graph.parse(FIXTURES / name, format=PARSERS[Path(name).suffix], publicID=public_id or f"http://fixtures/{name}")
    return graph


def read_packages(source) -> list[dict]:
    """What the reader makes of the source, through the same path as a run."""
    reader = sources.reader_for(source, page_size=3, deadline=client.job_deadline())
    return [package for page in reader.pages() for package in page.packages]


def extras(package: dict) -> dict:
    return {extra["key"]: extra["value"] for extra in package["extras"]}


def warnings_for(job: HarvestJob, name: str) -> list[str]:
    return [entry["reason"] for entry in job.report if entry["outcome"] == "warning" and entry["remote_name"] == name]


def distributions(dataset: Dataset) -> list[tuple]:
    return sorted((d.format, d.kind) for d in dataset.distributions.all())


def keywords(dataset: Dataset) -> set[str]:
    return {name.lower() for name in dataset.keywords.values_list("name", flat=True)}


# ---- Real catalogs, every record ------------------------------------------------------------------


def test_govdatas_example_catalog_in_rdf_xml_is_harvested_record_by_record(portal, source_for, org_a, org_a_department):
    source = source_for(portal.put_fixture("/catalog.rdf", "govdata_catalog_endpoint.rdf"))

    job = run(source)

    assert job.status == HarvestStatus.SUCCEEDED, job.message
    assert (job.total, job.processed) == (6, 6)
    assert counts(job) == {"created": 6, "updated": 0, "unchanged": 0, "removed": 0, "failed": 0}
    datasets = {dataset.name: dataset for dataset in Dataset.objects.all()}
    assert set(datasets) == GOVDATA_RECORDS  # the last segments of the dataset URIs
    assert {dataset.state for dataset in datasets.values()} == {DatasetState.DRAFT}
    [request] = portal.requests
    assert request["headers"]["Accept"].startswith("text/turtle, application/rdf+xml")
    assert request["headers"]["User-Agent"] == "Stadtdaten-Harvester/1.0"

    berlin = datasets[BERLIN]
    assert berlin.title == "Aktuelle Ausschreibungen nach VOL, VOB, VOF oder für Interessenbekundungsverfahren"
    assert berlin.publisher == org_a_department  # "Datenportal Berlin", mapped by its slug
    assert (berlin.licence, berlin.contact_name, berlin.contact_email) == (
        "cc-by", "Manuela Mädge", "manuela.maedge@lichtenberg.berlin.de"
    )  # fmt: skip
    assert berlin.landing_page == "http://www.berlin.de/ba-lichtenberg/wirtschaft/ausschreibung/"
    assert keywords(berlin) == {
        "ausschreibungen", "berlin", "bezirk", "fristen", "lichtenberg", "simplesearch", "vergaben",
        "veroffentlichungen", "vof", "vol", "wettbewerbe", "zuschlag",
    }  # fmt: skip
    assert distributions(berlin) == [
        ("CSV", "download"), ("HTML", "download"), ("JSON", "download"), ("OTHER", "download"),
        ("RSS", "download"), ("XLS", "download"), ("XML", "download"),
    ]  # fmt: skip
    assert any(
        "Format „jrss“ unbekannt; als „Sonstiges“ übernommen" in warning for warning in warnings_for(job, BERLIN)
    )
    assert "Nicht übernommen: dcatde:maintainer, dct:creator." in warnings_for(job, BERLIN)

    rlp = datasets[RLP]
    assert rlp.publisher == org_a  # "Datenportal Rheinland-Pfalz" is not mapped
    assert (rlp.contact_name, rlp.contact_email) == (
        "Statistisches Landesamt Rheinland-Pfalz",
        "poststelle@statistik.rlp.de",
    )
    assert sorted(rlp.themes.values_list("code", flat=True)) == ["EDUC", "SOCI", "TECH"]
    assert (rlp.temporal_start, rlp.temporal_end) == (date(2013, 7, 22), date(2013, 11, 23))
    assert rlp.spatial_label == "Boeblingen"
    assert distributions(rlp) == [("HTML", "download"), ("OTHER", "download"), ("WMS_SRVC", "service")]
    assert any("„Kartenviewer“" in warning for warning in warnings_for(job, RLP))

    hamburg = datasets[HAMBURG]
    assert hamburg.title == "Naturräume Geest und Marsch"
    assert (hamburg.licence, hamburg.attribution_text) == (
        "dl-by-de/2.0", "Freie und Hansestadt Hamburg, Behörde für Umwelt und Energie, 2015"
    )  # fmt: skip
    assert (hamburg.contact_name, hamburg.contact_email) == (
        "Herr Dr. Michael Schröder", "michael.schroeder@bue.hamburg.de"
    )  # fmt: skip
    assert (hamburg.geocoding_level, hamburg.municipality_key, hamburg.spatial_label) == (
        "state",
        "02000000",
        "Hamburg",
    )
    assert (hamburg.update_frequency, hamburg.language) == ("ANNUAL", "DEU")
    assert (hamburg.temporal_start, hamburg.temporal_end) == (date(2016, 1, 1), date(2016, 12, 31))
    assert list(hamburg.themes.values_list("code", flat=True)) == ["ENVI"]
    assert distributions(hamburg) == [("GML", "download"), ("ZIP", "download")]
    assert hamburg.landing_page == "https://www.govdata.de/web/guest/daten/-/details/naturraume-geest-und-marsch3"
    # What the record says and the catalog does not keep, one line for the record.
    assert (
        warnings_for(job, HAMBURG).count(
            "Nicht übernommen: adms:identifier, adms:sample, adms:versionNotes, dcatde:legalbasisText, "
            "dcatde:maintainer, dcatde:originator, dcatde:qualityProcessURI, dct:accessRights, dct:conformsTo, "
            "dct:hasVersion, dct:isVersionOf, dct:provenance, dct:relation, dct:source, foaf:page, owl:versionInfo."
        )
        == 1
    )

    # Distributions with different licences: the Mapper chooses one and says so.
    assert any(
        warning.startswith("Lizenz des Datensatzes fehlt an der Quelle; übernommen aus den Ressourcen")
        for warning in warnings_for(job, "4ade8a03-2801-471a-8f7f-97c70265e7eb")
    )
    assert not any(warning.startswith("Lizenz des Datensatzes fehlt") for warning in warnings_for(job, BERLIN))

    # A record without any contact: the publisher organisation's.
    untitled = datasets["b5882a57-d142-4930-9290-b12bbb6e3f0c"]
    assert (untitled.title, untitled.contact_email, untitled.licence) == ("Titel", org_a.email, "dl-by-de/2.0")
    # Its one resource has no format and an address without a file name: kept as „Sonstiges“, and reported.
    assert any("Ressource" in warning and "als „Sonstiges“ übernommen" in warning for warning in warnings_for(
        job, "b5882a57-d142-4930-9290-b12bbb6e3f0c"
    ))  # fmt: skip


def test_a_rostock_record_brings_the_dcat_ap_de_properties_stadtdaten_publishes(portal, source_for, org_a_department):
    source = source_for(portal.put_fixture("/hro.rdf", "rostock_dataset_gov_de.rdf"))

    [package] = read_packages(source)

    # The shape ckanext-dcat with GovData's dcatde profile gives a CKAN package.
    assert package["id"] == f"https://www.opendata-hro.de/dataset/{ROSTOCK}"
    assert package["name"] == ROSTOCK
    assert package["organization"] == {
        "name": "hanse-und-universitaetsstadt-rostock", "title": "Hanse- und Universitätsstadt Rostock"
    }  # fmt: skip
    assert package["metadata_modified"] == "2024-05-08T04:11:24.309486"
    # DCAT-AP names the licence at the distributions; all nine name the same: the dataset's.
    assert package["license_id"] == "http://dcat-ap.de/def/licenses/cc-zero"
    values = extras(package)
    assert values["hvd_category"] == "http://data.europa.eu/bna/c_e1da4e07"
    assert json.loads(values["applicable_legislation"]) == ["http://data.europa.eu/eli/reg_impl/2023/138/oj"]
    assert values["issued"] == "2020-04-21T11:59:39.642528"
    assert json.loads(values["contributorID"]) == ["http://dcat-ap.de/def/contributors/openDataHRO"]
    assert json.loads(values["politicalGeocodingURI"]) == [
        "http://dcat-ap.de/def/politicalGeocoding/regionalKey/130030000000"
    ]
    assert (
        values["politicalGeocodingLevelURI"] == "http://dcat-ap.de/def/politicalGeocoding/Level/administrativeDistrict"
    )
    assert values["geocodingText"] == "Rostock"
    assert json.loads(values["theme"]) == ["http://publications.europa.eu/resource/authority/data-theme/ECON"]
    assert values["uri"] == package["id"]
    assert values["identifier"] == ROSTOCK
    resources = {resource["id"].rsplit("/", 1)[-1]: resource for resource in package["resources"]}
    assert len(resources) == 9
    geojson = resources["8fccc5c3-a9cd-47bc-861d-8d32182c0729"]
    assert geojson == {
        "id": f"https://www.opendata-hro.de/dataset/{ROSTOCK}/resource/8fccc5c3-a9cd-47bc-861d-8d32182c0729",
        "uri": f"https://www.opendata-hro.de/dataset/{ROSTOCK}/resource/8fccc5c3-a9cd-47bc-861d-8d32182c0729",
        "url": "https://geo.sv.rostock.de/download/opendata/lieferservices/lieferservices.json",
        "name": "Liefer- und Abholservices (Gastronomie)",
        "description": "",
        "format": "http://publications.europa.eu/resource/authority/file-type/GEOJSON",
        "mimetype": "https://www.iana.org/assignments/media-types/application/geo+json",
        "license": "http://dcat-ap.de/def/licenses/cc-zero",
        "size": 147253,
        "hash": "1d5a3926327046c8fcd75652c6e44d3c74004c6727939f33fb05e16e324df241",
        "hash_algorithm": "http://spdx.org/rdf/terms#checksumAlgorithm_sha256",
        "issued": "2020-04-21T11:59:53",
        "modified": "2024-05-07T11:58:19",
        "applicable_legislation": '["http://data.europa.eu/eli/reg_impl/2023/138/oj"]',
    }
    assert (
        resources["339138d0-3ae9-4e79-8c7e-ab3ce8940bbb"]["url"]
        == "https://geo.sv.rostock.de/geodienste/lieferservices/wms"
    )

    job = run(source)

    assert counts(job)["created"] == 1, job.report
    rostock = Dataset.objects.get(name=ROSTOCK)
    assert rostock.publisher == org_a_department
    assert (rostock.licence, rostock.language, rostock.geocoding_level, rostock.municipality_key) == (
        "cc-zero", "DEU", "administrativeDistrict", "13003000"
    )  # fmt: skip
    assert (rostock.spatial_label, rostock.contact_email) == ("Rostock", "geodienste@rostock.de")
    assert distributions(rostock) == [
        ("CSV", "download"), ("GEOJSON", "download"), ("GML", "download"), ("KML", "download"),
        ("OTHER", "download"), ("OTHER", "download"), ("WFS_SRVC", "service"), ("WMS_SRVC", "service"),
        ("XLSX", "download"),
    ]  # fmt: skip
    # The two INSPIRE services without a format: kept as „Sonstiges“, a report line each.
    assert len([w for w in warnings_for(job, ROSTOCK) if "als „Sonstiges“ übernommen" in w]) == 2
    assert "Nicht übernommen: dcatde:maintainer, dct:conformsTo, dct:creator." in warnings_for(job, ROSTOCK)


def test_a_bremen_record_in_turtle_is_harvested_as_the_portal_wrote_it(portal, source_for, org_a, org_a_department):
    source = source_for(
        portal.put_fixture("/bremen.ttl", "bremen_dataset.ttl"),
        mappings=[("freie-und-hansestadt-bremen", org_a_department)],
    )

    job = run(source)

    assert counts(job)["created"] == 1, job.report
    bremen = Dataset.objects.get(name="bremen65-c-41494-de")
    assert bremen.title == "Die Sozialhilfe im Land Bremen Teil II"
    assert bremen.publisher == org_a_department  # the first of its two foaf:names
    # The portal wrote the address as a relative IRI (<info@…>): the address, not the resolved IRI.
    assert (bremen.contact_name, bremen.contact_email) == ("Statistisches Landesamt Bremen", "info@statistik.bremen.de")
    assert (bremen.municipality_key, bremen.update_frequency) == ("04011000", "ANNUAL")
    assert bremen.landing_page == "https://www.transparenz.bremen.de/de/datensatz/bremen65.c.41494.de"
    assert keywords(bremen) == {"sgb", "sozialgesetzbuch", "sozialhilfe", "wirtschaft"}
    # Literal access URLs are taken as addresses; of D2's two licences the one the catalog knows.
    assert distributions(bremen) == [("HTML", "download"), ("HTML", "download")]
    assert set(bremen.distributions.values_list("access_url", flat=True)) == {
        "http://www.statistik.bremen.de/sixcms/detail.php?id=11569"
    }
    assert bremen.licence in {"bsd", "other-closed"}
    assert "Nicht übernommen: dcatde:maintainer, dcatde:originator." in warnings_for(job, "bremen65-c-41494-de")


def test_the_dcat_ap_de_reference_example_in_json_ld_is_harvested(portal, source_for, org_a):
    source = source_for(portal.put_fixture("/catalog.jsonld", "govdata_dcat_ap_de_simple.jsonld"))

    job = run(source)

    assert counts(job)["created"] == 1, job.report
    name = "d4ce4e6e-ab89-44cb-bf5c-33a162c234de"
    hamburg = Dataset.objects.get(name=name)
    assert hamburg.title == "Badegewässer (Daten) Hamburg"
    assert (hamburg.publisher, hamburg.contact_name, hamburg.contact_email) == (
        org_a, "Meister, Thomas, Herr", "thomas.meister@example.com"
    )  # fmt: skip
    # The licence and attribution sit on the distribution (DCAT-AP.de): the dataset takes them.
    assert (hamburg.licence, hamburg.attribution_text) == (
        "dl-by-de/2.0", "Freie und Hansestadt Hamburg, Behoerde für Umwelt und Energie"
    )  # fmt: skip
    assert distributions(hamburg) == [("ZIP", "download")]
    # Every property of the record is mapped: no note.
    assert not [w for w in warnings_for(job, name) if w.startswith("Nicht übernommen")]


def test_records_whose_addresses_end_alike_get_names_of_their_own(portal, source_for):
    # GovData's tests publish the Hamburg record under a second address too
    # (ckanext-dcatde's metadata_max.rdf): one catalog that aggregates both.
    graph = graph_of("govdata_catalog_endpoint.rdf", GOVDATA_CATALOG)
    hamburg = URIRef(f"http://data.example-domain.de/dataset/{HAMBURG}")
    copy = URIRef(f"http://mtest6.gd.swe.seitenbau.net:5000/dataset/{HAMBURG}")
    for _subject, predicate, value in list(graph.triples((hamburg, None, None))):
        graph.add((copy, predicate, value))
    graph.add((graph.value(predicate=RDF.type, object=DCAT.Catalog), DCAT.dataset, copy))
    source = source_for(portal.put("/catalog.ttl", graph.serialize(format="turtle").encode(), "text/turtle"))

    job = run(source)
    again = run(source)

    assert counts(job)["created"] == 7, job.report
    names = sorted(Dataset.objects.filter(name__startswith=HAMBURG[:8]).values_list("name", flat=True))
    assert len(names) == 2
    assert all(re.fullmatch(rf"{HAMBURG[:61]}-[0-9a-f]{{8}}", name) for name in names)
    assert counts(again)["unchanged"] == 7  # the same names on every run


# ---- Serialisations -----------------------------------------------------------------------------------


def compact_json_ld(graph: Graph) -> dict:
    return json.loads(graph.serialize(format="json-ld", auto_compact=True))


def test_the_same_record_reads_the_same_in_rdf_xml_turtle_and_json_ld(portal, source_for):
    # The Rostock record as ckanext-dcat publishes it (RDF/XML), and converted with rdflib to
    # Turtle and compact JSON-LD; then under types that do not say the format: the address's
    # extension decides, and without one the reader tries the parsers.
    graph = graph_of("rostock_dataset_gov_de.rdf")
    turtle, json_ld = graph.serialize(format="turtle").encode(), json.dumps(compact_json_ld(graph)).encode()
    paths = [
        portal.put_fixture("/hro.rdf", "rostock_dataset_gov_de.rdf"),
        portal.put("/hro.ttl", turtle, "text/turtle"),
        portal.put("/hro.jsonld", json_ld, "application/ld+json"),
        portal.put("/download/hro.ttl", turtle, "application/octet-stream"),
        portal.put("/download/hro.jsonld", json_ld, "application/octet-stream"),
        portal.put("/katalog", (FIXTURES / "rostock_dataset_gov_de.rdf").read_bytes(), "text/plain"),
    ]

    packages = [read_packages(source_for(path)) for path in paths]

    assert len(packages[0]) == 1
    for other in packages[1:]:
        assert other == packages[0]


def test_a_json_ld_context_is_fetched_through_the_outbound_guard(portal, source_for):
    document = compact_json_ld(graph_of("rostock_dataset_gov_de.rdf"))
    portal.put("/context.jsonld", json.dumps({"@context": document["@context"]}).encode(), "application/ld+json")
    remote = {**document, "@context": f"{portal.url}/context.jsonld"}
    internal = {**document, "@context": "http://10.1.2.3/context.jsonld"}
    # A context that names itself: fetched once, then the run stops.
    portal.put("/loop.jsonld", json.dumps({"@context": "/loop.jsonld"}).encode(), "application/ld+json")
    looping = {**document, "@context": f"{portal.url}/loop.jsonld"}
    portal.put("/remote.jsonld", json.dumps(remote).encode(), "application/ld+json")
    portal.put("/internal.jsonld", json.dumps(internal).encode(), "application/ld+json")
    portal.put("/looping.jsonld", json.dumps(looping).encode(), "application/ld+json")

    job = run(source_for("/remote.jsonld"))
    refused = run(source_for("/internal.jsonld"))
    looped = run(source_for("/looping.jsonld"))

    assert counts(job)["created"] == 1, job.report
    assert portal.paths().count("/context.jsonld") == 1
    assert (refused.status, refused.message) == (
        HarvestStatus.FAILED, "Die Adresse zeigt in ein internes Netz und wird nicht abgerufen."
    )  # fmt: skip
    assert (looped.status, looped.message) == (
        HarvestStatus.FAILED, "Das JSON-LD der Quelle verweist auf mehr als 5 Kontexte."
    )  # fmt: skip
    assert portal.paths().count("/loop.jsonld") == 1


# ---- Runs: idempotent, removals, trusted, incremental -----------------------------------------------------


def test_a_second_run_over_the_same_catalog_changes_nothing(portal, source_for):
    source = source_for(portal.put_fixture("/catalog.rdf", "govdata_catalog_endpoint.rdf"))
    run(source)
    history = Dataset.history.count()

    job = run(source)

    assert counts(job) == {"created": 0, "updated": 0, "unchanged": 6, "removed": 0, "failed": 0}
    assert Dataset.history.count() == history


def catalog_document(graph: Graph, datasets, *, hydra=()) -> Graph:
    """A catalog document with some of `graph`'s datasets: the catalog's own triples, its
    links to these datasets and everything they refer to, and the given paging triples."""
    catalog = graph.value(predicate=RDF.type, object=DCAT.Catalog)
    stop = {*graph.subjects(RDF.type, DCAT.Dataset), catalog}
    page = Graph()
    for triple in graph.triples((catalog, None, None)):
        if triple[1] != DCAT.dataset:
            page.add(triple)
    for dataset in datasets:
        page.add((catalog, DCAT.dataset, dataset))
        todo, done = [dataset], set()
        while todo:
            node = todo.pop()
            if node in done:
                continue
            done.add(node)
            for triple in graph.triples((node, None, None)):
                page.add(triple)
                if triple[2] not in stop and (triple[2], None, None) in graph:
                    todo.append(triple[2])
    for triple in hydra:
        page.add(triple)
    return page


def govdata_datasets(graph: Graph) -> list:
    return sorted(graph.subjects(RDF.type, DCAT.Dataset))


def test_a_record_removed_from_the_catalog_is_marked_removed_on_a_complete_run(portal, source_for):
    graph = graph_of("govdata_catalog_endpoint.rdf", GOVDATA_CATALOG)
    source = source_for(portal.put("/catalog.ttl", graph.serialize(format="turtle").encode(), "text/turtle"))
    run(source)
    rest = [dataset for dataset in govdata_datasets(graph) if not str(dataset).endswith(HAMBURG)]
    portal.put("/catalog.ttl", catalog_document(graph, rest).serialize(format="turtle").encode(), "text/turtle")

    job = run(source)

    assert counts(job) == {"created": 0, "updated": 0, "unchanged": 5, "removed": 1, "failed": 0}
    assert entries(job, "removed") == {HAMBURG: "Als entfernt markiert; der Datensatz bleibt im Katalog."}
    assert HarvestRecord.objects.get(remote_name=HAMBURG).removed_at is not None


def test_an_incremental_start_of_a_dcat_source_runs_completely(
    portal, source_for, admin_a, django_capture_on_commit_callbacks
):
    graph = graph_of("govdata_catalog_endpoint.rdf", GOVDATA_CATALOG)
    source = source_for(portal.put("/catalog.ttl", graph.serialize(format="turtle").encode(), "text/turtle"))
    run(source)
    rest = [dataset for dataset in govdata_datasets(graph) if not str(dataset).endswith(HAMBURG)]
    portal.put("/catalog.ttl", catalog_document(graph, rest).serialize(format="turtle").encode(), "text/turtle")

    assert sources.supports_incremental("dcat") is False
    with django_capture_on_commit_callbacks(execute=True):
        job = service.start_harvest(source, by=admin_a, incremental=True)
    job.refresh_from_db()

    # A DCAT-AP catalog cannot be asked for changes only: it is read whole, so removals count.
    assert (job.incremental, job.since, job.status) == (False, None, HarvestStatus.SUCCEEDED)
    assert counts(job)["removed"] == 1


@pytest.fixture
def trusted_for(source_for, default_rules, monkeypatch):
    trusted_sources_on_loopback(monkeypatch)
    return lambda path: source_for(path, trusted=True)


def test_a_trusted_dcat_source_publishes_its_records(portal, trusted_for, admin_a):
    source = trusted_for(portal.put_fixture("/hro.rdf", "rostock_dataset_gov_de.rdf"))

    job = run(source, by=admin_a)

    assert counts(job)["created"] == 1, (job.message, job.report)
    rostock = Dataset.objects.get(name=ROSTOCK)
    assert rostock.state == DatasetState.PUBLISHED
    assert entries(job, "created")[ROSTOCK] == "Veröffentlicht."


# ---- Hydra paging --------------------------------------------------------------------------------------


def paged_catalog(portal, path: str, *, vocabulary: str, pages: int = 2, next_of_last: str | None = None):
    """GovData's example catalog split into pages of three, with Hydra paging as ckanext-dcat
    writes it (a hydra:PagedCollection, the links as literals in the deprecated *Page
    properties) or in Hydra Core's current form (the collection's hydra:view, a
    hydra:PartialCollectionView whose hydra:next is an IRI), served as Turtle."""
    graph = graph_of("govdata_catalog_endpoint.rdf", GOVDATA_CATALOG)
    datasets = govdata_datasets(graph)
    catalog = graph.value(predicate=RDF.type, object=DCAT.Catalog)
    urls = [f"{portal.url}{path}"] + [f"{portal.url}{path}?page={number}" for number in range(2, pages + 1)]
    for number, url in enumerate(urls):
        following = urls[number + 1] if number + 1 < len(urls) else next_of_last
        node = URIRef(url)
        total = Literal(len(datasets), datatype=XSD.integer)
        if vocabulary == "ckanext-dcat":
            hydra = [(node, RDF.type, HYDRA.PagedCollection), (node, HYDRA.totalItems, total),
                     (node, HYDRA.itemsPerPage, Literal(3, datatype=XSD.integer))]  # fmt: skip
            if following:
                hydra.append((node, HYDRA.nextPage, Literal(following)))
        else:
            hydra = [(catalog, HYDRA.totalItems, total), (catalog, HYDRA.view, node),
                     (node, RDF.type, HYDRA.PartialCollectionView)]  # fmt: skip
            if following:
                hydra.append((node, HYDRA.next, URIRef(following)))
        document = catalog_document(graph, datasets[3 * number : 3 * number + 3], hydra=hydra)
        portal.put(url.removeprefix(portal.url), document.serialize(format="turtle").encode(), "text/turtle")
    return urls


@pytest.mark.parametrize("vocabulary", ["ckanext-dcat", "hydra-core"])
def test_a_catalog_is_read_page_by_page_along_its_hydra_links(portal, source_for, vocabulary):
    paged_catalog(portal, "/catalog.ttl", vocabulary=vocabulary)
    source = source_for("/catalog.ttl")

    job = run(source)

    assert job.status == HarvestStatus.SUCCEEDED, job.message
    assert (job.total, job.processed, counts(job)["created"]) == (6, 6, 6)
    assert portal.paths() == ["/catalog.ttl", "/catalog.ttl?page=2"]
    assert set(Dataset.objects.values_list("name", flat=True)) == GOVDATA_RECORDS


def test_a_hydra_link_back_to_a_page_already_read_fails_the_run_and_marks_nothing_removed(portal, source_for):
    urls = paged_catalog(portal, "/catalog.ttl", vocabulary="hydra-core")
    source = source_for("/catalog.ttl")
    run(source)
    paged_catalog(portal, "/catalog.ttl", vocabulary="hydra-core", next_of_last=urls[0])

    job = run(source)

    assert job.status == HarvestStatus.FAILED
    assert job.message == (
        f"Die Quelle verweist beim Blättern auf eine Seite, die schon gelesen wurde ({urls[0]}); das Blättern "
        "funktioniert dort nicht."
    )
    assert portal.paths()[-2:] == ["/catalog.ttl", "/catalog.ttl?page=2"]
    assert not HarvestRecord.objects.filter(removed_at__isnull=False).exists()


def test_a_source_that_serves_the_same_page_again_under_another_address_fails_the_run(portal, source_for):
    paged_catalog(portal, "/catalog.ttl", vocabulary="ckanext-dcat")
    # Page 2 repeats page 1 (a server that ignores the page parameter).
    portal.documents["/catalog.ttl?page=2"] = portal.documents["/catalog.ttl"]

    job = run(source_for("/catalog.ttl"))

    assert job.status == HarvestStatus.FAILED
    assert job.message == "Die Quelle liefert zweimal dieselbe Seite; das Blättern funktioniert dort nicht."
    assert portal.paths() == ["/catalog.ttl", "/catalog.ttl?page=2"]


# ---- Sources that are no DCAT catalog ----------------------------------------------------------------


def test_a_web_page_instead_of_a_catalog_fails_the_run_in_words(portal, source_for):
    portal.put("/catalog", b"<!doctype html><title>Wartungsarbeiten</title><p>Bitte spaeter.", "text/html")

    job = run(source_for("/catalog"))

    assert (job.status, job.message) == (
        HarvestStatus.FAILED,
        "Die Adresse liefert eine Webseite (text/html), keinen DCAT-Katalog in RDF (Turtle, RDF/XML oder "
        "JSON-LD). Stimmt die Adresse des Katalogs?",
    )
    assert not Dataset.objects.exists()


def test_broken_turtle_fails_the_run_with_the_parsers_finding(portal, source_for):
    # The DCAT-AP.de 3.0 reference example as published: a missing ";" in line 34.
    source = source_for(portal.put_fixture("/catalog.ttl", "dcat_ap_de_3_dataset_und_distribution.ttl"))

    job = run(source)

    assert job.status == HarvestStatus.FAILED
    assert job.message.startswith("Die Quelle hat kein gültiges Turtle geliefert (")
    assert "line 34" in job.message
    assert not Dataset.objects.exists()


@pytest.mark.parametrize(
    ("path", "body", "content_type", "status", "message"),
    [
        ("/leer.ttl", b"@prefix foaf: <http://xmlns.com/foaf/0.1/> . <https://www.bremen.de> foaf:name \"Bremen\" .",
         "text/turtle", 200,
         "Die Adresse liefert RDF, aber keinen DCAT-Katalog: weder dcat:Catalog noch dcat:Dataset."),
        ("/daten", b"\x00\x01 kein RDF", "application/octet-stream", 200,
         "Die Quelle hat kein lesbares RDF geliefert (Inhaltstyp „application/octet-stream“); erwartet wird "
         "Turtle, RDF/XML oder JSON-LD."),
        ("/weg.rdf", b"Nicht gefunden", "text/plain", 404, "Die Quelle hat mit HTTP-Status 404 geantwortet ({url})."),
    ],
)  # fmt: skip
def test_an_answer_that_is_no_dcat_catalog_fails_the_run_in_words(
    portal, source_for, path, body, content_type, status, message
):
    portal.put(path, body, content_type, status=status)

    job = run(source_for(path))

    assert (job.status, job.message) == (HarvestStatus.FAILED, message.format(url=portal.url + path))
