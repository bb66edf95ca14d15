"""The governance models by subdomain; every public name is importable from
`governance.models`, the Django convention for a models package (the modules below
import each other, never this package).

- organisations: the members of the Stadtverbund and their tree
- accounts: every person's account and its home organisation
- roles: role assignments and deputies
- immutable: the refusals of records that never change (append-only querysets)
- terms: versioned reference vocabularies
- policies: policy documents, versions, sections, rules and rule versions
- decisions: append-only decisions and the rule and policy versions they applied
- audit: the hash-chained audit journal and its verifications
- history: the base of every historical model (the person's text of a change)
- tokens: personal API tokens
- oidc: single sign-on identities, group mappings and sessions
"""

from .accounts import Account
from .audit import GENESIS_HASH, AuditAction, AuditEvent, AuditVerification
from .decisions import Decision, DecisionKind, DecisionOutcome, DecisionPolicyVersion, DecisionRuleVersion
from .history import PersonText
from .immutable import AppendOnlyQuerySet, BulkWriteRefused, ImmutableError, InsertOnlyQuerySet
from .oidc import OidcGroupRole, OidcIdentity, OidcRoleGrant, OidcSession
from .organisations import DataProtectionRegime, DNGRole, Organisation, OrganisationQuerySet, OrgType
from .policies import (
    DraftOnlyMixin,
    PolicyDocument,
    PolicyKind,
    PolicySection,
    PolicyStatus,
    PolicyVersion,
    PolicyVersionQuerySet,
    Rule,
    RuleVersion,
    RuleVersionQuerySet,
)
from .roles import Role, RoleAssignment, RoleAssignmentQuerySet
from .terms import VocabularyTerm, VocabularyTermQuerySet
from .tokens import ApiToken, ApiTokenQuerySet

__all__ = [
    "GENESIS_HASH",
    "Account",
    "ApiToken",
    "ApiTokenQuerySet",
    "AppendOnlyQuerySet",
    "AuditAction",
    "AuditEvent",
    "AuditVerification",
    "BulkWriteRefused",
    "DNGRole",
    "DataProtectionRegime",
    "Decision",
    "DecisionKind",
    "DecisionOutcome",
    "DecisionPolicyVersion",
    "DecisionRuleVersion",
    "DraftOnlyMixin",
    "ImmutableError",
    "InsertOnlyQuerySet",
    "OidcGroupRole",
    "OidcIdentity",
    "OidcRoleGrant",
    "OidcSession",
    "OrgType",
    "Organisation",
    "OrganisationQuerySet",
    "PersonText",
    "PolicyDocument",
    "PolicyKind",
    "PolicySection",
    "PolicyStatus",
    "PolicyVersion",
    "PolicyVersionQuerySet",
    "Role",
    "RoleAssignment",
    "RoleAssignmentQuerySet",
    "Rule",
    "RuleVersion",
    "RuleVersionQuerySet",
    "VocabularyTerm",
    "VocabularyTermQuerySet",
]
