"""Project rules applied to the sharing app: no bulk write bypasses history and audit,
the periodic task is scheduled, and the demo shows every kind of agreement, an access
grant in force, an expired one and a pending request, and can be loaded twice."""

import ast
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from governance.tests.test_audit_bulk import audited_model_names, bulk_writes
from sharing.models import AccessGrant, AccessRequest, AgreementStatus, AgreementType, SharingAgreement

APP = Path(__file__).resolve().parents[1]


def test_no_bulk_write_bypasses_history_and_audit():
    names = audited_model_names()
    assert {"SharingAgreement", "AccessRequest", "AccessGrant"} <= names
    found = [
        f"{path.name}:{line} {model}.{method}()"
        for path in APP.rglob("*.py")
        if not {"tests", "migrations"} & set(path.relative_to(APP).parts)
        for model, method, line in bulk_writes(ast.parse(path.read_text()), names)
    ]
    assert found == []


def test_the_periods_are_applied_every_five_minutes():
    schedule = settings.CELERY_BEAT_SCHEDULE["sharing-periods"]
    assert schedule == {"task": "sharing.tasks.apply_sharing_periods", "schedule": 300.0}


def test_the_demo_shows_agreements_grants_and_requests(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=StringIO())
    counts = (SharingAgreement.objects.count(), AccessRequest.objects.count(), AccessGrant.objects.count())

    call_command("seed_demo", stdout=StringIO())

    assert (SharingAgreement.objects.count(), AccessRequest.objects.count(), AccessGrant.objects.count()) == counts
    assert set(SharingAgreement.objects.values_list("agreement_type", flat=True)) == set(AgreementType.values)
    assert set(SharingAgreement.objects.values_list("status", flat=True)) == {
        AgreementStatus.ACTIVE,
        AgreementStatus.LEGAL_REVIEW,
        AgreementStatus.EXPIRED,
        AgreementStatus.DRAFT,
    }
    assert AccessGrant.objects.in_force().count() == 1
    expired = AccessGrant.objects.get(agreement__status=AgreementStatus.EXPIRED)
    assert expired.ended_at is not None
    assert AccessRequest.objects.filter(status="pending").count() == 1
