"""Deputies are granted, not taken (issue 20): a governance admin of the principal's
organisation appoints them (or approves the holder's proposal), from the same city, for
a bounded period; appointing, proposing, approving and ending are journal events; the
four-eyes set covers principals and deputies."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from conftest import make_role_holder, make_user
from governance import permissions, services
from governance.history import describe_change_reason
from governance.models import AuditEvent, Role, RoleAssignment


def period(days=7, start=0):
    now = timezone.now()
    return {"valid_from": now + timedelta(days=start), "valid_until": now + timedelta(days=start + days)}


def fresh(user):
    """A fresh user object: guardian caches object permissions per instance."""
    return type(user).objects.get(pk=user.pk)


def journal(reason_prefix):
    return AuditEvent.objects.filter(reason__startswith=reason_prefix)


@pytest.fixture
def admin_b(org_b):
    return make_role_holder("admin-b", Role.GOVERNANCE_ADMIN, org_b)


@pytest.fixture
def principal(owner_a):
    return RoleAssignment.objects.get(user=owner_a, role=Role.OWNER)


@pytest.fixture
def colleague(org_a_department):
    """Someone of Stadt A: they hold a role in one of its offices."""
    return make_role_holder("kollegin", Role.STEWARD, org_a_department)


# ---------------------------------------------------------------------------
# Who appoints


def test_a_holder_does_not_appoint_their_own_deputy(principal, owner_a, colleague):
    with pytest.raises(services.DeputyRefused):
        services.appoint_deputy(principal, colleague, by=owner_a, **period())
    assert not RoleAssignment.objects.filter(user=colleague, deputy_for=principal).exists()


def test_a_governance_admin_of_the_organisation_appoints(principal, admin_a, colleague, org_a):
    deputy = services.appoint_deputy(principal, colleague, by=admin_a, **period(start=-1))

    assert deputy.approved_at is not None
    assert deputy.approved_by == admin_a
    assert permissions.has_role(fresh(colleague), Role.OWNER, org_a)
    event = journal("governance.deputy.appointed").get()
    assert event.actor == admin_a
    assert event.object_id == str(deputy.pk)


def test_another_citys_admin_does_not_appoint(principal, admin_b, colleague):
    # Admin B does not see Stadt A's roles at all; the service refuses as well.
    with pytest.raises(services.DeputyRefused):
        services.appoint_deputy(principal, colleague, by=admin_b, **period())


def test_nobody_grants_a_deputy_to_themselves(admin_a, org_a, colleague):
    """Granted, not taken: an admin does not appoint a deputy for their own role, nor
    approve a proposal for it, nor make themselves someone's deputy."""
    own = RoleAssignment.objects.get(user=admin_a)
    with pytest.raises(services.DeputyRefused):
        services.appoint_deputy(own, colleague, by=admin_a, **period())
    proposal = services.propose_deputy(own, colleague, by=admin_a, **period())
    with pytest.raises(services.DeputyRefused):
        services.approve_deputy(proposal, by=admin_a)

    steward = RoleAssignment.objects.get(user=colleague, deputy_for__isnull=True)
    with pytest.raises(services.DeputyRefused):
        services.appoint_deputy(steward, admin_a, by=admin_a, **period())


# ---------------------------------------------------------------------------
# Whom, for how long


def test_the_deputy_belongs_to_the_principals_city(principal, admin_a, steward_b, outsider):
    for person in (steward_b, outsider):
        with pytest.raises(ValidationError) as refused:
            services.appoint_deputy(principal, person, by=admin_a, **period())
        assert "deputy" in refused.value.message_dict
    assert not RoleAssignment.objects.filter(deputy_for=principal).exists()


def test_a_unit_of_the_city_counts_as_the_city(org_a_department, admin_a, colleague, owner_a):
    """The principal holds their role in an office, the deputy at the city itself."""
    office_owner = make_role_holder("amtsleitung", Role.OWNER, org_a_department)
    office_role = RoleAssignment.objects.get(user=office_owner)
    city_steward = make_role_holder("stadt-steward", Role.STEWARD, org_a_department.parent)
    deputy = services.appoint_deputy(office_role, city_steward, by=admin_a, **period())
    assert deputy.is_active()


def test_someone_who_holds_the_role_already_is_no_deputy(principal, admin_a, org_a):
    second_owner = make_role_holder("owner-a2", Role.OWNER, org_a)
    with pytest.raises(ValidationError) as refused:
        services.appoint_deputy(principal, second_owner, by=admin_a, **period())
    assert "deputy" in refused.value.message_dict


