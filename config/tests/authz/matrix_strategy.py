"""Matrix of the strategy's staff pages (issue 13, /intern/strategie/).

Everyone in the internal area reads the strategy (can_view_strategy). The demo
strategy is network-wide, so every governance admin maintains it (ADMIN_A). Progress
(status, milestones, budget spent) is reported by the measure's responsible person, the governance
admins of its responsible organisation and whoever maintains the strategy. Measures of
the demo (demo/strategy.py) as the matrix talks about them:

- "own_a": HF1-M03 of Lindenau, steward_a is responsible for it;
- "other_a": HF1-M04 of Lindenau, owner_a is responsible (steward_a is not);
- "measure_b": HF1-M07 of Eichberg, steward_b is responsible;
- "internal": HF2-M09, not public (staff read it all the same).

Indicators: "computed" (I-OFFEN, computed live), "manual" (I-SCHULUNG), "internal"
(I-INTERN, manual, not public). Only manual indicators take values entered by hand."""

from datetime import date

from django.utils import timezone

from .matrix import ADMIN_A, NOBODY, OWNER_A, STAFF, STEWARD_A, STEWARD_B, Route, routes
from .world import World

SLUG = "datenstrategie-stadtverbund"
MEASURES = {"own_a": "HF1-M03", "other_a": "HF1-M04", "measure_b": "HF1-M07", "internal": "HF2-M09"}
REPORTED = ("own_a", "other_a", "measure_b")
INDICATORS = {"computed": "I-OFFEN", "manual": "I-SCHULUNG", "internal": "I-INTERN"}
ONLY_ADMIN_A = frozenset({ADMIN_A})
# Who reports the progress of each measure (can_report_progress).
REPORTERS = {
    "own_a": frozenset({STEWARD_A, ADMIN_A}),
    "other_a": frozenset({OWNER_A, ADMIN_A}),
    "measure_b": frozenset({STEWARD_B, ADMIN_A}),
}


def strategy_slug(world: World, label: str) -> dict:
    return {"slug": SLUG}


def measure(label: str):
    # Looked up afresh for every cell: a rolled-back cell must not leave a stale version behind.
    from strategy.models import Measure

    return Measure.objects.get(code=MEASURES[label])


def measure_code(world: World, label: str) -> dict:
    return {"code": MEASURES[label]}


def open_milestone(label: str):
    return measure(label).milestones.filter(done_date__isnull=True).order_by("due_date", "pk").first()


def milestone_kwargs(world: World, label: str) -> dict:
    return {"code": MEASURES[label], "pk": open_milestone(label).pk}


def indicator_code(world: World, label: str) -> dict:
    return {"code": INDICATORS[label]}


def status_form(world: World, label: str) -> dict:
    # „verzögert“ is a change for every measure the matrix posts to (none of them is delayed).
    return {"status": "delayed", "reason": "Matrix: Lieferverzug", "version": measure(label).version}


def measure_form(world: World, label: str) -> dict:
    """The measure's plan as the edit form sends it, with a new title."""
    current = measure(label)
    data = {
        "goal": current.goal_id,
        "title": f"{current.title} (geändert)",
        "description": current.description,
        "start_date": current.start_date.isoformat(),
        "end_date": current.end_date.isoformat(),
        "budget_planned": str(current.budget_planned),
        "budget_spent": str(current.budget_spent),
        "responsible_organisation": current.responsible_organisation_id,
        "responsible_person": current.responsible_person_id or "",
        "external_partners": current.external_partners,
        "version": current.version,
    }
    for name in ("partner_organisations", "policy_documents", "rules", "datasets", "ethics_reviews"):
        data[name] = list(getattr(current, name).values_list("pk", flat=True))
    if current.is_public:
        data["is_public"] = "on"
    return data


def new_measure_form(world: World, label: str) -> dict:
    from governance.models import Organisation
    from strategy.models import Goal

    return {
        "goal": Goal.objects.get(code="HF1-Z1", field_of_action__strategy__slug=SLUG).pk,
        "code": "HF1-M99",
        "title": "Matrix-Maßnahme",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "budget_planned": "1000",
        "budget_spent": "0",
        "responsible_organisation": Organisation.objects.get(slug="lindenau").pk,
        "is_public": "on",
    }


def new_goal_form(world: World, label: str) -> dict:
    from strategy.models import FieldOfAction

    field = FieldOfAction.objects.get(code="HF1", strategy__slug=SLUG)
    return {"field_of_action": field.pk, "code": "HF1-Z9", "title": "Matrix-Ziel", "position": 9, "is_public": "on"}


