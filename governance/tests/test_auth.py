import re

from django.core import mail

from conftest import PASSWORD


def test_a_steward_logs_in_and_lands_on_the_task_list(client, steward_a):
    response = client.post("/konto/anmelden/", {"username": "steward-a", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/intern/"
    assert response.context["user"] == steward_a


def test_five_failed_logins_lock_the_account_on_that_address(client, steward_a):
    for _attempt in range(4):
        response = client.post("/konto/anmelden/", {"username": "steward-a", "password": "falsch"})
        assert response.status_code == 200
        assert "Beide Felder berücksichtigen die Groß-/Kleinschreibung" in response.content.decode()
    fifth = client.post("/konto/anmelden/", {"username": "steward-a", "password": "falsch"})
    assert fifth.status_code == 429

    locked = client.post("/konto/anmelden/", {"username": "steward-a", "password": PASSWORD})

    assert locked.status_code == 429
    assert "Bitte versuchen Sie es in 15 Minuten erneut" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_lockout_does_not_lock_out_other_people(client, steward_a, steward_b):
    for _attempt in range(6):
        client.post("/konto/anmelden/", {"username": "steward-a", "password": "falsch"})
    response = client.post("/konto/anmelden/", {"username": "steward-b", "password": PASSWORD})
    assert response.status_code == 302


def test_logout_needs_a_post(client_for, steward_a):
    client = client_for(steward_a)
    assert client.get("/konto/abmelden/").status_code == 405
    client.post("/konto/abmelden/")
    assert client.get("/intern/").status_code == 302


def test_password_reset_sends_a_german_mail_with_a_working_link(client, steward_a, django_capture_on_commit_callbacks):
    steward_a.email = "steward@stadt-a.example"
    steward_a.save()

    # The mail task is enqueued on commit and runs eagerly in the tests.
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/konto/passwort-vergessen/", {"email": "steward@stadt-a.example"})

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["steward@stadt-a.example"]
    assert "Passwort" in message.subject
    link = re.search(r"https?://[^/]+(/konto/passwort-neu/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "ein-neues-langes-Passwort-42", "new_password2": "ein-neues-langes-Passwort-42"},
    )
    assert done.status_code == 302
    login = client.post("/konto/anmelden/", {"username": "steward-a", "password": "ein-neues-langes-Passwort-42"})
    assert login.status_code == 302


def test_password_reset_does_not_reveal_unknown_addresses(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/konto/passwort-vergessen/", {"email": "niemand@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []
