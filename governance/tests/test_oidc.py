"""Single sign-on through OpenID Connect against a real provider (governance/tests/oidc:
panva's oidc-provider on node, on a loopback port): the whole authorization code flow with
PKCE, the provider's own keys, tokens, login page, end_session and back-channel logout.
The relying party is Django's live server, so the provider can redirect and POST back."""

import time
from importlib import import_module

import pytest
import requests
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.contenttypes.models import ContentType

from conftest import PASSWORD, make_organisation, make_role_holder, make_user
from governance import services
from governance.models import (
    Account,
    AuditEvent,
    OidcGroupRole,
    OidcIdentity,
    OidcRoleGrant,
    OidcSession,
    Role,
    RoleAssignment,
)
from governance.tests import oidc
from governance.tests.oidc import CLIENT_ID, follow, messages_on, sign_in_at_provider, signed_in

pytestmark = pytest.mark.django_db(transaction=True)

# The provider and SSO pointed at it (shared with test_oidc_browser.py).
oidc_provider = oidc.oidc_provider
sso = oidc.sso

LOGOUT_EVENT = {"http://schemas.openid.net/event/backchannel-logout": {}}


@pytest.fixture
def stadt(db):
    return make_organisation("stadt-a", name="Stadt A")


def erika(**claims):
    return {
        "erika": {
            "sub": "sub-erika-0001",
            "name": "Erika Mustermann",
            "email": "erika@stadt-a.example",
            "organisation": "stadt-a",
            "groups": [],
            **claims,
        }
    }


def page_after(http, response) -> str:
    """The text of the page a refused sign-in ends on (our login page with the message)."""
    assert response.is_redirect, response.status_code
    landing = follow(http, response)
    assert landing.url.endswith("/konto/anmelden/"), landing.url
    return messages_on(landing.text)


def test_sign_in_creates_and_then_updates_the_account_from_the_claims(sso, stadt):
    # A local account with the same e-mail is not taken over: the match is issuer + sub.
    local = make_user("erika-lokal", home=stadt, email="erika@stadt-a.example")
    sso.configure(people=erika())
    http = requests.Session()

    landing = sign_in_at_provider(http, sso.rp, "erika")

    assert landing.status_code in (200, 403)
    assert landing.url.startswith(sso.rp)
    assert signed_in(http, sso.rp)
    identity = OidcIdentity.objects.select_related("user").get(issuer=sso.issuer, subject="sub-erika-0001")
    user = identity.user
    assert user != local
    assert (user.first_name, user.last_name, user.email) == ("Erika", "Mustermann", "erika@stadt-a.example")
    assert Account.objects.get(user=user).home_organisation == stadt
    assert not user.has_usable_password()
    assert OidcSession.objects.filter(user=user, subject="sub-erika-0001").exclude(sid="").exists()

    sso.configure(people=erika(name="Erika Musterfrau", email="e.musterfrau@stadt-a.example"))
    sign_in_at_provider(requests.Session(), sso.rp, "erika")

    user.refresh_from_db()
    assert (user.last_name, user.email) == ("Musterfrau", "e.musterfrau@stadt-a.example")
    assert OidcIdentity.objects.count() == 1
    local.refresh_from_db()
    assert local.email == "erika@stadt-a.example"


def test_an_id_token_signed_with_es256_is_accepted_when_configured(sso, stadt, settings):
    settings.OIDC_RP_CLIENT_ID = f"{CLIENT_ID}-es256"
    settings.OIDC_RP_SIGN_ALGO = "ES256"
    sso.configure(people=erika())
    http = requests.Session()

    sign_in_at_provider(http, sso.rp, "erika")

    assert signed_in(http, sso.rp)
    assert OidcIdentity.objects.filter(subject="sub-erika-0001").exists()


def test_an_id_token_with_another_algorithm_than_configured_is_refused(sso, stadt, settings):
    settings.OIDC_RP_SIGN_ALGO = "ES256"  # the provider signs this client's tokens with RS256
    sso.configure(people=erika())
    http = requests.Session()

    answer = sign_in_at_provider(http, sso.rp, "erika", stop_at_callback=True)

    assert "nicht mit dem vereinbarten Verfahren signiert" in page_after(
        http, http.get(answer.stop_target, allow_redirects=False)
    )
    assert not signed_in(http, sso.rp)


