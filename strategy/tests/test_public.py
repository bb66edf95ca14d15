"""The strategy on the public portal: only what is public at every level (strategy,
field of action, goal, measure, indicator) is shown, everything else is 404; the
indicator chart carries its data points and the target; „Finde ich wichtig“ counts
once per browser and is rate limited like the portal's dataset votes."""

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import make_user
from governance.models import PolicyDocument
from strategy import charts, public_views, services
from strategy.models import (
    FieldOfAction,
    Goal,
    Indicator,
    IndicatorUnit,
    IndicatorValue,
    Measure,
    MeasureStatus,
    MeasureVote,
    Milestone,
    Strategy,
)

pytestmark = pytest.mark.django_db

SLUG = "datenstrategie-test"


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()  # rate limits and live indicator values live there
    yield
    cache.clear()


@pytest.fixture
def staff(org_a):
    return make_user("erika.mustermann", first_name="Erika", last_name="Mustermann")


class Plan:
    """A small public strategy: field HF1 with goal Z1, and helpers to add more."""

    def __init__(self, organisation, staff):
        self.organisation, self.staff = organisation, staff
        self.strategy = Strategy.objects.create(
            slug=SLUG,
            title="Datenstrategie Teststadt 2022–2027",
            summary="Daten sind **Gemeingut**.",
            is_public=True,
            period_start=date(2022, 1, 1),
            period_end=date(2027, 12, 31),
        )
        self.field = self.add_field("HF1", "Digitale Infrastruktur und Datenpolitik")
        self.goal = self.add_goal(self.field, "HF1-Z1", "Alle Daten werden nutzbar gemacht")
        self._measures = 0
        self._indicators = 0

    def add_field(self, code, title, **fields):
        return FieldOfAction.objects.create(strategy=self.strategy, code=code, title=title, **fields)

    def add_goal(self, field, code, title, **fields):
        return Goal.objects.create(field_of_action=field, code=code, title=title, **fields)

    def add_measure(self, goal=None, *, code=None, title=None, status=None, **fields):
        self._measures += 1
        number = self._measures
        measure = Measure.objects.create(
            goal=goal or self.goal,
            code=code or f"HF1-M{number:02d}",
            title=title or f"Maßnahme Nummer {number}",
            description="Eine **neue** Datenstrategie.",
            start_date=date(2022, 7, 1),
            end_date=date(2023, 12, 31),
            budget_planned=Decimal("100000"),
            budget_spent=Decimal("80000"),
            responsible_organisation=self.organisation,
            responsible_person=self.staff,
            **fields,
        )
        if status:
            measure = services.change_measure_status(measure, by=self.staff, status=status, reason=f"Grund {number}")
        return measure

    def add_indicator(self, goal=None, *, code=None, values=(), **fields):
        self._indicators += 1
        defaults = {
            "title": f"Anteil offener Daten {self._indicators}",
            "unit": IndicatorUnit.PERCENT,
            "target_value": Decimal("80"),
            "target_date": date(2027, 12, 31),
            "source": "Statistikstelle",
        }
        indicator = Indicator.objects.create(
            goal=goal or self.goal, code=code or f"I-{self._indicators:02d}", **{**defaults, **fields}
        )
        for day, value in values:
            IndicatorValue.objects.create(indicator=indicator, date=day, value=Decimal(value), origin="manual")
        return indicator


@pytest.fixture
def plan(org_a, staff):
    return Plan(org_a, staff)


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, url
    return response.content.decode()


def strategy_url(slug=SLUG):
    return reverse("strategy:public_strategy", args=[slug])


def measure_url(measure, slug=SLUG):
    return reverse("strategy:public_measure", args=[slug, measure.code])


def vote_url(measure, slug=SLUG):
    return reverse("strategy:public_measure_vote", args=[slug, measure.code])


def svg_charts(html: str) -> list[ET.Element]:
    # The markup comes from our own test server, not from strangers.
    svgs = re.findall(r'<svg class="sd-chart".*?</svg>', html, flags=re.S)
    return [ET.fromstring(svg) for svg in svgs]  # noqa: S314


