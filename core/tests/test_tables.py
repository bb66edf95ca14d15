"""The one table reader (core.tables): encodings, delimiters, Excel's hint line and XLSX."""

import codecs
import io
import zipfile
from datetime import datetime

import pytest
from openpyxl import Workbook

from core import tables

from .sheets import xlsx_with_sheet


def rows(data: bytes) -> list[list[str]]:
    return list(tables.csv_rows(io.BytesIO(data)))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"Baum;Art\r\n1;Linde\r\n", [["Baum", "Art"], ["1", "Linde"]]),
        (codecs.BOM_UTF8 + "Höhe,Art\n12,5;x\n".encode(), [["Höhe", "Art"], ["12", "5;x"]]),
        ("Straße\tOrt\r\nA\tKöln\r\n".encode("cp1252"), [["Straße", "Ort"], ["A", "Köln"]]),
        (b"a|b\n1|2\n", [["a", "b"], ["1", "2"]]),
        (b"sep=,\r\na;b,c\r\n", [["a;b", "c"]]),
        (b"einzeln\n", [["einzeln"]]),
    ],
)
def test_csv_is_read_in_utf8_or_windows_1252_with_the_delimiter_of_its_first_line(data, expected):
    assert rows(data) == expected
    assert list(tables.text_rows(tables.decode(data))) == expected


def test_a_tie_in_the_first_line_goes_to_the_semicolon():
    assert tables.dialect_of("a;b,c\n") == (";", False)


def test_a_streamed_sample_may_end_inside_a_character_a_whole_file_may_not():
    cut = "ä".encode()[:1]
    assert tables.encoding_of(b"abc" + cut) == "utf-8-sig"
    assert tables.encoding_of(b"abc" + cut, complete=True) == "cp1252"


def test_a_bom_without_valid_utf8_after_it_is_a_decode_error_in_utf8():
    with pytest.raises(UnicodeDecodeError) as error:
        tables.decode(codecs.BOM_UTF8 + b"\xff")
    assert error.value.encoding == "utf-8"


def test_xlsx_rows_are_the_first_sheets_values():
    workbook = Workbook()
    workbook.active.append(["Jahr", "Anzahl"])
    workbook.active.append([2024, 17])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    assert list(tables.xlsx_rows(buffer)) == [["Jahr", "Anzahl"], [2024, 17]]


def test_a_broken_xlsx_is_a_table_error_with_its_cause():
    with pytest.raises(tables.TableError) as error:
        list(tables.xlsx_rows(io.BytesIO(b"not a zip")))
    assert error.value.__cause__ is not None


# -- The streaming XLSX pass and its caps (issue 21) --------------------------------------

LIMITS = tables.TableLimits(rows=1000, cells=100_000, unpacked_bytes=10 * 2**20, seconds=60)


def read(data: bytes, file_format: str = "XLSX", limits: tables.TableLimits = LIMITS) -> list[list]:
    return list(tables.read_rows(io.BytesIO(data), file_format, limits))


def cell(reference: str, value: str, kind: str = "", style: str = "") -> str:
    kind = f' t="{kind}"' if kind else ""
    style = f' s="{style}"' if style else ""
    return f'<c r="{reference}"{kind}{style}><v>{value}</v></c>'


def test_cells_keep_their_types_and_gaps_in_a_row_are_none():
    styles = (
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="DD.MM.YYYY"/></numFmts>'
        '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="14"/></cellXfs>'
    )
    sheet = (
        '<row r="1">' + cell("A1", "0", "s") + cell("C1", "1", "s") + "</row>"
        '<row r="2">'
        + cell("A2", "17")
        + cell("B2", "2.5")
        + cell("C2", "1", "b")
        + cell("D2", "45292", style="1")
        + cell("E2", "45292.5", style="2")
        + '<c r="F2" t="inlineStr"><is><r><t>Lin</t></r><r><t>den</t></r></is></c>'
        + '<c r="G2" t="str"><f>A1&amp;"x"</f><v>Baumx</v></c>'
        + cell("H2", "#DIV/0!", "e")
        + cell("I2", "3.0E2")
        + "</row>"
    )
    data = xlsx_with_sheet(sheet, shared_strings=["Baum", "Höhe"], styles_xml=styles)

    assert read(data) == [
        ["Baum", None, "Höhe"],
        [17, 2.5, True, datetime(2024, 1, 1), datetime(2024, 1, 1, 12), "Linden", "Baumx", "#DIV/0!", 300],
    ]


