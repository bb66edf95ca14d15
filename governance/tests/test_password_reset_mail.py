"""Password reset mail: sent by the worker, never in the request, and rate-limited per
address and per client, with the same answer whether an account exists or not."""

import re
import smtplib
import socket
import threading

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.cache import cache

from conftest import make_user

pytestmark = pytest.mark.django_db

URL = "/konto/passwort-vergessen/"
DONE = "/konto/passwort-vergessen/gesendet/"


@pytest.fixture(autouse=True)
def empty_cache():
    # The rate limits count in the cache; no count may carry over from another test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def limits(settings):
    settings.PASSWORD_RESET_ADDRESS_LIMIT = (3, 3600)
    settings.PASSWORD_RESET_CLIENT_LIMIT = (10, 3600)
    return settings


def ask(client, email, *, ip="198.51.100.1"):
    return client.post(URL, {"email": email}, REMOTE_ADDR=ip)


def test_the_view_only_enqueues_the_task_and_the_worker_sends_a_mail_with_a_working_link(
    client, steward_a, django_capture_on_commit_callbacks
):
    steward_a.email = "steward@stadt-a.example"
    steward_a.save()

    with django_capture_on_commit_callbacks() as callbacks:
        response = ask(client, "Steward@Stadt-A.example")

    assert (response.status_code, response["Location"]) == (302, DONE)
    assert mail.outbox == [], "no mail is sent inside the request"
    assert [callback.func.__self__.name for callback in callbacks] == ["governance.tasks.send_password_reset_mail"]
    callbacks[0]()  # the commit: enqueues the task, which runs eagerly in the tests
    assert [message.to for message in mail.outbox] == [["steward@stadt-a.example"]]
    assert mail.outbox[0].subject == "Stadtdaten: Neues Passwort festlegen"
    link = re.search(r"https?://[^/]+(/konto/passwort-neu/\S+/)", mail.outbox[0].body).group(1)
    assert client.get(link, follow=True).context["validlink"]


def test_the_task_message_holds_no_reset_token(client, steward_a, django_capture_on_commit_callbacks):
    # The worker makes the token itself: a broker (Redis) never sees a valid reset link.
    steward_a.email = "steward@stadt-a.example"
    steward_a.save()
    with django_capture_on_commit_callbacks() as callbacks:
        ask(client, "steward@stadt-a.example")
    assert callbacks[0].args == ("steward@stadt-a.example", "de")


def test_more_requests_for_one_address_than_the_limit_send_only_the_limit(
    client, limits, steward_a, django_capture_on_commit_callbacks
):
    steward_a.email = "steward@stadt-a.example"
    steward_a.save()

    with django_capture_on_commit_callbacks(execute=True):
        # From four different clients, so only the address limit applies.
        responses = [ask(client, "steward@stadt-a.example", ip=f"198.51.100.{n}") for n in range(1, 5)]

    assert len(mail.outbox) == 3
    # Over the limit the answer is the same as below it: nothing tells whether mail went out.
    assert {(response.status_code, response["Location"]) for response in responses} == {(302, DONE)}


def test_one_client_asking_for_many_addresses_is_stopped_at_its_limit(
    client, limits, django_capture_on_commit_callbacks
):
    limits.PASSWORD_RESET_CLIENT_LIMIT = (3, 3600)
    for number in range(5):
        make_user(f"person-{number}", email=f"person-{number}@stadt-a.example")

    with django_capture_on_commit_callbacks(execute=True):
        responses = [ask(client, f"person-{number}@stadt-a.example") for number in range(5)]

    assert len(mail.outbox) == 3
    assert [response.status_code for response in responses] == [302, 302, 302, 429, 429]
    page = responses[-1].content.decode()
    assert "Von Ihrem Anschluss kamen in kurzer Zeit zu viele Anfragen für ein neues Passwort" in page
    # Another client is not affected.
    with django_capture_on_commit_callbacks(execute=True):
        assert ask(client, "person-4@stadt-a.example", ip="192.0.2.7").status_code == 302
    assert len(mail.outbox) == 4


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, limits, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, "niemand@example.org")
    assert (response.status_code, response["Location"]) == (302, DONE)
    assert mail.outbox == []


def test_the_limits_keep_no_address_in_clear(client, limits, steward_a):
    steward_a.email = "steward@stadt-a.example"
    steward_a.save()
    ask(client, "steward@stadt-a.example")
    keys = list(cache._cache)  # the test cache is LocMem
    assert keys, "the request was counted"
    assert not [key for key in keys if "steward" in key or "stadt-a" in key]


@pytest.fixture
def closing_smtp_server():
    """A loopback server that accepts connections and closes them at once (an SMTP server
    that is down), counting how often it was contacted."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    contacts, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                connection, _address = server.accept()
            except TimeoutError:
                continue
            contacts.append(1)
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], contacts
    stop.set()
    thread.join(timeout=5)
    server.close()


def test_the_task_tries_again_when_the_mail_server_drops_the_connection(settings, steward_a, closing_smtp_server):
    from governance.tasks import send_password_reset_mail

    port, contacts = closing_smtp_server
    steward_a.email = "steward@stadt-a.example"
    steward_a.save()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5

    # Eager (the test settings), a retry surfaces as Retry; a worker would run it again later.
    with pytest.raises(Retry) as retry:
        send_password_reset_mail.delay("steward@stadt-a.example")

    assert isinstance(retry.value.exc, smtplib.SMTPServerDisconnected)
    assert len(contacts) == 1
