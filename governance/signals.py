from django.contrib.auth.models import Permission
from django.contrib.auth.signals import user_logged_in
from django.db.backends.signals import connection_created
from django.db.models.signals import m2m_changed, post_migrate
from django.dispatch import receiver
from django.urls import reverse
from simple_history.signals import pre_create_historical_record

from core import transitions

from . import audit, services
from .models import (
    Account,
    Decision,
    ImmutableError,
    OidcGroupRole,
    Organisation,
    PolicyDocument,
    PolicySection,
    PolicyVersion,
    Role,
    RoleAssignment,
    Rule,
    RuleVersion,
    VocabularyTerm,
)

# Model-level permissions each role's group carries, for the admin site. Where a role
# applies is decided by the object permissions, not by these.
ROLE_GROUP_PERMISSIONS = {
    Role.GOVERNANCE_ADMIN: [
        "governance.view_organisation",
        "governance.add_organisation",
        "governance.change_organisation",
        "governance.view_roleassignment",
        "governance.view_policydocument",
        "governance.view_policyversion",
        "governance.view_policysection",
        "governance.view_rule",
        "governance.view_ruleversion",
        "governance.view_vocabularyterm",
        "governance.view_decision",
        "governance.view_auditevent",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
    ],
}


@receiver(post_migrate)
def create_reference_data(sender, app_config=None, **kwargs):
    """Role groups and vocabularies every database needs: created after each migrate and
    again after each test flush (which sends post_migrate too)."""
    if app_config is None or app_config.label != "governance":
        return
    from .reference_data import ensure_vocabularies

    ensure_vocabularies()
    for role in Role:
        group = services.role_group(role)
        wanted = []
        for name in ROLE_GROUP_PERMISSIONS.get(role, []):
            app_label, codename = name.split(".")
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)


@receiver(user_logged_in)
def apply_roles_at_login(sender, request, user, **kwargs):
    # A deputy whose period began since the last periodic sync can act at once.
    services.sync_role_permissions(users=[user])


# Where the journal files events of governance objects (auditors see their own
# organisations' events and those of network-wide objects, organisation = None).
audit.register(
    Organisation,
    organisation=lambda organisation: organisation.pk,
    version_url=lambda obj_id, version_id: reverse(
        "governance:organisation_history", args=[Organisation.objects.get(pk=obj_id).slug]
    ),
)
audit.register(RoleAssignment, organisation=lambda assignment: assignment.organisation_id)
audit.register(Account, organisation=lambda account: account.home_organisation_id)
audit.register(PolicyDocument, organisation=lambda document: document.issuer_id)
audit.register(PolicyVersion, organisation=lambda version: version.document.issuer_id)
audit.register(PolicySection, organisation=lambda section: section.policy_version.document.issuer_id)
audit.register(Rule, organisation=lambda rule: rule.document.issuer_id)
audit.register(RuleVersion, organisation=lambda rule_version: rule_version.policy_version.document.issuer_id)
audit.register(VocabularyTerm, organisation=lambda term: None)
audit.register(Decision, organisation=lambda decision: decision.organisation_id)
audit.register(OidcGroupRole, organisation=lambda mapping: mapping.organisation_id)


@receiver(m2m_changed, sender=Decision.rule_versions.through, dispatch_uid="governance.decision.rules_frozen")
@receiver(m2m_changed, sender=Decision.policy_versions.through, dispatch_uid="governance.decision.policies_frozen")
def refuse_decision_link_changes(sender, action, **kwargs):
    # record_decision writes the links itself; afterwards they are part of the record.
    if action in ("pre_add", "pre_remove", "pre_clear"):
        raise ImmutableError("The rule and policy versions of a decision never change.")


@receiver(connection_created, dispatch_uid="governance.audit.allow_truncate")
def allow_truncate_in_tests(sender, connection, **kwargs):
    """The PostgreSQL triggers refuse TRUNCATE of the journal and the decisions unless
    the session says `stadtdaten.allow_truncate = on`. Only the test settings do
    (AUDIT_ALLOW_TRUNCATE), because the test runner empties tables with TRUNCATE."""
    from django.conf import settings

    if connection.vendor == "postgresql" and settings.AUDIT_ALLOW_TRUNCATE:
        with connection.cursor() as cursor:
            cursor.execute("SET stadtdaten.allow_truncate = 'on'")


@receiver(pre_create_historical_record)
def reason_and_person_text(sender, instance, history_instance, **kwargs):
    """The history keeps the service's reason code and, apart from it, the person's text
    (core.transitions.stamp). A reason that is no code is a programming error: it would
    be a person's text passed as the reason, the way to forge a step in the journal."""
    reason = history_instance.history_change_reason
    if reason:
        code = reason.partition(": ")[0]
        if not transitions.is_reason_code(code):
            raise ValueError(f"{reason!r} is no reason code; a person's text goes to person_text")
        history_instance.history_change_reason = transitions.fit_change_reason(reason)
    text = getattr(instance, transitions.PERSON_TEXT_ATTRIBUTE, "")
    if text:
        history_instance.history_person_text = text
