"""The steward's quality tasks (broken links, overdue updates), registered with
governance.inbox in catalog.apps."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.inbox import Task
from governance.models import Role
from governance.permissions import organisations_with_role

from ..models import Dataset, DatasetState
from .scoring import EXPECTED_INTERVAL, freshness


def tasks_for(user) -> list[Task]:
    """For stewards: datasets of their organisations with broken links, and published
    datasets overdue for an update (registered with governance.inbox)."""

    if not user.is_authenticated:
        return []
    # One query: datasets with broken links, and published ones with a regular frequency
    # (whether they are overdue is a question of dates, answered here).
    broken = Q(quality_score__isnull=False) & ~Q(quality_score__broken_links=[])
    regular = Q(state=DatasetState.PUBLISHED, update_frequency__in=[str(frequency) for frequency in EXPECTED_INTERVAL])
    datasets = (
        Dataset.objects.filter(publisher__in=organisations_with_role(user, Role.STEWARD).values("pk"))
        .filter(broken | regular)
        .select_related("publisher", "quality_score")
        .order_by("pk")
    )
    tasks = []
    today = timezone.localdate()
    for dataset in datasets:
        score = getattr(dataset, "quality_score", None)
        if score is not None and score.broken_links:
            tasks.append(_task(dataset, _("Nicht erreichbare Links prüfen"), since=score.computed_at))
        fresh = freshness(dataset, today=today)
        if dataset.is_published and fresh.status == "overdue":
            tasks.append(_task(dataset, _("Datensatz aktualisieren"), due=fresh.due, overdue=True))
    return tasks


def _task(dataset: Dataset, label, **when) -> Task:
    return Task(
        dataset.title, dataset.get_absolute_url() + "#qualitaet", str(label), dataset.publisher.name, **when,
        subject=dataset,
    )  # fmt: skip
