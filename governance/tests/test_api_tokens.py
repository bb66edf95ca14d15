"""Personal API tokens: created and revoked by their owner under /konto/api-zugaenge/,
shown once, stored as a hash, accepted in every header form clients send, refused
with 401 once revoked or expired, and journaled."""

import hashlib
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from conftest import make_role_holder
from governance import services
from governance.models import ApiToken, AuditEvent, Role

API_URL = "/api/v1/policy-documents/"  # needs a login: any role holder may read it


@pytest.fixture
def token_of(db):
    def create(user, **kwargs):
        kwargs.setdefault("name", "Abgleich")
        kwargs.setdefault("valid_days", 30)
        return services.create_api_token(user, **kwargs)

    return create


def later(monkeypatch, **delta):
    """Move the clock forward for everything that asks django.utils.timezone."""
    moved = timezone.now() + timedelta(**delta)
    monkeypatch.setattr(timezone, "now", lambda: moved)
    return moved


# ---------------------------------------------------------------------------
# The pages under /konto/


def test_a_new_token_is_shown_once_and_only_its_hash_is_stored(client_for, steward_a):
    client = client_for(steward_a)
    response = client.post("/konto/api-zugaenge/neu/", {"name": "Abgleich GovData", "valid_days": "90"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = response.context["secret"]
    assert secret.startswith("sdt_")
    assert len(secret) > 40
    assert secret in response.content.decode()

    token = ApiToken.objects.get(user=steward_a)
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:12]
    stored = [str(getattr(token, field.attname)) for field in ApiToken._meta.concrete_fields]
    stored += [str(value) for row in token.history.values() for value in row.values()]
    assert not any(secret in value for value in stored)
    assert timedelta(days=89, hours=23) < token.expires_at - timezone.now() <= timedelta(days=90)

    listing = client.get("/konto/api-zugaenge/").content.decode()
    assert "Abgleich GovData" in listing
    assert token.prefix in listing
    assert secret not in listing


def test_an_unlimited_token_has_no_expiry(client_for, steward_a):
    client_for(steward_a).post("/konto/api-zugaenge/neu/", {"name": "Dauerläufer", "valid_days": "0"})
    assert ApiToken.objects.get(user=steward_a).expires_at is None


def test_a_token_needs_a_name_and_a_known_lifetime(client_for, steward_a):
    response = client_for(steward_a).post("/konto/api-zugaenge/neu/", {"name": "  ", "valid_days": "7"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "valid_days"}
    assert not ApiToken.objects.exists()


def test_people_see_and_revoke_only_their_own_tokens(client_for, steward_a, steward_b, token_of):
    mine, _secret = token_of(steward_a, name="Mein Token")
    theirs, _secret = token_of(steward_b, name="Fremdes Token")
    client = client_for(steward_a)

    page = client.get("/konto/api-zugaenge/").content.decode()
    assert "Mein Token" in page
    assert "Fremdes Token" not in page

    assert client.post(f"/konto/api-zugaenge/{theirs.pk}/widerrufen/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None

    response = client.post(f"/konto/api-zugaenge/{mine.pk}/widerrufen/", follow=True)
    assert "wurde widerrufen" in response.content.decode()
    mine.refresh_from_db()
    assert mine.revoked_at is not None
    assert client.get(f"/konto/api-zugaenge/{mine.pk}/widerrufen/").status_code == 405


def test_the_token_pages_need_a_login_and_csrf(steward_a, token_of):
    anonymous = Client()
    assert anonymous.get("/konto/api-zugaenge/")["Location"].startswith("/konto/anmelden/")

    token, _secret = token_of(steward_a)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(steward_a)
    assert strict.get("/konto/api-zugaenge/").status_code == 200
    assert strict.post("/konto/api-zugaenge/neu/", {"name": "x", "valid_days": "30"}).status_code == 403
    assert strict.post(f"/konto/api-zugaenge/{token.pk}/widerrufen/").status_code == 403
    assert ApiToken.objects.count() == 1
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_user_menu_links_the_token_page(client_for, outsider):
    assert 'href="/konto/api-zugaenge/"' in client_for(outsider).get("/konto/passwort/").content.decode()


def test_the_number_of_active_tokens_is_limited(client_for, steward_a, token_of):
    tokens = [token_of(steward_a, name=f"Token {n}")[0] for n in range(services.API_TOKEN_LIMIT)]
    response = client_for(steward_a).post("/konto/api-zugaenge/neu/", {"name": "eins zu viel", "valid_days": "30"})
    assert response.status_code == 400
    assert "bereits 20 aktive API-Token" in response.content.decode()

    services.revoke_api_token(tokens[0], by=steward_a)
    token, _secret = token_of(steward_a, name="wieder Platz")
    assert token.is_active()


def test_creation_and_revocation_are_journaled_without_the_hash(steward_a, token_of):
    token, _secret = token_of(steward_a)
    services.revoke_api_token(token, by=steward_a)
    events = list(AuditEvent.objects.filter(object_id=str(token.pk), content_type__model="apitoken").order_by("seq"))
    assert [(event.action, event.reason, event.actor_id) for event in events] == [
        ("create", "governance.api_token.created", steward_a.pk),
        ("update", "governance.api_token.revoked", steward_a.pk),
    ]
    assert "key_hash" not in events[0].data["snapshot"]
    assert "revoked_at" in events[1].data["changes"]
    with pytest.raises(services.GovernanceError, match="bereits widerrufen"):
        services.revoke_api_token(token, by=steward_a)


# ---------------------------------------------------------------------------
# Authentication


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(lambda s: {"HTTP_AUTHORIZATION": f"Bearer {s}"}, id="bearer"),
        pytest.param(lambda s: {"HTTP_AUTHORIZATION": f"Token {s}"}, id="token"),
        pytest.param(lambda s: {"HTTP_AUTHORIZATION": s}, id="bare, as ckanapi sends it"),
        pytest.param(lambda s: {"HTTP_X_CKAN_API_KEY": s}, id="x-ckan-api-key"),
    ],
)
def test_every_header_form_authenticates(client, steward_a, token_of, headers):
    _token, secret = token_of(steward_a)
    assert client.get(API_URL).status_code == 401
    response = client.get(API_URL, **headers(secret))
    assert response.status_code == 200


def test_ckanapi_headers_authenticate(client, steward_a, token_of):
    """What ckanapi.RemoteCKAN(apikey=…) puts on a request, taken from ckanapi itself."""
    from ckanapi.common import prepare_action

    _token, secret = token_of(steward_a)
    _url, _data, headers = prepare_action("package_list", apikey=secret)
    meta = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}
    assert client.get(API_URL, **meta).status_code == 200