def table_rows(html: str, kind: str) -> list[tuple[str, str]]:
    pattern = (
        rf'<tr class="kern-table__row" data-kind="{kind}"><th scope="row" class="kern-table__header">([^<]+)</th>'
        r'<td class="kern-table__cell kern-table__cell--numeric">([^<]+)</td>'
    )
    return re.findall(pattern, html)


# ---------------------------------------------------------------------------
# Only public things, at every level


def test_the_list_shows_public_strategies_only(client, plan):
    Strategy.objects.create(slug="entwurf", title="Geheimer Strategieentwurf", is_public=False)
    plan.add_measure(status=MeasureStatus.DONE)
    plan.add_measure(is_public=False)
    html = page(client, reverse("strategy:public_strategy_list"))
    assert plan.strategy.title in html
    assert strategy_url() in html
    assert "Geheimer Strategieentwurf" not in html
    assert "1 Maßnahme, davon 1 umgesetzt" in html  # the internal measure is not counted


def test_the_strategy_page_shows_only_what_is_public_at_every_level(client, plan):
    shown = plan.add_measure(title="Öffentliche Maßnahme", status=MeasureStatus.IN_PROGRESS)
    plan.add_measure(title="Interne Maßnahme", is_public=False)
    plan.add_indicator(title="Öffentlicher Indikator")
    plan.add_indicator(title="Interner Indikator", is_public=False)
    hidden_goal = plan.add_goal(plan.field, "HF1-Z2", "Verborgenes Ziel", is_public=False)
    plan.add_measure(hidden_goal, title="Maßnahme eines internen Ziels")
    plan.add_indicator(hidden_goal, title="Indikator eines internen Ziels")
    hidden_field = plan.add_field("HF9", "Verborgenes Handlungsfeld", is_public=False)
    goal_of_hidden_field = plan.add_goal(hidden_field, "HF9-Z1", "Ziel im verborgenen Feld")
    plan.add_measure(goal_of_hidden_field, title="Maßnahme im verborgenen Feld")

    html = page(client, strategy_url())
    for text in ("Digitale Infrastruktur und Datenpolitik", "Alle Daten werden nutzbar gemacht", "Öffentliche Maßnahme",
                 "Öffentlicher Indikator", "in Umsetzung", measure_url(shown)):  # fmt: skip
        assert text in html, text
    for text in ("Interne Maßnahme", "Interner Indikator", "Verborgenes Ziel", "Maßnahme eines internen Ziels",
                 "Indikator eines internen Ziels", "Verborgenes Handlungsfeld", "Ziel im verborgenen Feld",
                 "Maßnahme im verborgenen Feld"):  # fmt: skip
        assert text not in html, text
    assert "Daten sind <strong>Gemeingut</strong>." in html  # the summary's Markdown
    assert "Die Strategie hat 1 Maßnahme." in html


def test_nothing_that_is_not_public_can_be_reached(client, plan):
    public_measure = plan.add_measure()
    internal = plan.add_measure(is_public=False)
    hidden_goal = plan.add_goal(plan.field, "HF1-Z2", "Verborgenes Ziel", is_public=False)
    under_hidden_goal = plan.add_measure(hidden_goal)
    hidden_field = plan.add_field("HF9", "Verborgenes Handlungsfeld", is_public=False)
    under_hidden_field = plan.add_measure(plan.add_goal(hidden_field, "HF9-Z1", "Ziel"))
    other = Strategy.objects.create(slug="andere", title="Andere Strategie", is_public=True)
    elsewhere = plan.add_measure(
        plan.add_goal(FieldOfAction.objects.create(strategy=other, code="A", title="A"), "A1", "Z")
    )

    for measure in (internal, under_hidden_goal, under_hidden_field):
        page(client, measure_url(measure), 404)
        assert client.post(vote_url(measure)).status_code == 404
    # A public measure exists only under its own strategy's address.
    page(client, measure_url(elsewhere), 404)
    page(client, measure_url(public_measure, slug="andere"), 404)
    page(client, measure_url(public_measure), 200)

    # The whole strategy taken off the portal: every page of it is gone.
    Strategy.objects.filter(pk=plan.strategy.pk).update(is_public=False)
    page(client, strategy_url(), 404)
    page(client, measure_url(public_measure), 404)
    assert client.post(vote_url(public_measure)).status_code == 404
    assert plan.strategy.title not in page(client, reverse("strategy:public_strategy_list"))
    assert MeasureVote.objects.count() == 0


