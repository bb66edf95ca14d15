"""Writes and transitions of the governance app; views, API, admin and tasks call these."""

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from guardian.models import UserObjectPermission

from core import transitions
from core.errors import ConflictError as BaseConflict
from core.errors import DomainError, PermissionRefused
from core.transitions import Transition

from . import audit, permissions
from .models import (
    Account,
    ApiToken,
    AuditAction,
    Decision,
    DecisionKind,
    DecisionOutcome,
    DecisionPolicyVersion,
    DecisionRuleVersion,
    Organisation,
    PolicyDocument,
    PolicySection,
    PolicyStatus,
    PolicyVersion,
    Role,
    RoleAssignment,
    Rule,
    RuleVersion,
    VocabularyTerm,
)
from .permissions import can_appoint_deputy, can_approve_deputy, can_end_deputy, can_propose_deputy, city_members
from .policytext import parse_sections
from .rules import RuleEvaluation, evaluate_rules
from .vocabularies import Vocabulary


class GovernanceError(DomainError):
    """A transition that the rules do not allow; the message is shown to the user."""


class ConflictError(GovernanceError, BaseConflict):
    """Someone else changed the object since the editor loaded it."""


def role_group(role: Role) -> Group:
    """The group of everyone who currently holds the role somewhere. Groups carry
    model-level permissions (for the admin site); object permissions say where."""
    group, _created = Group.objects.get_or_create(name=f"Rolle: {role.value}")
    return group


class DeputyRefused(GovernanceError, PermissionRefused):
    """Not this person's to grant, approve or end (403): deputies are granted, not taken."""


def assign_role(
    user,
    role: Role,
    organisation: Organisation,
    *,
    by,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    note: str = "",
) -> RoleAssignment:
    """Give `user` a role of their own. Deputies have their own door (appoint_deputy,
    propose_deputy), with the rules of who grants them."""
    assignment = RoleAssignment(
        user=user,
        role=role,
        organisation=organisation,
        valid_from=valid_from or timezone.now(),
        valid_until=valid_until,
        created_by=by,
        note=note,
    )
    assignment.full_clean()
    with transaction.atomic():
        assignment._change_reason = "governance.role.assigned"
        assignment._history_user = by
        assignment.save()
        sync_role_permissions(users=[user])
    return assignment


# ---------------------------------------------------------------------------
# Deputies (Vertretungen): granted by a governance admin of the principal's organisation
# (permissions.can_appoint_deputy), directly or on the holder's proposal; from the same
# city; for at most DEPUTY_MAX_DAYS; each step a journal event (governance.deputy.*).


def check_deputy(
    principal: RoleAssignment, deputy, *, valid_from: datetime, valid_until: datetime, exclude=None
) -> None:
    """The rules a deputy must meet, as field errors of the deputy form: the role is the
    principal's own and in force or to come; the deputy is someone else of the same
    city who does not hold the role there already (themselves or as a deputy) in that
    period. The length of the period is the model's rule (RoleAssignment.clean)."""
    if principal.deputy_for_id or principal.revoked_at:
        raise GovernanceError(_("Für diese Rolle kann keine Vertretung eingerichtet werden."))
    if principal.valid_until is not None and principal.valid_until <= timezone.now():
        raise GovernanceError(_("Die vertretene Rolle ist abgelaufen."))
    if valid_until is not None and valid_until <= timezone.now():
        raise ValidationError({"valid_until": _("Das Ende einer Vertretung liegt in der Zukunft.")})
    if deputy.pk == principal.user_id:
        raise ValidationError({"deputy": _("Niemand kann sich selbst vertreten.")})
    city = principal.organisation.city
    if not city_members(principal.organisation).filter(pk=deputy.pk).exists():
        raise ValidationError(
            {"deputy": _("Vertreten kann nur, wer zu %(city)s gehört (dort eine Rolle innehat).") % {"city": city}}
        )
    covering = [organisation.pk for organisation in principal.organisation.lineage()]
    holds_already = (
        RoleAssignment.objects.granted()
        .filter(user=deputy, role=principal.role, organisation__in=covering, revoked_at__isnull=True)
        .filter(valid_from__lt=valid_until)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=valid_from))
    )
    if exclude is not None:
        holds_already = holds_already.exclude(pk=exclude.pk)
    if holds_already.exists():
        raise ValidationError(
            {
                "deputy": _(
                    "%(person)s hat diese Rolle für %(organisation)s in diesem Zeitraum bereits (selbst oder "
                    "als Vertretung)."
                )
                % {"person": audit.describe_actor(deputy), "organisation": principal.organisation}
            }
        )


def _deputy(principal, deputy, *, by, valid_from, valid_until, note, approved: bool, reason: str) -> RoleAssignment:
    with transaction.atomic():
        principal = (
            RoleAssignment.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=principal.pk)
        )
        now = timezone.now()
        assignment = RoleAssignment(
            user=deputy,
            role=principal.role,
            organisation=principal.organisation,
            deputy_for=principal,
            valid_from=valid_from or now,
            valid_until=valid_until,
            created_by=by,
            approved_at=now if approved else None,
            approved_by=by if approved else None,
            note=note,
        )
        assignment.full_clean()
        check_deputy(principal, deputy, valid_from=assignment.valid_from, valid_until=valid_until)
        assignment._change_reason = reason
        assignment._history_user = by
        assignment.save()
        sync_role_permissions(users=[deputy])
    return assignment


