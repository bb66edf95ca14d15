"""Mail the worker sends on behalf of an anonymous request (governance.tasks), rendered
and sent outside the web request. The request side, with its rate limits, is
governance.password_reset."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template import loader
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

# The templates Django's PasswordResetView names, so the mail reads as it always did.
SUBJECT_TEMPLATE = "registration/password_reset_subject.txt"
BODY_TEMPLATE = "registration/password_reset_email.html"


def send_password_reset(email: str) -> int:
    """Send a reset link to every active account with a usable password at `email`; returns
    how many went out (0 for an unknown address, which the requester never learns).

    The token is made here, on the worker, so no valid link passes through the broker. The
    link points at SITE_URL: there is no request whose host could be used (or forged).
    A failure to send raises (PasswordResetForm.send_mail would log and swallow it), so the
    task can try again."""
    site = urlsplit(settings.SITE_URL)
    sent = 0
    for user in PasswordResetForm().get_users(email):
        context = {
            "email": getattr(user, user.get_email_field_name()),
            "domain": site.netloc,
            "site_name": settings.SITE_NAME,
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "user": user,
            "token": default_token_generator.make_token(user),
            "protocol": site.scheme,
        }
        subject = "".join(loader.render_to_string(SUBJECT_TEMPLATE, context).splitlines())
        body = loader.render_to_string(BODY_TEMPLATE, context)
        EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [context["email"]]).send()
        sent += 1
    return sent
