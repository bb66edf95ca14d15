"""The data strategy on the public portal (no login): the strategy with its fields of
action, goals, indicators (charted against their targets) and measures, a page per
measure, and „Finde ich wichtig“ votes.

Every view reads through strategy.public, so a strategy, field of action, goal,
measure or indicator that is not public – or whose parent is not – does not exist here
(404), for citizens and staff alike. Staff names never appear: a measure shows its
responsible organisation, and its status history shows date, status and reason only.
Votes work exactly like the portal's dataset votes (core.participation): a random
browser id in a signed cookie, stored only as a keyed hash, rate limited per client
address."""

from __future__ import annotations

import uuid
from collections import defaultdict
from http import HTTPStatus

from django.contrib import messages
from django.core.cache import cache
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from catalog.models import Dataset
from core import participation
from core.participation import VOTE_LIMIT
from ethics.models import EthicsReview
from governance.models import PolicyStatus

from . import charts, public, services
from .indicators import METRICS, target_progress
from .models import IndicatorValue, MeasureStatus

# Live values of computed indicators are aggregates over the whole catalogue: computed
# at most every five minutes per metric (like the portal's transparency page).
LIVE_CACHE_SECONDS = 300
STATUS_PARAM = "status"
VOTE_SCOPE = "measure_vote"


def _measures_with_counts(queryset):
    """Measures with what their card shows: votes and milestones, counted in the same
    query (distinct, because the two joins multiply each other's rows)."""
    return queryset.select_related("responsible_organisation").annotate(
        vote_count=Count("votes", distinct=True),
        milestone_count=Count("milestones", distinct=True),
        milestones_done=Count("milestones", filter=Q(milestones__done_date__isnull=False), distinct=True),
    )


def _adopted_versions(strategy):
    """The policy versions that adopted the strategy, drafts left out (they are not
    decided, and not public)."""
    return (
        strategy.policy_versions.exclude(status=PolicyStatus.DRAFT)
        .select_related("document")
        .order_by("adopted_on", "document__title", "number")
    )


def _live_value(metric_key: str):
    """Today's value of a computed metric (cached per metric and day), or None."""
    metric = METRICS.get(metric_key)
    if metric is None:
        return None
    today = timezone.localdate()
    key = f"strategy:live:{metric_key}:{today.isoformat()}"
    missing = object()
    value = cache.get(key, missing)
    if value is missing:
        value = metric.compute(today)
        cache.set(key, value, LIVE_CACHE_SECONDS)
    return value


def _indicator_entries(indicators) -> list[dict]:
    """Chart, current value and progress of each indicator (values prefetched)."""
    today = timezone.localdate()
    entries = []
    for indicator in indicators:
        stored = [(value.date, value.value) for value in indicator.values.all()]
        live = None
        if indicator.is_computed:
            value = _live_value(indicator.metric)
            if value is not None:
                live = (today, value)
        chart = charts.indicator_chart(indicator, stored, live=live)
        current = chart.latest
        progress = target_progress(indicator, current.value) if current else None
        entries.append(
            {
                "indicator": indicator,
                "chart": chart,
                "current": current,
                "progress_percent": None if progress is None else round(progress * 100),
            }
        )
    return entries


def status_choices_with_counts(counts: dict[str, int]) -> list[dict]:
    return [{"value": value, "label": label, "count": counts.get(value, 0)} for value, label in MeasureStatus.choices]


@require_GET
def public_strategy_list(request):
    public_measures = Q(
        fields_of_action__is_public=True,
        fields_of_action__goals__is_public=True,
        fields_of_action__goals__measures__is_public=True,
    )
    strategies = (
        public.public_strategies()
        .select_related("organisation")
        .annotate(
            measure_count=Count("fields_of_action__goals__measures", filter=public_measures, distinct=True),
            done_count=Count(
                "fields_of_action__goals__measures",
                filter=public_measures & Q(fields_of_action__goals__measures__status=MeasureStatus.DONE),
                distinct=True,
            ),
            field_count=Count("fields_of_action", filter=Q(fields_of_action__is_public=True), distinct=True),
        )
        .order_by("-period_start", "title")
    )
    return render(request, "strategy/public/strategy_list.html", {"strategies": list(strategies)})


