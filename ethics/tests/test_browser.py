"""In the browser: a flagged dataset goes through an ethics review (the steward answers,
two board members vote, one adds a condition and closes) and continues to legal review.
No CSP violations, no WCAG 2.1 AA violations found by axe-core."""

import pytest
from playwright.sync_api import expect

from catalog import services as catalog
from catalog.models import Dataset, DatasetState, Theme
from catalog.tests.conftest import dataset_fields
from catalog.vocabularies import DataTheme
from conftest import PASSWORD, axe_violations, screenshot
from ethics.models import EthicsReview

from .conftest import later, to_ethics_review

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


def vote(page, username, url, outcome):
    log_in(page, username, url)
    page.locator("#beratung").scroll_into_view_if_needed()
    page.get_by_label(outcome, exact=True).check()
    page.locator("#id_votum-reasoning").fill("Vertretbar, wenn nur Stadtteilwerte erscheinen.")
    page.get_by_role("button", name="Votum abgeben").click()
    expect(page.get_by_text("Ihr Votum ist gespeichert.")).to_be_visible()


def test_a_flagged_dataset_goes_through_the_ethics_review_to_legal_review(
    page, default_rules, org_a, steward_a, owner_a, board_a, board_a2
):
    dataset = catalog.create_dataset(
        by=steward_a, fields=dataset_fields(org_a, name="wohngeld", title="Wohngeldbescheide", steward=steward_a)
    )
    to_ethics_review(dataset, steward_a, owner_a)
    review = EthicsReview.objects.get(dataset=dataset)
    url = review.get_absolute_url()

    # The steward finds the link on the dataset page and answers the questionnaire.
    log_in(page, "steward-a", dataset.get_absolute_url())
    page.get_by_role("link", name="Zur Ethikprüfung").click()
    page.wait_for_url(f"**{url}")
    for field in page.locator("textarea").all():
        field.fill("Wohngeldstelle, Bescheide seit 2020; nur Stadtteilsummen.")
    for name in page.locator("fieldset.sd-ethics-group input[type=radio]").evaluate_all(
        "inputs => [...new Set(inputs.map(i => i.name))]"
    ):
        default = "4" if name in ("transparency__value", "accountability__value", "fairness__value") else "no"
        page.locator(f"input[name='{name}'][value='{default}']").check()
    page.locator("input[name='wp248_vulnerable__value'][value='yes']").check()
    page.locator("input[name='wp248_sensitive__value'][value='yes']").check()
    screenshot(page, "ethik-fragebogen")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Dem Beirat vorlegen").click()
    expect(page.get_by_text("Dem Datenethikbeirat vorgelegt.")).to_be_visible()
    expect(page.get_by_text("2 Kriterien der DSFA-Vorprüfung (WP248) erfüllt")).to_be_visible()
    assert "Ihr Votum" not in page.content()  # the applicant does not vote

    vote(page, "ethik-a1", url, "mit Auflagen")
    vote(page, "ethik-a2", url, "mit Auflagen")

    # Board member 2 adds a condition and closes the review.
    page.get_by_label("Auflage", exact=True).fill("Nur Summen je Stadtteil mit mindestens 5 Fällen veröffentlichen.")
    page.get_by_label("Verantwortlich").select_option(str(steward_a.pk))
    page.get_by_label("Frist").fill(later(30).isoformat())
    page.get_by_role("button", name="Auflage hinzufügen").click()
    expect(page.get_by_text("Auflage hinzugefügt.")).to_be_visible()
    screenshot(page, "ethik-beratung")
    assert axe_violations(page) == []
    page.get_by_label("Begründung des Ergebnisses").fill(
        "Mit der Auflage sind Rückschlüsse auf Personen ausgeschlossen."
    )
    page.get_by_label("Öffentliche Zusammenfassung").fill("Veröffentlichung nur als Stadtteilsummen.")
    page.get_by_label("Nächste Überprüfung am").fill(later(365).isoformat())
    page.get_by_role("button", name="Prüfung abschließen").click()
    expect(page.get_by_text("Die Prüfung ist abgeschlossen: mit Auflagen.")).to_be_visible()
    screenshot(page, "ethik-abgeschlossen")
    assert axe_violations(page) == []

    dataset = Dataset.objects.get(pk=dataset.pk)
    assert dataset.state == DatasetState.LEGAL_REVIEW
    assert dataset.ethics_outcome == "conditions"

    # The public summary, without login.
    page.context.clear_cookies()
    page.goto("/ethik/")
    expect(page.get_by_text("Veröffentlichung nur als Stadtteilsummen.")).to_be_visible()
    screenshot(page, "ethik-oeffentlich")
    assert axe_violations(page) == []
    assert page.console_errors == []
