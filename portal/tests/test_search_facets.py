"""The portal search answers from its search documents in one statement (issue 12):
totals, facet counts and pages equal what the catalogue's own relations say, the
documents follow every change, only published datasets are ever found or counted, and
a search request costs the same few queries however many datasets match."""

import io
from collections import Counter

import pytest
from django.contrib.postgres.search import SearchRank
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.db.models import F, FloatField
from django.db.models.functions import Cast
from django.urls import reverse

from bench.vocabulary import COMMON_TERMS, RARE_TERMS
from catalog import services as catalog_services
from catalog.models import Dataset, DatasetState, Distribution
from portal import search
from portal import services as portal_services
from portal.models import SearchDocument, SearchFacetValue

from .conftest import CSV, SECRET, fresh

pytestmark = pytest.mark.django_db

N = 160
DOCUMENT_FIELDS = [
    "title", "keywords", "description", "published", "publisher_id", "licence", "hvd_category", "update_frequency",
    "issued", "themes", "formats", "keyword_names",
]  # fmt: skip


@pytest.fixture
def bench_catalogue(db):
    """A small catalogue of the benchmark seeder: every workflow state, many themes,
    formats, licences, keywords, publishers and HVD categories."""
    call_command("seed_bench", "--datasets", str(N), stdout=io.StringIO())
    return Dataset.objects.filter(name__startswith="bench-")


def expected_counts(datasets) -> dict[str, dict[str, int]]:
    """Facet counts straight from the catalogue's relations, without the search documents."""
    counts = {facet.param: Counter() for facet in search.FACETS}
    for dataset in datasets.select_related("publisher").prefetch_related("themes", "keywords", "distributions"):
        counts["thema"].update({theme.code for theme in dataset.themes.all()})
        counts["organisation"][dataset.publisher.slug] += 1
        counts["format"].update({distribution.format for distribution in dataset.distributions.all()})
        counts["lizenz"][dataset.licence] += 1
        counts["schlagwort"].update({keyword.name for keyword in dataset.keywords.all()})
        counts["hvd"][dataset.hvd_category] += 1
        counts["aktualisierung"][dataset.update_frequency] += 1
    return {param: {value: n for value, n in counter.items() if value} for param, counter in counts.items()}


def counts_of(result) -> dict[str, dict[str, int]]:
    return {facet.param: {value.value: value.count for value in facet.values} for facet in result.facets}


def assert_same_facets(result, datasets, selected):
    found, expected = counts_of(result), expected_counts(datasets)
    keywords, all_keywords = found.pop("schlagwort", {}), expected.pop("schlagwort", {})
    assert found == {param: values for param, values in expected.items() if values}
    # Keywords: the 15 most frequent, with their exact counts; none left out counts more.
    assert len(keywords) == min(search.KEYWORD_FACET_LIMIT, len(all_keywords))
    assert all(all_keywords[name] == n for name, n in keywords.items())
    assert max((n for name, n in all_keywords.items() if name not in keywords), default=0) <= min(
        keywords.values(), default=0
    )
    for facet in result.facets:
        assert [v.count for v in facet.values] == sorted((v.count for v in facet.values), reverse=True)
        assert {v.value for v in facet.values if v.selected} == set(selected.get(facet.param, [])) & {
            v.value for v in facet.values
        }
    # And exactly what the former implementation (one ORM query per facet, kept for
    # SQLite) answers, order and labels included.
    before = search.facet_counts(search.matching(result.query, selected), selected)
    assert [(f.param, [(v.value, v.label, v.count, v.selected) for v in f.values]) for f in result.facets] == [
        (f.param, [(v.value, v.label, v.count, v.selected) for v in f.values]) for f in before
    ]


def walk(query, selected, sort, page_size=7):
    pks, cursor = [], ""
    for _page in range(100):
        page = search.search(query, selected=selected, sort=sort, cursor=cursor, page_size=page_size)
        pks += [dataset.pk for dataset in page.results]
        if not page.next_cursor:
            return pks
        cursor = page.next_cursor
    raise AssertionError("the pages do not end")


