"""The CKAN Action API (read side) over published datasets: the actions, the dictization
of datasets into CKAN 2.11 package dicts, and the subset of Solr's query syntax that
harvesters send in `q` and `fq`. `portal.ckan_views` is the HTTP side (request data,
envelope, error objects).

Every query starts from `Dataset.objects.published()`: drafts, datasets in review,
refused and withdrawn ones never appear, not in results, counts, facets, tag lists nor
in an organisation's package_count.

Mapping (GovData's conventions, ckanext-dcatde): package `id` = the dataset's UUID,
`name` = its slug; organisations = `Organisation` (id = pk as string, name = slug);
groups = the 13 EU data themes (name = lowercase code, id = a UUID derived from the
theme URI, so it is the same on every installation); tags = keywords; `license_id` =
the DCAT-AP.de licence URI; resources = distributions.

The query language (`q`, `fq`, `fq_list`) is parsed here, never passed on: field
queries (`organization:`, `tags:`, `groups:`, `res_format:`, `license_id:`, `name:`,
`id:`, `title:`, `metadata_modified:[X TO *]` …), quoted values, `*` wildcards,
`-`/`NOT` negation, `AND`, `OR` and parentheses; free words search the portal's
full-text index. Whitespace between clauses means AND and binds loosest, so the form
ckanext-harvest sends, `organization:a OR organization:b metadata_modified:[X TO *]`,
means "(a or b) and modified since X". Anything that does not parse, and fields this
portal does not know, raise SearchQueryError (HTTP 400), never a server error.
Unknown parameters are ignored.
"""

from __future__ import annotations

import inspect
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Count, Exists, F, FloatField, OuterRef, Q, Subquery
from django.db.models.functions import Cast
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Dataset, DatasetState, Distribution, DistributionKind, Keyword
from catalog.vocabularies import (
    FILE_TYPES_BY_CODE,
    HVD_LEGISLATION_URI,
    LICENCE_BASE,
    LICENCES,
    LICENCES_BY_CODE,
    DataTheme,
    Frequency,
    GeocodingLevel,
    HVDCategory,
    Language,
)
from governance.models import Organisation, OrgType

CKAN_VERSION = "2.11.0"  # the version whose API shapes these actions reproduce
DEFAULT_SORT = "score desc, metadata_modified desc"
DEFAULT_ROWS = 10
ROWS_MAX = 1000  # ckan.search.rows_max
FACET_LIMIT = 50  # search.facets.limit
GROUP_LIST_MAX = 1000  # ckan.group_and_organization_list_max
GROUP_LIST_ALL_FIELDS_MAX = 25  # ckan.group_and_organization_list_all_fields_max
TAG_SEARCH_LIMIT = 10
MAX_QUERY_LENGTH = 4000
MAX_QUERY_DEPTH = 20
MAX_QUERY_CLAUSES = 200
ACCESS_RIGHTS_PUBLIC = "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
MUNICIPALITY_KEY_BASE = "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/"


# ---------------------------------------------------------------------------
# Errors: the view turns each into CKAN's error object and HTTP status


class ActionError(Exception):
    pass


class NotFound(ActionError):
    """404 `Not Found Error`; the message follows "Not found: " if given."""

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class NotAuthorized(ActionError):
    """403 `Authorization Error`; the message follows "Access denied: " if given."""

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class ValidationError(ActionError):
    """409 `Validation Error`: field errors at the top level of the error object, as
    CKAN's `{"rows": ["Invalid integer"]}`; a plain message becomes `{"message": …}`."""

    def __init__(self, errors: dict | str):
        super().__init__(errors)
        self.errors = errors if isinstance(errors, dict) else {"message": errors}


class SearchQueryError(ActionError):
    """400 `Search Query Error`: a q, fq or sort this portal cannot run."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------------------
# Parameters


TRUE_VALUES = {"true", "yes", "on", "y", "t", "1"}
MISSING = "Missing value"


def as_bool(value, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUE_VALUES


def _integer(value) -> int | None:
    """CKAN's int_validator: None for a missing or blank value, else a whole number."""
    if value is None or isinstance(value, bool):
        return None if value is None else int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValueError
    text = str(value).strip()
    if not text:
        return None
    return int(text)


def _number(data: dict, key: str, errors: dict, *, natural: bool = True, positive: bool = False) -> int | None:
    try:
        number = _integer(data.get(key))
    except (TypeError, ValueError):
        errors[key] = ["Invalid integer"]
        return None
    if number is not None and positive and number < 1:
        errors[key] = ["Must be a positive integer"]
    elif number is not None and natural and number < 0:
        errors[key] = ["Must be a natural number"]
    return number


def _required(data: dict, key: str) -> str:
    """CKAN's get_or_bust: the error value is a string, not a list."""
    value = data.get(key)
    if value is None:
        raise ValidationError({key: MISSING})
    return str(value)


def _strings(value) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return [str(value)]


# ---------------------------------------------------------------------------
# Timestamps: naive ISO 8601 in UTC, as CKAN stores them


def iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        offset = value.utcoffset()
        if offset is not None:
            value = (value - offset).replace(tzinfo=None)
    return value.isoformat()


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
    return Q(Exists(model.objects.filter(dataset_id=OuterRef("pk"), **lookups)))


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


