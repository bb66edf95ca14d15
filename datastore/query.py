"""The query language of the table store, shared by the REST API (datastore.api) and
CKAN's datastore_search (portal.ckan): parameters are checked against the table's columns
and types and become a `Query`; only then is SQL written (`rows_sql`, `count_sql`,
`groups_sql`), with every name from the column list and every value a parameter.

Bounds: at most MAX_FILTERS conditions with MAX_VALUES values each, MAX_SORT sort keys,
MAX_GROUP group columns and MAX_AGGREGATES aggregates, full text of at most MAX_WORDS words,
at most settings.DATASTORE_MAX_ROWS rows per answer; every statement under the store's
timeout (engine.read). A parameter outside these bounds is a QueryError with a German
message (the API answers 400), never a slow query.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from . import engine

MAX_FILTERS = 20
MAX_VALUES = 100
MAX_SORT = 3
MAX_GROUP = 3
MAX_AGGREGATES = 5
MAX_WORDS = 10
MAX_TEXT = 200
DEFAULT_LIMIT = 100
OPERATORS = {"": "=", "gte": ">=", "lte": "<=", "gt": ">", "lt": "<"}
AGGREGATES = ("count", "sum", "avg", "min", "max")
NUMERIC = ("integer", "number")
WORD = re.compile(r"\w+")
ROW_ID = {"id": "_id", "column": "_id", "type": "integer", "nulls": False}
CURSOR_SALT = "datastore.cursor"


class QueryError(Exception):
    """A parameter the store cannot answer: `message` in German, `parameter` names it."""

    def __init__(self, message: str, parameter: str = ""):
        super().__init__(message)
        self.message, self.parameter = message, parameter


@dataclass
class Condition:
    column: dict
    operator: str
    values: list


@dataclass
class Aggregate:
    function: str
    column: dict | None

    @property
    def label(self) -> str:
        return self.function if self.column is None else f"{self.function}:{self.column['id']}"


@dataclass
class Query:
    columns: list[dict]  # all columns of the table (DataTable.columns)
    fields: list[dict] = field(default_factory=list)  # what to answer; empty: all
    conditions: list[Condition] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    sort: list[tuple[dict, bool]] = field(default_factory=list)  # (column, descending)
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    after: list | None = None  # the cursor: the sort values and _id of the last row seen
    group_by: list[dict] = field(default_factory=list)
    aggregates: list[Aggregate] = field(default_factory=list)
    group_sort: list[tuple[str, bool]] = field(default_factory=list)  # (group column id or aggregate label, desc)

    def column(self, name: str, parameter: str) -> dict:
        if name == "_id":
            return ROW_ID
        for column in self.columns:
            if column["id"] == name:
                return column
        raise QueryError(_("Die Tabelle hat keine Spalte „%(name)s“.") % {"name": name[:100]}, parameter)

    @property
    def answer_columns(self) -> list[dict]:
        return self.fields or [ROW_ID, *self.columns]


# ---------------------------------------------------------------------------
# Values


def parse_value(column: dict, value, parameter: str):
    """A filter or cursor value as the column's type (text as the API gives it, or a JSON
    number, boolean or null)."""
    if value is None:
        return None
    kind = column["type"]
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise QueryError(_("Ein Wert darf höchstens %(n)s Zeichen lang sein.") % {"n": MAX_TEXT}, parameter)
    try:
        if kind == "integer":
            if isinstance(value, bool):
                raise ValueError
            return int(text)
        if kind == "number":
            number = Decimal(text.replace(",", ".") if text.count(",") == 1 and "." not in text else text)
            if not number.is_finite():
                raise ValueError
            return number
        if kind == "date":
            return _date(text)
        if kind == "datetime":
            return datetime.fromisoformat(text)
        if kind == "boolean":
            lowered = text.lower()
            if lowered in ("true", "ja", "1", "wahr"):
                return True
            if lowered in ("false", "nein", "0", "falsch"):
                return False
            raise ValueError
    except (ValueError, InvalidOperation, OverflowError):
        raise QueryError(
            _("Der Wert „%(value)s“ passt nicht zur Spalte „%(column)s“ (%(type)s).")
            % {"value": text[:50], "column": column["id"][:100], "type": type_label(kind)},
            parameter,
        ) from None
    return text


def _date(text: str) -> date:
    match = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
    if match:
        return date(int(match[3]), int(match[2]), int(match[1]))
    return date.fromisoformat(text)


def type_label(kind: str) -> str:
    from .models import COLUMN_TYPES

    return str(COLUMN_TYPES.get(kind, kind))


def output_value(kind: str, value):
    """A stored value as the API gives it: numbers as JSON numbers, dates as ISO text."""
    if value is None:
        return None
    if kind == "number":
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
        return int(number) if number == number.to_integral_value() and abs(number) < 2**53 else float(number)
    if kind == "integer":
        return int(value)
    if kind == "boolean":
        return bool(value)
    if kind in ("date", "datetime"):
        return value.isoformat() if isinstance(value, date | datetime) else str(value)
    return value


# ---------------------------------------------------------------------------
# Building a query from parameters


def words_of(text: str, parameter: str = "q") -> list[str]:
    if not isinstance(text, str):
        raise QueryError(_("Die Volltextsuche erwartet einen Text."), parameter)
    if len(text) > MAX_TEXT:
        raise QueryError(_("Die Suche darf höchstens %(n)s Zeichen lang sein.") % {"n": MAX_TEXT}, parameter)
    words = WORD.findall(text.lower())
    if len(words) > MAX_WORDS:
        raise QueryError(_("Die Suche darf höchstens %(n)s Wörter enthalten.") % {"n": MAX_WORDS}, parameter)
    return words


def add_condition(query: Query, name: str, operator: str, values: list, parameter: str) -> None:
    if len(query.conditions) >= MAX_FILTERS:
        raise QueryError(_("Höchstens %(n)s Filter je Abfrage.") % {"n": MAX_FILTERS}, parameter)
    if operator not in OPERATORS:
        raise QueryError(_("Unbekannter Vergleich „%(op)s“ (erlaubt: gte, lte, gt, lt).") % {"op": operator[:20]},
                         parameter)  # fmt: skip
    if not values or len(values) > MAX_VALUES:
        raise QueryError(_("Ein Filter braucht 1 bis %(n)s Werte.") % {"n": MAX_VALUES}, parameter)
    column = query.column(name, parameter)
    if operator and len(values) != 1:
        raise QueryError(_("Ein Bereichsfilter hat genau einen Wert."), parameter)
    parsed = [parse_value(column, value, parameter) for value in values]
    if operator and parsed[0] is None:
        raise QueryError(_("Ein Bereichsfilter braucht einen Wert."), parameter)
    query.conditions.append(Condition(column, operator, parsed))


def set_sort(query: Query, text: str, parameter: str = "sort") -> None:
    """`text`: "Spalte", "-Spalte" or CKAN's "Spalte desc", several separated by commas."""
    keys = [key.strip() for key in str(text).split(",") if key.strip()]
    if len(keys) > MAX_SORT:
        raise QueryError(_("Höchstens %(n)s Sortierschlüssel.") % {"n": MAX_SORT}, parameter)
    for key in keys:
        descending = False
        if key.startswith("-"):
            key, descending = key[1:], True
        else:
            match = re.fullmatch(r'"?(.+?)"?\s+(asc|desc)', key, flags=re.IGNORECASE)
            if match:
                key, descending = match[1], match[2].lower() == "desc"
        key = key.strip().strip('"')
        if query.group_by or query.aggregates:
            labels = [column["id"] for column in query.group_by] + [aggregate.label for aggregate in query.aggregates]
            if key not in labels:
                raise QueryError(_("Sortiert werden kann nur nach den Gruppen und Kennzahlen."), parameter)
            query.group_sort.append((key, descending))
        else:
            query.sort.append((query.column(key, parameter), descending))


