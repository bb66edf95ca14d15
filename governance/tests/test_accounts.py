"""Accounts and their home organisation: only the governance admins over an account's home
manage it, in the admin site, in the role assignment and in the services (issue 20)."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from conftest import PASSWORD, make_organisation, make_role_holder, make_user
from core.errors import PermissionRefused
from governance import permissions, services
from governance.checks import every_account_has_a_home
from governance.models import Account, AuditEvent, Role, RoleAssignment

NEW_PASSWORD = "Uebernahme-Passwort-2026!"
SET_PASSWORD = {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}


@pytest.fixture
def admin_b(org_b):
    return make_role_holder("admin-b", Role.GOVERNANCE_ADMIN, org_b)


@pytest.fixture
def new_hire(org_a):
    """A person of city A without a role yet."""
    return make_user("neu-in-a", home=org_a, first_name="Nele", last_name="Neu")


def new_hire_of_a(org_a, history):
    """A person of city A without a role in force: just hired, or their role ended or was
    revoked."""
    person = make_user("neu-in-a", home=org_a)
    if history == "ended":
        start = timezone.now() - timedelta(days=30)
        services.assign_role(person, Role.STEWARD, org_a, by=None, valid_from=start, valid_until=start + timedelta(1))
    elif history == "revoked":
        assignment = services.assign_role(person, Role.STEWARD, org_a, by=None)
        services.revoke_role(assignment, by=None, reason="Wechsel")
    return person


def journal(person, reason):
    return AuditEvent.objects.filter(object_repr=person.username, reason=reason)


# ---------------------------------------------------------------------------
# The finding: the takeover across cities


@pytest.mark.parametrize("history", ["new hire", "ended", "revoked"])
def test_an_admin_of_another_city_cannot_set_the_password_of_an_account_without_a_role(
    client, client_for, org_a, admin_a, admin_b, history
):
    """The finding: admin B set the password of A's new hire in /admin/ and, once A
    assigned the person a role, signed in with it. Failed before the home organisation
    (302, the password was B's)."""
    person = new_hire_of_a(org_a, history)

    response = client_for(admin_b).post(f"/admin/auth/user/{person.pk}/password/", SET_PASSWORD)

    assert response.status_code == 404
    person.refresh_from_db()
    assert not person.check_password(NEW_PASSWORD)
    services.assign_role(person, Role.STEWARD, org_a, by=admin_a)
    client.logout()
    client.post("/konto/anmelden/", {"username": person.username, "password": NEW_PASSWORD})
    assert "_auth_user_id" not in client.session


def test_the_admin_of_the_city_sets_the_password_and_the_journal_says_so(client_for, admin_a, new_hire, org_a):
    response = client_for(admin_a).post(f"/admin/auth/user/{new_hire.pk}/password/", SET_PASSWORD)

    assert response.status_code == 302
    new_hire.refresh_from_db()
    assert new_hire.check_password(NEW_PASSWORD)
    event = journal(new_hire, "governance.account.password_set").get()
    assert (event.actor, event.organisation, event.content_type.model) == (admin_a, org_a, "account")
    assert NEW_PASSWORD not in str(event.data)
    assert new_hire.password not in str(event.data)


def test_the_admin_of_another_city_neither_lists_nor_opens_the_account(client_for, admin_b, admin_a, new_hire):
    client = client_for(admin_b)
    assert new_hire.username not in client.get("/admin/auth/user/").content.decode()
    assert client.get(f"/admin/auth/user/{new_hire.pk}/change/").status_code == 404
    assert client.get(f"/admin/auth/user/{new_hire.pk}/history/").status_code == 404


def test_the_account_list_shows_each_home(client_for, admin_a, new_hire, org_a):
    page = client_for(admin_a).get("/admin/auth/user/").content.decode()
    assert new_hire.username in page
    assert org_a.name in page


# ---------------------------------------------------------------------------
# Creating, changing, deactivating in the admin


def test_an_admin_creates_an_account_of_their_city(client_for, admin_a, org_a_department):
    response = client_for(admin_a).post(
        "/admin/auth/user/add/", {"username": "neu.umwelt", "home_organisation": org_a_department.pk, **SET_PASSWORD}
    )

    assert response.status_code == 302
    account = Account.objects.select_related("user").get(user__username="neu.umwelt")
    assert (account.home_organisation, account.created_by) == (org_a_department, admin_a)
    assert account.user.check_password(NEW_PASSWORD)
    created = AuditEvent.objects.get(reason="governance.account.created", object_id=str(account.pk))
    assert (created.actor, created.organisation) == (admin_a, org_a_department)


def test_an_admin_cannot_create_an_account_of_another_city(client_for, admin_a, org_b):
    response = client_for(admin_a).post(
        "/admin/auth/user/add/", {"username": "neu.b", "home_organisation": org_b.pk, **SET_PASSWORD}
    )
    assert response.status_code == 403
    assert not get_user_model().objects.filter(username="neu.b").exists()


def test_an_account_cannot_be_created_without_a_home(client_for, admin_a):
    response = client_for(admin_a).post("/admin/auth/user/add/", {"username": "heimatlos", **SET_PASSWORD})
    assert response.status_code == 200
    assert "home_organisation" in response.context["adminform"].form.errors
    assert not get_user_model().objects.filter(username="heimatlos").exists()


def change_form(person, home, **changes):
    data = {"username": person.username, "home_organisation": home.pk, "first_name": person.first_name,
            "last_name": person.last_name, "email": person.email, "is_active": "on"}  # fmt: skip
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_an_admin_deactivates_an_account_and_the_journal_says_so(client_for, admin_a, new_hire, org_a):
    response = client_for(admin_a).post(
        f"/admin/auth/user/{new_hire.pk}/change/", change_form(new_hire, org_a, is_active=None)
    )

    assert response.status_code == 302
    new_hire.refresh_from_db()
    assert not new_hire.is_active
    event = journal(new_hire, "governance.account.deactivated").get()
    assert event.data["changes"] == {"is_active": {"old": True, "new": False}}
    assert (event.actor, event.organisation) == (admin_a, org_a)


def test_an_admin_moves_an_account_within_their_city_but_not_out_of_it(
    client_for, admin_a, new_hire, org_a, org_a_department, org_b
):
    client = client_for(admin_a)
    url = f"/admin/auth/user/{new_hire.pk}/change/"

    assert client.post(url, change_form(new_hire, org_a_department)).status_code == 302
    assert Account.objects.get(user=new_hire).home_organisation == org_a_department
    assert client.post(url, change_form(new_hire, org_b)).status_code == 403
    assert Account.objects.get(user=new_hire).home_organisation == org_a_department


def test_an_admin_cannot_pull_an_account_of_another_city_into_theirs(client_for, admin_b, new_hire, org_b):
    response = client_for(admin_b).post(
        f"/admin/auth/user/{new_hire.pk}/change/", change_form(new_hire, org_b, is_active=None)
    )
    assert response.status_code == 404
    new_hire.refresh_from_db()
    assert new_hire.is_active
    assert new_hire.account.home_organisation.slug == "stadt-a"


# ---------------------------------------------------------------------------
# Who manages what


def test_a_units_admin_manages_the_units_accounts_but_not_the_citys(org_a, org_a_department):
    unit_admin = make_role_holder("admin-umwelt", Role.GOVERNANCE_ADMIN, org_a_department)
    of_the_unit = make_user("in-der-einheit", home=org_a_department)
    of_the_city = make_user("bei-der-stadt", home=org_a)

    assert permissions.can_manage_account(unit_admin, of_the_unit)
    # Else the unit's admin could take over an account that acts for the whole city.
    assert not permissions.can_manage_account(unit_admin, of_the_city)


def test_an_account_with_a_role_in_another_city_is_for_superusers_only(admin_a, admin_b, new_hire, org_b):
    services.assign_role(new_hire, Role.STEWARD, org_b, by=None)  # only a superuser or the system can
    superuser = get_user_model().objects.create_superuser("betrieb", password=PASSWORD)

    assert not permissions.can_manage_account(admin_a, new_hire)
    assert not permissions.can_manage_account(admin_b, new_hire)
    assert permissions.can_manage_account(superuser, new_hire)


def test_superusers_and_accounts_without_a_home_are_for_superusers_only(admin_a, org_a):
    superuser = get_user_model().objects.create_superuser("betrieb", password=PASSWORD)
    superuser_with_home = make_user("betrieb-a", home=org_a, is_superuser=True)
    homeless = make_user("ohne-heimat")

    for account in (superuser, superuser_with_home, homeless):
        assert not permissions.can_manage_account(admin_a, account)
        assert permissions.can_manage_account(superuser, account)


def test_people_without_the_admin_role_manage_no_account(steward_a, owner_a, new_hire):
    assert not permissions.manageable_accounts(steward_a).exists()
    assert not permissions.can_manage_account(owner_a, new_hire)


# ---------------------------------------------------------------------------
# Roles go only to accounts the admin manages


def test_an_admin_assigns_a_role_to_a_new_hire_of_their_city(client_for, admin_a, new_hire, org_a):
    response = client_for(admin_a).post(
        reverse("governance:role_assign", args=[org_a.slug]), {"user": new_hire.pk, "role": Role.STEWARD}
    )
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=new_hire, organisation=org_a).exists()


