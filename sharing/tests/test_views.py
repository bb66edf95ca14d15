"""The sharing pages: who gets in (anonymous → login, no role → 403, other
organisations → 404), drafting and deciding agreements through the forms, the internal
catalog (metadata only), requesting and granting access, reading a shared dataset until
the grant ends, and pinned query counts of the list pages."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog import services as catalog
from sharing import services
from sharing.models import AccessGrant, AccessRequest, AgreementStatus, SharingAgreement

from .conftest import ask, draft, fresh, make_dataset, step

CSV = b"haltung;dn\nH1;300\nH2;400\n"


def login(user):
    """A client of its own: `client_for` logs the one shared client in as someone else."""
    client = Client()
    client.force_login(user)
    return client


def url(name, *args):
    return reverse(f"sharing:{name}", args=args)


def fetch(client, path):
    """GET a download and read it to the end (which closes the file behind it)."""
    response = client.get(path)
    if response.streaming:
        response.content_bytes = b"".join(response.streaming_content)
    return response


@pytest.fixture
def upload(sewers, steward_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return catalog.add_distribution(
        sewers, by=steward_a, title="Haltungen", upload=SimpleUploadedFile("haltungen.csv", CSV)
    )


@pytest.fixture
def granted(org_a_department, steward_dept, owner_a, sewers, upload):
    """The Umweltamt's steward reads Stadt A's sewer network."""
    return services.approve_access_request(ask(steward_dept, sewers, org_a_department), by=owner_a)


def all_pages(agreement, access_request, dataset, distribution):
    return [
        url("overview"),
        url("agreement_create"),
        url("agreement_detail", agreement.pk),
        url("agreement_edit", agreement.pk),
        url("catalog"),
        url("catalog_dataset", dataset.name),
        url("request_create", dataset.name),
        url("request_list"),
        url("request_detail", access_request.pk),
        url("my_access"),
        url("shared_dataset", dataset.name),
        url("shared_file", dataset.name, distribution.pk),
    ]


# ---------------------------------------------------------------------------
# Who gets in


def test_anonymous_visitors_are_sent_to_the_login(
    client, org_a, org_a_department, steward_a, steward_dept, sewers, upload
):
    agreement = draft(steward_a, org_a, org_a_department, [sewers])
    access_request = ask(steward_dept, sewers, org_a_department)
    for path in all_pages(agreement, access_request, sewers, upload):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url.startswith(reverse("login")), path


def test_people_without_a_role_get_403(
    client_for, outsider, org_a, org_a_department, steward_a, steward_dept, sewers, upload
):
    agreement = draft(steward_a, org_a, org_a_department, [sewers])
    access_request = ask(steward_dept, sewers, org_a_department)
    client = client_for(outsider)
    for path in all_pages(agreement, access_request, sewers, upload):
        assert client.get(path).status_code == 403, path


def test_other_organisations_see_nothing_of_an_agreement_or_a_request(
    client_for, org_a, org_a_department, steward_a, steward_dept, steward_b, sewers, upload
):
    agreement = draft(steward_a, org_a, org_a_department, [sewers])
    access_request = ask(steward_dept, sewers, org_a_department)
    client = client_for(steward_b)
    for path in [
        url("agreement_detail", agreement.pk),
        url("agreement_edit", agreement.pk),
        url("request_detail", access_request.pk),
        url("shared_dataset", sewers.name),
        url("shared_file", sewers.name, upload.pk),
    ]:
        assert client.get(path).status_code == 404, path
    assert client.post(url("agreement_transition", agreement.pk, "submit")).status_code == 404
    assert client.post(url("request_decide", access_request.pk, "gewaehren")).status_code == 404
    assert fresh(agreement).status == AgreementStatus.DRAFT
    assert not AccessGrant.objects.exists()


# ---------------------------------------------------------------------------
# Agreements through the pages


def test_drafting_submitting_and_approving_through_the_pages(
    client_for, org_a, org_a_department, steward_a, owner_a, sewers
):
    client = client_for(steward_a)
    assert "Welche Organisation stellt die Daten bereit?" in client.get(url("agreement_create")).content.decode()
    page = client.get(url("agreement_create") + f"?anbieter={org_a.slug}").content.decode()
    assert "Kanalnetz" in page

    today = timezone.localdate()
    response = client.post(
        url("agreement_create") + f"?anbieter={org_a.slug}",
        {
            "title": "Kanalnetz für das Umweltamt",
            "recipient": org_a_department.pk,
            "agreement_type": "same_controller",
            "purpose": "Gewässerschutz.",
            "datasets": [sewers.pk],
            "conditions": ["purpose_limitation", "no_onward_transfer"],
            "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=200)).isoformat(),
        },
    )
    agreement = SharingAgreement.objects.get()
    assert response.status_code == 302
    assert response.url == agreement.get_absolute_url()
    detail = client.get(response.url).content.decode()
    assert "Keine Rechtsprüfung erforderlich" in detail
    assert "Zur Freigabe einreichen" in detail

    client.post(url("agreement_transition", agreement.pk, "submit"), {"submit-expected_version": agreement.version})
    assert fresh(agreement).status == AgreementStatus.OWNER_APPROVAL

    owner = client_for(owner_a)
    assert "Als Dateneigentümer:in freigeben" in owner.get(agreement.get_absolute_url()).content.decode()
    response = owner.post(
        url("agreement_transition", agreement.pk, "approve"),
        {"approve-expected_version": fresh(agreement).version, "approve-reasons": "Passt."},
        follow=True,
    )
    assert fresh(agreement).status == AgreementStatus.ACTIVE
    page = response.content.decode()
    assert "ist erledigt" in page
    assert "Passt." in page  # the decision trail
    assert "Zur Freigabe eingereicht" in page  # the version history, in words


def test_a_draft_lists_what_is_missing(client_for, org_a, org_b, steward_a, residents):
    agreement = draft(steward_a, org_a, org_b, [residents], agreement_type="joint_controllers")
    page = client_for(steward_a).get(agreement.get_absolute_url()).content.decode()
    assert "Vor dem Einreichen fehlt noch:" in page
    assert "schriftlichen Vertrag" in page
    assert "Rechtsgrundlage nach Art. 6 Abs. 1 DSGVO" in page
    assert "Die Rechtsprüfung ist erforderlich, weil:" in page


def test_a_stale_page_gets_a_conflict_message(client_for, org_a, org_a_department, steward_a, owner_a, sewers):
    agreement = draft(steward_a, org_a, org_a_department, [sewers])
    step(services.submit_agreement, agreement, by=steward_a)
    stale = fresh(agreement).version - 1

    response = client_for(owner_a).post(
        url("agreement_transition", agreement.pk, "approve"), {"approve-expected_version": stale}, follow=True
    )

    assert "inzwischen von jemand anderem" in response.content.decode()
    assert fresh(agreement).status == AgreementStatus.OWNER_APPROVAL


def test_a_draft_can_be_edited_by_its_side_only(
    client_for, org_a, org_a_department, steward_a, legal_a, sewers, internal_agreement
):
    agreement = draft(steward_a, org_a, org_a_department, [sewers], title="Entwurf")
    assert client_for(steward_a).get(url("agreement_edit", agreement.pk)).status_code == 200
    assert client_for(legal_a).get(url("agreement_edit", agreement.pk)).status_code == 403
    assert client_for(steward_a).get(url("agreement_edit", internal_agreement.pk)).status_code == 403

    response = client_for(steward_a).post(
        url("agreement_edit", agreement.pk),
        {
            "version": fresh(agreement).version,
            "title": "Entwurf, geändert",
            "recipient": org_a_department.pk,
            "agreement_type": "same_controller",
            "purpose": "Neu.",
            "datasets": [sewers.pk],
            "valid_from": agreement.valid_from.isoformat(),
            "valid_until": agreement.valid_until.isoformat(),
            "reason": "Titel präzisiert",
        },
    )
    assert response.status_code == 302
    assert fresh(agreement).title == "Entwurf, geändert"
    record = fresh(agreement).history.first()
    assert (record.history_change_reason, record.history_person_text) == (
        "sharing.agreement.changed",
        "Titel präzisiert",
    )


# ---------------------------------------------------------------------------
# The internal catalog


def test_the_internal_catalog_shows_other_organisations_internal_datasets_as_metadata_only(
    client_for, org_b, steward_a, steward_b, sewers, residents
):
    make_dataset(org_b, steward_b, "parkhaeuser", title="Parkhäuser")
    page = client_for(steward_b).get(url("catalog")).content.decode()
    assert "Kanalnetz" in page
    assert "Meldedaten" in page
    assert "Parkhäuser" not in page  # their own: in the catalog, not here

    detail = client_for(steward_b).get(url("catalog_dataset", sewers.name)).content.decode()
    assert "Zugang beantragen" in detail
    assert "gruen@stadt-a.example" in detail  # the contact point
    for secret in ("KRITIS.", "Vertraulichkeit", "Schutzbedarf", "Klassifizierung", "Herunterladen"):
        assert secret not in detail

    own = client_for(steward_a).get(url("catalog")).content.decode()
    assert "Kanalnetz" not in own


def test_the_internal_catalog_searches_title_description_and_keywords(client_for, steward_b, sewers, residents):
    client = client_for(steward_b)
    assert list(client.get(url("catalog"), {"q": "kanal"}).context["page"].object_list) == [sewers]
    assert set(client.get(url("catalog"), {"q": "netz"}).context["page"].object_list) == {sewers, residents}


def test_providers_see_who_shares_their_dataset(client_for, steward_a, internal_agreement, granted, sewers):
    page = client_for(steward_a).get(url("catalog_dataset", sewers.name)).content.decode()
    assert "Datenteilung dieses Datensatzes" in page
    assert internal_agreement.title in page
    assert "Uta Umwelt" in page  # the grant


def test_the_catalog_page_of_a_dataset_links_to_its_sharing(client_for, steward_a, sewers):
    page = client_for(steward_a).get(reverse("catalog:dataset_detail", args=[sewers.name])).content.decode()
    assert "Datenteilung im Stadtverbund" in page
    assert url("catalog_dataset", sewers.name) in page


# ---------------------------------------------------------------------------
# Requesting, deciding, reading


def test_request_grant_read_and_expire_through_the_pages(
    client_for, monkeypatch, org_a, org_a_department, steward_dept, steward_a, owner_a, sewers, upload
):
    other = make_dataset(org_a, steward_a, "pumpwerke", title="Pumpwerke", confidentiality=1)
    requester = login(steward_dept)
    today = timezone.localdate()
    response = requester.post(
        url("request_create", sewers.name),
        {
            "recipient": org_a_department.pk,
            "purpose": "Gewässerschutz an Einleitstellen.",
            "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=14)).isoformat(),
        },
    )
    access_request = AccessRequest.objects.get()
    assert response.url == access_request.get_absolute_url()
    assert requester.get(url("shared_dataset", sewers.name)).status_code == 404

    owner = login(owner_a)
    assert "Zugang gewähren" in owner.get(access_request.get_absolute_url()).content.decode()
    owner.post(url("request_decide", access_request.pk, "gewaehren"), {"reasons": "Für den Gewässerschutz."})
    grant = AccessGrant.objects.get()

    mine = requester.get(url("my_access")).content.decode()
    assert "Kanalnetz" in mine
    page = requester.get(url("shared_dataset", sewers.name)).content.decode()
    assert "Haltungen" in page
    assert fetch(requester, url("shared_file", sewers.name, upload.pk)).content_bytes == CSV
    # Nothing else of Stadt A.
    assert requester.get(url("shared_dataset", other.name)).status_code == 404
    assert requester.get(reverse("catalog:dataset_detail", args=[sewers.name])).status_code == 404

    # Time moves past the end of the grant; no task has run.
    later = grant.valid_until + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    requester.force_login(steward_dept)  # the old session has expired by then
    assert requester.get(url("shared_dataset", sewers.name)).status_code == 404
    assert fetch(requester, url("shared_file", sewers.name, upload.pk)).status_code == 404
    assert "Sie haben derzeit keinen Zugang" in requester.get(url("my_access")).content.decode()


def test_a_refusal_needs_reasons_and_the_requester_reads_them(
    client_for, org_a_department, steward_dept, owner_a, sewers
):
    access_request = ask(steward_dept, sewers, org_a_department)
    owner = client_for(owner_a)
    page = owner.post(url("request_decide", access_request.pk, "ablehnen"), {"reasons": ""}, follow=True)
    assert "Bitte begründen Sie die Entscheidung." in page.content.decode()
    owner.post(url("request_decide", access_request.pk, "ablehnen"), {"reasons": "VS-NfD, nicht erforderlich."})

    page = client_for(steward_dept).get(access_request.get_absolute_url()).content.decode()
    assert "VS-NfD, nicht erforderlich." in page
    assert "Abgelehnt" in page


def test_nobody_but_the_owner_decides(client_for, org_a_department, steward_dept, steward_a, sewers):
    access_request = ask(steward_dept, sewers, org_a_department)
    assert "Zugang gewähren" not in client_for(steward_a).get(access_request.get_absolute_url()).content.decode()
    client_for(steward_a).post(url("request_decide", access_request.pk, "gewaehren"))
    client_for(steward_dept).post(url("request_decide", access_request.pk, "gewaehren"))
    assert not AccessGrant.objects.exists()


def test_the_owner_revokes_through_the_page(client_for, steward_dept, owner_a, sewers, granted):
    client_for(owner_a).post(url("grant_revoke", granted.pk), {"reasons": "Projekt abgeschlossen."})
    granted.refresh_from_db()
    assert granted.revoked_at is not None
    assert client_for(steward_dept).get(url("shared_dataset", sewers.name)).status_code == 404


def test_the_requester_withdraws_through_the_page(client_for, org_a_department, steward_dept, sewers):
    access_request = ask(steward_dept, sewers, org_a_department)
    client_for(steward_dept).post(url("request_withdraw", access_request.pk))
    access_request.refresh_from_db()
    assert access_request.status == "withdrawn"


def test_the_task_inbox_lists_what_waits_for_the_owner(
    client_for, org_a, org_b, org_a_department, steward_a, steward_dept, owner_a, sewers
):
    agreement = draft(steward_a, org_a, org_b, [sewers], agreement_type="transfer", title="An Stadt B")
    step(services.submit_agreement, agreement, by=steward_a)
    ask(steward_dept, sewers, org_a_department)

    page = client_for(owner_a).get(reverse("governance:tasks")).content.decode()

    assert "Vereinbarung freigeben (Dateneigentümer:in)" in page
    assert agreement.get_absolute_url() in page
    assert "Zugangsantrag entscheiden" in page
    # Four eyes: the requester is not asked to decide their own request.
    assert "Zugangsantrag entscheiden" not in client_for(steward_dept).get(reverse("governance:tasks")).content.decode()


def test_the_staff_navigation_links_the_sharing_pages(client_for, steward_dept):
    page = client_for(steward_dept).get(url("my_access")).content.decode()
    assert f'href="{url("overview")}" aria-current="page">Datenteilung' in page


# ---------------------------------------------------------------------------
# Pinned query counts (after a warm-up request: guardian and content types cache)


def many_agreements(count, org_a, org_a_department, steward_a, sewers):
    for number in range(count):
        draft(steward_a, org_a, org_a_department, [sewers], title=f"Vereinbarung {number}")


# The overview, whatever the number of agreements:
#    1 session, 2 user, 3 staff_required (any role anywhere), 4 the count per status,
#    5 can_create_agreement (steward or owner somewhere), 6 the roles held anywhere
#    (navigation), 7 the agreements with provider and recipient.
OVERVIEW_QUERIES = 7


@pytest.mark.parametrize("count", [2, 12])
def test_the_overview_needs_the_same_queries_for_few_and_many(
    client_for, org_a, org_a_department, steward_a, sewers, count, django_assert_num_queries
):
    many_agreements(count, org_a, org_a_department, steward_a, sewers)
    client = client_for(steward_a)
    client.get(url("overview"))
    with django_assert_num_queries(OVERVIEW_QUERIES):
        response = client.get(url("overview"))
    assert len(response.context["agreements"]) == count


# The internal catalog, whatever the number of datasets:
#    1 session, 2 user, 3 staff_required, 4 COUNT for the paginator (staff check and the
#    user's own datasets as subqueries), 5 the roles held anywhere (navigation), 6 the
#    organisations of the filter, 7 the page of datasets with publisher, 8 their themes.
CATALOG_QUERIES = 8


@pytest.mark.parametrize("count", [3, 30])
def test_the_internal_catalog_needs_the_same_queries_for_few_and_many(
    client_for, org_a, steward_a, steward_b, count, vocabularies, django_assert_num_queries
):
    for number in range(count):
        make_dataset(org_a, steward_a, f"intern-{number}", confidentiality=1)
    client = client_for(steward_b)
    client.get(url("catalog"))
    with django_assert_num_queries(CATALOG_QUERIES):
        response = client.get(url("catalog"))
    assert len(response.context["page"].object_list) == min(count, 25)


# "Meine Zugänge", whatever the number of grants and requests:
#    1 session, 2 user, 3 staff_required, 4 the grants in force (with dataset, publisher
#    and agreement), 5 those starting later, 6 the roles held anywhere (navigation),
#    7 the requests (with dataset, publisher, requester, recipient and grant), 8 the
#    grants that have ended.
MY_ACCESS_QUERIES = 8


@pytest.mark.parametrize("count", [1, 6])
def test_my_access_needs_the_same_queries_for_few_and_many(
    client_for, org_a, org_a_department, steward_a, steward_dept, owner_a, count, vocabularies,
    django_assert_num_queries,
):  # fmt: skip
    for number in range(count):
        dataset = make_dataset(org_a, steward_a, f"intern-{number}", confidentiality=1)
        services.approve_access_request(ask(steward_dept, dataset, org_a_department), by=owner_a)
    client = client_for(steward_dept)
    client.get(url("my_access"))
    with django_assert_num_queries(MY_ACCESS_QUERIES):
        response = client.get(url("my_access"))
    assert len(response.context["in_force"]) == count


# The requests of an owner's datasets, whatever their number:
#    1 session, 2 user, 3 staff_required, 4 the roles held anywhere (navigation),
#    5 the pending requests, 6 the grants in force or starting later, 7 the decided
#    requests (all with dataset, requester and recipient).
REQUEST_LIST_QUERIES = 7


@pytest.mark.parametrize("count", [1, 6])
def test_the_request_list_needs_the_same_queries_for_few_and_many(
    client_for, org_a, org_a_department, steward_a, steward_dept, owner_a, count, vocabularies,
    django_assert_num_queries,
):  # fmt: skip
    for number in range(count):
        dataset = make_dataset(org_a, steward_a, f"intern-{number}", confidentiality=1)
        access_request = ask(steward_dept, dataset, org_a_department)
        if number % 2:
            services.approve_access_request(access_request, by=owner_a)
    client = client_for(owner_a)
    client.get(url("request_list"))
    with django_assert_num_queries(REQUEST_LIST_QUERIES):
        response = client.get(url("request_list"))
    assert len(response.context["pending"]) == (count + 1) // 2
