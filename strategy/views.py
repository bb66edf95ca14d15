"""Staff pages of the strategy (under /intern/strategie/): the overview as a tree of
fields of action, goals and measures, the timeline, a measure with its milestones and
status history, indicators with their values. Every page asks strategy.permissions;
every change goes through strategy.services."""

import copy
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.forms import add_errors
from governance.history import history_entries
from governance.models import Organisation
from governance.services import ConflictError, GovernanceError
from governance.views import staff_required

from . import indicators, permissions, services, timeline
from .forms import (
    BudgetSpentForm,
    FieldOfActionForm,
    GoalForm,
    IndicatorForm,
    IndicatorValueForm,
    MeasureFilterForm,
    MeasureForm,
    MeasureStatusForm,
    MilestoneCompleteForm,
    MilestoneForm,
    StrategyForm,
)
from .models import FieldOfAction, Goal, Indicator, Measure, MeasureStatusChange, Milestone, Strategy


def _updated(request, form, update, instance) -> bool:
    """Hand a valid edit form's changes to the service's `update` function, with the
    version the editor started from. A conflict or a refused value shows on the form
    and nothing is written. True if saved. (The form edits a copy of `instance`, so a
    refused change leaves the page's headings as stored; the service reads the row
    afresh under a lock.)"""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        update(
            instance,
            by=request.user,
            changes=form.changes(),
            expected_version=form.cleaned_data["version"],
        )
    except (ValidationError, GovernanceError) as error:
        add_errors(form, error)
        return False
    return True


def _history_page(request, instance, *, strategy, title: str, created: str, measure=None):
    """The version history of any versioned row of the strategy, newest first."""
    records = instance.history.select_related("history_user").order_by("-history_date", "-history_id")
    return render(
        request,
        "strategy/history.html",
        {
            "title": title,
            "subject": str(instance),
            "created": created,
            "entries": history_entries(records),
            "strategy": strategy,
            "measure": measure,
        },
    )


def budget_overrun(measure: Measure) -> Decimal | None:
    """How much more than planned was spent, or None."""
    if measure.budget_spent > measure.budget_planned:
        return measure.budget_spent - measure.budget_planned
    return None


def _measures_of(strategy: Strategy):
    return Measure.objects.filter(goal__field_of_action__strategy=strategy)


def _measures_with_plan(queryset):
    return queryset.select_related("responsible_organisation", "responsible_person").prefetch_related(
        Prefetch("milestones", queryset=Milestone.objects.order_by("due_date", "position", "pk"))
    )


# ---------------------------------------------------------------------------
# Strategies


@require_GET
@staff_required
def strategy_list(request):
    if not permissions.can_view_strategy(request.user):
        raise PermissionDenied
    strategies = Strategy.objects.select_related("organisation").order_by("title")
    return render(
        request,
        "strategy/strategy_list.html",
        {"strategies": strategies, "can_manage": permissions.can_manage_strategy(request.user)},
    )


@require_GET
@staff_required
def strategy_detail(request, slug):
    """The overview: fields of action → goals (with their indicators) → measures with
    status, period, responsibility, budget and progress. Filterable by status and
    responsible organisation; the number of queries does not grow with the measures."""
    strategy = permissions.get_strategy_for_user(request.user, slug)
    all_measures = _measures_of(strategy)
    organisations = Organisation.objects.filter(pk__in=all_measures.values("responsible_organisation")).order_by("name")
    form = MeasureFilterForm(request.GET or None, organisations=organisations)
    measures = _measures_with_plan(form.filter(all_measures).order_by("code"))
    fields = list(
        strategy.fields_of_action.order_by("position", "code").prefetch_related(
            Prefetch("goals", queryset=Goal.objects.order_by("position", "code")),
            Prefetch("goals__measures", queryset=measures, to_attr="shown_measures"),
            Prefetch("goals__indicators", queryset=Indicator.objects.order_by("position", "code")),
        )
    )
    today = timezone.localdate()
    measure_count = 0
    for field in fields:
        field.shown_goals = []
        for goal in field.goals.all():
            for measure in goal.shown_measures:
                measure.progress = services.measure_progress(measure)
                measure.budget_overrun = budget_overrun(measure)
                milestones = measure.milestones.all()
                measure.milestones_total = len(milestones)
                measure.milestones_done = sum(milestone.done_date is not None for milestone in milestones)
                measure.overdue_milestones = [milestone for milestone in milestones if milestone.is_overdue(today)]
            measure_count += len(goal.shown_measures)
            goal.indicator_rows = [_indicator_row(indicator) for indicator in goal.indicators.all()]
            if goal.shown_measures or not form.is_active:
                field.shown_goals.append(goal)
    return render(
        request,
        "strategy/strategy_detail.html",
        {
            "strategy": strategy,
            "fields": [field for field in fields if field.shown_goals or not form.is_active],
            "form": form,
            "measure_count": measure_count,
            "today": today,
            "can_manage": permissions.can_manage_strategy(request.user, strategy),
            "policy_versions": strategy.policy_versions.select_related("document").order_by("document__title"),
        },
    )


