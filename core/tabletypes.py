"""The type of each column of a table, inferred from its cells, and each cell's value in
that type: one inference for the downloads (catalog.renditions) and for loading tables
into a queryable store (issue 24), so that a number in the JSON is a number there too.
Model-free; it imports no app and no Django.

    types = ColumnTypes(decimal=",")         # the file's hint, see below
    for row in data_rows:                     # the header not included
        types.see(row)
    columns = types.columns(width=len(header))
    values = [column.convert(cell) for column, cell in zip(columns, row)]

The kinds are Table Schema's names: "integer", "number", "date", "datetime", "boolean",
"string". A column is of the first kind in that order that fits every non-empty cell; a
column without any value is "string". `convert` gives int, Decimal, date, datetime, bool
or str, and None for an empty cell of a typed column (an empty text cell stays "").

Cells are text (CSV, text cells of an XLSX) or typed (XLSX via core.tables: int, float,
bool, datetime, date). Text is read as:
- integer: "-17", "1.234.567" or "1 234 567" (German digit groups, spaces also
  non-breaking). No leading zero: a postcode "01067" or a municipality key is text. At
  most 15 digits, a spreadsheet's precision: longer digit strings are identifiers.
- number: "1.234,5", "-0,75", "1 234,5" (decimal comma) or "12.5" (decimal point); one
  convention per column. "1.234" reads both ways (1234 or 1.234): the table decides
  (its other columns, if they use only one convention), else the hint `decimal` (a
  ;-separated CSV is what Excel writes with German settings), else the column is text.
- date: "2024-12-31", "31.12.2024", "1.1.2025"; datetime: a date followed by "T" or a
  space and "13:45", "13:45:00" or "13:45:00.5", ISO text optionally with "Z" or an
  offset (then the datetime is aware, otherwise naive).
- boolean: true/false, wahr/falsch in any case.
Everything else is text; so are percentages and amounts with a unit ("12,5 %",
"3 km"): the number alone would lose what it counts. A typed datetime at midnight counts
as a date (XLSX stores dates as datetimes); a time or a duration makes a column text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import partial

INTEGER = "integer"
NUMBER = "number"
DATE = "date"
DATETIME = "datetime"
BOOLEAN = "boolean"
STRING = "string"
KINDS = (INTEGER, NUMBER, DATE, DATETIME, BOOLEAN, STRING)

_SPACES = " \u00a0\u202f"  # space, no-break space, narrow no-break space (DIN 1333)
_SPACE_GROUPS = r"[1-9]\d{0,2}(?:[ \u00a0\u202f]\d{3}){1,4}"
_PLAIN_INTEGER = re.compile(r"-?(?:0|[1-9]\d{0,14})")
# (sign, integer part, fraction) with a decimal comma or a decimal point.
_GERMAN = re.compile(rf"(-?)(0|[1-9]\d{{0,14}}|[1-9]\d{{0,2}}(?:\.\d{{3}}){{1,4}}|{_SPACE_GROUPS})(?:,(\d{{1,15}}))?")
_ENGLISH = re.compile(rf"(-?)(0|[1-9]\d{{0,14}}|{_SPACE_GROUPS})(?:\.(\d{{1,15}}))?")
_DATE_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DATE_GERMAN = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})?")
_DATETIME = re.compile(r"(\S+)[T ](\S+)")
_BOOLEANS = {"true": True, "false": False, "wahr": True, "falsch": False}
_MINUS = "\u2212"  # typeset minus, as in published statistics


def _clean(text: str) -> str:
    return text.strip().replace(_MINUS, "-")


def parse_date(text: str) -> date | None:
    """A date written as 2024-12-31 or 31.12.2024 (1.1.2025), else None."""
    if match := _DATE_ISO.fullmatch(text):
        year, month, day = match.groups()
    elif match := _DATE_GERMAN.fullmatch(text):
        day, month, year = match.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_datetime(text: str) -> datetime | None:
    """A date (see parse_date), "T" or a space, and a time of day, else None."""
    match = _DATETIME.fullmatch(text)
    if not match:
        return None
    day, clock = parse_date(match.group(1)), _TIME.fullmatch(match.group(2))
    if day is None or clock is None:
        return None
    hour, minute, second, fraction, offset = clock.groups()
    zone = None
    if offset == "Z":
        zone = UTC
    elif offset:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        zone = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return datetime(
            day.year, day.month, day.day, int(hour), int(minute), int(second or 0),
            int((fraction or "0").ljust(6, "0")), tzinfo=zone,
        )  # fmt: skip
    except ValueError:
        return None


def _number(text: str, decimal: str) -> Decimal | None:
    match = (_GERMAN if decimal == "," else _ENGLISH).fullmatch(text)
    if not match:
        return None
    sign, whole, fraction = match.groups()
    whole = whole.translate(_UNGROUP)
    return Decimal(f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}")


_UNGROUP = str.maketrans("", "", "." + _SPACES)


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def convert(value, kind: str, decimal: str = "."):
    """`value` (a cell: text or typed) as a value of `kind`: int, Decimal, date,
    datetime, bool or str; `decimal` is the decimal mark of text numbers ("," or ".").
    None for an empty cell of a typed column. Raises ValueError if the cell is none of
    that kind (ColumnTypes gives every column a kind all its cells fit)."""
    if value is None:
        return None
    if kind == STRING:
        return value if isinstance(value, str) else _text(value)
    if isinstance(value, str):
        text = _clean(value)
        if not text:
            return None
        result = _from_text(text, kind, decimal)
    else:
        result = _from_typed(value, kind)
    if result is None:
        raise ValueError(f"{value!r} is no {kind}")
    return result


def _from_text(text: str, kind: str, decimal: str):
    if kind == INTEGER:
        if _PLAIN_INTEGER.fullmatch(text):
            return int(text)
        number = _number(text, decimal)
        return int(number) if number is not None and number == number.to_integral_value() else None
    if kind == NUMBER:
        return _number(text, decimal)
    if kind == DATE:
        return parse_date(text)
    if kind == DATETIME:
        day = parse_date(text)
        return datetime(day.year, day.month, day.day) if day is not None else parse_datetime(text)
    if kind == BOOLEAN:
        return _BOOLEANS.get(text.lower())
    raise ValueError(f"unknown kind {kind!r}")


def _from_typed(value, kind: str):
    if isinstance(value, bool):
        return value if kind == BOOLEAN else None
    if isinstance(value, int | float | Decimal):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        if kind == INTEGER:
            return int(value) if value == int(value) else None
        if kind == NUMBER:
            return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        return None
    if isinstance(value, datetime):
        if kind == DATETIME:
            return value
        return value.date() if kind == DATE and _is_midnight(value) else None
    if isinstance(value, date):
        if kind == DATE:
            return value
        return datetime(value.year, value.month, value.day) if kind == DATETIME else None
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    return None


def _is_midnight(value: datetime) -> bool:
    return value.tzinfo is None and value.time() == time()


@dataclass(frozen=True)
class ColumnType:
    """The kind of one column and, for numbers written as text, its decimal mark."""

    kind: str
    decimal: str = "."

    def convert(self, value):
        """A cell of this column as its value (see convert())."""
        return convert(value, self.kind, self.decimal)

    def converter(self) -> Callable[[object], object]:
        """convert() for this column as one function, faster for the common cells (text
        in a text column, plain integers), for loops over millions of cells."""
        kind, decimal = self.kind, self.decimal
        if kind == STRING:
            return lambda value: value if value is None or value.__class__ is str else _text(value)
        if kind == INTEGER:

            def integer(value):
                if value.__class__ is str and _PLAIN_INTEGER.fullmatch(value):
                    return int(value)
                return convert(value, INTEGER, decimal)

            return integer
        return partial(convert, kind=kind, decimal=decimal)


TEXT_COLUMN = ColumnType(STRING)


class _Column:
    """Which kinds still fit every non-empty cell of one column seen so far."""

    __slots__ = (
        "boolean",
        "date",
        "datetime",
        "english",
        "english_fraction",
        "german",
        "german_fraction",
        "integer",
        "open",
        "seen",
    )  # fmt: skip

    def __init__(self):
        self.seen = False
        self.integer = self.german = self.english = self.date = self.datetime = self.boolean = True
        self.german_fraction = self.english_fraction = False
        self.open = True  # some kind other than text still fits

    def see(self, value) -> None:
        if value is None or not self.open:
            return
        if isinstance(value, str):
            text = _clean(value)
            if not text:
                return
            self.seen = True
            if _PLAIN_INTEGER.fullmatch(text):  # the common case, and it fits both conventions
                self.date = self.datetime = self.boolean = False
            else:
                self._see_text(text)
        else:
            self.seen = True
            self._see_typed(value)
        self.open = self.integer or self.german or self.english or self.date or self.datetime or self.boolean

    def _see_text(self, text: str) -> None:
        self.integer = False
        if self.german:
            match = _GERMAN.fullmatch(text)
            self.german = match is not None
            self.german_fraction = self.german_fraction or bool(match and match.group(3))
        if self.english:
            match = _ENGLISH.fullmatch(text)
            self.english = match is not None
            self.english_fraction = self.english_fraction or bool(match and match.group(3))
        if self.date or self.datetime:
            is_date = parse_date(text) is not None
            self.date = self.date and is_date
            self.datetime = self.datetime and (is_date or parse_datetime(text) is not None)
        if self.boolean:
            self.boolean = text.lower() in _BOOLEANS

    def _see_typed(self, value) -> None:
        is_number = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
        if is_number and value == value and value not in (float("inf"), float("-inf")):
            self.date = self.datetime = self.boolean = False
            if value != int(value):
                self.integer = False
                self.german_fraction = self.english_fraction = True
            elif not isinstance(value, int):
                self.integer = False  # 17.0 in a sheet is a number (core.tables gives int for integral cells)
            return
        self.integer = self.german = self.english = False
        self.boolean = self.boolean and isinstance(value, bool)
        is_datetime = isinstance(value, datetime)
        self.date = self.date and isinstance(value, date) and (not is_datetime or _is_midnight(value))
        self.datetime = self.datetime and isinstance(value, date)

    def decimal_marks(self) -> set[str]:
        """The decimal marks under which this column reads differently, where only one fits."""
        if not self.seen or self.integer or self.german == self.english:
            return set()
        return {"," if self.german else "."}

    def type(self, table_mark: str | None) -> ColumnType:
        if not self.seen:
            return TEXT_COLUMN
        if self.integer:
            return ColumnType(INTEGER)
        for kind, fits in ((DATE, self.date), (DATETIME, self.datetime), (BOOLEAN, self.boolean)):
            if fits:
                return ColumnType(kind)
        if self.german and self.english and self.german_fraction != self.english_fraction:
            # "1.234": 1234 with a decimal comma, 1.234 with a decimal point.
            if table_mark is None:
                return TEXT_COLUMN
            mark = table_mark
        elif self.german or self.english:
            mark = "," if self.german and not self.english else "."
        else:
            return TEXT_COLUMN
        fraction = self.german_fraction if mark == "," else self.english_fraction
        return ColumnType(NUMBER if fraction else INTEGER, mark)


class ColumnTypes:
    """The survey of a table's data rows: `see` each row (text or typed cells), then
    `columns()` or `kinds()`. Memory is constant per column, whatever the row count.

    `decimal` ("," or ".") is the hint for columns that read both ways ("1.234") when no
    other column of the table settles the convention: catalog.renditions passes "," for
    a ;-separated CSV and "." for a comma-separated one."""

    def __init__(self, decimal: str | None = None):
        self.decimal = decimal
        self._columns: list[_Column] = []

    def see(self, row: Sequence) -> None:
        columns = self._columns
        if len(row) > len(columns):
            columns.extend(_Column() for _ in range(len(row) - len(columns)))
        for column, value in zip(columns, row, strict=False):
            column.see(value)

    def columns(self, width: int = 0) -> list[ColumnType]:
        """One ColumnType per column: as many as the widest row seen, at least `width`
        (the header's), the columns without values "string"."""
        marks = set().union(*(column.decimal_marks() for column in self._columns))
        table_mark = next(iter(marks)) if len(marks) == 1 else self.decimal
        found = [column.type(table_mark) for column in self._columns]
        return found + [TEXT_COLUMN] * (width - len(found))

    def kinds(self, width: int = 0) -> list[str]:
        """The kind of each column ("integer", "number", "date", "datetime", "boolean",
        "string"), see columns()."""
        return [column.kind for column in self.columns(width)]
