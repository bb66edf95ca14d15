"""The sharing demo of demo/sharing.py: every kind of agreement, an access grant in force,
an expired one and a pending request, and it can be loaded twice."""

from io import StringIO

from django.core.management import call_command

from sharing.models import AccessGrant, AccessRequest, AgreementStatus, AgreementType, SharingAgreement


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
