"""Tabular validation of CSV and XLSX distributions with frictionless.

`validate_table(content, format=...)` is pure: it reads the bytes, lets frictionless
detect encoding, delimiter, header and column types, runs its checks (plus duplicate
rows) and returns a report dict with German messages:

    {"valid": False, "format": "csv", "encoding": "utf-8", "delimiter": ";",
     "rows": 120, "columns": [{"name": "Stadtteil", "type": "string"}, ...],
     "summary": {"blank-row": 1, "type-error": 3},
     "errors": [{"type": "type-error", "row": 7, "column": "Anzahl", "message": "..."}, ...],
     "truncated": False}

Rows are counted as in the file: the header is row 1. Only the first `MAX_ERRORS`
errors are listed; `summary` counts all of them.

A Table Schema (JSON) can be passed as `schema`; distributions have no field for one
yet, so uploads are checked against the types frictionless infers.
"""

from __future__ import annotations

import hashlib
import re

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from frictionless import Checklist, Detector, Resource, Schema, checks
from frictionless.exception import FrictionlessException

from .disclosure import check_disclosure
from .models import Distribution, DistributionReport, ReportKind
from .signals import small_cells_found

TABULAR_FORMATS = {"CSV": "csv", "XLSX": "xlsx"}
MAX_ERRORS = 50
# frictionless types a column as soon as this share of its sample (the first 100 rows)
# fits the type; cells after that point that do not fit are reported as type errors.
FIELD_CONFIDENCE = 0.75
NUMBER_LABEL = re.compile(r"^-?\d+([.,]\d+)?$")


def error_label(error_type: str) -> str:
    labels = {
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
}


def _message(error, types: dict | None = None) -> str:
    """frictionless speaks English; users get one German sentence per error."""
    row = getattr(error, "row_number", None)
    column = getattr(error, "field_name", "") or ""
    cell = getattr(error, "cell", "")
    if error.type == "blank-row":
        return _("Zeile %(row)s ist leer.") % {"row": row}
    if error.type == "duplicate-row":
        match = re.search(r'position "?(\d+)"?$', error.note or "")
        if match:
            return _("Zeile %(row)s wiederholt Zeile %(other)s.") % {"row": row, "other": match.group(1)}
        return _("Zeile %(row)s wiederholt eine frühere Zeile.") % {"row": row}
    if error.type == "type-error":
        field_type = (types or {}).get(column, "")
        return _("„%(cell)s“ in Spalte „%(column)s“ ist keine gültige Angabe vom Typ %(type)s.") % {
            "cell": cell,
            "column": column,
            "type": TYPE_LABELS.get(field_type, field_type),
        }
    if error.type == "constraint-error":
        return _("„%(cell)s“ in Spalte „%(column)s“ verletzt eine Regel des Schemas: %(note)s") % {
            "cell": cell,
            "column": column,
            "note": error.note,
        }
    if error.type == "missing-cell":
        return _("In Zeile %(row)s fehlt der Wert für Spalte „%(column)s“.") % {"row": row, "column": column}
    if error.type == "extra-cell":
        return _("Zeile %(row)s hat mehr Werte als die Kopfzeile Spalten (überzählig: „%(cell)s“).") % {
            "row": row,
            "cell": cell,
        }
    if error.type == "blank-label":
        return _("Spalte %(number)s hat keinen Namen.") % {"number": getattr(error, "field_number", "?")}
    if error.type == "duplicate-label":
        return _("Der Spaltenname „%(label)s“ kommt mehrfach vor.") % {"label": getattr(error, "label", "")}
    if error.type in ("missing-label", "extra-label", "incorrect-label"):
        return _("Die Spalten passen nicht zum Schema (Spalte „%(column)s“).") % {"column": column}
    if error.type in ("primary-key", "unique-error"):
        return _("Zeile %(row)s wiederholt einen Wert, der eindeutig sein muss.") % {"row": row}
    if error.type in ("source-error", "format-error", "scheme-error", "encoding-error"):
        return _("Die Datei lässt sich nicht als Tabelle lesen.")
    return _("Zeile %(row)s, Spalte „%(column)s“: %(type)s") % {
        "row": row or "–",
        "column": column or "–",
        "type": error_label(error.type),
    }


def _entry(error_type: str, message: str, *, row=None, column="") -> dict:
    return {"type": error_type, "row": row, "column": column, "message": message}


