from celery import shared_task

from . import services


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def sync_role_permissions() -> int:
    """Start and end deputies and time-limited roles on time (scheduled by celery beat)."""
    return services.sync_role_permissions()
