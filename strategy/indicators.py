"""The indicators the system computes itself, from its own tables, and what the staff
and public pages ask of any indicator (current value, history, progress to target).

Each metric answers "what was the value on day `on`?" with a few aggregate queries.
Where the value depends on a state (is the dataset published?), the state is read from
the dataset's history as it stood at the end of that day, so a snapshot taken late, or
a recomputation for a past day, gives the value of that day. Shares are percentages;
a share of nothing is None (no value), never 0."""

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Dataset, DatasetState, Distribution, DistributionKind
from governance.models import Decision, DecisionKind, DecisionOutcome

from .models import Indicator, IndicatorUnit, IndicatorValue

# The workflow's change reasons (catalog.workflow._save) that mark a step in a
# dataset's history: the steward's submission and the legal reviewer's final
# publication decision (approved in some form, or refused with grounds).
SUBMITTED = "catalog.workflow.submitted"
FINAL_DECISIONS = ("catalog.workflow.approved", "catalog.workflow.refused")
# Outcomes of a final decision that are not "open as it is".
NON_OPEN_OUTCOMES = (
    DecisionOutcome.AGGREGATED,
    DecisionOutcome.REDACTED,
    DecisionOutcome.INTERNAL,
    DecisionOutcome.CLOSED,
)
# Ways of access that count as "by API" for high-value datasets: Regulation (EU)
# 2023/138 asks for APIs; geodata services (WMS/WFS) are the APIs of geospatial HVDs.
API_KINDS = (DistributionKind.API, DistributionKind.SERVICE)
# A rolling window for metrics about how fast things happen.
WINDOW = timedelta(days=365)
CENT = Decimal("0.01")


def end_of_day(on: date) -> datetime:
    """The first moment after `on` in the local time zone: "as of `on`" means before it."""
    return timezone.make_aware(datetime.combine(on + timedelta(days=1), time.min))