def test_the_period_is_bounded(principal, admin_a, colleague, settings):
    settings.DEPUTY_MAX_DAYS = 183
    with pytest.raises(ValidationError) as refused:
        services.appoint_deputy(
            principal, colleague, by=admin_a, valid_from=timezone.now(), valid_until=timezone.now().replace(year=2099)
        )
    assert "valid_until" in refused.value.message_dict
    assert "183" in refused.value.message_dict["valid_until"][0]
    services.appoint_deputy(principal, colleague, by=admin_a, **period(days=183))


def test_the_bound_is_a_setting(principal, admin_a, colleague, settings):
    settings.DEPUTY_MAX_DAYS = 14
    with pytest.raises(ValidationError):
        services.appoint_deputy(principal, colleague, by=admin_a, **period(days=15))


# ---------------------------------------------------------------------------
# Proposal and approval


def test_a_proposal_does_nothing_until_an_admin_approves(principal, owner_a, admin_a, colleague, org_a):
    proposal = services.propose_deputy(principal, colleague, by=owner_a, **period(start=-1), note="Urlaub")

    assert proposal.approved_at is None
    assert not proposal.is_active()
    assert not permissions.has_role(fresh(colleague), Role.OWNER, org_a)
    assert list(RoleAssignment.objects.proposed()) == [proposal]
    assert journal("governance.deputy.proposed").get().actor == owner_a

    approved = services.approve_deputy(proposal, by=admin_a)

    assert approved.approved_by == admin_a
    assert approved.is_active()
    assert permissions.has_role(fresh(colleague), Role.OWNER, org_a)
    assert journal("governance.deputy.approved").get().actor == admin_a
    with pytest.raises(services.DeputyRefused):
        services.approve_deputy(approved, by=admin_a)


def test_a_proposal_waits_in_the_admins_inbox(principal, owner_a, admin_a, colleague):
    from governance import inbox

    services.propose_deputy(principal, colleague, by=owner_a, **period(start=2))
    [task] = inbox.deputy_proposals(admin_a)
    assert task.label == "Vertretung genehmigen"
    assert task.url.endswith("#org-proposals")
    assert task.due == (timezone.localtime() + timedelta(days=2)).date()
    assert inbox.deputy_proposals(owner_a) == []
    assert inbox.deputy_proposals(colleague) == []


def test_only_the_holder_proposes(principal, steward_a, colleague):
    with pytest.raises(services.DeputyRefused):
        services.propose_deputy(principal, colleague, by=steward_a, **period())


def test_a_proposal_follows_the_same_rules(principal, owner_a, steward_b):
    with pytest.raises(ValidationError):
        services.propose_deputy(principal, steward_b, by=owner_a, **period())


def test_an_approval_checks_the_rules_again(principal, owner_a, admin_a, colleague):
    proposal = services.propose_deputy(principal, colleague, by=owner_a, **period())
    services.revoke_role(RoleAssignment.objects.get(user=colleague, deputy_for=None), by=admin_a, reason="Weggang")
    services.assign_role(colleague, Role.STEWARD, make_org_b(), by=None)  # now at another city
    with pytest.raises(ValidationError):
        services.approve_deputy(proposal, by=admin_a)


def make_org_b():
    from conftest import make_organisation

    return make_organisation("stadt-c", name="Stadt C", municipality="C-Dorf")


# ---------------------------------------------------------------------------
# Ending


def test_the_principal_ends_their_deputy_early(principal, owner_a, admin_a, colleague, org_a):
    deputy = services.appoint_deputy(principal, colleague, by=admin_a, **period(start=-1))
    services.end_deputy(deputy, by=owner_a, reason="Früher zurück")

    assert not permissions.has_role(fresh(colleague), Role.OWNER, org_a)
    event = journal("governance.deputy.ended").get()
    assert describe_change_reason(event.reason).startswith("Vertretung beendet")
    assert event.actor == owner_a
    assert event.reason == "governance.deputy.ended"  # the system's code; the words are the owner's
    assert event.person_text == "Früher zurück"
    with pytest.raises(services.GovernanceError):
        services.end_deputy(deputy, by=owner_a, reason="noch einmal")


def test_who_ends_a_deputy(principal, owner_a, admin_a, steward_a, colleague):
    deputy = services.appoint_deputy(principal, colleague, by=admin_a, **period())
    assert permissions.can_end_deputy(owner_a, deputy)
    assert permissions.can_end_deputy(colleague, deputy)
    assert permissions.can_end_deputy(admin_a, deputy)
    assert not permissions.can_end_deputy(steward_a, deputy)
    with pytest.raises(services.DeputyRefused):
        services.end_deputy(deputy, by=steward_a, reason="Übernahme")


