"""The publication workflow: every transition for every role, four eyes, reasons,
decisions and audit events, editing in review, re-review triggers, the task inbox and
its mail, and two reviewers acting at the same moment (real threads, PostgreSQL)."""

import threading
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from catalog import inbox, services, workflow
from catalog.errors import CatalogError, ConflictError, WorkflowError
from catalog.models import Dataset, DatasetState, PersonalDataStatus
from catalog.tests.conftest import classification_fields, dataset_fields
from conftest import make_role_holder
from governance import services as governance
from governance.inbox import add_working_days
from governance.models import AuditAction, AuditEvent, Decision, DecisionKind, PolicyKind, Role

S = DatasetState


@pytest.fixture
def legal_a(org_a):
    return make_role_holder("legal-a", Role.LEGAL_REVIEWER, org_a, email="legal-a@stadt-a.example")


@pytest.fixture
def legal_a2(org_a):
    return make_role_holder("legal-a2", Role.LEGAL_REVIEWER, org_a, email="legal-a2@stadt-a.example")


@pytest.fixture
def ethics_a(org_a):
    return make_role_holder("ethics-a", Role.ETHICS_BOARD_MEMBER, org_a, email="ethics-a@stadt-a.example")


@pytest.fixture
def ready(default_rules, dataset_a, steward_a):
    """A classified open dataset (no rule applies), still a draft."""
    services.classify_dataset(dataset_a, by=steward_a, fields=classification_fields())
    return Dataset.objects.get(pk=dataset_a.pk)


def fresh(dataset):
    return Dataset.objects.select_related("publisher", "current_classification").get(pk=dataset.pk)


def submit(dataset, steward):
    workflow.submit(dataset, by=steward, expected_version=fresh(dataset).version)
    return fresh(dataset)


def to_legal_review(dataset, steward, owner):
    submit(dataset, steward)
    workflow.sign_off(dataset, by=owner, expected_version=fresh(dataset).version)
    return fresh(dataset)


def decisions_of(dataset):
    return Decision.objects.filter(subject_id=str(dataset.pk)).order_by("decided_at", "pk")


# ---------------------------------------------------------------------------
# The happy path, with a Decision and an AuditEvent for every transition


def test_an_open_dataset_goes_from_draft_to_published(ready, steward_a, owner_a, legal_a):
    events_before = AuditEvent.objects.filter(action=AuditAction.DECISION).count()

    submit(ready, steward_a)
    assert fresh(ready).state == S.IN_REVIEW
    assert fresh(ready).publication_outcome == "open"
    workflow.sign_off(ready, by=owner_a, expected_version=fresh(ready).version)
    assert fresh(ready).state == S.LEGAL_REVIEW
    workflow.approve(ready, by=legal_a, expected_version=fresh(ready).version)
    assert fresh(ready).state == S.APPROVED
    assert not Dataset.objects.published().exists()
    workflow.publish(ready, by=steward_a, expected_version=fresh(ready).version)

    dataset = fresh(ready)
    assert dataset.state == S.PUBLISHED
    assert dataset.issued is not None
    assert list(Dataset.objects.published()) == [dataset]
    decisions = list(decisions_of(dataset))
    assert [(d.kind, d.outcome) for d in decisions] == [
        (DecisionKind.PUBLICATION, "open"),
        (DecisionKind.REVIEW, "approved"),
        (DecisionKind.PUBLICATION, "open"),
        (DecisionKind.PUBLICATION, "open"),
    ]
    assert [d.actor for d in decisions] == [steward_a, owner_a, legal_a, steward_a]
    assert AuditEvent.objects.filter(action=AuditAction.DECISION).count() == events_before + 4
    # The submit decision names the rules it evaluated, the exact classification and dataset versions.
    assert decisions[0].rule_versions.count() == 17
    assert decisions[0].classification == dataset.current_classification
    assert decisions[0].subject_version.state == S.IN_REVIEW
    reasons = list(dataset.history.order_by("history_date").values_list("history_change_reason", flat=True))
    assert [r for r in reasons if r.startswith("catalog.workflow.")] == [
        "catalog.workflow.submitted",
        "catalog.workflow.signed_off",
        "catalog.workflow.approved: open",
        "catalog.workflow.published",
    ]