def appoint_deputy(
    principal: RoleAssignment, deputy, *, by, valid_from: datetime, valid_until: datetime, note: str = ""
) -> RoleAssignment:
    """A governance admin of the principal's organisation lets `deputy` stand in for the
    holder of `principal` for a period (Vertretung), in force at once."""
    if not can_appoint_deputy(by, principal):
        raise DeputyRefused(
            _("Eine Vertretung richten Governance-Admins der Organisation ein, nicht für ihre eigene Rolle.")
        )
    return _deputy(
        principal, deputy, by=by, valid_from=valid_from, valid_until=valid_until, note=note, approved=True,
        reason="governance.deputy.appointed",
    )  # fmt: skip


def propose_deputy(
    principal: RoleAssignment, deputy, *, by, valid_from: datetime, valid_until: datetime, note: str = ""
) -> RoleAssignment:
    """The holder of `principal` proposes a deputy; it does nothing until a governance
    admin of the organisation approves it (approve_deputy)."""
    if not can_propose_deputy(by, principal):
        raise DeputyRefused(_("Eine Vertretung schlägt vor, wer die Rolle selbst innehat."))
    return _deputy(
        principal, deputy, by=by, valid_from=valid_from, valid_until=valid_until, note=note, approved=False,
        reason="governance.deputy.proposed",
    )  # fmt: skip


def approve_deputy(proposal: RoleAssignment, *, by) -> RoleAssignment:
    """A governance admin grants a proposed deputy; the rules are checked again (the
    deputy may have moved to another city meanwhile)."""
    with transaction.atomic():
        proposal = (
            RoleAssignment.objects.select_for_update(of=("self",))
            .select_related("organisation", "user", "deputy_for__user", "deputy_for__organisation")
            .get(pk=proposal.pk)
        )
        if not can_approve_deputy(by, proposal):
            raise DeputyRefused(
                _("Diesen Vorschlag genehmigen Governance-Admins der Organisation, die nicht selbst beteiligt sind.")
            )
        check_deputy(
            proposal.deputy_for,
            proposal.user,
            valid_from=proposal.valid_from,
            valid_until=proposal.valid_until,
            exclude=proposal,
        )
        proposal.approved_at, proposal.approved_by = timezone.now(), by
        proposal._change_reason = "governance.deputy.approved"
        proposal._history_user = by
        proposal.save(update_fields=["approved_at", "approved_by"])
        sync_role_permissions(users=[proposal.user])
    return proposal


def end_deputy(deputy: RoleAssignment, *, by, reason: str) -> RoleAssignment:
    """End a deputy early, or withdraw (decline) a proposal: the person stood in for,
    the deputy or a governance admin of the organisation."""
    if not can_end_deputy(by, deputy):
        raise DeputyRefused(
            _("Eine Vertretung beenden die vertretene Person, die Vertretung selbst oder Governance-Admins.")
        )
    return _revoke(deputy, by=by, reason=reason)


def revoke_role(assignment: RoleAssignment, *, by, reason: str) -> RoleAssignment:
    """Take a role away (a governance admin; the views check). A deputy revoked here has
    ended like one ended by end_deputy."""
    return _revoke(assignment, by=by, reason=reason)


def _revoke(assignment: RoleAssignment, *, by, reason: str) -> RoleAssignment:
    if not reason.strip():
        raise ValidationError({"reason": _("Bitte geben Sie einen Grund an.")})
    with transaction.atomic():
        assignment = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
        if assignment.revoked_at:
            raise GovernanceError(
                _("Diese Vertretung ist bereits beendet.")
                if assignment.deputy_for_id
                else _("Diese Rolle wurde bereits entzogen.")
            )
        assignment.revoked_at = timezone.now()
        code = "governance.deputy.ended" if assignment.deputy_for_id else "governance.role.revoked"
        transitions.stamp(assignment, by=by, reason=code, person_text=reason)
        assignment.save(update_fields=["revoked_at"])
        # A deputy stands in for an assignment; without it the deputy ends too.
        affected = [assignment.user, *(d.user for d in assignment.deputies.select_related("user"))]
        sync_role_permissions(users=affected)
    return assignment


