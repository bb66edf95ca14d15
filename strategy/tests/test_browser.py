"""The staff side of the strategy in a real browser: the responsible person opens the
overview, the timeline and a measure, changes its status with a reason, and the
governance admin finds the change with the reason and the person in the audit journal.
No console errors (CSP), no WCAG 2.1 A/AA violations found by axe-core."""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from catalog.tests.test_workflow_browser import log_in
from conftest import axe_violations, make_organisation, make_role_holder
from governance.models import Role
from strategy import services
from strategy.models import IndicatorUnit, MeasureStatus

from .conftest import make_indicator, make_measure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")  # noqa: S108 – pictures for people to look at, not data
REASON = "Die Ausschreibung musste wiederholt werden."


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"staff-{name}.png", full_page=True)


def accessible(page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"


@pytest.fixture
def people(org_a):
    return {
        "steward": make_role_holder("sommer", Role.STEWARD, org_a, first_name="Sabine", last_name="Sommer"),
        "admin": make_role_holder("albers", Role.GOVERNANCE_ADMIN, org_a, first_name="Anton", last_name="Albers"),
    }


@pytest.fixture
def plan(people, org_a):
    """A small strategy: two fields of action, measures in several states with
    milestones done, open and overdue, and an indicator with its history."""
    admin, steward = people["admin"], people["steward"]
    org_b = make_organisation("stadt-b", name="Stadt B", municipality="Eichberg")
    today = timezone.localdate()
    strategy = services.create_strategy(
        by=admin,
        slug="datenstrategie",
        title="Datenstrategie 2022–2027",
        is_public=True,
        period_start=date(2022, 7, 1),
        period_end=date(2027, 12, 31),
    )
    field1 = services.create_field_of_action(
        strategy, by=admin, code="HF1", title="Digitale Infrastruktur und Datenpolitik", position=1
    )
    field2 = services.create_field_of_action(
        strategy, by=admin, code="HF2", title="Datenkompetenz, Beteiligung und Nutzen", position=2
    )
    goal1 = services.create_goal(
        field1,
        by=admin,
        code="HF1-Z1",
        title="ALLE Daten werden sowohl intern als auch extern nutzbar gemacht, außer wenn dies rechtlich "
        "nicht zulässig ist",
    )
    goal2 = services.create_goal(field2, by=admin, code="HF2-Z1", title="Die Beschäftigten sind datenkompetent")

    governance_measure = make_measure(
        goal1,
        by=admin,
        code="HF1-M10",
        title="Etablierung einer neuen Datenstrategie und Data Governance im Stadtverbund",
        start_date=date(2022, 7, 1),
        end_date=date(2023, 12, 31),
        budget_planned=Decimal("100000"),
        budget_spent=Decimal("96400"),
        responsible_organisation=org_a,
        responsible_person=admin,
    )
    for title, due in (
        ("Analyse der Ausgangslage", date(2022, 10, 31)),
        ("Erarbeitung der Inhalte", date(2023, 3, 31)),
        ("Verabschiedung", date(2023, 6, 30)),
        ("Satzungen, Dienstanweisungen, Verträge", date(2023, 12, 31)),
    ):
        services.add_milestone(governance_measure, by=admin, title=title, due_date=due, done_date=due,
                               evidence="Beschluss DS-2023/017")  # fmt: skip
    services.change_measure_status(governance_measure, by=admin, status=MeasureStatus.IN_PROGRESS, reason="Start")
    services.change_measure_status(governance_measure, by=admin, status=MeasureStatus.DONE, reason="Beschlossen")

    inventory = make_measure(
        goal1,
        by=admin,
        code="HF1-M03",
        title="Inventarisierung der Datenbestände der Eigenbetriebe",
        start_date=date(2024, 9, 1),
        end_date=date(2026, 12, 31),
        budget_planned=Decimal("45000"),
        budget_spent=Decimal("21800"),
        responsible_organisation=org_a,
        responsible_person=steward,
    )
    services.add_milestone(inventory, by=admin, title="Stadtwerke erfasst", due_date=today - timedelta(200),
                           done_date=today - timedelta(210), evidence="Inventarliste")  # fmt: skip
    services.add_milestone(inventory, by=admin, title="Verkehrsbetriebe erfasst", due_date=today - timedelta(20))
    services.add_milestone(inventory, by=admin, title="Alle Gesellschaften erfasst", due_date=today + timedelta(120))
    services.change_measure_status(inventory, by=steward, status=MeasureStatus.IN_PROGRESS, reason="Begonnen")

    platform = make_measure(
        goal1,
        by=admin,
        code="HF1-M05",
        title="Gemeinsame Datenplattform",
        start_date=date(2024, 1, 1),
        end_date=date(2025, 12, 31),
        budget_planned=Decimal("350000"),
        budget_spent=Decimal("240000"),
        responsible_organisation=org_b,
    )
    services.add_milestone(platform, by=admin, title="Pilotbetrieb", due_date=today + timedelta(60))
    services.change_measure_status(platform, by=admin, status=MeasureStatus.DELAYED, reason="Vergabe wiederholt")

    training = make_measure(
        goal2,
        by=admin,
        code="HF2-M01",
        title="Schulungsprogramm Datenkompetenz",
        start_date=date(2026, 1, 1),
        end_date=date(2027, 6, 30),
        responsible_organisation=org_a,
    )
    services.add_milestone(training, by=admin, title="Curriculum", due_date=today + timedelta(90))
    make_measure(
        goal2,
        by=admin,
        code="HF2-M04",
        title="Datenpatenschaften mit Vereinen",
        start_date=date(2024, 4, 1),
        end_date=date(2025, 12, 31),
        responsible_organisation=org_a,
    )
    indicator = make_indicator(
        goal2,
        by=admin,
        code="I-SCHULUNG",
        title="Geschulte Beschäftigte",
        unit=IndicatorUnit.COUNT,
        target_value=Decimal("500"),
        source="Personalamt, Schulungsstatistik",
    )
    for months_ago, value in ((6, "80"), (3, "120"), (1, "164")):
        services.record_indicator_value(indicator, by=admin, date=today - timedelta(30 * months_ago),
                                        value=Decimal(value), source="Personalamt, Schulungsstatistik")  # fmt: skip
    return {"strategy": strategy, "measure": inventory}


def test_the_responsible_person_changes_a_status_and_the_admin_audits_it(page, people, plan):
    log_in(page, "sommer", "/intern/strategie/")
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    assert nav.get_by_role("link", name="Strategie").get_attribute("aria-current") == "page"
    page.get_by_role("link", name="Datenstrategie 2022–2027").first.click()
    expect(page.locator("h1")).to_have_text("Datenstrategie 2022–2027")
    expect(page.get_by_text("1 Meilenstein überfällig")).to_be_visible()
    shot(page, "overview")
    accessible(page)

    # The filter narrows the tree to the delayed measure.
    page.get_by_label("Umsetzungsstand").select_option("delayed")
    page.get_by_role("button", name="Filtern").click()
    expect(page.get_by_text("1 Maßnahme für diesen Filter")).to_be_visible()
    expect(page.get_by_role("link", name="HF1-M05 Gemeinsame Datenplattform")).to_be_visible()
    assert page.get_by_role("link", name="HF1-M03 Inventarisierung der Datenbestände der Eigenbetriebe").count() == 0
    page.get_by_role("link", name="Filter zurücksetzen").click()
    expect(page.get_by_text("1 Maßnahme für diesen Filter")).to_have_count(0)

    page.get_by_role("link", name="Zeitplan").click()
    expect(page.locator("svg.sd-gantt__svg .sd-gantt__bar")).to_have_count(5)
    expect(page.locator("svg.sd-gantt__svg .sd-gantt__marker--overdue")).to_have_count(1)
    shot(page, "timeline")
    accessible(page)

    page.get_by_role("link", name="HF1-M03 Inventarisierung der Datenbestände der Eigenbetriebe").click()
    expect(page.get_by_text("überfällig seit").first).to_be_visible()
    shot(page, "measure")
    accessible(page)

    page.get_by_role("link", name="Umsetzungsstand ändern").click()
    page.wait_for_url("**/status/")
    page.get_by_label("verzögert").check()
    page.get_by_role("button", name="Umsetzungsstand speichern").click()
    expect(page.get_by_text("Bitte prüfen Sie Ihre Eingaben.")).to_be_visible()
    accessible(page)
    page.get_by_label("verzögert").check()
    page.get_by_label("Begründung").fill(REASON)
    page.get_by_role("button", name="Umsetzungsstand speichern").click()
    page.wait_for_url(f"**{plan['measure'].get_absolute_url()}")
    expect(page.get_by_text("Der Umsetzungsstand ist jetzt „verzögert“.")).to_be_visible()
    history = page.get_by_role("table", name="Änderungen des Umsetzungsstands, die neueste zuerst")
    assert REASON in history.inner_text()
    assert "Sabine Sommer" in history.inner_text()
    shot(page, "measure-after")
    assert page.console_errors == []

    log_in(page, "albers", "/intern/audit/")
    # The step in words, and the person's reason apart from it, as their text.
    row = page.locator("tr", has_text="Umsetzungsstand geändert").filter(
        has=page.locator("q.sd-typed", has_text=REASON)
    )
    expect(row).to_have_count(1)
    assert "Sabine Sommer" in row.inner_text()
    assert "HF1-M03" in row.inner_text()
    shot(page, "audit")
    assert page.console_errors == []
