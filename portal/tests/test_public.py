"""The public portal: nothing unpublished is reachable, search and facets count right,
downloads and conversions, dataset page, register, dashboard, sitemap, caching."""

import io
import json

import pytest
from django.core.cache import cache
from django.urls import reverse
from openpyxl import load_workbook

from catalog import renditions
from catalog.models import Dataset, DatasetState
from catalog.quality.scoring import MAX_POINTS, assess, freshness
from catalog.tabular_validation import check_distribution
from portal import search
from portal.models import SearchDocument

from .conftest import SECRET, fresh

pytestmark = pytest.mark.django_db


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


# ---------------------------------------------------------------------------
# The door: nothing that is not published is reachable


def test_the_fixture_covers_every_unpublished_state(unpublished):
    states = {dataset.state for dataset in unpublished.values()}
    assert states == {
        DatasetState.DRAFT, DatasetState.IN_REVIEW, DatasetState.LEGAL_REVIEW, DatasetState.APPROVED,
        DatasetState.RETURNED, DatasetState.WITHDRAWN,
    }  # fmt: skip
    assert unpublished["unpublished_by_rereview"].state in (DatasetState.IN_REVIEW, DatasetState.LEGAL_REVIEW)
    assert unpublished["refused"].publication_outcome == "internal"
    assert not Dataset.objects.published().filter(pk__in=[d.pk for d in unpublished.values()]).exists()


def test_nothing_unpublished_is_reachable_through_any_public_page(client, published, unpublished):
    for name, dataset in unpublished.items():
        distribution = dataset.distributions.get()
        urls = [
            reverse("portal:dataset_detail", args=[dataset.name]),
            reverse("portal:download", args=[dataset.name, distribution.identifier]),
            *[
                reverse("portal:convert", args=[dataset.name, distribution.identifier, t])
                for t in ("csv", "json", "xlsx")
            ],
        ]
        for url in urls:
            # Issue 22: a withdrawn dataset's page says when and why (410 Gone); its files stay 404.
            expected = 410 if name == "withdrawn" and url == urls[0] else 404
            assert client.get(url).status_code == expected, (name, url)
        assert client.post(reverse("portal:vote", args=[dataset.name])).status_code == 404
        assert client.post(reverse("portal:comment", args=[dataset.name]), {"text": "x"}).status_code == 404
        # A published dataset's name with an unpublished distribution's id: still nothing.
        leaked = reverse("portal:download", args=[published.name, distribution.identifier])
        assert client.get(leaked).status_code == 404

    pages = [
        reverse("portal:home"),
        reverse("portal:search"),
        reverse("portal:search") + "?q=entwurf+abgelehnt+or+freigegeben",
        reverse("portal:search") + "?thema=HEAL",
        reverse("portal:search") + "?organisation=stadt-b",
        reverse("portal:dashboard"),
        reverse("sitemap"),
        reverse("portal:dataset_detail", args=[published.name]),
    ]
    for url in pages:
        text = body(client.get(url))
        assert SECRET not in text, url
        for dataset in unpublished.values():
            assert f"/datensatz/{dataset.name}/" not in text, url


def test_search_results_and_facets_never_count_unpublished_datasets(published, unpublished):
    assert search.search(SECRET).total == 0
    result = search.search("")
    assert [d.pk for d in result.results] == [published.pk]
    assert result.total == 1
    values = {facet.param: {v.value: v.count for v in facet.values} for facet in result.facets}
    assert values["organisation"] == {"stadt-a": 1}
    assert values["thema"] == {"ENVI": 1}
    assert values["format"] == {"CSV": 1}
    assert all(not key.startswith(SECRET) for key in values["schlagwort"])
    # Filtering by a facet value only unpublished datasets have finds nothing either.
    assert search.search("", selected={"thema": ["HEAL"]}).total == 0
    assert search.search("", selected={"organisation": ["stadt-b"]}).total == 0


