"""The table explorer of the portal (issue 24): a table's rows for people, filtered,
searched, sorted and paged on the server, so it works without JavaScript and with a
screen reader. The page's parameters become a `query.Query` through the same checks as
the REST API's; the API box shows the REST URL of the very same query.

Parameters of the page (GET):
- `q`: full text; `spalte`, `vergleich` ("", "gte", "lte"), `wert`: filter rows, repeated
  in that order (a row without a column or a value is ignored);
- `sort`: a column, `-column` descending; `anzahl`: rows per page (25, 50, 100);
- `cursor`: the page after the one the cursor came from; `ab`: how many rows came
  before it (only for "Zeilen 26 bis 50"). A cursor cannot go back: "Erste Seite".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlencode

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from . import dictionary, query
from .models import DataTable

PAGE_SIZES = (25, 50, 100)
MAX_FILTER_ROWS = 5
# The operators the page offers, with their words (the API has gt and lt too).
COMPARISONS = (("", _lazy("gleich")), ("gte", _lazy("ab")), ("lte", _lazy("bis")))
# A number as people here write it: 1.000 or 1.234,5 (the API wants 1000 and 1234.5).
GERMAN_NUMBER = re.compile(r"[-+]?\d{1,3}(\.\d{3})+(,\d+)?|[-+]?\d+,\d+")


@dataclass
class Filter:
    column: str
    comparison: str
    value: str

    @property
    def parameter(self) -> str:
        """Its name in the REST API: `Spalte` or `Spalte__gte`."""
        return f"{self.column}__{self.comparison}" if self.comparison else self.column


@dataclass
class Request:
    """The page's parameters, read and bounded (not yet checked against the table)."""

    words: str = ""
    filters: list[Filter] = field(default_factory=list)
    sort: str = ""
    size: int = PAGE_SIZES[0]
    cursor: str = ""
    before: int = 0  # rows on the pages before this one

    def state(self, **changes) -> list[tuple[str, str]]:
        """The page's parameters (for links), with `changes` (None drops one)."""
        values = {"q": self.words, "sort": self.sort, "anzahl": str(self.size), "cursor": self.cursor,
                  "ab": str(self.before) if self.before else ""}  # fmt: skip
        values.update(changes)
        pairs = [("q", values["q"])]
        for row in self.filters:
            pairs += [("spalte", row.column), ("vergleich", row.comparison), ("wert", row.value)]
        pairs += [(name, values[name]) for name in ("sort", "anzahl", "cursor", "ab")]
        return [(name, value) for name, value in pairs if value]

    def rest_parameters(self) -> list[tuple[str, str]]:
        """The same query in the REST API's parameters (without the cursor: the answer
        brings its own `next`)."""
        pairs = [(row.parameter, row.value) for row in self.filters]
        if self.words:
            pairs.append(("q", self.words))
        if self.sort:
            pairs.append(("sort", self.sort))
        pairs.append(("limit", str(self.size)))
        return pairs


def read(params) -> Request:
    """The page's parameters; a QueryError names what is wrong."""
    page = Request(words=params.get("q", "").strip(), sort=params.get("sort", "").strip(),
                   cursor=params.get("cursor", "").strip())  # fmt: skip
    columns, comparisons, values = params.getlist("spalte"), params.getlist("vergleich"), params.getlist("wert")
    if len(columns) > MAX_FILTER_ROWS + 1:
        raise query.QueryError(_("Höchstens %(n)s Filter.") % {"n": MAX_FILTER_ROWS}, "spalte")
    for position, column in enumerate(columns):
        comparison = comparisons[position] if position < len(comparisons) else ""
        value = values[position].strip() if position < len(values) else ""
        if column and value:
            if comparison not in dict(COMPARISONS):
                raise query.QueryError(_("Bitte wählen Sie „gleich“, „ab“ oder „bis“."), "vergleich")
            page.filters.append(Filter(column, comparison, value))
    size = params.get("anzahl", str(PAGE_SIZES[0]))
    if size not in {str(choice) for choice in PAGE_SIZES}:
        raise query.QueryError(_("Bitte wählen Sie 25, 50 oder 100 Zeilen je Seite."), "anzahl")
    page.size = int(size)
    before = params.get("ab", "0") or "0"
    if not before.isdigit() or int(before) > 10_000_000:
        raise query.QueryError(_("Die Seitenangabe ist ungültig. Bitte beginnen Sie mit der ersten Seite."), "ab")
    page.before = int(before) if page.cursor else 0
    return page


