"""Single sign-on through OpenID Connect (README "Anmeldung über Single Sign-on"): the
provider's endpoints, the full check of its tokens, the account and the mapped roles at
each sign-in, the session refresh and the back-channel logout.

mozilla-django-oidc runs the authorization code flow (state, nonce, PKCE). What it leaves
out is added here: it checks the signature, `exp` and the nonce, but not `iss`, `aud` or
`azp`, has no leeway and lets a replayed state end in a 400; it matches accounts by e-mail,
here by issuer and `sub`. Every request to the provider goes through core.outbound."""

import logging
from importlib import import_module
from urllib.parse import urlencode, urlsplit

import jwt
import requests
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.deprecation import MiddlewareMixin
from django.utils.encoding import smart_str
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.middleware import SessionRefresh as BaseSessionRefresh

from core import outbound

from . import services
from .models import Account, OidcGroupRole, OidcIdentity, OidcRoleGrant, OidcSession, Organisation, Role, RoleAssignment

logger = logging.getLogger(__name__)

BACKEND = "governance.oidc.Backend"
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256")
DISCOVERY_SECONDS = 3600
ENDPOINTS = {
    "authorization_endpoint": "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "token_endpoint": "OIDC_OP_TOKEN_ENDPOINT",
    "userinfo_endpoint": "OIDC_OP_USER_ENDPOINT",
    "jwks_uri": "OIDC_OP_JWKS_ENDPOINT",
    "end_session_endpoint": "OIDC_OP_END_SESSION_ENDPOINT",
}


class Refused(PermissionDenied):
    """A sign-in or logout token the checks refuse; str() is the German reason."""


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


def issuer() -> str:
    return settings.OIDC_ISSUER.rstrip("/")


def http():
    return outbound.session(timeout=(5, 15))


def provider() -> dict:
    """The provider's endpoints: those set one by one, the others from its discovery
    document (kept an hour; its `issuer` must be the configured one)."""
    explicit = {name: getattr(settings, setting) for name, setting in ENDPOINTS.items()}
    required = [name for name in explicit if name != "end_session_endpoint"]
    if all(explicit[name] for name in required):
        return explicit
    key = f"oidc.discovery:{issuer()}"
    document = cache.get(key)
    if document is None:
        response = http().get(f"{issuer()}/.well-known/openid-configuration")
        response.raise_for_status()
        document = response.json()
        if str(document.get("issuer", "")).rstrip("/") != issuer():
            raise Refused(_("Das Discovery-Dokument nennt einen anderen Identitätsanbieter."))
        cache.set(key, document, DISCOVERY_SECONDS)
    return {name: value or str(document.get(name, "")) for name, value in explicit.items()}


def signing_key(token: str):
    """The key of the provider's JWKS that signed `token` (kid and alg must match)."""
    response = http().get(provider()["jwks_uri"])
    response.raise_for_status()
    header = jwt.get_unverified_header(token)
    for jwk in response.json().get("keys", []):
        if "kid" in header and jwk.get("kid") != smart_str(header["kid"]):
            continue
        if "alg" in jwk and jwk["alg"] != smart_str(header.get("alg")):
            continue
        if jwk.get("use", "sig") != "sig":
            continue
        return jwt.PyJWK(jwk)
    raise Refused(_("Der Identitätsanbieter veröffentlicht keinen Schlüssel zu dieser Signatur."))


