"""Changes to the strategy. Every change goes through here: one transaction, the
row locked, the editor's version checked (no silent overwrite of a colleague's
change), a change reason for the history and the audit journal."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import transitions
from governance.services import ConflictError, GovernanceError

from .models import (
    FieldOfAction,
    Goal,
    Indicator,
    IndicatorValue,
    Measure,
    MeasureStatus,
    MeasureStatusChange,
    MeasureVote,
    Milestone,
    Strategy,
    ValueOrigin,
)

# Change reasons ("strategy.<what>.<action>"); what the person typed (a note, the reason
# of a status change) goes to the history apart from them, as their text.
REASON_MEASURE_STATUS = "strategy.measure.status"
REASON_LABELS = {
    "strategy.strategy.created": gettext_lazy("Strategie angelegt"),
    "strategy.strategy.changed": gettext_lazy("Strategie geändert"),
    "strategy.field.created": gettext_lazy("Handlungsfeld angelegt"),
    "strategy.field.changed": gettext_lazy("Handlungsfeld geändert"),
    "strategy.goal.created": gettext_lazy("Ziel angelegt"),
    "strategy.goal.changed": gettext_lazy("Ziel geändert"),
    "strategy.measure.created": gettext_lazy("Maßnahme angelegt"),
    "strategy.measure.changed": gettext_lazy("Maßnahme geändert"),
    "strategy.measure.budget_reported": gettext_lazy("Verausgabtes Budget gemeldet"),
    REASON_MEASURE_STATUS: gettext_lazy("Umsetzungsstand geändert"),
    "strategy.milestone.added": gettext_lazy("Meilenstein angelegt"),
    "strategy.milestone.changed": gettext_lazy("Meilenstein geändert"),
    "strategy.milestone.completed": gettext_lazy("Meilenstein erreicht"),
    "strategy.indicator.created": gettext_lazy("Indikator angelegt"),
    "strategy.indicator.changed": gettext_lazy("Indikator geändert"),
    "strategy.indicator_value.recorded": gettext_lazy("Indikatorwert erfasst"),
    "strategy.indicator_value.snapshot": gettext_lazy("Indikatorwert automatisch erfasst"),
}

# What each service may set. Status fields are never among them (change_measure_status).
STRATEGY_FIELDS = ("slug", "title", "summary", "organisation", "period_start", "period_end", "is_public")
STRATEGY_M2M = ("policy_versions",)
FIELD_OF_ACTION_FIELDS = ("code", "title", "description", "position", "is_public")
GOAL_FIELDS = ("code", "title", "description", "position", "is_public")
MEASURE_FIELDS = (
    "goal",
    "code",
    "title",
    "description",
    "start_date",
    "end_date",
    "budget_planned",
    "budget_spent",
    "responsible_organisation",
    "responsible_person",
    "external_partners",
    "is_public",
)
MEASURE_M2M = ("partner_organisations", "policy_documents", "rules", "datasets", "ethics_reviews")
MILESTONE_FIELDS = ("title", "due_date", "done_date", "evidence", "position")
INDICATOR_FIELDS = (
    "code",
    "title",
    "description",
    "unit",
    "metric",
    "higher_is_better",
    "baseline_value",
    "baseline_date",
    "target_value",
    "target_date",
    "source",
    "is_public",
    "position",
)


def _locked(model, instance, expected_version: int | None):
    """The row, locked, if the editor saw its current version (ConflictError otherwise)."""
    return transitions.lock(model.objects.all(), instance.pk, expected_version=expected_version, conflict=ConflictError)


def save_versioned(instance, *, by, reason: str, person_text: str = "") -> None:
    """Validate and save a governed row with its history user, reason code and the
    person's text, counting its version up (callers hold the row lock)."""
    instance.full_clean()
    transitions.save(instance, by=by, reason=reason, person_text=person_text)