def test_the_register_lists_final_non_open_decisions_with_grounds_and_nothing_else(client, published, unpublished):
    text = body(client.get(reverse("portal:register")))
    assert unpublished["refused"].title in text
    assert unpublished["withdrawn"].title in text
    assert "kritische Infrastrukturen (KRITIS)" in text  # the vocabulary label, not the code
    assert "CRITICAL_INFRASTRUCTURE" not in text
    assert unpublished["refused"].rereview_on.strftime("%d.%m.%Y") in text  # SHORT_DATE_FORMAT (issue 22)
    # Work in progress, and open datasets, are not listed.
    for state in ("draft", "in_review", "legal_review", "approved", "returned", "unpublished_by_rereview"):
        assert unpublished[state].title not in text, state
    assert published.title not in text
    # Free-text reasons, classification details and files stay internal.
    assert "interne Notiz" not in text
    assert "Kritische Infrastruktur (intern)" not in text
    assert "/dateien/" not in text
    assert "Gesundheitsdaten" not in text


# ---------------------------------------------------------------------------
# Search


@pytest.fixture
def catalogue(flow_a, org_a, published):
    flow_a.publish(flow_a.create(org_a, "luftqualitaet", title="Luftqualität Messstationen",
                                 description="Stickstoffdioxid und Feinstaub je Stunde.", keywords=["Luft", "Umwelt"],
                                 themes=["ENVI", "HEAL"]))  # fmt: skip
    flow_a.publish(flow_a.create(org_a, "haltestellen", title="Haltestellen", description="Alle Bushaltestellen.",
                                 keywords=["Verkehr"], themes=["TRAN"], csv=None, licence="cc-zero"))  # fmt: skip
    return Dataset.objects.published()


def test_search_finds_by_title_keyword_and_description_and_counts_facets(catalogue):
    assert [d.name for d in search.search("Luftqualität").results] == ["luftqualitaet"]
    assert [d.name for d in search.search("Feinstaub").results] == ["luftqualitaet"]
    assert {d.name for d in search.search("Umwelt").results} == {"luftqualitaet", "baumkataster"}
    assert [d.name for d in search.search("Baum").results] == ["baumkataster"]  # prefix of "Baumkataster"

    result = search.search("", selected={"thema": ["ENVI"]})
    assert result.total == 2
    facets = {facet.param: {v.value: (v.count, v.selected) for v in facet.values} for facet in result.facets}
    assert facets["thema"] == {"ENVI": (2, True), "HEAL": (1, False)}
    assert facets["schlagwort"] == {"Umwelt": (2, False), "Bäume": (1, False), "Luft": (1, False)}
    assert facets["format"] == {"CSV": (2, False)}
    assert search.search("", selected={"lizenz": ["cc-zero"]}).total == 1


def test_title_matches_rank_above_description_matches(flow_a, org_a, published):
    flow_a.publish(flow_a.create(org_a, "parkplaetze", title="Parkplätze", description="Auch Baumstandorte am Rand."))
    flow_a.publish(flow_a.create(org_a, "baumpflege", title="Baumpflege", description="Schnitt und Kontrolle."))
    names = [d.name for d in search.search("Baumpflege Baumstandorte", sort="relevance").results]
    assert search.search("Baumpflege").results[0].name == "baumpflege"
    assert names == [] or names[0] == "baumpflege"


def test_keyset_pagination_walks_every_result_exactly_once(flow_a, org_a, published):
    for index in range(4):
        flow_a.publish(flow_a.create(org_a, f"satz-{index}", title=f"Baum Satz {index}", csv=None))
    for sort, query in (("newest", ""), ("title", ""), ("relevance", "Baum")):
        seen, cursor = [], ""
        for _page in range(10):
            page = search.search(query, sort=sort, cursor=cursor, page_size=2)
            seen += [d.pk for d in page.results]
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        assert len(seen) == len(set(seen)) == 5, sort
    # A forged cursor is ignored: the first page.
    assert search.search("", sort="newest", cursor="forged").start == 1


def test_the_search_index_follows_edits_of_title_and_keywords(published, steward_a):
    document = SearchDocument.objects.get(pk=published.pk)
    assert "Bäume" in document.keywords
    published.keywords.add(*published.keywords.model.objects.filter(name="Umwelt"))
    published.title = "Straßenbäume"
    published.save()
    document.refresh_from_db()
    assert document.title == "Straßenbäume"
    assert [d.pk for d in search.search("Straßenbäume").results] == [published.pk]


