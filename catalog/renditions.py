"""Renditions of tabular distributions (CSV, XLSX uploads): the preview and the
alternative formats CSV, German CSV, JSON and XLSX, computed once per checksum by the
worker (`render_distribution`, enqueued when a table is added, next to its validation) and
stored as files (catalog.models.Rendition). The portal only serves them: no request
reads or converts a table.

Every pass reads through core.tables.read_rows, within the TABLE_MAX_* caps; the first
cap reached makes the formats "too large" with the cap named, the preview (the first
rows) is kept. Two passes: the first infers the type of each column (core.tabletypes, the
inference the queryable tables share; CSV cells are text, XLSX cells typed or text) and
counts the rows, the second writes the four formats side by side, row by row, into
temporary files, so memory stays flat whatever the file's size.

Output: CSV per RFC 4180 (comma, CRLF, UTF-8 with BOM, so spreadsheet programs detect the
encoding), the source's values as written; the German CSV as Excel with German settings
opens it (";", decimal comma without digit grouping, TT.MM.JJJJ, WAHR/FALSCH, UTF-8 with
BOM, CRLF), kept only where it says something the original does not (_Writers); JSON a
list of objects keyed by the header, numbers as numbers (integer columns int, number
columns float), dates as ISO text, empty typed cells null; XLSX written with xlsxwriter in
constant-memory mode, numbers as numbers, dates as dates, every text cell written as a
string (never a formula). Text in the CSVs and XLSX passes core.cells.safe_cell.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

import xlsxwriter
from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files import File
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Exists, OuterRef
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import tables
from core.cells import safe_cell
from core.tabletypes import STRING, TEXT_COLUMN, ColumnType, ColumnTypes

from .models import Distribution, Rendition, RenditionKind, RenditionStatus

logger = logging.getLogger(__name__)

TABULAR_FORMATS = ("CSV", "XLSX")
# What a portal visitor may download, in the order the page lists them.
TARGETS = {
    RenditionKind.CSV: ("text/csv; charset=utf-8", "csv"),
    RenditionKind.CSV_DE: ("text/csv; charset=utf-8", "csv"),
    RenditionKind.JSON: ("application/json", "json"),
    RenditionKind.XLSX: ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}
KINDS = (RenditionKind.PREVIEW, *TARGETS)
# What tells two formats with one extension apart in the file name.
_SUFFIX = {RenditionKind.CSV_DE: "-excel"}
PREVIEW_ROWS = 10
PREVIEW_COLUMNS = 20
PREVIEW_CELL = 200
# An XLSX sheet holds 1,048,576 rows; one is the header.
XLSX_MAX_DATA_ROWS = 1_048_575
XLSX_ROWS = "xlsx_rows"


def is_tabular_upload(distribution) -> bool:
    return distribution.format in TABULAR_FORMATS and bool(distribution.file)


# ---------------------------------------------------------------------------
# Rendering


class _Unreadable(Exception):
    """The file is no readable table."""


def _read(distribution, limits):
    binary = distribution.file.open("rb")
    try:
        yield from tables.read_rows(binary, distribution.format, limits)
    except tables.TooLarge:
        raise
    except (tables.TableError, csv.Error, UnicodeError) as error:
        raise _Unreadable(str(error)) from error
    finally:
        binary.close()


def _text(value) -> str:
    if value.__class__ is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _short(value) -> str:
    text = _text(value)
    return text if len(text) <= PREVIEW_CELL else text[: PREVIEW_CELL - 1] + "…"


@dataclass
class _Survey:
    """What the first pass learnt: the preview, the row count, the column types
    (core.tabletypes), the CSV's dialect, or the cap that stopped it."""

    preview: dict | None = None
    data_rows: int = 0
    columns: list[ColumnType] = field(default_factory=list)
    dialect: tables.CsvDialect | None = None
    too_large: tables.TooLarge | None = None


def _dialect(distribution) -> tables.CsvDialect | None:
    if distribution.format != "CSV":
        return None
    binary = distribution.file.open("rb")
    try:
        return tables.sniff_csv(binary)
    finally:
        binary.close()


