"""Statistical disclosure check of aggregated tables (reference/ethics_legal.md § 7.7):
the minimum-frequency rule. A count below the minimum (default 3, the BA/ESS standard)
can point at single persons, so such cells are flagged for the steward, and the
decision engine learns of them through the fact `small_cells`.

Count columns are the columns frictionless types as integers, plus the columns named in
`DISCLOSURE_COUNT_COLUMNS` (for tables whose counts it reads as text, for instance
because suppressed cells hold "."); columns whose name looks like a key, a number or a
year (`DISCLOSURE_IGNORE_COLUMNS`) are never counts. Zero is allowed as in § 7.7
(`0 < n < min_count`): an empty cell reveals nobody; `DISCLOSURE_FLAG_ZEROS` changes that.

This is the automatic primary check only. Dominance, the p% rule and secondary
suppression need the statistics office (or sdcTable / τ-ARGUS).

    {"valid": False, "min_count": 3, "zeros_flagged": False, "count_columns": ["Anzahl"],
     "rows": 12, "checked_cells": 12, "flagged_cells": 2,
     "flagged": [{"row": 4, "column": "Anzahl", "value": 2}, ...], "truncated": False}
"""

from __future__ import annotations

import re

from django.conf import settings
from frictionless import Detector, Resource
from frictionless.exception import FrictionlessException

MAX_FLAGGED = 100


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
    content: bytes,
    *,
    format: str,
    min_count: int | None = None,
    count_columns: list[str] | None = None,
    flag_zeros: bool | None = None,
    max_flagged: int = MAX_FLAGGED,
) -> dict:
    """Flag the cells of the count columns below the minimum; never raises on bad content
    (a table that cannot be read has nothing to check and says so in `error`)."""
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
    }
    resource = Resource(content, format=format, detector=Detector(field_confidence=0.75))
    try:
        with resource:
            columns = [
                field.name
                for field in resource.schema.fields
                if (field.type == "integer" or field.name.casefold() in named) and not ignore.search(field.name)
            ]
            report["count_columns"] = columns
            flagged = []
            positions = [(index, field.name) for index, field in enumerate(resource.schema.fields)
                         if field.name in columns]  # fmt: skip
            for row in resource.row_stream:
                report["rows"] += 1
                for index, column in positions:
                    # A cell that does not fit the column's type is None; its text is in row.cells.
                    value = row[column]
                    if value is None and index < len(row.cells):
                        value = row.cells[index]
                    value = _as_count(value)
                    if value is None:
                        continue
                    report["checked_cells"] += 1
                    if value < min_count and (value > 0 or flag_zeros):
                        flagged.append({"row": row.row_number, "column": column, "value": value})
    except FrictionlessException:
        report["error"] = "unreadable"
        report["valid"] = False
        return report
    report["flagged_cells"] = len(flagged)
    report["flagged"] = flagged[:max_flagged]
    report["truncated"] = len(flagged) > max_flagged
    report["valid"] = not flagged
    return report
