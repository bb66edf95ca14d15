"""The query API of a table (issue 24): filters, ranges, full text, sorting, fields, cursor
paging, counts and groups answer what the test computes from the file itself; bad or
hostile parameters are a 400 with a message; only public tables answer."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from datastore.tests.conftest import CSV

pytestmark = pytest.mark.django_db

ROWS = list(csv.DictReader(io.StringIO(CSV), delimiter=";"))


def number(text):
    return Decimal(text.replace(".", "").replace(",", ".")) if text else None


@pytest.fixture
def api():
    return APIClient()


def rows_url(table):
    return reverse("datastore-api:rows", args=[table.distribution.identifier])


def groups_url(table):
    return reverse("datastore-api:groups", args=[table.distribution.identifier])


def get(api, url, **params):
    response = api.get(url, params)
    return response


def test_filters_and_ranges(api, table):
    body = get(api, rows_url(table), Stadtteil="Mitte").json()
    assert [record["Stadtteil"] for record in body["records"]] == ["Mitte"]
    assert body["records"][0]["Anzahl"] == 1234
    assert body["records"][0]["Fläche in km²"] == 12.5
    assert body["records"][0]["Stichtag"] == "2024-12-31"

    body = get(api, rows_url(table), **{"Anzahl__gte": "50"}).json()
    expected = [row["Stadtteil"] for row in ROWS if row["Anzahl"] and int(row["Anzahl"]) >= 50]
    assert [record["Stadtteil"] for record in body["records"]] == expected

    body = api.get(rows_url(table) + "?Stadtteil=Nord&Stadtteil=Ost").json()
    assert [record["Stadtteil"] for record in body["records"]] == ["Nord", "Ost"]

    body = get(api, rows_url(table), **{"Stichtag__lt": "01.01.2025", "Stichtag__gte": "2024-07-01"}).json()
    assert [record["Stadtteil"] for record in body["records"]] == ["Mitte"]


def test_sort_fields_and_full_text(api, table):
    body = get(api, rows_url(table), sort="-Fläche in km²", fields="Stadtteil,Fläche in km²").json()
    expected = sorted(ROWS, key=lambda row: number(row["Fläche in km²"]), reverse=True)
    assert [record["Stadtteil"] for record in body["records"]] == [row["Stadtteil"] for row in expected]
    assert set(body["records"][0]) == {"Stadtteil", "Fläche in km²"}
    assert [field["id"] for field in body["fields"]] == ["Stadtteil", "Fläche in km²"]

    body = get(api, rows_url(table), q="straße").json()
    assert [record["Stadtteil"] for record in body["records"]] == ["Mitte"]
    body = get(api, rows_url(table), q="Grö").json()  # the start of a word
    assert [record["Stadtteil"] for record in body["records"]] == ["Süd"]


def test_cursor_pages_through_all_rows_in_order_with_nulls_last(api, table):
    seen, url, params = [], rows_url(table), {"sort": "Anzahl", "limit": "1", "count": "true"}
    for _page in range(10):
        body = api.get(url, params).json()
        assert body["total"] == 4
        seen += [record["Stadtteil"] for record in body["records"]]
        if not body["next"]:
            break
        url, params = body["next"], {}
    expected = sorted(ROWS, key=lambda row: (row["Anzahl"] == "", int(row["Anzahl"] or 0)))
    assert seen == [row["Stadtteil"] for row in expected]


def test_groups_and_aggregates(api, table):
    body = api.get(groups_url(table) + "?agg=count&agg=sum:Anzahl&agg=max:Fläche in km²").json()
    assert body["records"] == [{
        "count": 4, "sum:Anzahl": sum(int(row["Anzahl"]) for row in ROWS if row["Anzahl"]),
        "max:Fläche in km²": float(max(number(row["Fläche in km²"]) for row in ROWS)),
    }]  # fmt: skip
    body = api.get(groups_url(table) + "?group_by=Stadtteil&agg=sum:Anzahl&sort=-sum:Anzahl&limit=2").json()
    assert [record["Stadtteil"] for record in body["records"]] == ["Mitte", "Nord"]
    assert body["truncated"] is True


def test_csv_answer(api, table):
    response = api.get(rows_url(table), {"format": "csv", "fields": "Stadtteil,Anzahl", "sort": "Stadtteil"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Stadtteil,Anzahl"
    assert lines[1:] == ["Mitte,1234", "Nord,56", "Ost,7", "Süd,"]


@pytest.mark.parametrize(
    "params",
    [
        {"Unbekannt": "1"},
        {"Anzahl": "viele"},
        {"Anzahl__like": "1"},
        {"sort": "Anzahl; DROP TABLE catalog_dataset"},
        {"fields": 'Stadtteil,"; SELECT 1'},
        {"limit": "100000000"},
        {"limit": "-1"},
        {"cursor": "erfunden"},
        {"q": "a " * 50},
        {"filters": "[1, 2]"},
        {"filters": '{"Anzahl": "x"}'},
        {"Stichtag": "31.02.2024"},
    ],
)
def test_bad_parameters_are_400_with_a_message(api, table, params):
    response = api.get(rows_url(table), params)
    assert response.status_code == 400, response.content
    assert response.json()["detail"]


def test_bad_group_parameters_are_400(api, table):
    for query in ("?agg=sum:Stadtteil", "?agg=median:Anzahl", "?group_by=A,B,C,D", "?agg=sum", "?sort=Anzahl"):
        response = api.get(groups_url(table) + query)
        assert response.status_code == 400, query


def test_many_filters_are_bounded(api, table):
    response = api.get(rows_url(table) + "?" + "&".join(f"Anzahl={n}" for n in range(500)))
    assert response.status_code == 400


def test_a_table_that_is_not_public_does_not_answer(api, flow_a, org_a, table):
    identifier = table.distribution.identifier
    draft = flow_a.create(org_a, "entwurf")
    for url in (rows_url(table), reverse("datastore-api:table", args=[identifier])):
        assert api.get(url).status_code == 200
    flow_a.step("withdraw", table.distribution.dataset, flow_a.owner, reasons="Veraltet.")
    for url in (rows_url(table), reverse("datastore-api:table", args=[identifier]), groups_url(table),
                reverse("datastore:table_schema", args=[identifier])):  # fmt: skip
        assert api.get(url).status_code == 404
    other = draft.distributions.get().identifier
    assert api.get(reverse("datastore-api:rows", args=[other])).status_code == 404


def test_the_table_describes_itself_and_its_schema(api, table):
    body = api.get(reverse("datastore-api:table", args=[table.distribution.identifier])).json()
    assert body["rows"] == 4
    assert [field["type"] for field in body["fields"]][:4] == ["string", "integer", "number", "date"]
    schema = api.get(body["links"]["schema"]).json()
    assert schema["fields"][1] == {"name": "Anzahl", "type": "integer"}


def test_the_query_count_does_not_grow_with_the_rows(api, table, django_assert_max_num_queries):
    # The table; one read-only transaction (its settings, the rows, the count; in a test a
    # savepoint, its rollback and release); the dictionary; the usage count (in a test with
    # its savepoint and release).
    with django_assert_max_num_queries(12):
        api.get(rows_url(table), {"limit": "100", "count": "true"})


def test_each_query_counts_in_the_usage_statistics(api, table):
    api.get(rows_url(table))
    api.get(groups_url(table), {"agg": "count"})
    api.get(rows_url(table), {"Anzahl": "viele"})  # refused: not counted
    from portal.models import UsageCount

    # (usage.last_month ends yesterday: today's row is read directly.)
    assert UsageCount.objects.get(dataset_id=table.distribution.dataset_id, kind="table_query").count == 2
