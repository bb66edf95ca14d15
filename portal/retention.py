"""Deletion of the personal data the portal collects, once its purpose is served (DSGVO
Art. 5 Abs. 1 lit. e, storage limitation). The periods are settings; the privacy statement
(portal.legal) states them from the same settings.

- The e-mail address of a data request serves the receipt and the answer: it is erased
  DATA_REQUEST_EMAIL_RETENTION_DAYS after the answer, and a year after receipt at the
  latest (DATA_REQUEST_EMAIL_MAX_DAYS) if the request is never answered.
- A comment the editors rejected was never public: it is deleted, with its versions,
  REJECTED_COMMENT_RETENTION_DAYS after the decision.
- The staff login log of django-axes (attempts and successful logins with IP address and
  browser) is deleted after LOGIN_LOG_RETENTION_DAYS.

Runs daily from Celery beat (portal.tasks.purge_personal_data); idempotent.
"""

from dataclasses import dataclass
from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import Comment, CommentStatus, DataRequest


@dataclass(frozen=True)
class Purged:
    request_emails: int
    rejected_comments: int
    login_records: int


def days_ago(days: int, now=None):
    return (now or timezone.now()) - timedelta(days=days)


@transaction.atomic
def purge_personal_data(*, now=None) -> Purged:
    answered_before = days_ago(settings.DATA_REQUEST_EMAIL_RETENTION_DAYS, now)
    received_before = days_ago(settings.DATA_REQUEST_EMAIL_MAX_DAYS, now)
    # A queryset update: the address is not in the request's history (excluded_fields) and
    # its erasure is not a change of the request that needs a version.
    request_emails = (
        DataRequest.objects.exclude(email="")
        .filter(Q(answered_at__lt=answered_before) | Q(created__lt=received_before))
        .update(email="")
    )

    rejected = Comment.objects.filter(
        status=CommentStatus.REJECTED, moderated_at__lt=days_ago(settings.REJECTED_COMMENT_RETENTION_DAYS, now)
    )
    ids = list(rejected.values_list("pk", flat=True))
    # The versions hold the same name and text; without them the deletion would not delete.
    Comment.history.filter(id__in=ids).delete()
    rejected_comments = Comment.objects.filter(pk__in=ids).delete()[1].get(Comment._meta.label, 0)
    Comment.history.filter(id__in=ids).delete()  # the version the deletion itself just wrote

    login_before = days_ago(settings.LOGIN_LOG_RETENTION_DAYS, now)
    login_records = 0
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        login_records += model.objects.filter(attempt_time__lt=login_before).delete()[0]
    return Purged(request_emails, rejected_comments, login_records)
