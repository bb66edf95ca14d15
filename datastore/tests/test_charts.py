"""Charts the steward configures for a table (issue 24): a configuration the table cannot
answer is refused field by field in German; every change leaves a version and a journal
event with its reason; only whoever may change the dataset manages its charts; the
figures are what the test computes from the file; the public include shows a drawing,
its data as a table and its figures as JSON, in a pinned number of queries."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.urls import reverse

from catalog.models import Dataset
from datastore import charts, loader
from datastore.models import ChartView, ColumnDescription, DataTable
from datastore.permissions import queryable_table
from datastore.tests.conftest import CSV, publish_table
from governance.models import AuditEvent

pytestmark = pytest.mark.django_db

ROWS = list(csv.DictReader(io.StringIO(CSV), delimiter=";"))


def number(text):
    return Decimal(text.replace(".", "").replace(",", ".")) if text else None


def make_chart(table, by, **fields):
    values = {"title": "Einwohner je Stadtteil", "kind": "bar", "category": "Stadtteil", "measure": "sum",
              "value": "Anzahl", "sort": "category", "limit": 20, **fields}  # fmt: skip
    return charts.save_chart(ChartView(**values), table, by=by)


def errors_of(table, **fields):
    values = {"title": "Diagramm", "kind": "bar", "category": "Stadtteil", "measure": "count", "value": "",
              "sort": "category", "limit": 20, **fields}  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        charts.validate(ChartView(distribution=table.distribution, **values), table)
    return refused.value.message_dict


def create_url(table):
    return reverse("datastore-staff:chart_create", args=[table.distribution.identifier])


def edit_url(chart):
    return reverse("datastore-staff:chart_edit", args=[chart.distribution.identifier, chart.pk])


def delete_url(chart):
    return reverse("datastore-staff:chart_delete", args=[chart.distribution.identifier, chart.pk])


def form_data(**fields):
    return {"title": "Fläche je Stadtteil", "kind": "bar", "category": "Stadtteil", "measure": "sum",
            "value": "Fläche in km²", "sort": "category", "limit": "20", "position": "0", **fields}  # fmt: skip


# ---------------------------------------------------------------------------
# Checking a configuration


def test_a_configuration_the_table_cannot_answer_is_refused_field_by_field(table):
    assert errors_of(table, category="Einwohner") == {"category": ["Bitte wählen Sie eine Spalte der Tabelle."]}
    assert errors_of(table, measure="sum", value="Stadtteil") == {
        "value": ["„Summe“ geht nur über Zahlenspalten; „Stadtteil“ ist eine Spalte vom Typ Text."]
    }
    assert errors_of(table, measure="avg", value="Stichtag")["value"] == [
        "„Durchschnitt“ geht nur über Zahlenspalten; „Stichtag“ ist eine Spalte vom Typ Datum."
    ]
    assert errors_of(table, measure="max", value="") == {
        "value": ["Für „Größter Wert“ wählen Sie bitte die Spalte, über die sie gebildet wird."]
    }
    assert errors_of(table, measure="min", value="Gibt es nicht") == {
        "value": ["Bitte wählen Sie eine Spalte der Tabelle."]
    }
    assert errors_of(table, kind="pie", measure="avg", value="Anzahl", limit=8) == {
        "measure": ["Ein Kreisdiagramm zeigt Anteile an einem Ganzen: Bitte wählen Sie Anzahl oder Summe."]
    }
    assert errors_of(table, kind="pie", limit=9) == {
        "limit": ["Ein Kreisdiagramm zeigt höchstens 8 Stücke, damit man sie unterscheiden kann."]
    }
    assert errors_of(table, limit=51)["limit"] == ["Dieser Wert muss kleiner oder gleich 50 sein."]
    assert errors_of(table, limit=0)["limit"] == ["Dieser Wert muss größer oder gleich 1 sein."]
    assert errors_of(table, title="")["title"] == ["Dieses Feld darf nicht leer sein."]
    assert errors_of(table, kind="radar")["kind"] == ["Wert 'radar' ist keine gültige Option."]


def test_min_and_max_take_any_column_and_a_count_forgets_its_column(table, flow_a):
    make_chart(table, flow_a.steward, measure="max", value="Stichtag")
    chart = make_chart(table, flow_a.steward, measure="count", value="Anzahl")
    assert chart.value == ""


def test_the_form_shows_the_refusals_at_their_fields_and_stores_nothing(client_for, table, flow_a):
    client = client_for(flow_a.steward)
    response = client.post(create_url(table), form_data(value="Bemerkung", limit="500"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_limit_error"' in html
    assert "Dieser Wert muss kleiner oder gleich 50 sein." in html
    response = client.post(create_url(table), form_data(value="Bemerkung"))
    assert 'id="id_value_error"' in response.content.decode()
    assert "„Summe“ geht nur über Zahlenspalten; „Bemerkung“ ist eine Spalte vom Typ Text." in response.content.decode()
    for hostile in ({"category": "'; DROP TABLE x; --"}, {"value": "c1"}, {"measure": "sum(1)"},
                    {"title": "x" * 300}, {"position": "-1"}, {"sort": "-Anzahl"}):  # fmt: skip
        assert client.post(create_url(table), form_data(**hostile)).status_code == 200
    assert not ChartView.objects.exists()


def test_the_form_offers_the_columns_with_their_dictionary_titles(client_for, table, flow_a):
    ColumnDescription.objects.create(distribution=table.distribution, name="Anzahl", title="Einwohnerzahl")
    html = client_for(flow_a.steward).get(create_url(table)).content.decode()
    assert '<option value="Anzahl">Einwohnerzahl – Anzahl (Ganzzahl)</option>' in html
    assert '<option value="Stadtteil">Stadtteil (Text)</option>' in html


# ---------------------------------------------------------------------------
# Versions and journal


def test_create_change_and_delete_leave_versions_and_journal_events(client_for, table, flow_a):
    client = client_for(flow_a.steward)
    response = client.post(create_url(table), form_data())
    chart = ChartView.objects.get()
    assert response.status_code == 302
    assert response["Location"] == edit_url(chart)
    assert chart.created_by == flow_a.steward
    assert (chart.distribution_id, chart.value, chart.limit) == (table.distribution_id, "Fläche in km²", 20)

    response = client.post(edit_url(chart), form_data(title="Fläche", kind="line", sort="value_desc"))
    assert response.status_code == 302
    chart.refresh_from_db()
    assert (chart.title, chart.kind, chart.sort) == ("Fläche", "line", "value_desc")

    response = client.post(delete_url(chart))
    assert response.status_code == 302
    assert response["Location"].endswith(f"#diagramme-{table.distribution_id}")
    assert not ChartView.objects.exists()

    versions = ChartView.history.filter(id=chart.pk).order_by("history_id")
    assert [(v.history_type, v.history_change_reason, v.history_user) for v in versions] == [
        ("+", "datastore.chart.created", flow_a.steward),
        ("~", "datastore.chart.changed", flow_a.steward),
        ("-", "datastore.chart.removed", flow_a.steward),
    ]
    events = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(ChartView), object_id=str(chart.pk)
    ).order_by("seq")
    assert [(event.action, event.reason, event.actor) for event in events] == [
        ("create", "datastore.chart.created", flow_a.steward),
        ("update", "datastore.chart.changed", flow_a.steward),
        ("delete", "datastore.chart.removed", flow_a.steward),
    ]
    # Filed under the publisher, so the organisation's auditors see them.
    assert {event.organisation_id for event in events} == {table.distribution.dataset.publisher_id}
    assert [event.version_id for event in events] == [version.pk for version in versions]


def test_the_reasons_read_as_words_in_the_history():
    from governance.history import describe_change_reason

    assert describe_change_reason("datastore.chart.created") == "Diagramm angelegt"
    assert describe_change_reason("datastore.chart.changed") == "Diagramm geändert"
    assert describe_change_reason("datastore.chart.removed") == "Diagramm entfernt"


# ---------------------------------------------------------------------------
# Who may


def test_only_whoever_may_change_the_dataset_manages_its_charts(client, client_for, table, flow_a, org_a, owner_a,
                                                                steward_b, outsider):  # fmt: skip
    chart = make_chart(table, flow_a.steward)
    urls = [("get", create_url(table)), ("post", create_url(table)), ("get", edit_url(chart)),
            ("post", edit_url(chart)), ("post", delete_url(chart))]  # fmt: skip
    for method, url in urls:
        response = getattr(client, method)(url, form_data(title="Anonym"))
        assert response.status_code == 302, url
        assert response["Location"].startswith("/konto/anmelden/"), url
    expected = {owner_a: 403, steward_b: 404, outsider: 403}  # reads the dataset / sees it not / no catalog
    for user, status in expected.items():
        client = client_for(user)
        for method, url in urls:
            assert getattr(client, method)(url, form_data(title="Fremd")).status_code == status, (user, url)
    assert ChartView.objects.get().title == "Einwohner je Stadtteil"
    assert ChartView.history.count() == 1

    steward = client_for(flow_a.steward)
    assert steward.get(create_url(table)).status_code == 200
    assert steward.get(edit_url(chart)).status_code == 200
    # A chart is reached only through its own table.
    other = publish_table(flow_a, org_a, "bezirke", content=CSV.encode())[1]
    assert steward.get(reverse("datastore-staff:chart_edit", args=[other.distribution.identifier, chart.pk])
                       ).status_code == 404  # fmt: skip


def test_a_table_that_is_not_loaded_takes_no_new_chart_but_its_charts_can_be_removed(client_for, table, flow_a):
    chart = make_chart(table, flow_a.steward)
    loader.withdraw(table.distribution_id)
    client = client_for(flow_a.steward)
    assert client.get(create_url(table)).status_code == 404
    assert client.get(edit_url(chart)).status_code == 404
    assert client.post(delete_url(chart)).status_code == 302
    assert not ChartView.objects.exists()


# ---------------------------------------------------------------------------
# The figures


def test_the_figures_are_what_the_file_says(table, flow_a):
    chart = make_chart(table, flow_a.steward)
    data = charts.chart_data(chart, table)
    sums = {}
    for row in ROWS:
        if row["Anzahl"]:
            sums[row["Stadtteil"]] = sums.get(row["Stadtteil"], 0) + int(row["Anzahl"])
    expected = sorted({row["Stadtteil"] for row in ROWS})
    assert data["labels"] == expected
    assert data["values"] == [sums.get(name) for name in expected]
    assert data["table"] == [{"label": "Mitte", "value": "1.234"}, {"label": "Nord", "value": "56"},
                             {"label": "Ost", "value": "7"}, {"label": "Süd", "value": "–"}]  # fmt: skip
    assert (data["category_label"], data["measure_label"], data["truncated"]) == (
        "Stadtteil",
        "Summe von Anzahl",
        False,
    )

    chart.measure, chart.value, chart.sort, chart.limit = "sum", "Fläche in km²", "value_desc", 2
    data = charts.chart_data(chart, table)
    areas = sorted(((number(row["Fläche in km²"]), row["Stadtteil"]) for row in ROWS), reverse=True)[:2]
    assert data["labels"] == [name for _area, name in areas]
    assert data["values"] == [float(area) for area, _name in areas]
    assert [row["value"] for row in data["table"]] == ["1.000,25", "12,5"]
    assert data["truncated"] is True

    chart.category, chart.measure, chart.value, chart.sort, chart.limit = "Bemerkung", "count", "", "category", 20
    data = charts.chart_data(chart, table)
    remarks = [row["Bemerkung"] for row in ROWS]
    assert dict(zip(data["labels"], data["values"], strict=True)) == {
        "Größe unbekannt": 1, "Straße gesperrt": 1, "(ohne Angabe)": remarks.count("")
    }  # fmt: skip

    chart.category, chart.measure, chart.value = "Stichtag", "avg", "Anzahl"
    data = charts.chart_data(chart, table)
    assert data["labels"] == ["15.06.2024", "31.12.2024", "01.01.2025", "(ohne Angabe)"]
    assert data["values"] == [None, 1234, 56, 7]


def test_the_number_of_categories_is_bounded(table, flow_a, django_assert_max_num_queries):
    chart = make_chart(table, flow_a.steward, category="PLZ", measure="count", value="", limit=3)
    data = charts.chart_data(chart, table)
    assert len(data["labels"]) == 3
    assert data["truncated"] is True
    chart.limit = 10_000  # past the form: the query is bounded all the same
    assert charts.build_query(chart, table).limit == charts.MAX_CATEGORIES


def test_a_chart_that_no_longer_fits_its_table_is_not_shown(table, flow_a):
    chart = make_chart(table, flow_a.steward)
    DataTable.objects.filter(pk=table.pk).update(columns=[c for c in table.columns if c["id"] != "Anzahl"])
    table.refresh_from_db()
    with pytest.raises(charts.ChartUnavailable):
        charts.chart_data(chart, table)
    assert charts.figures(table, [chart]) == [{"chart": chart, "data": None}]


def test_the_charts_count_once_as_a_query_of_the_table(table, flow_a):
    from datastore.signals import table_queried

    make_chart(table, flow_a.steward)
    make_chart(table, flow_a.steward, title="Zweites")
    heard = []

    def listen(sender, dataset_id, **kwargs):
        heard.append(dataset_id)

    table_queried.connect(listen)
    try:
        render_include(queryable_table(table.distribution.identifier))
        charts.chart_data(ChartView.objects.first(), table)
    finally:
        table_queried.disconnect(listen)
    assert heard == [table.distribution.dataset_id] * 2


# ---------------------------------------------------------------------------
# The public include


def render_include(table):
    return Template('{% include "datastore/includes/charts.html" %}').render(Context({"table": table}))


def test_the_include_shows_each_chart_with_its_table_and_figures(table, flow_a):
    chart = make_chart(table, flow_a.steward)
    pie = make_chart(table, flow_a.steward, title="Zeilen je Bemerkung", kind="pie", category="Bemerkung",
                     measure="count", value="", limit=8)  # fmt: skip
    html = render_include(queryable_table(table.distribution.identifier))
    assert html.count("<canvas") == 2
    assert (
        f'<canvas data-datastore-chart="datastore-chart-{chart.pk}-data" role="img" '
        'aria-label="Balkendiagramm: Summe von Anzahl je Stadtteil. Die Zahlen stehen in der Tabelle darunter.">'
    ) in html
    assert 'aria-label="Kreisdiagramm: Anzahl der Zeilen je Bemerkung.' in html
    assert f'<h3 class="kern-heading-small" id="datastore-chart-{chart.pk}-title">Einwohner je Stadtteil</h3>' in html
    assert (
        f'<caption class="kern-sr-only" id="datastore-chart-{chart.pk}-caption">Einwohner je Stadtteil</caption>'
        in html
    )
    assert (
        '<th scope="row" class="kern-table__header">Mitte</th>'
        '<td class="kern-table__cell kern-table__cell--numeric">1.234</td>' in html
    )
    assert "Daten als Tabelle" in html
    start = html.index(f'id="datastore-chart-{pie.pk}-data" type="application/json">')
    payload = html[html.index(">", start) + 1 : html.index("</script>", start)]
    assert json.loads(payload) == {
        "kind": "pie", "labels": ["(ohne Angabe)", "Größe unbekannt", "Straße gesperrt"], "values": [2, 1, 1],
        "measure": "Anzahl der Zeilen", "category": "Bemerkung",
    }  # fmt: skip
    assert "js/datastore-charts.js" in html
    assert "vendor/chartjs/chart.umd.min.js" in html


def test_the_include_shows_nothing_without_charts_or_for_a_table_that_is_not_public(table, flow_a):
    assert render_include(queryable_table(table.distribution.identifier)).strip() == ""
    assert render_include(None).strip() == ""
    make_chart(table, flow_a.steward)
    flow_a.step("withdraw", Dataset.objects.get(pk=table.distribution.dataset_id), flow_a.owner, reasons="Veraltet.")
    table = DataTable.objects.select_related("distribution__dataset").get(pk=table.pk)  # not yet dropped
    assert render_include(table).strip() == ""


def test_the_include_with_three_charts_takes_a_fixed_number_of_queries(table, flow_a, django_assert_num_queries):
    for title in ("Eins", "Zwei", "Drei"):
        make_chart(table, flow_a.steward, title=title)
    public = queryable_table(table.distribution.identifier)
    # The charts, the data dictionary, and per chart its group query in a read-only
    # transaction of its own (savepoint, read-only with the reader role and timeout, the
    # SELECT, rollback to the savepoint, release): 2 + 3 × 5; the page's one usage count
    # (portal.usage: the upsert, here in a savepoint: 3).
    with django_assert_num_queries(2 + 3 * 5 + 3):
        html = render_include(public)
    assert html.count("<canvas") == 3


# ---------------------------------------------------------------------------
# The internal dataset page


def test_the_dataset_page_lists_the_charts_with_their_links(client_for, table, flow_a, owner_a):
    chart = make_chart(table, flow_a.steward)
    dataset = table.distribution.dataset
    html = client_for(flow_a.steward).get(dataset.get_absolute_url()).content.decode()
    assert '<h2 class="kern-heading-medium" id="diagramme">Diagramme</h2>' in html
    assert create_url(table) in html
    assert edit_url(chart) in html
    assert delete_url(chart) in html
    html = client_for(owner_a).get(dataset.get_absolute_url()).content.decode()
    assert "Einwohner je Stadtteil" in html
    assert create_url(table) not in html
    assert edit_url(chart) not in html


def test_the_edit_page_previews_the_chart(client_for, table, flow_a):
    chart = make_chart(table, flow_a.steward)
    html = client_for(flow_a.steward).get(edit_url(chart)).content.decode()
    assert "So zeigt das Portal das Diagramm" in html
    assert f'data-datastore-chart="datastore-chart-{chart.pk}-data"' in html


def test_the_dataset_page_needs_the_same_queries_for_one_chart_and_many(client_for, table, flow_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(flow_a.steward)
    page = table.distribution.dataset.get_absolute_url()
    make_chart(table, flow_a.steward)
    client.get(page)  # warm-up: guardian caches content types per process
    with CaptureQueriesContext(connection) as one:
        client.get(page)
    for title in ("Zwei", "Drei", "Vier"):
        make_chart(table, flow_a.steward, title=title)
    with CaptureQueriesContext(connection) as many:
        assert "Vier" in client.get(page).content.decode()
    assert len(many) == len(one)
