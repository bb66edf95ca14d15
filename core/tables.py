"""The one table reader: CSV and XLSX files as rows of cells, for the inventory import
(catalog.imports) and the portal's preview and conversion (portal.tabular). Model-free;
it imports no app, and the callers turn its errors into their own messages.

CSV: UTF-8 (with or without BOM), Windows-1252 as the fallback. The delimiter is named
by Excel's hint line ("sep=;", which is no row), otherwise it is the most frequent of
; , tab | in the first line (";" on a tie). XLSX: the first sheet, read-only, with the
computed values of formulas, row by row, so memory stays bounded whatever the file's size.
"""

from __future__ import annotations

import codecs
import csv
import io
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from openpyxl import load_workbook

# How much of a file's start decides its encoding and delimiter when it is streamed.
SNIFF_BYTES = 16 * 1024
DELIMITERS = (";", ",", "\t", "|")


class TableError(Exception):
    """The file cannot be read as a table; the cause is chained (`__cause__`)."""


class NoSheetError(TableError):
    """An XLSX workbook without a sheet."""


class TooLarge(TableError):
    """Reading stopped at a cap (TableLimits): `limit` names which one ("rows", "cells",
    "bytes", "seconds"), `cap` is its value. The callers say so in German."""

    def __init__(self, limit: str, cap: int):
        super().__init__(f"{limit} > {cap}")
        self.limit, self.cap = limit, cap


@dataclass(frozen=True)
class TableLimits:
    """What one pass over a table may cost (settings TABLE_MAX_*)."""

    rows: int
    cells: int
    unpacked_bytes: int
    seconds: float

    @classmethod
    def from_settings(cls) -> TableLimits:
        from django.conf import settings  # the reader itself needs no Django

        return cls(
            rows=settings.TABLE_MAX_ROWS,
            cells=settings.TABLE_MAX_CELLS,
            unpacked_bytes=settings.TABLE_MAX_UNPACKED_BYTES,
            seconds=settings.TABLE_MAX_SECONDS,
        )


def read_rows(binary: IO[bytes], file_format: str, limits: TableLimits | None = None) -> Iterator[list]:
    """The rows of a CSV or XLSX file (`file_format` "CSV" or "XLSX"), the header first,
    streamed within `limits` (default: the settings). Every row counts, empty ones too.
    XLSX cells keep their types (int, float, bool, datetime, str, None); CSV cells are
    text. Raises TooLarge at the first cap reached, TableError if the file is no table."""
    limits = limits or TableLimits.from_settings()
    rows = csv_rows(binary) if file_format.upper() == "CSV" else xlsx_rows(binary)
    deadline = time.monotonic() + limits.seconds
    count = cells = 0
    try:
        for row in rows:
            count += 1
            cells += len(row)
            if count > limits.rows:
                raise TooLarge("rows", limits.rows)
            if cells > limits.cells:
                raise TooLarge("cells", limits.cells)
            if time.monotonic() > deadline:
                raise TooLarge("seconds", int(limits.seconds))
            yield row
    finally:
        rows.close()


def encoding_of(sample: bytes, *, complete: bool = False) -> str:
    """ "utf-8-sig" if `sample` is UTF-8 (a BOM is dropped while decoding), else "cp1252".
    Unless the sample is the `complete` file, a multi-byte character cut off at its end
    still counts as UTF-8."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        if complete or error.start < len(sample) - 3:
            return "cp1252"
    return "utf-8-sig"


def decode(data: bytes) -> str:
    """A whole CSV file as text (see encoding_of). Raises UnicodeDecodeError: its
    `encoding` is "utf-8" for a file with a BOM that is no valid UTF-8, otherwise the
    file is not Windows-1252 either."""
    return data.decode(encoding_of(data, complete=True))


def dialect_of(start: str) -> tuple[str, bool]:
    """(delimiter, whether the first line is Excel's hint line) from the text's start."""
    first_line = start.splitlines()[0] if start else ""
    if first_line.lower().startswith("sep=") and len(first_line) == 5:
        return first_line[4], True
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    return max(counts, key=lambda delimiter: (counts[delimiter], delimiter == ";")), False


def csv_reader(stream: IO[str], start: str):
    """A csv.reader over a text stream opened with newline="", whose dialect `start` (the
    text's beginning) decides; the hint line is skipped. Its `line_num` locates errors."""
    delimiter, hint = dialect_of(start)
    if hint:
        stream.readline()
    return csv.reader(stream, delimiter=delimiter)


def text_rows(text: str):
    """A csv.reader over a decoded CSV file."""
    return csv_reader(io.StringIO(text, newline=""), text[:SNIFF_BYTES])


def csv_rows(binary: IO[bytes]) -> Iterator[list[str]]:
    """The rows of a CSV file opened in binary mode, streamed; undecodable bytes are
    replaced."""
    head = binary.read(SNIFF_BYTES)
    binary.seek(0)
    encoding = encoding_of(head)
    text = io.TextIOWrapper(binary, encoding=encoding, errors="replace", newline="")
    try:
        yield from csv_reader(text, head.decode(encoding, errors="ignore"))
    finally:
        text.detach()


def xlsx_rows(binary: IO[bytes]) -> Iterator[list]:
    """The rows of the first sheet of an XLSX file, as lists of cell values. Raises
    TableError if the workbook cannot be opened, NoSheetError if it has no sheet."""
    try:
        with warnings.catch_warnings():
            # openpyxl warns about spreadsheet features it ignores (validation, styles).
            warnings.simplefilter("ignore")
            workbook = load_workbook(binary, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise TableError(str(error)) from error
    try:
        if not workbook.worksheets:
            raise NoSheetError("no sheet")
        sheet = workbook.worksheets[0]
        # Some programs write a wrong sheet size, which read-only mode would trust.
        sheet.reset_dimensions()
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()
