from celery import shared_task

from . import mail
from .models import DataRequest

# OSError covers a refused or dropped connection and every smtplib error.
RETRY = {"acks_late": True, "autoretry_for": (OSError,), "retry_backoff": 2, "retry_jitter": True, "max_retries": 5}


@shared_task(**RETRY)
def send_data_request_confirmation(data_request_id: int) -> None:
    """Confirm a data request to the address the requester gave (if any)."""
    data_request = DataRequest.objects.filter(pk=data_request_id).first()
    if data_request is None or not data_request.email:
        return
    mail.send_receipt(data_request)


@shared_task(**RETRY)
def send_data_request_answer(data_request_id: int) -> None:
    """Send the requester the answer staff gave (if they left an address)."""
    data_request = DataRequest.objects.filter(pk=data_request_id).select_related("dataset").first()
    if data_request is None or not data_request.email or not data_request.is_public:
        return
    mail.send_answer(data_request)


@shared_task(**RETRY)
def send_data_request_assignment(data_request_id: int) -> None:
    """Tell the person a request was routed to."""
    data_request = DataRequest.objects.filter(pk=data_request_id).select_related("assignee", "organisation").first()
    if data_request is None or data_request.assignee is None or not data_request.assignee.email:
        return
    mail.send_assignment(data_request)


@shared_task
def purge_personal_data() -> dict:
    """Daily: delete the personal data whose retention period has passed (portal.retention)."""
    from . import retention

    return vars(retention.purge_personal_data())


@shared_task(name="portal.tasks.flush_usage")
def flush_usage() -> int:
    """Write the usage counts buffered in Redis to the database (every minute, celery beat)."""
    from . import usage

    return usage.flush()
