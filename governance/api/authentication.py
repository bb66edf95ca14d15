"""Personal API tokens in the Authorization header (see ApiToken and the token pages
under /konto/api-zugaenge/)."""

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from governance import audit, services

KEYWORDS = ("bearer", "token")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Accepts `Authorization: Bearer <token>` and `Authorization: Token <token>`, and
    what ckanapi sends: the bare token in `Authorization` and in `X-CKAN-API-Key`.
    A request without a token is left to the next class (the session); a request with
    an unknown, revoked or expired token is refused with 401, never served anonymously."""

    def authenticate(self, request):
        secret = self.secret_from(request)
        if secret is None:
            return None
        try:
            token = services.authenticate_api_token(secret)
        except services.ApiTokenRefused as error:
            raise exceptions.AuthenticationFailed(str(error)) from None
        # The request middleware only knew the session user; the journal must name the
        # person behind the token. The middleware resets the variable after the request.
        audit.request_user_var.set(token.user)
        return token.user, token

    @staticmethod
    def secret_from(request) -> str | None:
        header = request.META.get("HTTP_AUTHORIZATION", "").split()
        if header:
            if header[0].lower() in KEYWORDS:
                if len(header) != 2:
                    raise exceptions.AuthenticationFailed(
                        _("Bitte senden Sie genau ein Token nach „%(keyword)s“.") % {"keyword": header[0]}
                    )
                return header[1]
            if len(header) == 1:
                return header[0]
            return None  # another scheme, e.g. Basic: not ours
        return request.META.get("HTTP_X_CKAN_API_KEY", "").strip() or None

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) to requests without credentials.
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": _(
                "Persönliches API-Token, erstellt unter „API-Zugänge“ im Benutzerkonto: "
                "`Authorization: Bearer <token>` (auch `Token <token>`; für ckanapi das Token allein "
                "in `Authorization` oder `X-CKAN-API-Key`)."
            ),
        }
