"""Who may see and do what with organisations and roles.

Roles are held through RoleAssignment and enforced through guardian object
permissions on Organisation (`governance.act_as_<role>`), which services.
sync_role_permissions keeps equal to the assignments in force. Every view and API
endpoint asks here; nothing else reads guardian directly.
"""

from functools import cache

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from guardian.models import UserObjectPermission
from guardian.shortcuts import get_objects_for_user

from .models import Organisation, Role

ALL_ROLE_PERMISSIONS = [role.permission for role in Role]


def organisations_with_role(user, *roles: Role):
    """Organisations in which the user holds (at least one of) the roles."""
    if not user.is_authenticated or not user.is_active:
        return Organisation.objects.none()
    if user.is_superuser:
        return Organisation.objects.all()
    perms = [role.permission for role in roles] or ALL_ROLE_PERMISSIONS
    return get_objects_for_user(
        user, perms, klass=Organisation, any_perm=True, with_superuser=False, accept_global_perms=False
    )


def visible_organisations(user):
    """Any role in an organisation lets a person see it."""
    return organisations_with_role(user)


def has_role(user, role: Role, organisation: Organisation) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.has_perm(role.permission, organisation)


def roles_held(user, organisation: Organisation) -> set[Role]:
    """Every role the user holds for the organisation, in two queries (one checker
    loads the user's and the groups' object permissions at once)."""
    if not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return set(Role)
    from guardian.core import ObjectPermissionChecker

    perms = set(ObjectPermissionChecker(user).get_perms(organisation))
    return {role for role in Role if role.codename in perms}


def has_any_role(user, role: Role) -> bool:
    return organisations_with_role(user, role).exists()


def roles_held_anywhere(user) -> set:
    """Every role the user holds in at least one organisation, in one query (for the
    navigation, which every internal page renders)."""
    if not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return set(Role)
    codenames = set(
        UserObjectPermission.objects.filter(
            user=user,
            permission__content_type__app_label="governance",
            permission__codename__in=[role.codename for role in Role],
        ).values_list("permission__codename", flat=True)
    )
    return {role for role in Role if role.codename in codenames}


def is_staff_member(user) -> bool:
    """Holds any role anywhere: may use the internal area."""
    return organisations_with_role(user).exists()


def can_change_organisation(user, organisation: Organisation) -> bool:
    return has_role(user, Role.OWNER, organisation) or has_role(user, Role.GOVERNANCE_ADMIN, organisation)


def possible_parents(user, organisation: Organisation):
    """Where the person may place the organisation. Roles cover the units below, so a new
    parent hands the unit to the people holding roles there: only under an organisation
    the person changes themselves (never into another city's tree), or where it is now."""
    own = organisations_with_role(user, Role.OWNER, Role.GOVERNANCE_ADMIN).values("pk")
    return Organisation.objects.exclude(pk=organisation.pk).filter(Q(pk__in=own) | Q(pk=organisation.parent_id))


def can_manage_roles(user, organisation: Organisation) -> bool:
    return has_role(user, Role.GOVERNANCE_ADMIN, organisation)


def can_moderate(user) -> bool:
    """Public data requests and comments are triaged by stewards and governance admins."""
    return organisations_with_role(user, Role.STEWARD, Role.GOVERNANCE_ADMIN).exists()


def can_audit(user) -> bool:
    return has_any_role(user, Role.GOVERNANCE_ADMIN)


def get_organisation_for_user(user, slug: str, *, change: bool = False) -> Organisation:
    """Fetch an organisation the user may see (404 otherwise, so its existence is not
    revealed) and, with change=True, may also change (403)."""
    try:
        organisation = visible_organisations(user).get(slug=slug)
    except Organisation.DoesNotExist:
        raise Http404 from None
    if change and not can_change_organisation(user, organisation):
        raise PermissionDenied
    return organisation


def get_assignment_for_user(user, pk: int, *, manage: bool = False, appoint: bool = False, propose: bool = False):
    """Fetch a role assignment in an organisation the user may see (404 otherwise); with
    manage=True the user must be a governance admin there, with appoint=True allowed to
    appoint a deputy for it, with propose=True to propose one (403 otherwise)."""
    from .models import RoleAssignment

    try:
        assignment = RoleAssignment.objects.select_related("organisation", "user").get(
            pk=pk, organisation__in=visible_organisations(user)
        )
    except RoleAssignment.DoesNotExist:
        raise Http404 from None
    if manage and not can_manage_roles(user, assignment.organisation):
        raise PermissionDenied
    if appoint and not can_appoint_deputy(user, assignment):
        raise PermissionDenied
    if propose and not can_propose_deputy(user, assignment):
        raise PermissionDenied
    return assignment


# ---------------------------------------------------------------------------
# Accounts: every account has a home organisation (governance.Account). The admin site,
# the role assignment form and the account services all ask the two functions below.


