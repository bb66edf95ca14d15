"""Freshness reminders: stewards of published datasets overdue for an update are
reminded once per overdue period."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.db import IntegrityError, transaction

from ..models import Dataset, FreshnessReminder
from ..notifications import notify_stale
from .scoring import EXPECTED_INTERVAL, stale_datasets


def send_freshness_reminders(*, today: date | None = None) -> int:
    """Remind the stewards of every published dataset that is overdue for an update, once
    per overdue period: a FreshnessReminder per due date is written in the same
    transaction as the mail is sent, so a second run (or a task delivered twice) sends
    nothing until the dataset is updated and falls overdue again. Returns the number of
    datasets reminded."""
    candidates = (
        Dataset.objects.published()
        .filter(update_frequency__in=[str(frequency) for frequency in EXPECTED_INTERVAL])
        .select_related("publisher", "steward")
    )
    stale = stale_datasets(candidates, today=today)
    reminded = set(
        FreshnessReminder.objects.filter(dataset__in=[d.pk for d, _f in stale]).values_list("dataset", "due")
    )
    count = 0
    for dataset, fresh in stale:
        if (dataset.pk, fresh.due) in reminded:
            continue
        try:
            with transaction.atomic():
                reminder = FreshnessReminder.objects.create(dataset=dataset, due=fresh.due)
                reminder.recipients = notify_stale(dataset, fresh)
                reminder.save(update_fields=["recipients"])
        except IntegrityError:  # a concurrent run reminded first
            continue
        count += 1
    return count


@shared_task(name="catalog.tasks.send_freshness_reminders", acks_late=True)
def freshness_reminders() -> int:
    """Remind stewards of datasets overdue for an update, once per overdue period (daily)."""
    return send_freshness_reminders()
