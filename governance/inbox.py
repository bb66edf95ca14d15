"""The task inbox ("Meine Aufgaben") gathers what waits for a person from every app
that has tasks. Apps register a provider in their AppConfig.ready(), so governance
needs to import none of them (dependencies point governance ← catalog ← ethics).

A provider takes a user and returns `Task`s, the one shape every app's tasks have."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

_providers: list[Callable] = []
# Apps that know a task is done although its provider cannot (an ethics vote on a
# catalog task) drop it: a filter takes the user and the tasks and returns those left.
_filters: list[Callable] = []


@dataclass
class Task:
    """Something that waits for a person: what (title, with a link), what to do (label),
    for which organisation, since when, until when, and whether that has passed.
    `subject` is the object it is about, for the providing app's own use."""

    title: str
    url: str
    label: str
    organisation: str
    since: datetime | None = None
    due: date | None = None
    overdue: bool = False
    subject: object = None


def add_working_days(day: date, days: int) -> date:
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def due_after(since: datetime | None) -> date | None:
    """When a task that waits since `since` is due: WORKFLOW_DUE_WORKING_DAYS working days later."""
    return add_working_days(timezone.localdate(since), settings.WORKFLOW_DUE_WORKING_DAYS) if since else None


def register_task_provider(provider: Callable) -> Callable:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def register_task_filter(task_filter: Callable) -> Callable:
    if task_filter not in _filters:
        _filters.append(task_filter)
    return task_filter


def tasks_for(user) -> list:
    """Every registered app's tasks for the user, the most urgent first."""
    tasks = [task for provider in _providers for task in provider(user)]
    for task_filter in _filters:
        tasks = task_filter(user, tasks)
    tasks.sort(key=lambda task: (task.due or date.max, task.title))
    return tasks


def deputy_proposals(user) -> list:
    """Governance's own tasks: the deputies proposed in a governance admin's organisations
    that wait for their approval (not those they are part of). One query."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from .models import Role, RoleAssignment
    from .permissions import organisations_with_role

    if not user.is_authenticated:
        return []
    proposals = (
        RoleAssignment.objects.proposed()
        .filter(organisation__in=organisations_with_role(user, Role.GOVERNANCE_ADMIN).values("pk"))
        .exclude(user=user)
        .exclude(deputy_for__user=user)
        .exclude(created_by=user)
        .select_related("user", "deputy_for__user", "organisation")
        .order_by("valid_from", "pk")
    )
    today = timezone.localdate()
    tasks = []
    for proposal in proposals:
        # It should be decided before the deputy would start.
        due = timezone.localdate(proposal.valid_from)
        tasks.append(
            Task(
                _("%(deputy)s vertritt %(principal)s (%(role)s)")
                % {
                    "deputy": proposal.user.get_full_name() or proposal.user.get_username(),
                    "principal": proposal.deputy_for.user.get_full_name() or proposal.deputy_for.user.get_username(),
                    "role": proposal.get_role_display(),
                },
                reverse("governance:organisation_detail", args=[proposal.organisation.slug]) + "#org-proposals",
                _("Vertretung genehmigen"),
                proposal.organisation.name,
                due=due,
                overdue=due < today,
                subject=proposal,
            )
        )
    return tasks