def _uuid_or_none(value: str):
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _field(term: Term, ranking: list | None) -> Q:
    name, value = term.field, term.value
    if name not in FIELDS:
        raise SearchQueryError(f"Unknown field: {name}")
    if value == "*" and term.pattern is not None:
        return _has(name)
    if name == "text":
        return _text(term, ranking)
    if name == "id":
        identifier = _uuid_or_none(value)
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
        return Q(publisher_id=int(value)) if value.isdigit() else MATCH_NONE
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


# ---------------------------------------------------------------------------
# Dictization: datasets → CKAN package dicts, in bulk


PACKAGE_COLUMNS = (
    "pk", "identifier", "name", "title", "description", "publisher_id", "contact_name", "contact_email",
    "licence", "attribution_text", "geocoding_level", "municipality_key", "spatial_label",
    "spatial_resolution_m", "temporal_start", "temporal_end", "update_frequency", "language", "hvd_category",
    "landing_page", "issued", "modified", "created",
)  # fmt: skip
DISTRIBUTION_COLUMNS = (
    "identifier", "dataset_id", "title", "description", "kind", "file", "access_url", "format", "media_type",
    "byte_size", "checksum_sha256", "licence", "created", "modified",
)  # fmt: skip
ORGANISATION_COLUMNS = (
    "pk",
    "slug",
    "name",
    "org_type",
    "municipality",
    "municipality_key",
    "contributor_id",
    "website",
)