def _indicator_row(indicator: Indicator) -> dict:
    value = indicators.current_value(indicator)
    progress = indicators.target_progress(indicator, value) if value is not None else None
    return {
        "indicator": indicator,
        "value": value,
        "progress": progress,
        "percent": None if progress is None else round(progress * 100),
    }


@require_GET
@staff_required
def strategy_timeline(request, slug):
    """Gantt-like bars of the measures per field of action with their milestones, drawn
    on the server as SVG (the content security policy allows no inline styles), and the
    same facts as a table for screen readers and for reading."""
    strategy = permissions.get_strategy_for_user(request.user, slug)
    measures = _measures_with_plan(_measures_of(strategy).order_by("code"))
    fields = list(
        strategy.fields_of_action.order_by("position", "code").prefetch_related(
            Prefetch("goals", queryset=Goal.objects.order_by("position", "code")),
            Prefetch("goals__measures", queryset=measures, to_attr="timeline_measures"),
        )
    )
    today = timezone.localdate()
    groups = [
        (field, [measure for goal in field.goals.all() for measure in goal.timeline_measures]) for field in fields
    ]
    chart = timeline.build(groups, today=today)
    return render(
        request,
        "strategy/strategy_timeline.html",
        {"strategy": strategy, "chart": chart, "groups": groups, "today": today},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def strategy_edit(request, slug):
    strategy = permissions.get_strategy_for_user(request.user, slug, manage=True)
    form = StrategyForm(request.POST or None, instance=copy.copy(strategy))
    if _updated(request, form, services.update_strategy, strategy):
        messages.success(request, _("Die Strategie wurde gespeichert."))
        return redirect(strategy)
    return _structure_form(request, form, strategy=strategy, title=_("Strategie bearbeiten"))


@require_GET
@staff_required
def strategy_history(request, slug):
    strategy = permissions.get_strategy_for_user(request.user, slug)
    return _history_page(
        request,
        strategy,
        strategy=strategy,
        title=_("Versionsverlauf der Strategie"),
        created=_("Die Strategie wurde angelegt."),
    )


# ---------------------------------------------------------------------------
# Structure: fields of action and goals


def _structure_form(request, form, *, strategy, title: str, creating: bool = False, cancel_url: str = ""):
    return render(
        request,
        "strategy/structure_form.html",
        {
            "strategy": strategy,
            "form": form,
            "title": title,
            "creating": creating,
            "cancel_url": cancel_url or strategy.get_absolute_url(),
        },
    )


def _get_field_of_action(request, slug, pk, *, manage: bool = False) -> FieldOfAction:
    strategy = permissions.get_strategy_for_user(request.user, slug, manage=manage)
    field = get_object_or_404(FieldOfAction, strategy=strategy, pk=pk)
    field.strategy = strategy
    return field


def _get_goal(request, slug, pk, *, manage: bool = False) -> Goal:
    strategy = permissions.get_strategy_for_user(request.user, slug, manage=manage)
    goal = get_object_or_404(Goal.objects.select_related("field_of_action"), field_of_action__strategy=strategy, pk=pk)
    goal.field_of_action.strategy = strategy
    return goal


@staff_required
@require_http_methods(["GET", "POST"])
def field_of_action_create(request, slug):
    strategy = permissions.get_strategy_for_user(request.user, slug, manage=True)
    form = FieldOfActionForm(request.POST or None, instance=FieldOfAction(strategy=strategy))
    if request.method == "POST" and form.is_valid():
        try:
            services.create_field_of_action(strategy, by=request.user, **form.cleaned_data)
        except (ValidationError, GovernanceError) as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Das Handlungsfeld wurde angelegt."))
            return redirect(strategy)
    return _structure_form(request, form, strategy=strategy, title=_("Neues Handlungsfeld"), creating=True)


@staff_required
@require_http_methods(["GET", "POST"])
def field_of_action_edit(request, slug, pk):
    field = _get_field_of_action(request, slug, pk, manage=True)
    form = FieldOfActionForm(request.POST or None, instance=copy.copy(field))
    if _updated(request, form, services.update_field_of_action, field):
        messages.success(request, _("Das Handlungsfeld wurde gespeichert."))
        return redirect(f"{field.strategy.get_absolute_url()}#field-{field.pk}")
    title = _("Handlungsfeld %(code)s bearbeiten") % {"code": field.code}
    return _structure_form(request, form, strategy=field.strategy, title=title)


@require_GET
@staff_required
def field_of_action_history(request, slug, pk):
    field = _get_field_of_action(request, slug, pk)
    return _history_page(
        request,
        field,
        strategy=field.strategy,
        title=_("Versionsverlauf: %(code)s") % {"code": field.code},
        created=_("Das Handlungsfeld wurde angelegt."),
    )


@staff_required
@require_http_methods(["GET", "POST"])
def goal_create(request, slug):
    strategy = permissions.get_strategy_for_user(request.user, slug, manage=True)
    form = GoalForm(request.POST or None, strategy=strategy)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        field_of_action = data.pop("field_of_action")
        try:
            services.create_goal(field_of_action, by=request.user, **data)
        except (ValidationError, GovernanceError) as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Das Ziel wurde angelegt."))
            return redirect(strategy)
    return _structure_form(request, form, strategy=strategy, title=_("Neues Ziel"), creating=True)


@staff_required
@require_http_methods(["GET", "POST"])
def goal_edit(request, slug, pk):
    goal = _get_goal(request, slug, pk, manage=True)
    strategy = goal.field_of_action.strategy
    form = GoalForm(request.POST or None, instance=copy.copy(goal), strategy=strategy)
    if _updated(request, form, services.update_goal, goal):
        messages.success(request, _("Das Ziel wurde gespeichert."))
        return redirect(f"{strategy.get_absolute_url()}#goal-{goal.pk}")
    title = _("Ziel %(code)s bearbeiten") % {"code": goal.code}
    return _structure_form(request, form, strategy=strategy, title=title)


@require_GET
@staff_required
def goal_history(request, slug, pk):
    goal = _get_goal(request, slug, pk)
    return _history_page(
        request,
        goal,
        strategy=goal.field_of_action.strategy,
        title=_("Versionsverlauf: %(code)s") % {"code": goal.code},
        created=_("Das Ziel wurde angelegt."),
    )


# ---------------------------------------------------------------------------
# Measures


def _measure_links(measure: Measure) -> dict:
    return {
        "policy_documents": measure.policy_documents.order_by("title"),
        "rules": measure.rules.select_related("document").order_by("code"),
        "datasets": measure.datasets.order_by("title"),
        "ethics_reviews": measure.ethics_reviews.select_related("dataset", "data_use"),
    }


@require_GET
@staff_required
def measure_detail(request, code):
    measure = permissions.get_measure_for_user(request.user, code)
    today = timezone.localdate()
    milestones = list(measure.milestones.order_by("due_date", "position", "pk"))
    can_report = permissions.can_report_progress(request.user, measure)
    return render(
        request,
        "strategy/measure_detail.html",
        {
            "measure": measure,
            "strategy": measure.goal.field_of_action.strategy,
            "milestones": milestones,
            "overdue_count": sum(milestone.is_overdue(today) for milestone in milestones),
            "today": today,
            "progress": services.measure_progress(measure),
            "budget_overrun": budget_overrun(measure),
            "partners": measure.partner_organisations.order_by("name"),
            "links": _measure_links(measure),
            "status_changes": MeasureStatusChange.objects.filter(measure=measure)
            .select_related("changed_by")
            .order_by("-changed_at", "-pk"),
            "can_report": can_report,
            "can_manage": permissions.can_manage_strategy(request.user, measure.goal.field_of_action.strategy),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def measure_status(request, code):
    """Change a measure's implementation status, with a reason (shown to citizens and
    kept in the status history and the audit journal)."""
    measure = permissions.get_measure_for_user(request.user, code, report=True)
    form = MeasureStatusForm(request.POST or None, measure=measure)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_measure_status(
                measure,
                by=request.user,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except (ConflictError, GovernanceError) as error:
            add_errors(form, error)
        else:
            measure.refresh_from_db()
            messages.success(
                request,
                _("Der Umsetzungsstand ist jetzt „%(status)s“.") % {"status": measure.get_status_display()},
            )
            return redirect(measure)
    return render(request, "strategy/measure_status.html", {"measure": measure, "form": form})


@staff_required
@require_http_methods(["GET", "POST"])
def measure_create(request, slug):
    strategy = permissions.get_strategy_for_user(request.user, slug, manage=True)
    initial = {}
    if goal_code := request.GET.get("ziel"):
        initial["goal"] = Goal.objects.filter(field_of_action__strategy=strategy, code=goal_code).first()
    form = MeasureForm(request.POST or None, initial=initial, strategy=strategy)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        goal = data.pop("goal")
        try:
            measure = services.create_measure(goal, by=request.user, **data)
        except (ValidationError, GovernanceError) as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Die Maßnahme wurde angelegt."))
            return redirect(measure)
    return render(request, "strategy/measure_form.html", {"strategy": strategy, "form": form, "measure": None})


@staff_required
@require_http_methods(["GET", "POST"])
def measure_edit(request, code):
    """The plan of a measure (everything but its status)."""
    measure = permissions.get_measure_for_user(request.user, code, manage=True)
    strategy = measure.goal.field_of_action.strategy
    form = MeasureForm(request.POST or None, instance=copy.copy(measure), strategy=strategy)
    if _updated(request, form, services.update_measure, measure):
        messages.success(request, _("Die Maßnahme wurde gespeichert."))
        return redirect("strategy:measure_detail", measure.code)
    return render(request, "strategy/measure_form.html", {"strategy": strategy, "form": form, "measure": measure})


@staff_required
@require_http_methods(["GET", "POST"])
def measure_budget(request, code):
    """The responsible person reports what has been spent so far. More than planned
    is saved (it happens) and shown as an overrun, never refused."""
    measure = permissions.get_measure_for_user(request.user, code, report=True)
    form = BudgetSpentForm(request.POST or None, measure=measure)
    if request.method == "POST" and form.is_valid():
        try:
            measure = services.report_budget_spent(
                measure,
                by=request.user,
                budget_spent=form.cleaned_data["budget_spent"],
                expected_version=form.cleaned_data["version"],
                note=form.cleaned_data["note"],
            )
        except (ValidationError, GovernanceError) as error:
            add_errors(form, error)
        else:
            if (overrun := budget_overrun(measure)) is not None:
                messages.warning(
                    request,
                    _("Gespeichert. Das geplante Budget ist um %(amount)s € überschritten.")
                    % {"amount": floatformat(overrun, "-2g")},
                )
            else:
                messages.success(request, _("Der verausgabte Betrag wurde gespeichert."))
            return redirect(measure)
    return render(
        request,
        "strategy/measure_budget.html",
        {"measure": measure, "form": form, "budget_overrun": budget_overrun(measure)},
    )


@require_GET
@staff_required
def measure_history(request, code):
    measure = permissions.get_measure_for_user(request.user, code)
    return _history_page(
        request,
        measure,
        strategy=measure.goal.field_of_action.strategy,
        measure=measure,
        title=_("Versionsverlauf: %(code)s") % {"code": measure.code},
        created=_("Die Maßnahme wurde angelegt."),
    )


# ---------------------------------------------------------------------------
# Milestones


@staff_required
@require_http_methods(["GET", "POST"])
def milestone_create(request, code):
    measure = permissions.get_measure_for_user(request.user, code, report=True)
    form = MilestoneForm(request.POST or None, instance=Milestone(measure=measure))
    if request.method == "POST" and form.is_valid():
        try:
            services.add_milestone(measure, by=request.user, **form.cleaned_data)
        except (ValidationError, GovernanceError) as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Der Meilenstein wurde angelegt."))
            return redirect(measure)
    return render(request, "strategy/milestone_form.html", {"measure": measure, "form": form, "milestone": None})


def _get_milestone(request, code, pk) -> Milestone:
    measure = permissions.get_measure_for_user(request.user, code, report=True)
    milestone = get_object_or_404(Milestone, measure=measure, pk=pk)
    milestone.measure = measure
    return milestone


@staff_required
@require_http_methods(["GET", "POST"])
def milestone_edit(request, code, pk):
    milestone = _get_milestone(request, code, pk)
    form = MilestoneForm(request.POST or None, instance=copy.copy(milestone))
    if _updated(request, form, services.update_milestone, milestone):
        messages.success(request, _("Der Meilenstein wurde gespeichert."))
        return redirect(milestone.measure)
    return render(
        request, "strategy/milestone_form.html", {"measure": milestone.measure, "form": form, "milestone": milestone}
    )


@staff_required
@require_http_methods(["GET", "POST"])
def milestone_complete(request, code, pk):
    milestone = _get_milestone(request, code, pk)
    if milestone.done_date is not None:
        messages.info(request, _("Dieser Meilenstein ist bereits erreicht."))
        return redirect(milestone.measure)
    form = MilestoneCompleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.complete_milestone(
                milestone,
                by=request.user,
                done_date=form.cleaned_data["done_date"],
                evidence=form.cleaned_data["evidence"],
            )
        except (ValidationError, GovernanceError) as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Der Meilenstein „%(title)s“ ist erreicht.") % {"title": milestone.title})
            return redirect(milestone.measure)
    return render(request, "strategy/milestone_complete.html", {"milestone": milestone, "form": form})


# ---------------------------------------------------------------------------
# Indicators


@require_GET
@staff_required
def indicator_detail(request, code):
    indicator = permissions.get_indicator_for_user(request.user, code)
    strategy = indicator.goal.field_of_action.strategy
    can_manage = permissions.can_manage_strategy(request.user, strategy)
    row = _indicator_row(indicator)
    return render(
        request,
        "strategy/indicator_detail.html",
        {
            "indicator": indicator,
            "strategy": strategy,
            "row": row,
            "metric": indicators.METRICS.get(indicator.metric) if indicator.metric else None,
            "values": list(reversed(indicators.series(indicator))),
            "can_manage": can_manage,
            "value_form": IndicatorValueForm(indicator=indicator) if can_manage and not indicator.is_computed else None,
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def indicator_value_add(request, code):
    """A value entered by hand, with its source (only for indicators not computed by the system)."""
    indicator = permissions.get_indicator_for_user(request.user, code, manage=True)
    if indicator.is_computed:
        raise PermissionDenied
    form = IndicatorValueForm(request.POST or None, indicator=indicator)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_indicator_value(indicator, by=request.user, **form.cleaned_data)
        except (ValidationError, GovernanceError) as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Der Wert wurde erfasst."))
            return redirect("strategy:indicator_detail", indicator.code)
    return render(request, "strategy/indicator_value_form.html", {"indicator": indicator, "form": form})


@staff_required
@require_http_methods(["GET", "POST"])
def indicator_create(request, slug):
    strategy = permissions.get_strategy_for_user(request.user, slug, manage=True)
    form = IndicatorForm(request.POST or None, strategy=strategy, metric_choices=indicators.metric_choices())
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        goal = data.pop("goal")
        try:
            indicator = services.create_indicator(goal, by=request.user, **data)
        except (ValidationError, GovernanceError) as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Der Indikator wurde angelegt."))
            return redirect(reverse("strategy:indicator_detail", args=[indicator.code]))
    return _structure_form(request, form, strategy=strategy, title=_("Neuer Indikator"), creating=True)


@staff_required
@require_http_methods(["GET", "POST"])
def indicator_edit(request, code):
    indicator = permissions.get_indicator_for_user(request.user, code, manage=True)
    strategy = indicator.goal.field_of_action.strategy
    form = IndicatorForm(
        request.POST or None,
        instance=copy.copy(indicator),
        strategy=strategy,
        metric_choices=indicators.metric_choices(),
    )
    if _updated(request, form, services.update_indicator, indicator):
        messages.success(request, _("Der Indikator wurde gespeichert."))
        return redirect("strategy:indicator_detail", indicator.code)
    return _structure_form(
        request,
        form,
        strategy=strategy,
        title=_("Indikator %(code)s bearbeiten") % {"code": indicator.code},
        cancel_url=reverse("strategy:indicator_detail", args=[indicator.code]),
    )


@require_GET
@staff_required
def indicator_history(request, code):
    indicator = permissions.get_indicator_for_user(request.user, code)
    return _history_page(
        request,
        indicator,
        strategy=indicator.goal.field_of_action.strategy,
        title=_("Versionsverlauf: %(code)s") % {"code": indicator.code},
        created=_("Der Indikator wurde angelegt."),
    )