def test_search_page_needs_a_fixed_number_of_queries(client, flow_a, org_a, published, django_assert_num_queries):
    url = reverse("portal:search") + "?q=Baum&thema=ENVI"
    client.get(url)

    def run():
        # the planner's page cost (SET LOCAL), then count, facets and page ids in one
        # statement; the page's datasets; their formats
        with django_assert_num_queries(4):
            assert client.get(url).status_code == 200

    run()
    for index in range(5):
        flow_a.publish(flow_a.create(org_a, f"baum-{index}", title=f"Baum {index}"))
    run()


# ---------------------------------------------------------------------------
# Dataset page, downloads, conversion


def rendered(dataset):
    """What the worker does after the upload's commit (which the test transaction never reaches)."""
    for distribution in dataset.distributions.all():
        renditions.render(distribution)
    return dataset


def test_the_dataset_page_shows_metadata_quality_preview_licence_and_decision(client, published):
    rendered(published)
    text = body(client.get(reverse("portal:dataset_detail", args=[published.name])))
    assert "Baumkataster" in text
    assert "Linde" in text  # CSV preview
    assert "Metadatenqualität" in text
    assert f"von {MAX_POINTS} Punkten" in text
    assert "gruen@stadt-a.example" in text
    assert "So zitieren Sie" in text
    assert "offen als Standard" in text or "nach Regel" in text
    assert "Veröffentlicht am" in text
    for target in ("csv", "json", "xlsx"):
        assert f"/als-{target}/" in text


def test_the_dataset_page_summarises_the_table_check_but_not_the_disclosure_check(client, published):
    url = reverse("portal:dataset_detail", args=[published.name])
    before = client.get(url)
    assert "Tabellenprüfung" not in body(before), "nothing to say before the check has run"
    table = published.distributions.get(format="CSV")

    check_distribution(table.pk)

    text = body(client.get(url, HTTP_IF_NONE_MATCH=before["ETag"]))  # the page changed: no 304
    assert "Tabellenprüfung: keine formalen Fehler" in text or "formale Hinweis" in text
    assert "Fallzahl" not in text


def test_dataset_page_needs_a_fixed_number_of_queries(client, flow_a, org_a, published, django_assert_num_queries):
    url = reverse("portal:dataset_detail", args=[published.name])
    rendered(published)
    client.get(url)
    # dataset, keywords, themes, distributions, their check reports, their renditions,
    # votes, comments, decision, its rule versions (10); its queryable tables (1, datastore:
    # the explorer links and the data dictionary; one more for their descriptions when there
    # are any); the usage line of the last month (1, portal.usage.last_month); the page
    # view's count (1 upsert, portal.usage.count), here inside the test's transaction in a
    # savepoint (SAVEPOINT, RELEASE: 2 more that a request in autocommit does not make;
    # test_usage pins the upsert alone at 1).
    with django_assert_num_queries(10 + 1 + 1 + 1 + 2):
        assert client.get(url).status_code == 200


def test_dataset_page_answers_304_to_a_matching_etag(client, published):
    url = reverse("portal:dataset_detail", args=[published.name])
    response = client.get(url)
    assert response["ETag"]
    assert response["Last-Modified"]
    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    # A vote changes the page, so the ETag.
    client.post(reverse("portal:vote", args=[published.name]))
    client.cookies.pop("messages", None)
    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 200


def test_download_serves_the_file_with_caching_headers(client, published):
    distribution = published.distributions.get()
    url = reverse("portal:download", args=[published.name, distribution.identifier])
    response = client.get(url)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert response["ETag"] == f'"{distribution.checksum_sha256}"'
    assert "Linde" in body(response)
    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=response["Last-Modified"]).status_code == 304


