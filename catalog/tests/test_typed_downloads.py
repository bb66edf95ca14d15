"""Issue 24, typed downloads: a CSV and an XLSX with German number formats, dates, empty
cells and umlauts are rendered the way the worker does (catalog.renditions.render_files)
and come out with numbers as numbers and dates as dates in JSON and XLSX, the source's
values in the CSV, and Excel's German form in the German CSV (`;`, decimal comma without
digit grouping, TT.MM.JJJJ, UTF-8 with BOM, CRLF). No database: an unsaved Distribution
whose file lies under MEDIA_ROOT."""

import codecs
import csv
import io
import json
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from catalog.models import Distribution, RenditionKind, RenditionStatus
from catalog.renditions import render_files

NBSP = "\u00a0"
# Einwohner: German digit grouping without a decimal comma ("1.234" reads 1.234 in English
# too); the ;-separated file says German. Fläche: grouping by (non-breaking) spaces.
# PLZ: leading zeros, a key. Gemischt: one cell is no number. Anteil: percentages stay
# text (the unit would be lost).
GERMAN_CSV = (
    "Straße;PLZ;Größe (m²);Anzahl;Einwohner;Fläche;Stichtag;Zeitpunkt;Gemischt;Anteil;Aktiv\r\n"
    "Königstraße;01067;1.234,5;17;1.234;1 234,5;31.12.2024;31.12.2024 13:45;3;12,5 %;wahr\r\n"
    f"Große Gasse;04109;-0,75;-3;567;12{NBSP}345;2024-12-31;2024-12-31T08:00:00;drei;3 %;falsch\r\n"
    ";;;;;;;;;;\r\n"
    "Straße der Einheit;99084;12;0;12.345;0,5;1.1.2025;1.1.2025 00:00;4,5;;WAHR\r\n"
)


def rendered(tmp_path, settings, name: str, content: bytes, file_format: str) -> dict:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / name).write_bytes(content)
    out = tmp_path / "out"
    out.mkdir()
    outcomes = render_files(Distribution(format=file_format, file=name), str(out))
    return {outcome.kind: outcome for outcome in outcomes}


def read(outcome) -> bytes:
    assert outcome.status == RenditionStatus.READY, outcome
    with open(outcome.path, "rb") as file:
        return file.read()


def xlsx_rows(outcome) -> list[list]:
    sheet = load_workbook(io.BytesIO(read(outcome))).worksheets[0]
    return [list(row) for row in sheet.iter_rows()]


@pytest.fixture
def german(tmp_path, settings):
    return rendered(tmp_path, settings, "tabelle.csv", GERMAN_CSV.encode(), "CSV")


def test_json_has_numbers_as_numbers_dates_as_iso_text_and_empty_typed_cells_null(german):
    records = json.loads(read(german[RenditionKind.JSON]))
    assert records[0] == {
        "Straße": "Königstraße",
        "PLZ": "01067",
        "Größe (m²)": 1234.5,
        "Anzahl": 17,
        "Einwohner": 1234,
        "Fläche": 1234.5,
        "Stichtag": "2024-12-31",
        "Zeitpunkt": "2024-12-31T13:45:00",
        "Gemischt": "3",
        "Anteil": "12,5 %",
        "Aktiv": True,
    }
    assert records[1]["Größe (m²)"] == -0.75
    assert records[1]["Fläche"] == 12345.0
    assert records[1]["Zeitpunkt"] == "2024-12-31T08:00:00"
    assert records[1]["Gemischt"] == "drei"
    # Empty cells: null where the column is typed, "" where it is text.
    assert records[2] == {
        "Straße": "", "PLZ": "", "Größe (m²)": None, "Anzahl": None, "Einwohner": None, "Fläche": None,
        "Stichtag": None, "Zeitpunkt": None, "Gemischt": "", "Anteil": "", "Aktiv": None,
    }  # fmt: skip
    # int vs float by column: a number column is floats throughout, an integer column ints.
    assert records[3]["Größe (m²)"] == 12.0
    assert isinstance(records[3]["Größe (m²)"], float)
    assert isinstance(records[3]["Einwohner"], int)
    assert records[3]["Einwohner"] == 12345
    assert isinstance(records[3]["Anzahl"], int)
    assert records[3]["Stichtag"] == "2025-01-01"
    assert records[3]["Aktiv"] is True