def _quantize(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def percent_share(part: int, total: int) -> Decimal | None:
    """part of total in percent (two decimals); None for a share of nothing."""
    if not total:
        return None
    return _quantize(Decimal(part) * 100 / Decimal(total))


def _dataset_states_on(on: date):
    """Each dataset as its history recorded it at the end of `on` (one history row per
    dataset: the newest one before the cut-off); datasets deleted by then are left out."""
    history = Dataset.history.model
    # History rows are written in time order, so the newest row is the highest id
    # (a GROUP BY that SQLite, the local default, runs as well as PostgreSQL).
    newest = (
        history.objects.filter(history_date__lt=end_of_day(on))
        .values("id")
        .annotate(newest=Max("history_id"))
        .values("newest")
    )
    return history.objects.filter(history_id__in=Subquery(newest)).exclude(history_type="-")


def published_open_share(on: date) -> Decimal | None:
    """Share of inventoried datasets that are published open, in percent.

    Inventoried: every dataset in the catalogue at the end of `on`, whatever its state
    (a draft is inventoried, that is the point of the inventory; harvested datasets
    count too, they are the members' data). Published open: in state „Veröffentlicht“
    with the publication form „offen“ – datasets published only aggregated or redacted
    do not count, nor do approved datasets not yet on the portal. None when nothing was
    inventoried."""
    counts = _dataset_states_on(on).aggregate(
        total=Count("history_id"),
        open=Count(
            "history_id",
            filter=Q(state=DatasetState.PUBLISHED, publication_outcome=DecisionOutcome.OPEN),
        ),
    )
    return percent_share(counts["open"], counts["total"])


def _final_decision_rows():
    """History rows of datasets written by a final publication decision."""
    condition = Q()
    for reason in FINAL_DECISIONS:
        condition |= Q(history_change_reason__startswith=reason)
    return Dataset.history.model.objects.filter(condition)


def median_days_to_decision(on: date) -> Decimal | None:
    """Median number of days from a dataset's submission for review to the final
    publication decision, over the decisions of the twelve months up to `on`.

    Submission: the steward's „Zur Prüfung eingereicht“ (the newest one before the
    decision, so a dataset returned and submitted again is measured from its last
    submission). Final decision: the legal reviewer's approval (in whatever form) or
    refusal; a return for rework is not a decision. Fractions of a day count (a
    decision after 36 hours is 1.5 days). None when there was no decision."""
    history = Dataset.history.model
    cutoff = end_of_day(on)
    submitted_at = (
        history.objects.filter(
            id=OuterRef("id"),
            history_change_reason__startswith=SUBMITTED,
            history_date__lt=OuterRef("history_date"),
        )
        .order_by("-history_date", "-history_id")
        .values("history_date")[:1]
    )
    # One pair of times per decision of the window (a few hundred a year at most); the
    # median is taken here, which SQLite cannot do in SQL.
    pairs = (
        _final_decision_rows()
        .filter(history_date__gte=cutoff - WINDOW, history_date__lt=cutoff)
        .annotate(submitted_at=Subquery(submitted_at))
        .filter(submitted_at__isnull=False)
        .values_list("history_date", "submitted_at")
    )
    days = [(decided - submitted).total_seconds() / 86400 for decided, submitted in pairs]
    return _quantize(statistics.median(days)) if days else None


def non_open_with_ground_share(on: date) -> Decimal | None:
    """Share of non-open publication decisions that name a confirmed exclusion ground,
    in percent.

    Per dataset the publication decision in force at the end of `on` counts: the newest
    final decision of the legal reviewer (approval or refusal, see FINAL_DECISIONS;
    decisions are append-only, so the newest has the highest id), whose grounds they
    confirmed (catalog.workflow.approve asks for confirmation of every ground that
    blocks open publication; refuse requires one). Non-open: every
    outcome but „offen“ (aggregated, redacted, internal only, not publishable). A
    confirmed ground: at least one code of the exclusion-ground vocabulary (ethics_legal
    § 7.6: „must reference ≥1 confirmed ExclusionGround“). None when there is no
    non-open decision."""
    dataset_type = ContentType.objects.get_for_model(Dataset)
    history_type = ContentType.objects.get_for_model(Dataset.history.model)
    in_force = (
        Decision.objects.filter(
            kind=DecisionKind.PUBLICATION,
            subject_type=dataset_type,
            subject_version_type=history_type,
            subject_version_id__in=_final_decision_rows().values("history_id"),
            decided_at__lt=end_of_day(on),
        )
        .values("subject_id")
        .annotate(newest=Max("pk"))
        .values("newest")
    )
    counts = Decision.objects.filter(pk__in=Subquery(in_force), outcome__in=NON_OPEN_OUTCOMES).aggregate(
        total=Count("pk"), grounded=Count("pk", filter=~Q(exclusion_grounds=[]))
    )
    return percent_share(counts["grounded"], counts["total"])


def hvd_available_by_api(on: date) -> Decimal | None:
    """Number of high-value datasets available by API at the end of `on`.

    High-value: a dataset with an HVD category (Regulation (EU) 2023/138). Available:
    published (state and HVD category from the dataset's history on that day) with at
    least one distribution of kind API or service (WMS/WFS) created by then. A
    distribution deleted since is no longer known and not counted for past days."""
    api = Distribution.objects.filter(dataset_id=OuterRef("id"), kind__in=API_KINDS, created__lt=end_of_day(on))
    count = (
        _dataset_states_on(on).filter(state=DatasetState.PUBLISHED).exclude(hvd_category="").filter(Exists(api)).count()
    )
    return Decimal(count)


# Metrics whose data live in an app above strategy (the portal's data requests) get
# their function from that app at start-up (see register_source), so strategy never
# imports it: key → function(on) -> Decimal | None.
_SOURCES: dict[str, Callable[[date], Decimal | None]] = {}


def register_source(key: str, function: Callable[[date], Decimal | None]) -> None:
    """Supply the function of the metric `key` declared in METRICS without one; called
    from the providing app's AppConfig.ready(). Its docstring defines the metric."""
    if key not in METRICS or METRICS[key].function is not None:
        raise LookupError(f"No metric {key!r} waits for a source.")
    _SOURCES[key] = function


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    higher_is_better: bool
    function: Callable[[date], Decimal | None] | None = None  # None: registered by another app

    @property
    def source(self) -> Callable[[date], Decimal | None]:
        function = self.function or _SOURCES.get(self.key)
        if function is None:
            raise LookupError(f"The source of metric {self.key!r} has not been registered.")
        return function

    def compute(self, on: date | None = None) -> Decimal | None:
        return self.source(on or timezone.localdate())

    @property
    def description(self) -> str:
        return (self.source.__doc__ or "").strip()


METRICS: dict[str, Metric] = {
    metric.key: metric
    for metric in (
        Metric(
            "published_open_share",
            _("Anteil der inventarisierten Datensätze, die offen veröffentlicht sind"),
            IndicatorUnit.PERCENT,
            True,
            published_open_share,
        ),
        Metric(
            "median_days_to_decision",
            _("Median der Tage von der Einreichung bis zur Veröffentlichungsentscheidung"),
            IndicatorUnit.DAYS,
            False,
            median_days_to_decision,
        ),
        Metric(
            "non_open_with_ground_share",
            _("Anteil nicht offener Entscheidungen mit bestätigtem Ausschlussgrund"),
            IndicatorUnit.PERCENT,
            True,
            non_open_with_ground_share,
        ),
        Metric(
            "data_requests_answered_30d_share",
            _("Anteil der Datenwünsche, die innerhalb von 30 Tagen beantwortet wurden"),
            IndicatorUnit.PERCENT,
            True,
        ),  # source: portal.indicators
        Metric(
            "hvd_available_by_api",
            _("Hochwertige Datensätze, die über eine Schnittstelle verfügbar sind"),
            IndicatorUnit.COUNT,
            True,
            hvd_available_by_api,
        ),
    )
}


def metric_choices() -> list[tuple[str, str]]:
    """For the indicator form: „von Hand erfasst“ or one of the computed metrics."""
    return [("", _("Von Hand erfasst")), *[(key, metric.label) for key, metric in METRICS.items()]]


def current_value(indicator: Indicator, on: date | None = None) -> Decimal | None:
    """The value on `on` (default today): computed live for a computed indicator, the
    newest value recorded up to that day otherwise. None if there is none (or the
    metric is unknown, e.g. renamed)."""
    on = on or timezone.localdate()
    if indicator.is_computed:
        metric = METRICS.get(indicator.metric)
        return metric.compute(on) if metric is not None else None
    latest = indicator.values.filter(date__lte=on).order_by("-date").values_list("value", flat=True).first()
    return latest


def series(indicator: Indicator) -> list[IndicatorValue]:
    """Every recorded value of the indicator, oldest first (for charts and tables)."""
    return list(indicator.values.order_by("date"))


def target_progress(indicator: Indicator, value) -> float | None:
    """How far `value` has come from the baseline to the target, 0..1 (1 = target
    reached or beaten, in the indicator's direction). Without a baseline a
    higher-is-better indicator starts from 0; a lower-is-better one has no natural
    start, so only "reached" (1.0) is known, otherwise None."""
    if value is None:
        return None
    value, target = Decimal(value), indicator.target_value
    reached = value >= target if indicator.higher_is_better else value <= target
    if reached:
        return 1.0
    start = indicator.baseline_value
    if start is None:
        if not indicator.higher_is_better:
            return None
        start = Decimal(0)
    span = target - start
    if span == 0:
        return 0.0
    return float(min(max((value - start) / span, Decimal(0)), Decimal(1)))
