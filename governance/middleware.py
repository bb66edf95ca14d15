import re
import time
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.utils.translation import gettext as _

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
        request_id = incoming if settings.REQUEST_ID_FROM_PROXY and TRUSTED_ID.match(incoming) else uuid.uuid4().hex
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


class SessionTimeoutMiddleware:
    """End a signed-in session after SESSION_IDLE_TIMEOUT seconds without a request
    (ASVS 7.3.1), after SESSION_COOKIE_AGE seconds since the login however active it was
    (7.3.2), and at once when the account was deactivated meanwhile (7.4.2). The request
    then runs anonymously, so a protected page sends to the login. Runs after
    AuthenticationMiddleware and MessageMiddleware."""

    STARTED_KEY = "session_started"
    LAST_ACTIVITY_KEY = "last_activity"
    # The activity is written at most once a minute: a session write on every request
    # would cost a database write per page, for a minute more or less of idle time.
    REFRESH_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Without a session cookie this loads nothing: the public portal and the API pay nothing.
        if SESSION_KEY in request.session:
            self.check_session(request)
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.modified and SESSION_KEY in session and self.STARTED_KEY not in session:
            # A login writes the session anyway: the clocks start with that write, at no extra cost.
            # (Sessions without clocks, e.g. from before this middleware, end with SESSION_COOKIE_AGE.)
            session[self.STARTED_KEY] = session[self.LAST_ACTIVITY_KEY] = int(time.time())
        return response

    def check_session(self, request):
        session = request.session
        # The wall clock, not timezone.now(): tests move the app's date by days without meaning idle time.
        now = int(time.time())
        has_clocks = self.STARTED_KEY in session
        idle = has_clocks and now - session[self.LAST_ACTIVITY_KEY] > settings.SESSION_IDLE_TIMEOUT
        too_old = has_clocks and now - session[self.STARTED_KEY] > settings.SESSION_COOKIE_AGE
        if idle or too_old or not request.user.is_authenticated:
            logout(request)
            if idle or too_old:
                messages.info(
                    request, _("Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an."), fail_silently=True
                )
        elif has_clocks and now - session[self.LAST_ACTIVITY_KEY] >= self.REFRESH_SECONDS:
            session[self.LAST_ACTIVITY_KEY] = now