def test_a_real_csv_converts_to_json_and_xlsx_and_back(client, published):
    distribution = published.distributions.get()
    renditions.render(distribution)

    def get(target):
        return client.get(reverse("portal:convert", args=[published.name, distribution.identifier, target]))

    records = json.loads(body(get("json")))
    # Typed: whole numbers, German decimals.
    assert records == [
        {"Baum": 1, "Art": "Linde", "Höhe": 12.5},
        {"Baum": 2, "Art": "Eiche", "Höhe": 20.0},
        {"Baum": 3, "Art": "Ahorn", "Höhe": 8.0},
    ]
    response = get("xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    assert rows == [["Baum", "Art", "Höhe"], [1, "Linde", 12.5], [2, "Eiche", 20], [3, "Ahorn", 8]]
    csv_text = body(get("csv"))
    assert csv_text.lstrip("\ufeff").splitlines() == ["Baum,Art,Höhe", '1,Linde,"12,5"', "2,Eiche,20", "3,Ahorn,8"]
    assert get("pdf").status_code == 404


def test_an_xlsx_distribution_converts_too(client, flow_a, org_a, steward_a):
    from openpyxl import Workbook

    from catalog import services

    workbook = Workbook()
    workbook.active.append(["Jahr", "Anzahl"])
    workbook.active.append([2024, 17])
    buffer = io.BytesIO()
    workbook.save(buffer)
    dataset = flow_a.create(org_a, "tabelle", csv=None)
    from django.core.files.uploadedfile import SimpleUploadedFile

    services.add_distribution(
        dataset, by=steward_a, title="Tabelle", upload=SimpleUploadedFile("t.xlsx", buffer.getvalue())
    )
    dataset = rendered(flow_a.publish(fresh(dataset)))
    distribution = dataset.distributions.get()
    response = client.get(reverse("portal:convert", args=[dataset.name, distribution.identifier, "json"]))
    assert json.loads(body(response)) == [{"Jahr": 2024, "Anzahl": 17}]


# ---------------------------------------------------------------------------
# Quality


def test_quality_score_has_five_dimensions_and_hints(published):
    dataset = (
        Dataset.objects.select_related("publisher")
        .prefetch_related("keywords", "themes", "distributions")
        .get(pk=published.pk)
    )
    quality = assess(dataset)
    assert [d.code for d in quality.dimensions] == [
        "findability", "accessibility", "interoperability", "reusability", "contextuality",
    ]  # fmt: skip
    assert sum(d.points for d in quality.dimensions) == MAX_POINTS
    assert 0 < quality.score <= MAX_POINTS
    assert quality.rating in ("excellent", "good", "sufficient", "bad")
    assert "Zeitliche Abdeckung angeben: +20" in quality.hints()
    dataset.temporal_start = dataset.issued.date()
    assert "Zeitliche Abdeckung angeben: +20" not in assess(dataset).hints()
    assert freshness(dataset).status in ("current", "unknown")


# ---------------------------------------------------------------------------
# Dashboard, sitemap, robots, 404


def test_dashboard_shows_charts_with_tables_and_json_data(client, published, unpublished):
    cache.clear()
    response = client.get(reverse("portal:dashboard"))
    text = body(response)
    assert 'id="portal-chart-data" type="application/json"' in text
    assert "<canvas" in text
    assert "<table" in text
    data = response.context["data"]
    assert data["organisations"]["labels"] == ["Stadt A", "Stadt B"]
    assert "KRITIS" in " ".join(data["reasons"]["labels"])


def test_sitemap_and_robots(client, published):
    text = body(client.get(reverse("sitemap")))
    assert f"/datensatz/{published.name}/" in text
    robots = client.get(reverse("robots")).content.decode()
    assert "Disallow: /intern/" in robots
    assert "Sitemap:" in robots


def test_unknown_pages_use_the_portal_404(client, db):
    response = client.get("/gibt-es-nicht/")
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.content.decode()


def test_a_file_lost_from_storage_is_not_available_instead_of_a_server_error(client, published, caplog):
    distribution = rendered(published).distributions.get()
    distribution.file.storage.delete(distribution.file.name)
    converted = distribution.renditions.get(kind="json").file
    converted.storage.delete(converted.name)
    for url in (
        reverse("portal:download", args=[published.name, distribution.identifier]),
        reverse("portal:convert", args=[published.name, distribution.identifier, "json"]),
    ):
        assert client.get(url).status_code == 404
    assert "fehlt im Speicher" in caplog.text
    # The other formats are served from their own files, the original is not read.
    response = client.get(reverse("portal:convert", args=[published.name, distribution.identifier, "csv"]))
    assert b"Linde" in b"".join(response.streaming_content)
