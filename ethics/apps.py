from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The change reasons of ethics reviews ("ethics.<action>"), for the audit journal.
REASON_LABELS = {
    "ethics.opened": _("Ethikprüfung eröffnet"),
    "ethics.answer_carried_over": _("Antwort aus der vorigen Prüfung übernommen"),
    "ethics.answered": _("Fragebogen beantwortet"),
    "ethics.submitted": _("Dem Datenethikbeirat vorgelegt"),
    "ethics.voted": _("Votum abgegeben"),
    "ethics.recused": _("Befangenheit erklärt"),
    "ethics.condition_added": _("Auflage hinzugefügt"),
    "ethics.condition_removed": _("Auflage entfernt"),
    "ethics.condition_dropped": _("Auflage entfallen"),
    "ethics.minority_marked": _("Als Minderheitsvotum vermerkt"),
    "ethics.closed.approved": _("Prüfung abgeschlossen: unbedenklich"),
    "ethics.closed.conditions": _("Prüfung abgeschlossen: mit Auflagen"),
    "ethics.closed.revise": _("Prüfung abgeschlossen: überarbeiten"),
    "ethics.closed.rejected": _("Prüfung abgeschlossen: abgelehnt"),
    "ethics.condition_completed": _("Auflage erledigt"),
    "ethics.data_use.created": _("Datennutzung angelegt"),
    "ethics.data_use.changed": _("Datennutzung geändert"),
}


class EthicsConfig(AppConfig):
    name = "ethics"
    verbose_name = _("Datenethik")

    def ready(self):
        from catalog.models import Dataset, DatasetChange
        from catalog.signals import change_state_changed, dataset_state_changed
        from governance import audit, history, inbox

        from . import inbox as ethics_inbox
        from . import services
        from .models import Answer, Condition, DataUse, EthicsReview, Question, QuestionnaireVersion, Vote

        # A dataset entering ethics review gets a review (catalog knows nothing of ethics).
        dataset_state_changed.connect(
            services.on_dataset_state_changed, sender=Dataset, dispatch_uid="ethics.open_review", weak=False
        )
        change_state_changed.connect(
            services.on_change_state_changed, sender=DatasetChange, dispatch_uid="ethics.open_change_review",
            weak=False,
        )  # fmt: skip
        inbox.register_task_provider(ethics_inbox.tasks_for)
        inbox.register_task_filter(ethics_inbox.without_votes_cast)
        from . import overview

        overview.register()  # pending reviews on the governance admins' start page
        history.register_reason_labels(REASON_LABELS)

        audit.register(DataUse)
        audit.register(EthicsReview)
        for model in (Answer, Vote, Condition):
            audit.register(model, organisation=lambda row: row.review.organisation_id)
        # The questionnaire has no history: its rows are the versions; saves are journaled.
        audit.register(QuestionnaireVersion, track_saves=True)
        audit.register(Question, track_saves=True)
