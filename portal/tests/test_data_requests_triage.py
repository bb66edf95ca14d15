"""Data requests as a citizen meets them (issue 22): published only after triage, the
answer by mail, the promised response deadline, routing to an organisation and a
person (task inbox and mail), and titles that say what is wished for."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from conftest import make_role_holder
from governance import inbox
from governance.models import Role
from portal.models import DataRequest, DataRequestStatus

pytestmark = pytest.mark.django_db

REQUEST = {"title": "Parkhausbelegung in Echtzeit", "description": "Für eine App, die freie Plätze zeigt."}


@pytest.fixture
def admin_client(client_for, admin_a):
    return client_for(admin_a)


def triage(admin_client, data_request, **data):
    return admin_client.post(reverse("portal:triage_detail", args=[data_request.pk]), data)


# ---------------------------------------------------------------------------
# Published only after triage


def test_triage_removes_personal_data_before_the_request_goes_public(client, admin_client):
    """What a citizen typed about themselves must not go public with the request: triage
    edits the title and description it publishes (the original stays in the staff history)."""
    data_request = DataRequest.objects.create(
        title="Parkhausbelegung in Echtzeit", description="Ich bin Erika Mustermann, Lindenweg 3, und brauche das."
    )
    page = admin_client.get(reverse("portal:triage_detail", args=[data_request.pk])).content.decode()
    assert "Ich bin Erika Mustermann" in page  # the form holds the text to edit

    response = triage(
        admin_client, data_request, status="in_progress", answer="Wir fragen das Parkamt.",
        title="Parkhausbelegung in Echtzeit", description="[Persönliche Angaben entfernt] Für eine App.",
    )  # fmt: skip
    assert response.status_code == 302
    public = client.get(data_request.get_absolute_url()).content.decode()
    assert "Mustermann" not in public
    assert "[Persönliche Angaben entfernt] Für eine App." in public

    refused = triage(admin_client, data_request, status="in_progress", title="Parken", description="x")
    assert refused.status_code == 200
    assert "mindestens drei Wörtern" in refused.content.decode()


def test_an_untriaged_request_is_neither_listed_nor_reachable(client, admin_client):
    client.post(reverse("portal:data_request_create"), {**REQUEST, "email": "ich@example.org"})
    data_request = DataRequest.objects.get()
    assert REQUEST["title"] not in client.get(reverse("portal:data_request_list")).content.decode()
    assert client.get(data_request.get_absolute_url()).status_code == 404
    # Staff see it in their list at once.
    assert REQUEST["title"] in admin_client.get(reverse("portal:triage_list")).content.decode()


def test_a_triaged_request_is_listed_and_reachable(client, admin_client):
    data_request = DataRequest.objects.create(**REQUEST)
    response = triage(admin_client, data_request, status="in_progress", answer="Wir fragen das Parkamt.")
    assert response.status_code == 302
    assert REQUEST["title"] in client.get(reverse("portal:data_request_list")).content.decode()
    page = client.get(data_request.get_absolute_url())
    assert page.status_code == 200
    assert "Wir fragen das Parkamt." in page.content.decode()


def test_the_requester_is_sent_to_the_thanks_page_with_their_receipt(client):
    response = client.post(reverse("portal:data_request_create"), REQUEST)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:data_request_thanks")
    text = client.get(response["Location"]).content.decode()
    assert REQUEST["title"] in text


# ---------------------------------------------------------------------------
# The answer by mail


def test_the_requester_gets_the_answer_by_mail(admin_client, published, django_capture_on_commit_callbacks):
    data_request = DataRequest.objects.create(**REQUEST, email="ich@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        triage(admin_client, data_request, status="published", answer="Gibt es jetzt.", dataset=published.pk)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ich@example.org"]
    assert "Gibt es jetzt." in message.body
    assert data_request.get_absolute_url() in message.body
    assert published.get_absolute_url() in message.body or published.name in message.body
    # Saving again without a change to status or answer sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        triage(admin_client, data_request, status="published", answer="Gibt es jetzt.", dataset=published.pk)
    assert len(mail.outbox) == 1


def test_no_answer_mail_without_an_address_or_while_still_open(admin_client, django_capture_on_commit_callbacks):
    without = DataRequest.objects.create(**REQUEST)
    untouched = DataRequest.objects.create(**REQUEST, email="ich@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        triage(admin_client, without, status="in_progress", answer="Wir prüfen das.")
        triage(admin_client, untouched, status="open", answer="")
    assert mail.outbox == []


# ---------------------------------------------------------------------------
# The response deadline


def test_the_deadline_is_on_the_thanks_page_the_receipt_and_the_staff_list(
    client, admin_client, settings, django_capture_on_commit_callbacks
):
    settings.DATA_REQUEST_RESPONSE_DAYS = 30
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:data_request_create"), {**REQUEST, "email": "ich@example.org"})
    due = (timezone.localdate() + timedelta(days=30)).strftime("%d.%m.%Y")
    assert due in client.get(response["Location"]).content.decode()
    assert due in mail.outbox[0].body
    assert due in admin_client.get(reverse("portal:triage_list")).content.decode()


def test_overdue_requests_are_highlighted_in_the_staff_list(admin_client, settings):
    settings.DATA_REQUEST_RESPONSE_DAYS = 30
    late = DataRequest.objects.create(title="Alte Anfrage nach Daten", description="x")
    DataRequest.objects.filter(pk=late.pk).update(created=timezone.now() - timedelta(days=31))
    DataRequest.objects.create(**REQUEST)
    text = admin_client.get(reverse("portal:triage_list")).content.decode()
    assert text.count("überfällig") == 1


# ---------------------------------------------------------------------------
# Routing to an organisation and a person


def test_triage_routes_a_request_to_a_person_of_the_organisation(
    admin_client, org_a, org_b, steward_b, django_capture_on_commit_callbacks
):
    steward_a = make_role_holder("verantwortlich-a", Role.STEWARD, org_a, email="verantwortlich@stadt-a.example")
    data_request = DataRequest.objects.create(**REQUEST)
    # Someone without a role at the chosen organisation is refused.
    response = triage(admin_client, data_request, status="open", organisation=org_a.pk, assignee=steward_b.pk)
    assert response.status_code == 200
    assert "keine Rolle" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = triage(admin_client, data_request, status="open", organisation=org_a.pk, assignee=steward_a.pk)
    assert response.status_code == 302
    data_request.refresh_from_db()
    assert (data_request.organisation, data_request.assignee) == (org_a, steward_a)
    # A mail to the person …
    assert [m.to for m in mail.outbox] == [["verantwortlich@stadt-a.example"]]
    assert reverse("portal:triage_detail", args=[data_request.pk]) in mail.outbox[0].body
    # … and a task in their inbox, not in someone else's.
    tasks = [t for t in inbox.tasks_for(steward_a) if t.subject == data_request]
    assert len(tasks) == 1
    assert tasks[0].due == timezone.localdate(data_request.created) + timedelta(days=30)
    assert not [t for t in inbox.tasks_for(steward_b) if t.subject == data_request]


def test_the_person_choices_are_role_holders_grouped_by_organisation(admin_client, org_a, steward_a, outsider):
    data_request = DataRequest.objects.create(**REQUEST)
    text = admin_client.get(reverse("portal:triage_detail", args=[data_request.pk])).content.decode()
    assert f'<optgroup label="{org_a.name}">' in text
    assert f'value="{steward_a.pk}"' in text
    assert f'value="{outsider.pk}"' not in text


def test_an_answered_request_leaves_the_inbox(admin_client, org_a, steward_a):
    data_request = DataRequest.objects.create(**REQUEST)
    triage(admin_client, data_request, status="open", organisation=org_a.pk, assignee=steward_a.pk)
    triage(admin_client, data_request, status="declined", answer="Nein.", decline_ground="PERSONAL_DATA",
           organisation=org_a.pk, assignee=steward_a.pk)  # fmt: skip
    assert not [t for t in inbox.tasks_for(steward_a) if t.subject == data_request]


def test_the_inbox_lists_requests_in_one_query(org_a, steward_a, django_assert_num_queries):
    make_role_holder("steward-a2", Role.STEWARD, org_a)
    for index in range(3):
        DataRequest.objects.create(title=f"Anfrage Nummer {index} nach Daten", description="x",
                                   organisation=org_a, assignee=steward_a)  # fmt: skip
    from portal import inbox as portal_inbox

    with django_assert_num_queries(1):
        assert len(portal_inbox.tasks_for(steward_a)) == 3


# ---------------------------------------------------------------------------
# Titles that say what is wished for


@pytest.mark.parametrize("title", ["Radwege", "Bäume Lindenau", "Daten zu x"])
def test_titles_of_fewer_than_three_words_or_15_characters_are_refused(client, title):
    response = client.post(reverse("portal:data_request_create"), {**REQUEST, "title": title})
    assert response.status_code == 200
    text = response.content.decode()
    assert "mindestens drei Wörtern" in text
    assert 'id="id_title_error"' in text
    assert not DataRequest.objects.exists()


def test_a_title_of_three_words_is_accepted(client):
    response = client.post(reverse("portal:data_request_create"), {**REQUEST, "title": "Standorte der Stadtbäume"})
    assert response.status_code == 302
    assert DataRequest.objects.get().status == DataRequestStatus.OPEN