def test_rows_skipped_by_their_reference_are_empty_rows_that_count():
    sheet = '<row r="1">' + cell("A1", "1") + '</row><row r="4">' + cell("B4", "2") + "</row>"

    assert read(xlsx_with_sheet(sheet)) == [[1], [], [], [None, 2]]


def test_a_jump_to_the_last_excel_row_is_streamed_and_stops_at_the_row_cap():
    sheet = '<row r="1">' + cell("A1", "1") + '</row><row r="1048576">' + cell("A1048576", "2") + "</row>"
    rows = tables.read_rows(io.BytesIO(xlsx_with_sheet(sheet)), "XLSX", LIMITS)

    with pytest.raises(tables.TooLarge) as stopped:
        for _row in rows:
            pass
    assert (stopped.value.limit, stopped.value.cap) == ("rows", 1000)


def test_each_member_is_bounded_by_its_unpacked_size():
    sheet = "".join(f'<row r="{n}">' + cell(f"A{n}", str(n)) + "</row>" for n in range(1, 500))
    limits = tables.TableLimits(rows=10_000, cells=100_000, unpacked_bytes=4096, seconds=60)

    with pytest.raises(tables.TooLarge) as stopped:
        read(xlsx_with_sheet(sheet), limits=limits)
    assert (stopped.value.limit, stopped.value.cap) == ("bytes", 4096)


def test_shared_strings_are_bounded_in_count():
    limits = tables.TableLimits(rows=10, cells=100, unpacked_bytes=2**20, seconds=60, shared_strings=100)
    data = xlsx_with_sheet('<row r="1">' + cell("A1", "0", "s") + "</row>", shared_strings=["x"] * 101)

    with pytest.raises(tables.TooLarge) as stopped:
        read(data, limits=limits)
    assert (stopped.value.limit, stopped.value.cap) == ("cells", 100)


def test_a_sheet_with_entity_declarations_is_refused():
    data = xlsx_with_sheet('<row r="1">' + cell("A1", "1") + "</row>")
    archive_in = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive_out:
        for name in archive_in.namelist():
            content = archive_in.read(name)
            if name.endswith("sheet1.xml"):
                content = content.replace(
                    b"<worksheet", b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]><worksheet', 1
                ).replace(b"<v>1</v>", b"<v>&a;</v>")
            archive_out.writestr(name, content)

    with pytest.raises(tables.TableError):
        read(buffer.getvalue())


def test_a_csv_line_longer_than_the_cap_is_not_read_whole():
    limits = tables.TableLimits(rows=10, cells=100, unpacked_bytes=2**20, seconds=60, line_chars=1000)
    data = b"Name;Wert\n" + b"x" * 5000

    with pytest.raises(tables.TooLarge) as stopped:
        read(data, "CSV", limits)
    assert stopped.value.limit == "bytes"


def test_csv_rows_count_toward_the_caps_empty_ones_too():
    with pytest.raises(tables.TooLarge) as stopped:
        read(b"a;b\n" + b"\n" * 2000, "CSV")
    assert (stopped.value.limit, stopped.value.cap) == ("rows", 1000)


def test_csv_is_sniffed_for_its_encoding_and_delimiter():
    sniffed = tables.sniff_csv(io.BytesIO("Straße;Ort\n".encode("cp1252")))

    assert (sniffed.encoding, sniffed.delimiter) == ("cp1252", ";")


def test_column_types_are_inferred_from_a_sample_with_a_confidence():
    header = ["Name", "Anzahl", "Anteil", "Stichtag", "Leer"]
    sample = [["A", "1", "1.5", "2024-12-31", ""]] + [["C", "3", "0.1", "2023-12-31", ""]] * 6
    sample.append(["B", "viele", "2", "2024-01-01", None])

    assert tables.column_types(header, sample, confidence=0.75) == ["string", "integer", "number", "date", "any"]


def test_column_names_are_unique_and_linear_in_a_hostile_header():
    assert tables.column_names(["Jahr", "", None, "Jahr", "Jahr", "Jahr_2"]) == [
        "Jahr", "Spalte 2", "Spalte 3", "Jahr_2", "Jahr_3", "Jahr_2_2",
    ]  # fmt: skip
    # 200,000 equal labels (a 1 MB CSV header line): quadratic naming would take minutes.
    names = tables.column_names(["a"] * 200_000)
    assert len(set(names)) == 200_000
    assert names[-1] == "a_200000"
