"""The computed indicators against data built here, with the history of each dataset
written the way the publication workflow writes it (catalog.workflow._save reasons),
dated by hand so that "as of a day" can be checked."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog import services as catalog_services
from catalog.models import Dataset, DatasetState, Distribution, DistributionKind
from governance import services as governance_services
from governance.models import DecisionKind, DecisionOutcome
from governance.vocabularies import HVDCategory
from portal.models import DataRequest
from strategy import indicators, services
from strategy.indicators import METRICS

from .conftest import make_indicator

S = DatasetState
OPEN, AGGREGATED, REDACTED, CLOSED, INTERNAL = (
    DecisionOutcome.OPEN,
    DecisionOutcome.AGGREGATED,
    DecisionOutcome.REDACTED,
    DecisionOutcome.CLOSED,
    DecisionOutcome.INTERNAL,
)


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _backdate(dataset, when):
    row = dataset.history.order_by("-history_id").first()
    type(row).objects.filter(pk=row.pk).update(history_date=when)
    return row


def make_dataset(org, by, name, when, **fields):
    dataset = catalog_services.create_dataset(
        by=by,
        fields={
            "name": name,
            "title": name.title(),
            "description": "Testdaten.",
            "publisher": org,
            "contact_name": "Amt",
            "contact_email": "amt@stadt-a.example",
            **fields,
        },
    )
    _backdate(dataset, when)
    return dataset


def step(dataset, when, reason, **fields):
    """One workflow step on `when`: the fields it sets and its change reason."""
    for name, value in fields.items():
        setattr(dataset, name, value)
    dataset._change_reason = reason
    dataset.save()
    return _backdate(dataset, when)


def decide(dataset, when, reason, outcome, *, by, grounds=()):
    """A workflow step that records a publication decision on the row it wrote."""
    row = step(dataset, when, reason, publication_outcome=outcome)
    return governance_services.record_decision(
        kind=DecisionKind.PUBLICATION,
        subject=dataset,
        subject_version=row,
        outcome=outcome,
        actor=by,
        reasons="Geprüft.",
        exclusion_grounds=list(grounds),
        rereview_on=when.date() + timedelta(365) if grounds else None,
        decided_at=when,
    )


# ---------------------------------------------------------------------------
# Share of inventoried datasets published open


def test_published_open_share_follows_the_history_of_each_day(org_a, steward_a):
    metric = METRICS["published_open_share"]
    assert metric.compute(date(2025, 1, 5)) is None  # nothing inventoried: no value, no division by zero

    make_dataset(org_a, steward_a, "entwurf", at(date(2025, 1, 10)))
    opened = make_dataset(org_a, steward_a, "offen", at(date(2025, 1, 10)))
    aggregated = make_dataset(org_a, steward_a, "aggregiert", at(date(2025, 1, 10)))
    step(opened, at(date(2025, 2, 1)), "catalog.workflow.published", state=S.PUBLISHED, publication_outcome=OPEN)
    step(
        aggregated,
        at(date(2025, 2, 1)),
        "catalog.workflow.published",
        state=S.PUBLISHED,
        publication_outcome=AGGREGATED,
    )
    make_dataset(org_a, steward_a, "spaeter", at(date(2025, 3, 1)))
    step(opened, at(date(2025, 4, 1)), "catalog.workflow.withdrawn", state=S.WITHDRAWN)

    assert metric.compute(date(2025, 1, 5)) is None
    assert metric.compute(date(2025, 1, 20)) == Decimal("0.00")
    assert metric.compute(date(2025, 1, 31)) == Decimal("0.00")
    assert metric.compute(date(2025, 2, 1)) == Decimal("33.33")  # "as of the day" includes the day
    assert metric.compute(date(2025, 3, 15)) == Decimal("25.00")
    assert metric.compute(date(2025, 4, 15)) == Decimal("0.00")


# ---------------------------------------------------------------------------
# Median days from submission to decision


def test_median_days_to_decision_counts_from_the_last_submission(org_a, steward_a):
    metric = METRICS["median_days_to_decision"]
    a = make_dataset(org_a, steward_a, "a", at(date(2024, 12, 1)))
    b = make_dataset(org_a, steward_a, "b", at(date(2024, 12, 1)))
    c = make_dataset(org_a, steward_a, "c", at(date(2024, 12, 1)))
    d = make_dataset(org_a, steward_a, "d", at(date(2024, 12, 1)))
    step(a, at(date(2025, 1, 1)), "catalog.workflow.submitted", state=S.IN_REVIEW)
    step(b, at(date(2025, 1, 1)), "catalog.workflow.submitted", state=S.IN_REVIEW)
    step(c, at(date(2025, 1, 2)), "catalog.workflow.submitted", state=S.IN_REVIEW)
    step(d, at(date(2025, 1, 2)), "catalog.workflow.submitted", state=S.IN_REVIEW)  # never decided
    step(b, at(date(2025, 1, 5)), "catalog.workflow.returned", state=S.RETURNED)  # no decision
    step(b, at(date(2025, 1, 10)), "catalog.workflow.submitted", state=S.IN_REVIEW)
    step(a, at(date(2025, 1, 11)), "catalog.workflow.approved: open", state=S.APPROVED)  # 10 days
    step(b, at(date(2025, 1, 14)), "catalog.workflow.refused: closed", state=S.APPROVED)  # 4 days
    step(c, at(date(2025, 1, 22), 0), "catalog.workflow.approved: open", state=S.APPROVED)  # 19.5 days

    assert metric.compute(date(2024, 12, 31)) is None
    assert metric.compute(date(2025, 1, 12)) == Decimal("10.00")
    assert metric.compute(date(2025, 1, 15)) == Decimal("7.00")
    assert metric.compute(date(2025, 1, 31)) == Decimal("10.00")
    # Decisions older than twelve months are out of the window.
    assert metric.compute(date(2026, 2, 1)) is None


# ---------------------------------------------------------------------------
# Share of non-open decisions with a confirmed exclusion ground


def test_non_open_with_ground_share_reads_the_decision_in_force(vocabularies, org_a, steward_a, admin_a):
    metric = METRICS["non_open_with_ground_share"]
    datasets = {name: make_dataset(org_a, steward_a, name, at(date(2025, 1, 1))) for name in "abcde"}
    for dataset in datasets.values():
        step(dataset, at(date(2025, 1, 10)), "catalog.workflow.submitted", state=S.IN_REVIEW)
    feb, mar = at(date(2025, 2, 1)), at(date(2025, 3, 1))
    decide(
        datasets["a"], feb, "catalog.workflow.approved: aggregated", AGGREGATED, by=admin_a, grounds=["PERSONAL_DATA"]
    )
    decide(datasets["b"], feb, "catalog.workflow.approved: redacted", REDACTED, by=admin_a)  # no ground named
    decide(datasets["c"], feb, "catalog.workflow.refused: closed", CLOSED, by=admin_a, grounds=["TRADE_SECRET"])
    decide(datasets["d"], feb, "catalog.workflow.approved: open", OPEN, by=admin_a)  # open: not counted
    # A proposal on submission is no decision of the legal reviewer.
    decide(datasets["e"], feb, "catalog.workflow.submitted", INTERNAL, by=admin_a, grounds=["PERSONAL_DATA"])
    # b is decided again, now with a ground: the newer decision is in force.
    decide(
        datasets["b"], mar, "catalog.workflow.approved: aggregated", AGGREGATED, by=admin_a, grounds=["PERSONAL_DATA"]
    )

    assert metric.compute(date(2025, 1, 31)) is None
    assert metric.compute(date(2025, 2, 15)) == Decimal("66.67")
    assert metric.compute(date(2025, 3, 15)) == Decimal("100.00")


# ---------------------------------------------------------------------------
# Share of data requests answered within 30 days


def make_request(created: datetime, answered: datetime | None = None):
    data_request = DataRequest.objects.create(title="Wunsch", description="Bitte.")
    DataRequest.objects.filter(pk=data_request.pk).update(
        created=created, answered_at=answered, status="published" if answered else "open"
    )
    return data_request


def test_data_requests_answered_within_30_days(db):
    metric = METRICS["data_requests_answered_30d_share"]
    make_request(at(date(2025, 1, 1)), at(date(2025, 1, 20)))  # in time
    make_request(at(date(2025, 1, 1)), at(date(2025, 2, 15)))  # 45 days: late
    make_request(at(date(2025, 2, 1)))  # not answered
    make_request(at(date(2025, 5, 1)), at(date(2025, 5, 31)))  # exactly 30 days: in time
    make_request(at(date(2025, 6, 15)), at(date(2025, 6, 16)))  # its 30 days are not over on 30 June
    make_request(at(date(2024, 1, 1)), at(date(2024, 1, 2)))  # outside the twelve months

    assert metric.compute(date(2020, 1, 1)) is None
    assert metric.compute(date(2025, 6, 30)) == Decimal("50.00")
    assert metric.compute(date(2025, 7, 20)) == Decimal("60.00")


# ---------------------------------------------------------------------------
# High-value datasets available by API


def add_distribution(dataset, kind, created: datetime, format="JSON"):
    distribution = Distribution.objects.create(
        dataset=dataset, title="Zugang", kind=kind, access_url="https://daten.stadt-a.example/api", format=format
    )
    Distribution.objects.filter(pk=distribution.pk).update(created=created)


def test_hvd_available_by_api_counts_published_hvds_with_an_api(org_a, steward_a):
    metric = METRICS["hvd_available_by_api"]
    hvd = {"hvd_category": HVDCategory.GEOSPATIAL, "licence": "cc-by/4.0"}
    with_api = make_dataset(org_a, steward_a, "mit-api", at(date(2025, 1, 1)), **hvd)
    download_only = make_dataset(org_a, steward_a, "nur-download", at(date(2025, 1, 1)), **hvd)
    with_service = make_dataset(org_a, steward_a, "mit-wfs", at(date(2025, 1, 1)), **hvd)
    not_hvd = make_dataset(org_a, steward_a, "kein-hvd", at(date(2025, 1, 1)))
    draft = make_dataset(org_a, steward_a, "entwurf-mit-api", at(date(2025, 1, 1)), **hvd)
    add_distribution(with_api, DistributionKind.API, at(date(2025, 1, 15)))
    add_distribution(download_only, DistributionKind.DOWNLOAD, at(date(2025, 1, 15)), format="CSV")
    add_distribution(with_service, DistributionKind.SERVICE, at(date(2025, 3, 1)), format="WFS_SRVC")
    add_distribution(not_hvd, DistributionKind.API, at(date(2025, 1, 15)))
    add_distribution(draft, DistributionKind.API, at(date(2025, 1, 15)))
    for dataset in (with_api, download_only, with_service, not_hvd):
        step(dataset, at(date(2025, 2, 1)), "catalog.workflow.published", state=S.PUBLISHED, publication_outcome=OPEN)

    assert metric.compute(date(2025, 1, 20)) == Decimal("0")  # a count: zero is a value
    assert metric.compute(date(2025, 2, 15)) == Decimal("1")
    assert metric.compute(date(2025, 3, 15)) == Decimal("2")


# ---------------------------------------------------------------------------
# Cheap, and what the pages ask of an indicator


def test_every_metric_is_a_few_queries_whatever_the_data(org_a, steward_a, django_assert_max_num_queries):
    for index in range(5):
        dataset = make_dataset(org_a, steward_a, f"datensatz-{index}", at(date(2025, 1, 1)))
        step(dataset, at(date(2025, 1, 2)), "catalog.workflow.submitted", state=S.IN_REVIEW)
        step(dataset, at(date(2025, 1, 3)), "catalog.workflow.approved: open", state=S.APPROVED)
    for key, metric in METRICS.items():
        # Content types are cached; at most an aggregate or two per metric.
        with django_assert_max_num_queries(3, info=key):
            metric.compute(date(2025, 2, 1))


def test_every_metric_is_defined_in_its_docstring():
    for metric in METRICS.values():
        assert len(metric.description) > 200
        assert metric.unit in ("percent", "days", "count")


def test_current_value_is_live_for_computed_and_latest_for_manual(goal, admin_a, org_a, steward_a, today):
    computed = make_indicator(goal, by=admin_a, code="I-OFFEN", metric="published_open_share")
    manual = make_indicator(goal, by=admin_a, code="I-SCHULUNG", unit="count", target_value=Decimal("300"))
    assert indicators.current_value(computed) is None
    assert indicators.current_value(manual) is None

    make_dataset(org_a, steward_a, "offen", timezone.now())
    dataset = Dataset.objects.get()
    step(dataset, timezone.now(), "catalog.workflow.published", state=S.PUBLISHED, publication_outcome=OPEN)
    services.record_indicator_value(manual, by=admin_a, date=today - timedelta(40), value=100, source="Personalamt")
    services.record_indicator_value(manual, by=admin_a, date=today - timedelta(10), value=150, source="Personalamt")

    assert indicators.current_value(computed) == Decimal("100.00")
    assert indicators.current_value(manual) == Decimal("150.00")
    assert indicators.current_value(manual, on=today - timedelta(20)) == Decimal("100.00")
    assert [value.value for value in indicators.series(manual)] == [Decimal("100.00"), Decimal("150.00")]


@pytest.mark.parametrize(
    ("higher_is_better", "baseline", "target", "value", "expected"),
    [
        (True, Decimal("20"), Decimal("80"), Decimal("50"), 0.5),
        (True, Decimal("20"), Decimal("80"), Decimal("90"), 1.0),  # beaten
        (True, Decimal("20"), Decimal("80"), Decimal("10"), 0.0),  # worse than the start
        (True, None, Decimal("80"), Decimal("20"), 0.25),  # no baseline: from zero
        (False, Decimal("60"), Decimal("20"), Decimal("30"), 0.75),  # fewer days is better
        (False, Decimal("60"), Decimal("20"), Decimal("15"), 1.0),
        (False, None, Decimal("20"), Decimal("30"), None),  # no natural start
        (True, Decimal("20"), Decimal("80"), None, None),
    ],
)
def test_target_progress(goal, admin_a, higher_is_better, baseline, target, value, expected):
    indicator = make_indicator(
        goal, by=admin_a, higher_is_better=higher_is_better, baseline_value=baseline, target_value=target
    )
    assert indicators.target_progress(indicator, value) == expected
