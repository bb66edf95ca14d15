"""The steward's quality tasks (broken links, overdue updates), registered with
governance.inbox in catalog.apps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.models import Role
from governance.permissions import organisations_with_role

from ..models import Dataset, DatasetState
from .scoring import EXPECTED_INTERVAL, freshness


@dataclass
class QualityTask:
    """A dataset with broken links or overdue for an update, in the inbox's shape."""

    dataset: object
    label: str
    since: object
    due: date | None = None
    overdue: bool = False

    @property
    def title(self) -> str:
        return self.dataset.title

    @property
    def url(self) -> str:
        return self.dataset.get_absolute_url() + "#qualitaet"

    @property
    def organisation(self) -> str:
        return self.dataset.publisher.name


def tasks_for(user) -> list[QualityTask]:
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
            tasks.append(QualityTask(dataset, str(_("Nicht erreichbare Links prüfen")), score.computed_at))
        fresh = freshness(dataset, today=today)
        if dataset.is_published and fresh.status == "overdue":
            tasks.append(QualityTask(dataset, str(_("Datensatz aktualisieren")), None, fresh.due, True))
    return tasks