def expected_order(query, selected, sort):
    datasets = search.matching(query, selected)
    if sort == "relevance":
        rank = Cast(SearchRank(F("search_document__vector"), search._text_query(query)), FloatField())
        return list(datasets.annotate(rank=rank).order_by("-rank", "pk").values_list("pk", flat=True))
    ordering = ("title", "pk") if sort == "title" else ("-issued", "-pk")
    return list(datasets.order_by(*ordering).values_list("pk", flat=True))


# ---------------------------------------------------------------------------
# The same answers as the catalogue's relations


def test_totals_facets_and_pages_equal_the_catalogue_for_queries_and_filters(bench_catalogue):
    published = Dataset.objects.published().filter(name__startswith="bench-")
    everything = search.search("")
    assert everything.total == published.count() > 50
    first = {facet.param: facet.values[0].value for facet in everything.facets}
    second = {facet.param: facet.values[-1].value for facet in everything.facets if len(facet.values) > 1}
    cases = [
        ("", {}),
        (COMMON_TERMS[0], {}),
        (RARE_TERMS[0], {}),
        ("Haus", {}),  # a prefix: Haushalt, Hausnummern
        ("", {"thema": [first["thema"]]}),
        ("", {"thema": [first["thema"], second["thema"]]}),
        ("", {"format": [first["format"]], "lizenz": [first["lizenz"]]}),
        ("", {"organisation": [first["organisation"], second["organisation"]]}),
        ("", {"schlagwort": [first["schlagwort"]], "aktualisierung": [first["aktualisierung"]]}),
        (COMMON_TERMS[0], {"format": [first["format"], second["format"]]}),
        (COMMON_TERMS[1], {"hvd": [first["hvd"]]} if "hvd" in first else {"thema": ["REGI"]}),
    ]
    for query, selected in cases:
        result = search.search(query, selected=selected)
        datasets = search.matching(query, selected)
        assert result.total == datasets.count(), (query, selected)
        assert_same_facets(result, datasets, selected)
        shown = Dataset.objects.filter(pk__in=[hit.pk for hit in result.results])
        assert set(shown.values_list("state", flat=True)) <= {DatasetState.PUBLISHED}
        sorts = ["newest", "title"] + (["relevance"] if query else [])
        for sort in sorts:
            assert walk(query, selected, sort) == expected_order(query, selected, sort), (query, selected, sort)
    assert search.search(COMMON_TERMS[0]).total > 5 * search.search(RARE_TERMS[0]).total > 0


def test_a_search_request_costs_four_queries_however_many_datasets_match(
    bench_catalogue, client, django_assert_num_queries
):
    for query in (f"q={COMMON_TERMS[0]}", f"q={RARE_TERMS[0]}", "", f"q={COMMON_TERMS[0]}&thema=ECON&format=CSV"):
        url = reverse("portal:search") + "?" + query
        response = client.get(url)
        assert response.context["result"].total > 0, query
        # With words, the planner's page cost (SET LOCAL); the statement (count, facets,
        # page ids), the datasets of the page with their publishers, their formats.
        with django_assert_num_queries(4 if query else 3):
            assert client.get(url).status_code == 200
    # Nothing found: the statement alone.
    with django_assert_num_queries(2):
        assert client.get(reverse("portal:search") + f"?q={SECRET}").status_code == 200