def test_xlsx_has_numbers_and_dates_as_cells_of_their_type(german):
    header, first, second, empty, last = xlsx_rows(german[RenditionKind.XLSX])
    assert [cell.value for cell in header][:3] == ["Straße", "PLZ", "Größe (m²)"]
    assert [cell.value for cell in first[:6]] == ["Königstraße", "01067", 1234.5, 17, 1234, 1234.5]
    assert [cell.data_type for cell in first[:6]] == ["s", "s", "n", "n", "n", "n"]
    assert first[6].is_date
    assert first[6].value.date() == date(2024, 12, 31)
    assert first[7].is_date
    assert first[7].value == datetime(2024, 12, 31, 13, 45)
    assert [cell.value for cell in first[8:]] == ["3", "12,5 %", True]
    assert second[2].value == -0.75
    assert second[5].value == 12345
    assert all(cell.value is None for cell in empty)
    assert last[6].value.date() == date(2025, 1, 1)


def test_the_csv_keeps_the_values_as_the_source_wrote_them(german):
    data = read(german[RenditionKind.CSV])
    assert data.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows == list(csv.reader(io.StringIO(GERMAN_CSV, newline=""), delimiter=";"))


def test_the_german_csv_is_what_excel_with_german_settings_reads_as_numbers_and_dates(german):
    data = read(german[RenditionKind.CSV_DE])
    assert data.startswith(codecs.BOM_UTF8)
    text = data.decode("utf-8-sig")
    assert text.count("\r\n") == 5
    assert "\n" not in text.replace("\r\n", "")
    assert text.splitlines()[1] == (
        # No digit grouping: Excel reads 1.234,5 too, but R's read.csv2 and pandas with
        # decimal="," do not; a thousands dot is also 1.234 in English.
        "Königstraße;01067;1234,5;17;1234;1234,5;31.12.2024;31.12.2024 13:45:00;3;12,5 %;WAHR"
    )
    assert text.splitlines()[2] == (
        "Große Gasse;04109;-0,75;-3;567;12345;31.12.2024;31.12.2024 08:00:00;drei;3 %;FALSCH"
    )
    assert text.splitlines()[3] == ";;;;;;;;;;"
    assert text.splitlines()[4] == "Straße der Einheit;99084;12;0;12345;0,5;01.01.2025;01.01.2025 00:00:00;4,5;;WAHR"


def test_a_german_csv_that_says_what_the_original_says_is_not_kept(tmp_path, settings):
    already = "Ort;Anzahl;Anteil;Stichtag\r\nKöln;1234;12,5;31.12.2024\r\nBonn;;-0,5;01.01.2025\r\n"
    outcomes = rendered(tmp_path, settings, "schon.csv", codecs.BOM_UTF8 + already.encode(), "CSV")
    german = outcomes[RenditionKind.CSV_DE]
    assert german.status == RenditionStatus.READY
    assert german.path == ""  # the original is that file


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"Ort,Anteil\r\nKoeln,12.5\r\n", "comma and decimal point"),
        (b"Ort;Anteil\r\nKoeln;1.234,5\r\n", "digit grouping"),
        (b"Ort;Stichtag\r\nKoeln;2024-12-31\r\n", "ISO date"),
        ("Ort;Anzahl\r\nKöln;1\r\n".encode(), "UTF-8 without BOM: Excel would read Windows-1252"),
        (b"Ort;Notiz\r\nKoeln;=1+1\r\n", "a formula is neutralised"),
    ],
)
def test_a_german_csv_that_differs_from_the_original_is_kept(tmp_path, settings, content, why):
    german = rendered(tmp_path, settings, "t.csv", content, "CSV")[RenditionKind.CSV_DE]
    assert german.status == RenditionStatus.READY
    assert german.path, why


