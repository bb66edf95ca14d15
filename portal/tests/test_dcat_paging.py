"""Deep pages of the DCAT catalog (issue 12): /catalog.ttl?page=k finds the page's first
dataset in the index and reads on from there (keyset) instead of skipping k × 100 rows
with OFFSET. The pages must be exactly the pages OFFSET gave — also where many datasets
share one `modified` across a page boundary, and with modified_since — in a number of
queries that does not depend on the page."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rdflib import Graph, Namespace, URIRef

from catalog.models import Dataset, DatasetState
from portal import dcat

SITE = "http://127.0.0.1:8000"
DCAT = Namespace("http://www.w3.org/ns/dcat#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
START = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def catalog(org_a):
    """350 published datasets, 20 of them unpublished in between. `modified` comes in
    runs: every 7 datasets share one moment, so ties cross the page boundaries (100,
    200, 300), and the primary keys of a run are not in the order of the names."""
    datasets = Dataset.objects.bulk_create(
        Dataset(
            name=f"seite-{index:03}", title=f"Seite {index}", description="Zum Blättern.", publisher=org_a,
            contact_name="Amt", contact_email="amt@stadt-a.example",
            state=DatasetState.DRAFT if index % 19 == 5 else DatasetState.PUBLISHED,
        )
        for index in reversed(range(370))
    )  # fmt: skip
    for dataset in datasets:
        index = int(dataset.name.rsplit("-", 1)[1])
        Dataset.objects.filter(pk=dataset.pk).update(modified=START + timedelta(minutes=index // 7))
    return datasets


def offset_pages(modified_since=None) -> list[list[str]]:
    """The pages as OFFSET read them: the order (-modified, pk), 100 at a time."""
    datasets = Dataset.objects.published()
    if modified_since is not None:
        datasets = datasets.filter(modified__gte=modified_since)
    names = list(datasets.order_by("-modified", "pk").values_list("name", flat=True))
    return [names[start : start + 100] for start in range(0, len(names), 100)]


def names_on(response) -> list[str]:
    assert response.status_code == 200, response.content
    graph = Graph().parse(data=response.content, format="turtle")
    return sorted(str(uri).rsplit("/", 1)[1] for uri in graph.objects(URIRef(f"{SITE}/catalog"), DCAT.dataset))


def test_every_page_holds_exactly_the_datasets_offset_gave_across_ties(catalog):
    expected = offset_pages()
    assert [len(names) for names in expected] == [100, 100, 100, 50]
    for number, names in enumerate(expected, start=1):
        page = dcat.catalog_page(number=number)
        assert [row["name"] for row in page.datasets] == names, number
        assert (page.total, page.last) == (350, 4)
    assert dcat.catalog_page(number=5).datasets == []


def test_modified_since_pages_like_offset(catalog):
    since = START + timedelta(minutes=10)  # from index 70 on: 280 datasets, minus the unpublished
    expected = offset_pages(since)
    assert len(expected) == 3
    for number, names in enumerate(expected, start=1):
        page = dcat.catalog_page(number=number, modified_since=since)
        assert [row["name"] for row in page.datasets] == names, number
    assert dcat.catalog_page(number=4, modified_since=since).datasets == []


def test_the_pages_of_the_document_follow_the_hydra_links(client, catalog):
    seen, url = [], f"{SITE}/catalog.ttl?page=1"
    while url:
        response = client.get(url.removeprefix(SITE))
        seen += names_on(response)
        graph = Graph().parse(data=response.content, format="turtle")
        following = graph.value(URIRef(url), HYDRA.next)
        url = str(following) if following is not None else None
    assert sorted(seen) == sorted(name for page in offset_pages() for name in page)


@pytest.mark.parametrize("page", [1, 2, 4])
def test_a_deep_page_needs_the_queries_of_the_first(client, catalog, page, django_assert_num_queries):
    # count and newest change, the page's datasets (its first found in the index), their
    # keywords, themes and distributions, the organisations
    with django_assert_num_queries(6):
        assert client.get(f"/catalog.ttl?page={page}").status_code == 200


def test_a_page_beyond_the_last_reads_no_datasets(client, catalog, django_assert_num_queries):
    # the search for the page's first dataset (none), count and newest change, the organisations
    with django_assert_num_queries(3):
        assert names_on(client.get("/catalog.ttl?page=40")) == []


def test_only_the_index_columns_are_skipped_to_the_page(catalog):
    """The one query that skips entries (OFFSET) reads the index's columns alone; the
    page's rows are read from its first dataset on, without OFFSET."""
    with CaptureQueriesContext(connection) as context:
        dcat.catalog_page(number=3)
    datasets = [query["sql"] for query in context.captured_queries if '"catalog_dataset"' in query["sql"]]
    skipping = [sql for sql in datasets if "OFFSET" in sql]
    assert len(skipping) == 1
    assert skipping[0].startswith('SELECT "catalog_dataset"."modified" AS "modified", "catalog_dataset"."id" AS "pk",')
    assert '"description"' not in skipping[0]
    page_query = next(sql for sql in datasets if '"description"' in sql)
    assert "OFFSET" not in page_query
    assert page_query.endswith("LIMIT 100")
