"""Column types of a table from all its cells (TEMPORARY adapter over catalog.renditions'
inference until core.tabletypes lands; same API)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from catalog import renditions as r

KINDS = {r.INTEGER: "integer", r.DECIMAL_DE: "number", r.DECIMAL_EN: "number", r.DATE: "date", r.BOOLEAN: "boolean",
         r.TEXT: "string"}  # fmt: skip


class _Cells:
    def __init__(self):
        self.text = r._Column()
        self.typed: set[str] = set()

    def see(self, value):
        if value is None or value == "":
            return
        if isinstance(value, str):
            self.text.see(value)
            if value.strip():
                self.typed.add("text")
        elif isinstance(value, bool):
            self.typed.add("boolean")
        elif isinstance(value, int):
            self.typed.add("integer")
        elif isinstance(value, float | Decimal):
            self.typed.add("number")
        elif isinstance(value, datetime):
            self.typed.add("date" if value.time() == time(0) else "datetime")
        elif isinstance(value, date):
            self.typed.add("date")
        else:
            self.typed.add("other")

    def kind(self) -> tuple[str, str]:
        if self.typed <= {"text"}:
            raw = self.text.kind()
            return KINDS[raw], raw
        if self.typed <= {"integer"}:
            return "integer", ""
        if self.typed <= {"integer", "number"}:
            return "number", ""
        if self.typed <= {"date"}:
            return "date", ""
        if self.typed <= {"date", "datetime"}:
            return "datetime", ""
        if self.typed <= {"boolean"}:
            return "boolean", ""
        return "string", ""


class Survey:
    def __init__(self):
        self.columns: list[_Cells] = []

    def see(self, row) -> None:
        if len(row) > len(self.columns):
            self.columns.extend(_Cells() for _ in range(len(row) - len(self.columns)))
        for column, value in zip(self.columns, row, strict=False):
            column.see(value)

    def kinds(self) -> list[tuple[str, str]]:
        """(type, how text cells read) per column."""
        return [column.kind() for column in self.columns]


def convert(value, kind: str, reading: str):
    if value is None:
        return None
    if isinstance(value, str):
        if kind == "string":
            return value
        if not value.strip():
            return None
        converted = r.typed(value, reading)
        if kind == "number":
            text = value.strip()
            return Decimal(text.replace(".", "").replace(",", ".")) if reading == r.DECIMAL_DE else Decimal(text)
        return converted
    if kind == "string":
        return r._text(value)
    if kind == "number":
        return Decimal(str(value))
    if kind == "date" and isinstance(value, datetime):
        return value.date()
    return value
