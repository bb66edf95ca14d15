"""Renditions of tabular distributions (CSV, XLSX uploads): the preview and the
alternative formats CSV, JSON and XLSX, computed once per checksum by the worker
(`render_distribution`, enqueued when a table is added, next to its validation) and
stored as files (catalog.models.Rendition). The portal only serves them: no request
reads or converts a table.

Every pass reads through core.tables.read_rows, within the TABLE_MAX_* caps; the first
cap reached makes the formats "too large" with the cap named, the preview (the first
rows) is kept. Two passes: the first infers the type of each CSV column (CSV cells are
text) and counts the rows, the second writes the three formats side by side, row by row,
into temporary files, so memory stays flat whatever the file's size.

Output: CSV per RFC 4180 (comma, CRLF, UTF-8 with BOM, so spreadsheet programs detect the
encoding), the source's values as written; JSON a list of objects keyed by the header,
numbers as numbers, dates as ISO text, empty typed cells null; XLSX written with
xlsxwriter in constant-memory mode, numbers as numbers, dates as dates, every text cell
written as a string (never a formula). Text in CSV and XLSX passes core.cells.safe_cell.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

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

from .models import Distribution, Rendition, RenditionKind, RenditionStatus

logger = logging.getLogger(__name__)

TABULAR_FORMATS = ("CSV", "XLSX")
# What a portal visitor may download, in the order the page lists them.
TARGETS = {
    RenditionKind.CSV: ("text/csv; charset=utf-8", "csv"),
    RenditionKind.JSON: ("application/json", "json"),
    RenditionKind.XLSX: ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}
KINDS = (RenditionKind.PREVIEW, *TARGETS)
PREVIEW_ROWS = 10
PREVIEW_COLUMNS = 20
PREVIEW_CELL = 200
# An XLSX sheet holds 1,048,576 rows; one is the header.
XLSX_MAX_DATA_ROWS = 1_048_575
XLSX_ROWS = "xlsx_rows"


def is_tabular_upload(distribution) -> bool:
    return distribution.format in TABULAR_FORMATS and bool(distribution.file)


# ---------------------------------------------------------------------------
# Column types of CSV files (text cells)

INTEGER = "integer"
DECIMAL_DE = "decimal_de"  # 12,5 or 1.234,5
DECIMAL_EN = "decimal_en"  # 12.5
DATE = "date"  # 2024-12-31 or 31.12.2024
BOOLEAN = "boolean"
TEXT = "text"

# No leading zeros (a postcode or a municipality key is text) and at most 15 digits, the
# precision of a spreadsheet's number.
_INTEGER = re.compile(r"-?(0|[1-9]\d{0,14})")
_DECIMAL_DE = re.compile(r"-?(0|[1-9]\d{0,2}(\.\d{3})+|[1-9]\d{0,14})(,\d{1,15})?")
_DECIMAL_EN = re.compile(r"-?(0|[1-9]\d{0,14})(\.\d{1,15})?")
_DATE_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DATE_DE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_BOOLEANS = {"true": True, "false": False, "wahr": True, "falsch": False}


def _date(text: str) -> date | None:
    if match := _DATE_ISO.fullmatch(text):
        year, month, day = match.groups()
    elif match := _DATE_DE.fullmatch(text):
        day, month, year = match.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


@dataclass
class _Column:
    """Which readings fit every non-empty cell of one column seen so far."""

    fits: set = field(default_factory=lambda: {INTEGER, DECIMAL_DE, DECIMAL_EN, DATE, BOOLEAN})
    seen: bool = False

    def see(self, text: str) -> None:
        text = text.strip()
        if not text or not self.fits:
            return
        self.seen = True
        checks = {
            INTEGER: lambda: _INTEGER.fullmatch(text),
            DECIMAL_DE: lambda: _DECIMAL_DE.fullmatch(text),
            DECIMAL_EN: lambda: _DECIMAL_EN.fullmatch(text),
            DATE: lambda: _date(text),
            BOOLEAN: lambda: text.lower() in _BOOLEANS,
        }
        self.fits = {kind for kind in self.fits if checks[kind]()}

    def kind(self) -> str:
        if not self.seen:
            return TEXT
        for kind in (INTEGER, DATE, BOOLEAN):
            if kind in self.fits:
                return kind
        # "1.234" fits both decimal readings with different values: no guessing, text.
        decimals = self.fits & {DECIMAL_DE, DECIMAL_EN}
        return decimals.pop() if len(decimals) == 1 else TEXT


def typed(text: str, kind: str):
    """The value of a CSV cell read as its column's type (None if empty in a typed column)."""
    if kind == TEXT:
        return text
    text = text.strip()
    if not text:
        return None
    if kind == INTEGER:
        return int(text)
    if kind == DECIMAL_DE:
        return float(text.replace(".", "").replace(",", "."))
    if kind == DECIMAL_EN:
        return float(text)
    if kind == DATE:
        return _date(text)
    return _BOOLEANS[text.lower()]


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
    """What the first pass learnt: the preview, the row count, the CSV column types, or
    the cap that stopped it."""

    preview: dict | None = None
    data_rows: int = 0
    types: list[str] | None = None
    too_large: tables.TooLarge | None = None


