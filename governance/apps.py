from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Governance")

    def ready(self):
        from . import checks, inbox, signals  # noqa: F401 (signals: connected on import)

        inbox.register_task_provider(inbox.deputy_proposals)
