from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Open-Data-Portal")

    def ready(self):
        from governance import audit, history, inbox
        from strategy import indicators

        from . import inbox as portal_inbox
        from . import signals  # noqa: F401 – keeps the search index current
        from .indicators import data_requests_answered_30d_share
        from .models import Comment

        # Data requests are network-wide (organisation None); comments belong to the
        # publisher of their dataset, so its auditors see their moderation.
        audit.register(Comment, organisation=lambda comment: comment.dataset.publisher_id)
        # Saves of the legal pages read as words in their version history and the journal.
        from .legal import REASON_LABELS as LEGAL_REASON_LABELS

        history.register_reason_labels(LEGAL_REASON_LABELS)
        # The strategy's indicator on answered data requests reads the portal's table.
        # Data requests triage routed to a person wait in their "Meine Aufgaben".
        inbox.register_task_provider(portal_inbox.tasks_for)
        indicators.register_source("data_requests_answered_30d_share", data_requests_answered_30d_share)
        # Open data requests on the governance admins' start page.
        from . import overview

        overview.register()