def test_a_windows_1252_file_in_german_form_needs_no_german_csv(tmp_path, settings):
    content = "Ort;Anteil\r\nKöln;12,5\r\n".encode("cp1252")  # Excel with German settings reads it as is
    assert rendered(tmp_path, settings, "t.csv", content, "CSV")[RenditionKind.CSV_DE].path == ""


def xlsx_source() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Straße", "Größe", "Anzahl", "Datum", "Zeitpunkt", "PLZ", "Betrag als Text", "Notiz"])
    sheet.append(
        ["Königstraße", 1234.5, 17, date(2024, 12, 31), datetime(2024, 12, 31, 13, 45), "01067", "1.234,5", "Größe"]
    )
    sheet.append(["Große Gasse", None, 3, None, None, "04109", "12", None])
    sheet.append(["Weg", -0.75, None, date(2025, 1, 1), datetime(2025, 1, 1, 8, 0), "99084", "-0,75", "ok"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def from_xlsx(tmp_path, settings):
    return rendered(tmp_path, settings, "mappe.xlsx", xlsx_source(), "XLSX")


def test_an_xlsx_keeps_its_types_dates_are_dates_and_numbers_stored_as_text_become_numbers(from_xlsx):
    records = json.loads(read(from_xlsx[RenditionKind.JSON]))
    assert records == [
        {
            "Straße": "Königstraße", "Größe": 1234.5, "Anzahl": 17, "Datum": "2024-12-31",
            "Zeitpunkt": "2024-12-31T13:45:00", "PLZ": "01067", "Betrag als Text": 1234.5, "Notiz": "Größe",
        },
        {
            "Straße": "Große Gasse", "Größe": None, "Anzahl": 3, "Datum": None,
            "Zeitpunkt": None, "PLZ": "04109", "Betrag als Text": 12.0, "Notiz": None,
        },
        {
            "Straße": "Weg", "Größe": -0.75, "Anzahl": None, "Datum": "2025-01-01",
            "Zeitpunkt": "2025-01-01T08:00:00", "PLZ": "99084", "Betrag als Text": -0.75, "Notiz": "ok",
        },
    ]  # fmt: skip
    _header, first, _second, third = xlsx_rows(from_xlsx[RenditionKind.XLSX])
    assert [cell.value for cell in first[:3]] == ["Königstraße", 1234.5, 17]
    assert first[3].is_date
    assert first[3].number_format.startswith("yyyy-mm-dd")
    assert "h" not in first[3].number_format
    assert first[4].is_date
    assert first[4].value == datetime(2024, 12, 31, 13, 45)
    assert [cell.data_type for cell in (first[5], first[6], third[6])] == ["s", "n", "n"]
    assert third[6].value == -0.75


def test_an_xlsx_gets_a_german_csv(from_xlsx):
    lines = read(from_xlsx[RenditionKind.CSV_DE]).decode("utf-8-sig").split("\r\n")
    assert lines[0] == "Straße;Größe;Anzahl;Datum;Zeitpunkt;PLZ;Betrag als Text;Notiz"
    assert lines[1] == "Königstraße;1234,5;17;31.12.2024;31.12.2024 13:45:00;01067;1234,5;Größe"
    assert lines[2] == "Große Gasse;;3;;;04109;12"  # as the sheet stores the row: without the empty cell at its end
    assert lines[3] == "Weg;-0,75;;01.01.2025;01.01.2025 08:00:00;99084;-0,75;ok"


def test_a_cell_that_changed_between_the_passes_stays_as_it_is(tmp_path, settings, monkeypatch):
    from catalog import renditions

    survey = renditions._survey

    def survey_then_change(distribution, limits):
        found = survey(distribution, limits)
        (tmp_path / "media" / "t.csv").write_bytes(b"Anzahl\r\n17\r\nsiebzehn\r\n")
        return found

    monkeypatch.setattr(renditions, "_survey", survey_then_change)
    outcomes = rendered(tmp_path, settings, "t.csv", b"Anzahl\r\n17\r\n18\r\n", "CSV")
    assert json.loads(read(outcomes[RenditionKind.JSON])) == [{"Anzahl": 17}, {"Anzahl": "siebzehn"}]