def test_group_mapping_grants_roles_and_takes_back_only_its_own(sso, stadt):
    abteilung = make_organisation("stadt-a-amt", name="Amt", parent=stadt)
    OidcGroupRole.objects.create(group="dg-admins", organisation=stadt, role=Role.GOVERNANCE_ADMIN)
    OidcGroupRole.objects.create(group="datenpflege", organisation=abteilung, role=Role.STEWARD)
    sso.configure(people=erika(groups=["dg-admins", "datenpflege", "kantine"]))
    sign_in_at_provider(requests.Session(), sso.rp, "erika")
    user = OidcIdentity.objects.get(subject="sub-erika-0001").user
    # A role given in Stadtdaten itself stays whatever the groups say.
    own = services.assign_role(user, Role.OWNER, stadt, by=None)

    def roles():
        return set(RoleAssignment.objects.active().filter(user=user).values_list("organisation__slug", "role"))

    assert roles() == {("stadt-a", "governance_admin"), ("stadt-a-amt", "steward"), ("stadt-a", "owner")}
    assert OidcRoleGrant.objects.filter(assignment__user=user).count() == 2
    assert user.has_perm(Role.GOVERNANCE_ADMIN.permission, stadt)

    sso.configure(people=erika(groups=["datenpflege"]))
    sign_in_at_provider(requests.Session(), sso.rp, "erika")

    assert roles() == {("stadt-a-amt", "steward"), ("stadt-a", "owner")}
    assert RoleAssignment.objects.get(user=user, role=Role.GOVERNANCE_ADMIN).revoked_at is not None
    own.refresh_from_db()
    assert own.revoked_at is None
    user = get_user_model().objects.get(pk=user.pk)
    assert not user.has_perm(Role.GOVERNANCE_ADMIN.permission, stadt)


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("bad-signature", "Die Signatur der Anmeldebestätigung ist ungültig."),
        ("wrong-audience", "Die Anmeldebestätigung ist nicht für Stadtdaten ausgestellt."),
        ("expired", "Die Anmeldebestätigung ist abgelaufen."),
    ],
)
def test_a_token_the_checks_refuse_ends_on_the_login_page_with_the_reason(sso, stadt, mode, reason):
    sso.configure(mode=mode, people=erika())
    http = requests.Session()

    answer = sign_in_at_provider(http, sso.rp, "erika", stop_at_callback=True)
    callback = http.get(answer.stop_target, allow_redirects=False)

    assert callback.status_code == 302
    text = page_after(http, callback)
    assert "Anmeldung abgelehnt" in text
    assert reason in text
    assert AccessAttempt.objects.filter(path_info="/oidc/callback/").count() == 1  # a failed sign-in (django-axes)
    assert not signed_in(http, sso.rp)
    assert not OidcIdentity.objects.exists()
    assert not get_user_model().objects.filter(email="erika@stadt-a.example").exists()


def test_a_replayed_state_is_refused(sso, stadt):
    sso.configure(people=erika())
    http = requests.Session()
    answer = sign_in_at_provider(http, sso.rp, "erika", stop_at_callback=True)
    callback_url = answer.stop_target

    # Someone else replaying the answer in their own session gets nowhere.
    attacker = requests.Session()
    refused = attacker.get(callback_url, allow_redirects=False)
    assert "schon verwendet" in page_after(attacker, refused)
    assert not signed_in(attacker, sso.rp)

    assert http.get(callback_url, allow_redirects=False).status_code == 302
    assert signed_in(http, sso.rp)
    http.post(f"{sso.rp}/konto/abmelden/", headers=csrf(http, sso.rp), allow_redirects=False)
    assert not signed_in(http, sso.rp)

    # The same answer a second time in the session it belonged to: the state is used up.
    replay = http.get(callback_url, allow_redirects=False)
    assert "schon verwendet" in page_after(http, replay)
    assert not signed_in(http, sso.rp)


def csrf(http, relying_party) -> dict:
    http.get(f"{relying_party}/konto/anmelden/", timeout=15)
    token = http.cookies.get("csrftoken")
    return {"X-CSRFToken": token, "Referer": f"{relying_party}/"}


def confirm_logout_at_provider(http, provider, address):
    """Open the provider's logout page and say yes, as the person would."""
    page = follow(http, http.get(address, allow_redirects=False))
    xsrf = page.text.split('name="xsrf" value="')[1].split('"')[0]
    answer = http.post(f"{provider.issuer}/session/end/confirm", data={"xsrf": xsrf, "logout": "yes"})
    return follow(http, answer)


