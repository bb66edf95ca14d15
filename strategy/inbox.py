"""Overdue milestones in the task inbox ("Meine Aufgaben") of the person responsible
for the measure (registered with governance.inbox in StrategyConfig.ready)."""

from django.utils.translation import gettext as _

from governance.inbox import Task

from .services import overdue_milestones


def tasks_for(user) -> list[Task]:
    """The open milestones past their due date of the measures `user` is responsible for."""
    if not user.is_authenticated:
        return []
    label = _("Überfälligen Meilenstein abschließen oder neu planen")
    return [
        Task(
            f"{milestone.measure.code}: {milestone.title}",
            milestone.measure.get_absolute_url() + "#meilensteine",
            label,
            milestone.measure.responsible_organisation.name,
            due=milestone.due_date,
            overdue=True,
            subject=milestone,
        )
        for milestone in overdue_milestones(user)
    ]