def test_revoking_a_deputy_in_the_role_table_ends_it(principal, admin_a, colleague):
    deputy = services.appoint_deputy(principal, colleague, by=admin_a, **period())
    services.revoke_role(deputy, by=admin_a, reason="Nicht mehr nötig")
    assert journal("governance.deputy.ended").count() == 1


def test_roles_are_assigned_without_a_back_door_for_deputies(principal, admin_a, colleague, org_a):
    with pytest.raises(TypeError):
        services.assign_role(colleague, Role.OWNER, org_a, by=admin_a, deputy_for=principal)


# ---------------------------------------------------------------------------
# The four-eyes set


def test_principals_and_deputies_widen_a_set_of_people(principal, owner_a, admin_a, colleague, steward_a):
    services.appoint_deputy(principal, colleague, by=admin_a, **period(start=-1))
    proposal_for = make_user("vorgeschlagen")
    assert permissions.with_principals_and_deputies({owner_a.pk}) == {owner_a.pk, colleague.pk}
    assert permissions.with_principals_and_deputies({colleague.pk}) == {owner_a.pk, colleague.pk}
    assert permissions.with_principals_and_deputies({steward_a.pk}) == {steward_a.pk}
    assert permissions.with_principals_and_deputies({proposal_for.pk, None}) == {proposal_for.pk}
    assert permissions.with_principals_and_deputies({colleague.pk}, role=Role.STEWARD) == {colleague.pk}


def test_an_ended_deputy_still_counts_for_the_time_they_stood_in(principal, owner_a, admin_a, colleague):
    deputy = services.appoint_deputy(principal, colleague, by=admin_a, **period(start=-1))
    services.end_deputy(deputy, by=owner_a, reason="zurück")
    an_hour_ago = timezone.now() - timedelta(hours=1)
    assert permissions.with_principals_and_deputies({owner_a.pk}) == {owner_a.pk}
    assert permissions.with_principals_and_deputies({owner_a.pk}, since=an_hour_ago) == {owner_a.pk, colleague.pk}


# ---------------------------------------------------------------------------
# Pages


def test_the_holder_proposes_on_the_page_and_the_admin_approves(client_for, principal, owner_a, admin_a, colleague):
    client = client_for(owner_a)
    form = client.get(reverse("governance:deputy_propose", args=[principal.pk]))
    assert colleague in form.context["form"].fields["deputy"].queryset
    response = client.post(
        reverse("governance:deputy_propose", args=[principal.pk]),
        {"deputy": colleague.pk, "valid_from": "2030-07-01T08:00", "valid_until": "2030-07-21T18:00"},
    )
    assert response.status_code == 302
    proposal = RoleAssignment.objects.get(user=colleague, deputy_for=principal)
    assert proposal.approved_at is None

    client = client_for(admin_a)
    page = client.get(reverse("governance:organisation_detail", args=[principal.organisation.slug]))
    assert page.context["proposals"] == [(proposal, True)]
    response = client.post(reverse("governance:deputy_approve", args=[proposal.pk]))
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.approved_by == admin_a


def test_the_form_says_what_is_wrong_with_the_period(client_for, principal, admin_a, colleague):
    response = client_for(admin_a).post(
        reverse("governance:deputy_create", args=[principal.pk]),
        {"deputy": colleague.pk, "valid_from": "2030-01-01T08:00", "valid_until": "2099-01-01T08:00"},
    )
    assert response.status_code == 200
    assert "höchstens" in response.context["form"].errors["valid_until"][0]


def test_the_form_offers_only_people_of_the_city(client_for, principal, admin_a, colleague, steward_b, outsider):
    response = client_for(admin_a).get(reverse("governance:deputy_create", args=[principal.pk]))
    choices = set(response.context["form"].fields["deputy"].queryset)
    assert colleague in choices
    assert not {steward_b, outsider, principal.user} & choices
    response = client_for(admin_a).post(
        reverse("governance:deputy_create", args=[principal.pk]),
        {"deputy": steward_b.pk, "valid_from": "2030-01-01T08:00", "valid_until": "2030-01-08T08:00"},
    )
    assert "deputy" in response.context["form"].errors


def test_the_holder_ends_a_deputy_on_the_task_page(client_for, principal, owner_a, admin_a, colleague):
    deputy = services.appoint_deputy(principal, colleague, by=admin_a, **period(start=-1))
    client = client_for(owner_a)
    page = client.get(reverse("governance:tasks"))
    assert reverse("governance:deputy_end", args=[deputy.pk]) in page.content.decode()
    response = client.post(reverse("governance:deputy_end", args=[deputy.pk]), {"reason": "Zurück"})
    assert response.status_code == 302
    deputy.refresh_from_db()
    assert deputy.revoked_at is not None