def validate_table(content: bytes, *, format: str, schema: dict | None = None, max_errors: int = MAX_ERRORS) -> dict:
    """Check a CSV or XLSX file (`format` "csv" or "xlsx"); never raises on bad content."""
    resource = Resource(
        content,
        format=format,
        schema=Schema.from_descriptor(schema) if schema else None,
        detector=Detector(field_confidence=FIELD_CONFIDENCE),
    )
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
    findings: list[dict] = []
    try:
        result = resource.validate(checklist=Checklist(checks=[checks.duplicate_row()]))
    except FrictionlessException as exc:
        findings.append(_entry(exc.error.type, _message(exc.error)))
        result = None
    if result is not None:
        task = result.tasks[0]
        # A file frictionless could not open has no header, schema or dialect, only errors.
        opened = task.stats.get("rows") is not None
        labels = list(resource.labels or []) if opened else []
        types = {field.name: field.type for field in resource.schema.fields} if opened else {}
        report["rows"] = task.stats.get("rows") or 0
        report["columns"] = [{"name": name, "type": field_type} for name, field_type in types.items()]
        if opened and format == "csv":
            report["encoding"] = (resource.encoding or "").lower()
            report["delimiter"] = resource.dialect.to_descriptor().get("csv", {}).get("delimiter", ",")
            if report["encoding"] not in ("utf-8", "utf-8-sig", "ascii", ""):
                findings.append(
                    _entry(
                        "encoding",
                        _("Die Datei ist nicht in UTF-8 gespeichert (erkannt: %(encoding)s). Bitte speichern Sie "
                          "sie als UTF-8, damit Umlaute überall richtig erscheinen.")
                        % {"encoding": resource.encoding},
                    )
                )  # fmt: skip
            # One column whose name still holds a separator: the delimiter was not recognised,
            # usually because the rows use different ones.
            if len(labels) == 1 and re.search(r"[;,\t|]", labels[0]):
                findings.append(
                    _entry(
                        "delimiter",
                        _("Das Trennzeichen ließ sich nicht erkennen: Die Kopfzeile „%(label)s“ ergibt nur eine "
                          "Spalte. Bitte verwenden Sie in allen Zeilen dasselbe Trennzeichen.")
                        % {"label": labels[0][:80]},
                    )
                )  # fmt: skip
        if labels and all(NUMBER_LABEL.match(label.strip()) for label in labels):
            findings.append(
                _entry(
                    "missing-header",
                    _("Die erste Zeile enthält nur Zahlen statt Spaltennamen. Bitte ergänzen Sie eine Kopfzeile."),
                    row=1,
                )
            )
        for error in task.errors:
            findings.append(
                _entry(
                    error.type,
                    _message(error, types),
                    row=getattr(error, "row_number", None),
                    column=getattr(error, "field_name", "") or "",
                )
            )
    summary: dict[str, int] = {}
    for finding in findings:
        summary[finding["type"]] = summary.get(finding["type"], 0) + 1
    report["summary"] = summary
    report["errors"] = findings[:max_errors]
    report["truncated"] = len(findings) > max_errors
    report["valid"] = not findings
    return report


def tabular_format(distribution) -> str | None:
    """ "csv" or "xlsx" for an uploaded table, None for anything the check does not read."""
    if not distribution.file:
        return None
    return TABULAR_FORMATS.get(distribution.format)


def read_content(distribution) -> tuple[bytes, str]:
    """The stored file and its SHA-256 (the version a report belongs to)."""
    with distribution.file.open("rb") as stream:
        content = stream.read()
    return content, hashlib.sha256(content).hexdigest()


def check_distribution(distribution_id: int) -> dict | None:
    """Validate an uploaded table and run the disclosure check on it, once per file
    version: reports for the current checksum are kept, not written again (so a
    redelivered task changes nothing). None if there is nothing to check."""
    distribution = Distribution.objects.filter(pk=distribution_id).first()
    if distribution is None or (format := tabular_format(distribution)) is None:
        return None
    content, checksum = read_content(distribution)
    tabular = validate_table(content, format=format)
    report, _created = DistributionReport.objects.get_or_create(
        distribution=distribution,
        kind=ReportKind.TABULAR,
        checksum_sha256=checksum,
        defaults={"valid": tabular["valid"], "summary": tabular["summary"], "report": tabular},
    )
    result = {"tabular": report.valid}
    if tabular["columns"]:
        disclosure = check_disclosure(content, format=format)
        summary = {key: disclosure[key] for key in ("min_count", "checked_cells", "flagged_cells")}
        report, _created = DistributionReport.objects.get_or_create(
            distribution=distribution,
            kind=ReportKind.DISCLOSURE,
            checksum_sha256=checksum,
            defaults={"valid": disclosure["valid"], "summary": summary, "report": disclosure},
        )
        result["disclosure"] = report.valid
        if not report.valid:
            reasons = _("Die Geheimhaltungsprüfung fand kleine Fallzahlen in der Datei „%(title)s“.") % {
                "title": distribution.title
            }
            small_cells_found.send(sender=Distribution, distribution=distribution, reasons=reasons)
    return result


# Reading a large table (uploads go up to MAX_UPLOAD_SIZE) may take longer than the default limit.
@shared_task(
    name="catalog.tasks.validate_distribution",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError, ConnectionError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
    time_limit=1800,
    soft_time_limit=1700,
)
def validate_distribution(distribution_id: int) -> dict | None:
    """Validate an uploaded CSV/XLSX table and check it for small counts. Safe to
    deliver twice: a report is written once per distribution, kind and checksum."""
    return check_distribution(distribution_id)
