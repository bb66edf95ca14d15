"""Reminder mail for overdue conditions of the ethics board."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import Condition


def remind_overdue_conditions() -> int:
    """One mail per overdue condition to its owner (German, the site language)."""
    conditions = (
        Condition.objects.overdue()
        .select_related("owner", "review__organisation", "review__dataset", "review__data_use")
        .exclude(owner__email="")
    )
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for condition in conditions:
            review = condition.review
            subject = _("Erinnerung: Auflage des Datenethikbeirats – %(title)s") % {"title": review.subject}
            body = "\n".join(
                [
                    _("Guten Tag %(name)s,")
                    % {"name": condition.owner.get_full_name() or condition.owner.get_username()},
                    "",
                    _("die Frist für diese Auflage ist am %(due)s abgelaufen:")
                    % {"due": date_format(condition.due_on)},
                    "",
                    condition.text,
                    "",
                    f"{settings.SITE_URL}{review.get_absolute_url()}#auflage-{condition.pk}",
                    "",
                    _("Diese Nachricht hat Stadtdaten automatisch versandt."),
                ]
            )
            messages.append((subject, body, settings.DEFAULT_FROM_EMAIL, [condition.owner.email]))
    return send_mass_mail(messages, fail_silently=False) if messages else 0
