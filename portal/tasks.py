from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import DataRequest


# OSError covers a refused or dropped connection and every smtplib error.
@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=2, retry_jitter=True, max_retries=5)
def send_data_request_confirmation(data_request_id: int) -> None:
    """Confirm a data request to the address the requester gave (if any)."""
    data_request = DataRequest.objects.filter(pk=data_request_id).first()
    if data_request is None or not data_request.email:
        return
    url = settings.SITE_URL + reverse("portal:data_request_detail", args=[data_request.pk])
    body = _(
        "Guten Tag,\n\nvielen Dank für Ihren Datenwunsch „%(title)s“. Wir prüfen ihn und antworten öffentlich "
        "auf dieser Seite:\n%(url)s\n\nIhre E-Mail-Adresse nutzen wir nur für diese Bestätigung und unsere "
        "Antwort; sie wird nicht veröffentlicht.\n\nIhr Open-Data-Team des Stadtverbunds"
    ) % {"title": data_request.title, "url": url}
    send_mail(
        _("Ihr Datenwunsch ist eingegangen: %(title)s") % {"title": data_request.title[:80]},
        body,
        settings.DEFAULT_FROM_EMAIL,
        [data_request.email],
    )


@shared_task
def purge_personal_data() -> dict:
    """Daily: delete the personal data whose retention period has passed (portal.retention)."""
    from . import retention

    return vars(retention.purge_personal_data())
