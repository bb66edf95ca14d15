"""Charts in the browser (issue 24): the steward manages them on the internal dataset
page and sees a preview; the public include draws bar, line and pie with Chart.js, keeps
the figures as a table one opens, and without JavaScript shows the table alone. No WCAG
2.1 A/AA violation found by axe-core, no console error (CSP), at 1280 and 390 px.

The public table page is another part of issue 24; until it is there, the include is
shown on a page this module adds to the URL configuration of its own tests."""

import pytest
from django.http import Http404, HttpResponse
from django.template import RequestContext, Template
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns
from conftest import ARTIFACTS, PASSWORD, axe_violations, screenshot
from datastore import charts
from datastore.models import ChartView
from datastore.permissions import queryable_table

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE = Template(
    '{% extends "base.html" %}{% block title %}Tabelle{% endblock %}{% block content %}'
    '<h1 class="kern-heading-large">{{ table.distribution.title }}</h1>'
    '{% include "datastore/includes/charts.html" %}{% endblock %}'
)


def table_page(request, identifier):
    table = queryable_table(identifier)
    if table is None:
        raise Http404
    return HttpResponse(PAGE.render(RequestContext(request, {"table": table})))


urlpatterns = [path("test-tabelle/<uuid:identifier>/", table_page), *site_urlpatterns]


@pytest.fixture
def three_charts(table, flow_a):
    def make(**fields):
        values = {"category": "Stadtteil", "measure": "sum", "value": "Anzahl", "limit": 8, **fields}
        return charts.save_chart(ChartView(**values), table, by=flow_a.steward)

    return [
        make(title="Einwohner je Stadtteil", kind="bar", sort="value_desc"),
        make(title="Fläche je Stichtag", kind="line", category="Stichtag", value="Fläche in km²"),
        make(title="Zeilen je Bemerkung", kind="pie", category="Bemerkung", measure="count", value=""),
    ]


def wait_for_drawings(page, count):
    page.wait_for_function(
        f"document.querySelectorAll('[data-datastore-chart-frame]:not([hidden]) canvas').length === {count}"
    )


@pytest.mark.urls(__name__)
def test_the_public_charts_draw_and_keep_their_tables(page, browser, live_server, table, three_charts):
    url = f"/test-tabelle/{table.distribution.identifier}/"
    page.goto(url)
    wait_for_drawings(page, 3)
    page.wait_for_timeout(500)
    # Drawn: the tables are one click away, by keyboard too.
    assert page.locator("details[data-datastore-chart-table][open]").count() == 0
    summary = page.locator("summary", has_text="Daten als Tabelle").first
    summary.focus()
    page.keyboard.press("Enter")
    assert page.get_by_role("table", name="Einwohner je Stadtteil").is_visible()
    assert page.get_by_role("img", name="Balkendiagramm: Summe von Anzahl je Stadtteil. Die Zahlen stehen in der "
                            "Tabelle darunter.").is_visible()  # fmt: skip
    screenshot(page, "diagramme-1280")
    assert axe_violations(page) == []
    assert page.console_errors == []

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url)
    wait_for_drawings(page, 3)
    page.wait_for_timeout(500)
    screenshot(page, "diagramme-390")
    assert axe_violations(page) == []
    assert page.console_errors == []

    # Without JavaScript the tables are what one sees, and no empty frame.
    context = browser.new_context(base_url=live_server.url, locale="de-DE", java_script_enabled=False,
                                  viewport={"width": 1280, "height": 900})  # fmt: skip
    plain = context.new_page()
    plain.goto(url)
    assert plain.locator("details[data-datastore-chart-table][open]").count() == 3
    assert plain.locator("[data-datastore-chart-frame]:not([hidden])").count() == 0
    assert plain.get_by_role("table", name="Zeilen je Bemerkung").is_visible()
    screenshot(plain, "diagramme-ohne-javascript")
    context.close()


def test_the_steward_manages_the_charts_on_the_dataset_page(page, table, three_charts, flow_a):
    dataset = table.distribution.dataset
    page.goto(f"/konto/anmelden/?next=/intern/datensaetze/{dataset.name}/")
    page.get_by_label("Benutzername").fill(flow_a.steward.username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(f"**/intern/datensaetze/{dataset.name}/")
    section = page.locator("section", has=page.locator("#diagramme"))
    assert "Einwohner je Stadtteil" in section.inner_text()
    screenshot(page, "katalog-diagramme")
    section.screenshot(path=ARTIFACTS / "katalog-diagramme-ausschnitt.png")
    assert axe_violations(page) == []

    section.get_by_role("link", name="Diagramm hinzufügen").click()
    page.get_by_label("Titel", exact=True).fill("Fläche je Stadtteil")
    page.get_by_label("Kategorie", exact=True).select_option("Stadtteil")
    page.get_by_label("Summe", exact=True).check()
    page.get_by_role("button", name="Diagramm anlegen").click()
    assert "Für „Summe“ wählen Sie bitte die Spalte" in page.locator(".kern-alert").inner_text()
    assert axe_violations(page) == []
    page.locator("#id_value").select_option("Fläche in km²")
    page.get_by_role("button", name="Diagramm anlegen").click()
    page.wait_for_url("**/diagramme/*/")
    assert "wurde angelegt" in page.locator("body").inner_text()
    wait_for_drawings(page, 1)
    screenshot(page, "katalog-diagramm-vorschau")
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    wait_for_drawings(page, 1)
    screenshot(page, "katalog-diagramm-vorschau-390")
    assert axe_violations(page) == []
    assert page.console_errors == []
