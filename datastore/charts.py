"""Charts the steward configures for a table (ChartView): checked against the table's
columns, saved with a version and a journal event, and computed through the table's
query language (datastore.query: one bounded group query per chart, never SQL of its
own), so a chart can show nothing the query API would not answer.

Charts are presentation, not data: they pass no review. A chart shows figures anyone may
compute from the public table with the query API; what it adds is a title and a choice of
columns. Every change is still versioned and journaled (who, when, what), and a steward
who may change the dataset is the only one who may change its charts.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import transitions

from . import dictionary, engine, query
from .models import ChartKind, ChartMeasure, ChartSort, ChartView, DataTable

MAX_CATEGORIES = 50
# A pie shows parts of a whole: few enough pieces to tell apart (one colour each).
MAX_PIE_PIECES = 8
# Measures that add up to a whole, the only ones a pie can show.
PIE_MEASURES = (ChartMeasure.COUNT, ChartMeasure.SUM)
DECIMALS = 2

CREATED = "datastore.chart.created"
CHANGED = "datastore.chart.changed"
REMOVED = "datastore.chart.removed"
# For the journal and the version history (registered in DatastoreConfig.ready).
REASON_LABELS = {
    CREATED: gettext_lazy("Diagramm angelegt"),
    CHANGED: gettext_lazy("Diagramm geändert"),
    REMOVED: gettext_lazy("Diagramm entfernt"),
}


class ChartUnavailable(Exception):
    """The chart no longer fits its table (a new file version without its columns) or the
    table did not answer in time: shown as a note instead of the chart."""


# ---------------------------------------------------------------------------
# Checking a configuration


def columns_by_id(table: DataTable) -> dict[str, dict]:
    return {column["id"]: column for column in table.columns}


def validate(chart: ChartView, table: DataTable) -> None:
    """Refuse a configuration the table cannot answer, field by field (German messages):
    the columns must be the table's, sum and average need a number column (the rule of
    query.set_groups, which is asked too), a pie shows a count or sum in a few pieces."""
    if chart.measure == ChartMeasure.COUNT:
        chart.value = ""  # the number of rows needs no column; a stale choice would mislead
    try:
        chart.full_clean(exclude=["distribution", "created_by"])
    except ValidationError as error:
        errors = dict(error.error_dict)
    else:
        errors = {}
    columns = columns_by_id(table)
    if "category" not in errors and chart.category not in columns:
        errors["category"] = [_("Bitte wählen Sie eine Spalte der Tabelle.")]
    if "value" not in errors and chart.measure and chart.measure != ChartMeasure.COUNT:
        measure = ChartMeasure(chart.measure).label
        if not chart.value:
            errors["value"] = [_("Für „%(measure)s“ wählen Sie bitte die Spalte, über die sie gebildet wird.")
                               % {"measure": measure}]  # fmt: skip
        elif chart.value not in columns:
            errors["value"] = [_("Bitte wählen Sie eine Spalte der Tabelle.")]
        elif (
            chart.measure in (ChartMeasure.SUM, ChartMeasure.AVG) and columns[chart.value]["type"] not in query.NUMERIC
        ):
            errors["value"] = [
                _("„%(measure)s“ geht nur über Zahlenspalten; „%(column)s“ ist eine Spalte vom Typ %(type)s.")
                % {"measure": measure, "column": chart.value, "type": query.type_label(columns[chart.value]["type"])}
            ]
    if chart.kind == ChartKind.PIE and "measure" not in errors and chart.measure not in PIE_MEASURES:
        errors["measure"] = [_("Ein Kreisdiagramm zeigt Anteile an einem Ganzen: Bitte wählen Sie Anzahl oder Summe.")]
    if chart.kind == ChartKind.PIE and "limit" not in errors and (chart.limit or 0) > MAX_PIE_PIECES:
        errors["limit"] = [_("Ein Kreisdiagramm zeigt höchstens %(n)s Stücke, damit man sie unterscheiden kann.")
                           % {"n": MAX_PIE_PIECES}]  # fmt: skip
    if not errors:
        try:
            build_query(chart, table)  # the query language's own rules, as the API applies them
        except query.QueryError as error:
            errors["value" if error.parameter == "agg" else "category"] = [error.message]
    if errors:
        raise ValidationError(errors)


def aggregate_text(chart: ChartView) -> str:
    """The measure in the query language: "count", "sum:Spalte", …"""
    return "count" if chart.measure == ChartMeasure.COUNT else f"{chart.measure}:{chart.value}"


def build_query(chart: ChartView, table: DataTable) -> query.Query:
    """The group query of the chart: the measure per category, at most `limit` categories
    (and never more than MAX_CATEGORIES), by category or by value."""
    built = query.Query(columns=table.columns)
    query.set_groups(built, [chart.category], [aggregate_text(chart)])
    if chart.sort == ChartSort.VALUE_DESC:
        query.set_sort(built, f"-{built.aggregates[0].label}")
    query.set_limit(built, max(1, min(chart.limit or 1, MAX_CATEGORIES)))
    return built


# ---------------------------------------------------------------------------
# Saving


def save_chart(chart: ChartView, table: DataTable, *, by, person_text: str = "") -> ChartView:
    """Create or change a chart of `table` (checked first): a version and a journal event
    with the reason datastore.chart.created or .changed."""
    created = chart.pk is None
    if created:
        chart.distribution_id = table.distribution_id
        chart.created_by = by
    elif chart.distribution_id != table.distribution_id:
        raise ValueError("the chart belongs to another table")
    validate(chart, table)
    with transaction.atomic():
        transitions.stamp(chart, by=by, reason=CREATED if created else CHANGED, person_text=person_text)
        chart.save()
    return chart


def delete_chart(chart: ChartView, *, by, person_text: str = "") -> None:
    """Remove a chart: its last version (datastore.chart.removed) and journal event stay."""
    with transaction.atomic():
        transitions.stamp(chart, by=by, reason=REMOVED, person_text=person_text)
        chart.delete()


def next_position(distribution_id: int) -> int:
    last = ChartView.objects.filter(distribution_id=distribution_id).order_by("-position").first()
    return last.position + 1 if last else 0


# ---------------------------------------------------------------------------
# The figures


def _number(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-DECIMALS), rounding=ROUND_HALF_UP).normalize()


def _json_number(number: Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)


def display_number(value) -> str:
    """A figure in German: grouped thousands, a decimal comma, at most two decimals."""
    if value is None:
        return "–"
    number = _number(value)
    places = max(0, -number.as_tuple().exponent)
    return formats.number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True)


def display_label(column: dict, value) -> str:
    """A category for people: empty cells named, numbers, dates and yes/no in German."""
    if value is None or value == "":
        return _("(ohne Angabe)")
    kind = column["type"]
    if kind in query.NUMERIC:
        return display_number(value)
    if kind == "boolean":
        return _("ja") if value else _("nein")
    if kind == "date":
        parsed = parse_date(str(value))
        return formats.date_format(parsed, "SHORT_DATE_FORMAT") if parsed else str(value)
    if kind == "datetime":
        parsed = parse_datetime(str(value))
        return formats.date_format(parsed, "SHORT_DATETIME_FORMAT") if parsed else str(value)
    return str(value)


def measure_label(chart: ChartView, described: dict | None = None) -> str:
    """What the values are, in words: "Anzahl der Zeilen", "Summe von Einwohner"."""
    if chart.measure == ChartMeasure.COUNT:
        return str(ChartMeasure.COUNT.label)
    return _("%(measure)s von %(column)s") % {
        "measure": ChartMeasure(chart.measure).label,
        "column": column_label(chart.value, described),
    }


def column_label(name: str, described: dict | None = None) -> str:
    description = (described or {}).get(name)
    return (description.title if description else "") or name


def chart_data(chart: ChartView, table: DataTable, *, described: dict | None = None, count: bool = True) -> dict:
    """The chart's figures: {"labels", "values" (numbers for the drawing), "table" (rows
    of label and German figure, the accessible alternative), "truncated" (more categories
    than shown), "category_label", "measure_label"}. `described`: the data dictionary
    (dictionary.descriptions) when several charts of a table are computed; `count`: send
    the usage signal (once per page, not per chart). Raises ChartUnavailable."""
    columns = columns_by_id(table)
    if not table.is_queryable or chart.category not in columns:
        raise ChartUnavailable
    try:
        built = build_query(chart, table)
        result = query.run_groups(table.table_name, built)
    except (query.QueryError, engine.QueryTimeout) as error:
        raise ChartUnavailable from error
    if count:
        dictionary.count_query(table)
    category, measure = columns[chart.category], built.aggregates[0].label
    labels, values, rows = [], [], []
    for record in result.records:
        label = display_label(category, record[chart.category])
        value = record[measure]
        labels.append(label)
        values.append(None if value is None else _json_number(_number(value)))
        rows.append({"label": label, "value": display_number(value)})
    return {
        "labels": labels,
        "values": values,
        "table": rows,
        "truncated": result.truncated,
        "category_label": column_label(chart.category, described),
        "measure_label": measure_label(chart, described),
    }


def figures(table: DataTable, charts: list[ChartView], *, count: bool = True) -> list[dict]:
    """Every chart of a table with its figures (chart_data) for a page: the data dictionary
    read once, one group query per chart, one usage count for all. A chart that no longer
    fits the table comes with `data` None."""
    described = dictionary.descriptions(table) if charts else {}
    result = []
    for chart in charts:
        try:
            data = chart_data(chart, table, described=described, count=False)
        except ChartUnavailable:
            data = None
        result.append({"chart": chart, "data": data})
    if count and any(figure["data"] is not None for figure in result):
        dictionary.count_query(table)
    return result


def column_choices(table: DataTable, described: dict | None = None) -> list[tuple[str, str]]:
    """The table's columns for a select: the name in the file, with the dictionary's
    title and the type ("Einwohner – Einwohnerzahl (Ganzzahl)")."""
    described = dictionary.descriptions(table) if described is None else described
    choices = []
    for column in table.columns:
        title = column_label(column["id"], described)
        text = column["id"] if title == column["id"] else f"{title} – {column['id']}"
        choices.append((column["id"], f"{text} ({query.type_label(column['type'])})"))
    return choices