def test_withdrawing_and_returning_need_reasons_and_are_recorded(ready, steward_a, owner_a, legal_a):
    to_legal_review(ready, steward_a, owner_a)
    with pytest.raises(ValidationError):
        workflow.return_to_draft(ready, by=legal_a, expected_version=fresh(ready).version, reasons="  ")
    workflow.return_to_draft(ready, by=legal_a, expected_version=fresh(ready).version, reasons="Lizenz prüfen")
    assert fresh(ready).state == S.RETURNED
    assert decisions_of(ready).last().reasons == "Lizenz prüfen"

    to_legal_review(ready, steward_a, owner_a)
    workflow.approve(ready, by=legal_a, expected_version=fresh(ready).version)
    workflow.publish(ready, by=owner_a, expected_version=fresh(ready).version)
    with pytest.raises(ValidationError):
        workflow.withdraw(ready, by=steward_a, expected_version=fresh(ready).version, reasons="")
    workflow.withdraw(ready, by=steward_a, expected_version=fresh(ready).version, reasons="Datenfehler entdeckt")
    assert fresh(ready).state == S.WITHDRAWN
    assert not Dataset.objects.published().exists()
    assert decisions_of(ready).last().outcome == "withdrawn"
    # Withdrawn datasets can be submitted again.
    submit(ready, steward_a)
    assert fresh(ready).state == S.IN_REVIEW


def test_a_personal_dataset_needs_confirmed_grounds_and_stays_unpublished_if_internal(
    default_rules, dataset_a, steward_a, owner_a, legal_a
):
    fields = classification_fields(
        personal_data=PersonalDataStatus.PERSONAL, confidentiality=2, legal_bases=["GDPR_6_1_e"]
    )
    services.classify_dataset(dataset_a, by=steward_a, fields=fields)
    to_legal_review(dataset_a, steward_a, owner_a)
    assert fresh(dataset_a).publication_outcome == "internal"

    with pytest.raises(ValidationError, match="bestätigen"):
        workflow.approve(dataset_a, by=legal_a, expected_version=fresh(dataset_a).version)
    decision = workflow.approve(dataset_a, by=legal_a, expected_version=fresh(dataset_a).version, confirmed=True)

    assert decision.outcome == "internal"
    assert decision.exclusion_grounds == ["CONFIDENTIALITY_LEVEL", "PERSONAL_DATA"]
    assert decision.rereview_on > date.today()
    dataset = fresh(dataset_a)
    assert dataset.state == S.APPROVED
    assert dataset.rereview_on
    with pytest.raises(WorkflowError, match="nicht veröffentlicht"):
        workflow.publish(dataset, by=steward_a, expected_version=dataset.version)


def test_an_aggregated_form_is_published_only_when_confirmed(default_rules, dataset_a, steward_a, owner_a, legal_a):
    fields = classification_fields(personal_data=PersonalDataStatus.PERSONAL, confidentiality=1,
                                   legal_bases=["GDPR_6_1_e"])  # fmt: skip
    services.classify_dataset(dataset_a, by=steward_a, fields=fields)
    to_legal_review(dataset_a, steward_a, owner_a)
    workflow.approve(dataset_a, by=legal_a, expected_version=fresh(dataset_a).version, confirmed=True)
    assert fresh(dataset_a).publication_outcome == "aggregated"

    with pytest.raises(ValidationError):
        workflow.publish(dataset_a, by=steward_a, expected_version=fresh(dataset_a).version)
    workflow.publish(dataset_a, by=steward_a, expected_version=fresh(dataset_a).version, confirm_alternative=True)
    assert fresh(dataset_a).state == S.PUBLISHED
    assert decisions_of(dataset_a).last().outcome == "aggregated"


