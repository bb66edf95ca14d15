"""A citizen reads the data strategy in a real browser (Debian's Chromium through
Playwright): measures with their status, an indicator chart with its data points and
target, a measure's page, and „Finde ich wichtig“ counting up. axe-core finds no WCAG
2.1 A/AA violations; no console errors (CSP violations would show there)."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import axe_violations, make_user
from strategy.models import IndicatorUnit, MeasureStatus, Milestone
from strategy.tests.test_public import SLUG, Plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")  # noqa: S108 – where people look at the screenshots
MOBILE = {"width": 390, "height": 844}


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"public-{name}.png", full_page=True)


@pytest.fixture
def strategy_plan(db, org_a):
    plan = Plan(org_a, make_user("erika.mustermann", first_name="Erika", last_name="Mustermann"))
    m10 = plan.add_measure(
        code="HF1-M10",
        title="Etablierung einer neuen Datenstrategie und Data Governance im Stadtverbund",
        status=MeasureStatus.IN_PROGRESS,
    )
    for title, due, done in (
        ("Analyse der Ausgangslage", date(2022, 10, 31), date(2022, 10, 20)),
        ("Erarbeitung der Inhalte", date(2023, 3, 31), date(2023, 3, 28)),
        ("Verabschiedung", date(2023, 6, 30), None),
    ):
        Milestone.objects.create(measure=m10, title=title, due_date=due, done_date=done)
    plan.add_measure(code="HF1-M03", title="Offene Schnittstellen für Geodaten", status=MeasureStatus.DELAYED)
    plan.add_measure(code="HF1-M04", title="Datenkatalog für alle Ämter", status=MeasureStatus.DONE)
    plan.add_measure(code="HF1-M05", title="Sensorplattform Innenstadt", status=MeasureStatus.DISCONTINUED)
    plan.add_measure(code="HF1-M06", title="Open-Data-Satzung")
    plan.add_measure(code="HF1-M09", title="Interne Vorarbeit (nicht öffentlich)", is_public=False)
    monthly = [
        (date(2025 + (m // 12), m % 12 + 1, 28), Decimal(38 + m * 1.5).quantize(Decimal("0.1"))) for m in range(12)
    ]
    plan.add_indicator(
        code="I-OPEN",
        title="Anteil offen veröffentlichter Datensätze",
        values=monthly,
        baseline_value=Decimal("35"),
        baseline_date=date(2024, 12, 31),
    )
    plan.add_indicator(
        code="I-DAYS",
        title="Tage bis zur Veröffentlichungsentscheidung (Median)",
        unit=IndicatorUnit.DAYS,
        higher_is_better=False,
        target_value=Decimal("14"),
        values=[(date(2025, 3, 31), "41"), (date(2025, 9, 30), "27.5"), (date(2025, 12, 31), "22")],
    )
    field2 = plan.add_field("HF2", "Datenkompetenz, Beteiligung und Nutzen")
    goal2 = plan.add_goal(field2, "HF2-Z1", "Beschäftigte können mit Daten umgehen")
    plan.add_measure(goal2, code="HF2-M01", title="Schulungsprogramm Datenkompetenz", status=MeasureStatus.IN_PROGRESS)
    plan.add_indicator(goal2, code="I-SCHULUNG", title="Geschulte Beschäftigte", unit=IndicatorUnit.COUNT,
                       target_value=Decimal("250"), source="Personalamt, Schulungsstatistik",
                       values=[(date(2025, 6, 30), "40"), (date(2025, 12, 31), "95")])  # fmt: skip
    return plan


def test_a_citizen_reads_the_strategy_and_supports_a_measure(page, strategy_plan):
    page.goto("/")
    page.get_by_role("navigation", name="Portalnavigation").get_by_role("link", name="Strategie").click()
    page.wait_for_url("**/strategie/")
    assert axe_violations(page) == []
    shoot(page, "liste")
    page.get_by_role("link", name=strategy_plan.strategy.title).click()
    page.wait_for_url(f"**/strategie/{SLUG}/")

    # Measures with their status as text; the internal one is not there.
    m10 = page.locator(".sd-measure", has_text="HF1-M10")
    assert m10.locator(".kern-label").inner_text() == "in Umsetzung"
    assert "2 von 3 erreicht" in m10.inner_text()
    assert page.locator(".sd-measure", has_text="HF1-M03").locator(".kern-label").inner_text() == "verzögert"
    assert page.get_by_text("Interne Vorarbeit").count() == 0

    # The indicator chart: an SVG image with one point per value and the target.
    chart = page.locator("svg.sd-chart[data-indicator='I-OPEN']")
    expect(chart).to_be_visible()
    assert chart.get_attribute("role") == "img"
    assert chart.locator("circle.sd-chart__point").count() == 12
    assert chart.locator("line.sd-chart__target").get_attribute("data-value") == "80.00"
    assert chart.locator("text.sd-chart__target-label").all_text_contents() == ["Ziel: 80\xa0%", "12/2027"]
    figure = page.locator("figure", has=chart)
    figure.get_by_text("Als Tabelle").click()
    expect(figure.get_by_role("cell", name="54,5\xa0%")).to_be_visible()
    assert axe_violations(page) == []
    shoot(page, "strategie-desktop")

    # Filter by status.
    page.get_by_role("link", name="verzögert (1)").click()
    expect(page.get_by_text("Gezeigt wird 1 Maßnahme mit dem Umsetzungsstand „verzögert“.")).to_be_visible()
    assert page.locator(".sd-measure").count() == 1
    page.get_by_role("link", name="Alle Maßnahmen zeigen").click()
    expect(page.locator(".sd-measure")).not_to_have_count(1)

    # The measure page and the vote.
    page.get_by_role("link", name="HF1-M10 Etablierung einer neuen Datenstrategie").click()
    expect(page.locator("h1")).to_contain_text("Etablierung einer neuen Datenstrategie")
    assert page.get_by_text("1 von 3").count() == 0  # two are done
    expect(page.get_by_text("2 von 3 Meilensteinen erreicht.")).to_be_visible()
    assert page.get_by_text("Mustermann").count() == 0
    expect(page.get_by_text("0 Personen finden diese Maßnahme wichtig.")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Finde ich wichtig").click()
    expect(page.get_by_text("Danke! Ihre Stimme „Finde ich wichtig“ wurde gezählt.")).to_be_visible()
    expect(page.get_by_text("1 Person findet diese Maßnahme wichtig.")).to_be_visible()
    expect(page.get_by_role("button", name="Sie finden das wichtig")).to_be_disabled()
    shoot(page, "massnahme-desktop")
    assert axe_violations(page) == []

    # Back on the strategy page, the card counts the vote.
    breadcrumbs = page.get_by_role("navigation", name="Brotkrümelnavigation")
    breadcrumbs.get_by_role("link", name=strategy_plan.strategy.title).click()
    expect(page.locator(".sd-measure", has_text="HF1-M10").locator(".sd-measure__votes")).to_have_text("1 Stimme")
    assert page.console_errors == []


def test_the_strategy_on_a_phone(browser, live_server, strategy_plan):
    context = browser.new_context(base_url=live_server.url, locale="de-DE", viewport=MOBILE)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    try:
        page.goto(f"/strategie/{SLUG}/")
        # Nothing wider than the screen: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
        chart = page.locator("svg.sd-chart[data-indicator='I-OPEN']")
        assert chart.bounding_box()["width"] <= MOBILE["width"]
        assert axe_violations(page) == []
        shoot(page, "strategie-mobil")
        page.goto(f"/strategie/{SLUG}/massnahmen/HF1-M10/")
        assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
        assert axe_violations(page) == []
        shoot(page, "massnahme-mobil")
        assert errors == []
    finally:
        context.close()