def set_fields(query: Query, names: list[str], parameter: str = "fields") -> None:
    seen = []
    for name in names:
        column = query.column(name.strip(), parameter)
        if column not in seen:
            seen.append(column)
    query.fields = seen


def set_limit(query: Query, limit, offset=0) -> None:
    maximum = settings.DATASTORE_MAX_ROWS
    try:
        limit, offset = int(limit), int(offset)
    except (TypeError, ValueError):
        raise QueryError(_("limit und offset müssen ganze Zahlen sein."), "limit") from None
    if not 0 <= limit <= maximum:
        raise QueryError(_("limit muss zwischen 0 und %(max)s liegen.") % {"max": maximum}, "limit")
    if not 0 <= offset <= 10_000_000:
        raise QueryError(_("offset muss zwischen 0 und 10.000.000 liegen."), "offset")
    query.limit, query.offset = limit, offset


def set_groups(query: Query, group_by: list[str], aggregates: list[str]) -> None:
    if len(group_by) > MAX_GROUP:
        raise QueryError(_("Höchstens %(n)s Gruppenspalten.") % {"n": MAX_GROUP}, "group_by")
    if len(aggregates) > MAX_AGGREGATES:
        raise QueryError(_("Höchstens %(n)s Kennzahlen.") % {"n": MAX_AGGREGATES}, "agg")
    query.group_by = [query.column(name.strip(), "group_by") for name in group_by if name.strip()]
    for text in aggregates or ["count"]:
        function, _sep, name = str(text).partition(":")
        function = function.strip().lower()
        if function not in AGGREGATES:
            raise QueryError(
                _("Unbekannte Kennzahl „%(f)s“ (erlaubt: count, sum, avg, min, max).") % {"f": function[:20]}, "agg"
            )
        column = query.column(name.strip(), "agg") if name.strip() else None
        if column is None and function != "count":
            raise QueryError(_("%(f)s braucht eine Spalte, z. B. %(f)s:Anzahl.") % {"f": function}, "agg")
        if function in ("sum", "avg") and column["type"] not in NUMERIC:
            raise QueryError(_("%(f)s geht nur über Zahlenspalten.") % {"f": function}, "agg")
        query.aggregates.append(Aggregate(function, column))


