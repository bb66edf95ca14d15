"""Search over published datasets: full text, facets with counts, sorting and keyset
pagination. Every query starts from `Dataset.objects.published()`.

PostgreSQL: the stored tsvector of portal.SearchDocument (GIN index, German
configuration, title A > keywords B > description C), matched by a websearch query
OR-ed with a prefix query of the plain words (so "Baum" finds "Baumkataster"), ranked
with ts_rank. SQLite (the embedded default): every word must occur in the title,
keywords or description (icontains); "relevance" sorts by title there.

Pagination is by keyset (cursor), never by OFFSET, so page 500 costs what page 1 does:
newest = (issued, id) descending, title = (title, id), relevance = (rank, id). The cursor
is signed, so it cannot be forged into an arbitrary filter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core import signing
from django.db import connection
from django.db.models import Count, Exists, F, FloatField, OuterRef, Prefetch, Q
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from catalog.models import Dataset, Distribution
from catalog.vocabularies import FILE_TYPES_BY_CODE, LICENCES_BY_CODE, DataTheme, Frequency, HVDCategory

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
                Exists(Distribution.objects.filter(dataset_id=OuterRef("pk"), format__in=values))
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
    """Published datasets matching the words and the selected facet values (unordered)."""
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


def search(
    query: str = "", *, selected=None, sort: str = "", cursor: str = "", page_size: int = PAGE_SIZE
) -> SearchResult:
    query = (query or "").strip()[:MAX_QUERY_LENGTH]
    selected = selected or {}
    ranked = bool(query) and connection.vendor == "postgresql"
    if sort not in SORTS or (sort == "relevance" and not query):
        sort = "relevance" if query else "newest"
    base = matching(query, selected)
    total = base.count()
    facets = facet_counts(base, selected)

    queryset = base.select_related("publisher").prefetch_related(
        Prefetch("distributions", queryset=Distribution.objects.only("id", "dataset_id", "format").order_by("format"))
    )
    rank_sort = sort == "relevance" and ranked
    if rank_sort:
        # double precision: ts_rank is float4, whose text form would not compare equal in the cursor
        queryset = queryset.annotate(
            rank=Cast(SearchRank(F("search_document__vector"), _text_query(query)), FloatField())
        )
        ordering = ("-rank", "pk")
    elif sort in ("title", "relevance"):
        ordering = ("title", "pk")
    else:
        ordering = ("-issued", "-pk")

    start = 1
    decoded = decode_cursor(cursor, sort) if cursor else None
    if decoded is not None:
        value, pk, position = decoded
        start = position
        if rank_sort:
            queryset = queryset.filter(Q(rank__lt=value) | Q(rank=value, pk__gt=pk))
        elif ordering[0] == "title":
            queryset = queryset.filter(Q(title__gt=value) | Q(title=value, pk__gt=pk))
        else:
            queryset = queryset.filter(Q(issued__lt=value) | Q(issued=value, pk__lt=pk))
    page = list(queryset.order_by(*ordering)[: page_size + 1])
    next_cursor = None
    if len(page) > page_size:
        page = page[:page_size]
        last = page[-1]
        if rank_sort:
            key = last.rank
        elif ordering[0] == "title":
            key = last.title
        else:
            key = last.issued
        next_cursor = encode_cursor(sort, key, last.pk, start + page_size)
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
