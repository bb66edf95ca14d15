"""The steward's editor of a table's data dictionary (issue 24). Thin: who may edit is
catalog.permissions' rule for the dataset; what an edit does (at once on a draft, into
the pending change on an approved or published dataset) is datastore.dictionary.save."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from catalog import permissions, services
from catalog.errors import CatalogError, ConflictError
from catalog.models import Distribution
from catalog.views import PENDING_SAVED, catalog_required
from core.forms import add_errors

from . import dictionary
from .dictionary_forms import ColumnFormSet, DictionaryForm, initial_rows

COLUMNS_CHANGED = gettext_lazy("Die Spalten der Datei haben sich inzwischen geändert. Bitte laden Sie die Seite neu.")


def _table_for(request, identifier):
    """The dataset (404 unless the user sees it, 403 unless they may edit it), its pending
    change and the table's entry of dictionary.staff_view."""
    dataset_name = Distribution.objects.filter(identifier=identifier).values_list("dataset__name", flat=True).first()
    if dataset_name is None:
        raise Http404
    dataset = permissions.get_dataset_for_user(request.user, dataset_name, edit=True)
    change = services.active_change(dataset) if services.under_change_control(dataset) else None
    for item in dictionary.staff_view(dataset, change):
        if str(item["distribution"].identifier) == str(identifier):
            return dataset, change, item
    raise Http404  # not a table of the dataset (a link, a withdrawn or proposed-elsewhere file)


@catalog_required
@require_http_methods(["GET", "POST"])
def edit(request, identifier):
    dataset, change, table = _table_for(request, identifier)
    columns = table["columns"]
    data = request.POST if request.method == "POST" else None
    form = DictionaryForm(data, initial={"version": services.edit_version(dataset)})
    formset = ColumnFormSet(data, initial=initial_rows(columns), prefix="spalten")
    current = {}
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        if [row.cleaned_data["name"] for row in formset] != [column["name"] for column in columns]:
            form.add_error(None, COLUMNS_CHANGED)
        else:
            entries = {row.cleaned_data["name"]: row.entry() for row in formset}
            try:
                outcome = dictionary.save(table["distribution"], entries, by=request.user,
                                          expected_version=form.cleaned_data["version"])  # fmt: skip
            except ConflictError as error:
                # Nothing lost: the page keeps what was typed, shows what is stored now beside
                # it, and carries the current version, so saving again is a deliberate choice.
                form.add_error(None, f"{error} " + _("Ihre Eingaben stehen unten; wo inzwischen etwas anderes "
                                                    "gespeichert ist, steht es daneben. Prüfen Sie und speichern Sie "
                                                    "erneut."))  # fmt: skip
                form = _refreshed(form, dataset)
                current = _stored(request, identifier, entries)
            except (CatalogError, ValidationError) as error:
                add_errors(form, error)
            else:
                if outcome == "proposed":
                    change = services.active_change(dataset)
                    messages.success(request, PENDING_SAVED % {"number": change.number})
                    return redirect(change)
                if outcome == "changed":
                    messages.success(request, _("Das Datenlexikon wurde als neue Version gespeichert."))
                else:
                    messages.info(request, _("Sie haben nichts geändert; es wurde keine neue Version gespeichert."))
                return redirect(f"{dataset.get_absolute_url()}#datenlexikon")
    rows = [(row, column, current.get(column["name"])) for row, column in zip(formset, columns, strict=False)]
    return render(
        request,
        "datastore/dictionary/edit.html",
        {
            "dataset": dataset,
            "change": change,
            "table": table,
            "form": form,
            "formset": formset,
            "rows": rows,
            "change_control": services.under_change_control(dataset),
        },
    )


def _refreshed(form, dataset):
    """The form with its errors and the dataset's current version."""
    data = form.data.copy()
    data["version"] = services.edit_version(dataset)
    fresh = DictionaryForm(data)
    fresh.is_valid()
    for error in form.non_field_errors():
        fresh.add_error(None, error)
    return fresh


def _stored(request, identifier, entries):
    """What is stored now (with the pending change) where it differs from what was typed."""
    _dataset, _change, table = _table_for(request, identifier)
    stored = {}
    for column in table["columns"]:
        entry = {field: column[field] for field in dictionary.ENTRY_FIELDS}
        if entries.get(column["name"]) != entry:
            stored[column["name"]] = entry
    return stored
