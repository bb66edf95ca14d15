from datetime import timedelta
from decimal import Decimal

from catalog import services as catalog_services
from catalog.models import DatasetState
from governance.models import DecisionOutcome
from strategy import services, tasks
from strategy.models import IndicatorValue, ValueOrigin

from .conftest import make_indicator


def make_dataset(org, by, name, *, published=False):
    dataset = catalog_services.create_dataset(
        by=by,
        fields={"name": name, "title": name, "description": "Test.", "publisher": org, "contact_name": "Amt",
                "contact_email": "amt@stadt-a.example"},
    )  # fmt: skip
    if published:
        dataset.state, dataset.publication_outcome = DatasetState.PUBLISHED, DecisionOutcome.OPEN
        dataset._change_reason = "catalog.workflow.published"
        dataset.save()
    return dataset


def publish_one_of_two(org, by):
    make_dataset(org, by, "offen", published=True)
    make_dataset(org, by, "entwurf")


def test_the_snapshot_task_records_one_value_per_computed_indicator_and_day(goal, admin_a, org_a, steward_a, today):
    share = make_indicator(goal, by=admin_a, code="I-OFFEN", metric="published_open_share")
    same_metric = make_indicator(goal, by=admin_a, code="I-OFFEN-2", metric="published_open_share")
    nothing_to_share = make_indicator(goal, by=admin_a, code="I-WUENSCHE", metric="data_requests_answered_30d_share")
    manual = make_indicator(goal, by=admin_a, code="I-SCHULUNG", unit="count", target_value=Decimal("300"))
    services.record_indicator_value(manual, by=admin_a, date=today, value=120, source="Personalamt")
    publish_one_of_two(org_a, steward_a)

    assert tasks.record_indicator_snapshots.delay().get() == 2

    assert [(v.indicator_id, v.value, v.origin) for v in IndicatorValue.objects.filter(date=today).order_by("pk")] == [
        (manual.pk, Decimal("120.00"), ValueOrigin.MANUAL),
        (share.pk, Decimal("50.00"), ValueOrigin.SNAPSHOT),
        (same_metric.pk, Decimal("50.00"), ValueOrigin.SNAPSHOT),
    ]
    # A share of nothing leaves no value rather than a made-up 0.
    assert not nothing_to_share.values.exists()
    snapshot = share.values.get()
    assert snapshot.history.first().history_change_reason == "strategy.indicator_value.snapshot"


def test_running_the_snapshot_again_the_same_day_replaces_the_value(goal, admin_a, org_a, steward_a, today):
    share = make_indicator(goal, by=admin_a, code="I-OFFEN", metric="published_open_share")
    manual = make_indicator(goal, by=admin_a, code="I-SCHULUNG", unit="count", target_value=Decimal("300"))
    services.record_indicator_value(manual, by=admin_a, date=today, value=120, source="Personalamt")
    make_dataset(org_a, steward_a, "entwurf")
    tasks.record_indicator_snapshots()
    assert share.values.get().value == Decimal("0.00")

    make_dataset(org_a, steward_a, "offen", published=True)
    tasks.record_indicator_snapshots()

    [value] = share.values.all()
    assert (value.date, value.value) == (today, Decimal("50.00"))
    assert value.history.count() == 2  # replaced, with its history
    manual_value = manual.values.get()
    assert (manual_value.value, manual_value.origin, manual_value.history.count()) == (
        Decimal("120.00"),
        ValueOrigin.MANUAL,
        1,
    )


def test_snapshots_for_a_past_day_use_that_days_state(goal, admin_a, today):
    share = make_indicator(goal, by=admin_a, code="I-HVD", metric="hvd_available_by_api", unit="count")
    assert services.record_snapshots(on=today - timedelta(30)) == 1
    assert share.values.get().date == today - timedelta(30)
    assert share.values.get().value == Decimal("0")
