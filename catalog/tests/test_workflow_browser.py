"""The publication workflow in a real browser: a steward submits, cannot approve their
own submission even holding the legal reviewer role, a legal reviewer (another person)
approves and publishes. No CSP violations, no WCAG 2.1 AA violations found by axe-core."""

import pytest
from playwright.sync_api import expect

from catalog import services, workflow
from catalog.models import Dataset, DatasetState, Theme
from catalog.tests.conftest import classification_fields, dataset_fields
from catalog.vocabularies import DataTheme
from conftest import PASSWORD, axe_violations, make_role_holder, screenshot
from governance import services as governance
from governance.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def themes(db):
    Theme.objects.bulk_create([Theme(code=code) for code in DataTheme.values], ignore_conflicts=True)


def log_in(page, username, next_url):
    page.context.clear_cookies()
    page.goto(f"/konto/anmelden/?next={next_url}")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(f"**{next_url}")


def test_a_steward_submits_and_another_person_approves_and_publishes(page, default_rules, org_a, steward_a, owner_a):
    legal = make_role_holder("legal-a", Role.LEGAL_REVIEWER, org_a)
    governance.assign_role(steward_a, Role.LEGAL_REVIEWER, org_a, by=None)  # four eyes must still hold
    dataset = services.create_dataset(by=steward_a, fields=dataset_fields(org_a, steward=steward_a, owner=owner_a))
    services.classify_dataset(dataset, by=steward_a, fields=classification_fields())
    url = dataset.get_absolute_url()

    log_in(page, "steward-a", url)
    page.get_by_role("button", name="Zur Prüfung einreichen").click()
    expect(page.get_by_text("ist erledigt")).to_be_visible()
    assert Dataset.objects.get(pk=dataset.pk).state == DatasetState.IN_REVIEW

    # The owner signs off (the owner's screen is tested through the same forms).
    workflow.sign_off(dataset, by=owner_a, expected_version=Dataset.objects.get(pk=dataset.pk).version)
    page.goto(url)
    assert page.get_by_role("button", name="Rechtlich freigeben").count() == 0
    assert "Rechtsprüfung" in page.locator("#workflow").locator("..").inner_text()

    log_in(page, "legal-a", "/intern/")
    expect(page.get_by_role("link", name="Baumkataster")).to_be_visible()
    screenshot(page, "workflow-aufgaben-rechtspruefung")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Baumkataster").click()
    screenshot(page, "workflow-rechtspruefung")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Rechtlich freigeben").click()
    assert Dataset.objects.get(pk=dataset.pk).state == DatasetState.APPROVED
    page.get_by_role("link", name="Vorschau und Veröffentlichen").click()
    expect(page.get_by_role("heading", name="Was öffentlich wird")).to_be_visible()
    screenshot(page, "workflow-veroeffentlichen-bestaetigen")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Jetzt veröffentlichen").click()
    expect(page.get_by_text("Veröffentlicht", exact=True).first).to_be_visible()
    screenshot(page, "workflow-veroeffentlicht")
    assert axe_violations(page) == []

    assert list(Dataset.objects.published().values_list("pk", flat=True)) == [dataset.pk]
    assert "Rechtlich geprüft und freigegeben." in page.locator("#workflow").locator("..").inner_text()
    assert page.console_errors == []
    assert legal.pk != steward_a.pk
