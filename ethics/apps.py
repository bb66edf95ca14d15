from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EthicsConfig(AppConfig):
    name = "ethics"
    verbose_name = _("Datenethik")

    def ready(self):
        from catalog.models import Dataset
        from catalog.signals import dataset_state_changed
        from governance import audit, inbox

        from . import inbox as ethics_inbox
        from . import services
        from .models import Answer, Condition, DataUse, EthicsReview, Question, QuestionnaireVersion, Vote

        # A dataset entering ethics review gets a review (catalog knows nothing of ethics).
        dataset_state_changed.connect(
            services.on_dataset_state_changed, sender=Dataset, dispatch_uid="ethics.open_review", weak=False
        )
        inbox.register_task_provider(ethics_inbox.tasks_for)

        audit.register(DataUse)
        audit.register(EthicsReview)
        for model in (Answer, Vote, Condition):
            audit.register(model, organisation=lambda row: row.review.organisation_id)
        # The questionnaire has no history: its rows are the versions; saves are journaled.
        audit.register(QuestionnaireVersion, track_saves=True)
        audit.register(Question, track_saves=True)
