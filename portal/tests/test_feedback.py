"""Data requests, votes and comments: spam protection, rate limits, staff triage and
moderation, history and audit."""

import pytest
from django.core import mail
from django.urls import reverse

from governance.models import AuditEvent
from portal.models import Comment, CommentStatus, DataRequest, DataRequestStatus, Vote

pytestmark = pytest.mark.django_db

REQUEST = {"title": "Parkhausbelegung in Echtzeit", "description": "Für eine App, die freie Plätze zeigt."}


def test_a_data_request_is_received_confirmed_by_mail_and_listed(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:data_request_create"), {**REQUEST, "email": "ich@example.org"})
    data_request = DataRequest.objects.get()
    assert response.status_code == 302
    # Issue 22: to the thanks page (the receipt); the request is public only once triaged.
    assert response["Location"] == reverse("portal:data_request_thanks")
    assert data_request.status == DataRequestStatus.OPEN
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ich@example.org"]
    assert data_request.get_absolute_url() in mail.outbox[0].body
    assert "Parkhausbelegung in Echtzeit" not in client.get(reverse("portal:data_request_list")).content.decode()
    data_request.status = DataRequestStatus.IN_PROGRESS
    data_request.save()
    listing = client.get(reverse("portal:data_request_list")).content.decode()
    assert "Parkhausbelegung in Echtzeit" in listing
    assert "ich@example.org" not in listing
    assert "ich@example.org" not in client.get(data_request.get_absolute_url()).content.decode()
    # The history (and so the audit journal) never holds the address.
    assert not hasattr(data_request.history.first(), "email")
    assert AuditEvent.objects.filter(object_repr=data_request.title).exists()


def test_the_honeypot_swallows_spam_silently(client):
    response = client.post(reverse("portal:data_request_create"), {**REQUEST, "website": "http://spam.example"})
    assert response.status_code == 302
    assert not DataRequest.objects.exists()


def test_data_requests_are_rate_limited_per_address(client, settings):
    url = reverse("portal:data_request_create")
    for _index in range(5):
        assert client.post(url, REQUEST).status_code == 302
    response = client.post(url, REQUEST)
    assert response.status_code == 429
    assert "zu viele Datenwünsche" in response.content.decode()
    assert DataRequest.objects.count() == 5
    # Another address is not affected.
    assert client.post(url, REQUEST, REMOTE_ADDR="192.0.2.7").status_code == 302


@pytest.fixture
def admin_client(client_for, admin_a):
    return client_for(admin_a)


def test_staff_triage_a_request_to_published_and_declined(admin_client, admin_a, published, client):
    data_request = DataRequest.objects.create(**REQUEST)
    url = reverse("portal:triage_detail", args=[data_request.pk])
    assert admin_client.get(url).status_code == 200

    # Published needs a published dataset.
    response = admin_client.post(url, {"status": "published", "answer": "Gibt es jetzt."})
    assert response.status_code == 200
    assert "veröffentlichten Datensatz" in response.content.decode()
    response = admin_client.post(url, {"status": "published", "answer": "Gibt es jetzt.", "dataset": published.pk})
    assert response.status_code == 302
    data_request.refresh_from_db()
    assert data_request.status == DataRequestStatus.PUBLISHED
    assert data_request.answered_at is not None
    public = client.get(data_request.get_absolute_url()).content.decode()
    assert "Gibt es jetzt." in public
    assert reverse("portal:dataset_detail", args=[published.name]) in public

    # Declined needs an exclusion ground of the vocabulary and an answer.
    response = admin_client.post(url, {"status": "declined", "answer": "Nicht möglich."})
    assert "Ausschlussgrund" in response.content.decode()
    admin_client.post(url, {"status": "declined", "answer": "Nicht möglich.", "decline_ground": "PERSONAL_DATA"})
    data_request.refresh_from_db()
    assert (data_request.status, data_request.decline_ground, data_request.dataset) == (
        "declined",
        "PERSONAL_DATA",
        None,
    )
    assert "personenbezogener Daten" in client.get(data_request.get_absolute_url()).content.decode()
    assert [h.history_user for h in data_request.history.all()[:2]] == [admin_a, admin_a]


def test_only_stewards_and_governance_admins_triage(client, client_for, outsider, owner_a):
    data_request = DataRequest.objects.create(**REQUEST)
    url = reverse("portal:triage_detail", args=[data_request.pk])
    assert client.get(url).status_code == 302  # to the login
    assert client_for(outsider).get(url).status_code == 403
    assert client_for(owner_a).get(url).status_code == 403


# ---------------------------------------------------------------------------
# Votes and comments


def test_one_vote_per_browser(client, published):
    url = reverse("portal:vote", args=[published.name])
    client.post(url)
    client.post(url)
    assert Vote.objects.filter(dataset=published).count() == 1
    other = type(client)()
    other.post(url)
    assert Vote.objects.filter(dataset=published).count() == 2


def test_votes_are_rate_limited(client, published, settings):
    url = reverse("portal:vote", args=[published.name])
    for _index in range(30):
        type(client)().post(url, REMOTE_ADDR="192.0.2.9")
    type(client)().post(url, REMOTE_ADDR="192.0.2.9")
    assert Vote.objects.count() == 30


def test_comments_appear_only_after_approval(client, client_for, steward_a, steward_b, published):
    page = reverse("portal:dataset_detail", args=[published.name])
    client.post(reverse("portal:comment", args=[published.name]), {"name": "Kim", "text": "Bitte auch Baumhöhen."})
    comment = Comment.objects.get()
    assert comment.status == CommentStatus.PENDING
    assert "Bitte auch Baumhöhen." not in client.get(page).content.decode()

    # Stewards of another organisation neither see nor moderate it.
    other = client_for(steward_b)
    assert "Bitte auch Baumhöhen." not in other.get(reverse("portal:comment_moderation")).content.decode()
    assert (
        other.post(reverse("portal:comment_moderation"), {"comment": comment.pk, "decision": "approve"}).status_code
        == 404
    )

    moderator = client_for(steward_a)
    assert "Bitte auch Baumhöhen." in moderator.get(reverse("portal:comment_moderation")).content.decode()
    moderator.post(reverse("portal:comment_moderation"), {"comment": comment.pk, "decision": "approve"})
    comment.refresh_from_db()
    assert comment.status == CommentStatus.APPROVED
    client.logout()
    assert "Bitte auch Baumhöhen." in type(client)().get(page).content.decode()
    assert AuditEvent.objects.filter(reason="portal.comment.approved").exists()


def test_comment_spam_and_rate_limit(client, published):
    url = reverse("portal:comment", args=[published.name])
    client.post(url, {"text": "Kaufen Sie!", "website": "x"})
    assert not Comment.objects.exists()
    for index in range(6):
        client.post(url, {"text": f"Kommentar {index}"})
    assert Comment.objects.count() == 5
