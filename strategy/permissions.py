"""Who may see and steer the strategy. Everyone in the internal area reads it;
governance admins maintain it (for a strategy of one organisation, admins of that
organisation); the person responsible for a measure, and governance admins of its
responsible organisation, report its progress (status, milestones, budget spent).
The public portal reads only what is marked public (strategy.public)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from governance.models import Role
from governance.permissions import has_any_role, has_role, is_staff_member

from .models import Indicator, Measure, Strategy


def can_view_strategy(user) -> bool:
    return is_staff_member(user)


def can_manage_strategy(user, strategy: Strategy | None = None) -> bool:
    if strategy is not None and strategy.organisation_id:
        return has_role(user, Role.GOVERNANCE_ADMIN, strategy.organisation)
    return has_any_role(user, Role.GOVERNANCE_ADMIN)


def can_report_progress(user, measure: Measure) -> bool:
    """Status, milestones and budget spent: the responsible person, or whoever
    manages the strategy or administers the responsible organisation."""
    if not user.is_authenticated or not user.is_active:
        return False
    if measure.responsible_person_id == user.pk:
        return True
    if has_role(user, Role.GOVERNANCE_ADMIN, measure.responsible_organisation):
        return True
    return can_manage_strategy(user, measure.goal.field_of_action.strategy)


def get_strategy_for_user(user, slug: str, *, manage: bool = False) -> Strategy:
    if not can_view_strategy(user):
        raise PermissionDenied
    try:
        strategy = Strategy.objects.select_related("organisation").get(slug=slug)
    except Strategy.DoesNotExist:
        raise Http404 from None
    if manage and not can_manage_strategy(user, strategy):
        raise PermissionDenied
    return strategy


def get_measure_for_user(user, code: str, *, manage: bool = False, report: bool = False) -> Measure:
    """`manage`: edit the measure's plan; `report`: report its progress."""
    if not can_view_strategy(user):
        raise PermissionDenied
    try:
        measure = Measure.objects.select_related(
            "goal__field_of_action__strategy__organisation", "responsible_organisation", "responsible_person"
        ).get(code=code)
    except Measure.DoesNotExist:
        raise Http404 from None
    if manage and not can_manage_strategy(user, measure.goal.field_of_action.strategy):
        raise PermissionDenied
    if report and not can_report_progress(user, measure):
        raise PermissionDenied
    return measure


def get_indicator_for_user(user, code: str, *, manage: bool = False) -> Indicator:
    if not can_view_strategy(user):
        raise PermissionDenied
    try:
        indicator = Indicator.objects.select_related("goal__field_of_action__strategy__organisation").get(code=code)
    except Indicator.DoesNotExist:
        raise Http404 from None
    if manage and not can_manage_strategy(user, indicator.goal.field_of_action.strategy):
        raise PermissionDenied
    return indicator