def test_a_refusal_needs_reasons_a_ground_and_a_future_re_review(ready, steward_a, owner_a, legal_a):
    to_legal_review(ready, steward_a, owner_a)
    version = fresh(ready).version
    later = timezone.localdate() + timedelta(days=365)
    with pytest.raises(ValidationError):
        workflow.refuse(ready, by=legal_a, expected_version=version, reasons="", grounds=["TRADE_SECRET"],
                        rereview_on=later)  # fmt: skip
    with pytest.raises(ValidationError):
        workflow.refuse(ready, by=legal_a, expected_version=version, reasons="Vertrag", grounds=[], rereview_on=later)
    with pytest.raises(ValidationError):
        workflow.refuse(ready, by=legal_a, expected_version=version, reasons="Vertrag", grounds=["PERSONAL_DATA"],
                        rereview_on=timezone.localdate())  # fmt: skip

    decision = workflow.refuse(
        ready, by=legal_a, expected_version=version, reasons="Lizenzvertrag mit Dritten", grounds=["PERSONAL_DATA"],
        rereview_on=later, outcome="internal",
    )  # fmt: skip

    assert (decision.outcome, decision.exclusion_grounds, decision.rereview_on) == (
        "internal",
        ["PERSONAL_DATA"],
        later,
    )
    assert fresh(ready).state == S.APPROVED
    assert fresh(ready).publication_outcome == "internal"


def test_ethics_flagged_datasets_go_to_the_board_before_legal_approval(
    default_rules, dataset_a, steward_a, owner_a, legal_a, ethics_a
):
    fields = classification_fields(
        personal_data=PersonalDataStatus.AGGREGATED, vulnerable_subjects=False, spatial_granularity="district"
    )
    services.classify_dataset(dataset_a, by=steward_a, fields=fields)
    # vulnerable subjects need personal data; an aggregated table of them goes to the board too
    fields = classification_fields(
        personal_data=PersonalDataStatus.PERSONAL, confidentiality=1, legal_bases=["GDPR_6_1_e"],
        vulnerable_subjects=True,
    )  # fmt: skip
    services.classify_dataset(dataset_a, by=steward_a, fields=fields, based_on=1)
    submit(dataset_a, steward_a)
    workflow.sign_off(dataset_a, by=owner_a, expected_version=fresh(dataset_a).version)
    assert fresh(dataset_a).state == S.ETHICS_REVIEW
    with pytest.raises(WorkflowError):
        workflow.approve(dataset_a, by=legal_a, expected_version=fresh(dataset_a).version, confirmed=True)
    # The board's outcome comes from its vote in the ethics review (ethics.services.close_review,
    # tested in ethics/tests), which calls this transition on behalf of a board member.
    assert "ethics" not in [t.action for t in workflow.available_transitions(fresh(dataset_a), ethics_a)]
    with pytest.raises(ValidationError):
        workflow.record_ethics_outcome(
            dataset_a, by=ethics_a, expected_version=fresh(dataset_a).version, outcome="approved", reasons=""
        )
    with pytest.raises(WorkflowError, match="Rolle"):
        workflow.record_ethics_outcome(
            dataset_a, by=legal_a, expected_version=fresh(dataset_a).version, outcome="approved", reasons="x"
        )

    workflow.record_ethics_outcome(
        dataset_a, by=ethics_a, expected_version=fresh(dataset_a).version, outcome="rejected",
        reasons="Gefahr der Stigmatisierung",
    )  # fmt: skip

    dataset = fresh(dataset_a)
    assert dataset.state == S.LEGAL_REVIEW
    assert dataset.publication_outcome == "closed"  # R-ETHIK-VETO
    assert decisions_of(dataset).last().kind == DecisionKind.ETHICS
    decision = workflow.approve(dataset, by=legal_a, expected_version=dataset.version, confirmed=True)
    assert decision.outcome == "closed"
    assert "ETHICS_BOARD_VETO" in decision.exclusion_grounds