def test_an_admin_cannot_assign_a_role_to_an_account_of_another_city(client_for, admin_b, new_hire, org_b):
    client = client_for(admin_b)
    url = reverse("governance:role_assign", args=[org_b.slug])

    offered = client.get(url).context["form"].fields["user"].queryset
    assert new_hire not in offered
    assert admin_b in offered
    response = client.post(url, {"user": new_hire.pk, "role": Role.GOVERNANCE_ADMIN})
    assert response.status_code == 403
    assert not RoleAssignment.objects.filter(user=new_hire).exists()


# ---------------------------------------------------------------------------
# The services refuse the same


def test_the_services_refuse_an_admin_of_another_city(admin_b, new_hire, org_a):
    with pytest.raises(PermissionRefused):
        services.set_account_password(new_hire, NEW_PASSWORD, by=admin_b)
    with pytest.raises(PermissionRefused):
        services.update_account(new_hire, by=admin_b, changes={"is_active": False})
    with pytest.raises(PermissionRefused):
        services.create_account("neu.von-b", home=org_a, by=admin_b)
    new_hire.refresh_from_db()
    assert new_hire.is_active
    assert not new_hire.check_password(NEW_PASSWORD)
    assert not get_user_model().objects.filter(username="neu.von-b").exists()


def test_a_person_sets_their_own_password_through_the_service(new_hire):
    services.set_account_password(new_hire, NEW_PASSWORD, by=new_hire)
    assert new_hire.check_password(NEW_PASSWORD)
    assert journal(new_hire, "governance.account.password_set").get().actor == new_hire