def test_staff_see_the_public_pages_as_citizens_do(client_for, plan, admin_a):
    internal = plan.add_measure(title="Interne Maßnahme", is_public=False)
    client = client_for(admin_a)
    assert "Interne Maßnahme" not in page(client, strategy_url())
    page(client, measure_url(internal), 404)


# ---------------------------------------------------------------------------
# Measures: status filter, measure page


def test_measures_can_be_filtered_by_status(client, plan):
    plan.add_measure(title="Schon fertig", status=MeasureStatus.DONE)
    plan.add_measure(title="Hängt hinterher", status=MeasureStatus.DELAYED)
    plan.add_measure(title="Noch in Planung")

    html = page(client, strategy_url() + "?status=delayed")
    assert "Hängt hinterher" in html
    assert "Schon fertig" not in html
    assert "Noch in Planung" not in html
    assert "Gezeigt wird 1 Maßnahme mit dem Umsetzungsstand „verzögert“." in html
    assert 'href="?status=delayed#handlungsfelder" aria-current="page"' in html
    # The filter links name every status with its count, whatever is filtered.
    assert re.search(r"umgesetzt</span></span> <span class=\"sd-status-filter__count\">\(1\)", html)
    assert re.search(r"eingestellt</span></span> <span class=\"sd-status-filter__count\">\(0\)", html)

    everything = page(client, strategy_url() + "?status=unsinn")
    assert all(title in everything for title in ("Schon fertig", "Hängt hinterher", "Noch in Planung"))


def test_a_status_is_text_and_icon_not_colour_alone(client, plan):
    for status in MeasureStatus.values:
        plan.add_measure(status=None if status == MeasureStatus.PLANNED else status)
    html = page(client, strategy_url())
    for value, label in MeasureStatus.choices:
        badge = re.search(rf'<span class="kern-badge[^"]*sd-status-badge"><span class="kern-icon ([^"]+)" '
                          rf'aria-hidden="true"></span><span class="kern-label">{label}</span>', html)  # fmt: skip
        assert badge, value
    icons = {
        re.search(
            rf'kern-icon (kern-icon--[a-z-]+)" aria-hidden="true"></span><span class="kern-label">{label}<', html
        )[1]
        for _value, label in MeasureStatus.choices
    }
    assert len(icons) == len(MeasureStatus.choices)  # each status its own icon


