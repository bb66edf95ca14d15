"""Statistical disclosure check of aggregated tables (reference/ethics_legal.md § 7.7):
the minimum-frequency rule. A count below the minimum (default 3, the BA/ESS standard)
can point at single persons, so such cells are flagged for the steward, and the
decision engine learns of them through the fact `small_cells`.

Count columns are the columns typed as integers (core.tables.column_types on a sample,
as the validation infers them), plus the columns named in
`DISCLOSURE_COUNT_COLUMNS` (for tables whose counts it reads as text, for instance
because suppressed cells hold "."); columns whose name looks like a key, a number or a
year (`DISCLOSURE_IGNORE_COLUMNS`) are never counts. Zero is allowed as in § 7.7
(`0 < n < min_count`): an empty cell reveals nobody; `DISCLOSURE_FLAG_ZEROS` changes that.

This is the automatic primary check only. Dominance, the p% rule and secondary
suppression need the statistics office (or sdcTable / τ-ARGUS).

    {"valid": False, "min_count": 3, "zeros_flagged": False, "count_columns": ["Anzahl"],
     "rows": 12, "checked_cells": 12, "flagged_cells": 2,
     "flagged": [{"row": 4, "column": "Anzahl", "value": 2}, ...], "truncated": False,
     "error": "", "message": ""}

The table is streamed through core.tables within its caps; a file above a cap is not
reported as passed: `error` is "too-large" and `message` says in German which cap.
"""

from __future__ import annotations

import io
import re
from itertools import chain, islice

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from core import tables

MAX_FLAGGED = 100
# As the validation (catalog.tabular_validation) infers column types.
SAMPLE_ROWS = 100
FIELD_CONFIDENCE = 0.75


def read_sample(rows) -> tuple[list[list], object]:
    """The first SAMPLE_ROWS rows and the rest. A cap reached within the sample is raised
    by the rest, so that the columns are still typed and the sample's rows checked."""
    sample = []
    try:
        for row in islice(rows, SAMPLE_ROWS):
            sample.append(row)
    except tables.TooLarge as error:
        return sample, _raising(error)
    return sample, rows


def _raising(error):
    raise error
    yield  # a generator: raises when the rows after the sample are asked for


def too_large_message(error: tables.TooLarge, file_format: str) -> str:
    """What a publisher reads when a check stopped at a cap of core.tables (here, not in
    the validation, which imports this module)."""
    cap = number_format(error.cap, force_grouping=True)
    if error.limit == "rows":
        return _(
            "Die Datei ist zu groß zum Prüfen: mehr als %(cap)s Zeilen. Geprüft wurden nur die ersten %(cap)s "
            "Zeilen; bitte teilen Sie die Datei auf."
        ) % {"cap": cap}
    if error.limit == "cells":
        return _(
            "Die Datei ist zu groß zum Prüfen: mehr als %(cap)s Zellen. Geprüft wurde nur der Anfang; bitte "
            "teilen Sie die Datei auf."
        ) % {"cap": cap}
    if error.limit == "bytes" and file_format.lower() == "csv":
        return _(
            "Die Datei ist zu groß zum Prüfen: Eine Zeile oder ein Wert ist länger als %(cap)s Zeichen. Bitte "
            "prüfen Sie Zeilenumbrüche und Anführungszeichen."
        ) % {"cap": cap}
    if error.limit == "bytes":
        return _(
            "Die Datei ist zu groß zum Prüfen: Ein Teil der Excel-Datei ist entpackt größer als %(cap)s MB. "
            "Bitte teilen Sie die Datei auf."
        ) % {"cap": number_format(error.cap // 2**20, force_grouping=True)}
    return _(
        "Die Datei ist zu groß zum Prüfen: Die Prüfung dauerte länger als %(cap)s Sekunden. Bitte teilen Sie "
        "die Datei auf."
    ) % {"cap": cap}


def _as_count(value):
    """An integer count, or None for anything else (text, decimals, suppression marks)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        return int(value)
    return None


def check_disclosure(
    source,
    *,
    format: str,
    min_count: int | None = None,
    count_columns: list[str] | None = None,
    flag_zeros: bool | None = None,
    max_flagged: int = MAX_FLAGGED,
    limits: tables.TableLimits | None = None,
) -> dict:
    """Flag the cells of the count columns below the minimum in a table given as bytes or
    a binary file (streamed); never raises on bad content (a table that cannot be read has
    nothing to check and says so in `error`)."""
    min_count = settings.DISCLOSURE_MIN_COUNT if min_count is None else min_count
    flag_zeros = settings.DISCLOSURE_FLAG_ZEROS if flag_zeros is None else flag_zeros
    named = {name.casefold() for name in (count_columns or settings.DISCLOSURE_COUNT_COLUMNS)}
    ignore = re.compile(settings.DISCLOSURE_IGNORE_COLUMNS, re.IGNORECASE)
    report = {
        "valid": True,
        "min_count": min_count,
        "zeros_flagged": flag_zeros,
        "count_columns": [],
        "rows": 0,
        "checked_cells": 0,
        "flagged_cells": 0,
        "flagged": [],
        "truncated": False,
        "error": "",
        "message": "",
    }
    binary = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    flagged: list[dict] = []
    rows = tables.read_rows(binary, format.upper(), limits)
    try:
        header = next(rows, None)
        if header is None:
            raise tables.TableError("no header")
        names = tables.column_names(header)
        sample, rows = read_sample(rows)
        types = tables.column_types(names, sample, FIELD_CONFIDENCE)
        positions = [
            (index, name)
            for index, (name, field_type) in enumerate(zip(names, types, strict=True))
            if (field_type == "integer" or name.casefold() in named) and not ignore.search(name)
        ]
        report["count_columns"] = [name for _index, name in positions]
        for number, row in enumerate(chain(sample, rows), start=2):
            report["rows"] += 1
            for index, column in positions:
                value = _as_count(row[index]) if index < len(row) else None
                if value is None:
                    continue
                report["checked_cells"] += 1
                if value < min_count and (value > 0 or flag_zeros):
                    report["flagged_cells"] += 1
                    if len(flagged) <= max_flagged:
                        flagged.append({"row": number, "column": column, "value": value})
    except tables.TooLarge as error:
        # What was found before the cap is reported too; the file is not passed.
        report.update(error="too-large", message=too_large_message(error, format))
        flagged_so_far = flagged[:max_flagged]
        report.update(flagged=flagged_so_far, truncated=report["flagged_cells"] > max_flagged, valid=False)
        return report
    except tables.TableError:
        report.update(error="unreadable", valid=False)
        return report
    finally:
        rows.close()
    report["flagged"] = flagged[:max_flagged]
    report["truncated"] = report["flagged_cells"] > max_flagged
    report["valid"] = not flagged
    return report


def applies_to(classification) -> bool:
    """Whether the minimum-frequency rule speaks for this data (ethics_legal.md § 7.7):
    it protects persons, so it applies to counts of persons: personal data of any kind,
    anonymised or aggregated from it, or data under statistical confidentiality. Counts
    of things (containers, parking spaces) in data classified as having no personal
    reference reveal nobody; no warning and no block for them. Without a classification
    it applies (fail closed)."""
    if classification is None:
        return True
    from .models import PersonalDataStatus

    return classification.personal_data != PersonalDataStatus.NONE or classification.statistical_confidentiality
