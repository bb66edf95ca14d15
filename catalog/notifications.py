"""Mail about workflow tasks: who is asked to act on a dataset now, and reminders
when that is overdue. Called by catalog.tasks after the transition has committed."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from governance.models import Organisation, Role, RoleAssignment

from .inbox import TASK_LABELS, TASK_ROLES, task_due, waiting_datasets
from .models import Dataset
from .workflow import involved_user_ids


def recipients(dataset: Dataset) -> list:
    """The people holding the role the dataset waits for, in its publisher or an
    organisation above it (a role covers the units below), deputies included; the
    four-eyes principle leaves out whoever classified or submitted it."""
    role = TASK_ROLES.get(dataset.state)
    if role is None:
        return []
    chain, organisation = [], dataset.publisher
    while organisation is not None and organisation.pk not in chain:
        chain.append(organisation.pk)
        organisation = (
            Organisation.objects.filter(pk=organisation.parent_id).first() if organisation.parent_id else None
        )
    user_ids = set(
        RoleAssignment.objects.active().filter(role=role, organisation__in=chain).values_list("user", flat=True)
    )
    if role in (Role.LEGAL_REVIEWER, Role.ETHICS_BOARD_MEMBER):
        user_ids -= involved_user_ids(dataset)
    return list(get_user_model().objects.filter(pk__in=user_ids, is_active=True).exclude(email="").order_by("pk"))


def _message(dataset: Dataset, user, *, reminder: bool) -> tuple[str, str, str, list[str]]:
    label = TASK_LABELS[dataset.state]
    due = task_due(dataset)
    subject = (_("Erinnerung: %(task)s – %(title)s") if reminder else _("Neue Aufgabe: %(task)s – %(title)s")) % {
        "task": label,
        "title": dataset.title,
    }
    lines = [
        _("Guten Tag %(name)s,") % {"name": user.get_full_name() or user.get_username()},
        "",
        _("für den Datensatz „%(title)s“ (%(organisation)s) wartet eine Aufgabe auf Sie: %(task)s.")
        % {"title": dataset.title, "organisation": dataset.publisher, "task": label},
    ]
    if due:
        text = _("Die Frist ist am %(due)s abgelaufen.") if reminder else _("Bitte erledigen Sie sie bis zum %(due)s.")
        lines.append(text % {"due": date_format(due)})
    lines += [
        "",
        f"{settings.SITE_URL}{dataset.get_absolute_url()}",
        "",
        _(
            "Diese Nachricht hat Stadtdaten automatisch versandt. "
            "Ihre offenen Aufgaben finden Sie unter „Meine Aufgaben“."
        ),
    ]
    return subject, "\n".join(str(line) for line in lines), settings.DEFAULT_FROM_EMAIL, [user.email]


def notify(dataset: Dataset, *, reminder: bool = False) -> int:
    """Send the task mail (German, the site language) to everyone it concerns."""
    with translation.override(settings.LANGUAGE_CODE):
        messages = [_message(dataset, user, reminder=reminder) for user in recipients(dataset)]
    return send_mass_mail(messages, fail_silently=False) if messages else 0


def overdue_datasets():
    """Datasets whose task is past its due date."""
    today = timezone.localdate()
    waiting = Dataset.objects.filter(waiting_datasets()).select_related("publisher", "current_classification")
    return [dataset for dataset in waiting.iterator(chunk_size=500) if (due := task_due(dataset)) and due < today]


def stale_recipients(dataset: Dataset) -> list:
    """The dataset's steward, or if it has none (or no mail address) the stewards of its publisher."""
    steward = dataset.steward
    if steward is not None and steward.is_active and steward.email:
        return [steward]
    user_ids = RoleAssignment.objects.active().filter(role=Role.STEWARD, organisation=dataset.publisher_id)
    return list(
        get_user_model().objects.filter(pk__in=user_ids.values("user"), is_active=True).exclude(email="").order_by("pk")
    )


def notify_stale(dataset: Dataset, freshness) -> int:
    """Remind the steward that the dataset is overdue for an update (catalog.quality)."""
    with translation.override(settings.LANGUAGE_CODE):
        messages = []
        for user in stale_recipients(dataset):
            lines = [
                _("Guten Tag %(name)s,") % {"name": user.get_full_name() or user.get_username()},
                "",
                _(
                    "der Datensatz „%(title)s“ (%(organisation)s) wird laut Angabe „%(frequency)s“ aktualisiert. "
                    "Die letzte Änderung war am %(last)s, die nächste Aktualisierung war bis zum %(due)s fällig."
                )
                % {
                    "title": dataset.title,
                    "organisation": dataset.publisher,
                    "frequency": dataset.get_update_frequency_display(),
                    "last": date_format(freshness.last_update),
                    "due": date_format(freshness.due),
                },
                _(
                    "Bitte aktualisieren Sie die Daten oder passen Sie die angegebene Aktualisierungshäufigkeit an. "
                    "Bis dahin zeigt das Portal den Datensatz als nicht aktuell an."
                ),
                "",
                f"{settings.SITE_URL}{dataset.get_absolute_url()}",
                "",
                _("Diese Nachricht hat Stadtdaten automatisch versandt. Sie erhalten sie einmal je Fälligkeit."),
            ]
            subject = _("Aktualisierung überfällig – %(title)s") % {"title": dataset.title}
            messages.append(
                (subject, "\n".join(str(line) for line in lines), settings.DEFAULT_FROM_EMAIL, [user.email])
            )
    return send_mass_mail(messages, fail_silently=False) if messages else 0