def decode(token: str, *, require: list[str]) -> dict:
    """Check a token of the provider: the configured algorithm, the signature against its
    JWKS, `iss`, `aud` (our client id; with several audiences `azp` must be ours), `exp`
    and `iat` with OIDC_LEEWAY seconds of leeway. Raises Refused with the reason."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise Refused(_("Die Anmeldebestätigung des Identitätsanbieters ist unlesbar.")) from None
    algorithm = settings.OIDC_RP_SIGN_ALGO
    if header.get("alg") != algorithm or algorithm not in ALGORITHMS:
        raise Refused(_("Die Anmeldebestätigung ist nicht mit dem vereinbarten Verfahren signiert."))
    client_id = settings.OIDC_RP_CLIENT_ID
    try:
        claims = jwt.decode(
            token,
            signing_key(token),
            algorithms=[algorithm],
            audience=client_id,
            issuer=issuer(),
            leeway=settings.OIDC_LEEWAY,
            options={"require": require, "verify_iat": True},
        )
    except jwt.InvalidSignatureError:
        raise Refused(_("Die Signatur der Anmeldebestätigung ist ungültig.")) from None
    except jwt.ExpiredSignatureError:
        raise Refused(_("Die Anmeldebestätigung ist abgelaufen. Bitte melden Sie sich erneut an.")) from None
    except jwt.InvalidAudienceError:
        raise Refused(_("Die Anmeldebestätigung ist nicht für Stadtdaten ausgestellt.")) from None
    except jwt.InvalidIssuerError:
        raise Refused(_("Die Anmeldebestätigung stammt nicht vom eingestellten Identitätsanbieter.")) from None
    except jwt.ImmatureSignatureError:
        raise Refused(_("Die Anmeldebestätigung ist erst in der Zukunft gültig.")) from None
    except jwt.InvalidTokenError:
        raise Refused(_("Die Anmeldebestätigung des Identitätsanbieters ist ungültig.")) from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != client_id:
        raise Refused(_("Die Anmeldebestätigung ist nicht für Stadtdaten ausgestellt."))
    return claims


# ---------------------------------------------------------------------------
# The sign-in


class Backend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with the settings read at use (SSO may be off), the
    provider reached through core.outbound, the ID token checked in full and the account
    found by issuer and `sub`. A refusal is a PermissionDenied: Django then reports the
    failed sign-in (user_login_failed, which django-axes records) and the callback shows
    the reason kept on the request."""

    def __init__(self, *args, **kwargs):
        self.UserModel = get_user_model()

    def _configure(self):
        endpoints = provider()
        self.OIDC_OP_TOKEN_ENDPOINT = endpoints["token_endpoint"]
        self.OIDC_OP_USER_ENDPOINT = endpoints["userinfo_endpoint"]
        self.OIDC_OP_JWKS_ENDPOINT = endpoints["jwks_uri"]
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request, **kwargs):
        if not enabled() or request is None or "code" not in request.GET:
            return None
        try:
            self._configure()
            return super().authenticate(request, **kwargs)
        except Refused as refused:
            request.oidc_refusal = str(refused)
            raise
        except (requests.RequestException, SuspiciousOperation, ValueError, KeyError) as error:
            logger.warning("OIDC sign-in failed: %s", error)
            request.oidc_refusal = _("Der Identitätsanbieter hat die Anmeldung nicht bestätigt.")
            raise Refused(request.oidc_refusal) from error

    def get_token(self, payload):
        response = http().post(self.OIDC_OP_TOKEN_ENDPOINT, data=payload)
        self.raise_token_response_error(response)
        return response.json()

    def get_userinfo(self, access_token, id_token, payload):
        if not self.OIDC_OP_USER_ENDPOINT:
            return {}
        response = http().get(self.OIDC_OP_USER_ENDPOINT, headers={"Authorization": f"Bearer {access_token}"})
        response.raise_for_status()
        if response.headers.get("content-type", "").lower().startswith("application/jwt"):
            return decode(response.text, require=["sub"])
        return response.json()

    def retrieve_matching_jwk(self, token):
        return signing_key(token)

    def verify_token(self, token, **kwargs):
        claims = decode(token or "", require=["iss", "sub", "aud", "exp", "iat"])
        if claims.get("nonce") != kwargs.get("nonce"):
            raise Refused(_("Die Anmeldebestätigung gehört nicht zu dieser Anmeldung."))
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub", payload["sub"]) != payload["sub"]:
            raise Refused(_("Die Angaben des Identitätsanbieters gehören zu einer anderen Person."))
        claims = {**payload, **userinfo}
        user = sign_in(claims)
        self.request.oidc_claims = payload
        return user


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _groups(claims) -> list[str]:
    value = claims.get(settings.OIDC_CLAIM_GROUPS) or []
    if isinstance(value, str):
        value = [value]
    return sorted({str(group) for group in value if str(group).strip()})


def _names(claims) -> tuple[str, str]:
    given, family = _text(claims.get("given_name")), _text(claims.get("family_name"))
    if given or family:
        return given[:150], family[:150]
    first, _space, last = _text(claims.get(settings.OIDC_CLAIM_NAME)).rpartition(" ")
    return (first or last)[:150], (last if first else "")[:150]


