"""The charts of a table on a page: `{% table_charts table %}` for the public table page
(templates/datastore/includes/charts.html) and `{% dataset_charts … %}` for the section
"Diagramme" of the internal dataset page. Both read what they need themselves, in a
fixed number of queries (plus one bounded group query per chart)."""

from django import template
from django.utils.translation import gettext as _

from catalog.models import DatasetState, DistributionStatus

from .. import charts
from ..loader import TABULAR_FORMATS
from ..models import ChartKind, ChartView, DataTable

register = template.Library()


def _kind_text(kind: str) -> str:
    return {
        ChartKind.BAR: _("Balkendiagramm"),
        ChartKind.LINE: _("Liniendiagramm"),
        ChartKind.PIE: _("Kreisdiagramm"),
    }.get(kind, _("Diagramm"))


def figure_context(figure: dict) -> dict:
    """What the template of one chart needs: its ids, the description for screen
    readers, the figures for the drawing (json_script) and for the table."""
    chart, data = figure["chart"], figure["data"]
    prefix = f"datastore-chart-{chart.pk}"
    context = {"chart": chart, "data": data, "prefix": prefix, "json_id": f"{prefix}-data"}
    if data is not None:
        words = {"kind": _kind_text(chart.kind), "measure": data["measure_label"], "category": data["category_label"]}
        context["description"] = (
            _("%(kind)s: %(measure)s je %(category)s. Die Zahlen stehen in der Tabelle darunter.") % words
        )
        context["drawing"] = {
            "kind": chart.kind,
            "labels": data["labels"],
            "values": data["values"],
            "measure": data["measure_label"],
            "category": data["category_label"],
        }
    return context


def is_public(table: DataTable) -> bool:
    """Only a table anyone may query shows its charts (datastore.permissions' rule, asked
    of the objects the caller loaded with it)."""
    distribution = table.distribution
    return (
        table.is_queryable
        and distribution.status == DistributionStatus.CURRENT
        and distribution.dataset.state == DatasetState.PUBLISHED
    )


@register.simple_tag
def table_has_charts(table) -> bool:
    """Whether the table has charts (the explorer links to them at its top)."""
    return ChartView.objects.filter(distribution_id=table.distribution_id).exists()


@register.inclusion_tag("datastore/includes/chart_figures.html")
def table_charts(table):
    """The charts of a public table, each with its data table; nothing without charts.
    Queries: the charts, the data dictionary, one group query per chart."""
    figures = []
    if table is not None and is_public(table):
        views = list(ChartView.objects.filter(distribution_id=table.distribution_id))
        if views:
            figures = [figure for figure in charts.figures(table, views) if figure["data"] is not None]
    return {"figures": figures, "table": table}


@register.inclusion_tag("datastore/staff/dataset_charts.html", takes_context=True)
def dataset_charts(context, dataset, distributions, can_edit=False):
    """The section "Diagramme" of the internal dataset page: per queryable table (or
    table with charts) its charts with links to change them. Two queries, none for a
    dataset without uploaded tables."""
    # Only uploaded CSV and XLSX files become tables: a dataset without one costs no query.
    ids = [distribution.pk for distribution in distributions
           if distribution.is_upload and distribution.format in TABULAR_FORMATS]  # fmt: skip
    if not ids:
        return {"sections": []}
    tables = {table.distribution_id: table for table in
              DataTable.objects.filter(distribution_id__in=ids).exclude(table_name="")}  # fmt: skip
    by_distribution = {}
    for chart in ChartView.objects.filter(distribution_id__in=ids):
        by_distribution.setdefault(chart.distribution_id, []).append(chart)
    sections = [
        {"distribution": distribution, "table": tables.get(distribution.pk),
         "charts": by_distribution.get(distribution.pk, [])}
        for distribution in distributions
        if distribution.pk in tables or distribution.pk in by_distribution
    ]  # fmt: skip
    return {"dataset": dataset, "sections": sections, "can_edit": can_edit, "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("datastore/includes/chart_figure.html")
def chart_figure(figure, level=3):
    """One chart (the staff preview shows it as the portal does)."""
    return {**figure_context(figure), "level": level}
