"""The table explorer of the portal (issue 24): filters, full text, sorting by the
headings, paging through every row with the cursor, German numbers and dates, headings
from the data dictionary, a message instead of an error page for bad parameters, only
public tables, and the "Über die API nutzen" box with the REST URL of the very view."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse
from lxml import html

from datastore.models import ColumnDescription
from datastore.signals import table_queried
from datastore.tests.conftest import CSV, publish_table
from portal.tests.conftest import published as published  # the portal's fixture

pytestmark = pytest.mark.django_db


def explorer_url(table, **params):
    url = reverse("datastore:explorer", args=[table.distribution.dataset.name, table.distribution.identifier])
    return f"{url}?{urlencode(params, doseq=True)}" if params else url


def page(response):
    return html.fromstring(response.content.decode())


def column_texts(tree, position):
    return [cell.text_content().strip() for cell in tree.xpath(f"//table//tbody/tr/td[{position}]")]


def headings(tree):
    return [" ".join(th.xpath("string(.//a/text()[1])").split()) for th in tree.xpath("//table//thead//th")]


def test_the_table_shows_german_numbers_and_dates_right_aligned(client, table):
    response = client.get(explorer_url(table))
    assert response.status_code == 200
    tree = page(response)
    assert tree.xpath("string(//h2[@id='explorer-results-heading'])").split() == ["4", "Zeilen", "gefunden"]
    assert headings(tree) == ["Stadtteil", "Anzahl", "Fläche in km²", "Stichtag", "Bemerkung", "PLZ"]
    assert column_texts(tree, 1) == ["Mitte", "Nord", "Süd", "Ost"]
    assert column_texts(tree, 2) == ["1.234", "56", "", "7"]
    assert column_texts(tree, 3) == ["12,5", "-0,75", "3", "1.000,25"]
    assert column_texts(tree, 4) == ["31.12.2024", "01.01.2025", "15.06.2024", ""]
    assert column_texts(tree, 6) == ["01067", "04109", "01099", ""]  # text stays text
    numeric = tree.xpath("//tbody/tr[1]/td[2]")[0]
    assert "kern-table__cell--numeric" in numeric.get("class")
    assert "kern-table__cell--numeric" not in tree.xpath("//tbody/tr[1]/td[1]")[0].get("class")
    assert "kern-table__header--numeric" in tree.xpath("//thead//th[2]")[0].get("class")
    # Reachable and named for keyboard and screen reader on a narrow screen.
    region = tree.xpath("//div[@role='region'][.//table]")[0]
    assert region.get("tabindex") == "0"
    assert tree.xpath("//table/caption")[0].get("id") == region.get("aria-labelledby")
    assert all(th.get("scope") == "col" for th in tree.xpath("//thead//th"))


def test_headings_come_from_the_data_dictionary(client, table):
    ColumnDescription.objects.create(distribution=table.distribution, name="Anzahl", title="Einwohner",
                                     unit="Personen", description="Hauptwohnsitz")  # fmt: skip
    ColumnDescription.objects.create(distribution=table.distribution, name="Fläche in km²", title="", unit="km²")
    tree = page(client.get(explorer_url(table)))
    assert headings(tree)[:3] == ["Stadtteil", "Einwohner (Personen)", "Fläche in km² (km²)"]
    options = tree.xpath("//select[@id='explorer-column-1']/option")
    assert [(option.get("value"), option.text) for option in options][1:3] == [
        ("Stadtteil", "Stadtteil"), ("Anzahl", "Einwohner (Personen)")
    ]  # fmt: skip
    assert "Hauptwohnsitz" in tree.xpath("string(//section[@aria-labelledby='explorer-dictionary-heading'])")


def test_filters_and_full_text(client, table):
    tree = page(client.get(explorer_url(table, spalte="Stadtteil", vergleich="", wert="Mitte")))
    assert column_texts(tree, 1) == ["Mitte"]
    assert tree.xpath("string(//h2[@id='explorer-results-heading'])").split() == ["1", "Zeile", "gefunden"]
    # The filter stays in the form, and a new empty row follows it.
    assert tree.xpath("//select[@id='explorer-column-1']/option[@selected]/@value") == ["Stadtteil"]
    assert tree.xpath("//input[@id='explorer-value-2']/@value") == [""]

    ranges = {"spalte": ["Anzahl", "Anzahl"], "vergleich": ["gte", "lte"], "wert": ["7", "1000"]}
    tree = page(client.get(explorer_url(table, **ranges)))
    assert column_texts(tree, 1) == ["Nord", "Ost"]
    tree = page(client.get(explorer_url(table, spalte="Fläche in km²", vergleich="gte", wert="3,0")))
    assert column_texts(tree, 1) == ["Mitte", "Süd", "Ost"]
    tree = page(client.get(explorer_url(table, spalte="Fläche in km²", vergleich="gte", wert="1.000,25")))
    assert column_texts(tree, 1) == ["Ost"]
    tree = page(client.get(explorer_url(table, spalte="Anzahl", vergleich="gte", wert="1.000")))
    assert column_texts(tree, 1) == ["Mitte"]
    assert "Anzahl__gte=1000&" in tree.xpath("string(//code[@id='explorer-code-url'])")
    tree = page(client.get(explorer_url(table, spalte="Stichtag", vergleich="lte", wert="31.12.2024")))
    assert column_texts(tree, 1) == ["Mitte", "Süd"]
    tree = page(client.get(explorer_url(table, q="straße")))
    assert column_texts(tree, 1) == ["Mitte"]
    # A row without a value is no filter.
    tree = page(client.get(explorer_url(table, spalte="Anzahl", vergleich="gte", wert="")))
    assert len(column_texts(tree, 1)) == 4


def test_sorting_by_the_headings_toggles_and_says_so(client, table):
    tree = page(client.get(explorer_url(table)))
    link = tree.xpath("//thead//th[2]//a/@href")[0]
    assert "sort=Anzahl" in link
    assert not tree.xpath("//th[@aria-sort]")

    tree = page(client.get(explorer_url(table) + link))
    assert column_texts(tree, 1) == ["Ost", "Nord", "Mitte", "Süd"]  # nulls last
    assert tree.xpath("//thead//th[2]/@aria-sort") == ["ascending"]
    assert "aufsteigend sortiert" in tree.xpath("string(//thead//th[2])")

    tree = page(client.get(explorer_url(table) + tree.xpath("//thead//th[2]//a/@href")[0]))
    assert column_texts(tree, 1) == ["Mitte", "Nord", "Ost", "Süd"]
    assert tree.xpath("//thead//th[2]/@aria-sort") == ["descending"]
    assert tree.xpath("//thead//th[1]//a/@href")[0].endswith("sort=Stadtteil&anzahl=25")


def many_rows(count):
    lines = ["Nummer;Name;Wert"]
    lines += [f"{n};Zeile {n};{n * 1.5:.1f}".replace(".", ",") for n in range(1, count + 1)]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_paging_reaches_every_row_and_the_first_page_again(client, flow_a, org_a):
    _dataset, table = publish_table(flow_a, org_a, "lange-tabelle", content=many_rows(60))
    seen, url, pages = [], explorer_url(table, sort="-Nummer", anzahl="25"), 0
    while url:
        tree = page(client.get(url))
        pages += 1
        seen += column_texts(tree, 1)
        assert tree.xpath("string(//h2[@id='explorer-results-heading'])").split() == ["60", "Zeilen", "gefunden"]
        if pages == 3:
            assert "Zeilen 51 bis 60 von 60" in tree.xpath("string(//p[@id='explorer-range'])")
            first = tree.xpath("//nav[contains(@class, 'sd-pagination')]//a[text()='Erste Seite']/@href")[0]
        following = tree.xpath("//a[@rel='next']/@href")
        url = explorer_url(table) + following[0] if following else None
    assert pages == 3
    assert seen == [str(n) for n in range(60, 0, -1)]
    tree = page(client.get(explorer_url(table) + first))
    assert column_texts(tree, 1)[:2] == ["60", "59"]
    assert "Zeilen 1 bis 25 von 60" in tree.xpath("string(//p[@id='explorer-range'])")

    tree = page(client.get(explorer_url(table, anzahl="100")))
    assert len(column_texts(tree, 1)) == 60
    assert not tree.xpath("//a[@rel='next']")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"spalte": "Anzahl", "wert": "viele"}, "passt nicht zur Spalte"),
        ({"spalte": "Erfunden", "wert": "1"}, "keine Spalte"),
        ({"spalte": "Anzahl", "vergleich": "like", "wert": "1"}, "gleich"),
        ({"sort": "Anzahl; DROP TABLE catalog_dataset"}, "keine Spalte"),
        ({"anzahl": "100000"}, "25, 50 oder 100"),
        ({"cursor": "erfunden"}, "Cursor ist ungültig"),
        ({"cursor": "x", "ab": "-5"}, "Seitenangabe"),
        ({"q": "a " * 50}, "Wörter"),
        ({"spalte": "Stichtag", "wert": "31.02.2024"}, "passt nicht"),
    ],
)
def test_a_bad_parameter_shows_its_message_not_an_error_page(client, table, params, message):
    response = client.get(explorer_url(table, **params))
    assert response.status_code == 400
    tree = page(response)
    alert = tree.xpath("string(//div[@role='alert'])")
    assert message in alert
    assert not tree.xpath("//table")
    # The form is still there to correct the request.
    assert tree.xpath("//input[@id='explorer-q']")


def test_a_table_that_is_not_public_or_not_of_this_dataset_is_unknown(client, flow_a, org_a, table):
    dataset = table.distribution.dataset
    other, other_table = publish_table(flow_a, org_a, "andere", content=CSV.encode())
    wrong_name = reverse("datastore:explorer", args=[other.name, table.distribution.identifier])
    assert client.get(wrong_name).status_code == 404
    assert client.get(explorer_url(other_table)).status_code == 200
    unknown = reverse("datastore:explorer", args=[dataset.name, "00000000-0000-0000-0000-000000000000"])
    assert client.get(unknown).status_code == 404
    flow_a.step("withdraw", dataset, flow_a.owner, reasons="Veraltet.")
    assert client.get(explorer_url(table)).status_code == 404


def test_the_api_box_has_the_rest_url_and_curl_of_this_view(client, table):
    params = {"spalte": ["Anzahl"], "vergleich": ["gte"], "wert": ["50"], "q": "", "sort": "-Fläche in km²",
              "anzahl": "50"}  # fmt: skip
    tree = page(client.get(explorer_url(table, **params)))
    rows = "http://testserver" + reverse("datastore-api:rows", args=[table.distribution.identifier])
    expected = rows + "?Anzahl__gte=50&sort=-Fl%C3%A4che+in+km%C2%B2&limit=50"
    assert tree.xpath("string(//code[@id='explorer-code-url'])") == expected
    assert tree.xpath("string(//code[@id='explorer-code-curl'])") == f"curl -s '{expected}'"
    python = tree.xpath("string(//code[@id='explorer-code-python'])")
    assert f"    {rows!r}," in python
    assert "'Anzahl__gte': '50'," in python
    assert "'sort': '-Fläche in km²'," in python
    compile(python, "example.py", "exec")  # runnable Python
    links = tree.xpath("//section[@aria-labelledby='explorer-api-heading']//a/@href")
    identifier = table.distribution.identifier
    assert links == [
        reverse("swagger-ui"),
        f"http://testserver/api/3/action/datastore_search?resource_id={identifier}",
        "http://testserver" + reverse("datastore:table_schema", args=[identifier]),
        "http://testserver" + reverse("portal:dataset_dcat", args=[table.distribution.dataset.name, "ttl"]),
    ]
    # The address answers what the page shows.
    body = client.get(expected.removeprefix("http://testserver")).json()
    assert [record["Stadtteil"] for record in body["records"]] == ["Mitte", "Nord"]
    assert column_texts(tree, 1) == ["Mitte", "Nord"]


def test_the_dataset_page_links_the_explorer_only_for_queryable_tables(client, flow_a, org_a, table, published):
    dataset = table.distribution.dataset
    tree = page(client.get(reverse("portal:dataset_detail", args=[dataset.name])))
    explorer = reverse("datastore:explorer", args=[dataset.name, table.distribution.identifier])
    assert tree.xpath(f"//a[@href='{explorer}']//span[@class='kern-label']/text()") == ["Tabelle durchsuchen"]
    rows = reverse("datastore-api:rows", args=[table.distribution.identifier])
    api_box = tree.xpath("string(//details[contains(@class, 'sd-portal-table-api')])")
    assert f"curl -s 'http://testserver{rows}?limit=100'" in api_box
    # A published dataset whose file was never checked and loaded has nothing to explore.
    tree = page(client.get(reverse("portal:dataset_detail", args=[published.name])))
    assert not tree.xpath("//a[contains(@href, '/tabellen/')]")
    assert not tree.xpath("//details[contains(@class, 'sd-portal-table-api')]")


def test_the_api_docs_are_linked_from_every_portal_page(client, table):
    tree = page(client.get(explorer_url(table)))
    assert tree.xpath(f"//footer//a[@href='{reverse('swagger-ui')}']/text()") == ["API-Dokumentation"]


def test_each_query_of_the_page_is_counted_once(client, table):
    counted = []

    def receiver(sender, dataset_id, **kwargs):
        counted.append(dataset_id)

    table_queried.connect(receiver)
    try:
        client.get(explorer_url(table))
        client.get(explorer_url(table, spalte="Anzahl", wert="viele"))  # refused: no query ran
    finally:
        table_queried.disconnect(receiver)
    assert counted == [table.distribution.dataset_id]


def test_the_query_count_does_not_grow_with_the_rows(client, flow_a, org_a, django_assert_max_num_queries):
    _dataset, table = publish_table(flow_a, org_a, "lange-tabelle", content=many_rows(100))
    url = explorer_url(table, anzahl="100")
    # The table with its distribution and dataset; the data dictionary; one read-only
    # transaction: its savepoint (in a test), its settings, the rows, the count (its
    # rollback is not counted); a savepoint and its release around the answer. An
    # anonymous visitor's session is not read. Whether the table has charts (the link at
    # the top) and the charts (none here). The usage count (portal.usage: its upsert, here
    # in a savepoint and its release: 3).
    with django_assert_max_num_queries(9 + 2 + 3):
        response = client.get(url)
    assert len(column_texts(page(response), 1)) == 100