def test_requests_without_credentials_get_401_with_the_scheme(client, db):
    response = client.get(API_URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        pytest.param(lambda token, secret: (token, secret + "x"), "Unbekanntes API-Token", id="unknown"),
        pytest.param(
            lambda token, secret: (services.revoke_api_token(token, by=token.user), secret),
            "wurde widerrufen",
            id="revoked",
        ),
    ],
)
def test_a_refused_token_gets_401_and_says_why(client, steward_a, token_of, spoil, message):
    token, secret = token_of(steward_a)
    _token, secret = spoil(token, secret)
    response = client.get(API_URL, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401
    assert message in response.json()["detail"]


def test_a_token_expires_when_its_time_is_up(client, steward_a, token_of, monkeypatch):
    _token, secret = token_of(steward_a, valid_days=30)
    later(monkeypatch, days=29, hours=23)
    assert client.get(API_URL, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    later(monkeypatch, days=30, minutes=1)
    response = client.get(API_URL, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401
    assert "abgelaufen" in response.json()["detail"]


def test_a_deactivated_account_cannot_use_its_tokens(client, steward_a, token_of):
    _token, secret = token_of(steward_a)
    steward_a.is_active = False
    steward_a.save()
    response = client.get(API_URL, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401
    assert "deaktiviert" in response.json()["detail"]


def test_a_malformed_header_is_refused(client, steward_a, token_of):
    _token, secret = token_of(steward_a)
    assert client.get(API_URL, HTTP_AUTHORIZATION="Bearer").status_code == 401
    assert client.get(API_URL, HTTP_AUTHORIZATION=f"Bearer {secret} {secret}").status_code == 401
    # Another scheme is not ours: the request stays anonymous.
    assert client.get(API_URL, HTTP_AUTHORIZATION="Basic c3RldmFyZDpwdw==").status_code == 401


def test_the_last_use_is_stamped_at_most_once_a_minute_without_history(
    client, steward_a, token_of, monkeypatch, django_assert_num_queries
):
    token, secret = token_of(steward_a)
    history_rows = token.history.count()
    assert token.last_used_at is None
    client.get(API_URL, HTTP_AUTHORIZATION=f"Bearer {secret}")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None

    later(monkeypatch, seconds=30)
    # the token with its user; the role check; the (empty) document list. No write:
    # the last use was stamped less than a minute ago.
    with django_assert_num_queries(3):
        client.get(API_URL, HTTP_AUTHORIZATION=f"Bearer {secret}")
    token.refresh_from_db()
    assert token.last_used_at == first

    moved = later(monkeypatch, minutes=2)
    client.get(API_URL, HTTP_AUTHORIZATION=f"Bearer {secret}")
    token.refresh_from_db()
    assert token.last_used_at == moved
    assert token.history.count() == history_rows


def test_writes_through_a_token_are_journaled_under_its_owner(client, org_a, org_a_department, token_of):
    """Moving a unit out of A ends A's admin's role there; the journal names who did it."""
    admin = make_role_holder("admin-token", Role.GOVERNANCE_ADMIN, org_a)
    _token, secret = token_of(admin)
    response = client.patch(
        f"/api/v1/organisations/{org_a_department.slug}/",
        {"parent": None, "version": org_a_department.version},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 200, response.content
    change = AuditEvent.objects.filter(reason="governance.organisation.changed").latest("seq")
    permissions = AuditEvent.objects.filter(reason="governance.permissions.synced").latest("seq")
    assert change.actor_id == admin.pk
    assert permissions.seq > change.seq
    assert permissions.actor_id == admin.pk
