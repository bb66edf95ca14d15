"""The inventory import: upload page, result page with progress, and the templates."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ..models import InventoryImport
from ..permissions import editing_organisations
from . import columns, service
from .forms import InventoryImportForm

TEMPLATE_FORMATS = {
    "csv": ("text/csv; charset=utf-8", service.template_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", service.template_xlsx),
}


def steward_required(view):
    """Imports are for data stewards; everyone else signed in gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not editing_organisations(request.user).exists():
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def get_import_for_user(user, pk: int) -> InventoryImport:
    """The uploader and the stewards of the import's organisation may see it; for
    everyone else it does not exist."""
    return get_object_or_404(
        InventoryImport.objects.select_related("organisation", "created_by").filter(
            Q(created_by=user) | Q(organisation__in=editing_organisations(user).values("pk"))
        ),
        pk=pk,
    )


@steward_required
def import_start(request):
    organisations = editing_organisations(request.user)
    form = InventoryImportForm(request.POST or None, request.FILES or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        inventory_import = service.start_import(
            organisation=form.cleaned_data["organisation"], upload=form.cleaned_data["file"], by=request.user
        )
        return redirect(inventory_import)
    recent = InventoryImport.objects.filter(created_by=request.user).select_related("organisation")[:10]
    return render(
        request,
        "catalog/import_start.html",
        {"form": form, "recent": recent, "columns": columns.COLUMNS, "groups": column_groups()},
    )


def column_groups():
    dataset = [column for column in columns.COLUMNS if column.target != columns.CLASSIFICATION]
    classification = [column for column in columns.COLUMNS if column.target == columns.CLASSIFICATION]
    return [("dataset", dataset), ("classification", classification)]


def result_context(inventory_import: InventoryImport) -> dict:
    order = {name: position for position, name in enumerate(columns.COLUMN_NAMES)}
    file_errors, row_errors = [], []
    for entry in inventory_import.errors:
        # JSON objects keep no key order: show the columns in the file's documented order.
        items = sorted(entry["errors"].items(), key=lambda item: order.get(item[0], -1))
        if entry.get("row") is None:
            file_errors.extend(message for _column, messages in items for message in messages)
        else:
            row_errors.append(
                {
                    "row": entry["row"],
                    "items": [(column, column.split("_") if column else [], messages) for column, messages in items],
                }
            )
    unchanged = max(inventory_import.total_rows - inventory_import.created_count - inventory_import.updated_count, 0)
    return {
        "inventory_import": inventory_import,
        "state": progress_state(inventory_import),
        "file_errors": file_errors,
        "row_errors": row_errors,
        "unchanged_count": unchanged,
    }


def progress_state(inventory_import: InventoryImport) -> str:
    return f"{inventory_import.status}-{inventory_import.processed_rows}-{inventory_import.total_rows}"


@never_cache
@steward_required
@require_safe
def import_detail(request, pk):
    inventory_import = get_import_for_user(request.user, pk)
    return render(request, "catalog/import_detail.html", result_context(inventory_import))


@never_cache
@steward_required
@require_safe
def import_progress(request, pk):
    """The status region for htmx polling. Answers 204 (nothing to swap) while nothing
    has changed since the state the page shows, so screen readers hear only news."""
    inventory_import = get_import_for_user(request.user, pk)
    if request.GET.get("stand") == progress_state(inventory_import):
        return HttpResponse(status=204)
    return render(request, "catalog/import_progress.html", result_context(inventory_import))


@steward_required
@require_safe
def import_template(request, file_format):
    if file_format not in TEMPLATE_FORMATS:
        raise Http404
    content_type, build = TEMPLATE_FORMATS[file_format]
    response = HttpResponse(build(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="bestandsverzeichnis-vorlage.{file_format}"'
    return response