def test_the_measure_page(client, plan, staff, default_rules):
    from catalog.models import Dataset

    measure = plan.add_measure(
        code="HF1-M10",
        title="Etablierung einer neuen Datenstrategie und Data Governance im Stadtverbund",
        external_partners="Hochschule Lindenau",
    )
    measure = services.change_measure_status(
        measure, by=staff, status=MeasureStatus.IN_PROGRESS, reason="Auftakt im Juli"
    )
    measure = services.change_measure_status(
        measure, by=staff, status=MeasureStatus.DONE, reason="Vom Rat am 20.06.2023 beschlossen"
    )
    Milestone.objects.create(measure=measure, title="Analyse der Ausgangslage", due_date=date(2022, 10, 31),
                             done_date=date(2022, 10, 20), evidence="intern://protokoll-4711")  # fmt: skip
    Milestone.objects.create(measure=measure, title="Satzungen und Dienstanweisungen", due_date=date(2023, 12, 31))
    policy = PolicyDocument.objects.create(slug="datenstrategie", kind="strategy", title="Datenstrategie (Dokument)")
    measure.policy_documents.add(policy)
    published = Dataset.objects.create(name="baumkataster", title="Baumkataster", publisher=plan.organisation,
                                       state="published")  # fmt: skip
    draft = Dataset.objects.create(name="geheim", title="Unveröffentlichter Datensatz", publisher=plan.organisation)
    measure.datasets.add(published, draft)

    html = page(client, measure_url(measure))
    assert "Etablierung einer neuen Datenstrategie und Data Governance im Stadtverbund" in html
    assert "Eine <strong>neue</strong> Datenstrategie." in html
    assert "01.07.2022 – 31.12.2023" in html
    assert "100.000 €" in html
    assert "80.000 € (80 % des geplanten Budgets)" in html
    assert plan.organisation.name in html
    assert "Hochschule Lindenau" in html
    # Status with its latest reason, and the history: date, status, reason – no staff name.
    assert "Vom Rat am 20.06.2023 beschlossen" in html
    assert "Auftakt im Juli" in html
    assert html.index("Vom Rat am 20.06.2023 beschlossen") < html.index(
        "Auftakt im Juli", html.index("massnahme-verlauf")
    )
    assert "Mustermann" not in html
    assert "erika" not in html
    # Milestones done and open (the evidence is internal and not shown).
    assert "erreicht am 20.10.2022" in html
    assert "offen, war geplant bis 31.12.2023" in html
    assert "1 von 2 Meilensteinen erreicht." in html
    assert "protokoll-4711" not in html
    # What it produced: published datasets linked, policy documents by title only.
    assert reverse("portal:dataset_detail", args=["baumkataster"]) in html
    assert "Unveröffentlichter Datensatz" not in html
    assert "Datenstrategie (Dokument)" in html
    assert "/intern/" not in html.split('<main id="main"')[1].split("</main>")[0]


def test_adopting_policy_versions_are_named_without_links(client, plan):
    from governance.models import PolicyStatus, PolicyVersion

    document = PolicyDocument.objects.create(slug="datenstrategie", kind="strategy", title="Datenstrategie")
    adopted = PolicyVersion.objects.create(document=document, number=1, title="Fassung 1", body="Text",
                                           status=PolicyStatus.IN_FORCE, adopted_by="Verbandsversammlung",
                                           adopted_on=date(2022, 6, 20), resolution_number="VV-2022-07")  # fmt: skip
    draft = PolicyVersion.objects.create(document=document, number=2, title="Fassung 2", body="Entwurf")
    plan.strategy.policy_versions.add(adopted, draft)
    html = page(client, strategy_url())
    assert "„Datenstrategie“, Fassung 1: beschlossen am 20.06.2022 von: Verbandsversammlung" in html
    assert "VV-2022-07" in html
    assert "Fassung 2" not in html
    assert document.get_absolute_url() not in html


# ---------------------------------------------------------------------------
# Indicator charts


