from celery import shared_task
from django.conf import settings
from django.utils import translation

from . import mail, services


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def sync_role_permissions() -> int:
    """Start and end deputies and time-limited roles on time (scheduled by celery beat)."""
    return services.sync_role_permissions()


@shared_task(acks_late=True)
def verify_audit_chain(user_id: int | None = None) -> bool:
    """Walk the audit chain and store the result (the audit page shows the latest)."""
    from django.contrib.auth import get_user_model

    from . import audit

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    report = audit.verify_chain()
    audit.record_verification(report, by=user)
    return report.ok


@shared_task(acks_late=True)
def log_audit_anchor() -> str:
    """Log the chain head (seq and hash). Ship this log line to a separate system
    (syslog, the DPO's mailbox): `verify_audit --anchor SEQ:HASH` then proves the
    journal has not been cut or rewritten since."""
    import logging

    from .models import AuditEvent

    head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    anchor = f"{head[0]}:{head[1]}" if head else "0:"
    logging.getLogger("stadtdaten.audit.anchor").info("audit chain head %s", anchor)
    return anchor


# OSError covers a refused or dropped connection and every smtplib error (SMTPException is
# one); the backoff spreads the attempts over about a minute.
@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=2, retry_jitter=True, max_retries=5)
def send_password_reset_mail(email: str, language: str | None = None) -> int:
    """The reset links for the accounts at `email` (governance.password_reset enqueues it)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return mail.send_password_reset(email)
