"""The store on both engines (`make run` uses SQLite): a German CSV loads with its types
and the API answers filters, ranges, sort, full text, paging and groups the same way.
Marked for the SQLite smoke run; on PostgreSQL it runs with the rest."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_smoke]


def test_load_and_query(table):
    api = APIClient()
    identifier = table.distribution.identifier
    assert [column["type"] for column in table.columns] == ["string", "integer", "number", "date", "string", "string"]
    rows = reverse("datastore-api:rows", args=[identifier])

    body = api.get(rows, {"Anzahl__gte": "50", "sort": "-Anzahl"}).json()
    assert [(r["Stadtteil"], r["Anzahl"], r["Stichtag"]) for r in body["records"]] == [
        ("Mitte", 1234, "2024-12-31"), ("Nord", 56, "2025-01-01"),
    ]  # fmt: skip
    assert api.get(rows, {"q": "gesperrt"}).json()["records"][0]["Fläche in km²"] == 12.5

    seen, url, params = [], rows, {"sort": "Fläche in km²", "limit": "3"}
    for _page in range(5):
        body = api.get(url, params).json()
        seen += [record["Stadtteil"] for record in body["records"]]
        if not body["next"]:
            break
        url, params = body["next"], {}
    assert seen == ["Nord", "Süd", "Mitte", "Ost"]

    groups = reverse("datastore-api:groups", args=[identifier])
    body = api.get(groups + "?agg=sum:Anzahl&agg=avg:Fläche in km²").json()
    assert body["records"][0]["sum:Anzahl"] == 1297
    assert body["records"][0]["avg:Fläche in km²"] == pytest.approx((12.5 - 0.75 + 3 + 1000.25) / 4)
