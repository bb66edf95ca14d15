"""Search over published datasets: full text, facets with counts, sorting and keyset
pagination.

PostgreSQL: one statement over portal.SearchDocument answers a search (issue 12). The
document carries the stored tsvector (GIN index, German configuration, title A >
keywords B > description C) and copies of the facet values (for the filters; as numbers,
portal.SearchFacetValue, for the counts), sort keys and the published flag, so the match
is evaluated once: one tsquery, the websearch query of the input OR-ed with a prefix
query of its plain words (so "Baum" finds "Baumkataster"), which the GIN index of the
published documents answers; ranked with ts_rank. The datasets of the page are then read
through `Dataset.objects.published()`, so a document that were out of date still could
not show an unpublished dataset. SQLite (the embedded default): every word must occur in
the title, keywords or description (icontains), queries start from
`Dataset.objects.published()`, one query per facet; "relevance" sorts by title there.

Pagination is by keyset (cursor), never by OFFSET, so page 500 costs what page 1 does:
newest = (issued, id) descending, title = (title, id), relevance = (rank, id). The cursor
is signed, so it cannot be forged into an arbitrary filter.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.postgres.search import SearchQuery
from django.core import signing
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, sql
from django.utils.translation import gettext_lazy as _

from catalog.models import Dataset, Distribution
from catalog.vocabularies import FILE_TYPES_BY_CODE, LICENCES_BY_CODE, DataTheme, Frequency, HVDCategory

from .models import SearchDocument

PAGE_SIZE = 20
MAX_QUERY_LENGTH = 200
KEYWORD_FACET_LIMIT = 15
CURSOR_SALT = "portal.search.cursor"

SORTS = {
    "relevance": _("Relevanz"),
    "newest": _("Neueste zuerst"),
    "title": _("Titel (A–Z)"),
}


@dataclass(frozen=True)
class Facet:
    param: str  # query parameter
    label: str
    path: str  # lookup for the counts
    kind: str  # "field", or the m2m/reverse relation that needs an EXISTS filter
    label_path: str = ""  # a second column that names the value (organisation)


FACETS = [
    Facet("thema", _("Thema"), "themes__code", "themes"),
    Facet("organisation", _("Organisation"), "publisher__slug", "field", "publisher__name"),
    Facet("format", _("Format"), "distributions__format", "distributions"),
    Facet("lizenz", _("Lizenz"), "licence", "field"),
    Facet("schlagwort", _("Schlagwort"), "keywords__name", "keywords"),
    Facet("hvd", _("Hochwertiger Datensatz (HVD)"), "hvd_category", "field"),
    Facet("aktualisierung", _("Aktualisierung"), "update_frequency", "field"),
]
FACETS_BY_PARAM = {facet.param: facet for facet in FACETS}


def value_label(facet: Facet, value: str, named: str = "") -> str:
    if facet.param == "thema":
        return str(DataTheme(value).label) if value in DataTheme.values else value
    if facet.param == "format":
        file_type = FILE_TYPES_BY_CODE.get(value)
        return file_type.label if file_type else value
    if facet.param == "lizenz":
        licence = LICENCES_BY_CODE.get(value)
        return str(licence.label) if licence else value
    if facet.param == "hvd":
        return str(HVDCategory(value).label) if value in HVDCategory.values else value
    if facet.param == "aktualisierung":
        return str(Frequency(value).label) if value in Frequency.values else value
    return named or value


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class FacetResult:
    facet: Facet
    values: list[FacetValue]

    @property
    def param(self):
        return self.facet.param

    @property
    def label(self):
        return self.facet.label


@dataclass
class SearchResult:
    query: str
    sort: str
    results: list
    total: int
    facets: list[FacetResult]
    selected: dict[str, list[str]]
    next_cursor: str | None
    start: int  # 1-based position of the first result on this page
    has_previous: bool = False
    ranked: bool = False
    sorts: dict = field(default_factory=lambda: SORTS)

    @property
    def end(self) -> int:
        return self.start + len(self.results) - 1


WORD = re.compile(r"\w+", re.UNICODE)


def _words(query: str) -> list[str]:
    return WORD.findall(query)[:10]


def _text_query(query: str):
    """The tsquery of the user's input: websearch syntax ("…", -word, or) OR the prefix
    match of all plain words."""
    tsquery = SearchQuery(query, search_type="websearch", config="german")
    words = _words(query)
    # Phrases, exclusions and "or" keep their websearch meaning: no prefix branch then.
    operators = '"' in query or " or " in f" {query.lower()} " or any(t.startswith("-") for t in query.split())
    if words and not operators:
        prefix = " & ".join(f"{word}:*" for word in words)
        tsquery = tsquery | SearchQuery(prefix, search_type="raw", config="german")
    return tsquery


def _filter_facets(queryset, selected: dict[str, list[str]]):
    for param, values in selected.items():
        facet = FACETS_BY_PARAM[param]
        if facet.kind == "themes":
            queryset = queryset.filter(
                Exists(Dataset.themes.through.objects.filter(dataset_id=OuterRef("pk"), theme__code__in=values))
            )
        elif facet.kind == "keywords":
            queryset = queryset.filter(
                Exists(Dataset.keywords.through.objects.filter(dataset_id=OuterRef("pk"), keyword__name__in=values))
            )
        elif facet.kind == "distributions":
            queryset = queryset.filter(
                Exists(Distribution.objects.current().filter(dataset_id=OuterRef("pk"), format__in=values))
            )
        else:
            queryset = queryset.filter(**{f"{facet.path}__in": values})
    return queryset


def parse_selected(params) -> dict[str, list[str]]:
    selected = {}
    for facet in FACETS:
        values = [value[:100] for value in params.getlist(facet.param) if value][:10]
        if values:
            selected[facet.param] = list(dict.fromkeys(values))
    return selected


def matching(query: str, selected: dict[str, list[str]]):
    """Published datasets matching the words and the selected facet values (unordered),
    through the catalogue's relations (SQLite, and a cross-check of the documents)."""
    queryset = Dataset.objects.published()
    if query:
        if connection.vendor == "postgresql":
            queryset = queryset.filter(search_document__vector=_text_query(query))
        else:
            for word in _words(query) or [query]:
                queryset = queryset.filter(
                    Q(search_document__title__icontains=word)
                    | Q(search_document__keywords__icontains=word)
                    | Q(search_document__description__icontains=word)
                )
    return _filter_facets(queryset, selected)