def test_the_chart_shows_the_data_points_and_the_target(client, plan):
    values = [(date(2025, 1, 31), "40"), (date(2025, 6, 30), "52.5"), (date(2025, 12, 31), "61")]
    plan.add_indicator(
        title="Anteil offen veröffentlichter Datensätze",
        values=values,
        baseline_value=Decimal("30"),
        baseline_date=date(2024, 12, 31),
        target_value=Decimal("80"),
        target_date=date(2027, 12, 31),
    )
    html = page(client, strategy_url())
    [svg] = svg_charts(html)

    assert svg.get("role") == "img"
    assert svg.find("title").text == "Verlauf des Indikators „Anteil offen veröffentlichter Datensätze“ und sein Ziel"
    desc = svg.find("desc").text
    assert "3 Werte vom 31.01.2025 (40\xa0%) bis zum 31.12.2025 (61\xa0%)." in desc
    assert "Ziel: 80\xa0% bis 31.12.2027." in desc

    points = svg.findall("circle")
    assert [(p.get("data-date"), Decimal(p.get("data-value"))) for p in points] == [
        (day.isoformat(), Decimal(value)) for day, value in values
    ]
    # Time runs left to right, higher values are drawn higher (smaller y).
    xs = [float(p.get("cx")) for p in points]
    ys = [float(p.get("cy")) for p in points]
    assert xs == sorted(xs)
    assert ys == sorted(ys, reverse=True)
    target = svg.find("line[@class='sd-chart__target']")
    assert Decimal(target.get("data-value")) == 80
    assert float(target.get("y1")) < min(ys)  # 80 % is above every value so far
    target_date = svg.find("line[@class='sd-chart__target-date']")
    assert target_date.get("data-date") == "2027-12-31"
    assert float(target_date.get("x1")) > max(xs)
    labels = [text.text for text in svg.findall("text[@class='sd-chart__target-label']")]
    assert labels == ["Ziel: 80\xa0%", "12/2027"]  # by the target line, and on the time axis
    baseline = svg.find("rect[@class='sd-chart__baseline']")
    assert baseline.get("data-value") == "30.00"
    assert float(baseline.get("x")) < xs[0]
    # The same figures as a table.
    assert table_rows(html, "value") == [
        ("31.01.2025", "40\xa0%"),
        ("30.06.2025", "52,5\xa0%"),
        ("31.12.2025", "61\xa0%"),
    ]
    assert table_rows(html, "target") == [("31.12.2027", "80\xa0%")]
    assert table_rows(html, "baseline") == [("31.12.2024", "30\xa0%")]
    # Current value and the way to the target: (61 − 30) / (80 − 30) = 62 %.
    assert "Aktuell: <strong>61\xa0%</strong> (Stand 31.12.2025)" in html
    assert "62\xa0% des Weges zum Ziel" in html


def test_a_computed_indicator_adds_todays_live_value(client, plan):
    """The live value of a computed indicator (here: no high-value dataset by API
    yet) joins the stored snapshots, marked as computed today."""
    plan.add_indicator(title="HVD per API", metric="hvd_available_by_api", unit=IndicatorUnit.COUNT,
                       target_value=Decimal("12"), values=[(date(2025, 1, 1), "3")])  # fmt: skip
    html = page(client, strategy_url())
    [svg] = svg_charts(html)
    points = svg.findall("circle")
    assert [p.get("data-date") for p in points] == ["2025-01-01", timezone.localdate().isoformat()]
    assert Decimal(points[-1].get("data-value")) == 0
    assert "sd-chart__point--live" in points[-1].get("class")
    assert "heute, live berechnet" in html


def test_a_lower_is_better_indicator_and_its_wording(client, plan):
    plan.add_indicator(
        title="Tage bis zur Entscheidung",
        unit=IndicatorUnit.DAYS,
        higher_is_better=False,
        target_value=Decimal("30"),
        values=[(date(2025, 3, 1), "45"), (date(2025, 9, 1), "38.5")],
    )
    html = page(client, strategy_url())
    [svg] = svg_charts(html)
    assert "Niedrigere Werte sind besser." in svg.find("desc").text
    assert table_rows(html, "value")[-1] == ("01.09.2025", "38,5\xa0Tage")
    target_y = float(svg.find("line[@class='sd-chart__target']").get("y1"))
    assert all(float(p.get("cy")) < target_y for p in svg.findall("circle"))  # 30 days is below the values


def test_an_indicator_without_values_still_shows_its_target(client, plan):
    plan.add_indicator(title="Geschulte Beschäftigte", unit=IndicatorUnit.COUNT, target_value=Decimal("250"))
    html = page(client, strategy_url())
    [svg] = svg_charts(html)
    assert svg.findall("circle") == []
    assert "Noch keine Werte erfasst." in svg.find("desc").text
    IndicatorValue.objects.create(indicator=Indicator.objects.get(), date=date(2025, 6, 30), value=40, origin="manual")
    [svg] = svg_charts(page(client, strategy_url()))
    assert svg.find("desc").text.startswith("Ein Wert vom 30.06.2025: 40.")
    assert table_rows(html, "target") == [("31.12.2027", "250")]


