"""Storage limitation (issue 22, the privacy statement's retention periods): the personal
data the portal collects is deleted when its period has passed, and the privacy statement
states the periods the code applies."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.utils import timezone

from portal import retention
from portal.legal import default_text
from portal.models import Comment, CommentStatus, DataRequest, DataRequestStatus
from portal.tasks import purge_personal_data


def aged(model, pk, **fields):
    model.objects.filter(pk=pk).update(**fields)


@pytest.fixture
def periods(settings):
    settings.DATA_REQUEST_EMAIL_RETENTION_DAYS = 90
    settings.DATA_REQUEST_EMAIL_MAX_DAYS = 365
    settings.REJECTED_COMMENT_RETENTION_DAYS = 30
    settings.LOGIN_LOG_RETENTION_DAYS = 90
    return settings


def request(title, **fields):
    return DataRequest.objects.create(
        title=title, description="Für eine Auswertung.", email="erika@example.org", **fields
    )


def test_addresses_of_requests_go_after_the_period(db, periods):
    now = timezone.now()
    request("Alte Antwort", status=DataRequestStatus.DECLINED, answered_at=now - timedelta(days=91))
    request("Neue Antwort", status=DataRequestStatus.DECLINED, answered_at=now - timedelta(days=10))
    never = request("Nie beantwortet")
    aged(DataRequest, never.pk, created=now - timedelta(days=366))
    waiting = request("Wartet noch")

    purged = retention.purge_personal_data()

    emails = dict(DataRequest.objects.values_list("title", "email"))
    assert emails == {
        "Alte Antwort": "",
        "Neue Antwort": "erika@example.org",
        "Nie beantwortet": "",
        "Wartet noch": "erika@example.org",
    }
    assert purged.request_emails == 2
    assert DataRequest.objects.filter(pk=waiting.pk).exists()  # the request itself stays
    assert retention.purge_personal_data().request_emails == 0  # idempotent


def test_rejected_comments_go_with_their_versions(periods, published):
    now = timezone.now()
    rejected = Comment.objects.create(dataset=published, name="Erika M.", text="Unsachlich.")
    recent = Comment.objects.create(dataset=published, name="Max M.", text="Auch unsachlich.")
    approved = Comment.objects.create(dataset=published, name="Eva M.", text="Danke!")
    aged(Comment, rejected.pk, status=CommentStatus.REJECTED, moderated_at=now - timedelta(days=31))
    aged(Comment, recent.pk, status=CommentStatus.REJECTED, moderated_at=now - timedelta(days=5))
    aged(Comment, approved.pk, status=CommentStatus.APPROVED, moderated_at=now - timedelta(days=400))

    purged = purge_personal_data()

    assert purged["rejected_comments"] == 1
    assert set(Comment.objects.values_list("name", flat=True)) == {"Max M.", "Eva M."}
    assert not Comment.history.filter(id=rejected.pk).exists()
    assert Comment.history.filter(id=recent.pk).exists()


def test_the_staff_login_log_goes_after_the_period(db, periods):
    old = AccessLog.objects.create(username="erika", ip_address="192.0.2.1", user_agent="x", path_info="/")
    new = AccessLog.objects.create(username="max", ip_address="192.0.2.2", user_agent="x", path_info="/")
    attempt = AccessAttempt.objects.create(
        username="erika", ip_address="192.0.2.1", user_agent="x", path_info="/", get_data="", post_data="",
        failures_since_start=1,
    )  # fmt: skip
    aged(AccessLog, old.pk, attempt_time=timezone.now() - timedelta(days=91))
    aged(AccessAttempt, attempt.pk, attempt_time=timezone.now() - timedelta(days=91))

    assert retention.purge_personal_data().login_records == 2
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [new.pk]


def test_the_privacy_statement_states_the_periods_the_code_applies(periods):
    periods.DATA_REQUEST_EMAIL_RETENTION_DAYS = 61
    periods.REJECTED_COMMENT_RETENTION_DAYS = 17
    periods.LOGIN_LOG_RETENTION_DAYS = 43
    text = " ".join(default_text("datenschutz").split())
    assert "61 Tage nach unserer Antwort" in text
    assert "17 Tage nach der Entscheidung" in text
    assert "nach 43 Tagen gelöscht" in text
    assert "[Löschfrist eintragen" not in text
