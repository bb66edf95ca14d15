"""A governance admin sets up the city's CKAN portal as a harvest source in a real
browser, starts a run and reads the report. No content-security-policy violations, no
WCAG 2.1 AA violations found by axe-core."""

import pytest
from playwright.sync_api import expect

from catalog.models import Dataset, Theme
from catalog.tests.ckan_fake import running_fake_ckan
from catalog.vocabularies import DataTheme
from conftest import PASSWORD, axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def themes(db):
    """The EU themes come from a data migration that a transactional test flushes."""
    Theme.objects.bulk_create([Theme(code=code) for code in DataTheme.values], ignore_conflicts=True)


@pytest.fixture
def ckan(settings):
    settings.HARVEST_PAGE_SIZE = 3
    settings.HARVEST_TIMEOUT = (2, 2)
    with running_fake_ckan() as fake:
        yield fake


def test_an_admin_sets_up_a_source_runs_it_and_reads_the_report(page, ckan, org_a, org_a_department, admin_a):
    page.goto("/konto/anmelden/?next=/intern/datensaetze/")
    page.get_by_label("Benutzername").fill("admin-a")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/intern/datensaetze/")

    page.get_by_role("link", name="Harvesting aus CKAN-Portalen").click()
    assert "Es ist noch keine Quelle eingerichtet." in page.content()
    page.get_by_role("link", name="Neue Quelle einrichten").click()
    page.get_by_role("button", name="Quelle einrichten").click()  # empty: errors first
    expect(page.get_by_role("alert")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Bezeichnung").fill("Open-Data-Portal Stadt A")
    page.get_by_label("CKAN-Portal (CKAN-API)").check()
    page.get_by_label("Adresse der Quelle").fill(ckan.url)
    page.get_by_label("Organisation", exact=True).select_option(label="Stadt A")
    page.get_by_label("Zuordnung der Organisationen").fill("gruenflaechenamt = stadt-a-umweltamt")
    page.get_by_label("Verantwortliche Person").select_option(label="Ada Admin (admin-a)")
    screenshot(page, "harvesting-quelle-einrichten")
    page.get_by_role("button", name="Quelle einrichten").click()
    page.wait_for_url("**/intern/datensaetze/harvesting/*/")
    assert "Die Quelle „Open-Data-Portal Stadt A“ ist eingerichtet." in page.content()
    screenshot(page, "harvesting-quelle")
    assert axe_violations(page) == []

    page.get_by_role("button", name="Abruf starten").click()
    page.wait_for_url("**/intern/datensaetze/harvesting/laeufe/*/")
    assert "Abruf abgeschlossen – 2 Datensätze nicht übernommen" in page.content()
    expect(page.get_by_role("heading", name="Nicht übernommen")).to_be_visible()
    expect(page.get_by_role("row", name="wahlergebnisse-2021 – Der Titel fehlt.")).to_be_visible()
    screenshot(page, "harvesting-bericht")
    assert axe_violations(page) == []
    assert Dataset.objects.filter(state="draft").count() == 4

    page.get_by_role("link", name="Zur Quelle").click()
    expect(page.get_by_role("table", name="Die letzten Abrufe, die neuesten zuerst")).to_be_visible()
    screenshot(page, "harvesting-quelle-nach-abruf")
    page.get_by_role("link", name="Harvesting", exact=True).click()
    expect(page.get_by_role("row", name="Open-Data-Portal Stadt A")).to_be_visible()
    screenshot(page, "harvesting-quellen")
    assert axe_violations(page) == []
    assert page.console_errors == []