def test_many_snapshots_are_thinned_to_one_value_a_month():
    indicator = Indicator(code="I-X", title="X", unit=IndicatorUnit.PERCENT, target_value=Decimal("90"),
                          target_date=date(2027, 1, 1))  # fmt: skip
    start = date(2025, 1, 1)
    daily = [(start + timedelta(days=n), Decimal(n) / 10) for n in range(400)]
    chart = charts.indicator_chart(indicator, daily)
    assert len(chart.points) == 14  # January 2025 to February 2026
    assert chart.points[0].date == date(2025, 1, 31)
    assert chart.points[-1].date == daily[-1][0]


def test_the_target_label_keeps_clear_of_the_line():
    """Values climbing to a target at the top of the chart would run through a label
    placed by the target marker; it moves to where the line is not."""
    indicator = Indicator(code="I-X", title="X", unit=IndicatorUnit.PERCENT, target_value=Decimal("100"),
                          target_date=date(2026, 12, 31))  # fmt: skip
    values = [(date(2025, month, 28), Decimal(60 + month * 3)) for month in range(1, 13)]
    values += [(date(2026, month, 28), Decimal(96 + month * 0.3)) for month in range(1, 12)]
    chart = charts.indicator_chart(indicator, values)
    x, y, anchor = chart.target_label_position
    width = len(chart.target_short_label) * 9
    left = x - width if anchor == "end" else x
    crossing = [(px, py) for px, py in chart._line_samples() if left <= px <= left + width and y - 18 <= py <= y + 6]
    assert crossing == []
    assert 16 <= y < chart.bottom  # inside the picture (above the plot area is fine)


def test_values_are_written_the_german_way():
    assert charts.format_value(Decimal("1250.50"), IndicatorUnit.EURO) == "1.250,5\xa0€"
    assert charts.format_value(Decimal("62.50"), IndicatorUnit.PERCENT) == "62,5\xa0%"
    assert charts.format_value(Decimal("1"), IndicatorUnit.DAYS) == "1\xa0Tag"
    assert charts.format_value(Decimal("12.34"), IndicatorUnit.COUNT) == "12,34"
    assert charts.format_value(None, IndicatorUnit.COUNT) == "–"


# ---------------------------------------------------------------------------
# Votes


def test_one_vote_per_browser_and_the_count_on_the_pages(client, plan):
    measure = plan.add_measure()
    response = client.post(vote_url(measure))
    assert response.status_code == 302
    assert response["Location"] == measure_url(measure) + "#wichtig"
    html = page(client, measure_url(measure))
    assert "Danke! Ihre Stimme „Finde ich wichtig“ wurde gezählt." in html
    assert "1 Person findet diese Maßnahme wichtig." in html
    assert "Sie finden das wichtig" in html

    client.post(vote_url(measure))
    assert "Sie haben für diese Maßnahme bereits gestimmt." in page(client, measure_url(measure))
    assert MeasureVote.objects.filter(measure=measure).count() == 1

    type(client)().post(vote_url(measure))  # another browser
    assert MeasureVote.objects.filter(measure=measure).count() == 2
    assert "2 Personen finden diese Maßnahme wichtig." in page(type(client)(), measure_url(measure))
    assert '<dd class="sd-measure__votes">2 Stimmen</dd>' in page(client, strategy_url())
    # The browser id is stored only as the portal's keyed hash.
    assert all(len(vote.voter) == 64 for vote in MeasureVote.objects.all())


def test_the_vote_cookie_is_the_portals(client, plan, published_vote_cookie):
    """A browser that voted for a dataset is the same browser for a measure."""
    measure = plan.add_measure()
    client.cookies[published_vote_cookie.key] = published_vote_cookie.value
    client.post(vote_url(measure))
    from core import participation

    assert MeasureVote.objects.get().voter == participation.hashed("browser-4711")


