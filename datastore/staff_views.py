"""The steward's pages for the charts of a table, reached from the internal dataset page
(its section "Diagramme"). Who may: whoever may change the dataset
(catalog.permissions.get_dataset_for_user with edit=True: 404 for a dataset the person
does not see, 403 for one they only read). The writes are datastore.charts'."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from catalog.models import Distribution
from catalog.permissions import get_dataset_for_user
from catalog.views import catalog_required
from core.forms import add_errors

from . import charts, dictionary
from .forms import ChartForm
from .models import ChartView, DataTable


def _distribution_for(request, identifier) -> Distribution:
    """The distribution, if the person may change its dataset (404 / 403 otherwise)."""
    distribution = get_object_or_404(Distribution.objects.select_related("dataset"), identifier=identifier)
    dataset = get_dataset_for_user(request.user, distribution.dataset.name, edit=True)
    distribution.dataset = dataset
    return distribution


def _table_of(distribution) -> DataTable:
    """The loaded table: a chart is configured against its columns."""
    table = DataTable.objects.filter(distribution=distribution).exclude(table_name="").first()
    if table is None:
        raise Http404(_("Die Tabelle ist (noch) nicht abfragbar."))
    table.distribution = distribution
    return table


def _back(distribution) -> str:
    return f"{distribution.dataset.get_absolute_url()}#diagramme-{distribution.pk}"


@catalog_required
@require_http_methods(["GET", "HEAD", "POST"])
def chart_create(request, identifier):
    distribution = _distribution_for(request, identifier)
    table = _table_of(distribution)
    chart = ChartView(distribution=distribution, position=charts.next_position(distribution.pk))
    return _chart_form(request, table, chart)


@catalog_required
@require_http_methods(["GET", "HEAD", "POST"])
def chart_edit(request, identifier, pk):
    distribution = _distribution_for(request, identifier)
    table = _table_of(distribution)
    chart = get_object_or_404(ChartView, distribution=distribution, pk=pk)
    return _chart_form(request, table, chart)


def _chart_form(request, table, chart):
    created = chart.pk is None
    title = chart.title
    described = dictionary.descriptions(table)
    # The preview shows the stored chart as the portal shows it (before the form changes it).
    preview = None if created else charts.figures(table, [chart], count=False)[0]
    form = ChartForm(request.POST or None, instance=chart, table=table, described=described)
    if request.method == "POST" and form.is_valid():
        try:
            charts.save_chart(form.save(commit=False), table, by=request.user)
        except ValidationError as error:
            add_errors(form, error)
        else:
            text = _("Das Diagramm „%(title)s“ wurde angelegt.") if created else _(
                "Das Diagramm „%(title)s“ wurde gespeichert.")  # fmt: skip
            messages.success(request, text % {"title": chart.title})
            return redirect("datastore-staff:chart_edit", table.distribution.identifier, chart.pk)
    return render(
        request,
        "datastore/staff/chart_form.html",
        {"form": form, "chart": chart, "title": title, "created": created, "table": table,
         "distribution": table.distribution, "dataset": table.distribution.dataset, "preview": preview},
    )  # fmt: skip


@catalog_required
@require_POST
def chart_delete(request, identifier, pk):
    """Charts of a table that is no longer loaded can be removed too."""
    distribution = _distribution_for(request, identifier)
    chart = get_object_or_404(ChartView, distribution=distribution, pk=pk)
    charts.delete_chart(chart, by=request.user)
    messages.success(request, _("Das Diagramm „%(title)s“ wurde entfernt.") % {"title": chart.title})
    return redirect(_back(distribution))