def cursor_token(query: Query, row: dict) -> str:
    """The cursor that continues after `row` (a stored row by physical column)."""
    values = [_jsonable(row[column["column"]]) for column, _descending in query.sort] + [row["_id"]]
    keys = [[column["id"], descending] for column, descending in query.sort]
    return signing.dumps({"sort": keys, "after": values}, salt=CURSOR_SALT, compress=True)


def set_cursor(query: Query, token: str) -> None:
    try:
        data = signing.loads(token, salt=CURSOR_SALT)
    except signing.BadSignature:
        raise QueryError(_("Der Cursor ist ungültig. Bitte beginnen Sie mit der ersten Seite."), "cursor") from None
    keys = [[column["id"], descending] for column, descending in query.sort]
    if data.get("sort") != keys:
        raise QueryError(_("Der Cursor gehört zu einer anderen Sortierung."), "cursor")
    values = data["after"]
    query.after = [
        parse_value(column, value, "cursor") for (column, _d), value in zip(query.sort, values[:-1], strict=False)
    ]
    query.after.append(int(values[-1]))


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


# ---------------------------------------------------------------------------
# SQL


def _where(query: Query, *, with_cursor: bool) -> tuple[str, list]:
    parts, params = [], []
    for condition in query.conditions:
        name = condition.column["column"]
        if condition.operator:
            parts.append(f"{name} {OPERATORS[condition.operator]} %s")
            params.append(_sql_value(condition.values[0]))
            continue
        values = [value for value in condition.values if value is not None]
        alternatives = []
        if values:
            alternatives.append(f"{name} IN ({', '.join(['%s'] * len(values))})")
            params += [_sql_value(value) for value in values]
        if len(values) != len(condition.values):
            alternatives.append(f"{name} IS NULL")
        parts.append("(" + " OR ".join(alternatives) + ")")
    if query.words:
        texts = [column["column"] for column in query.columns if column["type"] == "string"]
        if not texts:
            parts.append("1 = 0")
        elif engine.postgres():
            # The expression of the table's GIN index (engine.full_text), written the same way.
            parts.append(f"{engine.full_text(query.columns)} @@ to_tsquery('simple'::regconfig, %s)")
            params.append(" & ".join(f"{word}:*" for word in query.words))
        else:
            document = " || ' ' || ".join(f"coalesce({text}, '')" for text in texts)
            for word in query.words:
                parts.append(f"lower({document}) LIKE %s")
                params.append(f"%{word}%")
    if with_cursor and query.after is not None:
        sql, values = _after(query)
        parts.append(sql)
        params += values
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


def _after(query: Query) -> tuple[str, list]:
    """Rows after the cursor in the order of the sort keys (nulls last), then _id."""
    keys = [(column["column"], descending) for column, descending in query.sort] + [("_id", False)]
    alternatives, params = [], []
    for index, (name, descending) in enumerate(keys):
        value = query.after[index]
        if value is None:
            continue  # nothing sorts after a null but other nulls, which the next keys order
        parts = []
        for position, (previous, _descending) in enumerate(keys[:index]):
            prior = query.after[position]
            if prior is None:
                parts.append(f"{previous} IS NULL")
            else:
                parts.append(f"{previous} = %s")
                params.append(_sql_value(prior))
        comparison = "<" if descending else ">"
        if name == "_id":
            parts.append(f"_id {comparison} %s")
        else:
            parts.append(f"({name} {comparison} %s OR {name} IS NULL)")
        params.append(_sql_value(value))
        alternatives.append("(" + " AND ".join(parts) + ")")
    return "(" + (" OR ".join(alternatives) or "1 = 0") + ")", params


def _sql_value(value):
    if not engine.postgres():
        if isinstance(value, date | datetime):
            return value.isoformat()
        if isinstance(value, Decimal):
            return float(value)
    return value