def test_the_board_can_send_a_dataset_back(default_rules, dataset_a, steward_a, owner_a, ethics_a):
    fields = classification_fields(personal_data=PersonalDataStatus.PERSONAL, confidentiality=1,
                                   legal_bases=["GDPR_6_1_e"], vulnerable_subjects=True)  # fmt: skip
    services.classify_dataset(dataset_a, by=steward_a, fields=fields)
    submit(dataset_a, steward_a)
    workflow.sign_off(dataset_a, by=owner_a, expected_version=fresh(dataset_a).version)
    workflow.record_ethics_outcome(dataset_a, by=ethics_a, expected_version=fresh(dataset_a).version,
                                   outcome="revise", reasons="Bitte gröber aggregieren")  # fmt: skip
    assert fresh(dataset_a).state == S.RETURNED


# ---------------------------------------------------------------------------
# Roles × transitions


STATE_FOR = {
    "submit": S.DRAFT,
    "sign_off": S.IN_REVIEW,
    "approve": S.LEGAL_REVIEW,
    "refuse": S.LEGAL_REVIEW,
    "return": S.LEGAL_REVIEW,
    "publish": S.APPROVED,
    "withdraw": S.PUBLISHED,
    "rereview": S.PUBLISHED,
}
ALLOWED = {
    "submit": {"steward"},
    "sign_off": {"owner"},
    "approve": {"legal"},
    "refuse": {"legal"},
    "return": {"legal"},
    "publish": {"steward", "owner", "legal"},
    "withdraw": {"steward", "owner", "legal"},
    "rereview": {"steward", "owner", "legal"},
}
ROLES = {
    "steward": Role.STEWARD,
    "owner": Role.OWNER,
    "legal": Role.LEGAL_REVIEWER,
    "ethics": Role.ETHICS_BOARD_MEMBER,
    "admin": Role.GOVERNANCE_ADMIN,
    "other-city legal": None,
}


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("action", list(STATE_FOR))
def test_who_may_do_which_transition(ready, org_a, org_b, action, role):
    person = make_role_holder(f"p-{role}".replace(" ", "-"), ROLES[role] or Role.LEGAL_REVIEWER,
                              org_a if ROLES[role] else org_b)  # fmt: skip
    Dataset.objects.filter(pk=ready.pk).update(state=STATE_FOR[action], publication_outcome="open")
    dataset = fresh(ready)

    assert (workflow.refusal(action, dataset, person) is None) == (role in ALLOWED[action])


@pytest.mark.parametrize("action", list(workflow.TRANSITIONS))
@pytest.mark.parametrize("state", list(S))
def test_every_transition_is_refused_in_a_state_it_does_not_start_from(ready, admin_a, action, state):
    Dataset.objects.filter(pk=ready.pk).update(state=state)
    superuser = type(admin_a).objects.create_superuser("root", password="x")
    dataset = fresh(ready)
    message = workflow.refusal(action, dataset, superuser)
    if state in workflow.TRANSITIONS[action].states:
        assert message is None or "Vier-Augen" not in message
    else:
        assert "nicht möglich" in message
        data = {"expected_version": dataset.version, "reasons": "x", "ethics_outcome": "approved"}
        with pytest.raises((WorkflowError, ValidationError)):
            workflow.perform(action, dataset, by=superuser, data=data)
        assert fresh(ready).state == state


def test_whoever_classified_or_submitted_cannot_approve(ready, steward_a, owner_a, org_a):
    # The steward also holds the legal reviewer role: four eyes still keep them out.
    governance.assign_role(steward_a, Role.LEGAL_REVIEWER, org_a, by=None)
    to_legal_review(ready, steward_a, owner_a)
    dataset = fresh(ready)

    assert "approve" not in [t.action for t in workflow.available_transitions(dataset, steward_a)]
    with pytest.raises(WorkflowError, match="Vier-Augen"):
        workflow.approve(dataset, by=steward_a, expected_version=dataset.version)
    # The owner submitted nothing but classified nothing either: may they approve? Only with the legal role.
    with pytest.raises(WorkflowError, match="Rolle"):
        workflow.approve(dataset, by=owner_a, expected_version=dataset.version)
    assert fresh(ready).state == S.LEGAL_REVIEW