def sync_role_permissions(*, users=None, at: datetime | None = None) -> int:
    """Make guardian's object permissions and the role groups equal to the role
    assignments in force at `at` (default now). Idempotent; returns the number of
    permission rows added or removed. Run after every assignment change and
    periodically, so deputies and time-limited roles start and end on time."""
    at = at or timezone.now()
    organisation_type = ContentType.objects.get_for_model(Organisation)
    permissions = {
        p.codename: p
        for p in Permission.objects.filter(
            content_type=organisation_type, codename__in=[role.codename for role in Role]
        )
    }
    assignments = RoleAssignment.objects.active(at).select_related("organisation")
    existing = UserObjectPermission.objects.filter(content_type=organisation_type, permission__in=permissions.values())
    User = get_user_model()
    if users is not None:
        user_ids = {u.pk for u in users}
        assignments = assignments.filter(user__in=user_ids)
        existing = existing.filter(user__in=user_ids)
    else:
        user_ids = set(assignments.values_list("user", flat=True)) | set(existing.values_list("user", flat=True))

    # A role covers the assigned organisation and every unit below it.
    subtree_cache: dict[int, set[int]] = {}
    wanted: set[tuple[int, int, str]] = set()
    for assignment in assignments:
        org_id = assignment.organisation_id
        if org_id not in subtree_cache:
            subtree_cache[org_id] = Organisation.objects.subtree_ids([org_id])
        codename = Role(assignment.role).codename
        wanted |= {(assignment.user_id, oid, codename) for oid in subtree_cache[org_id]}

    have = {
        (row.user_id, int(row.object_pk), row.permission.codename): row.pk
        for row in existing.select_related("permission")
    }
    to_add = wanted - have.keys()
    to_remove = [pk for key, pk in have.items() if key not in wanted]
    with transaction.atomic():
        UserObjectPermission.objects.filter(pk__in=to_remove).delete()
        UserObjectPermission.objects.bulk_create(
            [
                UserObjectPermission(
                    user_id=user_id,
                    content_type=organisation_type,
                    object_pk=str(org_id),
                    permission=permissions[codename],
                )
                for user_id, org_id, codename in to_add
            ]
        )
        _journal_permission_changes(to_add, [key for key in have if key not in wanted])
        roles_held = {(user_id, codename) for user_id, _org, codename in wanted}
        for role in Role:
            group = role_group(role)
            holders = {user_id for user_id, codename in roles_held if codename == role.codename}
            members = set(group.user_set.filter(pk__in=user_ids).values_list("pk", flat=True))
            group.user_set.remove(*User.objects.filter(pk__in=members - holders))
            group.user_set.add(*User.objects.filter(pk__in=holders - members))
    return len(to_add) + len(to_remove)


def _journal_permission_changes(added, removed) -> None:
    """One audit event per organisation whose object permissions changed."""
    if not added and not removed:
        return
    User = get_user_model()
    user_ids = {user_id for user_id, _org, _codename in [*added, *removed]}
    names = {user.pk: audit.describe_actor(user) for user in User.objects.filter(pk__in=user_ids)}
    by_org: dict[int, dict[str, list]] = {}
    for key, rows in (("granted", added), ("revoked", removed)):
        for user_id, org_id, codename in sorted(rows):
            entry = [user_id, names.get(user_id, f"#{user_id}"), codename.removeprefix("act_as_")]
            by_org.setdefault(org_id, {"granted": [], "revoked": []})[key].append(entry)
    organisations = Organisation.objects.in_bulk(list(by_org))
    for org_id, data in sorted(by_org.items()):
        organisation = organisations.get(org_id)
        audit.append(
            action=AuditAction.PERMISSION,
            instance=organisation,
            content_type=ContentType.objects.get_for_model(Organisation),
            object_id=str(org_id),
            object_repr=str(organisation) if organisation else f"#{org_id}",
            organisation_id=org_id,
            reason="governance.permissions.synced",
            data=data,
        )


# ---------------------------------------------------------------------------
# Accounts: every account belongs to a home organisation, and only the governance admins
# over it manage the account (governance.permissions.manageable_accounts). These are the
# only ways the application creates accounts and changes their password, status or home;
# each is journaled on the Account (never the password itself). `by=None` is the system
# (seeding, migrations of data), which no permission check stands in front of.

ACCOUNT_REFUSED = gettext_lazy("Dieses Konto verwalten nur die Governance-Admins seiner Heimatorganisation.")
HOME_REFUSED = gettext_lazy(
    "Als Heimatorganisation kommen nur Organisationen in Frage, deren Governance-Admin Sie sind."
)


def _guard_account(user, *, by, own: bool = False) -> None:
    if by is None or (own and by.pk == user.pk):
        return
    if not permissions.can_manage_account(by, user):
        raise PermissionRefused(ACCOUNT_REFUSED)


def _guard_home(home: Organisation, *, by) -> None:
    if by is not None and not permissions.may_home_account(by, home):
        raise PermissionRefused(HOME_REFUSED)


def _journal_account(user, *, by, reason: str, changes: dict | None = None) -> None:
    account = Account.objects.filter(user=user).first()
    audit.append(
        action=AuditAction.UPDATE,
        # A superuser without a home is journaled as the user, network-wide.
        instance=account or user,
        object_repr=user.get_username(),
        actor=by if by is not None else audit.UNSET,
        reason=reason,
        data={"changes": changes} if changes else {},
    )


def create_account(
    username: str, *, home: Organisation, by, password: str | None = None, hashed_password: str = "", **fields
):
    """A new account of `home`: with the password, an already hashed one (seeds share one
    slow hash) or none usable (the person sets it through the reset mail)."""
    user = get_user_model()(username=username, **fields)
    if hashed_password:
        user.password = hashed_password
    elif password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    open_account(user, home=home, by=by)
    return user


def open_account(user, *, home: Organisation, by) -> Account:
    """Save a new user (built by a form or by create_account) together with its home."""
    _guard_home(home, by=by)
    with transaction.atomic():
        user.save()
        account = Account(user=user, home_organisation=home, created_by=by)
        account._change_reason = "governance.account.created"
        account._history_user = by
        account.save()
    return account


def set_account_password(user, password: str | None, *, by, reason: str = "governance.account.password_set") -> None:
    """Set the account's password, or with None disable password sign-in. The person
    themself may (their own password, a reset link); otherwise only who manages it."""
    _guard_account(user, by=by, own=True)
    with transaction.atomic():
        if password is None:
            user.set_unusable_password()
            reason = "governance.account.password_disabled"
        else:
            user.set_password(password)
        user.save(update_fields=["password"])
        _journal_account(user, by=by, reason=reason)


