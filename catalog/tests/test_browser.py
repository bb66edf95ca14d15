"""A data steward works through the catalog in a real browser: creates a dataset,
classifies it, uploads a CSV, edits it and reads the difference between two versions.
No content-security-policy violations, no WCAG 2.1 AA violations found by axe-core."""

import pytest
from playwright.sync_api import expect

from catalog.models import Theme
from catalog.vocabularies import DataTheme
from conftest import PASSWORD, axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def themes(db):
    """The EU themes come from a data migration; a transactional test (the browser tests)
    flushes them, and a reused test database keeps them flushed. Make sure they exist."""
    Theme.objects.bulk_create([Theme(code=code) for code in DataTheme.values], ignore_conflicts=True)


def test_a_steward_describes_classifies_and_distributes_a_dataset(page, steward_a, org_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page.goto("/konto/anmelden/?next=/intern/datensaetze/")
    page.get_by_label("Benutzername").fill("steward-a")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/intern/datensaetze/")
    assert "Es gibt noch keine Datensätze" in page.content()

    # Describe
    page.get_by_role("link", name="Neuer Datensatz").click()
    assert page.locator("h1").inner_text() == "Neuer Datensatz"
    page.get_by_role("button", name="Datensatz anlegen").click()  # empty: errors first
    expect(page.get_by_role("alert")).to_be_visible()
    screenshot(page, "katalog-datensatz-fehler")
    assert axe_violations(page) == []
    page.get_by_label("Titel").fill("Baumkataster")
    page.get_by_label("Kurzname").fill("baumkataster")
    page.get_by_label("Beschreibung").fill("Alle Straßen- und Parkbäume mit Art, Höhe und Standort.")
    page.get_by_label("Schlagwörter").fill("Bäume, Stadtgrün")
    page.get_by_role("group", name="Themen").get_by_label("Umwelt").check()
    page.get_by_label("Ansprechstelle", exact=True).fill("Grünflächenamt")
    page.get_by_label("E-Mail der Ansprechstelle").fill("gruen@stadt-a.example")
    page.get_by_role("button", name="Datensatz anlegen").click()
    page.wait_for_url("**/intern/datensaetze/baumkataster/")
    assert page.locator("h1").inner_text() == "Baumkataster"
    assert "nicht klassifiziert" in page.content()
    assert axe_violations(page) == []

    # Classify
    page.get_by_role("link", name="Klassifizieren", exact=True).click()
    page.get_by_label("kein Personenbezug (Sachdaten)").check()
    page.get_by_role("group", name="Wer darf die Daten sehen?").get_by_label("öffentlich").check()
    for question in ("Vertraulichkeit:", "Integrität:", "Verfügbarkeit:"):
        page.get_by_role("group", name=question).get_by_label("normal", exact=True).check()
    page.get_by_label("Adresse oder Koordinate").check()
    page.get_by_role("group", name="Wie genau ist der Zeitbezug?").get_by_label("Jahr").check()
    page.get_by_label("Begründung der Einstufung").fill("Sachdaten ohne Personenbezug.")
    screenshot(page, "katalog-klassifizierung")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Klassifizierung speichern").click()
    page.wait_for_url("**/intern/datensaetze/baumkataster/")
    assert "Die Klassifizierung wurde als Version 1 gespeichert." in page.content()
    assert "Es gilt Version 1." in page.content()

    # Distribute
    page.get_by_role("link", name="Distribution hinzufügen").first.click()
    page.get_by_label("Titel").fill("Baumkataster als CSV")
    page.get_by_label("Datei").set_input_files(
        {"name": "baeume.csv", "mimeType": "text/csv", "buffer": b"baum_id;art\n1;Linde\n2;Eiche\n"}
    )
    page.get_by_role("button", name="Distribution hinzufügen").click()
    page.wait_for_url("**/intern/datensaetze/baumkataster/#distributionen")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Herunterladen").click()
    assert download_info.value.suggested_filename == "baeume.csv"
    screenshot(page, "katalog-datensatz")
    assert axe_violations(page) == []

    # Edit, then compare the first and the latest version
    page.get_by_role("link", name="Bearbeiten", exact=True).click()
    page.get_by_label("Titel").fill("Baumkataster 2025")
    page.get_by_label("Grund der Änderung").fill("Jahresstand")
    page.get_by_role("button", name="Änderungen speichern").click()
    page.wait_for_url("**/intern/datensaetze/baumkataster/")
    page.get_by_role("link", name="Versionsverlauf").click()
    page.get_by_label("Version von").select_option("1")
    page.get_by_role("button", name="Metadaten vergleichen").click()
    diff = page.get_by_role("table", name="Unterschiede zwischen Version 1 und Version 4")
    expect(diff.get_by_role("row", name="Titel Baumkataster Baumkataster 2025")).to_be_visible()
    assert "Jahresstand" in page.content()
    screenshot(page, "katalog-versionsverlauf")
    assert axe_violations(page) == []

    assert page.console_errors == []
