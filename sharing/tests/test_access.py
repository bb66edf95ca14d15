"""Access requests and grants: who may ask for what, the owner's decision, grant →
access → expiry → no access (time moved), revocation by the owner and by the end of the
agreement, no access to anything else of the organisation, and an audit event for every
grant and every revocation."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from guardian.shortcuts import get_perms

from catalog import services as catalog
from catalog import workflow
from catalog.tests.conftest import classification_fields
from governance import services as governance
from governance.models import (
    AuditAction,
    AuditEvent,
    Decision,
    DecisionKind,
    DecisionOutcome,
    Role,
    RoleAssignment,
)
from sharing import permissions, services
from sharing.models import AccessGrant, AccessRequest, RequestStatus, SharingAgreement
from sharing.services import ConflictError, SharingError

from .conftest import PERSONAL, ask, fresh, make_dataset, step


def permission_events(reason):
    return AuditEvent.objects.filter(action=AuditAction.PERMISSION, reason=reason)


def has_view_permission(user, dataset) -> bool:
    return "view_dataset" in get_perms(user, dataset)


# ---------------------------------------------------------------------------
# Asking


def test_within_one_controller_internal_data_needs_no_agreement(org_a_department, steward_dept, sewers):
    access_request = ask(steward_dept, sewers, org_a_department)
    assert access_request.status == RequestStatus.PENDING
    assert access_request.history.get().history_change_reason == "sharing.request.created"


def test_across_controllers_an_agreement_is_required(org_b, steward_b, sewers):
    with pytest.raises(ValidationError) as error:
        ask(steward_b, sewers, org_b)
    assert "agreement" in error.value.message_dict
    assert "verschiedene Verantwortliche" in error.value.message_dict["agreement"][0]


def test_personal_data_needs_an_agreement_even_within_one_controller(org_a_department, steward_dept, residents):
    with pytest.raises(ValidationError) as error:
        ask(steward_dept, residents, org_a_department)
    assert "personenbezogene Daten" in error.value.message_dict["agreement"][0]


def test_a_request_under_an_agreement_must_fit_it(transfer_agreement, org_b, steward_b, residents, sewers):
    assert ask(steward_b, residents, org_b, agreement=transfer_agreement).agreement == transfer_agreement
    with pytest.raises(ValidationError) as error:
        ask(steward_b, sewers, org_b, agreement=transfer_agreement)
    assert "umfasst diesen Datensatz" in error.value.message_dict["agreement"][0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("published", "ist veröffentlicht"),
        ("own", "über Ihre Rolle"),
        ("too_long", "höchstens ein Jahr"),
        ("past", "frühestens heute"),
        ("no_role", "keine Rolle"),
    ],
)
def test_what_cannot_be_requested(
    change, message, org_a, org_a_department, org_b, steward_a, owner_a, steward_dept, sewers, default_rules
):
    from conftest import make_user

    user, recipient, dataset, kwargs = steward_dept, org_a_department, sewers, {}
    if change == "published":
        dataset = make_dataset(org_a, steward_a, "baumkataster", title="Baumkataster")
        legal = make_user("legal-x")
        governance.assign_role(legal, Role.LEGAL_REVIEWER, org_a, by=None)
        for action, by in (("submit", steward_a), ("sign_off", owner_a), ("approve", legal), ("publish", steward_a)):
            current = type(dataset).objects.get(pk=dataset.pk)
            workflow.perform(action, current, by=by, data={"expected_version": current.version})
        dataset = type(dataset).objects.get(pk=dataset.pk)
        assert dataset.is_published
    elif change == "own":
        user, recipient = steward_a, org_a_department
    elif change == "too_long":
        kwargs = {"days": 400}
    elif change == "no_role":
        recipient = org_b
    if change == "past":
        today = timezone.localdate()
        with pytest.raises(ValidationError, match=message):
            services.request_access(
                by=user, dataset=dataset, recipient=recipient, purpose="x", valid_from=today - timedelta(days=1),
                valid_until=today,
            )  # fmt: skip
        return
    with pytest.raises(ValidationError, match=message):
        ask(user, dataset, recipient, **kwargs)


def test_one_open_request_per_person_and_dataset(org_a_department, steward_dept, sewers):
    ask(steward_dept, sewers, org_a_department)
    with pytest.raises(SharingError, match="bereits einen offenen Antrag"):
        ask(steward_dept, sewers, org_a_department)


# ---------------------------------------------------------------------------
# Deciding


def test_the_providers_owner_decides_never_the_requester(org_a_department, steward_dept, steward_a, owner_a, sewers):
    access_request = ask(steward_dept, sewers, org_a_department)
    with pytest.raises(SharingError, match="Dateneigentümer"):
        services.approve_access_request(access_request, by=steward_a)
    with pytest.raises(SharingError):
        services.approve_access_request(access_request, by=steward_dept)
    with pytest.raises(ValidationError):
        services.refuse_access_request(access_request, by=owner_a, reasons="")

    services.refuse_access_request(access_request, by=owner_a, reasons="Die Daten sind VS-NfD.")

    access_request.refresh_from_db()
    assert access_request.status == RequestStatus.REFUSED
    decision = Decision.objects.get(kind=DecisionKind.ACCESS, subject_id=str(access_request.pk))
    assert (decision.outcome, decision.reasons, decision.actor) == (
        DecisionOutcome.REFUSED,
        "Die Daten sind VS-NfD.",
        owner_a,
    )
    assert decision.classification == sewers.current_classification
    assert not AccessGrant.objects.exists()
    with pytest.raises(ConflictError):
        services.approve_access_request(access_request, by=owner_a)


def test_the_requester_may_withdraw_a_pending_request(org_a_department, steward_dept, owner_a, sewers):
    access_request = ask(steward_dept, sewers, org_a_department)
    with pytest.raises(SharingError):
        services.withdraw_access_request(access_request, by=owner_a)
    services.withdraw_access_request(access_request, by=steward_dept)
    access_request.refresh_from_db()
    assert access_request.status == RequestStatus.WITHDRAWN


# ---------------------------------------------------------------------------
# Grant → access → expiry → no access


def test_grant_access_expiry_no_access(org_a_department, steward_dept, owner_a, sewers):
    now = timezone.now()
    access_request = ask(steward_dept, sewers, org_a_department, days=30)
    assert not permissions.can_access(steward_dept, sewers, now)

    grant = services.approve_access_request(access_request, by=owner_a, now=now)

    assert grant.valid_from == now
    assert timezone.localdate(grant.valid_until) == timezone.localdate(now) + timedelta(days=31)  # end of day 30
    assert permissions.can_access(steward_dept, sewers, now)
    assert has_view_permission(steward_dept, sewers)
    decision = Decision.objects.get(kind=DecisionKind.ACCESS, outcome=DecisionOutcome.GRANTED)
    assert decision.subject_id == str(access_request.pk)
    assert permission_events("sharing.permission.granted").count() == 1

    # The last moment of the period still counts; the next one does not, before any task ran.
    assert permissions.can_access(steward_dept, sewers, grant.valid_until - timedelta(seconds=1))
    assert not permissions.can_access(steward_dept, sewers, grant.valid_until)
    assert has_view_permission(steward_dept, sewers)  # the guardian mirror lags; the grant row decides

    counts = services.apply_periods(now=grant.valid_until + timedelta(minutes=5))

    assert counts["grants_ended"] == 1
    grant.refresh_from_db()
    assert grant.ended_at is not None
    assert grant.revoked_at is None
    assert not has_view_permission(steward_dept, sewers)
    removed = permission_events("sharing.permission.removed").get()
    assert removed.data["revoked"][0][0] == steward_dept.pk
    assert removed.organisation_id == sewers.publisher_id
    assert grant.history.order_by("history_date").last().history_change_reason.startswith("sharing.grant.expired")
    # Nothing more to do the next time.
    assert services.apply_periods(now=grant.valid_until + timedelta(minutes=10))["grants_ended"] == 0


def test_a_grant_never_outlasts_its_agreement(transfer_agreement, org_b, steward_b, owner_a, residents):
    days = (transfer_agreement.valid_until - timezone.localdate()).days
    with pytest.raises(ValidationError, match="gilt nur bis"):
        ask(steward_b, residents, org_b, agreement=transfer_agreement, days=days + 1)

    grant = services.approve_access_request(
        ask(steward_b, residents, org_b, agreement=transfer_agreement, days=days), by=owner_a
    )

    assert grant.valid_until == services.start_of_day(transfer_agreement.valid_until + timedelta(days=1))
    assert grant.agreement == transfer_agreement
    assert permissions.can_access(steward_b, residents)


def test_the_owner_may_revoke_a_grant_early(org_a_department, steward_dept, steward_a, owner_a, sewers):
    grant = services.approve_access_request(ask(steward_dept, sewers, org_a_department), by=owner_a)
    with pytest.raises(SharingError):
        services.revoke_grant(grant, by=steward_a, reasons="Nicht mehr nötig.")

    services.revoke_grant(grant, by=owner_a, reasons="Projekt beendet.")

    grant.refresh_from_db()
    assert grant.revoked_by == owner_a
    assert grant.revocation_reason == "Projekt beendet."
    assert not permissions.can_access(steward_dept, sewers)
    assert not has_view_permission(steward_dept, sewers)
    assert Decision.objects.filter(kind=DecisionKind.ACCESS, outcome=DecisionOutcome.WITHDRAWN).count() == 1
    assert permission_events("sharing.permission.removed").count() == 1
    with pytest.raises(SharingError, match="bereits beendet"):
        services.revoke_grant(grant, by=owner_a, reasons="Doppelt.")


def test_terminating_the_agreement_revokes_its_grants(transfer_agreement, org_b, steward_b, owner_a, residents):
    grant = services.approve_access_request(ask(steward_b, residents, org_b, agreement=transfer_agreement), by=owner_a)
    assert permissions.can_access(steward_b, residents)

    step(services.terminate_agreement, transfer_agreement, by=owner_a, reasons="Zweck entfallen.")

    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert grant.revocation_reason == "Vereinbarung beendet: Zweck entfallen."
    assert not permissions.can_access(steward_b, residents)
    assert not has_view_permission(steward_b, residents)
    assert permission_events("sharing.permission.removed").get().actor == owner_a


def test_the_recipients_owner_may_terminate_too(transfer_agreement, owner_b):
    step(services.terminate_agreement, transfer_agreement, by=owner_b, reasons="Wir brauchen die Daten nicht mehr.")
    assert fresh(transfer_agreement).status == "terminated"


def test_an_expired_agreement_stops_access_at_once_and_its_grants_end(
    internal_agreement, org_a_department, steward_dept, owner_a, sewers
):
    days = (internal_agreement.valid_until - timezone.localdate()).days
    grant = services.approve_access_request(
        ask(steward_dept, sewers, org_a_department, agreement=internal_agreement, days=days), by=owner_a
    )
    # Time moves past the agreement's last day; no task has run yet.
    day_after = services.start_of_day(internal_agreement.valid_until + timedelta(days=1))
    assert grant.valid_until == day_after
    assert permissions.can_access(steward_dept, sewers, day_after - timedelta(days=1))
    assert not permissions.can_access(steward_dept, sewers, day_after)

    services.apply_periods(now=day_after + timedelta(hours=1))

    assert fresh(internal_agreement).status == "expired"
    grant.refresh_from_db()
    assert grant.ended_at is not None
    assert not has_view_permission(steward_dept, sewers)


def test_access_ends_with_the_holders_role_in_the_receiving_organisation(
    org_a_department, steward_dept, owner_a, sewers
):
    services.approve_access_request(ask(steward_dept, sewers, org_a_department), by=owner_a)
    assignment = RoleAssignment.objects.get(user=steward_dept)

    governance.revoke_role(assignment, by=None, reason="Wechsel in ein anderes Amt.")

    assert not permissions.can_access(steward_dept, sewers)
    services.apply_periods()
    assert not has_view_permission(steward_dept, sewers)


def test_a_grant_opens_that_dataset_and_nothing_else_of_the_organisation(
    org_a, org_a_department, steward_dept, steward_a, owner_a, sewers
):
    other = make_dataset(org_a, steward_a, "pumpwerke", title="Pumpwerke", confidentiality=1)
    services.approve_access_request(ask(steward_dept, sewers, org_a_department), by=owner_a)

    assert list(permissions.accessible_datasets(steward_dept)) == [sewers]
    assert not permissions.can_access(steward_dept, other)
    assert not has_view_permission(steward_dept, other)


def test_an_agreement_approved_without_legal_review_does_not_carry_personal_data(
    internal_agreement, org_a_department, steward_dept, owner_a, steward_a, sewers
):
    ask(steward_dept, sewers, org_a_department, agreement=internal_agreement)
    # The dataset turns out to be personal: the agreement had no legal review.
    catalog.classify_dataset(sewers, by=steward_a, fields=classification_fields(**PERSONAL))
    access_request = AccessRequest.objects.get()

    with pytest.raises(ValidationError, match="ohne Rechtsprüfung"):
        services.approve_access_request(access_request, by=owner_a)


def test_every_grant_and_revocation_is_audited(
    transfer_agreement, org_a_department, org_b, steward_dept, steward_b, owner_a, sewers, residents
):
    first = services.approve_access_request(ask(steward_dept, sewers, org_a_department, days=5), by=owner_a)
    second = services.approve_access_request(ask(steward_b, residents, org_b, agreement=transfer_agreement), by=owner_a)
    services.revoke_grant(first, by=owner_a, reasons="Erledigt.")
    step(services.terminate_agreement, transfer_agreement, by=owner_a, reasons="Beendet.")

    granted = permission_events("sharing.permission.granted")
    removed = permission_events("sharing.permission.removed")
    assert sorted(e.object_id for e in granted) == sorted([str(first.pk), str(second.pk)])
    assert sorted(e.object_id for e in removed) == sorted([str(first.pk), str(second.pk)])
    # And each grant's history: created, then revoked.
    for grant in (first, second):
        reasons = [r.history_change_reason for r in grant.history.order_by("history_date", "history_id")]
        assert reasons[0] == "sharing.grant.granted"
        assert reasons[1].startswith("sharing.grant.revoked")
    assert AuditEvent.objects.filter(content_type__model="accessgrant", action=AuditAction.CREATE).count() == 2


def test_the_periodic_task_restores_a_missing_permission(org_a_department, steward_dept, owner_a, sewers):
    from guardian.shortcuts import remove_perm

    services.approve_access_request(ask(steward_dept, sewers, org_a_department), by=owner_a)
    remove_perm("catalog.view_dataset", steward_dept, sewers)
    assert not permissions.can_access(steward_dept, sewers)  # both must hold

    from sharing.tasks import apply_sharing_periods

    assert apply_sharing_periods.delay().get()["permissions_added"] == 1
    assert permissions.can_access(steward_dept, sewers)
    assert permission_events("sharing.permission.restored").count() == 1


def test_the_access_check_reads_the_agreement_too(internal_agreement, org_a_department, steward_dept, owner_a, sewers):
    """Belt and braces: even a grant row left untouched (say, by a failed task) gives no
    access once its agreement is no longer in force."""
    services.approve_access_request(
        ask(steward_dept, sewers, org_a_department, agreement=internal_agreement), by=owner_a
    )
    assert permissions.can_access(steward_dept, sewers)

    SharingAgreement.objects.filter(pk=internal_agreement.pk).update(status="terminated")

    assert AccessGrant.objects.get().revoked_at is None
    assert not permissions.can_access(steward_dept, sewers)
