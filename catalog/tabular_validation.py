"""Tabular validation of CSV and XLSX distributions, streamed through core.tables.

`validate_table(source, format=...)` is pure: it reads the bytes or the binary file row by
row (the one reader of the portal, within its caps), infers the column types from a
sample as frictionless did, checks every row and returns a report dict with German
messages:

    {"valid": False, "format": "csv", "encoding": "utf-8", "delimiter": ";",
     "rows": 120, "columns": [{"name": "Stadtteil", "type": "string"}, ...],
     "summary": {"blank-row": 1, "type-error": 3},
     "errors": [{"type": "type-error", "row": 7, "column": "Anzahl", "message": "..."}, ...],
     "truncated": False}

Rows are counted as in the file: the header is row 1. Only the first `MAX_ERRORS`
errors are listed; `summary` counts all of them. Findings about the whole file (a cap
that stopped the check, encoding, delimiter, header) come first. Memory does not grow
with the file: rows are not kept, duplicates are found by a 12-byte digest per row.

A Table Schema (JSON) can be passed as `schema` (types and the common constraints);
distributions have no field for one yet, so uploads are checked against the inferred types.
"""

from __future__ import annotations

import hashlib
import io
import re
from itertools import chain

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import tables

from .disclosure import applies_to, check_disclosure, read_sample, too_large_message
from .models import Distribution, DistributionReport, ReportKind
from .signals import small_cells_found

TABULAR_FORMATS = {"CSV": "csv", "XLSX": "xlsx"}
MAX_ERRORS = 50
# A column is typed as soon as this share of its sample (the first SAMPLE_ROWS rows) fits
# the type; cells that do not fit are reported as type errors (the disclosure check infers
# count columns in the same way).
FIELD_CONFIDENCE = 0.75
NUMBER_LABEL = re.compile(r"^-?\d+([.,]\d+)?$")


def error_label(error_type: str) -> str:
    labels = {
        "too-large": _("Datei zu groß"),
        "encoding": _("Zeichenkodierung"),
        "delimiter": _("Trennzeichen"),
        "missing-header": _("Kopfzeile fehlt"),
        "blank-label": _("Leerer Spaltenname"),
        "duplicate-label": _("Doppelter Spaltenname"),
        "incorrect-label": _("Spaltenname passt nicht zum Schema"),
        "missing-label": _("Spalte fehlt"),
        "extra-label": _("Zusätzliche Spalte"),
        "blank-row": _("Leere Zeile"),
        "duplicate-row": _("Doppelte Zeile"),
        "type-error": _("Falscher Datentyp"),
        "constraint-error": _("Regel des Schemas verletzt"),
        "missing-cell": _("Fehlender Wert"),
        "extra-cell": _("Überzähliger Wert"),
        "primary-key": _("Schlüssel doppelt"),
        "unique-error": _("Wert doppelt"),
        "source-error": _("Datei nicht lesbar"),
        "format-error": _("Format nicht lesbar"),
        "scheme-error": _("Datei nicht lesbar"),
    }
    return labels.get(error_type, error_type)


TYPE_LABELS = {
    "integer": gettext_lazy("ganze Zahl"),
    "number": gettext_lazy("Zahl"),
    "date": gettext_lazy("Datum"),
    "datetime": gettext_lazy("Datum mit Uhrzeit"),
    "time": gettext_lazy("Uhrzeit"),
    "boolean": gettext_lazy("Wahrheitswert"),
    "year": gettext_lazy("Jahr"),
    "string": gettext_lazy("Text"),
}


def _entry(error_type: str, message: str, *, row=None, column="") -> dict:
    return {"type": error_type, "row": row, "column": column, "message": message}


class Findings:
    """All findings counted, the first `keep` of each group kept: the file-level ones
    first, then those of the rows in their order."""

    def __init__(self, keep: int):
        self.keep = keep
        self.summary: dict[str, int] = {}
        self.about_file: list[dict] = []
        self.about_rows: list[dict] = []

    def file(self, error_type: str, message: str, *, row=None, first: bool = False) -> None:
        self.summary[error_type] = self.summary.get(error_type, 0) + 1
        entry = _entry(error_type, message, row=row)
        self.about_file.insert(0, entry) if first else self.about_file.append(entry)

    def row(self, error_type: str, row: int, column: str, message) -> None:
        # `message` may be a callable: most findings of a large file are only counted.
        self.summary[error_type] = self.summary.get(error_type, 0) + 1
        if len(self.about_rows) < self.keep:
            text = message() if callable(message) else message
            self.about_rows.append(_entry(error_type, text, row=row, column=column))

    @property
    def count(self) -> int:
        return sum(self.summary.values())