ACCOUNT_JOURNALED_FIELDS = ("username", "first_name", "last_name", "email", "is_active", "is_staff", "is_superuser")


def update_account(user, *, by, changes: dict, home: Organisation | None = None):
    """Apply an edit of the account (personal data, status; a superuser also staff and
    superuser status) and, with `home`, move it to another home of the manager's.
    Deactivation and reactivation are journaled under their own reasons."""
    _guard_account(user, by=by)
    with transaction.atomic():
        stored = get_user_model().objects.select_for_update().get(pk=user.pk)
        for name, value in changes.items():
            setattr(user, name, value)
        user.save()
        changed = {
            name: {"old": audit.to_jsonable(getattr(stored, name)), "new": audit.to_jsonable(getattr(user, name))}
            for name in ACCOUNT_JOURNALED_FIELDS
            if getattr(stored, name) != getattr(user, name)
        }
        if "is_active" in changed:
            reason = "governance.account.reactivated" if user.is_active else "governance.account.deactivated"
        else:
            reason = "governance.account.changed"
        if changed:
            _journal_account(user, by=by, reason=reason, changes=changed)
        account = Account.objects.select_for_update().filter(user=user).first()
        if home is not None and (account is None or account.home_organisation_id != home.pk):
            _guard_home(home, by=by)
            if account is None:
                account = Account(user=user, home_organisation=home, created_by=by)
                account._change_reason = "governance.account.home_given"
            else:
                account.home_organisation = home
                account._change_reason = "governance.account.home_changed"
            account._history_user = by
            account.save()
    return user


def update_organisation(
    organisation: Organisation, *, by, changes: dict, expected_version: int, reason: str = ""
) -> Organisation:
    """Apply an edit made on `expected_version`; refuse it if the row has moved on, so
    no one silently overwrites a colleague's change. `reason`: what the person typed."""
    with transaction.atomic():
        organisation = transitions.lock(
            Organisation.objects.all(),
            organisation.pk,
            expected_version=expected_version,
            message=_("Die Organisation wurde inzwischen von jemand anderem geändert. Bitte laden Sie die Seite neu."),
            conflict=ConflictError,
        )
        for field, value in changes.items():
            setattr(organisation, field, value)
        organisation.full_clean()
        transitions.save(organisation, by=by, reason="governance.organisation.changed", person_text=reason)
        if "parent" in changes:
            # Roles cover sub-units, so moving a unit moves who may act on it.
            sync_role_permissions()
    return organisation


# ---------------------------------------------------------------------------
# Policy documents and versions
#
#   draft ─adopt─▶ adopted ─in_force─▶ in_force ─(a successor in force)─▶ superseded
#   in_force/superseded ─repeal─▶ repealed
#
# The document's governance admins take the steps (governance.permissions.can_manage_policies,
# checked by the views). A step the version's state does not allow is a GovernanceError,
# which the pages show on the form and the API answers with 400.

POLICY_TRANSITIONS = transitions.table(
    Transition(
        "adopt", gettext_lazy("Beschluss erfassen"), states=(PolicyStatus.DRAFT,), target=PolicyStatus.ADOPTED,
        fields=("adopted_by", "adopted_on", "resolution_number"),
        state_message=gettext_lazy("Diese Fassung ist bereits beschlossen."),
    ),
    Transition(
        "in_force", gettext_lazy("In Kraft setzen"), states=(PolicyStatus.ADOPTED,), target=PolicyStatus.IN_FORCE,
        fields=("valid_from", "valid_until"),
        state_message=gettext_lazy("Nur eine beschlossene, noch nicht in Kraft gesetzte Fassung kann in Kraft treten."),
    ),
    Transition(
        "repeal", gettext_lazy("Aufheben"), states=(PolicyStatus.IN_FORCE, PolicyStatus.SUPERSEDED),
        target=PolicyStatus.REPEALED, fields=("on", "reason"), reason_required=True,
        state_message=gettext_lazy("Nur eine in Kraft gesetzte Fassung kann aufgehoben werden."),
    ),
)  # fmt: skip


def _guard_policy(action: str, version: PolicyVersion, *, conditions=()) -> None:
    refusal = transitions.judge(POLICY_TRANSITIONS[action], state=version.status, roles=(), conditions=conditions)
    transitions.guard(refusal, conflict=GovernanceError, forbidden=GovernanceError)


def create_document(
    *,
    by,
    kind: str,
    title: str,
    slug: str,
    description: str = "",
    issuer: Organisation | None = None,
    applies_to=(),
) -> PolicyDocument:
    document = PolicyDocument(kind=kind, title=title, slug=slug, description=description, issuer=issuer)
    document.full_clean()
    with transaction.atomic():
        document._history_user = by
        document._change_reason = "governance.policy.created"
        document.save()
        if applies_to:
            document.applies_to.set(applies_to)
    return document


