"""Tabular distributions (CSV, XLSX): a bounded preview and conversion to CSV, JSON and
XLSX, row by row, so memory stays bounded whatever the file's size.

Input is read by core.tables, the reader the inventory import uses too. CSV output:
RFC 4180 (comma, CRLF, UTF-8 with BOM so spreadsheet programs detect the encoding). JSON output: a list of objects keyed
by the header row. XLSX output: openpyxl's write-only workbook into a temporary file.
"""

from __future__ import annotations

import codecs
import csv
import json
import tempfile
from collections.abc import Iterator
from datetime import date, datetime, time

from openpyxl import Workbook

from core import tables

TABULAR_FORMATS = ("CSV", "XLSX")
TARGETS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "json": ("application/json", "json"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}
PREVIEW_ROWS = 10
PREVIEW_COLUMNS = 20
PREVIEW_CELL = 200


class TabularError(Exception):
    """The file cannot be read as a table."""


def _cell(value):
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def rows_of(distribution) -> Iterator[list]:
    """The rows of an uploaded CSV or XLSX distribution, the header first (read by
    core.tables)."""
    if distribution.format not in TABULAR_FORMATS or not distribution.file:
        raise TabularError("not a tabular upload")
    binary = distribution.file.open("rb")
    try:
        if distribution.format == "CSV":
            yield from tables.csv_rows(binary)
        else:
            for row in tables.xlsx_rows(binary):
                yield [_cell(value) for value in row]
    except tables.TableError as error:
        raise TabularError(str(error)) from error
    finally:
        binary.close()


def preview(distribution, rows: int = PREVIEW_ROWS) -> dict | None:
    """The header and the first rows, cut to a few columns and short cells; None if
    the file cannot be read."""

    def short(value):
        text = "" if value is None else str(value)
        return text if len(text) <= PREVIEW_CELL else text[: PREVIEW_CELL - 1] + "…"

    result = []
    iterator = rows_of(distribution)
    try:
        for row in iterator:
            result.append([short(value) for value in row[:PREVIEW_COLUMNS]])
            if len(result) > rows:
                break
    except (TabularError, csv.Error, UnicodeError, OSError):
        return None
    finally:
        iterator.close()
    if not result:
        return None
    return {"header": result[0], "rows": result[1:], "truncated_columns": len(result[0]) >= PREVIEW_COLUMNS}


def _header(header: list) -> list[str]:
    """Unique, non-empty column names for JSON keys."""
    names, seen = [], set()
    for index, value in enumerate(header, start=1):
        name = str(value).strip() if value not in (None, "") else f"Spalte {index}"
        candidate, suffix = name, 2
        while candidate in seen:
            candidate, suffix = f"{name}_{suffix}", suffix + 1
        seen.add(candidate)
        names.append(candidate)
    return names


class _Line:
    """A file-like object whose write() returns what was written (for csv.writer)."""

    def write(self, value):
        return value


def to_csv(rows: Iterator[list]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield codecs.BOM_UTF8.decode("utf-8")
    for row in rows:
        yield writer.writerow(["" if value is None else value for value in row])


def to_json(rows: Iterator[list]) -> Iterator[str]:
    iterator = iter(rows)
    header = _header(next(iterator, []))
    yield "["
    first = True
    for row in iterator:
        record = dict(zip(header, [_cell(value) for value in row], strict=False))
        yield ("\n" if first else ",\n") + json.dumps(record, ensure_ascii=False)
        first = False
    yield "\n]\n"


def to_xlsx(rows: Iterator[list], *, title: str = "Daten"):
    """Write an XLSX into a temporary file (openpyxl's write-only mode keeps only the
    current row in memory) and return the open file, positioned at its start."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Daten")
    for row in rows:
        sheet.append(row)
    target = tempfile.TemporaryFile()  # noqa: SIM115 – the response closes it
    workbook.save(target)
    target.seek(0)
    return target