def new_indicator_form(world: World, label: str) -> dict:
    from strategy.models import Goal

    return {
        "goal": Goal.objects.get(code="HF1-Z1", field_of_action__strategy__slug=SLUG).pk,
        "code": "I-MATRIX",
        "title": "Matrix-Indikator",
        "unit": "count",
        "metric": "",
        "higher_is_better": "on",
        "target_value": "10",
        "target_date": "2027-12-31",
        "position": 9,
        "is_public": "on",
    }


def milestone_form(world: World, label: str) -> dict:
    milestone = open_milestone(label)
    return {
        "title": f"{milestone.title} (neu geplant)",
        "due_date": milestone.due_date.isoformat(),
        "position": milestone.position,
        "version": milestone.version,
    }


def budget_form(world: World, label: str) -> dict:
    current = measure(label)
    return {"budget_spent": str(current.budget_spent + 1000), "note": "Matrix-Rechnung", "version": current.version}


def strategy_form(world: World, label: str) -> dict:
    from strategy.models import Strategy

    current = Strategy.objects.get(slug=SLUG)
    data = {
        "title": f"{current.title} (geändert)",
        "summary": current.summary,
        "period_start": current.period_start.isoformat() if current.period_start else "",
        "period_end": current.period_end.isoformat() if current.period_end else "",
        "policy_versions": list(current.policy_versions.values_list("pk", flat=True)),
        "version": current.version,
    }
    if current.is_public:
        data["is_public"] = "on"
    return data


def field_of_action(label: str):
    from strategy.models import FieldOfAction

    return FieldOfAction.objects.get(code=label, strategy__slug=SLUG)


def goal(label: str):
    from strategy.models import Goal

    return Goal.objects.get(code=label, field_of_action__strategy__slug=SLUG)


def field_kwargs(world: World, label: str) -> dict:
    return {"slug": SLUG, "pk": field_of_action(label).pk}


def goal_kwargs(world: World, label: str) -> dict:
    return {"slug": SLUG, "pk": goal(label).pk}


def _structure_data(current) -> dict:
    data = {
        "code": current.code,
        "title": f"{current.title} (geändert)",
        "description": current.description,
        "position": current.position,
        "version": current.version,
    }
    if current.is_public:
        data["is_public"] = "on"
    return data


def field_form(world: World, label: str) -> dict:
    return _structure_data(field_of_action(label))


def goal_form(world: World, label: str) -> dict:
    return _structure_data(goal(label))


def indicator_form(world: World, label: str) -> dict:
    from strategy.models import Indicator

    current = Indicator.objects.get(code=INDICATORS[label])
    data = {
        "code": current.code,
        "title": f"{current.title} (geändert)",
        "description": current.description,
        "unit": current.unit,
        "metric": current.metric,
        "baseline_value": "" if current.baseline_value is None else str(current.baseline_value),
        "baseline_date": current.baseline_date.isoformat() if current.baseline_date else "",
        "target_value": str(current.target_value),
        "target_date": current.target_date.isoformat(),
        "source": current.source,
        "position": current.position,
        "version": current.version,
    }
    for name in ("higher_is_better", "is_public"):
        if getattr(current, name):
            data[name] = "on"
    return data


def today_iso() -> str:
    return timezone.localdate().isoformat()