def _sync_sections(version: PolicyVersion, body: str) -> None:
    """Make the version's sections equal to the numbered paragraphs of its text; a
    section a rule cites cannot disappear."""
    parsed = parse_sections(body)
    existing = {section.number: section for section in version.sections.all()}
    wanted = {section.number for section in parsed}
    cited = (
        RuleVersion.objects.filter(section__in=[s for n, s in existing.items() if n not in wanted])
        .select_related("rule", "section")
        .first()
    )
    if cited:
        raise ValidationError(
            {
                "body": _("„%(number)s“ wird von Regel %(code)s zitiert und kann nicht entfallen.")
                % {"number": cited.section.number, "code": cited.rule.code}
            }
        )
    for number, section in existing.items():
        if number not in wanted:
            section.delete()
    for position, item in enumerate(parsed, start=1):
        section = existing.get(item.number)
        if section is None:
            section = PolicySection(policy_version=version, number=item.number)
        elif (section.heading, section.text, section.position) == (item.heading, item.text, position):
            continue
        section.policy_version = version
        section.heading, section.text, section.position = item.heading[:300], item.text, position
        section.save()


def create_document_with_draft(*, by, **fields) -> PolicyDocument:
    """A new document as the UI and the API start one: with its first draft, titled like
    the document, in one transaction, so a refused draft leaves no empty document behind."""
    with transaction.atomic():
        document = create_document(by=by, **fields)
        create_draft(document, by=by, title=document.title)
    return document