def test_a_new_account_without_a_password_cannot_sign_in_until_it_sets_one(org_a):
    person = services.create_account("ohne-passwort", home=org_a, by=None)
    assert not person.has_usable_password()
    assert person.account.home_organisation == org_a


# ---------------------------------------------------------------------------
# Existing accounts get a home (migration 0007)


def give_every_account_a_home():
    migration = importlib.import_module("governance.migrations.0007_account_home")
    migration.give_every_account_a_home(apps, None)


def test_the_migration_gives_existing_accounts_the_home_of_their_roles_or_of_their_creator(
    org_a, org_a_department, org_b, db
):
    now = timezone.now()
    moved = make_user("umgezogen")  # ended in A, in force in B
    services.assign_role(moved, Role.STEWARD, org_a, by=None, valid_from=now - timedelta(60), valid_until=now)
    services.assign_role(moved, Role.OWNER, org_b, by=None, valid_from=now - timedelta(1))
    unit_person = make_user("einheit")
    services.assign_role(unit_person, Role.STEWARD, org_a_department, by=None)
    deputy = make_user("vertretung")  # their own role weighs more than a deputyship
    principal = RoleAssignment.objects.get(user=make_role_holder("chefin", Role.OWNER, org_b))
    Account.objects.filter(user__username="chefin").delete()
    services.assign_role(deputy, Role.STEWARD, org_a, by=None, valid_from=now - timedelta(10))
    # A deputyship across cities as older data may hold it (today's services refuse one).
    RoleAssignment.objects.create(
        user=deputy, role=Role.OWNER, organisation=org_b, deputy_for=principal, valid_from=now - timedelta(1),
        valid_until=now + timedelta(9), approved_at=now,
    )  # fmt: skip
    creator = make_user("admin-alt")
    services.assign_role(creator, Role.GOVERNANCE_ADMIN, org_b, by=None)
    created = make_user("ohne-rolle")
    LogEntry.objects.log_actions(creator.pk, [created], ADDITION)
    traceless = make_user("spurlos")
    superuser = get_user_model().objects.create_superuser("betrieb", password=PASSWORD)
    assert ContentType.objects.get_for_model(created)  # the log names users by this type

    give_every_account_a_home()

    homes = dict(Account.objects.values_list("user__username", "home_organisation__slug"))
    assert homes == {
        "umgezogen": "stadt-b",
        "einheit": "stadt-a-umweltamt",
        "vertretung": "stadt-a",
        "chefin": "stadt-b",
        "admin-alt": "stadt-b",
        "ohne-rolle": "stadt-b",
    }
    assert Account.objects.get(user=created).created_by == creator
    # Two cities: a traceless account stays without a home, for a superuser to place.
    assert traceless.username not in homes
    assert superuser.username not in homes
    warnings = every_account_has_a_home(databases=["default"])
    assert [warning.id for warning in warnings] == ["governance.W001"]
    assert "spurlos" in warnings[0].msg
    assert "betrieb" not in warnings[0].msg


