"""Writes and transitions of the governance app; views, API, admin and tasks call these."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.models import UserObjectPermission

from .models import Organisation, Role, RoleAssignment


class GovernanceError(Exception):
    """A transition that the rules do not allow; the message is shown to the user."""


class ConflictError(GovernanceError):
    """Someone else changed the object since the editor loaded it."""


def role_group(role: Role) -> Group:
    """The group of everyone who currently holds the role somewhere. Groups carry
    model-level permissions (for the admin site); object permissions say where."""
    group, _created = Group.objects.get_or_create(name=f"Rolle: {role.value}")
    return group


def assign_role(
    user,
    role: Role,
    organisation: Organisation,
    *,
    by,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    deputy_for: RoleAssignment | None = None,
    note: str = "",
) -> RoleAssignment:
    assignment = RoleAssignment(
        user=user,
        role=role,
        organisation=organisation,
        valid_from=valid_from or timezone.now(),
        valid_until=valid_until,
        deputy_for=deputy_for,
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


def appoint_deputy(
    principal: RoleAssignment, deputy, *, by, valid_from: datetime, valid_until: datetime, note: str = ""
) -> RoleAssignment:
    """Let `deputy` stand in for the holder of `principal` for a period (Vertretung)."""
    return assign_role(
        deputy,
        Role(principal.role),
        principal.organisation,
        by=by,
        valid_from=valid_from,
        valid_until=valid_until,
        deputy_for=principal,
        note=note,
    )


def revoke_role(assignment: RoleAssignment, *, by, reason: str) -> RoleAssignment:
    if not reason.strip():
        raise ValidationError({"reason": _("Bitte geben Sie einen Grund an.")})
    with transaction.atomic():
        assignment = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
        if assignment.revoked_at:
            raise GovernanceError(_("Diese Rolle wurde bereits entzogen."))
        assignment.revoked_at = timezone.now()
        assignment._change_reason = f"governance.role.revoked: {reason}"
        assignment._history_user = by
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
        roles_held = {(user_id, codename) for user_id, _org, codename in wanted}
        for role in Role:
            group = role_group(role)
            holders = {user_id for user_id, codename in roles_held if codename == role.codename}
            members = set(group.user_set.filter(pk__in=user_ids).values_list("pk", flat=True))
            group.user_set.remove(*User.objects.filter(pk__in=members - holders))
            group.user_set.add(*User.objects.filter(pk__in=holders - members))
    return len(to_add) + len(to_remove)


def update_organisation(
    organisation: Organisation, *, by, changes: dict, expected_version: int, reason: str = ""
) -> Organisation:
    """Apply an edit made on `expected_version`; refuse it if the row has moved on, so
    no one silently overwrites a colleague's change."""
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if organisation.version != expected_version:
            raise ConflictError(
                _("Die Organisation wurde inzwischen von jemand anderem geändert. Bitte laden Sie die Seite neu.")
            )
        for field, value in changes.items():
            setattr(organisation, field, value)
        organisation.full_clean()
        organisation.version += 1
        organisation._change_reason = reason or "governance.organisation.changed"
        organisation._history_user = by
        organisation.save()
        if "parent" in changes:
            # Roles cover sub-units, so moving a unit moves who may act on it.
            sync_role_permissions()
    return organisation
