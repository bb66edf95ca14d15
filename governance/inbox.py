"""The task inbox ("Meine Aufgaben") gathers what waits for a person from every app
that has tasks. Apps register a provider in their AppConfig.ready(), so governance
needs to import none of them (dependencies point governance ← catalog ← ethics).

A provider takes a user and returns tasks with: title, url, label, organisation
(a name), since (datetime or None), due (date or None) and overdue (bool)."""

from collections.abc import Callable
from datetime import date

_providers: list[Callable] = []


def register_task_provider(provider: Callable) -> Callable:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def tasks_for(user) -> list:
    """Every registered app's tasks for the user, the most urgent first."""
    tasks = [task for provider in _providers for task in provider(user)]
    tasks.sort(key=lambda task: (task.due or date.max, task.title))
    return tasks