def facet_counts(base, selected: dict[str, list[str]]) -> list[FacetResult]:
    """One grouped query per facet, over the matching published datasets only."""
    results = []
    for facet in FACETS:
        columns = [facet.path] + ([facet.label_path] if facet.label_path else [])
        rows = base.order_by().values(*columns).annotate(n=Count("pk", distinct=True)).order_by("-n", facet.path)
        if facet.param == "schlagwort":
            rows = rows[:KEYWORD_FACET_LIMIT]
        chosen = set(selected.get(facet.param, []))
        values = [
            FacetValue(
                row[facet.path],
                value_label(facet, row[facet.path], row.get(facet.label_path, "")),
                row["n"],
                row[facet.path] in chosen,
            )
            for row in rows
            if row[facet.path]  # datasets without a theme, keyword, HVD category …
        ]
        if values:
            results.append(FacetResult(facet, values))
    return results


def encode_cursor(sort: str, value, pk: int, position: int) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    return signing.dumps([sort, value, pk, position], salt=CURSOR_SALT, compress=True)


def decode_cursor(cursor: str, sort: str):
    try:
        cursor_sort, value, pk, position = signing.loads(cursor, salt=CURSOR_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if cursor_sort != sort:
        return None
    if sort == "newest" and value is not None:
        value = datetime.fromisoformat(value)
    return value, int(pk), int(position)


# ---------------------------------------------------------------------------
# PostgreSQL: one statement over portal_searchdocument answers count, facets and page

# The facets' values among the matched documents with their counts: the documents'
# value numbers (portal.SearchFacetValue) unnested and counted as integers in one pass,
# then named; organisations by their slug and name, keywords only the most frequent.
_FACETS_SQL = f"""
    SELECT facet, value, label, n FROM (
        SELECT facet_value.facet, COALESCE(organisation.slug, facet_value.value) AS value,
            organisation.name AS label, counts.n,
            row_number() OVER (PARTITION BY facet_value.facet ORDER BY counts.n DESC, facet_value.value) AS place
        FROM (
            SELECT id, count(*) AS n FROM (SELECT unnest(facet_values) AS id FROM matched) AS v GROUP BY id
        ) AS counts
        JOIN portal_searchfacetvalue AS facet_value ON facet_value.id = counts.id
        LEFT JOIN governance_organisation AS organisation ON organisation.id =
            CASE WHEN facet_value.facet = 'organisation' THEN facet_value.value::integer END
    ) AS named
    WHERE facet <> 'schlagwort' OR place <= {KEYWORD_FACET_LIMIT}
"""  # noqa: S608 – constants only
# Per facet: the condition of its selected values (a text[] parameter).
_FILTER_SQL = {
    "thema": "document.themes && %s::text[]",
    "organisation": "document.publisher_id IN (SELECT id FROM governance_organisation WHERE slug = ANY(%s))",
    "format": "document.formats && %s::text[]",
    "lizenz": "document.licence = ANY(%s)",
    "schlagwort": "document.keyword_names && %s::text[]",
    "hvd": "document.hvd_category = ANY(%s)",
    "aktualisierung": "document.update_frequency = ANY(%s)",
}
# Per sort: the column the matched documents need for it (the rank is added apart), the
# page's key and order, and the keyset condition after a cursor.
_SORT_SQL = {
    "relevance": ("", "rank", "rank DESC, dataset_id", "(rank < %s OR (rank = %s AND dataset_id > %s))"),
    "title": (", document.title", "title", "title, dataset_id", "(title > %s OR (title = %s AND dataset_id > %s))"),
    "newest": (
        ", document.issued",
        "issued",
        "issued DESC, dataset_id DESC",
        "(issued < %s OR (issued = %s AND dataset_id < %s))",
    ),
}


def _compiled(expression) -> tuple[str, list]:
    query = sql.Query(SearchDocument)
    return query.get_compiler(connection=connection).compile(expression.resolve_expression(query))


def _search_postgresql(query: str, selected, sort: str, after, page_size: int):
    """(total, facets, page ids, the sort key of each) from one statement.

    The match is evaluated once, into a MATERIALIZED CTE of the matching documents with
    their facet values; the counts (_FACETS_SQL) and the page (a top-N sort) read that.
    Only documents marked published take part; the datasets of the page are read again
    through Dataset.objects.published() by the caller."""
    conditions, params = ["document.published"], []
    rank, rank_params = "", []
    if query:
        tsquery, tsquery_params = _compiled(_text_query(query))
        conditions.append(f"document.vector @@ {tsquery}")
        params += tsquery_params
        if sort == "relevance":
            # double precision: ts_rank is float4, whose text form would not compare equal in the cursor
            rank, rank_params = f", ts_rank(document.vector, {tsquery})::double precision AS rank", tsquery_params
    for param, values in selected.items():
        conditions.append(_FILTER_SQL[param])
        params.append(list(values))
    column, key, ordering, keyset = _SORT_SQL[sort]
    page_condition, page_params = "TRUE", []
    if after is not None:
        value, pk = after
        page_condition, page_params = keyset, [value, value, pk]
    # Only the fixed fragments above go into the text; the user's input is all in params.
    statement = f"""
        WITH matched AS MATERIALIZED (
            SELECT document.dataset_id, document.facet_values{column}{rank}
            FROM portal_searchdocument AS document
            WHERE {" AND ".join(conditions)}
        ),
        counted (facet, value, label, n) AS (
            {_FACETS_SQL}
        ),
        page AS (
            -- numbered after the LIMIT, so that the sort keeps only the top rows
            SELECT dataset_id, key, row_number() OVER () AS position FROM (
                SELECT dataset_id, {key} AS key FROM matched WHERE {page_condition} ORDER BY {ordering} LIMIT %s
            ) AS top
        )
        SELECT
            (SELECT count(*) FROM matched),
            (SELECT json_agg(json_build_array(facet, value, label, n) ORDER BY facet, n DESC, value)
                FROM counted WHERE value <> ''),
            (SELECT array_agg(dataset_id ORDER BY position) FROM page),
            (SELECT array_agg(key ORDER BY position) FROM page)
    """  # noqa: S608
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if query:
            # The matches of a common word lie on most of the table's pages, and the
            # estimate for `word | word:*` counts the word twice, so PostgreSQL's default
            # cost model (random_page_cost 4, for spinning disks) prefers reading every
            # document to the GIN index of the published ones, which is twice as fast at
            # 100,000 datasets (issue 12). 1.1 is the manual's value for SSDs and cached
            # data; SET LOCAL ends with this transaction.
            cursor.execute("SET LOCAL random_page_cost = 1.1")
        cursor.execute(statement, [*rank_params, *params, *page_params, page_size + 1])
        total, facet_rows, ids, keys = cursor.fetchone()
    counts: dict[str, list] = {}
    for facet, value, label, count in facet_rows or ():
        counts.setdefault(facet, []).append((value, label, count))
    facets = []
    for facet in FACETS:
        chosen = set(selected.get(facet.param, []))
        values = [
            FacetValue(value, value_label(facet, value, label or ""), count, value in chosen)
            for value, label, count in counts.get(facet.param, [])
        ]
        if values:
            facets.append(FacetResult(facet, values))
    return total, facets, ids or [], keys or []


@dataclass(frozen=True)
class Hit:
    """One dataset on a result page, with what the page shows of it."""

    pk: int
    name: str
    title: str
    description: str
    issued: datetime | None
    publisher_name: str
    format_labels: list[str]  # of its distinct formats, sorted by code


def _page_hits(ids: list[int]) -> list[Hit]:
    """The datasets of a page in the order of `ids`, read through published() once more.
    Two queries of plain rows: model instances with publisher and distributions were a
    third of a search's time (issue 12)."""
    rows = (
        Dataset.objects.published()
        .filter(pk__in=ids)
        .values_list("pk", "name", "title", "description", "issued", "publisher__name")
    )
    formats = defaultdict(list)
    distributions = (
        Distribution.objects.current()
        .filter(dataset_id__in=ids)
        .exclude(format="")
        .values_list("dataset_id", "format")
        .distinct()
        .order_by("dataset_id", "format")
    )
    format_facet = FACETS_BY_PARAM["format"]
    for dataset_id, file_format in distributions:
        formats[dataset_id].append(value_label(format_facet, file_format))
    hits = {row[0]: Hit(*row, format_labels=formats[row[0]]) for row in rows}
    return [hits[pk] for pk in ids if pk in hits]


def search(
    query: str = "", *, selected=None, sort: str = "", cursor: str = "", page_size: int = PAGE_SIZE
) -> SearchResult:
    query = (query or "").strip()[:MAX_QUERY_LENGTH]
    selected = selected or {}
    ranked = bool(query) and connection.vendor == "postgresql"
    if sort not in SORTS or (sort == "relevance" and not query):
        sort = "relevance" if query else "newest"
    start = 1
    decoded = decode_cursor(cursor, sort) if cursor else None
    if decoded is not None:
        start = decoded[2]
    if connection.vendor == "postgresql":
        total, facets, ids, keys = _search_postgresql(
            query, selected, sort, decoded[:2] if decoded else None, page_size
        )
        page = _page_hits(ids[:page_size])
        next_cursor = None
        if len(ids) > page_size:
            next_cursor = encode_cursor(sort, keys[page_size - 1], ids[page_size - 1], start + page_size)
    else:
        total, facets, page, next_cursor = _search_orm(query, selected, sort, decoded, page_size, start)
    return SearchResult(
        query=query,
        sort=sort,
        results=page,
        total=total,
        facets=facets,
        selected=selected,
        next_cursor=next_cursor,
        start=start,
        has_previous=decoded is not None,
        ranked=ranked,
    )


# ---------------------------------------------------------------------------
# SQLite (the embedded default): the same answers through the ORM, one query per facet


def _search_orm(query: str, selected, sort: str, decoded, page_size: int, start: int):
    base = matching(query, selected)
    total = base.count()
    facets = facet_counts(base, selected)
    queryset = base
    ordering = ("-issued", "-pk") if sort == "newest" else ("title", "pk")
    if decoded is not None:
        value, pk, _position = decoded
        if ordering[0] == "title":
            queryset = queryset.filter(Q(title__gt=value) | Q(title=value, pk__gt=pk))
        else:
            queryset = queryset.filter(Q(issued__lt=value) | Q(issued=value, pk__lt=pk))
    keys = list(queryset.order_by(*ordering).values_list("pk", ordering[0].lstrip("-"))[: page_size + 1])
    next_cursor = None
    if len(keys) > page_size:
        keys = keys[:page_size]
        last_pk, last_key = keys[-1]
        next_cursor = encode_cursor(sort, last_key, last_pk, start + page_size)
    return total, facets, _page_hits([pk for pk, _key in keys]), next_cursor
