"""The staff pages of the strategy: who sees and changes what, the status change with
its reason (and its trace in the audit journal), conflicts, filters and query counts."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance.models import AuditEvent
from strategy import services
from strategy.models import IndicatorValue, Measure, MeasureStatus, MeasureStatusChange, Milestone

from .conftest import make_indicator, make_measure

pytestmark = pytest.mark.django_db


def status_url(measure):
    return reverse("strategy:measure_status", args=[measure.code])


@pytest.fixture
def manual_indicator(goal, admin_a):
    indicator = make_indicator(
        goal, by=admin_a, code="I-SCHULUNG", unit="count", target_value=Decimal("500"), source="Personalamt"
    )
    services.record_indicator_value(
        indicator, by=admin_a, date=date(2025, 6, 30), value=Decimal("120"), source="Personalamt, Schulungsstatistik"
    )
    return indicator


@pytest.fixture
def page_urls(strategy, measure, manual_indicator):
    return [
        reverse("strategy:strategy_list"),
        reverse("strategy:strategy_detail", args=[strategy.slug]),
        reverse("strategy:strategy_timeline", args=[strategy.slug]),
        reverse("strategy:measure_detail", args=[measure.code]),
        reverse("strategy:measure_history", args=[measure.code]),
        reverse("strategy:indicator_detail", args=[manual_indicator.code]),
    ]


# ---------------------------------------------------------------------------
# Who sees the pages


def test_every_page_renders_for_any_staff_member(client_for, steward_b, page_urls, measure):
    client = client_for(steward_b)
    for url in page_urls:
        response = client.get(url)
        assert response.status_code == 200, url
    assert measure.title in client.get(page_urls[1]).content.decode()


def test_anonymous_people_are_sent_to_the_login(client, page_urls):
    for url in page_urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/konto/anmelden/"), url


def test_people_without_a_role_are_refused(client_for, outsider, page_urls):
    client = client_for(outsider)
    for url in page_urls:
        assert client.get(url).status_code == 403, url


def test_read_only_pages_refuse_post(client_for, admin_a, page_urls):
    client = client_for(admin_a)
    for url in page_urls:
        assert client.post(url).status_code == 405, url


def test_the_staff_navigation_links_the_strategy(client_for, steward_b):
    response = client_for(steward_b).get(reverse("strategy:strategy_list"))
    entries = {entry["label"]: entry for entry in response.context["staff_navigation"]}
    assert entries["Strategie"]["url"] == "/intern/strategie/"
    assert entries["Strategie"]["active"]


# ---------------------------------------------------------------------------
# Overview


def test_the_overview_shows_the_tree_with_status_progress_and_indicators(
    client_for, steward_b, strategy, measure, overdue_milestone, manual_indicator, admin_a, today
):
    services.add_milestone(
        measure, by=admin_a, title="Konzept", due_date=today - timedelta(30), done_date=today - timedelta(2)
    )
    html = client_for(steward_b).get(reverse("strategy:strategy_detail", args=[strategy.slug])).content.decode()
    assert "Digitale Infrastruktur" in html
    assert "HF1-Z1" in html
    assert "geplant" in html  # the status in words, not only as a colour
    assert "1 von 2 Meilensteinen erreicht" in html
    assert 'value="50"' in html  # the progress bar, with its number in the label
    assert "Fortschritt: 50 %" in html
    assert "1 Meilenstein überfällig" in html
    assert "I-SCHULUNG" in html
    assert "120" in html
    assert "500" in html
    assert "Zielerreichung: 24 %" in html  # 120 of 500, from a baseline of 0


def test_the_overview_filters_by_status_and_organisation(
    client_for, steward_b, strategy, goal, measure, admin_a, org_a, org_b, steward_a
):
    other = make_measure(goal, by=admin_a, code="HF1-M02", responsible_organisation=org_b, title="Parkdaten")
    services.change_measure_status(other, by=admin_a, status=MeasureStatus.IN_PROGRESS, reason="Gestartet")
    client = client_for(steward_b)
    url = reverse("strategy:strategy_detail", args=[strategy.slug])

    response = client.get(url, {"status": "in_progress"})
    assert [m.code for g in response.context["fields"][0].shown_goals for m in g.shown_measures] == ["HF1-M02"]
    assert response.context["measure_count"] == 1

    response = client.get(url, {"organisation": org_a.pk})
    assert [m.code for g in response.context["fields"][0].shown_goals for m in g.shown_measures] == [measure.code]

    response = client.get(url, {"status": "done"})
    assert response.context["fields"] == []
    assert "Keine Maßnahme passt zu diesem Filter." in response.content.decode()


def _add_measures(goal, admin_a, org_a, steward_a, start: int, count: int, today):
    for number in range(start, start + count):
        measure = make_measure(
            goal, by=admin_a, code=f"HF1-M{number:02d}", responsible_organisation=org_a, responsible_person=steward_a
        )
        services.add_milestone(measure, by=admin_a, title="Start", due_date=today - timedelta(3))
        services.add_milestone(measure, by=admin_a, title="Ende", due_date=today + timedelta(30))


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


# Both pages: session and user (2), the staff check of the internal area and of the
# strategy (2), the navigation's roles (1), the strategy (1), its fields of action,
# goals, measures with their people, milestones (4). The overview adds the filter's
# organisations, the indicators, the manual indicator's latest value, the manager
# check and the linked policy versions (5).
@pytest.mark.parametrize(("page", "queries"), [("strategy:strategy_detail", 15), ("strategy:strategy_timeline", 10)])
def test_overview_and_timeline_need_the_same_queries_for_more_measures(
    client_for, steward_b, strategy, goal, admin_a, org_a, steward_a, manual_indicator, page, queries, today
):
    client = client_for(steward_b)
    url = reverse(page, args=[strategy.slug])
    _add_measures(goal, admin_a, org_a, steward_a, 1, 3, today)
    client.get(url)  # warm the caches (content types, permissions) that any first request fills
    assert _queries(client, url) == queries
    _add_measures(goal, admin_a, org_a, steward_a, 4, 6, today)
    assert _queries(client, url) == queries


# ---------------------------------------------------------------------------
# Status change


def test_the_responsible_person_changes_the_status_with_a_reason(client_for, steward_a, measure):
    client = client_for(steward_a)
    assert client.get(status_url(measure)).status_code == 200
    response = client.post(
        status_url(measure),
        {"status": MeasureStatus.IN_PROGRESS, "reason": "Ausschreibung vergeben", "version": measure.version},
    )
    assert response.status_code == 302
    assert response["Location"] == measure.get_absolute_url()
    measure.refresh_from_db()
    assert measure.status == MeasureStatus.IN_PROGRESS
    change = MeasureStatusChange.objects.get(measure=measure)
    assert (change.old_status, change.new_status, change.reason, change.changed_by) == (
        MeasureStatus.PLANNED,
        MeasureStatus.IN_PROGRESS,
        "Ausschreibung vergeben",
        steward_a,
    )
    html = client.get(measure.get_absolute_url()).content.decode()
    assert "Der Umsetzungsstand ist jetzt „in Umsetzung“." in html
    assert "Ausschreibung vergeben" in html


def test_the_status_change_is_in_the_audit_journal_with_person_and_reason(client_for, steward_a, admin_a, measure):
    client_for(steward_a).post(
        status_url(measure),
        {"status": MeasureStatus.DELAYED, "reason": "Lieferengpass beim Dienstleister", "version": measure.version},
    )
    event = AuditEvent.objects.filter(object_id=str(measure.pk), reason__startswith="strategy.measure.status").get()
    assert event.actor == steward_a
    html = client_for(admin_a).get(reverse("governance:audit")).content.decode()
    assert "Umsetzungsstand geändert" in html
    assert '<q class="sd-typed">Lieferengpass beim Dienstleister</q>' in html  # the person's text, apart
    assert steward_a.username in html or steward_a.get_full_name() in html


def test_a_status_change_without_reason_is_refused_on_the_field(client_for, steward_a, measure):
    events = AuditEvent.objects.count()
    response = client_for(steward_a).post(
        status_url(measure), {"status": MeasureStatus.DONE, "reason": "  ", "version": measure.version}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert 'aria-invalid="true"' in response.content.decode()
    measure.refresh_from_db()
    assert measure.status == MeasureStatus.PLANNED
    assert not MeasureStatusChange.objects.exists()
    assert AuditEvent.objects.count() == events


def test_a_stale_version_is_a_conflict_and_writes_nothing(client_for, steward_a, admin_a, measure):
    stale = measure.version
    services.change_measure_status(measure, by=admin_a, status=MeasureStatus.IN_PROGRESS, reason="Gestartet")
    response = client_for(steward_a).post(
        status_url(measure), {"status": MeasureStatus.DONE, "reason": "Fertig", "version": stale}
    )
    assert response.status_code == 200
    assert "inzwischen von jemand anderem geändert" in response.content.decode()
    measure.refresh_from_db()
    assert measure.status == MeasureStatus.IN_PROGRESS
    assert MeasureStatusChange.objects.filter(measure=measure).count() == 1


def test_another_steward_may_not_report_progress(client_for, steward_b, measure):
    client = client_for(steward_b)
    assert client.get(status_url(measure)).status_code == 403
    response = client.post(status_url(measure), {"status": "done", "reason": "Fertig", "version": measure.version})
    assert response.status_code == 403
    assert not MeasureStatusChange.objects.exists()
    assert "Umsetzungsstand ändern" not in client.get(measure.get_absolute_url()).content.decode()


def test_a_steward_of_the_same_organisation_who_is_not_responsible_may_not_either(client_for, org_a, measure):
    from conftest import make_role_holder
    from governance.models import Role

    colleague = make_role_holder("kollegin-a", Role.STEWARD, org_a)
    assert client_for(colleague).get(status_url(measure)).status_code == 403


def test_the_governance_admin_may_report_progress(client_for, admin_a, measure):
    assert client_for(admin_a).get(status_url(measure)).status_code == 200


# ---------------------------------------------------------------------------
# Plan, milestones, indicators


def test_the_admin_edits_the_plan_and_a_stale_form_is_a_conflict(client_for, admin_a, steward_a, measure, org_a):
    client = client_for(admin_a)
    url = reverse("strategy:measure_edit", args=[measure.code])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {key: ("" if value is None else value) for key, value in data.items()}
    data.update({"title": "Neuer Titel", "budget_planned": "25000", "is_public": "on"})
    for name in ("partner_organisations", "policy_documents", "rules", "datasets", "ethics_reviews"):
        data.pop(name)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    measure.refresh_from_db()
    assert (measure.title, measure.budget_planned, measure.version) == ("Neuer Titel", Decimal("25000"), 2)

    # The same (now stale) form again: refused, nothing changes.
    data["title"] = "Überschrieben"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "inzwischen von jemand anderem geändert" in response.content.decode()
    measure.refresh_from_db()
    assert measure.title == "Neuer Titel"


def test_only_the_strategy_managers_edit_the_plan(client_for, steward_a, measure):
    assert client_for(steward_a).get(reverse("strategy:measure_edit", args=[measure.code])).status_code == 403


def test_the_admin_creates_a_measure(client_for, admin_a, strategy, goal, org_a):
    response = client_for(admin_a).post(
        reverse("strategy:measure_create", args=[strategy.slug]),
        {
            "goal": goal.pk,
            "code": "HF1-M20",
            "title": "Offene Schnittstellen",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "budget_planned": "5000",
            "budget_spent": "0",
            "responsible_organisation": org_a.pk,
            "is_public": "on",
        },
    )
    assert response.status_code == 302
    measure = Measure.objects.get(code="HF1-M20")
    assert response["Location"] == measure.get_absolute_url()
    assert measure.status == MeasureStatus.PLANNED
    assert measure.history.get().history_change_reason.startswith("strategy.measure.created")


def test_the_responsible_person_adds_and_completes_a_milestone(client_for, steward_a, measure, today):
    client = client_for(steward_a)
    response = client.post(
        reverse("strategy:milestone_create", args=[measure.code]),
        {"title": "Verabschiedung", "due_date": (today + timedelta(10)).isoformat(), "position": 0},
    )
    assert response.status_code == 302
    milestone = Milestone.objects.get(measure=measure)
    url = reverse("strategy:milestone_complete", args=[measure.code, milestone.pk])
    response = client.post(url, {"done_date": today.isoformat(), "evidence": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["evidence"]
    response = client.post(url, {"done_date": today.isoformat(), "evidence": "Beschluss DS 12/26"})
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert (milestone.done_date, milestone.evidence) == (today, "Beschluss DS 12/26")


def test_the_measure_page_marks_overdue_milestones_and_the_inbox_lists_them(
    client_for, steward_a, measure, overdue_milestone
):
    client = client_for(steward_a)
    html = client.get(measure.get_absolute_url()).content.decode()
    assert "1 überfällig" in html
    assert "überfällig seit" in html
    inbox = client.get(reverse("governance:tasks")).content.decode()
    assert f"{measure.code}: {overdue_milestone.title}" in inbox


def test_a_milestone_of_another_measure_is_not_found(client_for, admin_a, goal, org_a, measure, overdue_milestone):
    other = make_measure(goal, by=admin_a, code="HF1-M09", responsible_organisation=org_a)
    url = reverse("strategy:milestone_edit", args=[other.code, overdue_milestone.pk])
    assert client_for(admin_a).get(url).status_code == 404


def test_the_admin_enters_a_manual_indicator_value_with_its_source(client_for, admin_a, manual_indicator):
    client = client_for(admin_a)
    url = reverse("strategy:indicator_value_add", args=[manual_indicator.code])
    response = client.post(url, {"date": "2025-12-31", "value": "180", "source": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["source"]
    response = client.post(url, {"date": "2025-12-31", "value": "180", "source": "Personalamt"})
    assert response.status_code == 302
    assert IndicatorValue.objects.get(indicator=manual_indicator, date=date(2025, 12, 31)).value == Decimal("180")
    html = client.get(reverse("strategy:indicator_detail", args=[manual_indicator.code])).content.decode()
    assert "Personalamt" in html
    assert "180" in html


def test_stewards_do_not_enter_indicator_values(client_for, steward_a, manual_indicator):
    url = reverse("strategy:indicator_value_add", args=[manual_indicator.code])
    assert client_for(steward_a).post(url, {"date": "2025-12-31", "value": "1", "source": "x"}).status_code == 403
    assert IndicatorValue.objects.filter(indicator=manual_indicator).count() == 1


def test_the_timeline_draws_bars_markers_and_a_table(client_for, steward_b, strategy, measure, overdue_milestone):
    html = client_for(steward_b).get(reverse("strategy:strategy_timeline", args=[strategy.slug])).content.decode()
    assert "<svg" in html
    assert "sd-gantt__bar--planned" in html
    assert "sd-gantt__marker--overdue" in html
    assert "sd-gantt__today" in html
    assert 'style="' not in html  # the content security policy allows no inline styles
    assert "<caption" in html
    assert measure.code in html
    # Coordinates are written with a decimal point whatever the language.
    assert 'x="' in html
    assert not any(part.split('"')[0].count(",") for part in html.split(' x="')[1:])


# ---------------------------------------------------------------------------
# Budget spent


def budget_url(measure):
    return reverse("strategy:measure_budget", args=[measure.code])


def test_the_responsible_person_reports_the_budget_spent_with_a_note(client_for, steward_a, measure):
    client = client_for(steward_a)
    response = client.get(budget_url(measure))
    assert response.status_code == 200
    assert response.context["form"]["version"].value() == measure.version
    response = client.post(
        budget_url(measure), {"budget_spent": "2500.50", "note": "Rechnung Q3 bezahlt", "version": measure.version}
    )
    assert response.status_code == 302
    assert response["Location"] == measure.get_absolute_url()
    measure.refresh_from_db()
    assert (measure.budget_spent, measure.budget_planned, measure.version) == (Decimal("2500.50"), Decimal("10000"), 2)
    record = measure.history.order_by("-history_id").first()
    assert (record.history_change_reason, record.history_person_text) == (
        "strategy.measure.budget_reported",
        "Rechnung Q3 bezahlt",
    )
    assert record.history_user == steward_a
    html = client.get(measure.get_absolute_url()).content.decode()
    assert "Der verausgabte Betrag wurde gespeichert." in html
    assert "10.000 € geplant, 2.500,50 € verausgabt" in html
    assert "Überschreitung" not in html
    history = client.get(reverse("strategy:measure_history", args=[measure.code])).content.decode()
    assert "Verausgabtes Budget gemeldet" in history
    assert '<q class="sd-typed">Rechnung Q3 bezahlt</q>' in history
    # The changed field with its old and new value.
    assert '<th scope="row" class="kern-table__header">Verausgabt (€)</th>' in history
    assert '<td class="kern-table__cell sd-diff-value">2500.50</td>' in history


def test_spending_more_than_planned_is_saved_with_a_warning_and_shown_as_overrun(
    client_for, steward_a, steward_b, strategy, measure
):
    response = client_for(steward_a).post(
        budget_url(measure), {"budget_spent": "12500", "note": "", "version": measure.version}, follow=True
    )
    html = response.content.decode()
    assert "Gespeichert. Das geplante Budget ist um 2.500 € überschritten." in html
    assert "Überschreitung um 2.500 €" in html  # the measure page, in words
    measure.refresh_from_db()
    assert measure.budget_spent == Decimal("12500")
    assert measure.history.order_by("-history_id").first().history_change_reason == "strategy.measure.budget_reported"
    overview = client_for(steward_b).get(reverse("strategy:strategy_detail", args=[strategy.slug]))
    assert "Überschreitung um 2.500 €" in overview.content.decode()


def test_a_negative_amount_is_refused_on_the_field(client_for, steward_a, measure):
    events = AuditEvent.objects.count()
    response = client_for(steward_a).post(budget_url(measure), {"budget_spent": "-1", "version": measure.version})
    assert response.status_code == 200
    assert response.context["form"].errors["budget_spent"] == ["Der verausgabte Betrag kann nicht negativ sein."]
    assert 'aria-invalid="true"' in response.content.decode()
    response = client_for(steward_a).post(budget_url(measure), {"budget_spent": "viel", "version": measure.version})
    assert response.context["form"].errors["budget_spent"] == ["Bitte eine Zahl eingeben."]
    measure.refresh_from_db()
    assert (measure.budget_spent, measure.version) == (Decimal("0"), 1)
    assert AuditEvent.objects.count() == events


def test_a_stale_budget_report_is_a_conflict_and_writes_nothing(client_for, steward_a, admin_a, measure):
    stale = measure.version
    services.report_budget_spent(measure, by=admin_a, budget_spent=Decimal("100"), expected_version=stale)
    response = client_for(steward_a).post(budget_url(measure), {"budget_spent": "900", "version": stale})
    assert response.status_code == 200
    assert "inzwischen von jemand anderem geändert" in response.content.decode()
    measure.refresh_from_db()
    assert (measure.budget_spent, measure.version) == (Decimal("100"), 2)


def test_only_reporters_report_the_budget(client_for, steward_b, admin_a, owner_a, measure):
    for person in (steward_b, owner_a):
        client = client_for(person)
        assert client.get(budget_url(measure)).status_code == 403
        assert client.post(budget_url(measure), {"budget_spent": "5", "version": measure.version}).status_code == 403
        assert "Verausgabtes Budget melden" not in client.get(measure.get_absolute_url()).content.decode()
    measure.refresh_from_db()
    assert measure.version == 1
    client = client_for(admin_a)
    assert "Verausgabtes Budget melden" in client.get(measure.get_absolute_url()).content.decode()
    assert client.post(budget_url(measure), {"budget_spent": "5", "version": 1}).status_code == 302


# ---------------------------------------------------------------------------
# Editing the strategy, fields of action, goals and indicators


def form_data(response) -> dict:
    """What the edit form sends back unchanged (unchecked boxes and empty lists left out)."""
    form = response.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False or value == []:
            continue
        data[name] = "on" if value is True else value
    return data


@pytest.fixture
def policy_version(admin_a):
    from governance import services as governance_services
    from governance.models import PolicyKind

    document = governance_services.create_document(
        by=admin_a, kind=PolicyKind.DATA_STRATEGY, title="Datenstrategie", slug="datenstrategie"
    )
    return governance_services.create_draft(document, by=admin_a, body="# Datenstrategie\n\nText.")


def test_the_admin_edits_the_strategy_and_links_its_policy_version(client_for, admin_a, strategy, policy_version):
    client = client_for(admin_a)
    url = reverse("strategy:strategy_edit", args=[strategy.slug])
    response = client.get(url)
    assert response.status_code == 200
    assert "slug" not in response.context["form"].fields  # the address stays
    assert "organisation" not in response.context["form"].fields  # and who maintains it
    data = form_data(response)
    data.update(
        {"title": "Datenstrategie 2022–2030", "period_end": "2030-12-31", "policy_versions": [policy_version.pk]}
    )
    data.pop("is_public")
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == strategy.get_absolute_url()
    strategy.refresh_from_db()
    assert (strategy.title, strategy.period_end, strategy.is_public, strategy.version) == (
        "Datenstrategie 2022–2030",
        date(2030, 12, 31),
        False,
        2,
    )
    assert list(strategy.policy_versions.all()) == [policy_version]
    html = client.get(strategy.get_absolute_url()).content.decode()
    assert "Die Strategie wurde gespeichert." in html
    assert "Datenstrategie, Fassung 1" in html
    history = client.get(reverse("strategy:strategy_history", args=[strategy.slug])).content.decode()
    assert "Strategie geändert" in history
    assert "Datenstrategie 2022–2030" in history


def test_a_stale_strategy_form_is_a_conflict_and_writes_nothing(client_for, admin_a, strategy):
    client = client_for(admin_a)
    url = reverse("strategy:strategy_edit", args=[strategy.slug])
    data = form_data(client.get(url))
    services.update_strategy(strategy, by=admin_a, changes={"title": "Von nebenan"}, expected_version=1)
    response = client.post(url, {**data, "title": "Meine Fassung"})
    assert response.status_code == 200
    assert "inzwischen von jemand anderem geändert" in response.content.decode()
    strategy.refresh_from_db()
    assert (strategy.title, strategy.version) == ("Von nebenan", 2)


def test_the_strategy_form_explains_wrong_values_on_their_fields(client_for, admin_a, strategy):
    client = client_for(admin_a)
    url = reverse("strategy:strategy_edit", args=[strategy.slug])
    data = {**form_data(client.get(url)), "title": "", "period_start": "2027-01-01", "period_end": "2026-01-01"}
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["title"] == ["Dieses Feld ist zwingend erforderlich."]
    assert errors["period_end"] == ["Das Ende der Laufzeit liegt vor ihrem Beginn."]
    strategy.refresh_from_db()
    assert (strategy.title, strategy.version) == ("Teststrategie", 1)
    # The page's headings keep the stored title, not the refused one.
    assert response.context["strategy"].title == "Teststrategie"


def test_the_admin_edits_a_field_of_action_and_a_goal(client_for, admin_a, strategy, field_of_action, goal):
    client = client_for(admin_a)
    url = reverse("strategy:field_of_action_edit", args=[strategy.slug, field_of_action.pk])
    response = client.post(url, {**form_data(client.get(url)), "title": "Infrastruktur und Datenpolitik"})
    assert response.status_code == 302
    assert response["Location"] == f"{strategy.get_absolute_url()}#field-{field_of_action.pk}"
    field_of_action.refresh_from_db()
    assert (field_of_action.title, field_of_action.version) == ("Infrastruktur und Datenpolitik", 2)

    url = reverse("strategy:goal_edit", args=[strategy.slug, goal.pk])
    response = client.get(url)
    assert "field_of_action" not in response.context["form"].fields
    response = client.post(url, {**form_data(response), "title": "ALLE Daten sind nutzbar", "code": "HF1-Z01"})
    assert response.status_code == 302
    goal.refresh_from_db()
    assert (goal.title, goal.code, goal.version) == ("ALLE Daten sind nutzbar", "HF1-Z01", 2)
    html = client.get(reverse("strategy:goal_history", args=[strategy.slug, goal.pk])).content.decode()
    assert "Ziel geändert" in html
    assert "ALLE Daten sind nutzbar" in html
    html = client.get(reverse("strategy:field_of_action_history", args=[strategy.slug, field_of_action.pk]))
    assert "Handlungsfeld geändert" in html.content.decode()


def test_field_and_goal_forms_refuse_wrong_values_and_stale_versions(
    client_for, admin_a, strategy, field_of_action, goal
):
    client = client_for(admin_a)
    url = reverse("strategy:goal_edit", args=[strategy.slug, goal.pk])
    data = form_data(client.get(url))
    response = client.post(url, {**data, "code": "hf1 z1"})
    assert response.context["form"].errors["code"] == ["Großbuchstaben, Ziffern, Punkt und Bindestrich, z. B. HF1-M10."]
    services.update_goal(goal, by=admin_a, changes={"title": "Von nebenan"}, expected_version=1)
    response = client.post(url, {**data, "title": "Meine Fassung"})
    assert "inzwischen von jemand anderem geändert" in response.content.decode()
    goal.refresh_from_db()
    assert (goal.title, goal.version) == ("Von nebenan", 2)

    url = reverse("strategy:field_of_action_edit", args=[strategy.slug, field_of_action.pk])
    data = form_data(client.get(url))
    services.update_field_of_action(field_of_action, by=admin_a, changes={"title": "Von nebenan"}, expected_version=1)
    response = client.post(url, {**data, "title": "Meine Fassung"})
    assert "inzwischen von jemand anderem geändert" in response.content.decode()
    field_of_action.refresh_from_db()
    assert field_of_action.title == "Von nebenan"


def test_a_goal_of_another_strategy_is_not_found(client_for, admin_a, strategy, goal):
    other = services.create_strategy(by=admin_a, slug="andere", title="Andere Strategie")
    for name in ("goal_edit", "goal_history"):
        assert client_for(admin_a).get(reverse(f"strategy:{name}", args=[other.slug, goal.pk])).status_code == 404
    url = reverse("strategy:field_of_action_edit", args=[other.slug, goal.field_of_action.pk])
    assert client_for(admin_a).get(url).status_code == 404


def test_the_admin_edits_an_indicator(client_for, admin_a, manual_indicator):
    client = client_for(admin_a)
    url = reverse("strategy:indicator_edit", args=[manual_indicator.code])
    response = client.get(url)
    assert "goal" not in response.context["form"].fields
    data = form_data(response)
    response = client.post(url, {**data, "target_value": "", "metric": "gibt-es-nicht"})
    errors = response.context["form"].errors
    assert errors["target_value"] == ["Dieses Feld ist zwingend erforderlich."]
    assert errors["metric"] == ["Bitte eine gültige Auswahl treffen. gibt-es-nicht ist keine gültige Auswahl."]
    response = client.post(url, {**data, "target_value": "600", "target_date": "2028-12-31"})
    assert response.status_code == 302
    assert response["Location"] == reverse("strategy:indicator_detail", args=[manual_indicator.code])
    manual_indicator.refresh_from_db()
    assert (manual_indicator.target_value, manual_indicator.target_date, manual_indicator.version) == (
        Decimal("600"),
        date(2028, 12, 31),
        2,
    )
    # The same form again is stale.
    response = client.post(url, {**data, "target_value": "700"})
    assert "inzwischen von jemand anderem geändert" in response.content.decode()
    manual_indicator.refresh_from_db()
    assert manual_indicator.target_value == Decimal("600")
    html = client.get(reverse("strategy:indicator_history", args=[manual_indicator.code])).content.decode()
    assert "Indikator geändert" in html
    assert "Zielwert" in html


def test_only_the_strategy_managers_edit_the_structure(
    client_for, steward_a, steward_b, strategy, field_of_action, goal, measure, manual_indicator
):
    """steward_a is responsible for a measure of the goal: that lets him report its
    progress, not change the strategy."""
    urls = [
        reverse("strategy:strategy_edit", args=[strategy.slug]),
        reverse("strategy:field_of_action_edit", args=[strategy.slug, field_of_action.pk]),
        reverse("strategy:goal_edit", args=[strategy.slug, goal.pk]),
        reverse("strategy:indicator_edit", args=[manual_indicator.code]),
    ]
    versions = [strategy.version, field_of_action.version, goal.version, manual_indicator.version]
    for person in (steward_a, steward_b):
        client = client_for(person)
        for url in urls:
            assert client.get(url).status_code == 403, url
            assert client.post(url, {"title": "Gekapert", "version": 1}).status_code == 403, url
        html = client.get(strategy.get_absolute_url()).content.decode()
        assert "Bearbeiten" not in html
        assert "Versionsverlauf" in html
    for instance, version in zip((strategy, field_of_action, goal, manual_indicator), versions, strict=True):
        instance.refresh_from_db()
        assert instance.version == version
        assert instance.title != "Gekapert"


def test_the_overview_and_the_indicator_link_edit_and_history_pages_for_managers(
    client_for, admin_a, strategy, field_of_action, goal, manual_indicator
):
    client = client_for(admin_a)
    html = client.get(strategy.get_absolute_url()).content.decode()
    for url in (
        reverse("strategy:strategy_edit", args=[strategy.slug]),
        reverse("strategy:strategy_history", args=[strategy.slug]),
        reverse("strategy:field_of_action_edit", args=[strategy.slug, field_of_action.pk]),
        reverse("strategy:field_of_action_history", args=[strategy.slug, field_of_action.pk]),
        reverse("strategy:goal_edit", args=[strategy.slug, goal.pk]),
        reverse("strategy:goal_history", args=[strategy.slug, goal.pk]),
    ):
        assert f'href="{url}"' in html, url
    html = client.get(reverse("strategy:indicator_detail", args=[manual_indicator.code])).content.decode()
    assert f'href="{reverse("strategy:indicator_edit", args=[manual_indicator.code])}"' in html
    assert f'href="{reverse("strategy:indicator_history", args=[manual_indicator.code])}"' in html


def _change_many_times(instance, update, by, times: int) -> None:
    for number in range(times):
        instance.refresh_from_db()
        update(instance, by=by, changes={"title": f"Fassung {number}"}, expected_version=instance.version)


# Session and user (2), the staff checks (2), the navigation's roles (1), the strategy
# (1) and the row (1 for field and goal), its history records with their people (1).
# The strategy's policy versions are history-tracked links: simple-history's diff reads
# them for both records of every pair (2 per version after the first), which
# governance.history cannot prefetch – so that page grows by exactly that, no more.
@pytest.mark.parametrize(
    ("name", "queries", "per_version"),
    [
        ("strategy_history", 7, 2),
        ("field_of_action_history", 8, 0),
        ("goal_history", 8, 0),
        ("indicator_history", 7, 0),
    ],
)
def test_history_pages_need_the_same_queries_for_more_versions(
    client_for, steward_b, admin_a, strategy, field_of_action, goal, manual_indicator, name, queries, per_version
):
    instance, args, update = {
        "strategy_history": (strategy, [strategy.slug], services.update_strategy),
        "field_of_action_history": (
            field_of_action,
            [strategy.slug, field_of_action.pk],
            services.update_field_of_action,
        ),
        "goal_history": (goal, [strategy.slug, goal.pk], services.update_goal),
        "indicator_history": (manual_indicator, [manual_indicator.code], services.update_indicator),
    }[name]
    client = client_for(steward_b)
    url = reverse(f"strategy:{name}", args=args)
    _change_many_times(instance, update, admin_a, 2)
    client.get(url)  # warm the caches (content types, permissions) that any first request fills
    assert _queries(client, url) == queries + 2 * per_version
    _change_many_times(instance, update, admin_a, 5)
    response = client.get(url)
    assert len(response.context["entries"]) == 8
    assert "Fassung 4" in response.content.decode()
    assert _queries(client, url) == queries + 7 * per_version