def test_logout_ends_the_session_here_and_at_the_provider(sso, stadt):
    sso.configure(people=erika())
    http = requests.Session()
    sign_in_at_provider(http, sso.rp, "erika")
    assert signed_in(http, sso.rp)

    answer = http.post(f"{sso.rp}/konto/abmelden/", headers=csrf(http, sso.rp), allow_redirects=False)

    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(f"{sso.issuer}/session/end?id_token_hint=")
    assert not signed_in(http, sso.rp)
    assert not OidcSession.objects.exists()
    done = confirm_logout_at_provider(http, sso, answer.headers["Location"])
    assert done.url == f"{sso.rp}/"
    # The provider's session is over too: the next sign-in asks for the password again.
    page = follow(http, http.get(f"{sso.rp}/oidc/anmelden/", allow_redirects=False))
    assert "Kennwort" in page.text


def test_back_channel_logout_from_the_provider_ends_the_session(sso, stadt):
    sso.configure(people=erika())
    http = requests.Session()
    sign_in_at_provider(http, sso.rp, "erika")
    other = requests.Session()  # another person, untouched
    sso.configure(people={**erika(), **erika_colleague()})
    sign_in_at_provider(other, sso.rp, "karl")
    assert signed_in(http, sso.rp)
    assert signed_in(other, sso.rp)

    # Erika signs out at the provider (another application's logout, say): it tells us.
    confirm_logout_at_provider(http, sso, f"{sso.issuer}/session/end")

    assert not signed_in(http, sso.rp), sso.messages()
    assert signed_in(other, sso.rp)
    assert list(OidcSession.objects.values_list("subject", flat=True)) == ["sub-karl-0002"]


def erika_colleague():
    return {"karl": {"sub": "sub-karl-0002", "name": "Karl Kollege", "email": "karl@stadt-a.example",
                     "organisation": "stadt-a", "groups": []}}  # fmt: skip


def test_back_channel_logout_refuses_bad_tokens_with_400(sso, stadt):
    sso.configure(people=erika())
    http = requests.Session()
    sign_in_at_provider(http, sso.rp, "erika")
    session = OidcSession.objects.get()
    endpoint = f"{sso.rp}/oidc/backchannel-logout/"
    now = int(time.time())
    good = {"iss": sso.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 120, "jti": "j1", "events": LOGOUT_EVENT}
    bad = [
        "kein-token",
        sso.sign({**good, "sid": session.sid, "nonce": "n"}),
        sso.sign({**good, "sid": session.sid, "events": {}}),
        sso.sign({**good, "sid": session.sid, "aud": "fremde-anwendung"}),
        sso.sign({**good, "sid": session.sid, "iss": "http://127.0.0.1:1"}),
        sso.sign({key: value for key, value in good.items() if key != "iat"} | {"sid": session.sid}),
        sso.sign(good),  # neither sid nor sub
    ]
    for token in bad:
        answer = requests.post(endpoint, data={"logout_token": token}, timeout=15)
        assert answer.status_code == 400, token
        assert signed_in(http, sso.rp)
    sso.configure(mode="bad-signature", people=erika())
    answer = requests.post(endpoint, data={"logout_token": sso.sign({**good, "sid": session.sid})}, timeout=15)
    assert answer.status_code == 400
    assert signed_in(http, sso.rp)

    sso.configure(people=erika())
    answer = requests.post(endpoint, data={"logout_token": sso.sign({**good, "sub": session.subject})}, timeout=15)
    assert answer.status_code == 200
    assert not signed_in(http, sso.rp)


def expire_refresh(http):
    """The refresh interval has passed for this browser's session."""
    store = import_module(django_settings.SESSION_ENGINE).SessionStore(session_key=http.cookies["sessionid"])
    store["oidc_id_token_expiration"] = 0
    store.save()