@require_GET
def public_strategy(request, slug):
    strategy = get_object_or_404(public.public_strategies().select_related("organisation"), slug=slug)
    fields = list(public.public_fields_of_action().filter(strategy=strategy))
    goals = list(public.public_goals().filter(field_of_action__strategy=strategy))
    all_measures = public.public_measures().filter(goal__field_of_action__strategy=strategy)
    counts = dict(all_measures.order_by().values_list("status").annotate(n=Count("pk")))
    status = request.GET.get(STATUS_PARAM, "")
    if status not in MeasureStatus.values:
        status = ""
    measures = _measures_with_counts(all_measures.filter(status=status) if status else all_measures)
    indicators = (
        public.public_indicators()
        .filter(goal__field_of_action__strategy=strategy)
        .prefetch_related(
            Prefetch("values", queryset=IndicatorValue.objects.order_by("date").only("indicator_id", "date", "value"))
        )
    )

    measures_by_goal, indicators_by_goal = defaultdict(list), defaultdict(list)
    for measure in measures.order_by("code"):
        measures_by_goal[measure.goal_id].append(measure)
    for entry in _indicator_entries(indicators):
        indicators_by_goal[entry["indicator"].goal_id].append(entry)
    goals_by_field = defaultdict(list)
    for goal in goals:
        goals_by_field[goal.field_of_action_id].append(
            {"goal": goal, "measures": measures_by_goal[goal.pk], "indicators": indicators_by_goal[goal.pk]}
        )
    return render(
        request,
        "strategy/public/strategy_detail.html",
        {
            "strategy": strategy,
            "adopted_versions": list(_adopted_versions(strategy)),
            "fields": [{"field": field, "goals": goals_by_field[field.pk]} for field in fields],
            "status": status,
            "status_label": MeasureStatus(status).label if status else "",
            "statuses": status_choices_with_counts(counts),
            "measure_total": sum(counts.values()),
            "shown_total": sum(len(items) for items in measures_by_goal.values()),
        },
    )


def _public_measure(slug, code):
    return get_object_or_404(
        public.public_measures().select_related("goal__field_of_action__strategy", "responsible_organisation"),
        goal__field_of_action__strategy__slug=slug,
        code=code,
    )


def _measure_page(request, measure, *, status=HTTPStatus.OK):
    voter = participation.voter_id(request)
    tally = measure.votes.aggregate(
        total=Count("pk"), mine=Count("pk", filter=Q(voter=participation.hashed(voter or "-")))
    )
    today = timezone.localdate()
    milestones = list(measure.milestones.order_by("due_date", "position", "pk"))
    return render(
        request,
        "strategy/public/measure_detail.html",
        {
            "measure": measure,
            "goal": measure.goal,
            "field": measure.goal.field_of_action,
            "strategy": measure.goal.field_of_action.strategy,
            "status_history": list(
                measure.status_changes.order_by("-changed_at", "-pk").only(
                    "measure_id", "old_status", "new_status", "reason", "changed_at"
                )
            ),
            "milestones": [(milestone, milestone.is_overdue(today)) for milestone in milestones],
            "milestones_done": sum(1 for milestone in milestones if milestone.done_date),
            "partners": list(measure.partner_organisations.order_by("name").values_list("name", flat=True)),
            # What it produced – only what is public elsewhere on the portal.
            "datasets": list(
                Dataset.objects.published().filter(strategy_measures=measure).order_by("title").only("name", "title")
            ),
            "policy_documents": list(measure.policy_documents.order_by("title").values_list("title", flat=True)),
            "ethics_reviews": list(
                EthicsReview.objects.completed()
                .filter(strategy_measures=measure)
                .select_related("dataset", "data_use")
                .order_by("pk")
            ),
            "votes": tally["total"],
            "voted": bool(tally["mine"]),
            "budget_share": (measure.budget_spent / measure.budget_planned * 100 if measure.budget_planned else None),
        },
        status=status,
    )


@require_GET
def public_measure(request, slug, code):
    return _measure_page(request, _public_measure(slug, code))


@require_POST
def public_measure_vote(request, slug, code):
    measure = _public_measure(slug, code)
    if participation.request_rate_limited(request, VOTE_SCOPE, VOTE_LIMIT):
        messages.error(request, _("Zu viele Stimmen von Ihrem Anschluss. Bitte versuchen Sie es später erneut."))
        return _measure_page(request, measure, status=HTTPStatus.TOO_MANY_REQUESTS)
    voter = participation.voter_id(request) or uuid.uuid4().hex
    if services.vote(measure, voter=participation.hashed(voter)):
        messages.success(request, _("Danke! Ihre Stimme „Finde ich wichtig“ wurde gezählt."))
    else:
        messages.info(request, _("Sie haben für diese Maßnahme bereits gestimmt."))
    response = redirect(reverse("strategy:public_measure", args=[slug, measure.code]) + "#wichtig")
    return participation.remember_voter(response, request, voter)
