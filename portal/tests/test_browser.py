"""The portal in a real browser: search → dataset → download, a data request, and
axe-core finds no WCAG 2.1 A/AA violations on the public pages; no console errors
(CSP violations would show there)."""

import pytest
from playwright.sync_api import expect

from conftest import axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_dataset_download(page, published, unpublished):
    page.goto("/")
    assert axe_violations(page) == []
    page.get_by_label("Suchbegriff").fill("Baum")
    page.get_by_role("button", name="Suchen").click()
    page.wait_for_url("**/suche/?q=Baum")
    assert page.get_by_role("heading", name="1 Datensatz gefunden").is_visible()
    screenshot(page, "portal-suche")
    assert axe_violations(page) == []

    page.get_by_role("link", name="Baumkataster").click()
    expect(page.locator("h1")).to_have_text("Baumkataster")
    page.get_by_text("Vorschau: die ersten 3 Zeilen").click()
    expect(page.get_by_role("cell", name="Linde")).to_be_visible()
    screenshot(page, "portal-datensatz")
    assert axe_violations(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name="baumkataster (CSV) herunterladen").click()
    assert download.value.suggested_filename.endswith(".csv")

    for path, name in (("/nicht-veroeffentlichte-daten/", "portal-register"), ("/transparenz/", "portal-transparenz")):
        page.goto(path)
        screenshot(page, name)
        assert axe_violations(page) == [], path
    assert page.locator("canvas#chart-organisations").is_visible()
    assert page.console_errors == []


def test_a_citizen_sends_a_data_request(page, db):
    page.goto("/datenwuensche/neu/")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Datenwunsch absenden").click()
    # After a click the answer is a new page: wait for it (expect) rather than look at once.
    expect(page.get_by_text("Bitte prüfen Sie Ihre Eingaben.")).to_be_visible()
    # Issue 22: a title of one word says too little; the receipt is the thanks page with the deadline.
    page.get_by_label("Welche Daten wünschen Sie sich?").fill("Parkhausbelegung")
    page.get_by_label("Beschreibung").fill("Für eine App.")
    page.get_by_label("E-Mail-Adresse").fill("ich@example.org")
    page.get_by_role("button", name="Datenwunsch absenden").click()
    expect(page.get_by_text("Bitte beschreiben Sie in mindestens drei Wörtern").first).to_be_visible()
    page.get_by_label("Welche Daten wünschen Sie sich?").fill("Belegung der Parkhäuser in Echtzeit")
    page.get_by_role("button", name="Datenwunsch absenden").click()
    expect(page.locator("h1")).to_have_text("Danke für Ihren Datenwunsch")
    assert page.get_by_text("„Belegung der Parkhäuser in Echtzeit“ ist bei uns eingegangen").is_visible()
    assert page.get_by_text("also bis spätestens").is_visible()
    screenshot(page, "portal-datenwunsch")
    assert axe_violations(page) == []
    assert page.console_errors == []