def test_in_a_single_city_the_migration_gives_traceless_accounts_the_city(org_a, db):
    make_organisation("stadt-a-bauamt", parent=org_a)
    traceless = make_user("spurlos")
    superuser = get_user_model().objects.create_superuser("betrieb", password=PASSWORD)

    give_every_account_a_home()

    assert Account.objects.get(user=traceless).home_organisation == org_a
    assert not Account.objects.filter(user=superuser).exists()
    assert every_account_has_a_home(databases=["default"]) == []


# ---------------------------------------------------------------------------
# A person's own password, and a superuser's view


def test_changing_ones_own_password_is_journaled(client_for, new_hire, org_a):
    response = client_for(new_hire).post(
        "/konto/passwort/", {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    new_hire.refresh_from_db()
    assert new_hire.check_password(NEW_PASSWORD)
    event = journal(new_hire, "governance.account.password_set").get()
    assert (event.actor, event.organisation) == (new_hire, org_a)


def test_a_password_set_through_a_reset_link_is_journaled(client, new_hire, org_a):
    link = f"/konto/passwort-neu/{urlsafe_base64_encode(force_bytes(new_hire.pk))}/"
    form = client.get(link + default_token_generator.make_token(new_hire) + "/", follow=True)
    response = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 302
    new_hire.refresh_from_db()
    assert new_hire.check_password(NEW_PASSWORD)
    event = journal(new_hire, "governance.account.password_reset").get()
    assert (event.actor, event.organisation) == (None, org_a)


def test_a_superuser_gives_an_account_without_a_home_one(client_for, org_b):
    superuser = get_user_model().objects.create_superuser("betrieb", password=PASSWORD)
    homeless = make_user("ohne-heimat")
    client = client_for(superuser)
    url = f"/admin/auth/user/{homeless.pk}/change/"

    assert client.get(url).status_code == 200
    response = client.post(url, change_form(homeless, org_b, date_joined_0="2026-01-01", date_joined_1="08:00:00"))

    assert response.status_code == 302
    assert Account.objects.get(user=homeless).home_organisation == org_b
    assert AuditEvent.objects.filter(reason="governance.account.home_given", organisation=org_b).exists()
    # Superusers themselves may stay without one.
    assert (
        client.get(f"/admin/auth/user/{superuser.pk}/change/")
        .context["adminform"]
        .form.fields["home_organisation"]
        .required
        is False
    )
