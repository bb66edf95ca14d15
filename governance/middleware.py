import re
import uuid

from django.conf import settings

from . import audit

TRUSTED_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware:
    """Give every request an id (X-Request-ID) and make it and the user known to the
    audit journal for the duration of the request. An id sent by the reverse proxy is
    kept only when REQUEST_ID_FROM_PROXY is on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        if getattr(settings, "REQUEST_ID_FROM_PROXY", False) and TRUSTED_ID.match(incoming):
            request_id = incoming
        else:
            request_id = uuid.uuid4().hex
        request.request_id = request_id
        id_token = audit.request_id_var.set(request_id)
        user_token = audit.request_user_var.set(getattr(request, "user", None))
        try:
            response = self.get_response(request)
        finally:
            audit.request_id_var.reset(id_token)
            audit.request_user_var.reset(user_token)
        response["X-Request-ID"] = request_id
        return response
