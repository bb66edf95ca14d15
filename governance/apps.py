from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Governance")

    def ready(self):
        from . import checks, inbox, signals  # noqa: F401 (signals: connected on import)

        inbox.register_task_provider(inbox.deputy_proposals)

        # A policy of one city is that city's business: its events are filed under the
        # issuer (a document without one is network-wide, filed under no organisation).
        from . import audit
        from .models import PolicyDocument, PolicySection, PolicyVersion, Rule, RuleVersion

        audit.register(PolicyDocument, organisation=lambda document: document.issuer_id)
        audit.register(PolicyVersion, organisation=lambda version: version.document.issuer_id)
        audit.register(PolicySection, organisation=lambda section: section.policy_version.document.issuer_id)
        audit.register(Rule, organisation=lambda rule: rule.document.issuer_id)
        audit.register(RuleVersion, organisation=lambda version: version.rule.document.issuer_id)
