import pytest
from django.urls import reverse

from conftest import make_role_holder, make_user
from governance.models import Organisation, Role, RoleAssignment


def test_anonymous_visitors_are_sent_to_the_login(client, org_a):
    for url in ["/intern/", "/intern/organisationen/", "/intern/organisationen/stadt-a/", "/intern/audit/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/konto/anmelden/?next=")


def test_people_without_a_role_are_refused(client_for, outsider, org_a):
    client = client_for(outsider)
    assert client.get("/intern/").status_code == 403
    assert client.get("/intern/organisationen/stadt-a/").status_code == 403


def test_a_steward_sees_only_their_own_organisation(client_for, steward_a, org_a, org_a_department, org_b):
    client = client_for(steward_a)

    listing = client.get("/intern/organisationen/")
    assert list(listing.context["organisations"]) == [org_a, org_a_department]
    assert client.get(org_a.get_absolute_url()).status_code == 200
    assert client.get(org_b.get_absolute_url()).status_code == 404
    assert client.get(reverse("governance:organisation_history", args=[org_b.slug])).status_code == 404


def test_a_steward_cannot_change_any_organisation(client_for, steward_a, org_a, org_b):
    client = client_for(steward_a)
    for organisation in (org_a, org_b):
        url = reverse("governance:organisation_edit", args=[organisation.slug])
        response = client.post(url, {"name": "Übernommen", "version": organisation.version})
        assert response.status_code in (403, 404)
        organisation.refresh_from_db()
        assert organisation.name != "Übernommen"
        assert organisation.history.count() == 1


def edit_data(organisation: Organisation, **changes):
    data = {
        "name": organisation.name,
        "org_type": organisation.org_type,
        "parent": organisation.parent_id or "",
        "legal_entity": organisation.legal_entity_id or "",
        "municipality": organisation.municipality,
        "municipality_key": organisation.municipality_key,
        "state": organisation.state,
        "dng_role": organisation.dng_role,
        "data_protection_regime": organisation.data_protection_regime,
        "dpo_contact": organisation.dpo_contact,
        "contributor_id": organisation.contributor_id,
        "website": organisation.website,
        "email": organisation.email,
        "version": organisation.version,
        "reason": "",
    }
    return {**data, **changes}


def test_an_owner_changes_their_organisation_and_leaves_a_version(client_for, owner_a, org_a):
    client = client_for(owner_a)
    url = reverse("governance:organisation_edit", args=[org_a.slug])

    response = client.post(url, edit_data(org_a, dpo_contact="dsb@stadt-a.example", reason="Neue DSB"))

    assert response.status_code == 302
    org_a.refresh_from_db()
    assert org_a.dpo_contact == "dsb@stadt-a.example"
    assert org_a.version == 2
    latest = org_a.history.latest()
    assert latest.history_user == owner_a
    assert (latest.history_change_reason, latest.history_person_text) == ("governance.organisation.changed", "Neue DSB")
    page = client.get(reverse("governance:organisation_history", args=[org_a.slug]))
    assert page.status_code == 200
    [change] = page.context["entries"][0]["changes"]
    assert (change.label, change.old, change.new) == ("Kontakt Datenschutzbeauftragte:r", "–", "dsb@stadt-a.example")
    html = page.content.decode()
    assert "Geänderte Felder</caption>" in html
    assert '<th scope="row" class="kern-table__header">Kontakt Datenschutzbeauftragte:r</th>' in html
    assert '<td class="kern-table__cell sd-diff-value">dsb@stadt-a.example</td>' in html


def test_an_owner_of_a_cannot_change_b(client_for, owner_a, org_b):
    client = client_for(owner_a)
    response = client.post(reverse("governance:organisation_edit", args=[org_b.slug]), edit_data(org_b, name="X"))
    assert response.status_code == 404
    org_b.refresh_from_db()
    assert org_b.name == "Stadt B"


def test_a_concurrent_edit_is_refused_not_overwritten(client_for, owner_a, admin_a, org_a):
    url = reverse("governance:organisation_edit", args=[org_a.slug])
    stale = edit_data(org_a, website="https://alt.example")
    client_for(admin_a).post(url, edit_data(org_a, website="https://neu.example"))

    response = client_for(owner_a).post(url, stale)

    assert response.status_code == 200
    assert "inzwischen von jemand anderem geändert" in response.content.decode()
    org_a.refresh_from_db()
    assert org_a.website == "https://neu.example"


