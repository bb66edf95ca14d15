from celery import shared_task


@shared_task(acks_late=True)
def send_condition_reminders() -> int:
    """Remind the owners of overdue conditions (scheduled daily by celery beat)."""
    from .notifications import remind_overdue_conditions

    return remind_overdue_conditions()
