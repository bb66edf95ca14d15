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


def tasks_for(user) -> list:
    """Every registered app's tasks for the user, the most urgent first."""
    tasks = [task for provider in _providers for task in provider(user)]
    tasks.sort(key=lambda task: (task.due or date.max, task.title))
    return tasks
