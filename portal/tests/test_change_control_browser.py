"""Change control in a real browser (issue 20): a steward edits a published dataset and
adds a file; the public keeps the approved state until owner and legal have approved the
change from their task inbox; then portal, CKAN and DCAT show it, and the journal holds
the change request, both approvals and the rule versions they rest on."""

import pytest
from playwright.sync_api import expect

from catalog.models import ChangeState, DatasetChange
from conftest import PASSWORD, axe_violations, make_role_holder, screenshot
from governance.models import Decision, DecisionKind, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_CSV = "Baum;Pflanzjahr\r\n1;1998\r\n2;2004\r\n3;2011\r\n"


def log_in(page, username, next_url):
    page.context.clear_cookies()
    page.goto(f"/konto/anmelden/?next={next_url}")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(f"**{next_url}")


def public_page(page, dataset) -> str:
    page.context.clear_cookies()
    page.goto(f"/datensatz/{dataset.name}/")
    return page.locator("main").inner_text()


def test_a_change_after_publication_goes_public_only_after_owner_and_legal(page, published, flow_a, org_a, tmp_path):
    make_role_holder("admin-a", Role.GOVERNANCE_ADMIN, org_a)
    approved_description = published.description
    url = published.get_absolute_url()

    log_in(page, flow_a.steward.username, url)
    page.get_by_role("link", name="Bearbeiten", exact=True).click()
    expect(page.get_by_text("Änderung nach der Freigabe")).to_be_visible()
    page.get_by_label("Beschreibung").fill("Alle Bäume mit Pflanzjahr und Standort.")
    page.get_by_label("Grund der Änderung").fill("Pflanzjahr ergänzt")
    page.get_by_role("button", name="Änderungen speichern").click()
    expect(page.get_by_text("Gespeichert als ausstehende Änderung 1")).to_be_visible()
    page.get_by_role("link", name="Datei hinzufügen oder ersetzen").click()
    page.get_by_label("Titel").fill("Pflanzjahre")
    path = tmp_path / "pflanzjahre.csv"
    path.write_text(NEW_CSV)
    page.get_by_label("Datei").set_input_files(str(path))
    page.get_by_role("button", name="Distribution hinzufügen").click()
    expect(page.get_by_role("heading", name="Änderung 1 an „Baumkataster“")).to_be_visible()
    screenshot(page, "aenderung-steward")
    assert axe_violations(page) == []

    shown = public_page(page, published)
    assert approved_description in shown
    assert "Pflanzjahr" not in shown

    log_in(page, flow_a.steward.username, url)
    page.goto(DatasetChange.objects.get().get_absolute_url())
    page.get_by_role("button", name="Änderung zur Prüfung einreichen").click()
    expect(page.get_by_text("ist erledigt")).to_be_visible()

    log_in(page, flow_a.owner.username, "/intern/")
    expect(page.get_by_text("Änderung freigeben (Dateneigentümer:in)")).to_be_visible()
    page.get_by_role("link", name="Baumkataster").click()
    expect(page.get_by_role("rowheader", name="Pflanzjahre")).to_be_visible()
    page.get_by_role("button", name="Änderung als Dateneigentümer:in freigeben").click()
    expect(page.get_by_text("ist erledigt")).to_be_visible()
    assert "Pflanzjahr" not in public_page(page, published)

    log_in(page, flow_a.legal.username, "/intern/")
    expect(page.get_by_text("Änderung rechtlich prüfen")).to_be_visible()
    screenshot(page, "aenderung-aufgaben-recht")
    page.get_by_role("link", name="Baumkataster").click()
    # The word diff marks what the change adds to the description.
    expect(page.locator("ins.sd-diff__added", has_text="Pflanzjahr")).to_be_visible()
    screenshot(page, "aenderung-rechtspruefung")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Änderung rechtlich freigeben").click()
    expect(page.get_by_text("Die Änderung ist jetzt: Übernommen")).to_be_visible()
    assert DatasetChange.objects.get().state == ChangeState.APPLIED

    shown = public_page(page, published)
    assert "Alle Bäume mit Pflanzjahr und Standort." in shown
    assert "Pflanzjahre" in shown
    package = page.request.get(f"/api/3/action/package_show?id={published.name}").json()["result"]
    assert package["notes"] == "Alle Bäume mit Pflanzjahr und Standort."
    assert "Pflanzjahre" in [resource["name"] for resource in package["resources"]]
    assert "Pflanzjahre" in page.request.get(f"/dataset/{published.name}.ttl").text()

    log_in(page, "admin-a", "/intern/audit/")
    page.goto("/intern/audit/?object_type=catalog.datasetchange")
    journal = page.locator("main").inner_text()
    for step in ("Änderung zur Prüfung eingereicht", "Änderung von Dateneigentümer:in freigegeben",
                 "Freigegebene Änderung übernommen"):  # fmt: skip
        assert step in journal
    screenshot(page, "aenderung-journal")
    approvals = Decision.objects.filter(subject_id=str(published.pk), reasons__startswith="Änderung 1:")
    assert [(d.kind, d.actor_id) for d in approvals.order_by("decided_at", "pk")] == [
        (DecisionKind.REVIEW, flow_a.steward.pk),
        (DecisionKind.REVIEW, flow_a.owner.pk),
        (DecisionKind.PUBLICATION, flow_a.legal.pk),
    ]
    assert all(decision.rule_versions.exists() for decision in approvals)
    assert page.console_errors == []
