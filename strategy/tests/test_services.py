from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from governance.history import describe_change_reason
from governance.models import AuditAction, AuditEvent, BulkWriteRefused
from governance.services import ConflictError, GovernanceError
from strategy import services
from strategy.models import IndicatorValue, Measure, MeasureStatus, MeasureStatusChange, Milestone, ValueOrigin

from .conftest import make_indicator, make_measure


def journal(obj):
    return list(
        AuditEvent.objects.filter(content_type__model=obj._meta.model_name, object_id=str(obj.pk)).order_by("seq")
    )


# ---------------------------------------------------------------------------
# Versioning of measures


def test_a_measure_change_is_a_new_version_with_history_and_journal(measure, admin_a, org_b):
    changed = services.update_measure(
        measure,
        by=admin_a,
        changes={"budget_planned": Decimal("25000"), "title": "Neuer Titel", "partner_organisations": [org_b]},
        expected_version=1,
        note="Haushalt 2026",
    )

    assert changed.version == 2
    changed.refresh_from_db()
    assert (changed.budget_planned, changed.title, changed.version) == (Decimal("25000.00"), "Neuer Titel", 2)
    assert list(changed.partner_organisations.all()) == [org_b]
    history = list(changed.history.order_by("history_id"))
    assert [row.history_type for row in history] == ["+", "~", "~"]
    assert history[1].history_user == admin_a
    assert (history[1].history_change_reason, history[1].history_person_text) == (
        "strategy.measure.changed",
        "Haushalt 2026",
    )
    assert history[1].budget_planned == Decimal("25000.00")
    assert history[0].budget_planned == Decimal("10000.00")
    events = journal(changed)
    assert [event.action for event in events] == [AuditAction.CREATE, AuditAction.UPDATE, AuditAction.UPDATE]
    assert (events[1].reason, events[1].person_text) == ("strategy.measure.changed", "Haushalt 2026")
    assert events[1].actor == admin_a
    assert describe_change_reason(events[1].reason) == "Maßnahme geändert"


def test_a_change_of_links_only_is_a_new_version_too(measure, admin_a, org_b):
    changed = services.update_measure(
        measure, by=admin_a, changes={"partner_organisations": [org_b]}, expected_version=1
    )

    changed.refresh_from_db()
    assert changed.version == 2
    newest = changed.history.first()
    assert (newest.history_type, newest.version, newest.history_user) == ("~", 2, admin_a)
    assert [row.organisation for row in newest.partner_organisations.all()] == [org_b]
    with pytest.raises(ConflictError):
        services.update_measure(measure, by=admin_a, changes={"partner_organisations": []}, expected_version=1)
    assert list(changed.partner_organisations.all()) == [org_b]


def test_a_stale_version_is_a_conflict_and_nothing_is_written(measure, admin_a):
    services.update_measure(measure, by=admin_a, changes={"title": "Erste Änderung"}, expected_version=1)
    history_before, journal_before = measure.history.count(), len(journal(measure))

    with pytest.raises(ConflictError):
        services.update_measure(measure, by=admin_a, changes={"title": "Überschrieben?"}, expected_version=1)

    measure.refresh_from_db()
    assert (measure.title, measure.version) == ("Erste Änderung", 2)
    assert measure.history.count() == history_before
    assert len(journal(measure)) == journal_before


def test_a_change_without_difference_writes_no_version(measure, admin_a):
    unchanged = services.update_measure(measure, by=admin_a, changes={"title": measure.title}, expected_version=1)

    assert unchanged.version == 1
    assert measure.history.count() == 1


def test_the_plan_cannot_touch_the_status_or_unknown_fields(measure, admin_a):
    with pytest.raises(GovernanceError):
        services.update_measure(measure, by=admin_a, changes={"status": MeasureStatus.DONE}, expected_version=1)
    measure.refresh_from_db()
    assert (measure.status, measure.version) == (MeasureStatus.PLANNED, 1)