def account_homes(user):
    """The organisations the user may give an account as its home (new accounts, moves):
    those where they are governance admin, with the units below."""
    return organisations_with_role(user, Role.GOVERNANCE_ADMIN)


def may_home_account(user, organisation: Organisation) -> bool:
    return has_role(user, Role.GOVERNANCE_ADMIN, organisation)


# Deputies (Vertretungen) are granted, not taken: a governance admin of the principal's
# organisation appoints one, or approves what the holder of the role proposed; nobody
# grants a deputy to themselves. The deputy comes from the same city.


def _may_have_deputy(assignment) -> bool:
    """A role of one's own, neither revoked nor over (a deputy is not deputised)."""
    over = assignment.valid_until is not None and assignment.valid_until <= timezone.now()
    return not assignment.deputy_for_id and not assignment.revoked_at and not over


def can_appoint_deputy(user, assignment) -> bool:
    return (
        _may_have_deputy(assignment)
        and assignment.user_id != user.pk
        and can_manage_roles(user, assignment.organisation)
    )


def can_propose_deputy(user, assignment) -> bool:
    """The holder of the role proposes; a governance admin decides."""
    return _may_have_deputy(assignment) and user.is_authenticated and assignment.user_id == user.pk


def can_approve_deputy(user, deputy) -> bool:
    """A governance admin of the organisation approves a proposal, unless it is their
    own role, they proposed it or they are the one proposed."""
    return (
        deputy.is_proposal
        and not deputy.revoked_at
        and user.pk not in {deputy.user_id, deputy.deputy_for.user_id, deputy.created_by_id}
        and can_manage_roles(user, deputy.organisation)
    )


def can_end_deputy(user, deputy) -> bool:
    """A deputy (or a proposal) is ended early by the person it stands in for, by the
    deputy themselves or by a governance admin of the organisation."""
    if not deputy.deputy_for_id or deputy.revoked_at:
        return False
    return user.pk in {deputy.user_id, deputy.deputy_for.user_id} or can_manage_roles(user, deputy.organisation)


def get_deputy_for_user(user, pk: int, *, approve: bool = False, end: bool = False):
    """Fetch a deputy (or a proposal) in an organisation the user may see (404
    otherwise), which they may approve or end (403 otherwise)."""
    from .models import RoleAssignment

    try:
        deputy = RoleAssignment.objects.select_related("organisation", "user", "deputy_for__user").get(
            pk=pk, deputy_for__isnull=False, organisation__in=visible_organisations(user)
        )
    except RoleAssignment.DoesNotExist:
        raise Http404 from None
    if approve and not can_approve_deputy(user, deputy):
        raise PermissionDenied
    if end and not can_end_deputy(user, deputy):
        raise PermissionDenied
    return deputy


def city_members(organisation: Organisation):
    """The active accounts that belong to the city of `organisation`, from which its
    deputies come: whose home organisation (governance.Account) lies in the city's tree
    and who hold no role of their own (in force or still to come) outside it."""
    from django.contrib.auth import get_user_model

    from .models import RoleAssignment

    tree = Organisation.objects.subtree_ids([organisation.city])
    own = RoleAssignment.objects.filter(deputy_for__isnull=True, revoked_at__isnull=True).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=timezone.now())
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, account__home_organisation__in=tree)
        .exclude(pk__in=own.exclude(organisation__in=tree).values("user"))
    )


def deputy_links(user_ids, *, role=None, since=None, at=None) -> set[tuple[int, int]]:
    """(deputy, principal) pairs of user ids: the granted deputies that stood in at some
    time between `since` and `at` (default both now) and involve one of `user_ids`; with
    `role`, only deputies for that role. Revoked ones count for the time they stood in."""
    from .models import RoleAssignment

    ids = set(user_ids) - {None}
    if not ids:
        return set()
    at = at or timezone.now()
    since = since or at
    links = (
        RoleAssignment.objects.granted()
        .filter(deputy_for__isnull=False, valid_from__lte=at, valid_until__gt=since)
        .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=since))
        .filter(Q(user__in=ids) | Q(deputy_for__user__in=ids))
    )
    if role is not None:
        links = links.filter(role=role)
    return set(links.values_list("user", "deputy_for__user"))


def with_principals_and_deputies(user_ids, *, role=None, since=None, at=None) -> set[int]:
    """The people `user_ids` and everyone who stood in for one of them, or for whom one
    of them stood in (see deputy_links): the four-eyes principle treats a deputy and
    their principal as one person. In one query."""
    ids = set(user_ids) - {None}
    for deputy, principal in deputy_links(ids, role=role, since=since, at=at):
        ids |= {deputy, principal}
    return ids


def linked_people(user) -> set[int]:
    """The user and whoever they stand in for or who stands in for them now: one person
    for the four-eyes principle. Worked out once per user object (the task inbox asks
    several times in one request)."""
    if not hasattr(user, "_linked_people"):
        user._linked_people = with_principals_and_deputies({user.pk})
    return user._linked_people


