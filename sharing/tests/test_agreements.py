"""Sharing agreements: the workflow for every kind of arrangement, which agreements need
the legal office, the legal-basis and contract rules, four eyes, optimistic locking, and
a decision and a history record for every step."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from catalog import services as catalog
from catalog.tests.conftest import classification_fields, dataset_fields
from governance.models import AuditAction, AuditEvent, Decision, DecisionKind, DecisionOutcome, DNGRole
from sharing import services
from sharing.models import AgreementStatus, AgreementType, SharingAgreement
from sharing.services import ConflictError, SharingError

from .conftest import PERSONAL, draft, fresh, make_contract, step

S = AgreementStatus


def decisions_of(agreement):
    return list(
        Decision.objects.filter(kind=DecisionKind.SHARING, subject_id=str(agreement.pk)).order_by("decided_at", "pk")
    )


def reasons_of(agreement):
    """The change reasons of the agreement's versions, in order (setting the datasets of a
    new draft writes a second version with the same reason)."""
    records = agreement.history.order_by("history_date", "history_id")
    return list(dict.fromkeys(record.history_change_reason for record in records))


# ---------------------------------------------------------------------------
# The workflow, per kind of arrangement


def test_an_internal_use_without_personal_data_needs_only_the_owner(
    org_a, org_a_department, steward_a, owner_a, sewers
):
    agreement = draft(steward_a, org_a, org_a_department, [sewers])
    assert agreement.status == S.DRAFT

    step(services.submit_agreement, agreement, by=steward_a)
    assert fresh(agreement).status == S.OWNER_APPROVAL
    step(services.approve_agreement, agreement, by=owner_a)

    agreement = fresh(agreement)
    assert agreement.status == S.ACTIVE
    assert agreement.is_in_force()
    assert not agreement.legal_review_required
    assert agreement.owner_approved_by == owner_a
    assert [(d.outcome, d.actor) for d in decisions_of(agreement)] == [(DecisionOutcome.APPROVED, owner_a)]
    assert reasons_of(agreement) == [
        "sharing.agreement.created",
        "sharing.agreement.submitted",
        "sharing.agreement.owner_approved",
    ]
    # Every version is journaled under the providing organisation.
    events = AuditEvent.objects.filter(object_id=str(agreement.pk), content_type__model="sharingagreement")
    assert events.count() == agreement.history.count()
    assert set(events.values_list("organisation_id", flat=True)) == {org_a.pk}


def test_a_transfer_between_controllers_goes_through_legal_review(org_a, org_b, steward_a, owner_a, legal_a, sewers):
    agreement = draft(steward_a, org_a, org_b, [sewers], agreement_type=AgreementType.TRANSFER)
    step(services.submit_agreement, agreement, by=steward_a)
    step(services.approve_agreement, agreement, by=owner_a)

    assert fresh(agreement).status == S.LEGAL_REVIEW
    assert fresh(agreement).legal_review_required
    owner_decision = decisions_of(agreement)[0]
    assert owner_decision.required_reviews == ["legal_reviewer"]
    assert "verschiedene Verantwortliche" in owner_decision.reasons

    step(services.approve_agreement, agreement, by=legal_a, reasons="Übermittlung zulässig.")
    agreement = fresh(agreement)
    assert agreement.status == S.ACTIVE
    assert agreement.legal_approved_by == legal_a
    assert [d.actor for d in decisions_of(agreement)] == [owner_a, legal_a]


@pytest.mark.parametrize("kind", [AgreementType.JOINT_CONTROLLERS, AgreementType.PROCESSOR])
def test_joint_controllership_and_processing_need_their_contract(
    kind, org_a, org_b, steward_a, owner_a, legal_a, residents
):
    agreement = draft(
        steward_a, org_a, org_b, [residents], agreement_type=kind, legal_bases=["GDPR_6_1_e"],
        legal_norm="§ 34 BMG", deletion_period_months=12,
    )  # fmt: skip
    with pytest.raises(ValidationError) as error:
        step(services.submit_agreement, agreement, by=steward_a)
    assert "contract" in error.value.message_dict

    services.update_agreement(
        agreement, by=steward_a, fields={"contract": make_contract()}, datasets=[residents],
        expected_version=fresh(agreement).version,
    )  # fmt: skip
    step(services.submit_agreement, agreement, by=steward_a)
    step(services.approve_agreement, agreement, by=owner_a)
    assert fresh(agreement).status == S.LEGAL_REVIEW
    step(services.approve_agreement, agreement, by=legal_a)
    assert fresh(agreement).status == S.ACTIVE


def test_the_type_must_match_the_controllers(org_a, org_a_department, org_b, steward_a, sewers):
    inside = draft(steward_a, org_a, org_a_department, [sewers], agreement_type=AgreementType.TRANSFER)
    across = draft(steward_a, org_a, org_b, [sewers], agreement_type=AgreementType.SAME_CONTROLLER, title="B")

    assert "agreement_type" in services.agreement_problems(inside)
    assert "agreement_type" in services.agreement_problems(across)
    assert inside.allowed_types() == [AgreementType.SAME_CONTROLLER]
    assert AgreementType.SAME_CONTROLLER not in across.allowed_types()
    with pytest.raises(ValidationError):
        step(services.submit_agreement, across, by=steward_a)


def test_an_agreement_starting_later_takes_effect_on_its_first_day(org_a, org_a_department, steward_a, owner_a, sewers):
    start = timezone.localdate() + timedelta(days=10)
    agreement = draft(steward_a, org_a, org_a_department, [sewers], valid_from=start)
    step(services.submit_agreement, agreement, by=steward_a)
    step(services.approve_agreement, agreement, by=owner_a)
    assert fresh(agreement).status == S.APPROVED
    assert not fresh(agreement).is_in_force()

    services.apply_periods(now=timezone.now() + timedelta(days=10))

    assert fresh(agreement).status == S.ACTIVE
    assert reasons_of(agreement)[-1] == "sharing.agreement.activated"


def test_return_sends_it_back_to_draft_and_reject_ends_it(org_a, org_b, steward_a, owner_a, legal_a, sewers):
    agreement = draft(steward_a, org_a, org_b, [sewers], agreement_type=AgreementType.TRANSFER)
    step(services.submit_agreement, agreement, by=steward_a)
    with pytest.raises(ValidationError):
        step(services.return_agreement, agreement, by=owner_a, reasons=" ")
    step(services.return_agreement, agreement, by=owner_a, reasons="Zweck genauer fassen.")
    assert fresh(agreement).status == S.DRAFT

    step(services.submit_agreement, agreement, by=steward_a)
    step(services.approve_agreement, agreement, by=owner_a)
    step(services.reject_agreement, agreement, by=legal_a, reasons="Keine Rechtsgrundlage für die Übermittlung.")

    agreement = fresh(agreement)
    assert agreement.status == S.REJECTED
    assert agreement.end_reason == "Keine Rechtsgrundlage für die Übermittlung."
    assert [d.outcome for d in decisions_of(agreement)] == [
        DecisionOutcome.RETURNED,
        DecisionOutcome.APPROVED,
        DecisionOutcome.REJECTED,
    ]


def test_either_owner_may_terminate_with_reasons(internal_agreement, owner_a, steward_a):
    with pytest.raises(SharingError):
        step(services.terminate_agreement, internal_agreement, by=steward_a, reasons="Zweck entfallen.")
    with pytest.raises(ValidationError):
        step(services.terminate_agreement, internal_agreement, by=owner_a, reasons="")
    step(services.terminate_agreement, internal_agreement, by=owner_a, reasons="Zweck entfallen.")

    agreement = fresh(internal_agreement)
    assert agreement.status == S.TERMINATED
    assert not agreement.is_in_force()
    assert decisions_of(agreement)[-1].outcome == DecisionOutcome.WITHDRAWN


def test_an_agreement_expires_after_its_last_day(internal_agreement):
    last_day = internal_agreement.valid_until
    services.apply_periods(now=timezone.now() + timedelta(days=365))
    assert fresh(internal_agreement).status == S.ACTIVE  # the last day still counts

    services.apply_periods(now=timezone.now() + timedelta(days=366))

    agreement = fresh(internal_agreement)
    assert agreement.status == S.EXPIRED
    assert not agreement.is_in_force(last_day + timedelta(days=1))
    assert reasons_of(agreement)[-1] == "sharing.agreement.expired"


# ---------------------------------------------------------------------------
# When the legal office must review


def test_legal_review_rules(org_a, org_a_department, org_b, steward_a, sewers, residents, health):
    def reasons(recipient, datasets, **fields):
        return services.review_reasons(draft(steward_a, org_a, recipient, datasets, **fields))

    assert reasons(org_a_department, [sewers]) == []
    assert reasons(org_a_department, [residents], title="2") == ["„Meldedaten“ enthält personenbezogene Daten."]
    assert reasons(org_a_department, [health], title="3") == [
        "„Infektionsmeldungen“ enthält besondere Kategorien personenbezogener Daten (Art. 9/10 DSGVO)."
    ]
    assert len(reasons(org_b, [sewers], title="4", agreement_type=AgreementType.TRANSFER)) == 1


def test_special_categories_never_pass_without_legal_review(
    org_a, org_a_department, steward_a, owner_a, legal_a, health
):
    agreement = draft(
        steward_a, org_a, org_a_department, [health], legal_bases=["GDPR_6_1_e"], deletion_period_months=3,
        legal_norm="§ 6 IfSG",
    )  # fmt: skip
    assert "legal_bases" in services.agreement_problems(agreement)  # Art. 9 basis missing
    services.update_agreement(
        agreement, by=steward_a, fields={"legal_bases": ["GDPR_6_1_e", "GDPR_9_2_i"]}, datasets=[health],
        expected_version=fresh(agreement).version,
    )  # fmt: skip
    step(services.submit_agreement, agreement, by=steward_a)
    step(services.approve_agreement, agreement, by=owner_a)

    assert fresh(agreement).status == S.LEGAL_REVIEW  # even within one controller


def test_a_dataset_reclassified_after_submission_is_judged_as_it_is_now(
    org_a, org_a_department, steward_a, owner_a, sewers
):
    agreement = draft(
        steward_a, org_a, org_a_department, [sewers], legal_bases=["GDPR_6_1_e"], legal_norm="§ 4 ThürDSG",
        deletion_period_months=6,
    )  # fmt: skip
    step(services.submit_agreement, agreement, by=steward_a)
    catalog.classify_dataset(sewers, by=steward_a, fields=classification_fields(**PERSONAL))

    step(services.approve_agreement, agreement, by=owner_a)

    assert fresh(agreement).status == S.LEGAL_REVIEW


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"legal_bases": []}, "legal_bases"),  # personal data leaves the controller without a basis
        ({"legal_bases": ["GDPR_6_4"]}, "legal_bases"),  # compatible further use is no basis for a transfer
        ({"legal_bases": ["GDPR_6_1_e"], "legal_norm": ""}, "legal_norm"),  # lit. e names its law
        ({"legal_bases": ["GDPR_6_1_f"]}, "legal_bases"),  # not for public bodies
        ({"deletion_period_months": None}, "deletion_period_months"),
    ],
)
def test_personal_data_across_controllers_needs_a_valid_legal_basis(org_a, org_b, steward_a, residents, fields, field):
    assert org_b.dng_role == DNGRole.PUBLIC_BODY
    complete = {"legal_bases": ["GDPR_6_1_e"], "legal_norm": "§ 34 BMG", "deletion_period_months": 6}
    agreement = draft(steward_a, org_a, org_b, [residents], agreement_type=AgreementType.TRANSFER, **complete)
    assert services.agreement_problems(agreement) == {}

    for name, value in fields.items():
        setattr(agreement, name, value)

    assert field in services.agreement_problems(agreement)


def test_datasets_must_belong_to_the_provider_and_be_classified(org_a, org_b, steward_a, steward_b, sewers):
    other = catalog.create_dataset(by=steward_b, fields=dataset_fields(org_b, name="parkhaeuser", title="Parkhäuser"))
    agreement = draft(steward_a, org_a, org_b, [sewers, other], agreement_type=AgreementType.TRANSFER)
    messages = services.agreement_problems(agreement)["datasets"]
    assert "„Parkhäuser“ gehört nicht zur bereitstellenden Organisation." in messages
    assert any("noch nicht klassifiziert" in message for message in messages)


# ---------------------------------------------------------------------------
# Who may act


def test_drafting_needs_a_steward_or_owner_of_either_side(org_a, org_b, steward_b, legal_a, sewers):
    with pytest.raises(SharingError):
        draft(legal_a, org_a, org_b, [sewers])
    # The receiving side may propose an agreement about the provider's data.
    proposed = draft(steward_b, org_a, org_b, [sewers], agreement_type=AgreementType.TRANSFER)
    assert proposed.created_by == steward_b


def test_four_eyes(org_a, org_b, owner_a, legal_a, sewers):
    from conftest import make_user
    from governance import services as governance
    from governance.models import Role

    both = make_user("both")
    governance.assign_role(both, Role.OWNER, org_a, by=None)
    governance.assign_role(both, Role.LEGAL_REVIEWER, org_a, by=None)
    drafted_by_owner = draft(owner_a, org_a, org_b, [sewers], agreement_type=AgreementType.TRANSFER)
    step(services.submit_agreement, drafted_by_owner, by=owner_a)
    with pytest.raises(SharingError, match="Vier-Augen"):
        step(services.approve_agreement, drafted_by_owner, by=owner_a)

    step(services.approve_agreement, drafted_by_owner, by=both)
    with pytest.raises(SharingError, match="Vier-Augen"):
        step(services.approve_agreement, drafted_by_owner, by=both)
    with pytest.raises(SharingError, match="Rechtsprüfung"):
        step(services.approve_agreement, drafted_by_owner, by=owner_a)  # wrong role for this stage
    step(services.approve_agreement, drafted_by_owner, by=legal_a)
    assert fresh(drafted_by_owner).status == S.ACTIVE


def test_a_stale_version_is_a_conflict_not_a_second_decision(org_a, org_a_department, steward_a, owner_a, sewers):
    agreement = draft(steward_a, org_a, org_a_department, [sewers])
    seen = fresh(agreement).version
    services.update_agreement(
        agreement, by=steward_a, fields={"purpose": "Neu."}, datasets=[sewers], expected_version=seen
    )
    with pytest.raises(ConflictError):
        services.update_agreement(
            agreement, by=steward_a, fields={"purpose": "Alt."}, datasets=[sewers], expected_version=seen
        )
    step(services.submit_agreement, agreement, by=steward_a)
    version = fresh(agreement).version
    services.approve_agreement(fresh(agreement), by=owner_a, expected_version=version)
    with pytest.raises(ConflictError):
        services.approve_agreement(fresh(agreement), by=owner_a, expected_version=version)
    assert len(decisions_of(agreement)) == 1
    assert fresh(agreement).purpose == "Neu."


def test_only_drafts_change(internal_agreement, steward_a, sewers):
    with pytest.raises(SharingError):
        services.update_agreement(
            internal_agreement, by=steward_a, fields={"purpose": "Anders."}, datasets=[sewers],
            expected_version=internal_agreement.version,
        )  # fmt: skip


def test_history_keeps_the_covered_datasets(org_a, org_a_department, steward_a, sewers, residents):
    agreement = draft(steward_a, org_a, org_a_department, [sewers])
    services.update_agreement(
        agreement, by=steward_a, fields={}, datasets=[sewers, residents], expected_version=fresh(agreement).version
    )
    records = list(agreement.history.order_by("history_date", "history_id"))
    assert [row.dataset_id for row in records[1].datasets.all()] == [sewers.pk]  # the draft as created
    assert {row.dataset_id for row in records[-1].datasets.all()} == {sewers.pk, residents.pk}
    assert SharingAgreement.objects.get(pk=agreement.pk).datasets.count() == 2
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, object_id=str(agreement.pk)).exists()