def test_a_deputy_of_the_legal_reviewer_may_approve(ready, steward_a, owner_a, legal_a, org_a, admin_a):
    from conftest import make_role_holder

    principal = legal_a.role_assignments.get()
    deputy = make_role_holder("deputy", Role.STEWARD, org_a)  # someone of the same city
    governance.appoint_deputy(principal, deputy, by=admin_a, valid_from=timezone.now(),
                              valid_until=timezone.now() + timedelta(days=7))  # fmt: skip
    to_legal_review(ready, steward_a, owner_a)

    workflow.approve(ready, by=deputy, expected_version=fresh(ready).version)
    assert fresh(ready).state == S.APPROVED


def test_a_stale_version_is_a_conflict_not_a_second_decision(ready, steward_a, owner_a, legal_a, legal_a2):
    to_legal_review(ready, steward_a, owner_a)
    version = fresh(ready).version
    workflow.approve(ready, by=legal_a, expected_version=version)

    with pytest.raises(ConflictError, match="inzwischen"):
        workflow.return_to_draft(ready, by=legal_a2, expected_version=version, reasons="Nein")
    assert decisions_of(ready).filter(kind=DecisionKind.PUBLICATION, actor=legal_a).count() == 1
    assert fresh(ready).state == S.APPROVED


# ---------------------------------------------------------------------------
# Editing while in review


def test_a_dataset_in_review_cannot_be_edited_or_reclassified(ready, steward_a):
    submit(ready, steward_a)
    dataset = fresh(ready)
    with pytest.raises(CatalogError, match="in Prüfung"):
        services.update_dataset(dataset, by=steward_a, fields={"title": "Neu"}, expected_version=dataset.version)
    with pytest.raises(CatalogError, match="in Prüfung"):
        services.classify_dataset(dataset, by=steward_a, fields=classification_fields(justification="x"), based_on=1)
    with pytest.raises(CatalogError, match="in Prüfung"):
        services.add_distribution(dataset, by=steward_a, title="x", access_url="https://x.example/", format="CSV")
    # An edit made on the version before the submission is a conflict.
    with pytest.raises(ConflictError):
        services.update_dataset(dataset, by=steward_a, fields={"title": "Neu"}, expected_version=dataset.version - 1)


# ---------------------------------------------------------------------------
# Re-review triggers


@pytest.fixture
def published(ready, steward_a, owner_a, legal_a):
    to_legal_review(ready, steward_a, owner_a)
    workflow.approve(ready, by=legal_a, expected_version=fresh(ready).version)
    workflow.publish(ready, by=steward_a, expected_version=fresh(ready).version)
    return fresh(ready)


def test_a_new_classification_that_blocks_unpublishes_at_once(published, steward_a, legal_a):
    fields = classification_fields(personal_data=PersonalDataStatus.PERSONAL, confidentiality=1,
                                   legal_bases=["GDPR_6_1_e"])  # fmt: skip
    services.classify_dataset(published, by=steward_a, fields=fields, based_on=1)

    dataset = fresh(published)
    assert dataset.state == S.LEGAL_REVIEW
    assert not Dataset.objects.published().exists()
    decision = decisions_of(dataset).last()
    assert decision.outcome == "aggregated"
    assert "sofort aufgehoben" in decision.reasons
    assert "Klassifizierung" in decision.reasons
    assert decision.exclusion_grounds == ["PERSONAL_DATA"]


def test_a_new_classification_that_stays_open_keeps_it_published_until_confirmed(published, steward_a, legal_a):
    services.classify_dataset(published, by=steward_a, fields=classification_fields(spatial_granularity="district"),
                              based_on=1)  # fmt: skip
    dataset = fresh(published)
    assert dataset.state == S.PUBLISHED
    assert dataset.rereview_requested_at
    assert [t.subject for t in inbox.tasks_for(legal_a)] == [dataset]

    workflow.confirm_rereview(dataset, by=legal_a, expected_version=dataset.version)
    assert fresh(published).rereview_requested_at is None
    assert inbox.tasks_for(legal_a) == []


