"""In the browser: a steward of the Umweltamt finds Stadt A's sewer network in the
internal catalog, requests access, the owner grants it, and the steward reads the data
under "Meine Zugänge"; a transfer to Stadt B waits in legal review. Screenshots of the
main pages; no CSP violations, no WCAG 2.1 AA violations found by axe-core."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog import services as catalog
from catalog.models import Theme
from catalog.vocabularies import DataTheme
from conftest import PASSWORD, axe_violations, screenshot
from sharing import services
from sharing.models import AccessGrant, AgreementType

from .conftest import PERSONAL, draft, make_dataset, step

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


def test_request_grant_and_read_shared_data(
    page, vocabularies, org_a, org_a_department, org_b, steward_a, owner_a, legal_a, steward_dept, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    sewers = make_dataset(
        org_a, steward_a, "kanalnetz", title="Kanalnetz der Stadtentwässerung", confidentiality=2,
        critical_infrastructure=True, justification="KRITIS Sektor Wasser.",
    )  # fmt: skip
    catalog.set_keywords_and_themes(sewers, ["Kanalnetz", "Abwasser"], ["ENVI"])
    catalog.add_distribution(
        sewers, by=steward_a, title="Haltungen (CSV)", upload=SimpleUploadedFile("haltungen.csv", b"h;dn\nH1;300\n")
    )
    make_dataset(org_a, steward_a, "meldedaten", title="Meldedaten nach Stadtteilen", **PERSONAL)
    agreement = draft(
        steward_a, org_a, org_b, [sewers], title="Kanalnetz für die Abwasserplanung der Stadt B",
        agreement_type=AgreementType.TRANSFER, purpose="Gemeinsame Planung des Verbindungssammlers.",
        conditions=["purpose_limitation", "no_onward_transfer", "no_publication"],
    )  # fmt: skip
    step(services.submit_agreement, agreement, by=steward_a)
    step(services.approve_agreement, agreement, by=owner_a, reasons="Fachlich nötig.")

    # The Umweltamt's steward finds the dataset in the internal catalog and asks for access.
    log_in(page, "steward-umwelt", "/intern/teilen/katalog/")
    assert page.locator("h1").inner_text() == "Interner Datenkatalog"
    assert "Meldedaten nach Stadtteilen" in page.content()
    screenshot(page, "teilen-interner-katalog")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Kanalnetz der Stadtentwässerung").click()
    assert "KRITIS" not in page.content()
    screenshot(page, "teilen-katalog-datensatz")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Zugang beantragen").click()
    page.get_by_label("Zweck", exact=True).fill("Prüfung der Einleitstellen für den Gewässerschutz.")
    screenshot(page, "teilen-antrag-formular")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Antrag stellen").click()
    assert page.get_by_text("Ihr Antrag ist eingegangen.").is_visible()
    request_url = page.url

    # The owner grants it.
    log_in(page, "owner-a", "/intern/")
    page.get_by_role("link", name="Kanalnetz der Stadtentwässerung").click()
    assert page.url == request_url
    screenshot(page, "teilen-antrag-entscheiden")
    assert axe_violations(page) == []
    page.get_by_label("Begründung").fill("Für den Gewässerschutz erforderlich.")
    page.get_by_role("button", name="Zugang gewähren").click()
    assert page.get_by_text("Zugang gewährt bis").is_visible()
    assert AccessGrant.objects.count() == 1

    # The steward reads it under "Meine Zugänge".
    log_in(page, "steward-umwelt", "/intern/teilen/zugaenge/")
    in_force = page.get_by_role("table", name="Zugänge, die jetzt in Kraft sind")
    assert in_force.get_by_role("link", name="Kanalnetz der Stadtentwässerung").is_visible()
    screenshot(page, "teilen-meine-zugaenge")
    assert axe_violations(page) == []
    in_force.get_by_role("link", name="Kanalnetz der Stadtentwässerung").click()
    assert page.get_by_text("Haltungen (CSV)", exact=True).is_visible()
    assert page.get_by_role("link", name="Herunterladen").is_visible()
    screenshot(page, "teilen-geteilter-datensatz")
    assert axe_violations(page) == []

    # The transfer to Stadt B waits for the legal office.
    log_in(page, "legal-a", agreement.get_absolute_url())
    assert page.get_by_role("button", name="Rechtlich freigeben").is_visible()
    assert "verschiedene Verantwortliche" in page.content()
    screenshot(page, "teilen-vereinbarung")
    assert axe_violations(page) == []
    page.goto("/intern/teilen/")
    screenshot(page, "teilen-uebersicht")
    assert axe_violations(page) == []
    assert page.console_errors == []


def test_drafting_an_agreement_in_the_browser(page, vocabularies, org_a, org_a_department, steward_a):
    make_dataset(org_a, steward_a, "kanalnetz", title="Kanalnetz", confidentiality=2)
    log_in(page, "steward-a", "/intern/teilen/")
    page.get_by_role("link", name="Neue Vereinbarung").click()
    page.get_by_label("Welche Organisation stellt die Daten bereit?").select_option(label="Stadt A")
    page.get_by_role("button", name="Weiter").click()
    page.get_by_label("Bezeichnung").fill("Kanalnetz für das Umweltamt")
    page.get_by_label("Empfangende Organisation").select_option(label="Stadt A – Umweltamt")
    page.get_by_label("Interne Nutzung innerhalb desselben Verantwortlichen").check()
    page.get_by_label("Kanalnetz", exact=True).check()
    page.get_by_label("Zweck", exact=True).fill("Gewässerschutz.")
    screenshot(page, "teilen-vereinbarung-formular")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Entwurf speichern").click()
    assert page.get_by_text("Der Entwurf ist gespeichert.").is_visible()
    assert "Keine Rechtsprüfung erforderlich" in page.content()
    page.get_by_role("button", name="Zur Freigabe einreichen").click()
    assert page.get_by_text("Freigabe durch Dateneigentümer:in").first.is_visible()
    assert axe_violations(page) == []
    assert page.console_errors == []
