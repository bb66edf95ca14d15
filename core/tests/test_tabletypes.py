"""The one column type inference (core.tabletypes) the downloads and the queryable tables
share: text and typed cells, German and English numbers, and what stays text."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from core.tabletypes import ColumnType, ColumnTypes, convert


def kinds(*columns, decimal=None):
    types = ColumnTypes(decimal=decimal)
    for row in zip(*columns, strict=True):
        types.see(list(row))
    return types.kinds()


@pytest.mark.parametrize(
    ("cells", "kind"),
    [
        (["17", "-3", "", "0"], "integer"),
        (["1.234.567", "−12", "1 234"], "integer"),  # German groups, a typeset minus, a space group
        (["1.234,5", "-0,75", "12"], "number"),
        (["12.5", "-0.5"], "number"),
        (["1\u00a0234,5", "0,5"], "number"),
        (["31.12.2024", "2024-12-31", "1.1.2025"], "date"),
        (["31.12.2024 13:45", "2024-12-31T08:00:00+01:00", "1.1.2025"], "datetime"),
        (["wahr", "FALSCH", "true"], "boolean"),
        (["01067", "04109"], "string"),  # postcodes
        (["1234567890123456"], "string"),  # beyond a spreadsheet's 15 digits: an identifier
        (["3", "drei"], "string"),
        (["12,5 %", "3 %"], "string"),
        (["31.02.2024"], "string"),  # no such day
        (["", " "], "string"),
        ([17, 3], "integer"),  # typed cells, as core.tables reads an XLSX
        ([17, 2.5, None], "number"),
        ([datetime(2024, 12, 31), date(2025, 1, 1)], "date"),
        ([datetime(2024, 12, 31, 13, 45), date(2025, 1, 1)], "datetime"),
        ([True, "falsch"], "boolean"),
        ([3, "1.234,5"], "number"),  # a number stored as text in a sheet
        ([time(8, 0)], "string"),
        ([timedelta(hours=1)], "string"),
        ([3, "drei"], "string"),
    ],
)
def test_a_column_is_of_the_first_kind_every_value_fits(cells, kind):
    assert kinds(cells) == [kind]


def test_a_column_that_reads_both_ways_follows_the_table_then_the_hint():
    ambiguous = ["1.234", "567"]
    assert kinds(ambiguous) == ["string"]  # 1234 or 1.234: no guessing
    assert kinds(ambiguous, decimal=",") == ["integer"]
    assert kinds(ambiguous, decimal=".") == ["number"]
    assert kinds(ambiguous, ["12,5", "1"], decimal=".") == ["integer", "number"]  # the table says German
    assert kinds(ambiguous, ["12.5", "1"], decimal=",") == ["number", "number"]  # the table says English
    types = ColumnTypes()
    types.see(["1.234", "12,5"])
    assert [column.convert("1.234") for column in types.columns()] == [1234, Decimal("1234")]


def test_columns_cover_the_header_and_the_widest_row():
    types = ColumnTypes()
    types.see(["1"])
    types.see(["2", "x", "3"])
    assert types.kinds(width=4) == ["integer", "string", "integer", "string"]


@pytest.mark.parametrize(
    ("value", "column", "expected"),
    [
        ("1.234,5", ColumnType("number", ","), Decimal("1234.5")),
        ("−0,75", ColumnType("number", ","), Decimal("-0.75")),
        ("1 234", ColumnType("integer", "."), 1234),
        (" 17 ", ColumnType("integer"), 17),
        (2.5, ColumnType("number"), Decimal("2.5")),
        (17, ColumnType("number"), Decimal(17)),
        ("1.1.2025", ColumnType("date"), date(2025, 1, 1)),
        (datetime(2025, 1, 1), ColumnType("date"), date(2025, 1, 1)),
        ("1.1.2025", ColumnType("datetime"), datetime(2025, 1, 1)),
        ("2024-12-31T08:00:00Z", ColumnType("datetime"), datetime(2024, 12, 31, 8, tzinfo=UTC)),
        ("31.12.2024 13:45:00,5", ColumnType("datetime"), datetime(2024, 12, 31, 13, 45, 0, 500000)),
        ("WAHR", ColumnType("boolean"), True),
        ("", ColumnType("integer"), None),
        (None, ColumnType("date"), None),
        ("", ColumnType("string"), ""),
        (3, ColumnType("string"), "3"),
        (datetime(2024, 12, 31, 13, 45), ColumnType("string"), "2024-12-31T13:45:00"),
    ],
)
def test_a_cell_converts_to_its_columns_python_value(value, column, expected):
    assert column.convert(value) == expected
    assert type(column.convert(value)) is type(expected)
    assert column.converter()(value) == expected  # the fast form for many cells agrees


@pytest.mark.parametrize(("value", "kind"), [("drei", "integer"), ("1,5", "integer"), (True, "number"), ("x", "date")])
def test_a_cell_of_another_kind_is_a_value_error(value, kind):
    with pytest.raises(ValueError, match="is no"):
        convert(value, kind, ",")
