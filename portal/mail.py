"""Mail about data requests, rendered and sent by the worker (portal.tasks) after the
request or its triage committed: the receipt and the answer to the requester, the task
to the person triage routed a request to. German, the site language; links point at
SITE_URL (there is no request whose host could be used)."""

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import DataRequest, DataRequestStatus


def _url(path: str) -> str:
    return settings.SITE_URL + path


def send_receipt(data_request: DataRequest) -> int:
    """Confirm a data request to the address the requester gave, with the date we answer by."""
    with translation.override(settings.LANGUAGE_CODE):
        body = _(
            "Guten Tag,\n\nvielen Dank für Ihren Datenwunsch „%(title)s“. Wir prüfen ihn und antworten Ihnen "
            "bis spätestens %(due)s per E-Mail.\n\nSobald wir ihn geprüft haben, veröffentlichen wir Ihren Wunsch "
            "mit unserer Antwort unter dieser Adresse:\n%(url)s\nBis dahin ist er nicht öffentlich.\n\n"
            "Ihre E-Mail-Adresse nutzen wir nur für diese Bestätigung und unsere Antwort; sie wird nicht "
            "veröffentlicht.\n\n%(signature)s"
        ) % {
            "title": data_request.title,
            "due": date_format(data_request.due, "SHORT_DATE_FORMAT"),
            "url": _url(data_request.get_absolute_url()),
            "signature": _("Ihr Open-Data-Team des Stadtverbunds"),
        }
        subject = _("Ihr Datenwunsch ist eingegangen: %(title)s") % {"title": data_request.title[:80]}
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [data_request.email])


def send_answer(data_request: DataRequest) -> int:
    """The public status and answer of a triaged request, with the link to its public page."""
    with translation.override(settings.LANGUAGE_CODE):
        lines = [
            _("Guten Tag,"),
            "",
            _("zu Ihrem Datenwunsch „%(title)s“ gibt es Neuigkeiten. Stand: %(status)s.")
            % {"title": data_request.title, "status": data_request.get_status_display()},
        ]
        if data_request.answer:
            lines += ["", _("Unsere Antwort:"), data_request.answer]
        dataset = data_request.dataset
        if data_request.status == DataRequestStatus.PUBLISHED and dataset is not None and dataset.is_published:
            lines += ["", _("Die Daten finden Sie hier:"), _url(reverse("portal:dataset_detail", args=[dataset.name]))]
        lines += [
            "",
            _("Ihr Wunsch und unsere Antwort stehen öffentlich unter:"),
            _url(data_request.get_absolute_url()),
            "",
            _("Ihr Open-Data-Team des Stadtverbunds"),
        ]
        subject = _("Antwort auf Ihren Datenwunsch: %(title)s") % {"title": data_request.title[:80]}
    return send_mail(subject, "\n".join(str(line) for line in lines), settings.DEFAULT_FROM_EMAIL, [data_request.email])


def send_assignment(data_request: DataRequest) -> int:
    """Tell the person triage routed the request to that it waits for them, and until when."""
    user = data_request.assignee
    with translation.override(settings.LANGUAGE_CODE):
        lines = [
            _("Guten Tag %(name)s,") % {"name": user.get_full_name() or user.get_username()},
            "",
            _("der Datenwunsch „%(title)s“ wurde Ihnen (%(organisation)s) zur Bearbeitung zugewiesen.")
            % {"title": data_request.title, "organisation": data_request.organisation},
            _("Bitte beantworten Sie ihn bis zum %(due)s.")
            % {"due": date_format(data_request.due, "SHORT_DATE_FORMAT")},
            "",
            _url(reverse("portal:triage_detail", args=[data_request.pk])),
            "",
            _(
                "Diese Nachricht hat Stadtdaten automatisch versandt. "
                "Ihre offenen Aufgaben finden Sie unter „Meine Aufgaben“."
            ),
        ]
        subject = _("Neue Aufgabe: Datenwunsch beantworten – %(title)s") % {"title": data_request.title[:80]}
    return send_mail(subject, "\n".join(str(line) for line in lines), settings.DEFAULT_FROM_EMAIL, [user.email])