def rows_sql(query: Query, table: str) -> tuple[str, list]:
    names = ", ".join(dict.fromkeys(["_id", *(column["column"] for column in query.answer_columns),
                                     *(column["column"] for column, _d in query.sort)]))  # fmt: skip
    where, params = _where(query, with_cursor=True)
    order = [_order(column, descending) for column, descending in query.sort]
    order.append("_id ASC")
    # Names from the column list only, values as parameters (the module's rule).
    sql = f"SELECT {names} FROM {engine.qualified(table)}{where} ORDER BY {', '.join(order)} LIMIT %s OFFSET %s"  # noqa: S608
    return sql, [*params, query.limit, query.offset]


def _order(column: dict, descending: bool) -> str:
    """Nulls last in both directions. A column the load found without nulls ("nulls":
    False) sorts descending without the NULLS LAST, the same rows in the same order, so
    that its B-tree index (ascending, nulls last) read backwards serves the sort: the
    first page of "-Betrag" filtered by a district reads some thousand index entries
    instead of every row of the district."""
    if descending:
        return f"{column['column']} DESC" if column.get("nulls") is False else f"{column['column']} DESC NULLS LAST"
    return f"{column['column']} ASC NULLS LAST"


def count_sql(query: Query, table: str) -> tuple[str, list]:
    where, params = _where(query, with_cursor=False)
    return f"SELECT count(*) FROM {engine.qualified(table)}{where}", params  # noqa: S608 - as rows_sql


def groups_sql(query: Query, table: str) -> tuple[str, list]:
    groups = [column["column"] for column in query.group_by]
    measures = []
    for aggregate in query.aggregates:
        target = aggregate.column["column"] if aggregate.column else "*"
        measures.append(f"{aggregate.function}({target})")
    where, params = _where(query, with_cursor=False)
    sql = f"SELECT {', '.join([*groups, *measures])} FROM {engine.qualified(table)}{where}"  # noqa: S608 - as rows_sql
    if groups:
        sql += f" GROUP BY {', '.join(groups)}"
    labels = [column["id"] for column in query.group_by] + [aggregate.label for aggregate in query.aggregates]
    expressions = groups + measures
    order = [f"{expressions[labels.index(key)]} {'DESC' if descending else 'ASC'} NULLS LAST"
             for key, descending in query.group_sort]  # fmt: skip
    order += [f"{group} ASC NULLS LAST" for group in groups]
    if order:
        sql += f" ORDER BY {', '.join(order)}"
    sql += " LIMIT %s"
    return sql, [*params, query.limit + 1]


def json_filters(text) -> dict:
    """CKAN's `filters`: a JSON object (or already a dict) of column → value or values."""
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        raise QueryError(_("filters muss ein JSON-Objekt sein."), "filters") from None
    if not isinstance(value, dict):
        raise QueryError(_("filters muss ein JSON-Objekt sein."), "filters")
    return value


# ---------------------------------------------------------------------------
# Running


@dataclass
class Result:
    fields: list[dict]  # the answer's columns (DataTable.columns entries)
    records: list[dict]  # {column id: value as the API gives it}
    total: int | None = None
    next_cursor: str | None = None
    truncated: bool = False  # more groups than the limit


def run_rows(table_name: str, query: Query, *, total: bool = False) -> Result:
    statements = [rows_sql(query, table_name)]
    if total:
        statements.append(count_sql(query, table_name))
    answers = engine.read_all(statements)
    names, rows = answers[0]
    answer = query.answer_columns
    records, last = [], None
    for row in rows:
        stored = dict(zip(names, row, strict=True))
        records.append({column["id"]: output_value(column["type"], stored[column["column"]]) for column in answer})
        last = stored
    next_cursor = cursor_token(query, last) if last is not None and len(rows) == query.limit else None
    count = answers[1][1][0][0] if total else None
    return Result(answer, records, count, next_cursor)


def run_groups(table_name: str, query: Query) -> Result:
    sql, params = groups_sql(query, table_name)
    _names, rows = engine.read(sql, params)
    fields = [*query.group_by]
    for aggregate in query.aggregates:
        kind = "integer" if aggregate.function == "count" else (
            "number" if aggregate.function in ("sum", "avg") else aggregate.column["type"]
        )  # fmt: skip
        fields.append({"id": aggregate.label, "column": "", "type": kind})
    truncated = len(rows) > query.limit
    records = [
        {field["id"]: output_value(field["type"], value) for field, value in zip(fields, row, strict=True)}
        for row in rows[: query.limit]
    ]
    return Result(fields, records, truncated=truncated)
