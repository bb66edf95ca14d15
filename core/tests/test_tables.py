"""The one table reader (core.tables): encodings, delimiters, Excel's hint line and XLSX."""

import codecs
import io

import pytest
from openpyxl import Workbook

from core import tables


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