def create_draft(
    document: PolicyDocument, *, by, title: str = "", body: str = "", change_note: str = ""
) -> PolicyVersion:
    """Start a new version of the document. It begins as a copy of the latest adopted
    version (text, sections and rules), so an amendment changes only what it must."""
    with transaction.atomic():
        document = PolicyDocument.objects.select_for_update().get(pk=document.pk)
        draft = document.versions.filter(status=PolicyStatus.DRAFT).first()
        if draft:
            raise GovernanceError(
                _("Es gibt bereits einen Entwurf (Fassung %(number)d); bitte diesen bearbeiten.")
                % {"number": draft.number}
            )
        base = document.versions.exclude(status=PolicyStatus.DRAFT).order_by("-number").first()
        number = (document.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = PolicyVersion(
            document=document,
            number=number,
            title=title or (base.title if base else document.title),
            body=body or (base.body if base else ""),
            change_note=change_note,
            based_on=base,
            created_by=by,
        )
        version.full_clean(exclude=["body"] if not version.body else None)
        version._history_user = by
        version._change_reason = "governance.policy.draft_created"
        version.save()
        _sync_sections(version, version.body)
        if base:
            sections = {section.number: section for section in version.sections.all()}
            for old in base.rule_versions.select_related("rule", "section"):
                if old.section.number not in sections:
                    continue
                copy = RuleVersion(
                    rule=old.rule,
                    policy_version=version,
                    section=sections[old.section.number],
                    number=(old.rule.versions.aggregate(n=Max("number"))["n"] or 0) + 1,
                    **{name: getattr(old, name) for name in RULE_CONTENT_FIELDS},
                )
                copy._history_user = by
                copy._change_reason = "governance.rule.copied"
                copy.save()
    return version


def update_draft(version: PolicyVersion, *, by, title: str, body: str, change_note: str = "") -> PolicyVersion:
    with transaction.atomic():
        version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
        if not version.is_draft:
            raise GovernanceError(_("Eine beschlossene Fassung kann nicht mehr geändert werden."))
        version.title, version.body, version.change_note = title, body, change_note
        version.full_clean()
        _sync_sections(version, body)
        version._history_user = by
        version._change_reason = "governance.policy.draft_changed"
        version.save()
    return version


def discard_draft(version: PolicyVersion, *, by) -> None:
    with transaction.atomic():
        version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
        if not version.is_draft:
            raise GovernanceError(_("Nur ein Entwurf kann verworfen werden."))
        for item in [*version.rule_versions.all(), *version.sections.all(), version]:
            item._history_user = by
            item._change_reason = "governance.policy.draft_discarded"
            item.delete()


def adopt_version(
    version: PolicyVersion, *, by, adopted_by: str, adopted_on: date, resolution_number: str = ""
) -> PolicyVersion:
    """Record the adoption (Beschluss). From now on the text is frozen."""
    if not adopted_by.strip():
        raise ValidationError({"adopted_by": _("Bitte angeben, wer die Fassung beschlossen hat.")})
    if adopted_on > timezone.localdate():
        raise ValidationError({"adopted_on": _("Ein Beschluss kann nicht in der Zukunft liegen.")})
    with transaction.atomic():
        version = transitions.lock(PolicyVersion.objects.all(), version.pk)
        empty = _("Eine Fassung ohne Text kann nicht beschlossen werden.") if not version.body.strip() else None
        _guard_policy("adopt", version, conditions=[empty])
        for rule_version in version.rule_versions.select_related("rule", "section"):
            try:
                rule_version.full_clean()
            except ValidationError as error:
                raise GovernanceError(
                    _("Regel %(code)s ist ungültig: %(errors)s")
                    % {"code": rule_version.rule.code, "errors": "; ".join(error.messages)}
                ) from None
        version.adopted_by, version.adopted_on, version.resolution_number = adopted_by, adopted_on, resolution_number
        transitions.save(
            version, by=by, reason="governance.policy.adopted", state=PolicyStatus.ADOPTED, state_field="status",
            fields=["adopted_by", "adopted_on", "resolution_number"], versioned=False,
        )  # fmt: skip
    return version


def put_in_force(version: PolicyVersion, *, by, valid_from: date, valid_until: date | None = None) -> PolicyVersion:
    """Set the period in force (valid_from inclusive, valid_until exclusive). The
    version in force before it is superseded on the same day, so on every day at most
    one version of a document is in force."""
    if valid_until and valid_until <= valid_from:
        raise ValidationError({"valid_until": _("Das Ende muss nach dem Beginn liegen.")})
    with transaction.atomic():
        versions = list(
            PolicyVersion.objects.select_for_update().filter(document=version.document_id).order_by("number")
        )
        version = next(v for v in versions if v.pk == version.pk)
        _guard_policy("in_force", version)
        if valid_from < version.adopted_on:
            raise ValidationError({"valid_from": _("Eine Fassung tritt frühestens am Tag ihres Beschlusses in Kraft.")})
        for other in versions:
            if other.pk == version.pk or other.valid_from is None:
                continue
            if other.valid_from >= valid_from:
                raise ValidationError(
                    {
                        "valid_from": _("Fassung %(number)d gilt bereits ab %(date)s; diese Fassung muss davor enden.")
                        % {"number": other.number, "date": date_format(other.valid_from)}
                    }
                )
            if other.valid_until is None or other.valid_until > valid_from:
                supersede_version(other, by=by, on=valid_from, successor=version)
        version.valid_from, version.valid_until = valid_from, valid_until
        transitions.save(
            version, by=by, reason="governance.policy.in_force", state=PolicyStatus.IN_FORCE, state_field="status",
            fields=["valid_from", "valid_until"], versioned=False,
        )  # fmt: skip
    return version


def supersede_version(version: PolicyVersion, *, by, on: date, successor: PolicyVersion) -> PolicyVersion:
    """End `version` the day `successor` starts (call inside put_in_force's transaction)."""
    if on <= version.valid_from:
        raise ValidationError(
            {"valid_from": _("Die neue Fassung muss nach dem Beginn von Fassung %(number)d in Kraft treten.")
             % {"number": version.number}}
        )  # fmt: skip
    version.valid_until = on
    transitions.save(
        version, by=by, reason="governance.policy.superseded", note=str(successor.number),
        state=PolicyStatus.SUPERSEDED, state_field="status", fields=["valid_until"], versioned=False,
    )  # fmt: skip
    return version


def repeal_version(version: PolicyVersion, *, by, on: date, reason: str) -> PolicyVersion:
    """End a version without a successor (Aufhebung) on the given day (exclusive)."""
    if not reason.strip():
        raise ValidationError({"reason": _("Bitte geben Sie einen Grund an.")})
    with transaction.atomic():
        version = transitions.lock(PolicyVersion.objects.all(), version.pk)
        never = _("Nur eine in Kraft gesetzte Fassung kann aufgehoben werden.") if version.valid_from is None else None
        _guard_policy("repeal", version, conditions=[never])
        if on <= version.valid_from:
            raise ValidationError({"on": _("Die Aufhebung muss nach dem Inkrafttreten liegen.")})
        if version.valid_until and on > version.valid_until:
            raise ValidationError({"on": _("Die Fassung endet ohnehin schon früher.")})
        version.valid_until = on
        transitions.save(
            version, by=by, reason="governance.policy.repealed", person_text=reason, state=PolicyStatus.REPEALED,
            state_field="status", fields=["valid_until"], versioned=False,
        )  # fmt: skip
    return version


# ---------------------------------------------------------------------------
# Rules

RULE_CONTENT_FIELDS = [
    "title",
    "condition",
    "effect",
    "ground",
    "alternative",
    "review_roles",
    "conditions_text",
    "rereview_months",
    "explanation",
]


def save_rule_version(
    policy_version: PolicyVersion, *, by, code: str, fields: dict, rule_version: RuleVersion | None = None
) -> RuleVersion:
    """Create (or, in the same draft, change) the version of rule `code` that belongs to
    a draft policy version. `fields` holds section and RULE_CONTENT_FIELDS. Invalid
    input raises ValidationError keyed by field."""
    with transaction.atomic():
        policy_version = PolicyVersion.objects.select_for_update().select_related("document").get(pk=policy_version.pk)
        if not policy_version.is_draft:
            raise GovernanceError(
                _("Regeln einer beschlossenen Fassung ändern sich nicht; bitte einen neuen Entwurf anlegen.")
            )
        if rule_version is None:
            rule = Rule.objects.filter(code=code).first()
            if rule is None:
                rule = Rule(code=code, document=policy_version.document)
                rule.full_clean()
                rule._history_user = by
                rule._change_reason = "governance.rule.created"
                rule.save()
            elif rule.document_id != policy_version.document_id:
                raise ValidationError({"code": _("Diese Regel gehört zu einem anderen Dokument.")})
            if rule.versions.filter(policy_version=policy_version).exists():
                raise ValidationError({"code": _("Die Regel hat in diesem Entwurf schon eine Version.")})
            rule_version = RuleVersion(
                rule=rule,
                policy_version=policy_version,
                number=(rule.versions.aggregate(n=Max("number"))["n"] or 0) + 1,
            )
            reason = "governance.rule.version_created"
        else:
            rule_version = RuleVersion.objects.select_related("rule").get(pk=rule_version.pk)
            if rule_version.policy_version_id != policy_version.pk:
                raise GovernanceError(_("Diese Regelversion gehört zu einer anderen Fassung."))
            reason = "governance.rule.version_changed"
        rule_version.policy_version = policy_version
        for name, value in fields.items():
            setattr(rule_version, name, value)
        rule_version.full_clean(exclude=["rule", "number"])
        rule_version._history_user = by
        rule_version._change_reason = reason
        rule_version.save()
    return rule_version


def remove_rule_version(rule_version: RuleVersion, *, by) -> None:
    with transaction.atomic():
        rule_version = RuleVersion.objects.select_related("policy_version").get(pk=rule_version.pk)
        PolicyVersion.objects.select_for_update().get(pk=rule_version.policy_version_id)
        rule_version._history_user = by
        rule_version._change_reason = "governance.rule.version_removed"
        rule_version.delete()


@dataclass
class InForce:
    """What was in force on a day."""

    on: date
    policy_versions: list[PolicyVersion]
    rule_versions: list[RuleVersion]


def in_force(on: date | None = None) -> InForce:
    """The policy versions and rule versions in force on `on` (default today). A
    version counts from its valid_from (inclusive) up to its valid_until (exclusive):
    on the day a successor enters force only the successor counts."""
    on = on or timezone.localdate()
    versions = list(PolicyVersion.objects.in_force(on).select_related("document").order_by("document__title"))
    rules = list(RuleVersion.objects.filter(policy_version__in=versions).select_related("rule", "section"))
    return InForce(on=on, policy_versions=versions, rule_versions=rules)


def evaluate(facts: dict, *, on: date | None = None) -> RuleEvaluation:
    """Evaluate the rules in force on `on` against `facts` (see rules.FACTS)."""
    on = on or timezone.localdate()
    return evaluate_rules(in_force(on).rule_versions, facts, on=on)


# ---------------------------------------------------------------------------
# Decisions

NON_PUBLIC_OUTCOMES = {DecisionOutcome.CLOSED, DecisionOutcome.INTERNAL}


def _version_ref(instance) -> tuple[ContentType | None, int | None]:
    """The exact version row of an object: its newest simple-history record, or the
    object itself where it is an immutable version (e.g. a classification)."""
    if instance is None:
        return None, None
    if instance.__class__.__name__.startswith("Historical") and hasattr(instance, "history_id"):
        return ContentType.objects.get_for_model(type(instance)), instance.pk
    history = getattr(instance, "history", None)
    if history is not None and hasattr(history, "model") and hasattr(history.model, "history_id"):
        record = history.order_by("-history_date", "-history_id").first()
        if record is not None:
            return ContentType.objects.get_for_model(type(record)), record.pk
    return ContentType.objects.get_for_model(type(instance)), instance.pk


def record_decision(
    *,
    kind: str,
    subject,
    outcome: str,
    actor,
    reasons: str = "",
    evaluation: RuleEvaluation | None = None,
    rule_versions=None,
    exclusion_grounds=None,
    required_reviews=None,
    conditions=None,
    rereview_on: date | None = None,
    classification=None,
    subject_version=None,
    organisation=audit.UNSET,
    decided_at=None,
) -> Decision:
    """Record a decision, append-only, with references to the exact versions of the
    subject and its classification, every rule version evaluated and the policy
    versions in force, and journal it. With an `evaluation`, grounds, reviews,
    conditions, re-review date and rule versions default to what it says."""
    decided_at = decided_at or timezone.now()
    day = timezone.localdate(decided_at)
    if evaluation is not None:
        exclusion_grounds = evaluation.grounds if exclusion_grounds is None else exclusion_grounds
        required_reviews = evaluation.required_reviews if required_reviews is None else required_reviews
        conditions = [text for _code, text in evaluation.conditions] if conditions is None else conditions
        rereview_on = rereview_on or evaluation.rereview_on
        if rule_versions is None:
            rule_versions = RuleVersion.objects.filter(pk__in=evaluation.rule_version_ids)
    exclusion_grounds, required_reviews = list(exclusion_grounds or []), list(required_reviews or [])
    conditions, rule_versions = list(conditions or []), list(rule_versions or [])

    if kind not in DecisionKind.values:
        raise ValidationError({"kind": _("Unbekannte Art der Entscheidung.")})
    if outcome not in DecisionOutcome.values:
        raise ValidationError({"outcome": _("Unbekanntes Ergebnis „%(outcome)s“.") % {"outcome": outcome}})
    known = set(
        VocabularyTerm.objects.in_force(day)
        .filter(vocabulary=Vocabulary.EXCLUSION_GROUND, code__in=exclusion_grounds)
        .values_list("code", flat=True)
    )
    unknown = sorted(set(exclusion_grounds) - known)
    if unknown:
        raise ValidationError(
            {"exclusion_grounds": _("Unbekannter Ausschlussgrund: %(codes)s") % {"codes": ", ".join(unknown)}}
        )
    if outcome in NON_PUBLIC_OUTCOMES and (not exclusion_grounds or not rereview_on):
        # Open by default: whoever keeps data closed names the ground and when to look again.
        raise ValidationError(
            {
                "exclusion_grounds": _(
                    "Wer Daten nicht veröffentlicht, nennt einen Ausschlussgrund und eine Wiedervorlage."
                )
            }
        )
    if outcome != DecisionOutcome.OPEN and kind == DecisionKind.PUBLICATION and not reasons.strip() and not evaluation:
        raise ValidationError({"reasons": _("Bitte begründen Sie die Entscheidung.")})

    with transaction.atomic():
        policy_versions = list(PolicyVersion.objects.in_force(day))
        in_force_ids = {version.pk for version in policy_versions}
        stale = [rv for rv in rule_versions if rv.policy_version_id not in in_force_ids]
        if stale:
            raise GovernanceError(
                _("Regelversion %(rule)s war am %(day)s nicht in Kraft.") % {"rule": stale[0], "day": date_format(day)}
            )
        subject_version_type, subject_version_id = _version_ref(subject_version or subject)
        classification_type, classification_id = _version_ref(classification)
        if organisation is audit.UNSET:
            organisation_id = audit.organisation_id_for(subject)
        else:
            organisation_id = organisation.pk if organisation is not None else None
        decision = Decision(
            kind=kind,
            subject_type=ContentType.objects.get_for_model(type(subject)),
            subject_id=str(subject.pk),
            subject_repr=str(subject)[:300],
            subject_version_type=subject_version_type,
            subject_version_id=subject_version_id,
            classification_type=classification_type,
            classification_id=classification_id,
            organisation_id=organisation_id,
            outcome=outcome,
            reasons=reasons,
            exclusion_grounds=exclusion_grounds,
            required_reviews=required_reviews,
            conditions=conditions,
            rereview_on=rereview_on,
            evaluation=audit.to_jsonable(evaluation.as_dict() if evaluation is not None else {}),
            actor=actor,
            decided_at=decided_at,
        )
        decision.save()
        DecisionRuleVersion.objects.bulk_create(
            [DecisionRuleVersion(decision=decision, rule_version=rv) for rv in rule_versions]
        )
        DecisionPolicyVersion.objects.bulk_create(
            [DecisionPolicyVersion(decision=decision, policy_version=pv) for pv in policy_versions]
        )
        snapshot = audit.model_snapshot(decision)
        snapshot["rule_versions"] = sorted(rv.pk for rv in rule_versions)
        snapshot["policy_versions"] = sorted(in_force_ids)
        audit.append(
            action=AuditAction.DECISION,
            instance=decision,
            organisation_id=organisation_id,
            actor=actor,
            reason=f"governance.decision.{kind}",
            data={"snapshot": snapshot},
        )
    return decision


# ---------------------------------------------------------------------------
# API tokens

API_TOKEN_LIMIT = 20  # active tokens per person
API_TOKEN_LIFETIMES = (30, 90, 365)  # the choices offered, in days; None is "no expiry"
# The last use is stamped at most this often, so the API does not write on every call.
API_TOKEN_LAST_USED_PRECISION = timedelta(minutes=1)


class ApiTokenRefused(GovernanceError):
    """The secret of an API request matches no token that may authenticate now; the
    message tells the client why."""


def create_api_token(user, *, name: str, valid_days: int | None) -> tuple[ApiToken, str]:
    """Create a token for `user`; return it and its secret. Only the hash is stored, so
    the secret can be shown this once and never again."""
    if valid_days is not None and valid_days < 1:
        raise ValidationError({"valid_days": _("Ein Token gilt mindestens einen Tag.")})
    with transaction.atomic():
        # Lock the person, so two requests at once cannot both slip under the limit.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        if ApiToken.objects.active().filter(user=user).count() >= API_TOKEN_LIMIT:
            raise GovernanceError(
                _(
                    "Sie haben bereits %(limit)d aktive API-Token. "
                    "Bitte widerrufen Sie zuerst eines, das Sie nicht mehr brauchen."
                )
                % {"limit": API_TOKEN_LIMIT}
            )
        secret = ApiToken.SECRET_START + secrets.token_urlsafe(32)
        now = timezone.now()
        token = ApiToken(
            user=user,
            name=name.strip(),
            prefix=secret[: ApiToken.PREFIX_LENGTH],
            key_hash=ApiToken.hash_secret(secret),
            created=now,
            expires_at=now + timedelta(days=valid_days) if valid_days else None,
        )
        token.full_clean(validate_unique=False)
        token._history_user = user
        token._change_reason = "governance.api_token.created"
        token.save()
    return token, secret


def revoke_api_token(token: ApiToken, *, by) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at:
            raise GovernanceError(_("Dieses API-Token wurde bereits widerrufen."))
        token.revoked_at = timezone.now()
        token._history_user = by
        token._change_reason = "governance.api_token.revoked"
        token.save(update_fields=["revoked_at"])
    return token


def authenticate_api_token(secret: str) -> ApiToken:
    """The token whose secret this is, with its user, if it may authenticate now;
    ApiTokenRefused otherwise. Stamps the last use."""
    token = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash_secret(secret)).first()
    now = timezone.now()
    if token is None:
        raise ApiTokenRefused(_("Unbekanntes API-Token."))
    if token.is_revoked:
        raise ApiTokenRefused(_("Dieses API-Token wurde widerrufen."))
    if token.is_expired(now):
        raise ApiTokenRefused(_("Dieses API-Token ist abgelaufen."))
    if not token.user.is_active:
        raise ApiTokenRefused(_("Das Benutzerkonto zu diesem API-Token ist deaktiviert."))
    if token.last_used_at is None or now - token.last_used_at >= API_TOKEN_LAST_USED_PRECISION:
        token.last_used_at = now
        # A use is not a change of the token: no history row, no journal entry (and
        # last_used_at is excluded from both anyway).
        token.save_without_historical_record(update_fields=["last_used_at"])
    return token
