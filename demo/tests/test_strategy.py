from io import StringIO

import pytest
from django.core.management import call_command

from demo.strategy import SLUG
from governance.models import AuditEvent
from strategy import public, services
from strategy.models import (
    FieldOfAction,
    Goal,
    Indicator,
    IndicatorValue,
    Measure,
    MeasureStatus,
    MeasureStatusChange,
    Milestone,
    Strategy,
    ValueOrigin,
)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """seed_demo once for the module (it takes a while), rolled back afterwards."""
    from django.conf import settings
    from django.db import transaction

    media = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)
    settings.MEDIA_ROOT = media


@pytest.fixture
def demo(seeded, db):
    return seeded


def test_the_demo_strategy_has_the_structure_of_the_issue(demo):
    strategy = Strategy.objects.get(slug=SLUG)
    assert strategy.title == "Datenstrategie des Stadtverbunds 2022–2027"
    assert strategy.organisation is None
    assert strategy.is_public
    assert strategy.policy_versions.filter(document__slug="datenstrategie").exists()
    assert list(FieldOfAction.objects.values_list("code", "title")) == [
        ("HF1", "Digitale Infrastruktur und Datenpolitik"),
        ("HF2", "Datenkompetenz, Beteiligung und Nutzen"),
    ]
    assert list(Goal.objects.values_list("code", flat=True)) == [
        "HF1-Z1", "HF1-Z2", "HF1-Z3", "HF2-Z1", "HF2-Z2", "HF2-Z3",
    ]  # fmt: skip
    assert Goal.objects.get(code="HF1-Z1").title == (
        "ALLE Daten werden sowohl intern als auch extern nutzbar gemacht, außer wenn dies rechtlich nicht zulässig ist"
    )
    assert "Strategie: 14 Maßnahmen neu angelegt." in demo


def test_the_demo_has_measures_in_every_status_with_reasons(demo):
    assert Measure.objects.count() >= 10
    for status in MeasureStatus.values:
        assert Measure.objects.filter(status=status).count() >= 2, status
    for measure in Measure.objects.exclude(status=MeasureStatus.PLANNED):
        change = measure.status_changes.last()
        assert change.reason == measure.status_reason
        assert change.changed_by is not None
        assert AuditEvent.objects.filter(
            object_id=str(measure.pk), reason="strategy.measure.status", person_text=measure.status_reason
        )
    assert MeasureStatusChange.objects.filter(changed_by__username="steward.lindenau").exists()


def test_hf1_m10_is_the_measure_of_the_issue(demo):
    measure = Measure.objects.get(code="HF1-M10")
    assert measure.title == "Etablierung einer neuen Datenstrategie und Data Governance im Stadtverbund"
    assert (measure.start_date.isoformat(), measure.end_date.isoformat()) == ("2022-07-01", "2023-12-31")
    assert measure.budget_planned == 100_000
    assert measure.status == MeasureStatus.DONE
    assert measure.responsible_person.username == "admin.lindenau"
    milestones = list(measure.milestones.all())
    assert [m.title for m in milestones] == [
        "Analyse der Ausgangslage", "Erarbeitung der Inhalte", "Verabschiedung",
        "Satzungen, Dienstanweisungen, Verträge",
    ]  # fmt: skip
    assert all(m.done_date and m.evidence for m in milestones)
    assert measure.policy_documents.exists()
    assert measure.rules.exists()


def test_hf2_m09_and_i_intern_are_internal_only(demo):
    assert Measure.objects.get(code="HF2-M09").is_public is False
    assert not public.public_measures().filter(code="HF2-M09").exists()
    assert public.public_measures().count() == Measure.objects.count() - 1
    assert not public.public_indicators().filter(code="I-INTERN").exists()


def test_steward_lindenau_has_overdue_milestones(demo):
    from django.contrib.auth import get_user_model

    from strategy.inbox import tasks_for

    steward = get_user_model().objects.get(username="steward.lindenau")
    overdue = services.overdue_milestones(steward)
    assert sorted({m.measure.code for m in overdue}) == ["HF1-M03", "HF2-M02"]
    assert {task.subject.measure.code for task in tasks_for(steward)} == {"HF1-M03", "HF2-M02"}
    # Nobody else's milestones are overdue in the demo.
    assert services.overdue_milestones().count() == overdue.count()
    assert Milestone.objects.filter(done_date__isnull=True).count() > overdue.count()


def test_indicators_have_a_target_and_a_monthly_history(demo):
    metrics = set(Indicator.objects.exclude(metric="").values_list("metric", flat=True))
    assert metrics == {
        "published_open_share", "median_days_to_decision", "non_open_with_ground_share",
        "data_requests_answered_30d_share", "hvd_available_by_api",
    }  # fmt: skip
    manual = Indicator.objects.get(code="I-SCHULUNG")
    assert manual.source == "Personalamt, Schulungsstatistik"
    for indicator in Indicator.objects.all():
        values = list(indicator.values.all())
        assert len(values) >= 12, indicator.code
        assert indicator.target_value is not None
        assert indicator.target_date is not None
        origins = {value.origin for value in values}
        assert origins == ({ValueOrigin.SNAPSHOT} if indicator.metric else {ValueOrigin.MANUAL}), indicator.code
    assert not IndicatorValue.objects.filter(origin=ValueOrigin.MANUAL, source="").exists()


def test_seeding_again_duplicates_nothing(demo):
    counts = [model.objects.count() for model in (Strategy, Measure, Milestone, Indicator, IndicatorValue)]
    changes = MeasureStatusChange.objects.count()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Strategie: 0 Maßnahmen neu angelegt." in out.getvalue()
    assert [model.objects.count() for model in (Strategy, Measure, Milestone, Indicator, IndicatorValue)] == counts
    assert MeasureStatusChange.objects.count() == changes
