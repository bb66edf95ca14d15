from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "sharing"
    verbose_name = _("Datenteilung im Stadtverbund")

    def ready(self):
        # The audit journal (governance) files sharing events under the providing
        # organisation, whose auditors answer for the data that leaves it.
        from governance import audit, history, inbox

        from . import inbox as sharing_inbox
        from .models import AccessGrant, AccessRequest, SharingAgreement
        from .views import REASON_LABELS

        history.register_reason_labels(REASON_LABELS)

        inbox.register_task_provider(sharing_inbox.tasks_for)
        audit.register(SharingAgreement, organisation=lambda agreement: agreement.provider_id)
        audit.register(AccessRequest, organisation=lambda request: request.dataset.publisher_id)
        audit.register(AccessGrant, organisation=lambda grant: grant.dataset.publisher_id)
