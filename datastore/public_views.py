"""The table explorer on the portal: /datensatz/<name>/tabellen/<identifier>/ (see
datastore.explorer). Anyone may read a table that `queryable_table` allows, under the
name of its own dataset; every other address is unknown (404)."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from . import dictionary, engine, explorer, query
from .permissions import queryable_table


@require_safe
def table_explorer(request, name, identifier):
    table = queryable_table(identifier)
    if table is None or table.distribution.dataset.name != name:
        raise Http404
    described = dictionary.descriptions(table)
    context = {"table": table, "distribution": table.distribution, "dataset": table.distribution.dataset,
               "comparisons": explorer.COMPARISONS, "page_sizes": explorer.PAGE_SIZES}  # fmt: skip
    status, page, result = HTTPStatus.OK, explorer.Request(), None
    try:
        page = explorer.read(request.GET)
        explorer.understand(table, page)
        result = query.run_rows(table.table_name, explorer.build(table, page), total=True)
    except query.QueryError as error:
        status, context["error"] = HTTPStatus.BAD_REQUEST, error.message
    except engine.QueryTimeout:
        status = HTTPStatus.BAD_REQUEST
        context["error"] = _("Die Abfrage hat zu lange gedauert. Bitte schränken Sie sie mit Filtern ein.")
    else:
        dictionary.count_query(table)
    columns = explorer.columns(table, page, described=described)
    for column in columns:  # a heading's link sorts from the first page on
        column.sort_query = explorer_query(page, sort=column.toggle, cursor="", ab="")
    context.update(page=page, columns=columns, filter_rows=[*page.filters, explorer.Filter("", "", "")][:6])
    if result is not None:
        context.update(
            rows=[[(column, explorer.cell(column, record.get(column.id))) for column in columns]
                  for record in result.records],
            total=result.total,
            first=page.before + 1,
            last=page.before + len(result.records),
            next_query=explorer_query(page, cursor=result.next_cursor, ab=str(page.before + len(result.records)))
            if result.next_cursor else "",
            first_query=explorer_query(page, cursor="", ab="") if page.cursor else "",
        )  # fmt: skip
    context.update(api_links(request, table, page))
    return render(request, "datastore/explorer.html", context, status=status)


def explorer_query(page: explorer.Request, **changes) -> str:
    return urlencode(page.state(**changes))


def api_links(request, table, page: explorer.Request) -> dict:
    """The addresses of the "Über die API nutzen" box, absolute (to copy into a script)."""
    identifier = table.distribution.identifier
    rows = request.build_absolute_uri(reverse("datastore-api:rows", args=[identifier]))
    return {
        "rest_url": explorer.rest_url(rows, page),
        "python_example": explorer.python_example(rows, page),
        "ckan_url": request.build_absolute_uri(reverse("ckan:action", args=["datastore_search"]))
        + f"?resource_id={identifier}",
        "dcat_url": request.build_absolute_uri(
            reverse("portal:dataset_dcat", kwargs={"name": table.distribution.dataset.name, "format": "ttl"})
        ),
        "schema_url": request.build_absolute_uri(reverse("datastore:table_schema", args=[identifier])),
        "docs_url": reverse("swagger-ui"),
    }