def test_the_match_can_use_the_gin_index_for_a_prefix_query(bench_catalogue):
    statements = []

    def capture(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        search.search(RARE_TERMS[0])
    sql, params = next(statement for statement in statements if "WITH matched" in statement[0])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # The index of the published documents: the others are never searched.
    assert "portal_search_published_gin" in plan


# ---------------------------------------------------------------------------
# Only published datasets, after every workflow step


def assert_documents_follow_the_workflow():
    states = dict(Dataset.objects.values_list("pk", "state"))
    flags = dict(SearchDocument.objects.values_list("pk", "published"))
    assert flags == {pk: state == DatasetState.PUBLISHED for pk, state in states.items()}


def test_publish_withdraw_and_publish_again_switch_the_dataset_in_and_out_of_search(flow_a, org_a, published):
    def found():
        result = search.search("Zauberwald")
        keywords = counts_of(search.search("")).get("schlagwort", {})
        return result.total, [d.name for d in result.results], keywords.get("Märchen", 0)

    draft = flow_a.create(org_a, "zauberwald", title="Zauberwald", keywords=["Märchen"], themes=["EDUC"])
    assert found() == (0, [], 0)
    assert_documents_follow_the_workflow()

    in_review = flow_a.step("submit", draft, flow_a.steward)
    assert in_review.state == DatasetState.IN_REVIEW
    assert found() == (0, [], 0)
    assert flow_a.approve(fresh(flow_a.step("return", in_review, flow_a.owner, reasons="x"))).state == "approved"
    assert found() == (0, [], 0)

    dataset = flow_a.step("publish", fresh(draft), flow_a.steward, confirm_alternative=True)
    assert dataset.state == DatasetState.PUBLISHED
    assert found() == (1, ["zauberwald"], 1)
    assert SearchDocument.objects.get(pk=dataset.pk).issued == dataset.issued
    assert_documents_follow_the_workflow()

    dataset = flow_a.step("withdraw", dataset, flow_a.owner, reasons="Veraltet.")
    assert dataset.state == DatasetState.WITHDRAWN
    assert found() == (0, [], 0)
    assert "EDUC" not in counts_of(search.search("")).get("thema", {})
    assert_documents_follow_the_workflow()

    dataset = flow_a.step("publish", flow_a.approve(dataset), flow_a.steward, confirm_alternative=True)
    assert dataset.state == DatasetState.PUBLISHED
    assert found() == (1, ["zauberwald"], 1)
    assert_documents_follow_the_workflow()


def test_no_state_off_the_portal_is_ever_found_or_counted(published, unpublished):
    assert_documents_follow_the_workflow()  # includes the one a re-review took off the portal
    assert search.search(SECRET).total == 0
    result = search.search("")
    assert [d.pk for d in result.results] == [published.pk]
    assert "HEAL" not in counts_of(result)["thema"]
    for selected in ({"thema": ["HEAL"]}, {"organisation": ["stadt-b"]}, {"schlagwort": [f"{SECRET}-entwurf"]}):
        assert search.search("", selected=selected).total == 0


def test_a_stale_flag_still_shows_no_unpublished_dataset(published, unpublished):
    # Belt and braces: the page is read through Dataset.objects.published() again.
    SearchDocument.objects.filter(pk=unpublished["draft"].pk).update(published=True)
    assert [d.pk for d in search.search(SECRET).results] == []


# ---------------------------------------------------------------------------
# The documents follow every change


def test_the_document_follows_themes_licence_and_distributions(flow_a, org_a, published, steward_a):
    dataset = flow_a.create(org_a, "radwege", title="Radwege", keywords=["Rad"], themes=["TRAN"], csv=None)
    document = SearchDocument.objects.get(pk=dataset.pk)
    assert (document.themes, document.formats, document.keyword_names) == (["TRAN"], [], ["Rad"])
    assert (document.licence, document.publisher_id, document.published) == (dataset.licence, org_a.pk, False)

    dataset = catalog_services.update_dataset(
        dataset, by=steward_a, fields={"licence": "cc-zero"}, expected_version=dataset.version,
        keywords=["Rad", "Verkehr"], themes=["TRAN", "ENVI"],
    )  # fmt: skip
    upload = SimpleUploadedFile("radwege.csv", CSV.encode(), content_type="text/csv")
    csv = catalog_services.add_distribution(dataset, by=steward_a, title="CSV", upload=upload)
    catalog_services.add_distribution(
        fresh(dataset), by=steward_a, title="Dienst", access_url="https://geo.example/wms", format="WMS_SRVC"
    )
    document.refresh_from_db()
    assert (document.themes, document.formats, document.keyword_names) == (
        ["ENVI", "TRAN"], ["CSV", "WMS_SRVC"], ["Rad", "Verkehr"],
    )  # fmt: skip
    assert document.licence == "cc-zero"

    assert numbered_values(document) == {
        ("thema", "ENVI"), ("thema", "TRAN"), ("format", "CSV"), ("format", "WMS_SRVC"), ("schlagwort", "Rad"),
        ("schlagwort", "Verkehr"), ("organisation", str(org_a.pk)), ("lizenz", "cc-zero"),
        ("aktualisierung", dataset.update_frequency),
    } | ({("hvd", dataset.hvd_category)} if dataset.hvd_category else set())  # fmt: skip

    catalog_services.remove_distribution(csv, by=steward_a)
    document.refresh_from_db()
    assert document.formats == ["WMS_SRVC"]
    assert ("format", "CSV") not in numbered_values(document)


def numbered_values(document) -> set[tuple[str, str]]:
    """The (facet, value) pairs behind the document's numbers, which the search counts."""
    values = SearchFacetValue.objects.filter(pk__in=document.facet_values)
    assert values.count() == len(document.facet_values)
    return set(values.values_list("facet", "value"))


def test_deleting_a_dataset_takes_its_document_along(org_a, steward_a):
    dataset = catalog_services.create_dataset(by=steward_a, fields=_fields(org_a, "weg"), keywords=["x"])
    Distribution.objects.create(dataset=dataset, title="a", access_url="https://a.example/a.csv", format="CSV")
    assert SearchDocument.objects.get(pk=dataset.pk).formats == ["CSV"]
    dataset.delete()  # the distribution goes in the cascade: its dataset is not indexed again
    assert not SearchDocument.objects.filter(pk=dataset.pk).exists()


def _fields(organisation, name):
    from catalog.tests.conftest import dataset_fields

    return dataset_fields(organisation, name=name, title=name)


def test_the_orm_indexing_for_sqlite_writes_the_same_document(published, unpublished):
    pks = list(Dataset.objects.values_list("pk", flat=True))
    written = {d["dataset_id"]: d for d in SearchDocument.objects.values("dataset_id", *DOCUMENT_FIELDS)}
    SearchDocument.objects.all().delete()
    assert sum(portal_services._index_one(pk) for pk in pks) == len(pks)
    again = {d["dataset_id"]: d for d in SearchDocument.objects.values("dataset_id", *DOCUMENT_FIELDS)}
    assert again == written


def test_reindex_all_restores_the_index(published, unpublished):
    fields = ("pk", "vector", "facet_values", *DOCUMENT_FIELDS)
    written = list(SearchDocument.objects.order_by("pk").values(*fields))
    assert all(document["facet_values"] for document in written)
    SearchDocument.objects.update(published=False, themes=[], title="x", vector=None, facet_values=[])
    assert portal_services.reindex_all() == Dataset.objects.count()
    assert list(SearchDocument.objects.order_by("pk").values(*fields)) == written


def test_umlauts_and_prefixes_are_found(flow_a, org_a, published):
    flow_a.publish(flow_a.create(org_a, "strassen", title="Straßenbäume", description="Größe und Höhe.", csv=None))
    assert [d.name for d in search.search("Straßenbäume").results] == ["strassen"]
    assert [d.name for d in search.search("Straßenb").results] == ["strassen"]  # a prefix
    assert [d.name for d in search.search("größe").results] == ["strassen"]
    assert {d.name for d in search.search("Bäume").results} == {"strassen", "baumkataster"}
    assert search.search('"Höhe Größe"').total == 0  # a phrase keeps its meaning
    assert [d.name for d in search.search("Baumkataster -Straßenbäume").results] == ["baumkataster"]
