from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conftest import make_role_holder, make_user
from governance import permissions, services, tasks
from governance.models import Role, RoleAssignment


def test_a_role_applies_to_the_organisation_and_its_units(steward_a, org_a, org_a_department, org_b):
    services.sync_role_permissions()

    assert permissions.has_role(steward_a, Role.STEWARD, org_a)
    assert permissions.has_role(steward_a, Role.STEWARD, org_a_department)
    assert not permissions.has_role(steward_a, Role.STEWARD, org_b)
    assert not permissions.has_role(steward_a, Role.OWNER, org_a)


def test_a_person_can_hold_several_roles_in_several_organisations(org_a, org_b):
    person = make_user("vielseitig")
    services.assign_role(person, Role.STEWARD, org_a, by=None)
    services.assign_role(person, Role.LEGAL_REVIEWER, org_b, by=None)

    assert set(permissions.organisations_with_role(person, Role.STEWARD)) == {org_a}
    assert set(permissions.organisations_with_role(person, Role.LEGAL_REVIEWER)) == {org_b}
    assert set(permissions.visible_organisations(person)) == {org_a, org_b}
    assert person.groups.filter(name__in=["Rolle: steward", "Rolle: legal_reviewer"]).count() == 2


def colleague_in(organisation):
    """Someone of the same city (a deputy comes from there): a steward of the organisation."""
    return make_role_holder("vertretung", Role.STEWARD, organisation)


def test_a_deputy_acts_only_within_the_period(owner_a, admin_a, org_a):
    now = timezone.now()
    principal = RoleAssignment.objects.get(user=owner_a)
    deputy = colleague_in(org_a)
    services.appoint_deputy(
        principal, deputy, by=admin_a, valid_from=now + timedelta(days=1), valid_until=now + timedelta(days=8)
    )
    assert not permissions.has_role(deputy, Role.OWNER, org_a), "not before the period starts"

    services.sync_role_permissions(at=now + timedelta(days=2))
    deputy = type(deputy).objects.get(pk=deputy.pk)  # fresh user: guardian caches permissions per object
    assert permissions.has_role(deputy, Role.OWNER, org_a)

    services.sync_role_permissions(at=now + timedelta(days=9))
    deputy = type(deputy).objects.get(pk=deputy.pk)
    assert not permissions.has_role(deputy, Role.OWNER, org_a), "the deputy's permission expires"
    assert permissions.has_role(owner_a, Role.OWNER, org_a), "the principal keeps the role"


def test_the_periodic_task_applies_expiry(owner_a, admin_a, org_a):
    now = timezone.now()
    deputy = colleague_in(org_a)
    assignment = services.appoint_deputy(
        RoleAssignment.objects.get(user=owner_a),
        deputy,
        by=admin_a,
        valid_from=now - timedelta(days=2),
        valid_until=now + timedelta(days=1),
    )
    assert permissions.has_role(deputy, Role.OWNER, org_a)
    RoleAssignment.objects.filter(pk=assignment.pk).update(valid_until=now - timedelta(seconds=1))

    assert tasks.sync_role_permissions.delay().get() == 1
    deputy = type(deputy).objects.get(pk=deputy.pk)
    assert not permissions.has_role(deputy, Role.OWNER, org_a)
    assert tasks.sync_role_permissions.delay().get() == 0, "idempotent: nothing left to change"


def test_revoking_a_role_ends_its_deputies_and_is_recorded(owner_a, admin_a, org_a):
    now = timezone.now()
    principal = RoleAssignment.objects.get(user=owner_a)
    deputy = colleague_in(org_a)
    services.appoint_deputy(principal, deputy, by=admin_a, valid_from=now, valid_until=now + timedelta(days=5))

    services.revoke_role(principal, by=admin_a, reason="Wechsel in ein anderes Amt")

    owner_a = type(owner_a).objects.get(pk=owner_a.pk)
    deputy = type(deputy).objects.get(pk=deputy.pk)
    assert not permissions.has_role(owner_a, Role.OWNER, org_a)
    assert not permissions.has_role(deputy, Role.OWNER, org_a)
    record = principal.history.latest()
    assert record.history_user == admin_a
    assert (record.history_change_reason, record.history_person_text) == (
        "governance.role.revoked",
        "Wechsel in ein anderes Amt",
    )
    with pytest.raises(services.GovernanceError):
        services.revoke_role(principal, by=admin_a, reason="noch einmal")


@pytest.mark.parametrize(
    ("deputy_kwargs", "field"),
    [
        ({"valid_until": None}, "valid_until"),
        ({"user": "self"}, "deputy_for"),
    ],
)
def test_invalid_deputies_are_refused(owner_a, admin_a, org_a, deputy_kwargs, field):
    principal = RoleAssignment.objects.get(user=owner_a)
    user = owner_a if deputy_kwargs.get("user") == "self" else colleague_in(org_a)
    with pytest.raises(ValidationError) as error:
        services.appoint_deputy(
            principal,
            user,
            by=admin_a,
            valid_from=timezone.now(),
            valid_until=deputy_kwargs.get("valid_until", timezone.now() + timedelta(days=1)),
        )
    assert field in error.value.message_dict


def test_a_deputy_takes_the_same_role_in_the_same_organisation(owner_a, org_a, org_b):
    # The services always copy role and organisation from the principal; the model says so too.
    principal = RoleAssignment.objects.get(user=owner_a)
    with pytest.raises(ValidationError) as error:
        RoleAssignment(
            user=make_user("vertretung"),
            role=Role.OWNER,
            organisation=org_b,
            deputy_for=principal,
            valid_until=timezone.now() + timedelta(days=1),
        ).full_clean()
    assert "deputy_for" in error.value.message_dict


def test_logging_in_applies_a_deputy_period_that_has_just_begun(owner_a, admin_a, org_a, client):
    from conftest import PASSWORD

    deputy = colleague_in(org_a)
    assignment = services.appoint_deputy(
        RoleAssignment.objects.get(user=owner_a),
        deputy,
        by=admin_a,
        valid_from=timezone.now() + timedelta(hours=1),
        valid_until=timezone.now() + timedelta(days=3),
    )
    RoleAssignment.objects.filter(pk=assignment.pk).update(valid_from=timezone.now() - timedelta(minutes=1))

    client.post("/konto/anmelden/", {"username": "vertretung", "password": PASSWORD})

    assert permissions.has_role(type(deputy).objects.get(pk=deputy.pk), Role.OWNER, org_a)