@pytest.fixture
def published_vote_cookie():
    from django.http import HttpResponse

    from core.participation import VOTER_COOKIE, VOTER_SALT

    response = HttpResponse()
    response.set_signed_cookie(VOTER_COOKIE, "browser-4711", salt=VOTER_SALT)
    return response.cookies[VOTER_COOKIE]


def test_votes_are_rate_limited(client, plan, monkeypatch):
    monkeypatch.setattr(public_views, "VOTE_LIMIT", (3, 3600))
    measure = plan.add_measure(title="Offene Haushaltsdaten")
    for _index in range(3):
        assert type(client)().post(vote_url(measure), REMOTE_ADDR="192.0.2.9").status_code == 302
    response = type(client)().post(vote_url(measure), REMOTE_ADDR="192.0.2.9")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Zu viele Stimmen von Ihrem Anschluss." in html
    assert "Offene Haushaltsdaten" in html  # the measure page, with the message
    assert MeasureVote.objects.count() == 3
    # Another address may still vote.
    assert type(client)().post(vote_url(measure), REMOTE_ADDR="192.0.2.10").status_code == 302
    assert MeasureVote.objects.count() == 4


def test_voting_takes_post_only(client, plan):
    measure = plan.add_measure()
    assert client.get(vote_url(measure)).status_code == 405
    assert MeasureVote.objects.count() == 0


# ---------------------------------------------------------------------------
# Query counts: constant in the number of fields, goals, measures and indicators


def _grow(plan, n):
    for _index in range(n):
        index = Goal.objects.count()
        goal = plan.add_goal(plan.field, f"HF1-Z{index + 10}", f"Ziel {index}")
        for _measure in range(2):
            measure = plan.add_measure(goal, status=MeasureStatus.IN_PROGRESS)
            Milestone.objects.create(measure=measure, title="M", due_date=date(2024, 1, 1))
            MeasureVote.objects.create(measure=measure, voter=f"{index}-{measure.pk}")
        plan.add_indicator(goal, values=[(date(2025, 1, 1), "10"), (date(2025, 6, 1), "20")])
        plan.add_indicator(goal, metric="hvd_available_by_api", unit=IndicatorUnit.COUNT)
    plan.add_field(f"HF{FieldOfAction.objects.count() + 10}", "Weiteres Feld")


def _queries(client, url) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_strategy_page_queries_do_not_grow_with_its_size(client, plan, django_assert_num_queries):
    _grow(plan, 1)
    small = _queries(client, strategy_url())
    _grow(plan, 5)
    assert _queries(client, strategy_url()) == small
    cache.clear()
    # Strategy, adopting versions, fields, goals, status counts, measures (with votes and
    # milestones counted), indicators, their values, and the live metric (then cached).
    with django_assert_num_queries(9):
        client.get(strategy_url())
    with django_assert_num_queries(8):
        client.get(strategy_url())


def test_the_list_and_measure_pages_have_a_fixed_number_of_queries(client, plan, django_assert_num_queries):
    _grow(plan, 3)
    measure = Measure.objects.filter(goal__field_of_action__strategy=plan.strategy).first()
    for _index in range(5):
        Milestone.objects.create(measure=measure, title="Weiterer Meilenstein", due_date=date(2025, 1, 1))
    with django_assert_num_queries(1):
        client.get(reverse("strategy:public_strategy_list"))
    # Measure, votes, milestones, status history, partners, datasets, policy documents, ethics reviews.
    with django_assert_num_queries(8):
        client.get(measure_url(measure))


def test_the_strategy_is_in_the_sitemap_and_the_portal_navigation(client, plan):
    sitemap = b"".join(client.get(reverse("sitemap")).streaming_content).decode()
    assert "/strategie/</loc>" in sitemap
    html = page(client, strategy_url())
    assert re.search(r'<a class="sd-nav__link" href="/strategie/" aria-current="page">Strategie</a>', html)