def test_a_reached_re_review_date_re_opens_review(published):
    Dataset.objects.filter(pk=published.pk).update(rereview_on=timezone.localdate() - timedelta(days=1))
    assert workflow.run_rereview_triggers() == 1
    dataset = fresh(published)
    assert dataset.state == S.PUBLISHED
    assert "Wiedervorlage" in dataset.rereview_reason
    assert workflow.run_rereview_triggers() == 0  # already open


def test_a_rule_change_in_force_that_blocks_unpublishes(published, admin_a):
    document = governance.create_document(by=admin_a, kind=PolicyKind.GUIDELINE, title="Leitlinie", slug="leitlinie")
    version = governance.create_draft(document, by=admin_a, title="Leitlinie", body="## § 1 Punkte\n\n(1) Nein.\n")
    governance.save_rule_version(
        version, by=admin_a, code="R-PUNKTDATEN",
        fields={"section": version.sections.get(number="§ 1 Abs. 1"), "title": "Keine Punktdaten",
                "condition": {"field": "spatial_granularity", "op": "==", "value": "point"},
                "effect": "block", "ground": "PERSONAL_DATA", "alternative": "aggregated", "rereview_months": 6},
    )  # fmt: skip
    governance.adopt_version(version, by=admin_a, adopted_by="Rat", adopted_on=timezone.localdate(),
                             resolution_number="1")  # fmt: skip
    assert workflow.run_rereview_triggers() == 0  # adopted, not yet in force
    governance.put_in_force(version, by=admin_a, valid_from=timezone.localdate())

    assert workflow.run_rereview_triggers() == 1
    dataset = fresh(published)
    assert dataset.state == S.LEGAL_REVIEW
    assert dataset.publication_outcome == "aggregated"
    assert "Regeln" in decisions_of(dataset).last().reasons
    assert decisions_of(dataset).last().actor is None


def test_an_approved_closed_dataset_comes_back_on_its_re_review_date(ready, steward_a, owner_a, legal_a):
    to_legal_review(ready, steward_a, owner_a)
    workflow.refuse(ready, by=legal_a, expected_version=fresh(ready).version, reasons="Vertrag",
                    grounds=["TRADE_SECRET"], rereview_on=timezone.localdate() + timedelta(days=30))  # fmt: skip
    assert workflow.run_rereview_triggers() == 0
    assert workflow.run_rereview_triggers(on=timezone.localdate() + timedelta(days=30)) == 1
    assert fresh(ready).state == S.LEGAL_REVIEW


# ---------------------------------------------------------------------------
# Task inbox and mail


