"""Asking for a password reset without being signed in: counted per client and per
address, the mail enqueued for the worker (governance.tasks, governance.mail).

The answer never says whether an account exists: the request looks up no account (the
worker does) and an address over its limit gets the same answer as any other. A client
over its limit is told so; that says nothing about any account either."""

from django.conf import settings
from django.utils import translation

from core import participation

from .tasks import send_password_reset_mail


def request_password_reset(email: str, *, client: str) -> bool:
    """Enqueue the reset mail for `email` after the commit; False if `client` asked too
    often. Over the address limit nothing is enqueued and the answer is True all the same:
    the limit shields the owner of the address from a flood, not the requester."""
    attempts, period = settings.PASSWORD_RESET_CLIENT_LIMIT
    if participation.rate_limited("password_reset.client", client, limit=attempts, period=period):
        return False
    if not participation.address_rate_limited("password_reset.address", email, settings.PASSWORD_RESET_ADDRESS_LIMIT):
        send_password_reset_mail.delay_on_commit(email, translation.get_language())
    return True