def test_an_invalid_plan_is_refused(measure, admin_a):
    with pytest.raises(ValidationError):
        services.update_measure(
            measure, by=admin_a, changes={"end_date": measure.start_date - timedelta(1)}, expected_version=1
        )
    measure.refresh_from_db()
    assert measure.version == 1


def test_structure_changes_are_versioned_too(strategy, field_of_action, goal, admin_a):
    services.update_strategy(strategy, by=admin_a, changes={"title": "Datenstrategie 2030"}, expected_version=1)
    services.update_field_of_action(field_of_action, by=admin_a, changes={"position": 2}, expected_version=1)
    services.update_goal(goal, by=admin_a, changes={"title": "Neues Ziel"}, expected_version=1)
    updaters = {
        strategy: services.update_strategy,
        field_of_action: services.update_field_of_action,
        goal: services.update_goal,
    }
    for obj, update in updaters.items():
        obj.refresh_from_db()
        assert obj.version == 2
        assert obj.history.count() == 2
        with pytest.raises(ConflictError):
            update(obj, by=admin_a, changes={"title": "zu spät"}, expected_version=1)


# ---------------------------------------------------------------------------
# Status changes


def test_a_status_change_needs_a_reason(measure, steward_a):
    for reason in ("", "   "):
        with pytest.raises(GovernanceError):
            services.change_measure_status(measure, by=steward_a, status=MeasureStatus.IN_PROGRESS, reason=reason)
    measure.refresh_from_db()
    assert measure.status == MeasureStatus.PLANNED
    assert not MeasureStatusChange.objects.exists()


def test_a_status_change_is_recorded_with_its_reason(measure, steward_a):
    changed = services.change_measure_status(
        measure, by=steward_a, status=MeasureStatus.IN_PROGRESS, reason="Auftrag vergeben", expected_version=1
    )

    assert (changed.status, changed.status_reason, changed.version) == (
        MeasureStatus.IN_PROGRESS,
        "Auftrag vergeben",
        2,
    )
    [change] = MeasureStatusChange.objects.filter(measure=measure)
    assert (change.old_status, change.new_status, change.reason, change.changed_by) == (
        MeasureStatus.PLANNED,
        MeasureStatus.IN_PROGRESS,
        "Auftrag vergeben",
        steward_a,
    )
    event = journal(changed)[-1]
    assert (event.reason, event.person_text) == ("strategy.measure.status", "Auftrag vergeben")
    assert describe_change_reason(event.reason) == "Umsetzungsstand geändert"


def test_a_past_status_change_keeps_its_date_and_the_future_is_refused(measure, steward_a):
    from django.utils import timezone

    past = timezone.now() - timedelta(days=400)
    with pytest.raises(GovernanceError):
        services.change_measure_status(
            measure, by=steward_a, status=MeasureStatus.DONE, reason="zu früh", at=timezone.now() + timedelta(days=1)
        )
    changed = services.change_measure_status(
        measure, by=steward_a, status=MeasureStatus.IN_PROGRESS, reason="Auftakt 2025", at=past
    )

    assert changed.status_changed_at == past
    assert MeasureStatusChange.objects.get().changed_at == past
    # The journal says when it was recorded, not when it happened.
    assert journal(changed)[-1].time > past + timedelta(days=399)


def test_the_same_status_again_and_a_stale_version_are_refused(measure, steward_a):
    services.change_measure_status(measure, by=steward_a, status=MeasureStatus.IN_PROGRESS, reason="Start")
    with pytest.raises(GovernanceError):
        services.change_measure_status(measure, by=steward_a, status=MeasureStatus.IN_PROGRESS, reason="nochmal")
    with pytest.raises(ConflictError):
        services.change_measure_status(
            measure, by=steward_a, status=MeasureStatus.DELAYED, reason="zu spät", expected_version=1
        )
    assert MeasureStatusChange.objects.count() == 1