def understand(table: DataTable, page: Request) -> None:
    """Numbers typed the German way become the API's (so the REST URL of the view works
    too); dates as TT.MM.JJJJ the API reads itself."""
    numeric = {column["id"] for column in table.columns if column["type"] in query.NUMERIC} | {"_id"}
    for row in page.filters:
        if row.column in numeric and GERMAN_NUMBER.fullmatch(row.value):
            row.value = row.value.replace(".", "").replace(",", ".")


def build(table: DataTable, page: Request) -> query.Query:
    """The store's query for the page: checked like the REST API's."""
    built = query.Query(columns=table.columns)
    for row in page.filters:
        query.add_condition(built, row.column, row.comparison, [row.value], "wert")
    if page.words:
        built.words = query.words_of(page.words)
    if page.sort:
        query.set_sort(built, page.sort)
    query.set_limit(built, page.size)
    if page.cursor:
        query.set_cursor(built, page.cursor)
    return built


def rest_url(base: str, page: Request) -> str:
    return f"{base}?{urlencode(page.rest_parameters())}"


def python_example(base: str, page: Request) -> str:
    """A Python script with `requests` that asks the REST API what the page shows."""
    params: dict[str, list[str]] = {}
    for name, value in page.rest_parameters():
        params.setdefault(name, []).append(value)
    lines = []
    for name, values in params.items():
        shown = repr(values[0]) if len(values) == 1 else repr(values)
        lines.append(f"        {name!r}: {shown},")
    return "\n".join([
        "import requests",
        "",
        "response = requests.get(",
        f"    {base!r},",
        "    params={",
        *lines,
        "    },",
        "    timeout=30,",
        ")",
        "response.raise_for_status()",
        "for record in response.json()[\"records\"]:",
        "    print(record)",
    ])  # fmt: skip


# ---------------------------------------------------------------------------
# The columns and cells as people read them


@dataclass
class Column:
    id: str
    type: str
    heading: str
    unit: str
    description: str
    numeric: bool
    year: bool  # a year is a number written without grouping (2024, not 2.024)
    sort: str = ""  # "ascending", "descending" or ""
    toggle: str = ""  # the sort parameter its heading's link sets
    sort_query: str = ""  # the page's parameters with that sort

    @property
    def type_label(self) -> str:
        return query.type_label(self.type)


def columns(table: DataTable, page: Request, *, described=None) -> list[Column]:
    current, descending = page.sort.removeprefix("-"), page.sort.startswith("-")
    result = []
    for entry in dictionary.fields(table, described=described):
        heading = dictionary.label(entry)
        numeric = entry["type"] in query.NUMERIC
        year = entry["type"] == "integer" and "jahr" in f"{entry['id']} {entry['title']}".lower()
        sort = ("descending" if descending else "ascending") if entry["id"] == current else ""
        toggle = entry["id"] if sort == "descending" or not sort else f"-{entry['id']}"
        result.append(Column(entry["id"], entry["type"], heading, entry["unit"], entry["description"], numeric, year,
                             sort, toggle))  # fmt: skip
    return result


def cell(column: Column, value) -> str:
    """A value in German: 1.234,5; 31.12.2024; ja/nein; empty for none."""
    if value is None or value == "":
        return ""
    if column.numeric:
        return formats.number_format(value, use_l10n=True, force_grouping=not column.year)
    if column.type == "date":
        return formats.date_format(date.fromisoformat(str(value)), "SHORT_DATE_FORMAT")
    if column.type == "datetime":
        return formats.date_format(datetime.fromisoformat(str(value)), "SHORT_DATETIME_FORMAT")
    if column.type == "boolean":
        return _("ja") if value else _("nein")
    return str(value)
