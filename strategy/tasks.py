from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import services


@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=3)
def record_indicator_snapshots() -> int:
    """Record today's value of every computed indicator (scheduled daily by celery beat).
    Safe to run again the same day: the day's values are replaced, not duplicated."""
    return services.record_snapshots()
