"""The table explorer in a real browser (issue 24): a citizen opens the dataset page,
follows „Tabelle durchsuchen“, filters, sorts by a heading, pages, reads the API example
of the view and runs it against the running portal; axe-core finds no WCAG 2.1 A/AA
violations and the browser reports no errors (a CSP violation would show there)."""

import pytest
import requests
from playwright.sync_api import expect

from conftest import axe_violations, screenshot
from datastore import charts
from datastore.models import ChartView
from datastore.tests.conftest import publish_table

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def districts(count):
    lines = ["Stadtteil;Anzahl;Fläche in km²;Stichtag"]
    lines += [f"Bezirk {n:02d};{n * 111};{n},5;{n % 28 + 1:02d}.03.2024" for n in range(1, count + 1)]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_a_citizen_filters_sorts_pages_and_runs_the_api_example(page, live_server, flow_a, org_a):
    dataset, table = publish_table(flow_a, org_a, "stadtteile", content=districts(40))
    charts.save_chart(
        ChartView(title="Anzahl je Stadtteil", kind="bar", category="Stadtteil", measure="sum", value="Anzahl",
                  sort="value_desc", limit=10),
        table, by=flow_a.steward,
    )  # fmt: skip
    page.goto(f"/datensatz/{dataset.name}/")
    page.get_by_role("link", name="Tabelle durchsuchen").click()
    expect(page.locator("h1")).to_contain_text("Tabelle durchsuchen")
    expect(page.get_by_role("heading", name="40 Zeilen gefunden")).to_be_visible()
    assert axe_violations(page) == []

    # Filter: Anzahl from 1.000 on (German number input), then sort by Anzahl descending.
    page.get_by_label("Spalte", exact=True).first.select_option("Anzahl")
    page.get_by_label("Vergleich", exact=True).first.select_option(label="ab")
    page.get_by_label("Wert", exact=True).first.fill("1.000")
    page.get_by_role("button", name="Anwenden").click()
    expect(page.get_by_role("heading", name="31 Zeilen gefunden")).to_be_visible()
    page.get_by_role("link", name="Anzahl", exact=False).first.click()
    expect(page.locator("th[aria-sort='ascending']")).to_contain_text("Anzahl")
    page.get_by_role("link", name="Anzahl", exact=False).first.click()
    expect(page.locator("th[aria-sort='descending']")).to_contain_text("Anzahl")
    first_cells = page.locator("#explorer-rows tbody tr td:nth-child(2)")
    expect(first_cells.first).to_have_text("4.440")
    assert "kern-table__cell--numeric" in first_cells.first.get_attribute("class")

    # Page: 25 of 31, then the last 6, then back to the first page.
    expect(page.locator("#explorer-rows tbody tr")).to_have_count(25)
    page.get_by_role("link", name="Weiter").click()
    expect(page.get_by_text("Zeilen 26 bis 31 von 31")).to_be_visible()
    expect(page.locator("#explorer-rows tbody tr")).to_have_count(6)
    expect(first_cells.last).to_have_text("1.110")
    screenshot(page, "datastore-explorer")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Erste Seite").click()
    expect(page.get_by_text("Zeilen 1 bis 25 von 31")).to_be_visible()

    # The chart the steward configured: drawn, its figures as a table one click away.
    page.get_by_role("link", name="Zu den Diagrammen dieser Tabelle").click()
    expect(page.get_by_role("heading", name="Anzahl je Stadtteil")).to_be_visible()
    expect(page.locator("canvas[data-datastore-chart]")).to_be_visible()
    page.get_by_text("Daten als Tabelle").click()
    rows = page.locator(".sd-portal-chart__table tbody tr")
    expect(rows).to_have_count(10)
    expect(rows.first).to_contain_text("Bezirk 40")
    assert axe_violations(page) == []

    # The API box: the curl command of this very view, run against the running portal.
    curl = page.locator("#explorer-code-curl").inner_text()
    assert curl.startswith(f"curl -s '{live_server.url}/api/v1/tables/")
    url = curl.removeprefix("curl -s '").removesuffix("'")
    assert url == page.locator("#explorer-code-url").inner_text()
    body = requests.get(url, timeout=30).json()
    counts = [record["Anzahl"] for record in body["records"]]
    assert counts == sorted((n * 111 for n in range(1, 41) if n * 111 >= 1000), reverse=True)[:25]
    assert body["next"]
    # The copy button is shown where the browser can copy (JavaScript and a clipboard).
    copy = page.get_by_role("button", name="Kopieren (curl-Befehl)")
    expect(copy).to_be_visible()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy.click()
    expect(page.locator(".sd-copy-status")).to_have_text("In die Zwischenablage kopiert.")
    assert page.evaluate("navigator.clipboard.readText()") == curl
    assert page.console_errors == []