def test_status_changes_are_append_only(measure, steward_a):
    services.change_measure_status(measure, by=steward_a, status=MeasureStatus.IN_PROGRESS, reason="Start")
    change = MeasureStatusChange.objects.get()

    change.reason = "umgeschrieben"
    with pytest.raises(ValidationError):
        change.save()
    with pytest.raises(ValidationError):
        change.delete()
    with pytest.raises(BulkWriteRefused):
        MeasureStatusChange.objects.update(reason="umgeschrieben")
    with pytest.raises(BulkWriteRefused):
        MeasureStatusChange.objects.all().delete()
    assert MeasureStatusChange.objects.get().reason == "Start"


# ---------------------------------------------------------------------------
# Milestones, overdue detection, progress


def test_milestones_are_versioned_and_completed_with_evidence(measure, admin_a, steward_a, today):
    milestone = services.add_milestone(measure, by=admin_a, title="Analyse", due_date=today + timedelta(30))
    milestone = services.update_milestone(
        milestone, by=admin_a, changes={"due_date": today + timedelta(60)}, expected_version=1
    )
    assert milestone.version == 2
    with pytest.raises(ConflictError):
        services.update_milestone(milestone, by=admin_a, changes={"title": "alt"}, expected_version=1)

    done = services.complete_milestone(milestone, by=steward_a, done_date=today, evidence="Bericht vom Amt")
    assert (done.done_date, done.evidence, done.version) == (today, "Bericht vom Amt", 3)
    assert done.history.first().history_change_reason == "strategy.milestone.completed"
    with pytest.raises(GovernanceError):
        services.complete_milestone(done, by=steward_a, done_date=today, evidence="nochmal")


def test_a_milestone_cannot_be_reached_in_the_future(measure, admin_a, today):
    milestone = services.add_milestone(measure, by=admin_a, title="Analyse", due_date=today)
    with pytest.raises(ValidationError):
        services.complete_milestone(milestone, by=admin_a, done_date=today + timedelta(1), evidence="")
    milestone.refresh_from_db()
    assert milestone.done_date is None


def test_overdue_milestones_are_open_and_past_due(goal, measure, admin_a, steward_a, owner_a, org_a, today):
    yesterday, tomorrow = today - timedelta(1), today + timedelta(1)
    overdue = services.add_milestone(measure, by=admin_a, title="überfällig", due_date=yesterday)
    services.add_milestone(measure, by=admin_a, title="heute fällig", due_date=today)
    services.add_milestone(measure, by=admin_a, title="morgen fällig", due_date=tomorrow)
    services.add_milestone(
        measure, by=admin_a, title="verspätet erreicht", due_date=today - timedelta(10), done_date=yesterday
    )
    other = make_measure(goal, by=admin_a, code="HF1-M02", responsible_organisation=org_a, responsible_person=owner_a)
    others = services.add_milestone(other, by=admin_a, title="von jemand anderem", due_date=yesterday)
    stopped = make_measure(
        goal, by=admin_a, code="HF1-M03", responsible_organisation=org_a, responsible_person=steward_a
    )
    services.add_milestone(stopped, by=admin_a, title="eingestellt", due_date=yesterday)
    services.change_measure_status(stopped, by=admin_a, status=MeasureStatus.DISCONTINUED, reason="Kein Bedarf")

    assert list(services.overdue_milestones(today=today)) == [overdue, others]
    assert list(services.overdue_milestones(steward_a, today=today)) == [overdue]
    assert list(services.overdue_milestones(owner_a, today=today)) == [others]
    assert list(services.overdue_milestones(admin_a, today=today)) == []
    # Seen from tomorrow, today's milestone is overdue as well.
    assert len(services.overdue_milestones(steward_a, today=tomorrow)) == 2
    assert overdue.is_overdue(today)
    assert not Milestone.objects.get(title="verspätet erreicht").is_overdue(today)


