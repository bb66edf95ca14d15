"""A steward reads the quality panel of a dataset (score, hints, broken link, overdue
update) and the public sees rating and points on the portal. No CSP or WCAG 2.1 AA
violations found by axe-core."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog import services
from catalog.models import Dataset, Distribution, LinkCheck, Theme
from catalog.quality import store
from catalog.tests.conftest import dataset_fields
from catalog.vocabularies import DataTheme
from conftest import ARTIFACTS, PASSWORD, axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dataset(org_a, steward_a):
    Theme.objects.bulk_create([Theme(code=code) for code in DataTheme.values], ignore_conflicts=True)
    dataset = services.create_dataset(
        by=steward_a, fields=dataset_fields(org_a, update_frequency="MONTHLY"), keywords=["Bäume"], themes=["ENVI"]
    )
    distribution = Distribution.objects.create(
        dataset=dataset, title="Baumliste", access_url="https://daten.stadt-a.example/baeume.csv", format="CSV"
    )
    LinkCheck.objects.create(
        distribution=distribution, url=distribution.access_url, checked_at=timezone.now(), ok=False, status_code=404,
        error="HTTP 404 Not Found",
    )  # fmt: skip
    Dataset.objects.filter(pk=dataset.pk).update(state="published", modified=timezone.now() - timedelta(days=40))
    store.rescore(dataset.pk)
    return dataset


def test_the_steward_reads_the_quality_panel_and_the_public_the_rating(page, dataset):
    page.goto(f"/konto/anmelden/?next=/intern/datensaetze/{dataset.name}/")
    page.get_by_label("Benutzername").fill("steward-a")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(f"**/intern/datensaetze/{dataset.name}/")

    panel = page.locator("section", has=page.locator("#qualitaet"))
    text = panel.inner_text()
    assert "Aktualisierung überfällig" in text
    assert "„Baumliste“: HTTP 404 Not Found" in text
    assert "Erreichbare Zugriffsadressen angeben: +50 Punkte" in text
    screenshot(page, "katalog-qualitaet")
    panel.screenshot(path=ARTIFACTS / "katalog-qualitaet-ausschnitt.png")
    assert axe_violations(page) == []

    page.goto("/intern/datensaetze/")
    assert "Punkte)" in page.locator("table").inner_text()
    screenshot(page, "katalog-liste-qualitaet")

    page.goto(reverse("portal:dataset_detail", args=[dataset.name]))
    assert "von 405 Punkten" in page.locator("#ds-quality").locator("..").inner_text()
    screenshot(page, "portal-qualitaet")
    assert axe_violations(page) == []
    assert page.console_errors == []