def _survey(distribution, limits) -> _Survey:
    survey = _Survey()
    head: list[list] = []
    columns: list[_Column] = []
    is_csv = distribution.format == "CSV"
    try:
        for number, row in enumerate(_read(distribution, limits)):
            if len(head) <= PREVIEW_ROWS:
                head.append([_short(value) for value in row[:PREVIEW_COLUMNS]])
            if number == 0:
                continue
            survey.data_rows += 1
            if is_csv:
                if len(row) > len(columns):
                    columns.extend(_Column() for _ in range(len(row) - len(columns)))
                for column, value in zip(columns, row, strict=False):
                    column.see(value)
    except tables.TooLarge as error:
        survey.too_large = error
    if head:
        survey.preview = {
            "header": head[0],
            "rows": head[1:],
            "truncated_columns": len(head[0]) >= PREVIEW_COLUMNS,
        }
    if is_csv:
        survey.types = [column.kind() for column in columns]
    return survey


class _Writers:
    """The three formats written side by side into a temporary directory, one row at a
    time; `xlsx` is False when the sheet could not hold the rows."""

    def __init__(self, directory: str, *, types: list[str] | None, xlsx: bool):
        self.types = types
        self.paths = {kind: os.path.join(directory, f"out.{TARGETS[kind][1]}") for kind in TARGETS}
        self.csv_file = open(self.paths[RenditionKind.CSV], "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        self.csv = csv.writer(self.csv_file)  # RFC 4180: comma, minimal quoting, CRLF
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
        self.csv.writerow([safe_cell(_text(value)) for value in row])
        self.json_file.write("[")
        if self.sheet is not None:
            for column, value in enumerate(row):
                self.sheet.write_string(0, column, safe_cell(_text(value)))
        self.row_number = 1

    def row(self, row: list) -> None:
        if self.types is not None:  # a CSV: text cells, typed by their column
            kinds = self.types
            values = [typed(text, kinds[index] if index < len(kinds) else TEXT) for index, text in enumerate(row)]
            # CSV keeps the cells as written; only text can be a formula.
            csv_cells = [
                text if index < len(kinds) and kinds[index] != TEXT else safe_cell(text)
                for index, text in enumerate(row)
            ]
        else:  # an XLSX: typed cells already
            values = row
            csv_cells = [safe_cell(_text(value)) if isinstance(value, str) else _text(value) for value in row]
        self.csv.writerow(csv_cells)
        record = dict(zip(self.keys, [_json_value(value) for value in values], strict=False))
        self.json_file.write(("\n" if self.json_first else ",\n") + json.dumps(record, ensure_ascii=False))
        self.json_first = False
        if self.sheet is not None:
            for column, value in enumerate(values):
                self._cell(column, value)
        self.row_number += 1

    def _cell(self, column: int, value) -> None:
        sheet, row = self.sheet, self.row_number
        if value is None or value == "":
            return
        if isinstance(value, bool):
            sheet.write_boolean(row, column, value)
        elif isinstance(value, int | float):
            sheet.write_number(row, column, value)
        elif isinstance(value, datetime):
            sheet.write_datetime(row, column, value.replace(tzinfo=None), self.datetime_format)
        elif isinstance(value, date):
            sheet.write_datetime(row, column, value, self.date_format)
        else:
            sheet.write_string(row, column, safe_cell(_text(value)))

    def close(self) -> None:
        self.csv_file.close()
        if not self.json_file.closed:
            if self.json_first and not self.keys:
                self.json_file.write("[")
            self.json_file.write("\n]\n")
            self.json_file.close()
        if self.workbook is not None:
            self.workbook.close()


def _json_value(value):
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN is no JSON
        return None
    return value


@dataclass
class Outcome:
    """One rendition before it is stored: a ready file (`path`), or why there is none."""

    kind: str
    status: str
    path: str = ""
    limit: str = ""
    cap: int | None = None
    preview: dict | None = None


def render_files(distribution, directory: str, limits: tables.TableLimits | None = None) -> list[Outcome]:
    """Render `distribution` (a CSV or XLSX upload) into `directory`: the preview and the
    three formats, each ready, too large or failed. Reads the file twice at most, each pass
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
    writers = _Writers(directory, types=survey.types, xlsx=xlsx)
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
            rendition.file.save(f"{stem}.{TARGETS[outcome.kind][1]}", File(source), save=False)
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
    """Ids of the tabular uploads without a preview for their current checksum (tables
    stored before renditions existed, or whose task was lost)."""
    has_preview = Rendition.objects.filter(
        distribution=OuterRef("pk"), checksum_sha256=OuterRef("checksum_sha256"), kind=RenditionKind.PREVIEW
    )
    return (
        Distribution.objects.filter(format__in=TABULAR_FORMATS)
        .exclude(file="")
        .exclude(Exists(has_preview))
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
