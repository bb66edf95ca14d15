"""Loading tables into the store (issue 24): German number formats, dates, empty cells and
umlauts come in with the right types, from CSV and from XLSX; only public tables are
loaded; a new file version replaces the table; a table that is no longer public leaves."""

import io
from datetime import date, datetime

import openpyxl
import pytest

from datastore import engine, loader
from datastore.models import DataTable, TableStatus
from datastore.tests.conftest import CSV, publish_table

pytestmark = pytest.mark.django_db


def stored(table):
    names, rows = engine.read(f"SELECT * FROM {engine.qualified(table.table_name)} ORDER BY _id", [])  # noqa: S608
    return [dict(zip(names, row, strict=True)) for row in rows]


def test_a_german_csv_loads_with_its_types(table):
    assert table.status == TableStatus.READY
    assert table.rows == 4
    assert [(column["id"], column["type"]) for column in table.columns] == [
        ("Stadtteil", "string"), ("Anzahl", "integer"), ("Fläche in km²", "number"), ("Stichtag", "date"),
        ("Bemerkung", "string"), ("PLZ", "string"),
    ]  # fmt: skip
    rows = stored(table)
    assert [row["c2"] for row in rows] == [1234, 56, None, 7]
    assert [float(row["c3"]) for row in rows] == [12.5, -0.75, 3.0, 1000.25]
    assert [row["c4"] for row in rows] == [date(2024, 12, 31), date(2025, 1, 1), date(2024, 6, 15), None]
    assert [row["c5"] for row in rows] == ["Straße gesperrt", "", "Größe unbekannt", ""]
    assert [row["c6"] for row in rows] == ["01067", "04109", "01099", ""]


def test_an_xlsx_loads_with_its_types(flow_a, org_a):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Straße", "Bäume", "Anteil", "Gepflanzt", "Geprüft am"])
    sheet.append(["Goethestraße", 12, 0.25, date(2020, 4, 1), datetime(2024, 5, 6, 14, 30)])
    sheet.append(["Schillerstraße", None, 1.5, None, datetime(2024, 5, 7, 9, 0)])
    sheet.append(["Ölmühlweg", 3, None, date(2021, 10, 12), None])
    buffer = io.BytesIO()
    book.save(buffer)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    _dataset, table = publish_table(flow_a, org_a, "baeume", content=buffer.getvalue(), filename="baeume.xlsx",
                                    content_type=xlsx)  # fmt: skip

    assert table.status == TableStatus.READY, table.message
    assert [column["type"] for column in table.columns] == ["string", "integer", "number", "date", "datetime"]
    rows = stored(table)
    assert [row["c1"] for row in rows] == ["Goethestraße", "Schillerstraße", "Ölmühlweg"]
    assert [row["c2"] for row in rows] == [12, None, 3]
    assert [row["c4"] for row in rows] == [date(2020, 4, 1), None, date(2021, 10, 12)]
    assert rows[0]["c5"] == datetime(2024, 5, 6, 14, 30)


def test_loading_the_same_version_again_changes_nothing(table):
    distribution = table.distribution
    again = loader.load(distribution)
    assert (again.table_name, again.loaded_at) == (table.table_name, table.loaded_at)


def test_an_unpublished_table_is_not_loaded(flow_a, org_a):
    dataset = flow_a.create(org_a, "entwurf", csv=CSV)
    loader.sync_dataset(dataset.pk)
    distribution = dataset.distributions.get()
    assert loader.load(distribution) is None
    assert not DataTable.objects.exclude(table_name="").exists()


def test_a_withdrawn_dataset_takes_its_table_out_of_the_store(flow_a, table):
    name = table.table_name
    dataset = table.distribution.dataset
    flow_a.step("withdraw", dataset, flow_a.owner, reasons="Veraltet.")
    loader.sync_dataset(dataset.pk)

    assert not DataTable.objects.filter(pk=table.pk).exists()
    assert name not in engine.existing_tables()


def test_a_broken_file_fails_with_a_message_and_leaves_no_table(flow_a, org_a, monkeypatch):
    monkeypatch.setattr(engine, "CHUNK_ROWS", 2)
    original = engine.append
    calls = []

    def fail_second(name, columns, rows):
        calls.append(name)
        if len(calls) == 2:
            raise ValueError("disk full")
        return original(name, columns, rows)

    monkeypatch.setattr(engine, "append", fail_second)
    _dataset, table = publish_table(flow_a, org_a, "kaputt", content=CSV.encode())

    assert table.status == TableStatus.FAILED
    assert table.message
    assert not table.table_name
    assert calls[0] not in engine.existing_tables()


def test_progress_is_written_between_chunks(flow_a, org_a, monkeypatch):
    monkeypatch.setattr(engine, "CHUNK_ROWS", 1)
    seen = []
    original = engine.append

    def watch(name, columns, rows):
        seen.append(DataTable.objects.values_list("status", "progress_rows").get())
        return original(name, columns, rows)

    monkeypatch.setattr(engine, "append", watch)
    publish_table(flow_a, org_a, "fortschritt", content=CSV.encode())
    assert seen == [(TableStatus.LOADING, 0), (TableStatus.LOADING, 1), (TableStatus.LOADING, 2),
                    (TableStatus.LOADING, 3)]  # fmt: skip


def test_a_new_version_of_the_file_replaces_the_table(flow_a, table):
    old = table.table_name
    distribution = table.distribution
    distribution.checksum_sha256 = "f" * 64
    # As if a new file came: a new checksum with its reports.
    from catalog.models import DistributionReport, ReportKind

    DistributionReport.objects.create(distribution=distribution, kind=ReportKind.TABULAR, checksum_sha256="f" * 64,
                                      valid=True)  # fmt: skip
    distribution.save()
    new = loader.load(distribution)

    assert new.table_name != old
    assert new.loaded_checksum == "f" * 64
    assert old not in engine.existing_tables()
    assert new.table_name in engine.existing_tables()


def test_the_steward_sees_the_state_of_the_table(client_for, flow_a, table, monkeypatch, org_a):
    from django.urls import reverse

    dataset = table.distribution.dataset
    page = client_for(flow_a.steward).get(reverse("catalog:dataset_detail", args=[dataset.name]))
    assert "abfragbar, 4 Zeilen" in page.content.decode()

    DataTable.objects.filter(pk=table.pk).update(status=TableStatus.LOADING, progress_rows=2)
    page = client_for(flow_a.steward).get(reverse("catalog:dataset_detail", args=[dataset.name]))
    assert "wird geladen, 2 Zeilen gelesen (die bisherige Fassung bleibt abfragbar)" in " ".join(
        page.content.decode().split()
    )

    DataTable.objects.filter(pk=table.pk).update(status=TableStatus.FAILED, message="Datei zu groß.")
    page = client_for(flow_a.steward).get(reverse("catalog:dataset_detail", args=[dataset.name]))
    assert "Laden fehlgeschlagen</strong>: Datei zu groß." in page.content.decode()