def _text(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


CONSTRAINT_NOTES = {
    "required": gettext_lazy("Pflichtwert"),
    "minimum": gettext_lazy("Mindestwert %(value)s"),
    "maximum": gettext_lazy("Höchstwert %(value)s"),
    "minLength": gettext_lazy("Mindestlänge %(value)s"),
    "maxLength": gettext_lazy("Höchstlänge %(value)s"),
    "pattern": gettext_lazy("Muster %(value)s"),
    "enum": gettext_lazy("erlaubte Werte %(value)s"),
}


def _typed(value, field_type: str):
    """A cell as the number or date its type makes it, for a schema's constraints."""
    if isinstance(value, str):
        if field_type == "integer":
            return int(value)
        if field_type == "number":
            return float(value)
    return value


def _broken_constraint(value, field_type: str, constraints: dict) -> str | None:
    """The first of a schema field's constraints the (non-empty) cell breaks, or None."""
    typed = _typed(value, field_type)
    text = _text(value)
    checks = {
        "minimum": lambda limit: typed >= limit,
        "maximum": lambda limit: typed <= limit,
        "minLength": lambda limit: len(text) >= limit,
        "maxLength": lambda limit: len(text) <= limit,
        "pattern": lambda pattern: re.fullmatch(pattern, text) is not None,
        "enum": lambda allowed: typed in allowed or text in allowed,
    }
    for name, check in checks.items():
        if name in constraints:
            try:
                if not check(constraints[name]):
                    return name
            except TypeError:  # a constraint that does not fit the type: not this cell's fault
                continue
    return None


def validate_table(source, *, format: str, schema: dict | None = None, max_errors: int = MAX_ERRORS,
                   limits: tables.TableLimits | None = None) -> dict:  # fmt: skip
    """Check a CSV or XLSX file (`format` "csv" or "xlsx"), given as bytes or as a binary
    file (read as a stream); never raises on bad content. A file above a cap of
    core.tables gets a report that names the cap (what was read before is reported too)."""
    binary = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    report = {
        "valid": False,
        "format": format,
        "encoding": "",
        "delimiter": "",
        "rows": 0,
        "columns": [],
        "summary": {},
        "errors": [],
        "truncated": False,
    }
    findings = Findings(max_errors)
    dialect = tables.sniff_csv(binary) if format.lower() == "csv" else None
    rows = tables.read_rows(binary, format.upper(), limits)
    try:
        _check(dialect, rows, report, findings, format=format, schema=schema)
    except tables.TooLarge as error:
        findings.file("too-large", too_large_message(error, format), first=True)
    except tables.TableError:
        findings.file("source-error", _("Die Datei lässt sich nicht als Tabelle lesen."))
    finally:
        rows.close()
    errors = findings.about_file + findings.about_rows
    report["summary"] = findings.summary
    report["errors"] = errors[:max_errors]
    report["truncated"] = findings.count > max_errors
    report["valid"] = not findings.summary
    return report


def _check(dialect, rows, report: dict, findings: Findings, *, format: str, schema: dict | None) -> None:
    is_csv = dialect is not None
    header = next(rows, None)
    if header is None:
        findings.file("source-error", _("Die Datei lässt sich nicht als Tabelle lesen."))
        return
    labels = ["" if label is None else _text(label) for label in header]
    if is_csv:
        report["encoding"] = "cp1252" if dialect.encoding == "cp1252" else "utf-8-sig" if dialect.bom else "utf-8"
        report["delimiter"] = dialect.delimiter
        if dialect.encoding == "cp1252":
            findings.file(
                "encoding",
                _("Die Datei ist nicht in UTF-8 gespeichert (erkannt: %(encoding)s). Bitte speichern Sie "
                  "sie als UTF-8, damit Umlaute überall richtig erscheinen.")
                % {"encoding": "cp1252"},
            )  # fmt: skip
        # One column whose name still holds a separator: the delimiter was not recognised,
        # usually because the rows use different ones.
        if len(labels) == 1 and re.search(r"[;,\t|]", labels[0]):
            findings.file(
                "delimiter",
                _("Das Trennzeichen ließ sich nicht erkennen: Die Kopfzeile „%(label)s“ ergibt nur eine "
                  "Spalte. Bitte verwenden Sie in allen Zeilen dasselbe Trennzeichen.")
                % {"label": labels[0][:80]},
            )  # fmt: skip
    if labels and all(NUMBER_LABEL.match(label.strip()) for label in labels):
        findings.file(
            "missing-header",
            _("Die erste Zeile enthält nur Zahlen statt Spaltennamen. Bitte ergänzen Sie eine Kopfzeile."),
            row=1,
        )
    seen_labels = set()
    for number, label in enumerate(labels, start=1):
        if not label.strip():
            findings.file("blank-label", _("Spalte %(number)s hat keinen Namen.") % {"number": number}, row=1)
        elif label in seen_labels:
            findings.file("duplicate-label", _("Der Spaltenname „%(label)s“ kommt mehrfach vor.") % {"label": label},
                          row=1)  # fmt: skip
        seen_labels.add(label)
    names = tables.column_names(header)
    sample, rows = read_sample(rows)
    fields = _schema_fields(schema, names, findings) if schema else None
    if fields is not None:
        types = [field.get("type", "any") for field in fields]
        constraints = [field.get("constraints") or {} for field in fields]
    else:
        types = tables.column_types(names, sample, FIELD_CONFIDENCE)
        constraints = [{}] * len(names)
    report["columns"] = [{"name": name, "type": field_type} for name, field_type in zip(names, types, strict=True)]
    _check_rows(chain(sample, rows), report, findings, names, types, constraints, is_csv=is_csv,
                delimiter=report["delimiter"])  # fmt: skip


def _schema_fields(schema: dict, names: list[str], findings: Findings) -> list[dict]:
    fields = list(schema.get("fields") or [])
    for position, name in enumerate(names):
        if position >= len(fields):
            findings.file("extra-label", _("Die Spalten passen nicht zum Schema (Spalte „%(column)s“).")
                          % {"column": name}, row=1)  # fmt: skip
        elif fields[position].get("name") != name:
            findings.file("incorrect-label", _("Die Spalten passen nicht zum Schema (Spalte „%(column)s“).")
                          % {"column": name}, row=1)  # fmt: skip
    for field in fields[len(names) :]:
        findings.file("missing-label", _("Die Spalten passen nicht zum Schema (Spalte „%(column)s“).")
                      % {"column": field.get("name", "")}, row=1)  # fmt: skip
    return (fields + [{"type": "any"}] * len(names))[: len(names)]


def _check_rows(rows, report, findings: Findings, names, types, constraints, *, is_csv: bool, delimiter: str) -> None:
    width = len(names)
    seen = tables.SeenRows()
    other_delimiters = "".join(d for d in tables.DELIMITERS if d != delimiter)
    # Columns whose type takes any cell of the file are not checked (text fits "string").
    checked = [
        (index, names[index], types[index], constraints[index])
        for index in range(width)
        if constraints[index] or not (types[index] == "any" or (is_csv and types[index] == "string"))
    ]
    delimiter_reported = False
    empty = tables.is_empty
    fits = tables.cell_fits
    count = 0
    for number, row in enumerate(rows, start=2):
        count += 1
        # CSV cells are text: any() is the fast test; an XLSX 0 or False is a value.
        if (not any(row)) if is_csv else all(empty(value) for value in row):
            findings.row("blank-row", number, "", lambda number=number: _("Zeile %(row)s ist leer.") % {"row": number})
            continue
        length = len(row)
        if is_csv and length == 1 < width and not delimiter_reported and any(d in row[0] for d in other_delimiters):
            delimiter_reported = True
            findings.file(
                "delimiter",
                _("Zeile %(row)s verwendet ein anderes Trennzeichen als die Kopfzeile („%(delimiter)s“). "
                  "Bitte verwenden Sie in allen Zeilen dasselbe Trennzeichen.")
                % {"row": number, "delimiter": delimiter},
            )  # fmt: skip
        if length > width:
            for value in row[width:]:
                if is_csv or not empty(value):
                    findings.row("extra-cell", number, "", lambda number=number, value=value: _(
                        "Zeile %(row)s hat mehr Werte als die Kopfzeile Spalten (überzählig: „%(cell)s“)."
                    ) % {"row": number, "cell": _text(value)})  # fmt: skip
        elif is_csv and length < width:
            for name in names[length:]:
                findings.row("missing-cell", number, name, lambda number=number, name=name: _(
                    "In Zeile %(row)s fehlt der Wert für Spalte „%(column)s“."
                ) % {"row": number, "column": name})  # fmt: skip
        for index, name, field_type, rules in checked:
            value = row[index] if index < length else None
            if empty(value):
                if rules.get("required"):
                    _constraint(findings, number, name, value, "required", rules)
                continue
            if not fits(value, field_type):
                findings.row("type-error", number, name, lambda n=number, c=name, v=value, t=field_type: _(
                    "„%(cell)s“ in Spalte „%(column)s“ ist keine gültige Angabe vom Typ %(type)s."
                ) % {"cell": _text(v), "column": c, "type": TYPE_LABELS.get(t, t)})  # fmt: skip
            elif rules and (broken := _broken_constraint(value, field_type, rules)):
                _constraint(findings, number, name, value, broken, rules)
        first = seen.first(row, number)
        if first is not None:
            findings.row("duplicate-row", number, "", lambda number=number, first=first: _(
                "Zeile %(row)s wiederholt Zeile %(other)s."
            ) % {"row": number, "other": first})  # fmt: skip
    report["rows"] = count


def _constraint(findings: Findings, number: int, name: str, value, rule: str, rules: dict) -> None:
    note = CONSTRAINT_NOTES[rule] % {"value": rules.get(rule)} if rule != "required" else CONSTRAINT_NOTES[rule]
    findings.row("constraint-error", number, name, lambda: _(
        "„%(cell)s“ in Spalte „%(column)s“ verletzt eine Regel des Schemas: %(note)s"
    ) % {"cell": _text(value), "column": name, "note": note})  # fmt: skip


def tabular_format(distribution) -> str | None:
    """ "csv" or "xlsx" for an uploaded table, None for anything the check does not read."""
    if not distribution.file:
        return None
    return TABULAR_FORMATS.get(distribution.format)


def checksum_of(distribution) -> str:
    """The SHA-256 of the stored file (the version a report belongs to), read in chunks."""
    digest = hashlib.sha256()
    with distribution.file.open("rb") as stream:
        for chunk in iter(lambda: stream.read(2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_distribution(distribution_id: int) -> dict | None:
    """Validate an uploaded table and run the disclosure check on it, once per file
    version: reports for the current checksum are kept, not written again (so a
    redelivered task changes nothing). None if there is nothing to check."""
    distribution = Distribution.objects.filter(pk=distribution_id).first()
    if distribution is None or (format := tabular_format(distribution)) is None:
        return None
    checksum = checksum_of(distribution)
    # Each check streams the stored file within the caps of core.tables: nothing is
    # read into memory whole, and a file above a cap gets a report saying so.
    with distribution.file.open("rb") as binary:
        tabular = validate_table(binary, format=format)
    report, _created = DistributionReport.objects.get_or_create(
        distribution=distribution,
        kind=ReportKind.TABULAR,
        checksum_sha256=checksum,
        defaults={"valid": tabular["valid"], "summary": tabular["summary"], "report": tabular},
    )
    result = {"tabular": report.valid}
    if tabular["columns"]:
        with distribution.file.open("rb") as binary:
            disclosure = check_disclosure(binary, format=format)
        summary = {key: disclosure[key] for key in ("min_count", "checked_cells", "flagged_cells")}
        report, _created = DistributionReport.objects.get_or_create(
            distribution=distribution,
            kind=ReportKind.DISCLOSURE,
            checksum_sha256=checksum,
            defaults={"valid": disclosure["valid"], "summary": summary, "report": disclosure},
        )
        result["disclosure"] = report.valid
        if not report.valid and applies_to(distribution.dataset.current_classification):
            # A file the check could not read to its end is not passed either: the
            # statistics office looks at it (fail closed).
            if disclosure["error"]:
                reasons = _("Die Geheimhaltungsprüfung konnte die Datei „%(title)s“ nicht vollständig prüfen.") % {
                    "title": distribution.title
                }
            else:
                reasons = _("Die Geheimhaltungsprüfung fand kleine Fallzahlen in der Datei „%(title)s“.") % {
                    "title": distribution.title
                }
            small_cells_found.send(sender=Distribution, distribution=distribution, reasons=reasons)
    return result


# Two passes (validation, disclosure), each stopping at TABLE_MAX_SECONDS: the time limits of
# the "files" kind (settings.TASK_KINDS) leave room for both.
@shared_task(
    name="catalog.tasks.validate_distribution",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError, ConnectionError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def validate_distribution(distribution_id: int) -> dict | None:
    """Validate an uploaded CSV/XLSX table and check it for small counts. Safe to
    deliver twice: a report is written once per distribution, kind and checksum."""
    return check_distribution(distribution_id)