def manageable_accounts(user):
    """The accounts the user manages (personal data, password, deactivation, roles).

    A governance admin manages the accounts whose home lies where their role applies (an
    admin of a city: every account of the city), as long as the account holds no role, in
    force or still to come, outside those organisations: nobody takes over an account that
    acts elsewhere. Superusers manage every account; only they manage superusers and
    accounts without a home."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from .models import RoleAssignment

    accounts = get_user_model().objects.all()
    if not user.is_authenticated or not user.is_active:
        return accounts.none()
    if user.is_superuser:
        return accounts
    own = account_homes(user).values("pk")
    elsewhere = (
        RoleAssignment.objects.filter(revoked_at__isnull=True)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=timezone.now()))
        .exclude(organisation__in=own)
    )
    return accounts.filter(is_superuser=False, account__home_organisation__in=own).exclude(
        pk__in=elsewhere.values("user")
    )


def can_manage_account(user, account) -> bool:
    """Whether the user may manage this account (a User); the one rule, for one object."""
    if account is None or account.pk is None:
        return False
    return manageable_accounts(user).filter(pk=account.pk).exists()


# ---------------------------------------------------------------------------
# Policies and rules: everyone in the internal area reads them; governance admins
# maintain them (for a document with an issuer, admins of that issuer).


def can_view_policies(user) -> bool:
    return is_staff_member(user)


def can_manage_policies(user, document=None) -> bool:
    if document is not None and document.issuer_id:
        return has_role(user, Role.GOVERNANCE_ADMIN, document.issuer)
    return has_any_role(user, Role.GOVERNANCE_ADMIN)


def get_document_for_user(user, slug: str, *, manage: bool = False):
    from .models import PolicyDocument

    if not can_view_policies(user):
        raise PermissionDenied
    try:
        document = PolicyDocument.objects.select_related("issuer").get(slug=slug)
    except PolicyDocument.DoesNotExist:
        raise Http404 from None
    if manage and not can_manage_policies(user, document):
        raise PermissionDenied
    return document


# ---------------------------------------------------------------------------
# Audit: governance admins / auditors see the events of their organisations (and the
# units below them) and those of network-wide objects (no organisation).


def audit_organisations(user):
    return organisations_with_role(user, Role.GOVERNANCE_ADMIN)


def visible_audit_events(user):

    from .models import AuditEvent

    if not can_audit(user):
        return AuditEvent.objects.none()
    if user.is_superuser:
        return AuditEvent.objects.all()
    own = audit_organisations(user).values("pk")
    return AuditEvent.objects.filter(Q(organisation__isnull=True) | Q(organisation_id__in=own)).exclude(
        _foreign_policy_events(own)
    )


@cache
def policy_issuer_paths() -> dict:
    """The path from each policy model to its issuer (no issuer: network-wide)."""
    from .models import PolicyDocument, PolicySection, PolicyVersion, Rule, RuleVersion

    return {
        PolicyDocument: "issuer",
        PolicyVersion: "document__issuer",
        PolicySection: "policy_version__document__issuer",
        Rule: "document__issuer",
        RuleVersion: "rule__document__issuer",
    }


def visible_in_audit(user, queryset):
    """Objects the journal names (a decision's policy versions and rule versions): a
    policy object of another city stays out, like its events; the rest as it is."""
    issuer = policy_issuer_paths().get(queryset.model)
    if issuer is None or user.is_superuser:
        return queryset
    return queryset.filter(
        Q(**{f"{issuer}__isnull": True}) | Q(**{f"{issuer}__in": audit_organisations(user).values("pk")})
    )


def _foreign_policy_events(own) -> Q:
    """Events filed under no organisation before policies were filed under their issuer:
    those of another city's documents (and their versions, sections, rules) stay hidden.
    One subquery per model, inside the one query of the events."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import CharField
    from django.db.models.functions import Cast

    condition = Q(pk__in=[])
    for model, issuer in policy_issuer_paths().items():
        foreign = (
            model._default_manager.filter(**{f"{issuer}__isnull": False})
            .exclude(**{f"{issuer}__in": own})
            .annotate(key=Cast("pk", CharField()))
            .values("key")
        )
        condition |= Q(content_type=ContentType.objects.get_for_model(model), object_id__in=foreign)
    return Q(organisation__isnull=True) & condition


def visible_decisions(user):
    """Decisions are audited like the journal: governance admins see those of their
    organisations (and the units below them) and the network-wide ones."""

    from .models import Decision

    if not can_audit(user):
        return Decision.objects.none()
    if user.is_superuser:
        return Decision.objects.all()
    return Decision.objects.filter(
        Q(organisation__isnull=True) | Q(organisation_id__in=audit_organisations(user).values("pk"))
    )