def _username(claims) -> str:
    User = get_user_model()
    base = _text(claims.get("preferred_username")) or _text(claims.get(settings.OIDC_CLAIM_EMAIL)).split("@")[0]
    base = "".join(c for c in base if c.isalnum() or c in "@.+-_")[:140] or "sso"
    name = base
    while User.objects.filter(username=name).exists():
        name = f"{base}-{get_random_string(6).lower()}"
    return name


def is_break_glass(user) -> bool:
    return user.get_username() in settings.OIDC_BREAK_GLASS_USERS


def local_login_allowed(username: str) -> bool:
    return not enabled() or settings.OIDC_LOCAL_LOGIN or username in settings.OIDC_BREAK_GLASS_USERS


def sign_in(claims: dict):
    """The account of the person the provider vouched for, created or brought up to date
    from the claims (name, e-mail, home organisation), and its mapped roles made equal to
    the groups. Found by issuer and `sub`; a new account has no usable password (it signs
    in through the provider only, so no reset mail reaches it)."""
    subject = _text(claims.get("sub"))
    if not subject:
        raise Refused(_("Der Identitätsanbieter nennt keine Kennung der Person."))
    groups = _groups(claims)
    home_claim = _text(claims.get(settings.OIDC_CLAIM_ORGANISATION))
    home = Organisation.objects.filter(slug=home_claim).first() if home_claim else None
    first_name, last_name = _names(claims)
    email = _text(claims.get(settings.OIDC_CLAIM_EMAIL))[:254]
    with transaction.atomic():
        identities = OidcIdentity.objects.select_for_update().select_related("user")
        identity = identities.filter(issuer=issuer(), subject=subject).first()
        if identity is None:
            if home is None:
                mapping = OidcGroupRole.objects.filter(group__in=groups).select_related("organisation").first()
                home = mapping.organisation if mapping else None
            if home is None:
                raise Refused(
                    _(
                        "Ihr Dienstkonto ist keiner Organisation in Stadtdaten zugeordnet. Bitte wenden Sie sich an "
                        "die Governance-Admins Ihrer Organisation."
                    )
                )
            user = get_user_model()(username=_username(claims), first_name=first_name, last_name=last_name, email=email)
            user.set_unusable_password()
            services.open_account(user, home=home, by=None)
            identity = OidcIdentity.objects.create(user=user, issuer=issuer(), subject=subject)
        user = identity.user
        changes = {
            name: value
            for name, value in (("first_name", first_name), ("last_name", last_name), ("email", email))
            if value and getattr(user, name) != value
        }
        current_home = Account.objects.filter(user=user).values_list("home_organisation_id", flat=True).first()
        if changes or (home is not None and home.pk != current_home):
            services.update_account(user, by=None, changes=changes, home=home)
        if not settings.OIDC_LOCAL_LOGIN and not is_break_glass(user) and user.has_usable_password():
            services.set_account_password(user, None, by=None)
        identity.groups = groups
        identity.last_login = timezone.now()
        identity.save(update_fields=["groups", "last_login"])
        if user.is_active:
            sync_roles(user, groups)
    return user


def sync_roles(user, groups: list[str]) -> None:
    """Grant the roles the groups map to and take away those the sign-in granted earlier
    for groups the person no longer has. Assignments made in Stadtdaten are left alone."""
    wanted = {}
    for mapping in OidcGroupRole.objects.filter(group__in=groups).select_related("organisation"):
        wanted.setdefault((mapping.organisation_id, mapping.role), mapping)
    granted = {
        (grant.assignment.organisation_id, grant.assignment.role): grant
        for grant in OidcRoleGrant.objects.select_related("assignment").filter(
            assignment__user=user, assignment__revoked_at__isnull=True
        )
    }
    held = set(
        RoleAssignment.objects.active()
        .filter(user=user, deputy_for__isnull=True)
        .values_list("organisation_id", "role")
    )
    for key, mapping in wanted.items():
        if key in granted or key in held:
            continue
        assignment = services.assign_role(
            user,
            Role(mapping.role),
            mapping.organisation,
            by=None,
            note=_("Aus der Gruppe „%(group)s“ beim Identitätsanbieter") % {"group": mapping.group[:200]},
        )
        OidcRoleGrant.objects.create(assignment=assignment, group=mapping.group)
    for key, grant in granted.items():
        if key not in wanted:
            services.revoke_role(
                grant.assignment, by=None, reason=_("Die Gruppe beim Identitätsanbieter ist nicht mehr zugeordnet.")
            )