# The hint for columns that read both ways ("1.234"): Excel with German settings writes
# ";" and a decimal comma, with English settings "," and a decimal point.
_DECIMAL_BY_DELIMITER = {";": ",", ",": "."}


def decimal_hint(distribution) -> str | None:
    """The decimal mark a table's delimiter suggests (the hint of core.tabletypes), or None."""
    dialect = _dialect(distribution)
    return _DECIMAL_BY_DELIMITER.get(dialect.delimiter) if dialect else None


def _survey(distribution, limits) -> _Survey:
    survey = _Survey(dialect=_dialect(distribution))
    head: list[list] = []
    types = ColumnTypes(decimal=_DECIMAL_BY_DELIMITER.get(survey.dialect.delimiter) if survey.dialect else None)
    width = 0
    try:
        for number, row in enumerate(_read(distribution, limits)):
            if len(head) <= PREVIEW_ROWS:
                head.append([_short(value) for value in row[:PREVIEW_COLUMNS]])
            if number == 0:
                width = len(row)
                continue
            survey.data_rows += 1
            types.see(row)
    except tables.TooLarge as error:
        survey.too_large = error
    if head:
        survey.preview = {
            "header": head[0],
            "rows": head[1:],
            "truncated_columns": len(head[0]) >= PREVIEW_COLUMNS,
        }
    survey.columns = types.columns(width)
    return survey