def test_a_person_removed_at_the_provider_loses_access_at_the_refresh_and_next_sign_in(sso, stadt):
    sso.configure(people=erika())
    http = requests.Session()
    sign_in_at_provider(http, sso.rp, "erika")
    expire_refresh(http)

    # A request of htmx inside the page is told to send the whole page to the provider.
    fragment = http.get(f"{sso.rp}/intern/", headers={"HX-Request": "true"}, allow_redirects=False)
    assert fragment.status_code == 204
    assert fragment.headers["HX-Redirect"].startswith(f"{sso.issuer}/auth?")
    # While the person is still there, the refresh goes through unseen.
    assert follow(http, http.get(f"{sso.rp}/intern/", allow_redirects=False)).url == f"{sso.rp}/intern/"
    assert signed_in(http, sso.rp)

    sso.configure(people={})
    expire_refresh(http)
    landing = follow(http, http.get(f"{sso.rp}/intern/", allow_redirects=False))

    assert landing.url == f"{sso.rp}/konto/anmelden/", sso.messages()
    assert "nicht mehr gültig" in messages_on(landing.text), sso.messages()
    assert not signed_in(http, sso.rp)
    answer = sign_in_at_provider(requests.Session(), sso.rp, "erika")
    assert answer.status_code == 200
    assert "Kennung oder Kennwort ist falsch" in answer.text


def test_local_login_off_except_for_break_glass(sso, stadt, client, settings):
    settings.OIDC_LOCAL_LOGIN = False
    settings.OIDC_BREAK_GLASS_USERS = ["notfall"]
    make_role_holder("notfall", Role.GOVERNANCE_ADMIN, stadt)
    make_user("bernd", home=stadt, email="bernd@stadt-a.example")

    page = client.get("/konto/anmelden/")
    assert "Mit dem Dienstkonto anmelden" in page.text
    assert "Notfallzugang" in page.text
    assert "Passwort vergessen?" not in page.text
    refused = client.post("/konto/anmelden/", {"username": "bernd", "password": PASSWORD})
    assert refused.status_code == 200
    assert "Die Anmeldung mit Passwort ist abgeschaltet" in refused.text
    assert "_auth_user_id" not in client.session
    allowed = client.post("/konto/anmelden/", {"username": "notfall", "password": PASSWORD})
    assert allowed.status_code == 302
    assert client.session["_auth_user_id"]


def test_an_sso_account_gets_no_password_reset(sso, stadt, settings):
    settings.OIDC_LOCAL_LOGIN = False
    # An older account with a password, now signed in through the provider.
    bernd = make_user("bernd", home=stadt, email="bernd@stadt-a.example")
    OidcIdentity.objects.create(user=bernd, issuer=sso.issuer, subject="sub-bernd")
    sso.configure(people={"bernd": {"sub": "sub-bernd", "name": "Bernd Brot", "email": "bernd@stadt-a.example"}})
    assert list(PasswordResetForm().get_users("bernd@stadt-a.example")) == [bernd]

    sign_in_at_provider(requests.Session(), sso.rp, "bernd")

    bernd.refresh_from_db()
    assert not bernd.has_usable_password()
    assert list(PasswordResetForm().get_users("bernd@stadt-a.example")) == []


def test_without_an_issuer_sso_is_off(client, db):
    assert not django_settings.OIDC_ISSUER
    page = client.get("/konto/anmelden/")
    assert "Mit dem Dienstkonto anmelden" not in page.text
    assert "Passwort vergessen?" in page.text
    assert client.get("/oidc/anmelden/").status_code == 404
    assert client.post("/oidc/backchannel-logout/", {"logout_token": "x"}).status_code == 404


def test_governance_admins_keep_the_mapping_and_it_is_journaled(stadt, client):
    admin = make_role_holder("admin-a", Role.GOVERNANCE_ADMIN, stadt)
    steward = make_role_holder("pflege-a", Role.STEWARD, stadt)
    client.force_login(steward)
    assert client.get("/intern/anmeldung/gruppen/").status_code == 403

    client.force_login(admin)
    assert client.get("/intern/anmeldung/gruppen/").status_code == 200
    added = client.post(
        "/intern/anmeldung/gruppen/", {"group": "dg-admins", "organisation": stadt.pk, "role": "governance_admin"}
    )
    assert added.status_code == 302
    mapping = OidcGroupRole.objects.get()
    assert mapping.created_by == admin
    assert "dg-admins" in client.get("/intern/anmeldung/gruppen/").text

    client.force_login(steward)
    assert client.post(f"/intern/anmeldung/gruppen/{mapping.pk}/entfernen/").status_code == 403
    client.force_login(admin)
    assert client.post(f"/intern/anmeldung/gruppen/{mapping.pk}/entfernen/").status_code == 302
    assert not OidcGroupRole.objects.exists()
    events = AuditEvent.objects.filter(content_type=ContentType.objects.get_for_model(OidcGroupRole))
    assert events.count() == 2
    assert set(events.values_list("organisation_id", flat=True)) == {stadt.pk}