def _apply(instance, changes: dict, fields: tuple, m2m: tuple = ()) -> dict:
    """Set the plain fields of `changes` on `instance`; return the many-to-many ones,
    which can only be set once the row exists. Unknown keys are a programming error."""
    unknown = set(changes) - set(fields) - set(m2m)
    if unknown:
        raise GovernanceError(
            _("Diese Felder können hier nicht geändert werden: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    for name, value in changes.items():
        if name in fields:
            setattr(instance, name, value)
    return {name: list(value) for name, value in changes.items() if name in m2m}


def _m2m_changes(instance, related: dict) -> dict:
    """The many-to-many fields whose linked rows differ from `related`, as pk sets."""
    changes = {}
    for name, values in related.items():
        wanted = {getattr(value, "pk", value) for value in values}
        if instance.pk is None or set(getattr(instance, name).values_list("pk", flat=True)) != wanted:
            changes[name] = wanted
    return changes


def _set_m2m(instance, changes: dict, *, by, reason: str, person_text: str = "") -> None:
    """Each change of links leaves its own history row (simple-history), with the
    instance's user, reason, the person's text and version."""
    transitions.stamp(instance, by=by, reason=reason, person_text=person_text)
    for name, wanted in changes.items():
        getattr(instance, name).set(wanted)


def _create(model, *, by, values: dict, fields: tuple, m2m: tuple = (), reason: str, person_text: str = ""):
    instance = model()
    related = _apply(instance, values, fields, m2m)
    with transaction.atomic():
        save_versioned(instance, by=by, reason=reason, person_text=person_text)
        _set_m2m(
            instance,
            {name: wanted for name, wanted in _m2m_changes(instance, related).items() if wanted},
            by=by,
            reason=reason,
            person_text=person_text,
        )
    return instance


def _tracked_values(instance, fields: tuple) -> dict:
    return {name: getattr(instance, instance._meta.get_field(name).attname) for name in fields}


def _update(
    instance,
    *,
    by,
    changes: dict,
    expected_version: int | None,
    fields: tuple,
    m2m: tuple = (),
    reason: str,
    person_text: str = "",
):
    """Lock the row, check the editor's version, apply the changes and save a new
    version – unless nothing changed (then no version and no journal entry)."""
    model = type(instance)
    with transaction.atomic():
        locked = _locked(model, instance, expected_version)
        before = _tracked_values(locked, fields)
        related = _m2m_changes(locked, _apply(locked, changes, fields, m2m))
        if _tracked_values(locked, fields) != before:
            save_versioned(locked, by=by, reason=reason, person_text=person_text)
        elif related:
            # A change of links only is a new version too: whoever edited the old one
            # must not overwrite it unknowingly. (No history row of its own: the link
            # changes below write theirs, with this version.)
            locked.full_clean()
            locked.version += 1
            model.objects.filter(pk=locked.pk).update(version=locked.version)
        _set_m2m(locked, related, by=by, reason=reason, person_text=person_text)
    return locked


# ---------------------------------------------------------------------------
# Structure: strategy, fields of action, goals


def create_strategy(*, by, note: str = "", **values) -> Strategy:
    return _create(
        Strategy,
        by=by,
        values=values,
        fields=STRATEGY_FIELDS,
        m2m=STRATEGY_M2M,
        reason="strategy.strategy.created",
        person_text=note,
    )


def update_strategy(strategy: Strategy, *, by, changes: dict, expected_version: int | None, note: str = "") -> Strategy:
    return _update(
        strategy,
        by=by,
        changes=changes,
        expected_version=expected_version,
        fields=STRATEGY_FIELDS,
        m2m=STRATEGY_M2M,
        reason="strategy.strategy.changed",
        person_text=note,
    )


def create_field_of_action(strategy: Strategy, *, by, note: str = "", **values) -> FieldOfAction:
    return _create(
        FieldOfAction,
        by=by,
        values={**values, "strategy": strategy},
        fields=(*FIELD_OF_ACTION_FIELDS, "strategy"),
        reason="strategy.field.created",
        person_text=note,
    )


def update_field_of_action(
    field: FieldOfAction, *, by, changes: dict, expected_version: int | None, note: str = ""
) -> FieldOfAction:
    return _update(
        field,
        by=by,
        changes=changes,
        expected_version=expected_version,
        fields=FIELD_OF_ACTION_FIELDS,
        reason="strategy.field.changed",
        person_text=note,
    )


def create_goal(field_of_action: FieldOfAction, *, by, note: str = "", **values) -> Goal:
    return _create(
        Goal,
        by=by,
        values={**values, "field_of_action": field_of_action},
        fields=(*GOAL_FIELDS, "field_of_action"),
        reason="strategy.goal.created",
        person_text=note,
    )


def update_goal(goal: Goal, *, by, changes: dict, expected_version: int | None, note: str = "") -> Goal:
    return _update(
        goal,
        by=by,
        changes=changes,
        expected_version=expected_version,
        fields=GOAL_FIELDS,
        reason="strategy.goal.changed",
        person_text=note,
    )


# ---------------------------------------------------------------------------
# Measures and milestones


def create_measure(goal: Goal, *, by, note: str = "", **values) -> Measure:
    """A new measure starts „geplant“; its status changes through change_measure_status."""
    return _create(
        Measure,
        by=by,
        values={**values, "goal": goal},
        fields=MEASURE_FIELDS,
        m2m=MEASURE_M2M,
        reason="strategy.measure.created",
        person_text=note,
    )


def update_measure(measure: Measure, *, by, changes: dict, expected_version: int | None, note: str = "") -> Measure:
    """Change the plan of a measure (period, budget, responsibility, links …). A stale
    `expected_version` raises ConflictError and nothing is written."""
    return _update(
        measure,
        by=by,
        changes=changes,
        expected_version=expected_version,
        fields=MEASURE_FIELDS,
        m2m=MEASURE_M2M,
        reason="strategy.measure.changed",
        person_text=note,
    )


def report_budget_spent(measure: Measure, *, by, budget_spent, expected_version: int | None, note: str = "") -> Measure:
    """Progress reporting may set what was spent, nothing else of the plan. The
    reporter's `note` (e.g. „Rechnung Q3 bezahlt“) is kept as their text."""
    return _update(
        measure,
        by=by,
        changes={"budget_spent": budget_spent},
        expected_version=expected_version,
        fields=MEASURE_FIELDS,
        m2m=MEASURE_M2M,
        reason="strategy.measure.budget_reported",
        person_text=note,
    )


def add_milestone(
    measure: Measure,
    *,
    by,
    title: str,
    due_date: date,
    evidence: str = "",
    position: int = 0,
    done_date: date | None = None,
) -> Milestone:
    _check_done_date(done_date)
    return _create(
        Milestone,
        by=by,
        values={
            "measure": measure,
            "title": title,
            "due_date": due_date,
            "evidence": evidence,
            "position": position,
            "done_date": done_date,
        },
        fields=(*MILESTONE_FIELDS, "measure"),
        reason="strategy.milestone.added",
    )


def update_milestone(milestone: Milestone, *, by, changes: dict, expected_version: int | None) -> Milestone:
    if "done_date" in changes:
        _check_done_date(changes["done_date"])
    return _update(
        milestone,
        by=by,
        changes=changes,
        expected_version=expected_version,
        fields=MILESTONE_FIELDS,
        reason="strategy.milestone.changed",
    )


def complete_milestone(
    milestone: Milestone, *, by, done_date: date, evidence: str, expected_version: int | None = None
) -> Milestone:
    """Mark a milestone reached on `done_date` (not in the future), with its evidence
    (a resolution number, the address of a document …)."""
    if done_date is None:
        raise ValidationError({"done_date": _("Bitte geben Sie an, wann der Meilenstein erreicht wurde.")})
    _check_done_date(done_date)
    with transaction.atomic():
        locked = _locked(Milestone, milestone, expected_version)
        if locked.done_date is not None:
            raise GovernanceError(_("Dieser Meilenstein ist bereits erreicht."))
        locked.done_date = done_date
        locked.evidence = (evidence or "").strip() or locked.evidence
        save_versioned(locked, by=by, reason="strategy.milestone.completed")
    return locked


def _check_done_date(done_date: date | None) -> None:
    if done_date is not None and done_date > timezone.localdate():
        raise ValidationError({"done_date": _("Ein Meilenstein kann nicht in der Zukunft erreicht worden sein.")})


def overdue_milestones(user=None, today: date | None = None):
    """Open milestones past their due date (due before today, not done; one reached
    late is not overdue), of measures that are still pursued (a discontinued measure
    has no open work). For `user`: those of the measures they are responsible for."""
    today = today or timezone.localdate()
    milestones = (
        Milestone.objects.filter(done_date__isnull=True, due_date__lt=today)
        .exclude(measure__status=MeasureStatus.DISCONTINUED)
        .select_related("measure__responsible_organisation", "measure__responsible_person")
        .order_by("due_date", "measure__code", "position", "pk")
    )
    if user is not None:
        if not user.is_authenticated:
            return milestones.none()
        milestones = milestones.filter(measure__responsible_person=user)
    return milestones


def measure_progress(measure: Measure) -> float:
    """Share of the measure's milestones reached, 0..1; a measure „umgesetzt“ is
    complete whatever its milestones say. Reads prefetched milestones if there are."""
    if measure.status == MeasureStatus.DONE:
        return 1.0
    milestones = list(measure.milestones.all())
    if not milestones:
        return 0.0
    return sum(1 for milestone in milestones if milestone.done_date is not None) / len(milestones)


# ---------------------------------------------------------------------------
# Indicators


def _check_metric(values: dict) -> None:
    from .indicators import METRICS

    if values.get("metric") and values["metric"] not in METRICS:
        raise ValidationError({"metric": _("Unbekannte Berechnung.")})


def create_indicator(goal: Goal, *, by, note: str = "", **values) -> Indicator:
    _check_metric(values)
    return _create(
        Indicator,
        by=by,
        values={**values, "goal": goal},
        fields=(*INDICATOR_FIELDS, "goal"),
        reason="strategy.indicator.created",
        person_text=note,
    )


def update_indicator(
    indicator: Indicator, *, by, changes: dict, expected_version: int | None, note: str = ""
) -> Indicator:
    _check_metric(changes)
    return _update(
        indicator,
        by=by,
        changes=changes,
        expected_version=expected_version,
        fields=INDICATOR_FIELDS,
        reason="strategy.indicator.changed",
        person_text=note,
    )


def _store_value(
    indicator: Indicator, *, day: date, value, origin: str, by=None, source: str = "", note: str = "", reason: str
) -> IndicatorValue:
    """One value per indicator and day: a second one the same day replaces the first
    (a new history row of the same IndicatorValue)."""
    try:
        value = Decimal(value).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({"value": _("Bitte geben Sie eine Zahl an.")}) from None
    with transaction.atomic():
        stored = IndicatorValue.objects.select_for_update().filter(indicator=indicator, date=day).first()
        if stored is None:
            stored = IndicatorValue(indicator=indicator, date=day)
        stored.value, stored.origin, stored.source, stored.note = value, origin, source, note
        stored.recorded_by = by
        stored._history_user, stored._change_reason = by, reason
        stored.full_clean(exclude=["indicator"])
        stored.save()
    return stored


def record_indicator_value(
    indicator: Indicator, *, by, date: date, value, source: str, note: str = ""
) -> IndicatorValue:
    """A value entered by hand, with its source (e.g. „Personalamt, Schulungsstatistik“).
    Computed indicators take no hand-entered values: their history is the snapshots."""
    source, note = (source or "").strip(), (note or "").strip()
    if indicator.is_computed:
        raise GovernanceError(_("Die Werte dieses Indikators werden automatisch berechnet."))
    if not source:
        raise ValidationError({"source": _("Bitte nennen Sie die Quelle des Werts.")})
    if date is None or date > timezone.localdate():
        raise ValidationError({"date": _("Bitte geben Sie einen Stichtag an, der nicht in der Zukunft liegt.")})
    return _store_value(
        indicator,
        day=date,
        value=value,
        origin=ValueOrigin.MANUAL,
        by=by,
        source=source,
        note=note,
        reason="strategy.indicator_value.recorded",
    )


def record_snapshots(on: date | None = None) -> int:
    """Record today's (or `on`'s) value of every computed indicator, replacing a value
    recorded earlier the same day; a metric without a value (a share of nothing) leaves
    no value. Each metric is computed once however many indicators use it. Indicators
    entered by hand are not touched. Returns how many values were written."""
    from .indicators import METRICS

    on = on or timezone.localdate()
    computed: dict[str, Decimal | None] = {}
    written = 0
    for indicator in Indicator.objects.exclude(metric="").order_by("pk"):
        metric = METRICS.get(indicator.metric)
        if metric is None:
            continue
        if indicator.metric not in computed:
            computed[indicator.metric] = metric.compute(on)
        value = computed[indicator.metric]
        if value is None:
            continue
        _store_value(
            indicator,
            day=on,
            value=value,
            origin=ValueOrigin.SNAPSHOT,
            reason="strategy.indicator_value.snapshot",
        )
        written += 1
    return written


def change_measure_status(
    measure: Measure, *, by, status: str, reason: str, expected_version: int | None = None, at=None
) -> Measure:
    """Set a measure's implementation status. A reason is required: it is shown to
    citizens next to the status and stays in the status history and the journal.
    `at` dates a change that happened before it is recorded here (a strategy's past
    taken over from its earlier reports); the journal still says when it was recorded."""
    reason = (reason or "").strip()
    if not reason:
        raise GovernanceError(_("Bitte begründen Sie die Änderung des Umsetzungsstands."))
    if status not in MeasureStatus.values:
        raise GovernanceError(_("Unbekannter Umsetzungsstand."))
    with transaction.atomic():
        measure = _locked(Measure, measure, expected_version)
        if measure.status == status:
            raise GovernanceError(_("Die Maßnahme hat diesen Umsetzungsstand bereits."))
        old_status = measure.status
        now = timezone.now()
        if at is not None:
            if at > now:
                raise GovernanceError(_("Eine Änderung des Umsetzungsstands kann nicht in der Zukunft liegen."))
            now = at
        measure.status = status
        measure.status_reason = reason
        measure.status_changed_at = now
        save_versioned(measure, by=by, reason=REASON_MEASURE_STATUS, person_text=reason)
        MeasureStatusChange.objects.create(
            measure=measure, old_status=old_status, new_status=status, reason=reason, changed_by=by, changed_at=now
        )
    return measure


def vote(measure: Measure, *, voter: str) -> bool:
    """Count one „finde ich wichtig“; False if this browser already voted."""
    try:
        with transaction.atomic():
            MeasureVote.objects.create(measure=measure, voter=voter)
    except IntegrityError:
        return False
    return True