def test_invalid_input_gets_field_errors_in_german(client_for, owner_a, org_a):
    response = client_for(owner_a).post(
        reverse("governance:organisation_edit", args=[org_a.slug]),
        edit_data(org_a, municipality_key="12ab", email="keine-mail"),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["municipality_key"] == ["Der Gemeindeschlüssel hat genau acht Ziffern."]
    assert errors["email"] == ["Bitte geben Sie eine gültige E-Mail-Adresse ein."]


def test_a_governance_admin_assigns_and_revokes_roles(client_for, admin_a, org_a):
    person = make_user("neu", home=org_a)
    client = client_for(admin_a)

    response = client.post(
        reverse("governance:role_assign", args=[org_a.slug]), {"user": person.pk, "role": Role.STEWARD}
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=person)
    assert assignment.created_by == admin_a

    client.post(reverse("governance:role_revoke", args=[assignment.pk]), {"reason": "Befristung"})
    assignment.refresh_from_db()
    assert assignment.revoked_at is not None


def test_a_steward_cannot_assign_roles(client_for, steward_a, org_a):
    client = client_for(steward_a)
    response = client.post(
        reverse("governance:role_assign", args=[org_a.slug]), {"user": steward_a.pk, "role": Role.GOVERNANCE_ADMIN}
    )
    assert response.status_code == 403
    assert not RoleAssignment.objects.filter(role=Role.GOVERNANCE_ADMIN).exists()


def test_a_role_holder_proposes_their_deputy_and_does_not_appoint_them(client_for, owner_a, org_a):
    deputy = make_role_holder("urlaubsvertretung", Role.STEWARD, org_a)
    principal = RoleAssignment.objects.get(user=owner_a)
    data = {"deputy": deputy.pk, "valid_from": "2030-07-01T08:00", "valid_until": "2030-07-21T18:00"}
    client = client_for(owner_a)
    assert client.post(reverse("governance:deputy_create", args=[principal.pk]), data).status_code == 403
    response = client.post(reverse("governance:deputy_propose", args=[principal.pk]), data)
    assert response.status_code == 302
    proposal = RoleAssignment.objects.get(user=deputy, deputy_for=principal)
    assert proposal.is_proposal, "a governance admin still has to approve it"


def test_only_governance_admins_see_the_audit_trail(client_for, steward_a, admin_a, org_a):
    assert client_for(steward_a).get("/intern/audit/").status_code == 403
    response = client_for(admin_a).get("/intern/audit/?object_type=governance.roleassignment")
    assert response.status_code == 200
    assigned = {event.data["snapshot"]["user"] for event in response.context["page"]}
    assert assigned == {admin_a.pk, steward_a.pk}


@pytest.mark.parametrize(("persona", "status"), [("admin_a", 200), ("steward_a", 302), ("outsider", 302)])
def test_the_admin_site_is_for_governance_admins(db, client_for, request, persona, status):
    response = client_for(request.getfixturevalue(persona)).get("/admin/")
    assert response.status_code == status


def test_a_governance_admin_sees_only_their_organisations_in_the_admin(client_for, admin_a, org_a, org_b):
    client = client_for(admin_a)
    assert client.get(f"/admin/governance/organisation/{org_a.pk}/change/").status_code == 200
    assert client.get(f"/admin/governance/organisation/{org_b.pk}/change/").status_code == 404


def test_the_task_list_shows_my_roles_with_few_queries(client_for, steward_a, django_assert_max_num_queries):
    client = client_for(steward_a)
    client.get("/intern/")  # warm caches (content types, permissions), as in the other inbox pins
    # 13 since the inbox asks for deputies waiting for a governance admin's approval; 16 since
    # it asks for pending changes (with the user's deputy links) and blocked files; 17 since
    # it asks for the data requests routed to the user (portal, issue 22).
    with django_assert_max_num_queries(17):
        response = client.get("/intern/")
    assert response.status_code == 200
    assert [a.role for a in response.context["assignments"]] == [Role.STEWARD]


def test_an_organisation_cannot_be_moved_into_another_citys_tree(client_for, admin_a, org_a, org_a_department, org_b):
    """Roles cover the units below: a new parent in city B would hand the unit to B's
    staff. The form offers only the person's own organisations."""
    client = client_for(admin_a)
    url = reverse("governance:organisation_edit", args=[org_a_department.slug])
    assert list(client.get(url).context["form"].fields["parent"].queryset) == [org_a]

    response = client.post(url, edit_data(org_a_department, parent=org_b.pk))

    assert response.status_code == 200
    assert "parent" in response.context["form"].errors
    org_a_department.refresh_from_db()
    assert org_a_department.parent == org_a
