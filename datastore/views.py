"""The Table Schema document of a table at a stable address (DCAT's dct:conformsTo)."""

from django.http import Http404, JsonResponse
from django.views.decorators.http import require_safe

from . import dictionary
from .permissions import queryable_table


@require_safe
def table_schema(request, identifier):
    table = queryable_table(identifier)
    if table is None:
        raise Http404
    response = JsonResponse(dictionary.table_schema(table), json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/schema+json"
    response["Access-Control-Allow-Origin"] = "*"
    return response