def test_progress_is_the_share_of_milestones_reached(measure, admin_a, steward_a, today):
    assert services.measure_progress(measure) == 0.0
    first = services.add_milestone(measure, by=admin_a, title="eins", due_date=today)
    services.add_milestone(measure, by=admin_a, title="zwei", due_date=today)
    services.add_milestone(measure, by=admin_a, title="drei", due_date=today)
    services.add_milestone(measure, by=admin_a, title="vier", due_date=today)
    services.complete_milestone(first, by=steward_a, done_date=today, evidence="")
    assert services.measure_progress(measure) == 0.25
    done = services.change_measure_status(measure, by=steward_a, status=MeasureStatus.DONE, reason="fertig")
    assert services.measure_progress(done) == 1.0


def test_progress_reads_prefetched_milestones(measure, admin_a, today, django_assert_num_queries):
    services.add_milestone(measure, by=admin_a, title="eins", due_date=today, done_date=today)
    services.add_milestone(measure, by=admin_a, title="zwei", due_date=today)
    measures = list(Measure.objects.prefetch_related("milestones"))
    with django_assert_num_queries(0):
        assert [services.measure_progress(m) for m in measures] == [0.5]


# ---------------------------------------------------------------------------
# Indicator values


def test_a_manual_value_needs_a_source_and_replaces_the_same_day(goal, admin_a, today):
    indicator = make_indicator(goal, by=admin_a, code="I-SCHULUNG", source="Personalamt")
    with pytest.raises(ValidationError):
        services.record_indicator_value(indicator, by=admin_a, date=today, value=10, source=" ")
    with pytest.raises(ValidationError):
        services.record_indicator_value(indicator, by=admin_a, date=today + timedelta(1), value=10, source="Amt")

    services.record_indicator_value(indicator, by=admin_a, date=today, value=10, source="Personalamt")
    value = services.record_indicator_value(indicator, by=admin_a, date=today, value="12.5", source="Personalamt")

    [stored] = IndicatorValue.objects.filter(indicator=indicator)
    assert stored.pk == value.pk
    assert (stored.value, stored.origin, stored.source, stored.recorded_by) == (
        Decimal("12.50"),
        ValueOrigin.MANUAL,
        "Personalamt",
        admin_a,
    )
    assert stored.history.count() == 2


def test_a_computed_indicator_takes_no_manual_values(goal, admin_a, today):
    indicator = make_indicator(goal, by=admin_a, code="I-OFFEN", metric="published_open_share")
    with pytest.raises(GovernanceError):
        services.record_indicator_value(indicator, by=admin_a, date=today, value=10, source="geschätzt")


def test_an_unknown_metric_is_refused(goal, admin_a):
    with pytest.raises(ValidationError):
        make_indicator(goal, by=admin_a, code="I-X", metric="gibt_es_nicht")


# ---------------------------------------------------------------------------
# The inbox


def test_overdue_milestones_wait_in_the_responsible_persons_inbox(overdue_milestone, steward_a, owner_a, admin_a):
    from governance.inbox import tasks_for

    [task] = [task for task in tasks_for(steward_a) if isinstance(task.subject, Milestone)]
    assert task.subject == overdue_milestone
    assert task.title == "HF1-M01: Analyse abgeschlossen"
    assert (task.due, task.overdue) == (overdue_milestone.due_date, True)
    assert task.organisation == overdue_milestone.measure.responsible_organisation.name
    # Not the governance admin who planned it, nor anyone else.
    for other in (owner_a, admin_a):
        assert not [task for task in tasks_for(other) if isinstance(task.subject, Milestone)]


def test_a_reached_milestone_leaves_the_inbox(overdue_milestone, steward_a, today):
    from strategy.inbox import tasks_for

    assert len(tasks_for(steward_a)) == 1
    services.complete_milestone(overdue_milestone, by=steward_a, done_date=today, evidence="Bericht")
    assert tasks_for(steward_a) == []