def theme_id(code: str) -> str:
    """A UUID derived from the theme's EU URI: the same on every installation."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, DataTheme(code).uri))


def theme_title(code: str) -> str:
    return str(DataTheme(code).label)


def theme_code(name: str) -> str | None:
    code = name.upper()
    return code if code in DataTheme.values else None


def organisations_by_pk(pks) -> dict[int, dict]:
    """Organisation rows with `created`: the first history record (the model keeps no
    creation time of its own)."""
    history = Organisation.history.model.objects.filter(id=OuterRef("pk")).order_by("history_date")
    rows = (
        Organisation.objects.filter(pk__in=pks)
        .annotate(created=Subquery(history.values("history_date")[:1]))
        .values(*ORGANISATION_COLUMNS, "created")
    )
    return {row["pk"]: row for row in rows}


def organisation_description(row: dict) -> str:
    kind = OrgType(row["org_type"]).label if row["org_type"] in OrgType.values else row["org_type"]
    return f"{kind}, {row['municipality']}"


def organization_dict(row: dict) -> dict:
    """The `organization` of a package dict (CKAN: the organisation's table row)."""
    return {
        "id": str(row["pk"]),
        "name": row["slug"],
        "title": row["name"],
        "type": "organization",
        "description": organisation_description(row),
        "image_url": "",
        "created": iso(row["created"]),
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
    }


def package_group_dict(code: str) -> dict:
    """A theme as one of the `groups` of a package dict."""
    title = theme_title(code)
    return {
        "id": theme_id(code),
        "name": code.lower(),
        "title": title,
        "display_name": title,
        "description": "",
        "image_url": "",
        "image_display_url": "",
        "approval_status": "approved",
        "capacity": "public",
        "is_organization": False,
        "state": "active",
        "type": "group",
        "member_count": 0,  # CKAN counts the group's users here; this portal shows none
    }


def tag_dict(pk: int, name: str) -> dict:
    return {"id": str(pk), "name": name, "display_name": name, "state": "active", "vocabulary_id": None}


# Code → URI, computed once: TextChoices rebuild `.values` on every access, and a
# thousand package dicts ask many times.
FREQUENCY_URIS = {code: Frequency(code).uri for code in Frequency.values}
LANGUAGE_URIS = {code: json.dumps([Language(code).uri]) for code in Language.values}
GEOCODING_URIS = {code: GeocodingLevel(code).uri for code in GeocodingLevel.values}
HVD_URIS = {code: HVDCategory(code).uri for code in HVDCategory.values}
THEME_URIS = {code: DataTheme(code).uri for code in DataTheme.values}
HVD_LEGISLATION = json.dumps([HVD_LEGISLATION_URI])


def _extras(row: dict, organisation: dict, themes: list[str]) -> list[dict]:
    """DCAT-AP.de values under the keys GovData's ckanext-dcatde and ckanext-dcat use."""
    municipality_key = row["municipality_key"]
    values = {
        "access_rights": ACCESS_RIGHTS_PUBLIC,
        "frequency": FREQUENCY_URIS.get(row["update_frequency"], ""),
        "issued": iso(row["issued"]) or "",
        "language": LANGUAGE_URIS.get(row["language"], ""),
        "politicalGeocodingLevelURI": GEOCODING_URIS.get(row["geocoding_level"], ""),
        "politicalGeocodingURI": MUNICIPALITY_KEY_BASE + municipality_key if municipality_key else "",
        "geocodingText": row["spatial_label"],
        "spatial_resolution_in_meters": str(row["spatial_resolution_m"] or ""),
        "temporal_start": iso(row["temporal_start"]) or "",
        "temporal_end": iso(row["temporal_end"]) or "",
        "theme": json.dumps([THEME_URIS[code] for code in sorted(themes)]) if themes else "",
        "contributorID": json.dumps([organisation["contributor_id"]]) if organisation.get("contributor_id") else "",
    }
    if row["hvd_category"] in HVD_URIS:
        values["hvd_category"] = HVD_URIS[row["hvd_category"]]
        values["applicable_legislation"] = HVD_LEGISLATION
    return [{"key": key, "value": value} for key, value in sorted(values.items()) if value]


RESOURCE_TYPES = {DistributionKind.API: "api", DistributionKind.SERVICE: "api"}


class Dictizer:
    """Builds package dicts for many datasets with a fixed number of queries: keywords,
    themes, distributions and organisations each in one query, whatever the number of
    datasets. Upload URLs are absolute, on the host the client asked."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        # The download path of every upload differs only in two segments.
        marker_name, marker_id = "datensatzname", uuid.UUID(int=0)
        template = reverse("portal:download", args=[marker_name, marker_id])
        self.download = base_url + template.replace(marker_name, "{name}").replace(str(marker_id), "{identifier}")
        self.groups: dict[str, dict] = {}  # theme code → group dict, labels translated once
        self.organizations: dict[int, dict] = {}

    def group(self, code: str) -> dict:
        if code not in self.groups:
            self.groups[code] = package_group_dict(code)
        return dict(self.groups[code])

    def organization(self, row: dict) -> dict:
        if row["pk"] not in self.organizations:
            self.organizations[row["pk"]] = organization_dict(row)
        return dict(self.organizations[row["pk"]])

    def packages(self, rows: list[dict]) -> list[dict]:
        if not rows:
            return []
        pks = [row["pk"] for row in rows]
        keywords, themes, distributions = defaultdict(list), defaultdict(list), defaultdict(list)
        for dataset_id, keyword_id, name in (
            Dataset.keywords.through.objects.filter(dataset_id__in=pks)
            .order_by("keyword__name")
            .values_list("dataset_id", "keyword_id", "keyword__name")
        ):
            keywords[dataset_id].append(tag_dict(keyword_id, name))
        for dataset_id, code in Dataset.themes.through.objects.filter(dataset_id__in=pks).values_list(
            "dataset_id", "theme__code"
        ):
            themes[dataset_id].append(code)
        for distribution in (
            Distribution.objects.filter(dataset_id__in=pks)
            .order_by("dataset_id", "created", "pk")
            .values(*DISTRIBUTION_COLUMNS)
        ):
            distributions[distribution["dataset_id"]].append(distribution)
        organisations = organisations_by_pk({row["publisher_id"] for row in rows})
        return [
            self.package(row, organisations[row["publisher_id"]], keywords[row["pk"]], themes[row["pk"]],
                         distributions[row["pk"]])
            for row in rows
        ]  # fmt: skip

    def package(self, row: dict, organisation: dict, tags: list, themes: list, distributions: list) -> dict:
        licence = LICENCES_BY_CODE[row["licence"]]
        groups = sorted((self.group(code) for code in themes), key=lambda group: group["title"])
        resources = [self.resource(row, distribution, position) for position, distribution in enumerate(distributions)]
        return {
            "author": None,
            "author_email": None,
            "creator_user_id": None,  # people stay internal
            "extras": _extras(row, organisation, themes),
            "groups": groups,
            "id": str(row["identifier"]),
            "isopen": licence.is_open,
            "license_id": licence.uri,
            "license_title": licence.label,
            "license_url": licence.uri,
            "maintainer": row["contact_name"],
            "maintainer_email": row["contact_email"],
            "metadata_created": iso(row["created"]),
            "metadata_modified": iso(row["modified"]),
            "name": row["name"],
            "notes": row["description"],
            "num_resources": len(resources),
            "num_tags": len(tags),
            "organization": self.organization(organisation),
            "owner_org": str(organisation["pk"]),
            "private": False,
            "relationships_as_object": [],
            "relationships_as_subject": [],
            "resources": resources,
            "state": "active",
            "tags": tags,
            "title": row["title"],
            "type": "dataset",
            "url": row["landing_page"],
            "version": None,
        }

    def resource(self, row: dict, distribution: dict, position: int) -> dict:
        upload = bool(distribution["file"])
        file_type = FILE_TYPES_BY_CODE.get(distribution["format"])
        if upload:
            url = self.download.format(name=row["name"], identifier=distribution["identifier"])
            resource_type = "file.upload"
        else:
            url = distribution["access_url"]
            resource_type = RESOURCE_TYPES.get(distribution["kind"], "file")
        resource = {
            "id": str(distribution["identifier"]),
            "package_id": str(row["identifier"]),
            "url": url,
            "name": distribution["title"],
            "description": distribution["description"],
            "format": distribution["format"],
            "mimetype": distribution["media_type"] or (file_type.media_type if file_type else None),
            "mimetype_inner": None,
            "size": distribution["byte_size"],
            "hash": distribution["checksum_sha256"],
            "position": position,
            "resource_type": resource_type,
            "url_type": "upload" if upload else None,
            "last_modified": iso(distribution["modified"]),
            "created": iso(distribution["created"]),
            "metadata_modified": iso(distribution["modified"]),
            "cache_url": None,
            "cache_last_updated": None,
            "state": "active",
            "datastore_active": False,
            # GovData keeps the licence on the resource, as a DCAT-AP.de URI.
            "license": LICENCE_BASE + (distribution["licence"] or row["licence"]),
        }
        if row["attribution_text"]:
            resource["licenseAttributionByText"] = row["attribution_text"]
        return resource


# ---------------------------------------------------------------------------
# Search


@dataclass
class SearchParams:
    q: str = ""
    fq: list[str] = field(default_factory=list)
    rows: int = DEFAULT_ROWS
    start: int = 0
    sort: str = DEFAULT_SORT
    facet: bool = True
    facet_fields: list[str] = field(default_factory=list)
    facet_limit: int = FACET_LIMIT
    facet_mincount: int = 1

    @classmethod
    def from_data(cls, data: dict) -> SearchParams:
        """Validated like CKAN's default_package_search_schema: every invalid parameter
        is reported at once, each with a list of messages."""
        errors: dict[str, list[str]] = {}
        rows = _number(data, "rows", errors)
        start = _number(data, "start", errors)
        facet_mincount = _number(data, "facet.mincount", errors)
        facet_limit = _number(data, "facet.limit", errors, natural=False)
        facet_fields = data.get("facet.field")
        if isinstance(facet_fields, str):
            try:
                facet_fields = json.loads(facet_fields)
            except ValueError:
                errors["facet.field"] = ["Could not parse as valid JSON"]
        if facet_fields is not None and "facet.field" not in errors:
            if not isinstance(facet_fields, list):
                errors["facet.field"] = ["Not a list"]
            elif not all(isinstance(item, str) for item in facet_fields):
                errors["facet.field"] = [f"Not a string: {next(i for i in facet_fields if not isinstance(i, str))}"]
        if errors:
            raise ValidationError(errors)
        sort = data.get("sort")
        return cls(
            q=" ".join(_strings(data.get("q"))),
            fq=_strings(data.get("fq")) + _strings(data.get("fq_list")),
            rows=min(DEFAULT_ROWS if rows is None else rows, ROWS_MAX),
            start=start or 0,
            sort=DEFAULT_SORT if sort in (None, "", "rank") else str(sort),
            facet=str(data.get("facet", "true")).lower() != "false",
            facet_fields=facet_fields or [],
            facet_limit=FACET_LIMIT if facet_limit is None else facet_limit,
            facet_mincount=max(facet_mincount or 1, 1),
        )


SORT_FIELDS = {
    "score": None,
    "metadata_modified": "modified",
    "metadata_created": "created",
    "id": "identifier",
    "name": "name",
    "title_string": "title",
    "title": "title",
}
UNIQUE_SORT_FIELDS = {"identifier", "name"}


def ordering(sort: str, *, ranked: bool) -> list[str]:
    """Solr's sort spec as order_by() terms, always ending on a unique column so that
    consecutive pages never repeat or skip a dataset."""
    terms = []
    for part in sort.split(","):
        bits = part.split()
        if len(bits) != 2 or bits[0] not in SORT_FIELDS or bits[1].lower() not in ("asc", "desc"):
            raise SearchQueryError('Invalid "sort" parameter')
        column = "rank" if bits[0] == "score" else SORT_FIELDS[bits[0]]
        if column == "rank" and not ranked:
            continue  # every score is the same without words to rank by
        terms.append(("-" if bits[1].lower() == "desc" else "") + column)
    if not UNIQUE_SORT_FIELDS & {term.lstrip("-") for term in terms}:
        terms.append("pk")
    return terms


FACET_FIELDS = ("organization", "groups", "tags", "res_format", "license_id")


def _facet_rows(queryset, field_name: str):
    """(value, label, count) rows of one facet field over the matching datasets; the
    link tables are counted directly, so no dataset is counted twice for a value."""
    ids = queryset.order_by().values("pk")
    if field_name == "organization":
        return "publisher__slug", queryset.order_by().values("publisher__slug", "publisher__name").annotate(
            n=Count("pk")
        )
    if field_name == "license_id":
        return "licence", queryset.order_by().values("licence").annotate(n=Count("pk"))
    if field_name == "groups":
        links = Dataset.themes.through.objects.filter(dataset_id__in=ids)
        return "theme__code", links.values("theme__code").annotate(n=Count("dataset_id"))
    if field_name == "tags":
        links = Dataset.keywords.through.objects.filter(dataset_id__in=ids)
        return "keyword__name", links.values("keyword__name").annotate(n=Count("dataset_id"))
    distributions = Distribution.objects.filter(dataset_id__in=ids)
    return "format", distributions.values("format").annotate(n=Count("dataset_id", distinct=True))


def facet_counts(queryset, params: SearchParams) -> dict[str, list[tuple[str, str, int]]]:
    """(name, display name, count) per requested field, most frequent first, as Solr's
    facet.sort=count; one grouped query per field. A field this portal does not facet
    on has no values."""
    facets = {}
    if not params.facet:
        return facets
    for field_name in dict.fromkeys(params.facet_fields):
        facets[field_name] = []
        if field_name not in FACET_FIELDS or params.facet_limit == 0:
            continue
        path, rows = _facet_rows(queryset, field_name)
        rows = rows.filter(n__gte=params.facet_mincount).order_by("-n", path)
        if params.facet_limit > 0:
            rows = rows[: params.facet_limit]
        for row in rows:
            value = row[path]
            if field_name == "groups":
                name, display = value.lower(), theme_title(value)
            elif field_name == "license_id":
                licence = LICENCES_BY_CODE.get(value)
                name, display = LICENCE_BASE + value, licence.label if licence else value
            else:
                name, display = value, row.get("publisher__name") or value
            facets[field_name].append((name, display, row["n"]))
    return facets


def search(params: SearchParams, base_url: str, *, scope: Q | None = None) -> dict:
    """package_search over the published datasets: count, one page of full package
    dicts, facets. Queries: the count, one per facet field, and (if the page is not
    empty) the page, its keywords, themes, distributions and organisations – the same
    for 5 rows as for 1,000, at start 0 as at start 50,000."""
    ranking: list = []
    queryset = Dataset.objects.published()
    if scope is not None:
        queryset = queryset.filter(scope)
    # Filters (fq, fq_list) do not rank; `*:*` adds no condition at all.
    for query, collect in [(params.q, ranking), *[(fq, None) for fq in params.fq]]:
        node = parse_query(query)
        if not isinstance(node, All):
            queryset = queryset.filter(compile_query(node, collect))
    ranked = bool(ranking) and connection.vendor == "postgresql"
    order = ordering(params.sort, ranked=ranked)

    count = queryset.count()
    facets = facet_counts(queryset, params)
    results = []
    if params.rows and params.start < count:
        page = queryset
        if "rank" in {term.lstrip("-") for term in order}:
            text = ranking[0]
            for query in ranking[1:]:
                text &= query
            # double precision keeps equal ranks equal across pages
            page = page.annotate(rank=Cast(SearchRank(F("search_document__vector"), text), FloatField()))
        rows = list(page.order_by(*order).values(*PACKAGE_COLUMNS)[params.start : params.start + params.rows])
        results = Dictizer(base_url).packages(rows)
    return {
        "count": count,
        "facets": {name: {value: n for value, _display, n in values} for name, values in facets.items()},
        "results": results,
        "sort": params.sort,
        "search_facets": {
            name: {
                "title": name,
                # CKAN sorts the items by display name, descending (stable for equal names).
                "items": sorted(
                    ({"name": value, "display_name": display, "count": n} for value, display, n in values),
                    key=lambda item: item["display_name"],
                    reverse=True,
                ),
            }
            for name, values in facets.items()
        },
    }


# ---------------------------------------------------------------------------
# The actions


@dataclass(frozen=True)
class Site:
    """What an action needs to know about the request: the absolute base URL."""

    base_url: str  # e.g. "https://daten.example.de", no trailing slash


ACTIONS: dict[str, Callable[[dict, Site], Any]] = {}
# Actions a GET may call; others need POST (CKAN's side_effect_free).
SIDE_EFFECT_FREE: set[str] = set()


def action(function=None, *, side_effect_free: bool = True):
    def register(function):
        ACTIONS[function.__name__] = function
        if side_effect_free:
            SIDE_EFFECT_FREE.add(function.__name__)
        return function

    return register(function) if function else register


def _published_by_name_or_id(value: str):
    identifier = _uuid_or_none(value)
    lookup = Q(identifier=identifier) if identifier else Q(name=value)
    return Dataset.objects.published().filter(lookup)


@action
def package_search(data: dict, site: Site) -> dict:
    """Search the published datasets.

    :param q: the query; free words search title, keywords and description; field
        queries as Solr: ``name:``, ``id:``, ``title:``, ``tags:``, ``organization:``,
        ``groups:``, ``res_format:``, ``license_id:``, ``metadata_modified:[X TO *]``,
        ``-field:value``, ``AND``, ``OR``, quotes and parentheses (default ``*:*``)
    :type q: string
    :param fq: a filter query in the same syntax
    :type fq: string
    :param fq_list: more filter queries, all of which must match
    :type fq_list: list of strings
    :param sort: ``score desc, metadata_modified desc`` (default),
        ``metadata_modified desc|asc``, ``metadata_created``, ``id``, ``name``,
        ``title_string``, comma-separated with ``asc`` or ``desc``
    :type sort: string
    :param rows: the number of datasets to return (default 10, at most 1000)
    :type rows: int
    :param start: the offset of the first dataset to return
    :type start: int
    :param facet.field: the fields to count, a JSON list such as
        ``["organization", "groups", "tags", "res_format", "license_id"]``
        (default: none)
    :type facet.field: list of strings
    :param facet.limit: values per facet field (default 50, -1 for all)
    :type facet.limit: int
    :param facet.mincount: the smallest count a facet value needs (default 1)
    :type facet.mincount: int
    :param include_private: accepted; this portal has only public datasets
    :param include_drafts: accepted; drafts are never shown

    :returns: ``count``, ``results`` (package dicts, as package_show), ``facets``
        (deprecated), ``search_facets`` and ``sort``
    :rtype: dictionary
    """
    return search(SearchParams.from_data(data), site.base_url)


@action
def package_show(data: dict, site: Site) -> dict:
    """Return a published dataset (package) with its resources.

    :param id: the id or name of the dataset
    :type id: string

    :rtype: dictionary
    """
    name_or_id = data.get("id") or _required(data, "name_or_id")
    rows = list(_published_by_name_or_id(str(name_or_id)).values(*PACKAGE_COLUMNS)[:1])
    if not rows:
        raise NotFound
    return Dictizer(site.base_url).packages(rows)[0]


@action
def resource_show(data: dict, site: Site) -> dict:
    """Return a resource (distribution) of a published dataset.

    :param id: the id of the resource
    :type id: string

    :rtype: dictionary
    """
    identifier = _uuid_or_none(_required(data, "id"))
    dataset_ids = Distribution.objects.filter(identifier=identifier).values("dataset_id") if identifier else []
    rows = list(Dataset.objects.published().filter(pk__in=dataset_ids).values(*PACKAGE_COLUMNS)[:1])
    if not rows:
        raise NotFound
    package = Dictizer(site.base_url).packages(rows)[0]
    return next(resource for resource in package["resources"] if resource["id"] == str(identifier))


@action
def package_list(data: dict, site: Site) -> list[str]:
    """Return the names of the published datasets, sorted.

    :param limit: the number of names per page (optional)
    :type limit: int
    :param offset: where the page starts (optional)
    :type offset: int

    :rtype: list of strings
    """
    errors: dict = {}
    limit, offset = _number(data, "limit", errors), _number(data, "offset", errors)
    if errors:
        raise ValidationError(errors)
    names = Dataset.objects.published().order_by("name").values_list("name", flat=True)
    offset = offset or 0
    return list(names[offset : offset + limit] if limit else names[offset:])


@action
def current_package_list_with_resources(data: dict, site: Site) -> list[dict]:
    """Return published datasets with their resources, most recently modified first.

    :param limit: the number of datasets per page (default 10, at most 1000)
    :type limit: int
    :param offset: where the page starts (optional)
    :type offset: int
    :param page: deprecated, use offset
    :type page: int

    :rtype: list of dictionaries
    """
    errors: dict = {}
    limit, offset = _number(data, "limit", errors), _number(data, "offset", errors)
    page = _number(data, "page", errors, positive=True)
    if errors:
        raise ValidationError(errors)
    if offset is None:
        offset = (page - 1) * limit if page and limit else 0
    params = SearchParams(rows=min(DEFAULT_ROWS if limit is None else limit, ROWS_MAX), start=offset)
    return search(params, site.base_url)["results"]


# -- organisations and groups


def _list_params(data: dict, *, all_fields: bool) -> tuple[int, int, str, str]:
    errors: dict = {}
    limit, offset = _number(data, "limit", errors), _number(data, "offset", errors)
    if errors:
        raise ValidationError(errors)
    maximum = GROUP_LIST_ALL_FIELDS_MAX if all_fields else GROUP_LIST_MAX
    limit = maximum if limit is None or limit > maximum else limit
    sort = str(data.get("sort") or data.get("order_by") or "title").strip()
    if sort in ("packages", "package_count"):
        sort = "package_count desc"
    bits = sort.split(",")
    if len(bits) > 1:
        raise ValidationError("Too many sort criteria provided only 1 allowed")
    parts = bits[0].split()
    column, direction = parts[0], (parts[1].lower() if len(parts) > 1 else "asc")
    if column not in ("name", "title", "packages", "package_count"):
        raise ValidationError(f"Cannot sort by field `{column}`")
    if direction not in ("asc", "desc"):
        raise ValidationError(f"Invalid sort direction `{direction}`")
    return limit, offset or 0, "package_count" if column == "packages" else column, direction


def _published_counts_by_publisher(pks) -> dict[int, int]:
    rows = (
        Dataset.objects.published()
        .filter(publisher_id__in=pks)
        .order_by()
        .values_list("publisher_id")
        .annotate(n=Count("pk"))
    )
    return dict(rows)


def organization_show_dict(row: dict, data: dict, site: Site, *, list_defaults: bool = False) -> dict:
    """organization_show's dict; organization_list(all_fields=True) leaves out extras,
    tags, groups and users unless asked, as CKAN does."""

    def included(key):
        return as_bool(data.get(key), default=not list_defaults)

    result = {
        **organization_dict(row),
        "display_name": row["name"],
        "image_display_url": "",
        "num_followers": 0,
    }
    if as_bool(data.get("include_datasets")):
        scope = Q(publisher_id=row["pk"])
        found = search(SearchParams(rows=ROWS_MAX, facet=False), site.base_url, scope=scope)
        result["packages"] = found["results"]
        result["package_count"] = found["count"]
    elif as_bool(data.get("include_dataset_count"), default=True):
        result["package_count"] = row["package_count"]
    if included("include_extras"):
        extras = {
            "contributorID": json.dumps([row["contributor_id"]]) if row["contributor_id"] else "",
            "municipality": row["municipality"],
            "politicalGeocodingURI": MUNICIPALITY_KEY_BASE + row["municipality_key"] if row["municipality_key"] else "",
            "url": row["website"],
        }
        result["extras"] = [{"key": key, "value": value} for key, value in sorted(extras.items()) if value]
    for key in ("tags", "groups", "users"):  # people and hierarchy stay internal
        if included(f"include_{key}"):
            result[key] = []
    if as_bool(data.get("include_member_count")):
        result["member_count"] = 0
    return result


@action
def organization_list(data: dict, site: Site) -> list:
    """Return the names of the organisations of the Stadtverbund (all of them;
    ``package_count`` counts published datasets only).

    :param sort: ``title`` (default), ``name`` or ``package_count``, with ``asc`` or
        ``desc``
    :type sort: string
    :param limit: at most 1000 names, or 25 organisations with ``all_fields``
    :type limit: int
    :param offset: where the page starts
    :type offset: int
    :param organizations: only these names
    :type organizations: list of strings
    :param q: only organisations whose name or title contains this
    :type q: string
    :param all_fields: return organisation dicts instead of names (default false)
    :type all_fields: bool
    :param include_dataset_count: with all_fields, add ``package_count`` (default true)
    :type include_dataset_count: bool

    :rtype: list of strings or dictionaries
    """
    all_fields = as_bool(data.get("all_fields"))
    limit, offset, column, direction = _list_params(data, all_fields=all_fields)
    organisations = Organisation.objects.all()
    names = _strings(data.get("organizations"))
    if names:
        organisations = organisations.filter(slug__in=names)
    if data.get("q"):
        term = str(data["q"])
        organisations = organisations.filter(Q(slug__icontains=term) | Q(name__icontains=term))
    if column == "package_count":
        organisations = organisations.annotate(
            package_count=Count("datasets", filter=Q(datasets__state=DatasetState.PUBLISHED))
        )
    path = {"title": "name", "name": "slug", "package_count": "package_count"}[column]
    prefix = "-" if direction == "desc" else ""
    page = list(
        organisations.order_by(f"{prefix}{path}", f"{prefix}pk").values_list("pk", "slug")[offset : offset + limit]
    )
    if not all_fields:
        return [slug for _pk, slug in page]
    pks = [pk for pk, _slug in page]
    rows = organisations_by_pk(pks)
    counts = _published_counts_by_publisher(pks)
    return [
        organization_show_dict({**rows[pk], "package_count": counts.get(pk, 0)}, data, site, list_defaults=True)
        for pk in pks
    ]


@action
def organization_show(data: dict, site: Site) -> dict:
    """Return an organisation.

    :param id: the id or name of the organisation
    :type id: string
    :param include_datasets: add its published datasets, at most 1000 (default false)
    :type include_datasets: bool
    :param include_dataset_count: add ``package_count``, published datasets only
        (default true)
    :type include_dataset_count: bool

    :rtype: dictionary
    """
    value = _required(data, "id")
    lookup = Q(slug=value) | (Q(pk=int(value)) if value.isdigit() else Q(pk__in=[]))
    pk = Organisation.objects.filter(lookup).values_list("pk", flat=True).first()
    if pk is None:
        raise NotFound
    row = organisations_by_pk([pk])[pk]
    row["package_count"] = _published_counts_by_publisher([pk]).get(pk, 0)
    return organization_show_dict(row, data, site)


def _theme_counts() -> dict[str, int]:
    rows = (
        Dataset.themes.through.objects.filter(dataset__state=DatasetState.PUBLISHED)
        .values_list("theme__code")
        .annotate(n=Count("dataset_id"))
        .order_by()
    )
    return dict(rows)


def group_show_dict(code: str, count: int, data: dict, site: Site, *, list_defaults: bool = False) -> dict:
    def included(key):
        return as_bool(data.get(key), default=not list_defaults)

    title = theme_title(code)
    result = {
        "approval_status": "approved",
        "created": None,
        "description": "",
        "display_name": title,
        "id": theme_id(code),
        "image_display_url": "",
        "image_url": "",
        "is_organization": False,
        "name": code.lower(),
        "num_followers": 0,
        "state": "active",
        "title": title,
        "type": "group",
    }
    if as_bool(data.get("include_datasets")):
        found = search(SearchParams(rows=ROWS_MAX, facet=False, fq=[f"groups:{code.lower()}"]), site.base_url)
        result["packages"] = found["results"]
        result["package_count"] = found["count"]
    elif as_bool(data.get("include_dataset_count"), default=True):
        result["package_count"] = count
    if included("include_extras"):
        result["extras"] = [{"key": "uri", "value": DataTheme(code).uri}]
    for key in ("tags", "groups", "users"):
        if included(f"include_{key}"):
            result[key] = []
    if as_bool(data.get("include_member_count")):
        result["member_count"] = 0
    return result


@action
def group_list(data: dict, site: Site) -> list:
    """Return the names of the groups: the 13 data themes of the EU vocabulary, as
    GovData uses them (name = lowercase code, title = German label).

    :param sort: ``title`` (default), ``name`` or ``package_count``, with ``asc`` or
        ``desc``
    :type sort: string
    :param limit: at most 1000 names, or 25 groups with ``all_fields``
    :type limit: int
    :param offset: where the page starts
    :type offset: int
    :param groups: only these names
    :type groups: list of strings
    :param all_fields: return group dicts instead of names (default false)
    :type all_fields: bool

    :rtype: list of strings or dictionaries
    """
    all_fields = as_bool(data.get("all_fields"))
    limit, offset, column, direction = _list_params(data, all_fields=all_fields)
    codes = list(DataTheme.values)
    wanted = {name.lower() for name in _strings(data.get("groups"))}
    if wanted:
        codes = [code for code in codes if code.lower() in wanted]
    if data.get("q"):
        term = str(data["q"]).lower()
        codes = [code for code in codes if term in code.lower() or term in theme_title(code).lower()]
    counts = _theme_counts() if all_fields or column == "package_count" else {}
    keys = {
        "title": lambda code: theme_title(code).casefold(),
        "name": lambda code: code.lower(),
        "package_count": lambda code: counts.get(code, 0),
    }
    codes.sort(key=lambda code: code.lower())
    codes.sort(key=keys[column], reverse=direction == "desc")
    codes = codes[offset : offset + limit]
    if not all_fields:
        return [code.lower() for code in codes]
    return [group_show_dict(code, counts.get(code, 0), data, site, list_defaults=True) for code in codes]


@action
def group_show(data: dict, site: Site) -> dict:
    """Return a group: one of the 13 data themes.

    :param id: the id or name of the group, e.g. ``envi``
    :type id: string
    :param include_datasets: add its published datasets, at most 1000 (default false)
    :type include_datasets: bool

    :rtype: dictionary
    """
    value = _required(data, "id")
    by_id = {theme_id(code): code for code in DataTheme.values}
    code = theme_code(value) if value == value.lower() else None
    code = code or by_id.get(value)
    if code is None:
        raise NotFound
    count = Dataset.objects.published().filter(themes__code=code).count()
    return group_show_dict(code, count, data, site)


@action
def tag_list(data: dict, site: Site) -> list:
    """Return the keywords of the published datasets.

    :param query: only tags containing this (then at most ``limit`` tags, default 10)
    :type query: string
    :param all_fields: return tag dicts instead of names (default false)
    :type all_fields: bool

    :rtype: list of strings or dictionaries
    """
    vocabulary = data.get("vocabulary_id")
    if vocabulary:
        raise NotFound(f"could not find vocabulary '{vocabulary}'")
    used = Dataset.keywords.through.objects.filter(keyword_id=OuterRef("pk"), dataset__state=DatasetState.PUBLISHED)
    keywords = Keyword.objects.filter(Exists(used)).order_by("name", "pk")
    query = data.get("query") or data.get("q")
    if query:
        errors: dict = {}
        limit, offset = _number(data, "limit", errors), _number(data, "offset", errors)
        if errors:
            raise ValidationError(errors)
        offset = offset or 0
        limit = TAG_SEARCH_LIMIT if limit is None else limit
        keywords = keywords.filter(name__icontains=" ".join(_strings(query)))
    rows = keywords.values_list("pk", "name")
    if query:
        rows = rows[offset : offset + limit]
    if as_bool(data.get("all_fields")):
        return [{"id": str(pk), "name": name, "vocabulary_id": None, "display_name": name} for pk, name in rows]
    return [name for _pk, name in rows]


@action
def license_list(data: dict, site: Site) -> list[dict]:
    """Return the licences of the DCAT-AP.de vocabulary, with the DCAT-AP.de URI as id.

    :rtype: list of dictionaries
    """
    return [
        {
            "id": licence.uri,
            "title": licence.label,
            "url": licence.uri,
            "status": "active",
            "family": "",
            "maintainer": "",
            "od_conformance": "approved" if licence.is_open else "not reviewed",
            "osd_conformance": "approved" if licence.is_open else "not reviewed",
            "domain_content": False,
            "domain_data": True,
            "domain_software": False,
            "is_generic": licence.code.startswith("other-"),
        }
        for licence in LICENCES
    ]


@action
def status_show(data: dict, site: Site) -> dict:
    """Return the portal's name, address, default language and the CKAN version whose
    API it answers like.

    :rtype: dictionary
    """
    extensions = ["stadtdaten"]
    try:
        reverse("portal:dataset_dcat", kwargs={"name": "x", "format": "ttl"})
        extensions.append("dcat")
    except NoReverseMatch:
        pass
    return {
        "site_title": settings.SITE_NAME,
        "site_description": _(
            "Offene Daten der Städte, Eigenbetriebe und Beteiligungen des Stadtverbunds: suchen, herunterladen, "
            "nachvollziehen, was nicht veröffentlicht wird, und Daten wünschen."
        ),
        "site_url": settings.SITE_URL,
        "error_emails_to": None,
        "locale_default": "de",
        "extensions": extensions,
        "ckan_version": CKAN_VERSION,
    }


@action
def help_show(data: dict, site: Site) -> str:
    """Return the help text of an action.

    :param name: the action's name, e.g. ``package_search``
    :type name: string

    :rtype: string
    """
    name = _required(data, "name")
    function = ACTIONS.get(name)
    if function is None:
        raise NotFound("Action function not found")
    return inspect.cleandoc(function.__doc__ or "")


# CKAN's write actions: known, so ckanapi's `load` gets CKAN's Authorization Error (403)
# instead of an unknown action, and (like CKAN) they refuse GET.
WRITE_ACTIONS = [
    "package_create", "package_update", "package_patch", "package_delete", "package_revise",
    "package_owner_org_update", "dataset_purge", "resource_create", "resource_update", "resource_patch",
    "resource_delete", "organization_create", "organization_update", "organization_patch", "organization_delete",
    "organization_member_create", "group_create", "group_update", "group_patch", "group_delete", "member_create",
]  # fmt: skip


def _read_only(data: dict, site: Site):
    """Not available: this CKAN-compatible API is read-only. Datasets are maintained
    and published in Stadtdaten itself."""
    raise NotAuthorized("This CKAN-compatible API is read-only")


for _name in WRITE_ACTIONS:
    ACTIONS[_name] = _read_only
