"""Two whole journeys through the app in a real browser, each person logging in for
themselves, nothing done behind the browser's back:

1. A steward describes, distributes and classifies a dataset about vulnerable people;
   the data owner signs off, the ethics board answers, votes and closes its review as
   "unbedenklich", a legal reviewer (another person) approves and publishes. A citizen
   then finds it in the portal search, on its page, in the CKAN API and in the DCAT
   catalog, and the governance admin reads every step with the person's name in the
   audit journal and the dataset's history and finds the audit chain intact.
2. A legal reviewer refuses another dataset with an exclusion ground: the public register
   of unpublished data names the dataset and the ground in German, while portal, CKAN
   API and DCAT do not expose it.

On every page: no console errors (CSP) and no WCAG 2.1 A/AA violations found by axe-core."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import Dataset, DatasetState, Theme
from catalog.tests.test_workflow_browser import log_in
from catalog.vocabularies import DataTheme
from conftest import axe_violations, make_role_holder, screenshot
from governance.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = "wohngeld-stadtteile"
TITLE = "Wohngeld nach Stadtteilen"


@pytest.fixture(autouse=True)
def themes(db):
    Theme.objects.bulk_create([Theme(code=code) for code in DataTheme.values], ignore_conflicts=True)


@pytest.fixture
def people(org_a):
    """One person per role of Stadt A, with names, as the audit journal shows them."""
    return {
        "steward": make_role_holder("sommer", Role.STEWARD, org_a, first_name="Sabine", last_name="Sommer"),
        "owner": make_role_holder("oswald", Role.OWNER, org_a, first_name="Otto", last_name="Oswald"),
        "ethics1": make_role_holder("ergin", Role.ETHICS_BOARD_MEMBER, org_a, first_name="Elif", last_name="Ergin"),
        "ethics2": make_role_holder("engel", Role.ETHICS_BOARD_MEMBER, org_a, first_name="Emil", last_name="Engel"),
        "legal": make_role_holder("lorenz", Role.LEGAL_REVIEWER, org_a, first_name="Lena", last_name="Lorenz"),
        "admin": make_role_holder("albers", Role.GOVERNANCE_ADMIN, org_a, first_name="Anton", last_name="Albers"),
    }


def accessible(page, shot: str | None = None) -> None:
    """The page as it is now has no axe-core violation; optionally keep a picture of it."""
    if shot:
        screenshot(page, shot)
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"


def click_and_check(page, button_name: str, message: str) -> None:
    page.get_by_role("button", name=button_name).click()
    shown = page.get_by_text(message).first
    try:
        expect(shown).to_be_visible()  # waits for the answer to the click
    except AssertionError as error:
        alerts = page.locator(".kern-alert").all_inner_texts()
        raise AssertionError(f"{page.url}: „{message}“ fehlt; {alerts}") from error


def create_dataset(page, org, owner, steward, *, name, title, description, keywords, theme):
    page.goto("/intern/datensaetze/neu/")
    page.get_by_label("Titel").fill(title)
    page.get_by_label("Kurzname").fill(name)
    page.get_by_label("Beschreibung").fill(description)
    page.get_by_label("Schlagwörter").fill(keywords)
    page.get_by_role("group", name="Themen").get_by_label(theme).check()
    page.get_by_label("Herausgeber").select_option(str(org.pk))
    page.get_by_label("Dateneigentümer:in").select_option(str(owner.pk))
    page.get_by_label("Datenverantwortliche:r").select_option(str(steward.pk))
    page.get_by_label("Ansprechstelle", exact=True).fill("Sozialamt, Wohngeldstelle")
    page.get_by_label("E-Mail der Ansprechstelle").fill("wohngeld@stadt-a.example")
    page.get_by_label("Lizenz", exact=True).select_option("cc-by/4.0")
    accessible(page)
    page.get_by_role("button", name="Datensatz anlegen").click()
    page.wait_for_url(f"**/intern/datensaetze/{name}/")
    assert page.locator("h1").inner_text() == title


def add_csv(page, *, title, filename, content: bytes):
    page.get_by_role("link", name="Distribution hinzufügen").first.click()
    page.get_by_label("Titel").fill(title)
    page.get_by_label("Datei").set_input_files({"name": filename, "mimeType": "text/csv", "buffer": content})
    accessible(page)
    page.get_by_role("button", name="Distribution hinzufügen").click()
    page.wait_for_url("**#distributionen")


def classify(page, *, personal: str, confidentiality: str, justification: str, vulnerable=False, legal_basis=None):
    page.get_by_role("link", name="Klassifizieren", exact=True).click()
    page.get_by_role("group", name="Enthalten die Daten Angaben über Menschen?").get_by_label(
        personal, exact=True
    ).check()
    if vulnerable:
        page.get_by_label("Die Daten betreffen besonders schutzbedürftige Menschen").check()
    page.get_by_role("group", name="Wer darf die Daten sehen?").get_by_label(confidentiality, exact=True).check()
    for question in ("Vertraulichkeit:", "Integrität:", "Verfügbarkeit:"):
        page.get_by_role("group", name=question).get_by_label("normal", exact=True).check()
    page.get_by_role("group", name="Wie genau ist der Ortsbezug?").get_by_label("Stadtteil oder Bezirk").check()
    page.get_by_role("group", name="Wie genau ist der Zeitbezug?").get_by_label("Jahr").check()
    if legal_basis:
        page.locator(f"input[name='legal_bases'][value='{legal_basis}']").check()
    page.get_by_label("Begründung der Einstufung").fill(justification)
    accessible(page)
    page.get_by_role("button", name="Klassifizierung speichern").click()
    try:
        expect(page.get_by_text("Die Klassifizierung wurde als Version 1 gespeichert.")).to_be_visible()
    except AssertionError as error:
        raise AssertionError(page.locator(".kern-alert, .kern-error").all_inner_texts()) from error


def state_of(name) -> str:
    return Dataset.objects.get(name=name).state


def answer_questionnaire(page):
    """The steward answers every question; two WP248 criteria (vulnerable people,
    sensitive data) are what brought the dataset here."""
    questionnaire = page.locator("form", has=page.get_by_role("button", name="Dem Beirat vorlegen"))
    for field in questionnaire.locator("textarea").all():
        field.fill("Wohngeldbescheide seit 2020, veröffentlicht nur als Summen je Stadtteil.")
    names = page.locator("fieldset.sd-ethics-group input[type=radio]").evaluate_all(
        "inputs => [...new Set(inputs.map(i => i.name))]"
    )
    for name in names:
        default = "4" if name in ("transparency__value", "accountability__value", "fairness__value") else "no"
        page.locator(f"input[name='{name}'][value='{default}']").check()
    page.locator("input[name='wp248_vulnerable__value'][value='yes']").check()
    page.locator("input[name='wp248_sensitive__value'][value='yes']").check()


def vote(page, username, url, outcome):
    log_in(page, username, url)
    page.get_by_label(outcome, exact=True).check()
    page.locator("#id_votum-reasoning").fill("Summen je Stadtteil lassen keinen Rückschluss auf Haushalte zu.")
    accessible(page)
    click_and_check(page, "Votum abgeben", "Ihr Votum ist gespeichert.")


def test_a_dataset_goes_from_the_steward_through_ethics_and_legal_review_to_the_portal(page, default_rules, org_a,
                                                                                       people):  # fmt: skip
    steward, owner = people["steward"], people["owner"]
    later = timezone.localdate() + timedelta(days=365)

    # 1. The steward describes the dataset, uploads a CSV, classifies and submits it.
    log_in(page, "sommer", "/intern/")
    accessible(page)
    create_dataset(
        page, org_a, owner, steward, name=NAME, title=TITLE,
        description="Zahl der Haushalte mit Wohngeld je Stadtteil und Jahr, aus den Bescheiden der Wohngeldstelle.",
        keywords="Wohngeld, Soziales", theme="Bevölkerung und Gesellschaft",
    )  # fmt: skip
    accessible(page, "journey-1-angelegt")
    add_csv(page, title="Wohngeld je Stadtteil (CSV)", filename="wohngeld.csv",
            content="stadtteil;jahr;haushalte\nNord;2024;120\nSüd;2024;85\nMitte;2024;143\n".encode())  # fmt: skip
    assert page.get_by_role("link", name="Herunterladen").count() == 1
    classify(
        page, personal="personenbezogen", confidentiality="intern", vulnerable=True, legal_basis="GDPR_6_1_e",
        justification="Bescheide über Wohngeld betreffen Menschen in wirtschaftlichen Notlagen; veröffentlicht "
        "werden nur Summen je Stadtteil.",
    )  # fmt: skip
    accessible(page, "journey-2-klassifiziert")
    click_and_check(page, "Zur Prüfung einreichen", "ist erledigt")
    assert state_of(NAME) == DatasetState.IN_REVIEW
    accessible(page)

    # 2. The data owner signs off: the rules send the dataset to the ethics board.
    log_in(page, "oswald", "/intern/")
    page.get_by_role("link", name=TITLE).first.click()
    accessible(page)
    click_and_check(page, "Als Dateneigentümer:in freigeben", "ist erledigt")
    assert state_of(NAME) == DatasetState.ETHICS_REVIEW
    assert "Datenethikbeirat" in page.locator("#workflow").locator("..").inner_text()

    # 3. The steward answers the ethics questionnaire and hands it to the board.
    log_in(page, "sommer", f"/intern/datensaetze/{NAME}/")
    page.get_by_role("link", name="Zur Ethikprüfung").click()
    page.wait_for_url("**/intern/ethik/pruefungen/*/")
    review_url = page.url.removeprefix(page.url.split("/intern/")[0])
    answer_questionnaire(page)
    accessible(page, "journey-3-ethik-fragebogen")
    click_and_check(page, "Dem Beirat vorlegen", "Dem Datenethikbeirat vorgelegt.")

    # 4. Two board members vote "unbedenklich"; the second closes the review.
    vote(page, "ergin", review_url, "unbedenklich")
    vote(page, "engel", review_url, "unbedenklich")
    page.get_by_label("Begründung des Ergebnisses").fill("Nur Summen je Stadtteil; kein Rückschluss auf Haushalte.")
    page.get_by_label("Öffentliche Zusammenfassung").fill("Wohngeld je Stadtteil darf offen veröffentlicht werden.")
    page.get_by_label("Nächste Überprüfung am").fill(later.isoformat())
    accessible(page)
    click_and_check(page, "Prüfung abschließen", "Die Prüfung ist abgeschlossen: unbedenklich.")
    accessible(page, "journey-4-ethik-abgeschlossen")
    assert state_of(NAME) == DatasetState.LEGAL_REVIEW

    # 5. The legal reviewer finds the task, confirms the grounds, approves and publishes.
    log_in(page, "lorenz", "/intern/")
    accessible(page)
    page.get_by_role("link", name=TITLE).first.click()
    approve = page.locator("form", has=page.get_by_role("button", name="Rechtlich freigeben"))
    approve.get_by_label("Ich bestätige die Ausschlussgründe und die erforderlichen Prüfungen.").check()
    accessible(page, "journey-5-rechtspruefung")
    click_and_check(page, "Rechtlich freigeben", "ist erledigt")
    assert state_of(NAME) == DatasetState.APPROVED
    page.get_by_role("link", name="Vorschau und Veröffentlichen").click()
    accessible(page, "journey-6-vorschau")
    page.get_by_label("Ich bestätige, dass die Distributionen nur in der freigegebenen Form vorliegen.").check()
    click_and_check(page, "Jetzt veröffentlichen", "ist erledigt")
    assert state_of(NAME) == DatasetState.PUBLISHED
    accessible(page, "journey-6-veroeffentlicht")

    # 6. A citizen, not logged in, finds it: portal search, dataset page, download.
    page.context.clear_cookies()
    page.goto("/")
    page.get_by_label("Suchbegriff").fill("Wohngeld")
    page.get_by_role("button", name="Suchen").click()
    page.wait_for_url("**/suche/?q=Wohngeld")
    accessible(page, "journey-7-portal-suche")
    page.get_by_role("link", name=TITLE).click()
    page.wait_for_url(f"**/datensatz/{NAME}/")
    assert page.locator("h1").inner_text() == TITLE
    expect(page.get_by_text("CC BY 4.0").first).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="herunterladen").first.click()
    assert download.value.suggested_filename.endswith(".csv")
    accessible(page, "journey-8-portal-datensatz")

    shown = page.request.get(f"/api/3/action/package_show?id={NAME}").json()
    assert shown["success"] is True
    assert shown["result"]["title"] == TITLE
    found = page.request.get("/api/3/action/package_search?q=Wohngeld").json()
    assert [package["name"] for package in found["result"]["results"]] == [NAME]
    dataset_turtle = page.request.get(f"/dataset/{NAME}.ttl").text()
    assert f"/dataset/{NAME}" in dataset_turtle
    assert TITLE in dataset_turtle
    catalog_turtle = page.request.get("/catalog.ttl").text()
    assert f"/dataset/{NAME}" in catalog_turtle
    assert TITLE in catalog_turtle

    # 7. The governance admin reads every step with the person's name.
    dataset = Dataset.objects.get(name=NAME)
    log_in(page, "albers", "/intern/audit/")
    page.get_by_label("Objektart").select_option("catalog.dataset")
    page.get_by_label("Objekt-Kennung").fill(str(dataset.pk))
    page.get_by_role("button", name="Filtern").click()
    accessible(page, "journey-9-audit")
    rows = [row.inner_text() for row in page.locator("table tbody tr").all()]
    steps = [
        ("Datensatz angelegt", "Sabine Sommer"),
        ("Neu klassifiziert", "Sabine Sommer"),
        ("Zur Prüfung eingereicht", "Sabine Sommer"),
        ("Freigabe durch die Dateneigentümer:in", "Otto Oswald"),
        ("Ethikprüfung entschieden", "Emil Engel"),
        ("Rechtlich freigegeben", "Lena Lorenz"),
        ("Veröffentlicht", "Lena Lorenz"),
    ]
    for step, person in steps:
        assert any(step in row and person in row for row in rows), f"Audit-Journal: {step} ({person}) fehlt in {rows}"

    page.goto(f"/intern/datensaetze/{NAME}/verlauf/")
    accessible(page, "journey-10-verlauf")
    history = page.locator("main").inner_text()
    for step, person in steps:
        assert step in history, f"Verlauf: {step} fehlt"
        assert person in history, f"Verlauf: {person} fehlt"

    page.goto(f"/intern/datensaetze/{NAME}/")
    trail = page.locator("#entscheidungen").locator("..").inner_text()
    for person in ("Sabine Sommer", "Otto Oswald", "Emil Engel", "Lena Lorenz"):
        assert person in trail, f"Entscheidungen: {person} fehlt"

    page.goto("/intern/audit/")
    click_and_check(page, "Kette jetzt prüfen", "intakt")
    accessible(page)
    assert page.console_errors == []


def test_a_refused_dataset_appears_in_the_register_and_nowhere_else(page, default_rules, org_a, people):
    name, title = "vertraege-reinigung", "Verträge der Gebäudereinigung"
    later = timezone.localdate() + timedelta(days=180)

    log_in(page, "sommer", "/intern/")
    create_dataset(
        page, org_a, people["owner"], people["steward"], name=name, title=title,
        description="Leistungsverzeichnisse und Preise der Reinigungsverträge für städtische Gebäude.",
        keywords="Reinigung, Verträge", theme="Regierung und öffentlicher Sektor",
    )  # fmt: skip
    add_csv(page, title="Verträge (CSV)", filename="vertraege.csv",
            content=b"gebaeude;anbieter;preis\nRathaus;Glanz GmbH;12000\n")  # fmt: skip
    classify(page, personal="kein Personenbezug (Sachdaten)", confidentiality="öffentlich",
             justification="Sachdaten; Preise stammen aus Verträgen mit Dritten.")  # fmt: skip
    click_and_check(page, "Zur Prüfung einreichen", "ist erledigt")

    log_in(page, "oswald", f"/intern/datensaetze/{name}/")
    click_and_check(page, "Als Dateneigentümer:in freigeben", "ist erledigt")
    assert state_of(name) == DatasetState.LEGAL_REVIEW

    # The legal reviewer refuses: the prices are trade secrets of the contractor.
    log_in(page, "lorenz", f"/intern/datensaetze/{name}/")
    refuse = page.locator("form", has=page.get_by_role("button", name="Veröffentlichung ablehnen"))
    refuse.get_by_label("Entscheidung").select_option("closed")
    refuse.get_by_label("Betriebs- und Geschäftsgeheimnisse", exact=False).check()
    refuse.get_by_label("Wiedervorlage am").fill(later.isoformat())
    refuse.get_by_label("Begründung").fill("Die Preise sind Geschäftsgeheimnisse des Auftragnehmers.")
    accessible(page, "ablehnung-1-rechtspruefung")
    click_and_check(page, "Veröffentlichung ablehnen", "ist erledigt")
    dataset = Dataset.objects.get(name=name)
    assert (dataset.state, dataset.publication_outcome) == (DatasetState.APPROVED, "closed")
    assert page.get_by_role("button", name="Veröffentlichen").count() == 0

    # The public register names dataset, outcome and ground in German.
    page.context.clear_cookies()
    page.goto("/nicht-veroeffentlichte-daten/")
    accessible(page, "ablehnung-2-register")
    # One entry per dataset, a list (not a table) since issue 22, dates as SHORT_DATE_FORMAT.
    row = page.get_by_role("listitem").filter(has_text=title)
    assert row.count() == 1
    text = row.inner_text()
    assert "Nicht veröffentlichungsfähig" in text
    assert "Betriebs- und Geschäftsgeheimnisse" in text
    assert later.strftime("%d.%m.%Y") in text

    # Nowhere else: portal page, search, CKAN API and DCAT.
    assert page.console_errors == []
    response = page.goto(f"/datensatz/{name}/")
    assert response.status == 404
    accessible(page)
    assert [error for error in page.console_errors if "404" not in error] == []
    page.console_errors.clear()  # the browser reports the 404 of the page itself
    page.goto("/suche/?q=Reinigung")
    assert title not in page.locator("main").inner_text()
    assert page.request.get(f"/api/3/action/package_show?id={name}").status == 404
    assert page.request.get("/api/3/action/package_search?q=Reinigung").json()["result"]["count"] == 0
    assert page.request.get(f"/dataset/{name}.ttl").status == 404
    assert name not in page.request.get("/catalog.ttl").text()
    assert page.console_errors == []
