from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StrategyConfig(AppConfig):
    name = "strategy"
    verbose_name = _("Strategiesteuerung")

    def ready(self):
        # The audit journal files strategy events under the responsible organisation
        # (network-wide strategies under none), so each organisation's auditors see them.
        from governance import audit, history, inbox

        from . import inbox as strategy_inbox
        from .services import REASON_LABELS

        # Status changes and other strategy changes read as words in the journal and
        # the version history; overdue milestones wait in the responsible person's inbox.
        history.register_reason_labels(REASON_LABELS)
        inbox.register_task_provider(strategy_inbox.tasks_for)

        from .models import FieldOfAction, Goal, Indicator, IndicatorValue, Measure, Milestone, Strategy

        audit.register(Strategy, organisation=lambda strategy: strategy.organisation_id)
        audit.register(FieldOfAction, organisation=lambda field: field.strategy.organisation_id)
        audit.register(Goal, organisation=lambda goal: goal.field_of_action.strategy.organisation_id)
        audit.register(Measure, organisation=lambda measure: measure.responsible_organisation_id)
        audit.register(Milestone, organisation=lambda milestone: milestone.measure.responsible_organisation_id)
        audit.register(
            Indicator, organisation=lambda indicator: indicator.goal.field_of_action.strategy.organisation_id
        )
        audit.register(
            IndicatorValue,
            organisation=lambda value: value.indicator.goal.field_of_action.strategy.organisation_id,
        )
