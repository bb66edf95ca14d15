"""/api/v1/tables/<resource id>/: query a table of the store (see datastore.query).

- `…/` describes the table: its columns with the data dictionary, its rows, its links.
- `…/rows/` answers rows: filters by column (`Spalte=Wert`, repeated for several values,
  `Spalte__gte=…`, `__lte`, `__gt`, `__lt`), `q` full text, `sort` (`-Spalte` descending,
  comma-separated), `fields`, `limit`, `cursor` (from `next`), `count=true` for the
  number of matching rows; `?format=csv` as CSV.
- `…/groups/` answers `group_by` (columns) with `agg` (`count`, `sum:Spalte`,
  `avg:`, `min:`, `max:`), filtered like rows.
Anyone may read (only public tables exist here); a bad parameter is a 400 with a message.
"""

from __future__ import annotations

import csv
import io

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import PublicReadOnly
from core.cells import safe_cell

from . import dictionary, engine, query
from .permissions import queryable_table

RESERVED = {"q", "sort", "fields", "limit", "cursor", "count", "format", "group_by", "agg", "filters"}


class CSVRenderer(renderers.BaseRenderer):
    """Rows and groups as CSV (RFC 4180, UTF-8 with BOM for spreadsheet programs); text
    cells pass core.cells.safe_cell, so a cell is never a formula."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        if isinstance(data, dict) and "records" in data:
            names = [field["id"] for field in data["fields"]]
            writer.writerow([safe_cell(name) for name in names])
            for record in data["records"]:
                writer.writerow([safe_cell(value) if isinstance(value, str) else value for value in
                                 (record.get(name) for name in names)])  # fmt: skip
        else:
            writer.writerow([data.get("detail", "") if isinstance(data, dict) else str(data)])
        return ("\ufeff" + buffer.getvalue()).encode()


def _table(identifier):
    table = queryable_table(identifier)
    if table is None:
        raise Http404
    return table


def _bad(error: query.QueryError) -> Response:
    return Response({"detail": error.message, "parameter": error.parameter}, status=status.HTTP_400_BAD_REQUEST)


def _filters(request, built: query.Query) -> None:
    for key, values in request.query_params.lists():
        if key in RESERVED:
            continue
        name, _sep, operator = key.rpartition("__") if "__" in key else (key, "", "")
        if operator and operator not in query.OPERATORS:
            name, operator = key, ""
        query.add_condition(built, name, operator, values, key)
    if "filters" in request.query_params:
        for name, value in query.json_filters(request.query_params["filters"]).items():
            query.add_condition(built, name, "", value if isinstance(value, list) else [value], "filters")


def _common(request, table) -> query.Query:
    built = query.Query(columns=table.columns)
    _filters(request, built)
    if "q" in request.query_params:
        built.words = query.words_of(request.query_params["q"])
    return built


def _links(request, table) -> dict:
    identifier = table.distribution.identifier
    return {
        "self": request.build_absolute_uri(reverse("datastore-api:table", args=[identifier])),
        "rows": request.build_absolute_uri(reverse("datastore-api:rows", args=[identifier])),
        "groups": request.build_absolute_uri(reverse("datastore-api:groups", args=[identifier])),
        "schema": request.build_absolute_uri(reverse("datastore:table_schema", args=[identifier])),
        "dataset": request.build_absolute_uri(reverse("portal:dataset_detail", args=[table.distribution.dataset.name])),
    }


TABLE = OpenApiParameter("resource_id", OpenApiTypes.UUID, OpenApiParameter.PATH,
                         description=_lazy("Kennung der Distribution (CKAN: resource id)"))  # fmt: skip
FILTER_HELP = _lazy(
    "Filter je Spalte: `Spalte=Wert` (mehrfach für mehrere Werte), `Spalte__gte=`, `__lte=`, `__gt=`, `__lt=` für "
    "Bereiche; Spaltennamen wie in der Datei. Alternativ `filters` als JSON-Objekt wie bei CKAN."
)
COMMON = [
    TABLE,
    OpenApiParameter("q", str, description=_lazy("Volltextsuche in den Textspalten (Wortanfänge)")),
    OpenApiParameter("filters", str, description=FILTER_HELP),
]


class TableView(APIView):
    permission_classes = [PublicReadOnly]

    @extend_schema(
        summary=_lazy("Eine abfragbare Tabelle"),
        parameters=[TABLE],
        responses={200: OpenApiResponse(description=_lazy("Spalten mit Datenlexikon, Zeilenzahl, Links"))},
    )
    def get(self, request, resource_id):
        table = _table(resource_id)
        return Response({
            "resource_id": str(table.distribution.identifier),
            "title": table.distribution.title,
            "rows": table.rows,
            "loaded_at": table.loaded_at,
            "fields": dictionary.fields(table),
            "links": _links(request, table),
        })  # fmt: skip


class RowsView(APIView):
    permission_classes = [PublicReadOnly]
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]

    @extend_schema(
        summary=_lazy("Zeilen einer Tabelle"),
        description=FILTER_HELP,
        parameters=[
            *COMMON,
            OpenApiParameter("sort", str, description=_lazy("Sortierung: `Spalte`, `-Spalte`, kommagetrennt")),
            OpenApiParameter("fields", str, description=_lazy("Nur diese Spalten, kommagetrennt")),
            OpenApiParameter("limit", int, description=_lazy("Zeilen je Seite (Standard 100)")),
            OpenApiParameter("cursor", str, description=_lazy("Die nächste Seite: der Wert aus `next`")),
            OpenApiParameter("count", bool, description=_lazy("Mit der Zahl aller Treffer (`total`)")),
            OpenApiParameter("format", str, enum=["json", "csv"], description=_lazy("json (Standard) oder csv")),
        ],
        responses={200: OpenApiResponse(description=_lazy("fields, records, next, total")), 400: OpenApiResponse()},
    )
    def get(self, request, resource_id):
        table = _table(resource_id)
        params = request.query_params
        try:
            built = _common(request, table)
            if "sort" in params:
                query.set_sort(built, params["sort"])
            if "fields" in params:
                query.set_fields(built, params["fields"].split(","))
            query.set_limit(built, params.get("limit", query.DEFAULT_LIMIT))
            if params.get("cursor"):
                query.set_cursor(built, params["cursor"])
            result = query.run_rows(table.table_name, built, total=params.get("count") in ("true", "1", "ja"))
        except query.QueryError as error:
            return _bad(error)
        except engine.QueryTimeout:
            return _timeout()
        dictionary.count_query(table)
        body = {"fields": dictionary.fields(table, result.fields), "records": result.records}
        if result.total is not None:
            body["total"] = result.total
        body["next"] = None
        if result.next_cursor:
            following = params.copy()
            following["cursor"] = result.next_cursor
            body["next"] = request.build_absolute_uri(f"{request.path}?{following.urlencode()}")
        return Response(body)


class GroupsView(APIView):
    permission_classes = [PublicReadOnly]
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]

    @extend_schema(
        summary=_lazy("Gruppen und Kennzahlen einer Tabelle"),
        parameters=[
            *COMMON,
            OpenApiParameter("group_by", str, description=_lazy("Gruppenspalten, kommagetrennt")),
            OpenApiParameter(
                "agg",
                str,
                many=True,
                description=_lazy("Kennzahlen: count, sum:Spalte, avg:Spalte, min:Spalte, max:Spalte"),
            ),
            OpenApiParameter("sort", str, description=_lazy("Nach Gruppe oder Kennzahl, z. B. `-sum:Anzahl`")),
            OpenApiParameter("limit", int, description=_lazy("Höchstens so viele Gruppen (Standard 100)")),
            OpenApiParameter("format", str, enum=["json", "csv"]),
        ],
        responses={200: OpenApiResponse(description=_lazy("fields, records, truncated")), 400: OpenApiResponse()},
    )
    def get(self, request, resource_id):
        table = _table(resource_id)
        params = request.query_params
        try:
            built = _common(request, table)
            groups = [name for name in params.get("group_by", "").split(",") if name.strip()]
            query.set_groups(built, groups, params.getlist("agg"))
            if "sort" in params:
                query.set_sort(built, params["sort"])
            query.set_limit(built, params.get("limit", query.DEFAULT_LIMIT))
            result = query.run_groups(table.table_name, built)
        except query.QueryError as error:
            return _bad(error)
        except engine.QueryTimeout:
            return _timeout()
        dictionary.count_query(table)
        return Response({"fields": dictionary.fields(table, result.fields), "records": result.records,
                         "truncated": result.truncated})  # fmt: skip


def _timeout() -> Response:
    return Response(
        {"detail": _("Die Abfrage hat zu lange gedauert. Bitte schränken Sie sie mit Filtern ein.")},
        status=status.HTTP_400_BAD_REQUEST,
    )
