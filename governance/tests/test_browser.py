"""A person signs in with a real browser: German first, English on request, no
content-security-policy violations, no WCAG 2.1 AA violations found by axe-core."""

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD, axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_steward_signs_in_and_finds_their_roles(page, steward_a, org_a):
    page.goto("/konto/anmelden/?next=/intern/")
    assert axe_violations(page) == []
    page.get_by_label("Benutzername").fill("steward-a")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()

    page.wait_for_url("**/intern/")
    assert page.locator("h1").inner_text() == "Aufgaben"
    navigation = page.get_by_role("navigation", name="Hauptnavigation")
    expect(navigation.get_by_role("link", name="Governance")).to_be_visible()
    assert "Datenverantwortliche:r" in page.content()
    screenshot(page, "aufgaben-de")
    assert axe_violations(page) == []

    page.get_by_role("link", name="Governance").click()
    page.get_by_role("link", name="Stadt A").click()
    assert page.locator("h1").inner_text() == "Stadt A"
    screenshot(page, "organisation-de")

    page.get_by_role("button", name="English").click()
    assert page.locator("h1").inner_text() == "Stadt A"
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="Tasks").click()
    assert page.locator("h1").inner_text() == "Tasks"
    screenshot(page, "tasks-en")
    assert page.console_errors == []
