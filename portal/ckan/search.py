"""package_search over the published datasets: its parameters (validated as CKAN's
default_package_search_schema), the filters of `q` and `fq` (portal.ckan.query),
Solr's sort, facets, and one page of package dicts (portal.ckan.dictize)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchRank
from django.db import connection
from django.db.models import Count, F, FloatField, Q
from django.db.models.functions import Cast

from catalog.models import Dataset, Distribution
from catalog.vocabularies import LICENCES_BY_CODE

from ..projection import COLUMNS, licence_uri
from .dictize import packages, theme_title
from .errors import SearchQueryError, ValidationError
from .params import number, strings
from .query import All, compile_query, parse_query

DEFAULT_SORT = "score desc, metadata_modified desc"
DEFAULT_ROWS = 10
ROWS_MAX = 1000  # ckan.search.rows_max
FACET_LIMIT = 50  # search.facets.limit


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
        rows = number(data, "rows", errors)
        start = number(data, "start", errors)
        facet_mincount = number(data, "facet.mincount", errors)
        facet_limit = number(data, "facet.limit", errors, natural=False)
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
            q=" ".join(strings(data.get("q"))),
            fq=strings(data.get("fq")) + strings(data.get("fq_list")),
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
    distributions = Distribution.objects.current().filter(dataset_id__in=ids)
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
                name, display = licence_uri(value), licence.label if licence else value
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
        results = packages(page.order_by(*order).values(*COLUMNS)[params.start : params.start + params.rows], base_url)
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
