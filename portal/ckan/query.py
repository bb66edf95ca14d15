"""The subset of Solr's query syntax that harvesters send in package_search's `q`
and `fq`: parsed here into a tree, and the tree compiled into a Q over the published
datasets; never passed on.

Field queries (`organization:`, `tags:`, `groups:`, `res_format:`, `license_id:`,
`name:`, `id:`, `title:`, `metadata_modified:[X TO *]` …), quoted values, `*`
wildcards, `-`/`NOT` negation, `AND`, `OR` and parentheses; free words search the
portal's full-text index. Whitespace between clauses means AND and binds loosest, so
the form ckanext-harvest sends, `organization:a OR organization:b
metadata_modified:[X TO *]`, means "(a or b) and modified since X". Anything that does
not parse, and fields this portal does not know, raise SearchQueryError (HTTP 400),
never a server error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from catalog.models import Dataset, Distribution
from catalog.vocabularies import LICENCE_BASE, LICENCES_BY_CODE, DataTheme

from .errors import SearchQueryError
from .params import key_or_none, uuid_or_none

MAX_QUERY_LENGTH = 4000
MAX_QUERY_DEPTH = 20
MAX_QUERY_CLAUSES = 200


# ---------------------------------------------------------------------------
# Solr dates: ISO 8601 and date math


DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?"
)
DATE_MATH = re.compile(r"([+-])(\d{1,9})([A-Z]+)|/([A-Z]+)")
UNITS = {
    "YEAR": "year", "YEARS": "year", "MONTH": "month", "MONTHS": "month", "DAY": "day", "DAYS": "day",
    "DATE": "day", "HOUR": "hour", "HOURS": "hour", "MINUTE": "minute", "MINUTES": "minute",
    "SECOND": "second", "SECONDS": "second", "MILLI": "milli", "MILLIS": "milli",
    "MILLISECOND": "milli", "MILLISECONDS": "milli",
}  # fmt: skip


def _add(moment: datetime, amount: int, unit: str) -> datetime:
    if unit in ("year", "month"):
        months = moment.year * 12 + moment.month - 1 + (amount * 12 if unit == "year" else amount)
        year, month = divmod(months, 12)
        month += 1
        # The last day of the target month caps the day (31 January + 1 month = 28/29 February).
        last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
        return moment.replace(year=year, month=month, day=min(moment.day, last))
    seconds = {"day": 86400, "hour": 3600, "minute": 60, "second": 1, "milli": 0.001}[unit]
    return moment + timedelta(seconds=amount * seconds)


def _round(moment: datetime, unit: str) -> datetime:
    fields = ["year", "month", "day", "hour", "minute", "second", "milli"]
    keep = fields.index(unit)
    moment = moment.replace(microsecond=(moment.microsecond // 1000) * 1000 if unit == "milli" else 0)
    defaults = {"month": 1, "day": 1, "hour": 0, "minute": 0, "second": 0}
    return moment.replace(**{name: value for name, value in defaults.items() if fields.index(name) > keep})


def parse_date(text: str, *, now: datetime | None = None) -> datetime:
    """A Solr date: ISO 8601 with or without Z, fraction and time, or NOW, either
    followed by date math (`NOW-1DAY`, `NOW/DAY`, `2024-01-01T00:00:00Z+6MONTHS`).
    Without a zone the time is UTC. Raises SearchQueryError."""
    value = text.strip().upper()
    try:
        if value.startswith("NOW"):
            moment = (now or timezone.now()).astimezone(UTC)
            rest = value[3:]
        else:
            match = DATE.match(value)
            if match is None:
                raise ValueError
            year, month, day, hour, minute, second, fraction, zone = match.groups()
            microsecond = int((fraction or "0")[:6].ljust(6, "0"))
            moment = datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), microsecond,
                tzinfo=UTC,
            )  # fmt: skip
            if zone and zone != "Z":
                sign = 1 if zone[0] == "+" else -1
                digits = zone[1:].replace(":", "")
                moment -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            rest = value[match.end() :]
        position = 0
        while position < len(rest):
            step = DATE_MATH.match(rest, position)
            if step is None:
                raise ValueError
            sign, amount, unit, rounding = step.groups()
            if rounding:
                if rounding not in UNITS:
                    raise ValueError
                moment = _round(moment, UNITS[rounding])
            else:
                if unit not in UNITS:
                    raise ValueError
                moment = _add(moment, int(amount) * (1 if sign == "+" else -1), UNITS[unit])
            position = step.end()
    except (ValueError, OverflowError) as error:
        raise SearchQueryError(f"Invalid date: {text}") from error
    return moment


# ---------------------------------------------------------------------------
# The query language: text → tree → Q


@dataclass(frozen=True)
class All:
    pass


@dataclass(frozen=True)
class Not:
    node: Any


@dataclass(frozen=True)
class And:
    nodes: tuple


@dataclass(frozen=True)
class Or:
    nodes: tuple


@dataclass(frozen=True)
class Term:
    field: str | None  # None: the full-text index
    value: str
    phrase: bool = False
    pattern: str | None = None  # a regular expression when the value has * or ? wildcards


@dataclass(frozen=True)
class Range:
    field: str
    low: str | None  # None: open (*)
    high: str | None
    include_low: bool = True
    include_high: bool = True


TERM_END = set("()") | {" ", "\t", "\r", "\n"}


class QueryParser:
    """Recursive descent over the query text.

    query    := sequence
    sequence := or_expr (whitespace or_expr)*          clauses side by side: AND
    or_expr  := and_expr (("OR" | "||") and_expr)*
    and_expr := unary (("AND" | "&&") unary)*
    unary    := ("NOT" | "!" | "-") unary | "+" unary | primary
    primary  := "(" sequence ")" | FIELD ":" value | "*:*" | term | "phrase"
    value    := "(" sequence ")" | "[" bound TO bound "]" | "phrase" | term   (any of [ ] { } may close)
    """

    def __init__(self, text: str):
        self.text = text
        self.position = 0
        self.depth = 0
        self.clauses = 0
        self.field: str | None = None  # inside `field:( … )`

    def parse(self):
        if len(self.text) > MAX_QUERY_LENGTH:
            raise SearchQueryError(f"Query longer than {MAX_QUERY_LENGTH} characters")
        node = self.sequence()
        self.whitespace()
        if not self.at_end():
            raise self.error(f"Unexpected “{self.text[self.position]}”")
        return node

    # -- helpers

    def error(self, message: str) -> SearchQueryError:
        return SearchQueryError(f"{message} at position {self.position + 1}")

    def at_end(self) -> bool:
        return self.position >= len(self.text)

    def peek(self) -> str:
        return "" if self.at_end() else self.text[self.position]

    def whitespace(self) -> None:
        while not self.at_end() and self.text[self.position].isspace():
            self.position += 1

    def keyword(self, word: str, *, consume: bool = True) -> bool:
        end = self.position + len(word)
        if self.text.startswith(word, self.position) and (end >= len(self.text) or self.text[end] in TERM_END):
            if consume:
                self.position = end
            return True
        return False

    def symbol(self, symbol: str) -> bool:
        if self.text.startswith(symbol, self.position):
            self.position += len(symbol)
            return True
        return False

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_QUERY_DEPTH:
            raise self.error("Query nested too deeply")

    # -- grammar

    def sequence(self):
        nodes = []
        while True:
            self.whitespace()
            if self.at_end() or self.peek() == ")":
                break
            nodes.append(self.or_expr())
        if not nodes:
            raise self.error("Expected a search term")
        return nodes[0] if len(nodes) == 1 else And(tuple(nodes))

    def or_expr(self):
        nodes = [self.and_expr()]
        while True:
            start = self.position
            self.whitespace()
            if self.keyword("OR") or self.symbol("||"):
                nodes.append(self.and_expr())
            else:
                self.position = start
                break
        return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))

    def and_expr(self):
        nodes = [self.unary()]
        while True:
            start = self.position
            self.whitespace()
            if self.keyword("AND") or self.symbol("&&"):
                nodes.append(self.unary())
            else:
                self.position = start
                break
        return nodes[0] if len(nodes) == 1 else And(tuple(nodes))

    def unary(self):
        self.whitespace()
        self.enter()
        try:
            if self.keyword("NOT") or self.symbol("!") or self.symbol("-"):
                return Not(self.unary())
            if self.symbol("+"):
                return self.unary()
            return self.primary()
        finally:
            self.depth -= 1

    def primary(self):
        self.whitespace()
        if self.at_end() or self.peek() == ")":
            raise self.error("Expected a search term")
        for word in ("AND", "OR"):
            if self.keyword(word, consume=False):
                raise self.error(f"“{word}” without a term before it")
        self.clauses += 1
        if self.clauses > MAX_QUERY_CLAUSES:
            raise self.error(f"More than {MAX_QUERY_CLAUSES} clauses")
        char = self.peek()
        if char == "(":
            return self.group(self.field)
        if char == '"':
            return Term(self.field, self.quoted(), phrase=True)
        if char in "[{":
            if self.field is None:
                raise self.error("A range needs a field, e.g. metadata_modified:[… TO *]")
            return self.range(self.field)
        start = self.position
        text, pattern = self.term(stop_at_colon=True)
        if self.peek() == ":" and text:
            if pattern is not None and text != "*":
                self.position = start
                raise self.error("Invalid field name")
            self.position += 1
            return self.value(text)
        if not text:
            raise self.error("Expected a search term")
        return Term(self.field, text, pattern=pattern)

    def group(self, field_name):
        self.position += 1  # (
        outer, self.field = self.field, field_name
        self.enter()
        try:
            node = self.sequence()
        finally:
            self.depth -= 1
            self.field = outer
        self.whitespace()
        if not self.symbol(")"):
            raise self.error("Missing “)”")
        return node

    def value(self, field_name: str):
        if field_name == "*":
            text, _pattern = self.term()
            if text != "*":
                raise self.error("Only *:* may use * as the field")
            return All()
        if not re.fullmatch(r"[A-Za-z_][\w.\-]*", field_name):
            raise self.error(f"Invalid field name “{field_name}”")
        if self.field is not None:
            raise self.error("A field inside a field group")
        char = self.peek()
        if char == "(":
            return self.group(field_name)
        if char == '"':
            return Term(field_name, self.quoted(), phrase=True)
        if char in "[{":
            return self.range(field_name)
        text, pattern = self.term()
        if not text:
            raise self.error(f"Missing value for “{field_name}”")
        return Term(field_name, text, pattern=pattern)

    def quoted(self) -> str:
        self.position += 1  # "
        chars = []
        while True:
            if self.at_end():
                raise self.error("Unterminated quotation mark")
            char = self.text[self.position]
            self.position += 1
            if char == "\\":
                if self.at_end():
                    raise self.error("Backslash at the end")
                chars.append(self.text[self.position])
                self.position += 1
            elif char == '"':
                break
            else:
                chars.append(char)
        self.proximity()
        return "".join(chars)

    def proximity(self) -> None:
        """Skip a boost (^2) or proximity/fuzziness (~2): relevance hints only."""
        match = re.compile(r"[\^~][\d.]*").match(self.text, self.position)
        if match:
            self.position = match.end()

    def term(self, *, stop_at_colon: bool = False, stop: str = "") -> tuple[str, str | None]:
        """A bare term up to whitespace or a parenthesis; backslash escapes. Returns the
        text and, if it has unescaped * or ? wildcards, a regular expression."""
        chars, regex, wildcard = [], [], False
        while not self.at_end():
            char = self.text[self.position]
            if char in TERM_END or char in stop or (stop_at_colon and char == ":"):
                break
            if char in "^~" and chars:
                self.proximity()
                break
            self.position += 1
            if char == "\\":
                if self.at_end():
                    raise self.error("Backslash at the end")
                char = self.text[self.position]
                self.position += 1
                chars.append(char)
                regex.append(re.escape(char))
            elif char in "*?":
                wildcard = True
                chars.append(char)
                regex.append(".*" if char == "*" else ".")
            else:
                chars.append(char)
                regex.append(re.escape(char))
        return "".join(chars), ("".join(regex) if wildcard else None)

    def range(self, field_name: str) -> Range:
        include_low = self.peek() == "["
        self.position += 1
        self.whitespace()
        low = self.bound()
        self.whitespace()
        if not self.keyword("TO"):
            raise self.error("Expected “TO” in the range")
        self.whitespace()
        high = self.bound()
        self.whitespace()
        closing = self.peek()
        if closing not in ("]", "}"):
            raise self.error("Missing “]” at the end of the range")
        self.position += 1
        return Range(field_name, low, high, include_low, closing == "]")

    def bound(self) -> str | None:
        if self.peek() == '"':
            return self.quoted()
        text, pattern = self.term(stop="]}")
        if not text:
            raise self.error("Missing range bound")
        if text == "*":
            return None
        if pattern is not None:
            raise self.error("Wildcards are not allowed in a range")
        return text


def parse_query(text: str):
    text = (text or "").strip()
    if text in ("", "*", "*:*"):
        return All()
    return QueryParser(text).parse()


# -- compiling the tree to a Q over Dataset

MATCH_ALL = Q(pk__isnull=False)
MATCH_NONE = Q(pk__in=[])
WORD = re.compile(r"\w+", re.UNICODE)


def _like(path: str, term: Term, *, anchored: bool) -> Q:
    """A string field: exact, or a regular expression for wildcards (anchored for
    string fields, anywhere for tokenised text fields)."""
    if term.pattern is None:
        return Q(**{path: term.value}) if anchored else Q(**{f"{path}__icontains": term.value})
    pattern = f"^{term.pattern}$" if anchored else term.pattern
    return Q(**{f"{path}__iregex" if not anchored else f"{path}__regex": pattern})


def _exists(model, **lookups) -> Q:
    # Only a dataset's current distributions are public (not those of a pending change).
    rows = model.objects.current() if model is Distribution else model.objects
    return Q(Exists(rows.filter(dataset_id=OuterRef("pk"), **lookups)))


def _text_search_query(term: Term):
    """The tsquery of one full-text term: the word as the portal search reads it (German
    stemming) or any word starting with it; a phrase as a phrase."""
    if term.phrase:
        return SearchQuery(term.value, search_type="phrase", config="german")
    words = WORD.findall(term.value)
    if not words:
        return None
    prefix = SearchQuery(" & ".join(f"{word}:*" for word in words), search_type="raw", config="german")
    if term.pattern is not None:
        return prefix
    return SearchQuery(term.value, search_type="plain", config="german") | prefix


def _text(term: Term, ranking: list | None) -> Q:
    if connection.vendor == "postgresql" and (term.pattern is None or term.value.endswith("*")):
        query = _text_search_query(term)
        if query is None:
            return MATCH_NONE
        if ranking is not None:
            ranking.append(query)
        return Q(search_document__vector=query)
    paths = ("search_document__title", "search_document__keywords", "search_document__description")
    if term.pattern is not None:
        return Q(*[Q(**{f"{path}__iregex": term.pattern}) for path in paths], _connector=Q.OR)
    words = [term.value] if term.phrase else WORD.findall(term.value) or [term.value]
    condition = MATCH_ALL
    for word in words:
        condition &= Q(*[Q(**{f"{path}__icontains": word}) for path in paths], _connector=Q.OR)
    return condition


def _has(field_name: str) -> Q:
    """`field:*`: datasets that have a value for the field."""
    if field_name == "tags":
        return _exists(Dataset.keywords.through)
    if field_name == "groups":
        return _exists(Dataset.themes.through)
    if field_name in ("res_format", "res_name", "res_description"):
        return _exists(Distribution)
    if field_name == "maintainer_email":
        return ~Q(contact_email="")
    return MATCH_ALL


def _owner_org(value: str) -> Q:
    """The organisation's id: its UUID, or the integer id this API gave before (issue 23),
    which filters saved with it still name."""
    identifier = uuid_or_none(value)
    if identifier is not None:
        return Q(publisher__uuid=identifier)
    key = key_or_none(value)
    return Q(publisher_id=key) if key is not None else MATCH_NONE


def _field(term: Term, ranking: list | None) -> Q:
    name, value = term.field, term.value
    if name not in FIELDS:
        raise SearchQueryError(f"Unknown field: {name}")
    if value == "*" and term.pattern is not None:
        return _has(name)
    if name == "text":
        return _text(term, ranking)
    if name == "id":
        identifier = uuid_or_none(value)
        return Q(identifier=identifier) if identifier else MATCH_NONE
    if name == "name":
        return _like("name", term, anchored=True)
    if name == "title_string":
        return _like("title", term, anchored=True)
    if name in ("title", "notes", "maintainer"):
        path = {"title": "title", "notes": "description", "maintainer": "contact_name"}[name]
        return _like(path, term, anchored=False)
    if name == "maintainer_email":
        return Q(contact_email__iexact=value) if term.pattern is None else _like("contact_email", term, anchored=True)
    if name == "tags":
        lookup = {"keyword__name": value} if term.pattern is None else {"keyword__name__regex": f"^{term.pattern}$"}
        return _exists(Dataset.keywords.through, **lookup)
    if name == "organization":
        return _like("publisher__slug", term, anchored=True)
    if name == "owner_org":
        return _owner_org(value)
    if name == "groups":
        code = value.upper()
        return _exists(Dataset.themes.through, theme__code=code) if code in DataTheme.values else MATCH_NONE
    if name == "res_format":
        # Format codes are stored in capitals (EU file types): an exact match, cheaper than iexact.
        lookup = {"format": value.upper()} if term.pattern is None else {"format__iregex": f"^{term.pattern}$"}
        return _exists(Distribution, **lookup)
    if name in ("res_name", "res_description"):
        path = "title" if name == "res_name" else "description"
        lookup = {f"{path}__icontains": value} if term.pattern is None else {f"{path}__iregex": term.pattern}
        return _exists(Distribution, **lookup)
    if name == "license_id":
        code = value[len(LICENCE_BASE) :] if value.startswith(LICENCE_BASE) else value
        return Q(licence=code) if code in LICENCES_BY_CODE else MATCH_NONE
    if name in DATE_FIELDS:
        return Q(**{DATE_FIELDS[name]: parse_date(value)})
    # Constant fields: every dataset this API shows is public, active and a dataset.
    constant = {"capacity": "public", "state": "active", "type": "dataset", "dataset_type": "dataset"}
    if name == "private":
        return MATCH_ALL if value.lower() == "false" else MATCH_NONE
    return MATCH_ALL if value == constant[name] else MATCH_NONE


DATE_FIELDS = {"metadata_modified": "modified", "metadata_created": "created"}
RANGE_FIELDS = {**DATE_FIELDS, "name": "name", "title_string": "title"}
FIELDS = {
    "id", "name", "title", "title_string", "notes", "text", "tags", "organization", "owner_org", "groups",
    "res_format", "res_name", "res_description", "license_id", "maintainer", "maintainer_email",
    "metadata_modified", "metadata_created", "capacity", "state", "type", "dataset_type", "private",
}  # fmt: skip


def _range(node: Range) -> Q:
    if node.field not in RANGE_FIELDS:
        raise SearchQueryError(
            f"Range queries work on {', '.join(sorted(RANGE_FIELDS))}, not on {node.field}"
            if node.field in FIELDS
            else f"Unknown field: {node.field}"
        )
    path = RANGE_FIELDS[node.field]
    convert = parse_date if node.field in DATE_FIELDS else str
    condition = MATCH_ALL
    if node.low is not None:
        condition &= Q(**{f"{path}__{'gte' if node.include_low else 'gt'}": convert(node.low)})
    if node.high is not None:
        condition &= Q(**{f"{path}__{'lte' if node.include_high else 'lt'}": convert(node.high)})
    return condition


def compile_query(node, ranking: list | None = None) -> Q:
    """The Q of a parsed query. Positive full-text terms are collected in `ranking` (for
    ordering by relevance); negated ones are not."""
    if isinstance(node, All):
        return MATCH_ALL
    if isinstance(node, Not):
        return ~compile_query(node.node, None)
    if isinstance(node, And | Or):
        parts = [compile_query(child, ranking) for child in node.nodes]
        return Q(*parts, _connector=Q.AND if isinstance(node, And) else Q.OR)
    if isinstance(node, Range):
        return _range(node)
    if node.field is None:
        return _text(node, ranking)
    return _field(node, ranking)