STRATEGY = [
    Route("strategy:strategy_list", get=STAFF, why="Everyone in the internal area reads the strategy."),
    Route("strategy:strategy_detail", kwargs=strategy_slug, get=STAFF, query="?status=in_progress"),
    Route("strategy:strategy_timeline", kwargs=strategy_slug, get=STAFF),
    Route(
        "strategy:field_of_action_create",
        kwargs=strategy_slug,
        get=ONLY_ADMIN_A,
        post=ONLY_ADMIN_A,
        data={"code": "HF9", "title": "Matrix-Handlungsfeld", "position": 9, "is_public": "on"},
        why="A network-wide strategy is maintained by any governance admin.",
    ),
    Route("strategy:goal_create", kwargs=strategy_slug, get=ONLY_ADMIN_A, post=ONLY_ADMIN_A, data=new_goal_form),
    Route("strategy:measure_create", kwargs=strategy_slug, get=ONLY_ADMIN_A, post=ONLY_ADMIN_A, data=new_measure_form),
    Route(
        "strategy:indicator_create",
        kwargs=strategy_slug,
        get=ONLY_ADMIN_A,
        post=ONLY_ADMIN_A,
        data=new_indicator_form,
    ),
    Route(
        "strategy:measure_detail",
        objects=tuple(MEASURES),
        kwargs=measure_code,
        get=STAFF,
        why="Staff read every measure, internal ones included; only the portal hides those.",
    ),
    Route("strategy:measure_history", objects=tuple(MEASURES), kwargs=measure_code, get=STAFF),
    Route(
        "strategy:measure_budget",
        objects=REPORTED,
        kwargs=measure_code,
        get=REPORTERS,
        post=REPORTERS,
        data=budget_form,
        why="What was spent is progress: reported like the status, not by other stewards.",
    ),
    Route(
        "strategy:measure_status",
        objects=REPORTED,
        kwargs=measure_code,
        get=REPORTERS,
        post=REPORTERS,
        data=status_form,
        why="The responsible person, the admins of the responsible organisation and the strategy's "
        "maintainers report progress; another steward of the same city does not.",
    ),
    Route(
        "strategy:measure_edit",
        objects=("own_a", "measure_b"),
        kwargs=measure_code,
        get={"own_a": ONLY_ADMIN_A, "measure_b": ONLY_ADMIN_A},
        post={"own_a": ONLY_ADMIN_A, "measure_b": ONLY_ADMIN_A},
        data=measure_form,
        why="The plan (period, budget, responsibility) is the strategy maintainers' – not the responsible person's.",
    ),
    Route(
        "strategy:milestone_create",
        objects=REPORTED,
        kwargs=measure_code,
        get=REPORTERS,
        post=REPORTERS,
        data=lambda world, label: {"title": "Matrix-Meilenstein", "due_date": "2027-06-30", "position": 5},
    ),
    Route(
        "strategy:milestone_edit",
        objects=REPORTED,
        kwargs=milestone_kwargs,
        get=REPORTERS,
        post=REPORTERS,
        data=milestone_form,
    ),
    Route(
        "strategy:milestone_complete",
        objects=REPORTED,
        kwargs=milestone_kwargs,
        get=REPORTERS,
        post=REPORTERS,
        data=lambda world, label: {"done_date": today_iso(), "evidence": "Matrix-Nachweis"},
    ),
    Route("strategy:indicator_detail", objects=tuple(INDICATORS), kwargs=indicator_code, get=STAFF),
    Route("strategy:indicator_history", objects=tuple(INDICATORS), kwargs=indicator_code, get=STAFF),
    Route(
        "strategy:indicator_edit",
        objects=tuple(INDICATORS),
        kwargs=indicator_code,
        get=ONLY_ADMIN_A,
        post=ONLY_ADMIN_A,
        data=indicator_form,
    ),
    Route(
        "strategy:strategy_edit",
        kwargs=strategy_slug,
        get=ONLY_ADMIN_A,
        post=ONLY_ADMIN_A,
        data=strategy_form,
        why="The strategy itself, its fields of action, goals and indicators are the maintainers' alone.",
    ),
    Route("strategy:strategy_history", kwargs=strategy_slug, get=STAFF),
    Route(
        "strategy:field_of_action_edit",
        objects=("HF1", "HF2"),
        kwargs=field_kwargs,
        get=ONLY_ADMIN_A,
        post=ONLY_ADMIN_A,
        data=field_form,
    ),
    Route("strategy:field_of_action_history", objects=("HF1", "HF2"), kwargs=field_kwargs, get=STAFF),
    Route(
        "strategy:goal_edit",
        objects=("HF1-Z1", "HF2-Z3"),
        kwargs=goal_kwargs,
        get=ONLY_ADMIN_A,
        post=ONLY_ADMIN_A,
        data=goal_form,
    ),
    Route("strategy:goal_history", objects=("HF1-Z1", "HF2-Z3"), kwargs=goal_kwargs, get=STAFF),
    Route(
        "strategy:indicator_value_add",
        objects=tuple(INDICATORS),
        kwargs=indicator_code,
        get={"manual": ONLY_ADMIN_A, "internal": ONLY_ADMIN_A, "computed": NOBODY},
        post={"manual": ONLY_ADMIN_A, "internal": ONLY_ADMIN_A, "computed": NOBODY},
        data=lambda world, label: {
            "date": date(2025, 1, 31).isoformat(),
            "value": "42",
            "source": "Matrix-Quelle",
        },
        why="Maintainers enter manual values with their source; computed indicators take none (403).",
    ),
]

ROUTES = routes(*STRATEGY)
