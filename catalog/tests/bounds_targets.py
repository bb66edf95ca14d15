"""Functions that core.testing.measured runs in a fresh process (test_table_bounds): each
reads a generated file from its path the way the portal does, and returns what a person
would see, so the test checks the memory of the process and the German result together."""

from __future__ import annotations


def validate(path: str, file_format: str) -> dict:
    from catalog.tabular_validation import validate_table

    with open(path, "rb") as binary:
        report = validate_table(binary, format=file_format)
    return {"rows": report["rows"], "summary": report["summary"], "messages": [e["message"] for e in report["errors"]]}


def disclosure(path: str, file_format: str) -> dict:
    from catalog.disclosure import check_disclosure

    with open(path, "rb") as binary:
        report = check_disclosure(binary, format=file_format)
    return {key: report[key] for key in ("rows", "checked_cells", "error", "message", "count_columns")}


def import_rows(path: str, file_type: str) -> list[str]:
    """The file-level messages of an inventory import reading the file (no database)."""
    from catalog.errors import ImportFileError
    from catalog.imports.service import read_table

    try:
        with open(path, "rb") as binary:
            table = read_table(binary, file_type)
    except ImportFileError as error:
        return [str(message) for message in error.messages]
    return [f"{len(table.rows)} rows"]


def read(path: str, file_format: str) -> dict:
    """Every row of the file through core.tables, or the cap that stopped it."""
    from core import tables

    count = 0
    try:
        with open(path, "rb") as binary:
            for _row in tables.read_rows(binary, file_format):
                count += 1
    except tables.TooLarge as error:
        return {"rows": count, "stopped": error.limit, "cap": error.cap}
    return {"rows": count, "stopped": None}