def test_the_task_inbox_shows_what_waits_for_each_role(
    ready, steward_a, owner_a, legal_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submit(ready, steward_a)
    assert [t.label for t in inbox.tasks_for(owner_a)] == ["Freigabe als Dateneigentümer:in"]
    assert inbox.tasks_for(legal_a) == []
    assert [m.to for m in mail.outbox] == [[owner_a.email]] if owner_a.email else True

    with django_capture_on_commit_callbacks(execute=True):
        workflow.sign_off(ready, by=owner_a, expected_version=fresh(ready).version)
    task = inbox.tasks_for(legal_a)[0]
    assert task.label == "Rechtsprüfung"
    assert not task.overdue
    assert task.due == add_working_days(timezone.localdate(), 10)
    assert mail.outbox[-1].to == [legal_a.email]
    assert mail.outbox[-1].subject == "Neue Aufgabe: Rechtsprüfung – Baumkataster"
    assert "Bitte erledigen Sie sie bis zum" in mail.outbox[-1].body
    assert inbox.tasks_for(steward_a) == []  # the submitter is not asked to review


def test_overdue_tasks_are_marked_and_reminded(ready, steward_a, owner_a, legal_a, client_for):
    from catalog.tasks import send_overdue_reminders

    to_legal_review(ready, steward_a, owner_a)
    Dataset.objects.filter(pk=ready.pk).update(state_changed_at=timezone.now() - timedelta(days=30))
    mail.outbox.clear()

    assert inbox.tasks_for(legal_a)[0].overdue
    assert send_overdue_reminders() == 1
    assert mail.outbox[0].subject.startswith("Erinnerung: Rechtsprüfung")
    response = client_for(legal_a).get(reverse("governance:tasks"))
    assert "überfällig seit" in response.content.decode()


def test_the_task_inbox_needs_a_fixed_number_of_queries(
    default_rules, org_a, steward_a, owner_a, legal_a, client_for, django_assert_num_queries
):
    for index in range(6):
        dataset = services.create_dataset(by=steward_a, fields=dataset_fields(org_a, name=f"ds-{index}"))
        services.classify_dataset(dataset, by=steward_a, fields=classification_fields())
        to_legal_review(dataset, steward_a, owner_a)
    client = client_for(legal_a)
    client.get(reverse("governance:tasks"))  # warm caches (content types, permissions)

    # 8 for the page and the catalog's tasks, 1 for the ethics app's (nothing waits there),
    # 1 for the sharing app's (agreements and access requests in one UNION), 1 for the
    # catalog's quality tasks (broken links, overdue updates), 1 for who the user stands in
    # for or who stands in for them (asked once for the catalog's tasks and the pending
    # changes), 1 for the pending changes, 1 for blocked files, 1 for the strategy's overdue
    # milestones, 1 for governance's deputies waiting for approval, 1 for the data requests
    # routed to the user (portal, issue 22).
    with django_assert_num_queries(17):
        response = client.get(reverse("governance:tasks"))
    assert response.content.decode().count('#workflow">') == 6


# ---------------------------------------------------------------------------
# Concurrency: two legal reviewers at the same moment


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_approving_at_once_give_one_transition_and_one_conflict(
    vocabularies, org_a, steward_a, owner_a, legal_a, legal_a2
):
    from governance.reference_data import install_default_rule_set

    install_default_rule_set()
    dataset = services.create_dataset(by=steward_a, fields=dataset_fields(org_a))
    services.classify_dataset(dataset, by=steward_a, fields=classification_fields())
    to_legal_review(dataset, steward_a, owner_a)
    version = fresh(dataset).version
    barrier = threading.Barrier(2)
    results = {}

    def act(reviewer, action):
        try:
            barrier.wait(timeout=10)
            if action == "approve":
                workflow.approve(dataset, by=reviewer, expected_version=version)
            else:
                workflow.return_to_draft(dataset, by=reviewer, expected_version=version, reasons="Nein")
            results[reviewer.username] = "ok"
        except ConflictError:
            results[reviewer.username] = "conflict"
        except Exception as error:
            results[reviewer.username] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(legal_a, "approve")),
               threading.Thread(target=act, args=(legal_a2, "approve"))]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results.values()) == ["conflict", "ok"], results
    assert fresh(dataset).state == S.APPROVED
    assert Decision.objects.filter(subject_id=str(dataset.pk), kind=DecisionKind.PUBLICATION,
                                   actor__in=[legal_a, legal_a2]).count() == 1  # fmt: skip


def test_the_inbox_leaves_out_a_review_whose_submitter_stands_in_for_the_reviewer(
    ready, steward_a, owner_a, legal_a, org_a
):
    from governance.models import RoleAssignment

    admin = make_role_holder("admin-a", Role.GOVERNANCE_ADMIN, org_a)
    now = timezone.now()
    legal_role = RoleAssignment.objects.get(user=legal_a, role=Role.LEGAL_REVIEWER)
    governance.appoint_deputy(
        legal_role, steward_a, by=admin, valid_from=now - timedelta(hours=1), valid_until=now + timedelta(days=7)
    )
    dataset = to_legal_review(ready, steward_a, owner_a)

    assert workflow.judgement("approve", dataset, legal_a).kind == "four_eyes"
    assert dataset not in [task.subject for task in inbox.tasks_for(legal_a)]
