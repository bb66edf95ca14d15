"""Mail that anyone can trigger without an account (the data request confirmation): sent
by the worker after the commit, never in the request, and at most so many per address,
whoever asks (the client limit of data requests stays as it is)."""

import pytest
from django.core import mail
from django.urls import reverse, reverse_lazy

from portal.models import DataRequest

pytestmark = pytest.mark.django_db

REQUEST = {"title": "Parkhausbelegung in Echtzeit", "description": "Für eine App, die freie Plätze zeigt."}
API = reverse_lazy("portal-api:data-request-list")


def test_the_form_only_enqueues_the_confirmation(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("portal:data_request_create"), {**REQUEST, "email": "ich@example.org"})

    assert response.status_code == 302
    assert mail.outbox == [], "no mail is sent inside the request"
    assert [callback.func.__self__.name for callback in callbacks] == ["portal.tasks.send_data_request_confirmation"]
    callbacks[0]()
    assert [message.to for message in mail.outbox] == [["ich@example.org"]]


def test_confirmations_to_one_address_stop_at_the_limit_but_every_request_is_received(
    client, settings, django_capture_on_commit_callbacks
):
    settings.DATA_REQUEST_MAIL_ADDRESS_LIMIT = (3, 3600)
    url = reverse("portal:data_request_create")

    with django_capture_on_commit_callbacks(execute=True):
        # From four clients, each under its own limit; the address is the same, in any case.
        responses = [
            client.post(url, {**REQUEST, "email": email}, REMOTE_ADDR=f"198.51.100.{n}")
            for n, email in enumerate(["ich@example.org", "ICH@example.org", "ich@Example.org", "ich@example.org"])
        ]

    assert [response.status_code for response in responses] == [302] * 4
    assert DataRequest.objects.count() == 4
    assert len(mail.outbox) == 3


def test_the_api_shares_the_address_limit(client, settings, vocabularies, django_capture_on_commit_callbacks):
    settings.DATA_REQUEST_MAIL_ADDRESS_LIMIT = (1, 3600)
    wish = {**REQUEST, "email": "ich@example.org"}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("portal:data_request_create"), wish).status_code == 302
        response = client.post(API, wish, content_type="application/json", REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 201, response.content
    assert len(mail.outbox) == 1
