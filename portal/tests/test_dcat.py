"""DCAT-AP.de endpoints: what a dataset's description says, that every format says the
same, content negotiation, the door (nothing unpublished), Hydra paging as in
ckanext-dcat, modified_since, fixed query counts, the streamed full export and the
export_dcat command. SHACL validation is in test_dcat_shacl.py."""

import io
import warnings
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from rdflib import RDF, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import graph_diff, to_isomorphic

from catalog import changes, services
from catalog.models import ChangeState, Dataset, DatasetChange, DatasetState, Distribution
from catalog.tabular_validation import check_distribution
from conftest import make_role_holder
from governance.models import Role
from portal import dcat, dcat_views

from .conftest import SECRET, Flow, fresh

pytestmark = pytest.mark.django_db

SITE = "http://127.0.0.1:8000"
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
DCATAP = Namespace("http://data.europa.eu/r5r/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
EU = "http://publications.europa.eu/resource/authority/"
RDF_FORMATS = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld"}
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def graph_of(response, fmt="ttl") -> Graph:
    with warnings.catch_warnings():
        # rdflib's own JSON-LD parser still uses its deprecated ConjunctiveGraph.
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        return Graph().parse(data=content(response), format=RDF_FORMATS.get(fmt, fmt))


def uri(name) -> URIRef:
    return URIRef(f"{SITE}/dataset/{name}")


def without_paging(graph: Graph) -> Graph:
    """The page URLs name the format, so the Hydra node differs between formats."""
    for node in list(graph.subjects(RDF.type, HYDRA.PagedCollection)):
        graph.remove((node, None, None))
    return graph


def same_triples(first: Graph, second: Graph) -> bool:
    _both, only_first, only_second = graph_diff(to_isomorphic(first), to_isomorphic(second))
    assert not list(only_first), list(only_first)[:5]
    assert not list(only_second), list(only_second)[:5]
    return True


@pytest.fixture
def flow_department(default_rules, org_a_department):
    return Flow(
        *(
            make_role_holder(f"{role}-umweltamt", role, org_a_department)
            for role in (Role.STEWARD, Role.OWNER, Role.LEGAL_REVIEWER)
        )
    )


@pytest.fixture
def rich(flow_department, org_a_department, org_a):
    """A published high-value dataset of a department, with every optional field set, a
    CSV file and an API, whose city (the parent) holds the DCAT-AP.de contributor ID."""
    flow_a = flow_department
    org_a.contributor_id = "http://dcat-ap.de/def/contributors/stadtJena"
    org_a.website = "https://www.stadt-a.example"
    org_a.save()
    dataset = flow_a.create(
        org_a_department, "haltestellen",
        title="Haltestellen des Stadtbusverkehrs",
        description='Alle Haltestellen mit "DHID" und Koordinaten.\nZweite Zeile mit Backslash \\ am Ende.',
        keywords=["ÖPNV", "Haltestellen"], themes=["TRAN", "REGI"],
        contact_url="https://www.stadt-a.example/kontakt", licence="cc-by/4.0", attribution_text="Stadt A, Tiefbauamt",
        municipality_key="16053000", temporal_start=date(2024, 1, 1), temporal_end=date(2024, 12, 31),
        update_frequency="MONTHLY", hvd_category="c_b79e35eb", landing_page="https://www.stadt-a.example/haltestellen",
        spatial_resolution_m="25.50",
    )  # fmt: skip
    services.add_distribution(
        dataset, by=flow_a.steward, title="Fahrplan-API", access_url="https://api.stadt-a.example/v1?a=1&b={x}",
        format="JSON", kind="api",
    )  # fmt: skip
    return flow_a.publish(fresh(dataset))


# ---------------------------------------------------------------------------
# What a dataset's description says


def test_a_dataset_is_described_in_dcat_ap_de(client, rich):
    response = client.get(reverse("portal:dataset_dcat", kwargs={"name": rich.name, "format": "ttl"}))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/turtle; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    g, ds = graph_of(response), uri(rich.name)

    assert (ds, RDF.type, DCAT.Dataset) in g
    assert g.value(ds, DCT.identifier) == Literal(str(rich.identifier))
    assert g.value(ds, DCT.title) == Literal("Haltestellen des Stadtbusverkehrs", lang="de")
    assert g.value(ds, DCT.description) == Literal(rich.description, lang="de")
    assert set(g.objects(ds, DCAT.keyword)) == {Literal("ÖPNV", lang="de"), Literal("Haltestellen", lang="de")}
    assert set(g.objects(ds, DCAT.theme)) == {URIRef(EU + "data-theme/TRAN"), URIRef(EU + "data-theme/REGI")}
    assert g.value(ds, DCT.spatial) == URIRef("http://dcat-ap.de/def/politicalGeocoding/municipalityKey/16053000")
    assert g.value(ds, DCATDE.politicalGeocodingLevelURI) == URIRef(
        "http://dcat-ap.de/def/politicalGeocoding/Level/municipality"
    )
    period = g.value(ds, DCT.temporal)
    assert g.value(period, DCAT.startDate) == Literal("2024-01-01", datatype=XSD.date)
    assert g.value(period, DCAT.endDate) == Literal("2024-12-31", datatype=XSD.date)
    assert g.value(ds, DCT.accrualPeriodicity) == URIRef(EU + "frequency/MONTHLY")
    assert g.value(ds, DCT.language) == URIRef(EU + "language/DEU")
    assert g.value(ds, DCT.accessRights) == URIRef(EU + "access-right/PUBLIC")
    assert g.value(ds, DCT.issued).toPython() == rich.issued
    assert g.value(ds, DCT.modified).toPython() == rich.modified
    assert g.value(ds, DCAT.landingPage) == URIRef("https://www.stadt-a.example/haltestellen")
    assert g.value(ds, DCAT.spatialResolutionInMeters) == Literal("25.50", datatype=XSD.decimal)

    publisher = g.value(ds, DCT.publisher)
    assert (publisher, RDF.type, FOAF.Agent) in g
    assert g.value(publisher, FOAF.name) == Literal("Stadt A – Umweltamt")
    assert g.value(publisher, DCT.type) == URIRef("http://purl.org/adms/publishertype/LocalAuthority")
    contact = g.value(ds, DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Kind) in g
    assert g.value(contact, VCARD.fn) == Literal(rich.contact_name)
    assert g.value(contact, VCARD.hasEmail) == URIRef(f"mailto:{rich.contact_email}")
    assert g.value(contact, VCARD.hasURL) == URIRef("https://www.stadt-a.example/kontakt")

    record = URIRef(f"{ds}#record")
    assert g.value(record, FOAF.primaryTopic) == ds
    assert g.value(record, DCT.modified).toPython() == rich.modified


def test_distributions_carry_download_urls_formats_checksums_and_the_licence(client, rich):
    g = graph_of(client.get(f"/dataset/{rich.name}.ttl"))
    upload = rich.distributions.get(kind="download")
    node = URIRef(f"{uri(rich.name)}#distribution-{upload.identifier}")
    assert node in set(g.objects(uri(rich.name), DCAT.distribution))
    download = URIRef(SITE + reverse("portal:download", args=[rich.name, upload.identifier]))
    assert g.value(node, DCAT.accessURL) == download
    assert g.value(node, DCAT.downloadURL) == download
    assert g.value(node, DCT.title) == Literal(upload.title, lang="de")
    assert g.value(node, DCT["format"]) == URIRef(EU + "file-type/CSV")
    assert g.value(node, DCAT.mediaType) == URIRef("https://www.iana.org/assignments/media-types/text/csv")
    assert g.value(node, DCAT.byteSize) == Literal(str(upload.byte_size), datatype=XSD.nonNegativeInteger)
    checksum = g.value(node, SPDX.checksum)
    assert g.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
    assert str(g.value(checksum, SPDX.checksumValue)).lower() == upload.checksum_sha256
    assert g.value(node, DCT.license) == URIRef("http://dcat-ap.de/def/licenses/cc-by/4.0")
    assert g.value(node, DCATDE.licenseAttributionByText) == Literal("Stadt A, Tiefbauamt", lang="de")
    assert g.value(node, DCT.modified).toPython() == upload.modified


def test_a_distribution_of_its_own_licence_says_so(client, rich):
    upload = rich.distributions.get(kind="download")
    Distribution.objects.filter(pk=upload.pk).update(licence="dl-zero-de/2.0")
    g = graph_of(client.get(f"/dataset/{rich.name}.ttl"))
    node = URIRef(f"{uri(rich.name)}#distribution-{upload.identifier}")
    assert g.value(node, DCT.license) == URIRef("http://dcat-ap.de/def/licenses/dl-zero-de/2.0")


def test_a_high_value_dataset_names_the_regulation_and_its_api_is_a_data_service(client, rich):
    g, ds = graph_of(client.get(f"/dataset/{rich.name}.ttl")), uri(rich.name)
    legislation = URIRef("http://data.europa.eu/eli/reg_impl/2023/138/oj")
    mobility = URIRef("http://data.europa.eu/bna/c_b79e35eb")
    assert g.value(ds, DCATAP.applicableLegislation) == legislation
    assert g.value(ds, DCATAP.hvdCategory) == mobility
    for node in g.objects(ds, DCAT.distribution):
        assert g.value(node, DCATAP.applicableLegislation) == legislation
    api = rich.distributions.get(kind="api")
    node = URIRef(f"{ds}#distribution-{api.identifier}")
    # URLField lets "{" and "}" through; an IRI may not contain them.
    endpoint = URIRef("https://api.stadt-a.example/v1?a=1&b=%7Bx%7D")
    assert g.value(node, DCAT.accessURL) == endpoint
    assert g.value(node, DCAT.downloadURL) is None
    service = g.value(node, DCAT.accessService)
    assert (service, RDF.type, DCAT.DataService) in g
    assert g.value(service, DCAT.endpointURL) == endpoint
    assert g.value(service, DCAT.servesDataset) == ds
    assert g.value(service, DCATAP.hvdCategory) == mobility
    assert g.value(service, DCATAP.applicableLegislation) == legislation
    assert g.value(service, DCAT.contactPoint) == g.value(ds, DCAT.contactPoint)


def test_a_dataset_that_is_not_high_value_names_no_regulation(client, published):
    g = graph_of(client.get(f"/dataset/{published.name}.ttl"))
    assert not list(g.triples((None, DCATAP.applicableLegislation, None)))
    assert not list(g.triples((None, DCATAP.hvdCategory, None)))


def test_the_contributor_id_is_the_organisations_own_else_the_nearest_parents(client, rich, org_a_department):
    ds = uri(rich.name)
    g = graph_of(client.get(f"/dataset/{rich.name}.ttl"))
    assert list(g.objects(ds, DCATDE.contributorID)) == [URIRef("http://dcat-ap.de/def/contributors/stadtJena")]
    org_a_department.contributor_id = "http://dcat-ap.de/def/contributors/openDataHRO"
    org_a_department.save()
    g = graph_of(client.get(f"/dataset/{rich.name}.ttl"))
    assert list(g.objects(ds, DCATDE.contributorID)) == [URIRef("http://dcat-ap.de/def/contributors/openDataHRO")]


def test_without_any_contributor_id_up_the_tree_there_is_none(client, published):
    g = graph_of(client.get(f"/dataset/{published.name}.ttl"))
    assert not list(g.objects(uri(published.name), DCATDE.contributorID))


def test_text_with_quotes_backslashes_line_breaks_and_control_characters_survives_every_format(client, published):
    description = 'Er sagte "Bäume" \\ und ging.\r\nNeue Zeile\tmit Tab und Steuerzeichen\x0b\x1f.'
    Dataset.objects.filter(pk=published.pk).update(description=description)
    expected = Literal(description.replace("\x0b", "").replace("\x1f", ""), lang="de")
    for fmt in ("ttl", "rdf", "jsonld"):
        g = graph_of(client.get(f"/dataset/{published.name}.{fmt}"), fmt)
        assert g.value(uri(published.name), DCT.description) == expected, fmt
    for fmt in ("ttl", "nt"):
        g = Graph().parse(data=b"".join(dcat.stream_catalog(SITE, fmt)), format="turtle" if fmt == "ttl" else "nt")
        assert g.value(uri(published.name), DCT.description) == expected, fmt


def test_the_catalog_describes_itself_and_lists_its_datasets_with_records(client, published, flow_a, org_a):
    second = flow_a.publish(flow_a.create(org_a, "spielplaetze", title="Spielplätze"))
    g = graph_of(client.get("/catalog.ttl"))
    catalog = URIRef(f"{SITE}/catalog")
    assert (catalog, RDF.type, DCAT.Catalog) in g
    assert g.value(catalog, DCT.title) == Literal("Offene Daten des Stadtverbunds", lang="de")
    assert g.value(catalog, DCT.description).language == "de"
    assert g.value(catalog, DCT.language) == URIRef(EU + "language/DEU")
    assert g.value(catalog, FOAF.homepage) == URIRef(f"{SITE}/")
    assert g.value(catalog, DCAT.themeTaxonomy) == URIRef(EU + "data-theme")
    assert g.value(catalog, DCT.modified).toPython() == fresh(second).modified
    # The only organisation at the top of the network publishes the catalog.
    assert g.value(g.value(catalog, DCT.publisher), FOAF.name) == Literal("Stadt A")
    assert set(g.objects(catalog, DCAT.dataset)) == {uri(published.name), uri(second.name)}
    assert set(g.objects(catalog, DCAT.record)) == {URIRef(f"{uri(n)}#record") for n in (published.name, second.name)}


def test_the_catalog_publisher_is_configurable_and_otherwise_the_portal_for_several_cities(
    client, settings, published, org_b
):
    catalog = URIRef(f"{SITE}/catalog")
    # Two cities at the top of the network: the portal publishes.
    g = graph_of(client.get("/catalog.ttl"))
    publisher = g.value(catalog, DCT.publisher)
    assert isinstance(publisher, BNode)
    assert g.value(publisher, FOAF.name) == Literal(settings.SITE_NAME)
    assert g.value(publisher, FOAF.homepage) == URIRef(f"{SITE}/")
    settings.DCAT_CATALOG_PUBLISHER = "stadt-b"
    g = graph_of(client.get("/catalog.ttl"))
    assert g.value(g.value(catalog, DCT.publisher), FOAF.name) == Literal("Stadt B")


# ---------------------------------------------------------------------------
# Formats


def test_every_format_of_a_dataset_says_the_same(client, rich):
    graphs = {fmt: graph_of(client.get(f"/dataset/{rich.name}.{fmt}"), fmt) for fmt in RDF_FORMATS}
    assert len(graphs["ttl"]) > 80
    assert same_triples(graphs["ttl"], graphs["rdf"])
    assert same_triples(graphs["ttl"], graphs["jsonld"])


def test_every_format_of_the_catalog_and_the_full_export_say_the_same(client, rich, published):
    page = {}
    for fmt, content_type in (
        ("ttl", "text/turtle; charset=utf-8"),
        ("rdf", "application/rdf+xml; charset=utf-8"),
        ("jsonld", "application/ld+json"),
    ):
        response = client.get(f"/catalog.{fmt}")
        assert response["Content-Type"] == content_type
        page[fmt] = without_paging(graph_of(response, fmt))
    assert same_triples(page["ttl"], page["rdf"])
    assert same_triples(page["ttl"], page["jsonld"])
    for fmt, rdflib_format in (("ttl", "turtle"), ("nt", "nt")):
        response = client.get(reverse("portal:catalog_export", kwargs={"format": fmt}))
        assert response.streaming
        assert same_triples(page["ttl"], graph_of(response, rdflib_format))


def test_unknown_formats_are_not_found(client, published):
    assert client.get(f"/dataset/{published.name}.xls").status_code == 404
    assert client.get("/catalog.csv").status_code == 404
    assert client.get("/catalog/all.rdf").status_code == 404


# ---------------------------------------------------------------------------
# Content negotiation


@pytest.mark.parametrize(
    ("accept", "rdflib_format", "content_type"),
    [
        ("text/turtle", "turtle", "text/turtle; charset=utf-8"),
        ("application/rdf+xml", "xml", "application/rdf+xml; charset=utf-8"),
        ("application/ld+json", "json-ld", "application/ld+json"),
        ("application/ld+json;q=0.5, text/turtle", "turtle", "text/turtle; charset=utf-8"),
    ],
)
def test_the_dataset_uri_and_page_answer_rdf_to_rdf_clients(client, published, accept, rdflib_format, content_type):
    for url in (f"/dataset/{published.name}", reverse("portal:dataset_detail", args=[published.name])):
        response = client.get(url, HTTP_ACCEPT=accept)
        assert response.status_code == 200, url
        assert response["Content-Type"] == content_type
        assert "Accept" in response["Vary"]
        assert response["Access-Control-Allow-Origin"] == "*"
        assert (uri(published.name), RDF.type, DCAT.Dataset) in graph_of(response, rdflib_format)


@pytest.mark.parametrize("accept", [BROWSER_ACCEPT, "", "*/*", "text/html;q=0.9, text/turtle;q=0.8"])
def test_browsers_are_sent_from_the_dataset_uri_to_the_portal_page(client, published, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.get(f"/dataset/{published.name}", **headers)
    assert response.status_code == 303
    assert response["Location"] == reverse("portal:dataset_detail", args=[published.name])
    assert "Accept" in response["Vary"]
    page = client.get(response["Location"], **headers)
    assert page["Content-Type"].startswith("text/html")
    assert "Accept" in page["Vary"]


def test_the_catalog_uri_negotiates_too(client, published):
    response = client.get("/catalog", HTTP_ACCEPT="text/turtle")
    assert response["Content-Type"] == "text/turtle; charset=utf-8"
    assert "Accept" in response["Vary"]
    assert uri(published.name) in set(graph_of(response).objects(URIRef(f"{SITE}/catalog"), DCAT.dataset))
    response = client.get("/catalog", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert (response.status_code, response["Location"]) == (303, reverse("portal:home"))


def test_portal_pages_point_rdf_clients_to_the_dcat_documents(client, published):
    page = client.get(reverse("portal:dataset_detail", args=[published.name])).content.decode()
    for fmt, media_type in (("ttl", "text/turtle"), ("rdf", "application/rdf+xml"), ("jsonld", "application/ld+json")):
        href = reverse("portal:dataset_dcat", kwargs={"name": published.name, "format": fmt})
        assert f'<link rel="alternate" type="{media_type}" href="{href}"' in page
        assert f'href="{href}">DCAT-AP.de' in page  # the visible link under "Maschinenlesbare Metadaten"
    for url in (reverse("portal:home"), reverse("portal:search")):
        assert '<link rel="alternate" type="text/turtle" href="/catalog.ttl"' in client.get(url).content.decode()


# ---------------------------------------------------------------------------
# The door


def test_nothing_unpublished_is_reachable_through_any_dcat_endpoint(client, published, unpublished):
    for state, dataset in unpublished.items():
        for url in [f"/dataset/{dataset.name}.{fmt}" for fmt in RDF_FORMATS] + [f"/dataset/{dataset.name}"]:
            assert client.get(url).status_code == 404, (state, url)
            assert client.get(url, HTTP_ACCEPT="text/turtle").status_code == 404, (state, url)
        detail = reverse("portal:dataset_detail", args=[dataset.name])
        assert client.get(detail, HTTP_ACCEPT="text/turtle").status_code == 404, state
    assert client.get("/dataset/gibt-es-nicht.ttl").status_code == 404
    catalogs = [client.get(f"/catalog.{fmt}") for fmt in RDF_FORMATS]
    catalogs += [client.get(f"/catalog/all.{fmt}") for fmt in ("ttl", "nt")]
    for response in catalogs:
        text = content(response).decode()
        assert published.name in text
        assert SECRET not in text
        for dataset in unpublished.values():
            assert f"/dataset/{dataset.name}" not in text


# ---------------------------------------------------------------------------
# Paging (Hydra, as ckanext-dcat) and modified_since


def bulk_publish(organisation, count, *, start=None):
    """Published datasets straight into the table, for paging: the workflow is tested
    elsewhere, and hundreds of them through it would take minutes."""
    start = start or datetime(2025, 1, 1, tzinfo=UTC)
    Dataset.objects.bulk_create(
        Dataset(
            name=f"reihe-{index:03}", title=f"Reihe {index}", description="Zum Blättern.", publisher=organisation,
            contact_name="Amt", contact_email="amt@stadt-a.example", state=DatasetState.PUBLISHED, issued=start,
        )
        for index in range(count)
    )  # fmt: skip
    # One minute apart, the first the oldest (auto_now sets `modified` on insert).
    for index, dataset in enumerate(Dataset.objects.filter(name__startswith="reihe-").order_by("name")):
        Dataset.objects.filter(pk=dataset.pk).update(modified=start + timedelta(minutes=index))


def paging(response) -> dict:
    g = graph_of(response)
    (node,) = g.subjects(RDF.type, HYDRA.PagedCollection)
    result = {"page": str(node)}
    for name in ("totalItems", "itemsPerPage", "first", "last", "next", "previous"):
        value = g.value(node, HYDRA[name])
        result[name] = value.toPython() if value is not None else None
        if name in ("first", "last", "next", "previous"):
            # The deprecated names say the same (both are written, as ckanext-dcat does).
            assert g.value(node, HYDRA[f"{name}Page"]) == value, name
    result["datasets"] = sorted(str(o).rsplit("/", 1)[1] for o in g.objects(URIRef(f"{SITE}/catalog"), DCAT.dataset))
    return result


def test_the_catalog_pages_by_100_newest_change_first_with_hydra_links(client, org_a):
    bulk_publish(org_a, 205)
    first = paging(client.get("/catalog.ttl"))
    link = f"{SITE}/catalog.ttl?page="
    assert first == {
        "page": link + "1", "totalItems": 205, "itemsPerPage": 100, "first": link + "1", "last": link + "3",
        "next": link + "2", "previous": None, "datasets": [f"reihe-{index:03}" for index in range(105, 205)],
    }  # fmt: skip
    second = paging(client.get("/catalog.ttl?page=2"))
    assert (second["previous"], second["next"]) == (link + "1", link + "3")
    assert second["datasets"] == [f"reihe-{index:03}" for index in range(5, 105)]
    last = paging(client.get("/catalog.ttl?page=3"))
    assert (last["previous"], last["next"], last["datasets"]) == (link + "2", None, [f"reihe-{i:03}" for i in range(5)])
    # Beyond the end: an empty page whose "previous" leads back to the last one (ckanext-dcat).
    beyond = paging(client.get("/catalog.ttl?page=7"))
    assert (beyond["datasets"], beyond["previous"], beyond["next"]) == ([], link + "3", None)


def test_datasets_changed_at_the_same_moment_keep_a_stable_order_across_pages(client, org_a):
    bulk_publish(org_a, 150)
    Dataset.objects.update(modified=datetime(2025, 5, 1, tzinfo=UTC))
    names = paging(client.get("/catalog.ttl"))["datasets"] + paging(client.get("/catalog.ttl?page=2"))["datasets"]
    assert sorted(names) == [f"reihe-{index:03}" for index in range(150)]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "²"])
def test_a_page_that_is_not_a_whole_number_from_1_is_a_bad_request(client, published, page):
    response = client.get(f"/catalog.ttl?page={page}")
    assert response.status_code == 400
    assert "page" in response.content.decode()


def test_an_empty_catalog_has_no_paging_node_as_in_ckanext_dcat(client, db):
    g = graph_of(client.get("/catalog.ttl"))
    assert (URIRef(f"{SITE}/catalog"), RDF.type, DCAT.Catalog) in g
    assert not list(g.subjects(RDF.type, HYDRA.PagedCollection))


def test_modified_since_keeps_only_datasets_changed_since_then_and_stays_in_the_links(client, org_a):
    bulk_publish(org_a, 130)  # modified 2025-01-01 00:00 … 02:09 (UTC), a minute apart
    response = client.get("/catalog.ttl?modified_since=2025-01-01T01:00:00Z")
    result = paging(response)
    assert result["totalItems"] == 70
    assert result["datasets"] == [f"reihe-{index:03}" for index in range(60, 130)]
    assert result["first"] == f"{SITE}/catalog.ttl?modified_since=2025-01-01T01%3A00%3A00Z&page=1"
    # A zone offset (its "+" often arrives unencoded, as a space), a naive time (UTC), a date.
    for since, count in (
        ("2025-01-01T02:00:00+01:00", 70),
        ("2025-01-01T02:00:00 01:00", 70),
        ("2025-01-01T02:00:00", 10),
        ("2025-01-02", 0),
        ("2024-12-31", 130),
    ):
        g = graph_of(client.get("/catalog.ttl", {"modified_since": since}))
        assert sum(int(total) for total in g.objects(None, HYDRA.totalItems)) == count, since


@pytest.mark.parametrize("since", ["gestern", "2025-13-01", "2025-01-01T25:00"])
def test_an_unreadable_modified_since_is_a_bad_request(client, published, since):
    response = client.get("/catalog.ttl", {"modified_since": since})
    assert response.status_code == 400
    assert "modified_since" in response.content.decode()


def test_a_catalog_page_needs_a_fixed_number_of_queries(client, org_a, rich, django_assert_num_queries):
    def run(url):
        # count and newest change, the page's datasets, their keywords, themes and distributions,
        # the organisations
        with django_assert_num_queries(6):
            assert client.get(url).status_code == 200

    run("/catalog.ttl")
    bulk_publish(org_a, 150)
    run("/catalog.rdf")
    run("/catalog.jsonld?page=2")


def test_a_dataset_document_needs_a_fixed_number_of_queries(client, rich, django_assert_num_queries):
    # the dataset, its keywords, themes and distributions, the organisations
    with django_assert_num_queries(5):
        assert client.get(f"/dataset/{rich.name}.ttl").status_code == 200


# ---------------------------------------------------------------------------
# The full export


def test_the_full_export_is_written_piece_by_piece_in_a_fixed_number_of_queries(
    org_a, published, django_assert_num_queries
):
    bulk_publish(org_a, 9)
    pieces = dcat.stream_catalog(SITE, "nt", chunk_size=4)
    assert iter(pieces) is pieces  # a generator: nothing read before it is asked for
    # newest change; organisations; per piece of 4 datasets (10 in all) the datasets, keywords,
    # themes, distributions; the query that finds no more
    with django_assert_num_queries(2 + 3 * 4 + 1):
        chunks = list(pieces)
    assert len(chunks) == 1 + 3  # the catalog, then three pieces
    g = Graph().parse(data=b"".join(chunks), format="nt")
    assert len(set(g.objects(URIRef(f"{SITE}/catalog"), DCAT.dataset))) == 10
    assert len(set(g.subjects(RDF.type, DCAT.Dataset))) == 10
    # Shared resources are described once per document, not once per piece.
    organisation = next(g.objects(uri(published.name), DCT.publisher))
    assert len(list(g.triples((organisation, FOAF.name, None)))) == 1
    turtle = b"".join(dcat.stream_catalog(SITE, "ttl", chunk_size=4))
    assert turtle.count(b"@prefix dcat:") == 1
    assert same_triples(g, Graph().parse(data=turtle, format="turtle"))


def test_the_full_export_url_streams_and_is_rate_limited(client, published, monkeypatch):
    monkeypatch.setattr(dcat_views, "EXPORT_LIMIT", (2, 3600))
    for _ in range(2):
        response = client.get("/catalog/all.ttl")
        assert response.status_code == 200
        assert response.streaming
        assert response["Content-Type"] == "text/turtle; charset=utf-8"
        assert response["Access-Control-Allow-Origin"] == "*"
        assert (uri(published.name), RDF.type, DCAT.Dataset) in graph_of(response)
    response = client.get("/catalog/all.nt")
    assert response.status_code == 429
    assert "Zu viele Abrufe" in response.content.decode()


def test_export_dcat_writes_the_catalog_to_a_file_with_the_given_base_url(published, tmp_path):
    target = tmp_path / "katalog.nt"
    err = io.StringIO()
    call_command(
        "export_dcat", "--format", "nt", "--output", str(target), "--base-url", "https://daten.example.de/", stderr=err
    )
    g = Graph().parse(target, format="nt")
    assert (URIRef(f"https://daten.example.de/dataset/{published.name}"), RDF.type, DCAT.Dataset) in g
    assert not (tmp_path / "katalog.nt.partial").exists()
    assert "katalog.nt" in err.getvalue()


def test_export_dcat_writes_turtle_to_standard_output(published):
    out = io.StringIO()
    call_command("export_dcat", stdout=out, stderr=io.StringIO())
    g = Graph().parse(data=out.getvalue(), format="turtle")
    assert (uri(published.name), RDF.type, DCAT.Dataset) in g


def test_export_dcat_refuses_a_base_url_that_is_not_one(published):
    with pytest.raises(CommandError, match="base-url"):
        call_command("export_dcat", "--base-url", "daten.example.de", stdout=io.StringIO())


def test_an_uploaded_file_added_after_publication_is_issued_when_it_was_added(client, rich, flow_department):
    dataset = fresh(rich)
    Dataset.objects.filter(pk=dataset.pk).update(issued=dataset.issued - timedelta(days=30))
    later = services.add_distribution(
        fresh(rich), by=flow_department.steward, title="Nachtrag", upload=SimpleUploadedFile("n.csv", b"a;b\r\n1;2\r\n")
    )
    # Added to a published dataset, the file is a pending change until owner and legal approve it.
    change = DatasetChange.objects.get(dataset=rich, state=ChangeState.OPEN)
    check_distribution(later.pk)
    for action, person in (("submit_change", flow_department.steward), ("sign_off_change", flow_department.owner),
                           ("approve_change", flow_department.legal)):  # fmt: skip
        change.refresh_from_db()
        changes.perform(action, change, by=person, data={"expected_version": change.version})
    g = graph_of(client.get(f"/dataset/{rich.name}.ttl"))
    node = URIRef(f"{uri(rich.name)}#distribution-{later.identifier}")
    assert g.value(node, DCT.issued).toPython() == later.created
