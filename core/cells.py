"""Cells that are safe to open in a spreadsheet program. Text that starts with = + - @,
a tab or a carriage return is read as a formula by Excel and LibreOffice (CSV injection,
OWASP): such text gets a leading apostrophe, which the programs show as plain text. Every
CSV and XLSX the application writes passes its cells through `safe_cell`; numbers, dates
and booleans are left as they are, so they stay numbers."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """`value` unchanged unless it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values) -> list:
    return [safe_cell(value) for value in values]
