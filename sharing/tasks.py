from celery import shared_task


@shared_task(acks_late=True)
def apply_sharing_periods() -> dict:
    """Agreements take effect and expire, ended grants lose their permission (scheduled
    every five minutes by celery beat). Access checks never wait for it."""
    from .services import apply_periods

    return apply_periods()
