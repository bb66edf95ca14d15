"""Issue 21, finding 1: the probe's XLSX row bomb, a shared-strings bomb and a
1-million-row CSV through every path that reads a table (validation, disclosure check,
inventory import), each measured in its own process: peak RSS below 300 MB and a German
result that names the cap, never a crash or a worker that keeps gigabytes."""

import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.uploads import check_upload
from core.testing import measured, write_large_csv, write_row_bomb
from core.tests.sheets import MAIN, workbook_members

PEAK = 300 * 2**20
BOMB_ROWS = 2_000_000  # above TABLE_MAX_ROWS (1,048,576): the cap stops the reading
CSV_ROWS = 1_000_000


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bounds")
    write_row_bomb(folder / "bombe.xlsx", BOMB_ROWS)
    write_large_csv(folder / "gross.csv", CSV_ROWS)
    write_shared_strings_bomb(folder / "strings.xlsx", 4_000_000)
    return folder


def write_shared_strings_bomb(path, count: int) -> None:
    """One cell, and `count` distinct shared strings (about 80 MB unpacked)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, text in workbook_members(shared_strings=True).items():
            archive.writestr(name, text)
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>'
            "</sheetData></worksheet>",
        )
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as strings:
            strings.write(f'<sst xmlns="{MAIN}">'.encode())
            for start in range(0, count, 100_000):
                strings.write("".join(f"<si><t>{n:07d}</t></si>" for n in range(start, start + 100_000)).encode())
            strings.write(b"</sst>")


def test_the_row_bomb_is_the_probes_and_passes_the_upload_check(files):
    data = (files / "bombe.xlsx").read_bytes()

    assert check_upload(SimpleUploadedFile("bombe.xlsx", data)).file_type.code == "XLSX"


def test_validating_the_row_bomb_stays_small_and_names_the_row_cap(files):
    result, peak = measured("catalog.tests.bounds_targets:validate", str(files / "bombe.xlsx"), "xlsx")

    assert peak < PEAK, f"peak RSS {peak / 2**20:.0f} MB"
    assert result["summary"]["too-large"] == 1
    assert "Die Datei ist zu groß zum Prüfen: mehr als 1.048.576 Zeilen" in result["messages"][0]


def test_the_disclosure_check_of_the_row_bomb_stays_small_and_says_why_it_stopped(files):
    result, peak = measured("catalog.tests.bounds_targets:disclosure", str(files / "bombe.xlsx"), "xlsx")

    assert peak < PEAK, f"peak RSS {peak / 2**20:.0f} MB"
    assert result["error"] == "too-large"
    assert "mehr als 1.048.576 Zeilen" in result["message"]


def test_importing_the_row_bomb_stops_at_the_import_row_limit(files, settings):
    result, peak = measured("catalog.tests.bounds_targets:import_rows", str(files / "bombe.xlsx"), "XLSX")

    assert peak < PEAK, f"peak RSS {peak / 2**20:.0f} MB"
    assert (
        f"Die Datei hat mehr als {settings.IMPORT_MAX_ROWS} Datenzeilen (leere Zeilen zählen mit). "
        "Bitte teilen Sie sie auf mehrere Dateien auf."
    ) in result


def test_a_shared_strings_bomb_stops_at_the_cap_in_little_memory(files):
    result, peak = measured("catalog.tests.bounds_targets:read", str(files / "strings.xlsx"), "XLSX")

    assert peak < PEAK, f"peak RSS {peak / 2**20:.0f} MB"
    assert result["stopped"] in ("cells", "bytes")


def test_a_million_row_csv_is_validated_completely_in_little_memory(files):
    result, peak = measured("catalog.tests.bounds_targets:validate", str(files / "gross.csv"), "csv")

    assert peak < PEAK, f"peak RSS {peak / 2**20:.0f} MB"
    assert result["rows"] == CSV_ROWS
    assert "too-large" not in result["summary"]
    # The generator repeats its pattern after 997,300 rows: the rest are duplicates.
    assert result["summary"]["duplicate-row"] == CSV_ROWS - 997_300


def test_the_disclosure_check_of_a_million_row_csv_reads_it_all_in_little_memory(files):
    result, peak = measured("catalog.tests.bounds_targets:disclosure", str(files / "gross.csv"), "csv")

    assert peak < PEAK, f"peak RSS {peak / 2**20:.0f} MB"
    assert (result["rows"], result["error"]) == (CSV_ROWS, "")
    assert result["count_columns"] == ["Anzahl"]


def test_importing_a_million_row_csv_stops_at_the_import_row_limit(files, settings):
    result, peak = measured("catalog.tests.bounds_targets:import_rows", str(files / "gross.csv"), "CSV")

    assert peak < PEAK, f"peak RSS {peak / 2**20:.0f} MB"
    assert any(f"mehr als {settings.IMPORT_MAX_ROWS} Datenzeilen" in message for message in result)


def test_a_large_inventory_goes_to_the_worker_unparsed(files, client_for, steward_a, org_a, settings, tmp_path,
                                                       monkeypatch, django_capture_on_commit_callbacks):  # fmt: skip
    from django.urls import reverse

    from catalog.models import ImportStatus, InventoryImport
    from core import tables

    settings.MEDIA_ROOT = tmp_path
    read = tables.read_rows
    calls = []
    monkeypatch.setattr(tables, "read_rows", lambda *args, **kwargs: calls.append(1) or read(*args, **kwargs))
    data = (files / "gross.csv").read_bytes()
    assert len(data) > settings.IMPORT_BACKGROUND_BYTES

    with django_capture_on_commit_callbacks() as callbacks:
        client_for(steward_a).post(
            reverse("catalog:import_start"), {"organisation": org_a.pk, "file": SimpleUploadedFile("bestand.csv", data)}
        )
    inventory_import = InventoryImport.objects.get()

    assert (inventory_import.status, inventory_import.total_rows, calls) == (ImportStatus.PENDING, 0, [])
    for callback in callbacks:
        callback()  # the worker (eager in the tests) reads the file, within the import's row cap
    inventory_import.refresh_from_db()
    assert inventory_import.status == ImportStatus.FAILED
    assert any(
        "Datenzeilen (leere Zeilen zählen mit)" in message for message in inventory_import.errors[0]["errors"][""]
    )