def _german(value) -> str:
    """A typed cell as Excel with German settings reads it: decimal comma without digit
    grouping (R's read.csv2 and pandas with decimal="," read no thousands dot, and
    "1.234" would be 1.234 in English), TT.MM.JJJJ, WAHR/FALSCH. A datetime keeps its
    wall time; Excel has no offsets."""
    if value.__class__ is str:
        return safe_cell(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "WAHR" if value else "FALSCH"
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        text = (
            f"{value.day:02d}.{value.month:02d}.{value.year:04d} {value.hour:02d}:{value.minute:02d}:{value.second:02d}"
        )
        return f"{text},{value.microsecond:06d}".rstrip("0") if value.microsecond else text
    if isinstance(value, date):
        return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"
    return safe_cell(_text(value))


class _Writers:
    """The four formats written side by side into a temporary directory, one row at a
    time; `xlsx` is False when the sheet could not hold the rows.

    `german_differs` tells, once all rows are written, whether the German CSV says
    anything the original does not: always for an XLSX; for a CSV if it is not separated
    by ";", if a cell's German form differs from its text (a decimal point, a thousands
    dot, an ISO date, "wahr" for WAHR, a neutralised formula), or if it is UTF-8 with
    umlauts but without a BOM (Excel would read it as Windows-1252). A Windows-1252 file
    in German form is left alone: Excel with German settings reads it as it is."""

    def __init__(self, directory: str, *, survey: _Survey, xlsx: bool):
        self.converters = [column.converter() for column in survey.columns]
        self.text_columns = [column.kind == STRING for column in survey.columns]
        self.is_csv = survey.dialect is not None
        dialect = survey.dialect
        self.german_differs = dialect is None or dialect.delimiter != ";"
        # Non-ASCII text matters only while nothing else has made the German CSV worth it.
        self.watch_ascii = dialect is not None and dialect.encoding == "utf-8-sig" and not dialect.bom
        self.paths = {
            kind: os.path.join(directory, f"out{_SUFFIX.get(kind, '')}.{TARGETS[kind][1]}") for kind in TARGETS
        }
        self.csv_file = open(self.paths[RenditionKind.CSV], "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        self.csv = csv.writer(self.csv_file)  # RFC 4180: comma, minimal quoting, CRLF
        self.german_file = open(self.paths[RenditionKind.CSV_DE], "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        self.german = csv.writer(self.german_file, delimiter=";", lineterminator="\r\n")
        self.json_file = open(self.paths[RenditionKind.JSON], "w", encoding="utf-8")  # noqa: SIM115
        self.json_first = True
        self.keys: list[str] = []
        self.workbook = self.sheet = None
        if xlsx:
            self.workbook = xlsxwriter.Workbook(
                self.paths[RenditionKind.XLSX],
                {
                    # One row in memory at a time; strings inline instead of a shared table.
                    "constant_memory": True,
                    "tmpdir": directory,
                    "strings_to_formulas": False,
                    "strings_to_urls": False,
                    "strings_to_numbers": False,
                    "nan_inf_to_errors": True,
                },
            )
            self.sheet = self.workbook.add_worksheet("Daten")
            self.date_format = self.workbook.add_format({"num_format": "yyyy-mm-dd"})
            self.datetime_format = self.workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.row_number = 0

    def header(self, row: list) -> None:
        self.keys = tables.column_names(row)
        cells = [safe_cell(_text(value)) for value in row]
        self.csv.writerow(cells)
        self._german_row(cells, row)
        self.json_file.write("[")
        if self.sheet is not None:
            for column, value in enumerate(cells):
                self.sheet.write_string(0, column, value)
        self.row_number = 1

    def row(self, row: list) -> None:
        converters = self.converters
        if len(row) > len(converters):  # the file grew between the passes
            converters.extend(TEXT_COLUMN.converter() for _ in range(len(row) - len(converters)))
        try:
            values = [convert(cell) for convert, cell in zip(converters, row, strict=False)]
        except ValueError:
            # The file changed between the passes: a cell its column's type no longer fits stays as it is.
            values = [_lenient(convert, cell) for convert, cell in zip(converters, row, strict=False)]
        # The CSV keeps the cells as written; only text can be a formula.
        self.csv.writerow(
            [
                safe_cell(cell) if text_column and cell.__class__ is str else _text(cell)
                for text_column, cell in zip(self.text_columns, row, strict=False)
            ]
            + [safe_cell(_text(cell)) for cell in row[len(self.text_columns) :]]
        )
        self._german_row([_german(value) for value in values], row)
        # Every record has every key: a cell missing at the row's end (an XLSX stores none) is null.
        cells = [_json_value(value) for value in values] + [None] * (len(self.keys) - len(values))
        record = dict(zip(self.keys, cells, strict=False))
        self.json_file.write(("\n" if self.json_first else ",\n") + json.dumps(record, ensure_ascii=False))
        self.json_first = False
        if self.sheet is not None:
            for column, value in enumerate(values):
                self._cell(column, value)
        self.row_number += 1

    def _german_row(self, cells: list[str], source: list) -> None:
        self.german.writerow(cells)
        if self.german_differs:
            return
        for cell, original in zip(cells, source, strict=True):
            original = "" if original is None else original
            if cell != original or (self.watch_ascii and not original.isascii()):
                self.german_differs = True
                return

    def _cell(self, column: int, value) -> None:
        sheet, row = self.sheet, self.row_number
        if value is None or value == "":
            return
        if isinstance(value, bool):
            sheet.write_boolean(row, column, value)
        elif isinstance(value, int | float | Decimal):
            sheet.write_number(row, column, float(value) if isinstance(value, Decimal) else value)
        elif isinstance(value, datetime):
            sheet.write_datetime(row, column, value.replace(tzinfo=None), self.datetime_format)
        elif isinstance(value, date):
            sheet.write_datetime(row, column, value, self.date_format)
        else:
            sheet.write_string(row, column, safe_cell(_text(value)))

    def close(self) -> None:
        self.csv_file.close()
        self.german_file.close()
        if not self.json_file.closed:
            if self.json_first and not self.keys:
                self.json_file.write("[")
            self.json_file.write("\n]\n")
            self.json_file.close()
        if self.workbook is not None:
            self.workbook.close()


def _lenient(convert, cell):
    try:
        return convert(cell)
    except ValueError:
        return cell


def _json_value(value):
    if value is None or value.__class__ in (str, int):
        return value
    if isinstance(value, Decimal):
        # JSON readers take numbers as doubles; float's shortest text is what they read.
        value = float(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None  # NaN and infinity are no JSON
    return value


@dataclass
class Outcome:
    """One rendition before it is stored: a ready file (`path`), or why there is none.
    A German CSV that would say what the original says is ready without a file: the
    original is that file."""

    kind: str
    status: str
    path: str = ""
    limit: str = ""
    cap: int | None = None
    preview: dict | None = None


def render_files(distribution, directory: str, limits: tables.TableLimits | None = None) -> list[Outcome]:
    """Render `distribution` (a CSV or XLSX upload) into `directory`: the preview and the
    four formats, each ready, too large or failed. Reads the file twice at most, each pass
    within `limits` (default: the settings)."""
    limits = limits or tables.TableLimits.from_settings()
    try:
        survey = _survey(distribution, limits)
    except _Unreadable:
        return [Outcome(kind, RenditionStatus.FAILED) for kind in KINDS]
    outcomes = [
        Outcome(RenditionKind.PREVIEW, RenditionStatus.READY, preview=survey.preview)
        if survey.preview
        else Outcome(RenditionKind.PREVIEW, RenditionStatus.FAILED)
    ]
    if survey.preview is None:
        return outcomes + [Outcome(kind, RenditionStatus.FAILED) for kind in TARGETS]
    if survey.too_large is not None:
        cap = survey.too_large
        return outcomes + [Outcome(kind, RenditionStatus.TOO_LARGE, limit=cap.limit, cap=cap.cap) for kind in TARGETS]
    xlsx = survey.data_rows <= XLSX_MAX_DATA_ROWS
    writers = _Writers(directory, survey=survey, xlsx=xlsx)
    try:
        rows = _read(distribution, limits)
        for number, row in enumerate(rows):
            if number == 0:
                writers.header(row)
            else:
                writers.row(row)
    except tables.TooLarge as error:
        # The file changed between the passes or the clock ran out on the second.
        writers.close()
        return outcomes + [Outcome(k, RenditionStatus.TOO_LARGE, limit=error.limit, cap=error.cap) for k in TARGETS]
    except _Unreadable:
        writers.close()
        return outcomes + [Outcome(kind, RenditionStatus.FAILED) for kind in TARGETS]
    writers.close()
    for kind in TARGETS:
        if kind == RenditionKind.XLSX and not xlsx:
            outcomes.append(Outcome(kind, RenditionStatus.TOO_LARGE, limit=XLSX_ROWS, cap=XLSX_MAX_DATA_ROWS))
        elif kind == RenditionKind.CSV_DE and not writers.german_differs:
            outcomes.append(Outcome(kind, RenditionStatus.READY))
        else:
            outcomes.append(Outcome(kind, RenditionStatus.READY, path=writers.paths[kind]))
    return outcomes


def _store(distribution, checksum: str, outcome: Outcome) -> None:
    rendition = Rendition(
        distribution=distribution,
        checksum_sha256=checksum,
        kind=outcome.kind,
        status=outcome.status,
        limit=outcome.limit,
        cap=outcome.cap,
        preview=outcome.preview,
    )
    if outcome.path:
        stem = os.path.splitext(os.path.basename(distribution.file.name))[0] or "daten"
        with open(outcome.path, "rb") as source:
            suffix = _SUFFIX.get(outcome.kind, "")
            rendition.file.save(f"{stem}{suffix}.{TARGETS[outcome.kind][1]}", File(source), save=False)
        rendition.byte_size = rendition.file.size
    try:
        with transaction.atomic():
            rendition.save()
    except IntegrityError:
        # A second delivery of the task got there first: keep its rendition.
        if rendition.file:
            rendition.file.delete(save=False)


def render(distribution: Distribution) -> dict:
    """Render the current version of a tabular upload once: what is already stored for its
    checksum stays; renditions of earlier checksums go, with their files. Returns the
    status per kind."""
    checksum = distribution.checksum_sha256
    done = set(
        Rendition.objects.filter(distribution=distribution, checksum_sha256=checksum).values_list("kind", flat=True)
    )
    if not done.issuperset(KINDS):
        directory = tempfile.mkdtemp(prefix="rendition-")
        try:
            try:
                outcomes = render_files(distribution, directory)
            except SoftTimeLimitExceeded:
                # Past the soft limit of its kind (settings.TASK_KINDS["files"]): say so.
                cap = int(render_distribution.soft_time_limit or 0)
                outcomes = [Outcome(kind, RenditionStatus.TOO_LARGE, limit="seconds", cap=cap) for kind in KINDS]
            for outcome in outcomes:
                if outcome.kind not in done:
                    _store(distribution, checksum, outcome)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    for old in Rendition.objects.filter(distribution=distribution).exclude(checksum_sha256=checksum):
        old.delete()  # the file goes on commit (delete_rendition_file)
    return dict(
        Rendition.objects.filter(distribution=distribution, checksum_sha256=checksum).values_list("kind", "status")
    )


@receiver(post_delete, sender=Rendition, dispatch_uid="catalog_rendition_file")
def delete_rendition_file(sender, instance, **kwargs):
    """A rendition's file goes with its row (also when its distribution is deleted), once
    the deletion is certain."""
    if instance.file:
        name, storage = instance.file.name, instance.file.storage
        transaction.on_commit(lambda: storage.delete(name))


@shared_task(
    name="catalog.tasks.render_distribution",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError, ConnectionError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def render_distribution(distribution_id: int) -> dict | None:
    """Compute the preview and the alternative formats of a CSV/XLSX upload. Safe to
    deliver twice: one rendition per distribution, checksum and kind."""
    distribution = Distribution.objects.select_related("dataset").filter(pk=distribution_id).first()
    if distribution is None or not is_tabular_upload(distribution):
        return None
    return render(distribution)


def missing() -> Iterable[int]:
    """Ids of the tabular uploads without every kind for their current checksum (tables
    stored before renditions or before a kind existed, or whose task was lost)."""

    def has(kind):
        return Exists(
            Rendition.objects.filter(
                distribution=OuterRef("pk"), checksum_sha256=OuterRef("checksum_sha256"), kind=kind
            )
        )

    return (
        Distribution.objects.filter(format__in=TABULAR_FORMATS)
        .exclude(file="")
        .exclude(*(has(kind) for kind in KINDS))
        .values_list("pk", flat=True)
        .iterator()
    )


# ---------------------------------------------------------------------------
# What the portal says


def reason(rendition: Rendition) -> str:
    """Why a format is not offered, in German, for the public page."""
    if rendition.status == RenditionStatus.FAILED:
        return _("Die Datei konnte nicht als Tabelle gelesen werden und wird daher nicht umgewandelt.")
    cap = rendition.cap or 0
    if rendition.limit == XLSX_ROWS:
        return ngettext(
            "Die Tabelle hat mehr Zeilen, als ein XLSX-Arbeitsblatt fassen kann (%(cap)s Zeile).",
            "Die Tabelle hat mehr Zeilen, als ein XLSX-Arbeitsblatt fassen kann (%(cap)s Zeilen).",
            cap,
        ) % {"cap": _number(cap)}
    messages = {
        "rows": ngettext(
            "Die Datei ist zu groß, um sie umzuwandeln (mehr als %(cap)s Zeile).",
            "Die Datei ist zu groß, um sie umzuwandeln (mehr als %(cap)s Zeilen).",
            cap,
        ),
        "cells": ngettext(
            "Die Datei ist zu groß, um sie umzuwandeln (mehr als %(cap)s Zelle).",
            "Die Datei ist zu groß, um sie umzuwandeln (mehr als %(cap)s Zellen).",
            cap,
        ),
        "bytes": _("Die Datei ist zu groß, um sie umzuwandeln (entpackt mehr als %(cap)s)."),
        "seconds": ngettext(
            "Die Datei ist zu groß, um sie umzuwandeln (das Lesen dauert länger als %(cap)s Sekunde).",
            "Die Datei ist zu groß, um sie umzuwandeln (das Lesen dauert länger als %(cap)s Sekunden).",
            cap,
        ),
    }
    if rendition.limit not in messages:
        return _("Die Datei ist zu groß, um sie umzuwandeln.")
    shown = filesizeformat(cap) if rendition.limit == "bytes" else _number(cap)
    return messages[rendition.limit] % {"cap": shown}


def _number(value: int) -> str:
    """1048576 as "1.048.576" (German digit grouping, independent of the locale)."""
    return f"{value:,}".replace(",", ".")