def remember_session(request, claims: dict) -> None:
    """Record which provider session and subject this session belongs to (the back-channel
    logout names them)."""
    if not request.session.session_key:
        request.session.save()
    # The person's records of sessions that have ended since (expired, signed out elsewhere).
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in OidcSession.objects.filter(user=request.user).values_list("session_key", flat=True):
        if not store().exists(key):
            OidcSession.objects.filter(session_key=key).delete()
    OidcSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": request.user,
            "issuer": issuer(),
            "subject": str(claims.get("sub", "")),
            "sid": str(claims.get("sid", ""))[:255],
        },
    )


# ---------------------------------------------------------------------------
# Logout


def end_session_url(request, id_token: str) -> str:
    """The provider's end_session_endpoint for RP-initiated logout, or "" if it has none."""
    try:
        endpoint = provider()["end_session_endpoint"]
    except (requests.RequestException, Refused, ValueError):
        return ""
    if not endpoint:
        return ""
    query = {
        "id_token_hint": id_token,
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "post_logout_redirect_uri": request.build_absolute_uri("/"),
    }
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"


def check_logout_token(token: str) -> dict:
    """OpenID Connect Back-Channel Logout 1.0, 2.6: a signed token of our provider for us,
    with `iat`, the logout event, `sid` or `sub`, and no nonce."""
    claims = decode(token, require=["iss", "aud", "iat"])
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(LOGOUT_EVENT), dict):
        raise Refused(_("Das Abmelde-Token enthält kein Abmelde-Ereignis."))
    if not claims.get("sid") and not claims.get("sub"):
        raise Refused(_("Das Abmelde-Token nennt weder Sitzung noch Person."))
    if "nonce" in claims:
        raise Refused(_("Ein Abmelde-Token trägt keine Nonce."))
    return claims


def end_sessions(*, sid: str = "", sub: str = "") -> int:
    """End every session of ours that the provider's session `sid` or person `sub` opened."""
    sessions = OidcSession.objects.filter(issuer=issuer())
    if sid:
        sessions = sessions.filter(sid=sid)
    if sub:
        sessions = sessions.filter(subject=sub)
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(sessions.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    sessions.delete()
    return len(keys)


class SessionRefresh(BaseSessionRefresh):
    """mozilla-django-oidc's SessionRefresh with the settings read per request: after
    OIDC_REFRESH_SECONDS a session opened through the provider asks it again (prompt=none).
    A person removed or disabled there gets an error back, and the callback ends the
    session. Sessions of password sign-ins are left alone."""

    def __init__(self, get_response):
        MiddlewareMixin.__init__(self, get_response)
        self.OIDC_STATE_SIZE = 32
        self.OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
        self.OIDC_USE_NONCE = True
        self.OIDC_NONCE_SIZE = 32

    @cached_property
    def exempt_urls(self):
        names = ("oidc_authentication_init", "oidc_authentication_callback", "oidc_backchannel_logout", "logout")
        return {reverse(name) for name in names}

    exempt_url_patterns = frozenset()

    def process_request(self, request):
        if not enabled() or request.session.get(BACKEND_SESSION_KEY) != BACKEND:
            return None
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_SCOPES = settings.OIDC_RP_SCOPES
        try:
            self.OIDC_OP_AUTHORIZATION_ENDPOINT = provider()["authorization_endpoint"]
        except (requests.RequestException, Refused, ValueError) as error:
            # The refresh cannot even ask: the session ends like a refused refresh.
            logger.warning("OIDC session refresh impossible: %s", error)
            from django.contrib.auth import logout

            logout(request)
            return None
        response = super().process_request(request)
        if response is not None and response.status_code == 302 and request.headers.get("HX-Request"):
            # htmx would follow the redirect inside the page; HX-Redirect sends the whole page.
            return HttpResponse(status=204, headers={"HX-Redirect": response["Location"]})
        return response

    def process_response(self, request, response):
        # "Abmelden" is a form whose answer redirects to the provider's end_session_endpoint;
        # browsers hold redirects after a form to the page's form-action.
        if enabled():
            origins = {origin(issuer()), origin(settings.OIDC_OP_END_SESSION_ENDPOINT)} - {""}
            update = dict(getattr(response, "_csp_update", None) or {})
            update["form-action"] = [*update.get("form-action", []), *sorted(origins)]
            response._csp_update = update
        return response


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""
