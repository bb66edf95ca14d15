"""Overdue milestones in the task inbox ("Meine Aufgaben") of the person responsible
for the measure (registered with governance.inbox in StrategyConfig.ready)."""

from dataclasses import dataclass
from datetime import date, datetime

from django.utils.translation import gettext as _

from .models import Milestone
from .services import overdue_milestones


@dataclass
class MilestoneTask:
    """An overdue milestone, in the shape the governance inbox shows."""

    milestone: Milestone
    label: str
    due: date
    since: datetime | None = None
    overdue: bool = True

    @property
    def title(self) -> str:
        return f"{self.milestone.measure.code}: {self.milestone.title}"

    @property
    def url(self) -> str:
        return self.milestone.measure.get_absolute_url() + "#meilensteine"

    @property
    def organisation(self) -> str:
        return self.milestone.measure.responsible_organisation.name


def tasks_for(user) -> list[MilestoneTask]:
    """The open milestones past their due date of the measures `user` is responsible for."""
    if not user.is_authenticated:
        return []
    label = _("Überfälligen Meilenstein abschließen oder neu planen")
    return [MilestoneTask(milestone, label, milestone.due_date) for milestone in overdue_milestones(user)]
