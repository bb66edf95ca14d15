"""The ethics review process: automatic opening, questionnaire versions, referral
criteria, quorum, recusal and majority, the hard stop, conditions, the veto and who may
do what; a Decision and AuditEvents for every step."""

from datetime import date, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from catalog import workflow
from catalog.errors import WorkflowError
from catalog.models import DatasetState
from conftest import make_role_holder, make_user
from ethics import inbox, questionnaire, services
from ethics.models import (
    Condition,
    EthicsReview,
    ImmutableError,
    Question,
    QuestionKind,
    Referral,
    ReviewStatus,
)
from ethics.services import EthicsError
from ethics.tasks import send_condition_reminders
from governance import inbox as governance_inbox
from governance.models import AuditEvent, Decision, DecisionKind, Role

from .conftest import all_answers, fresh, later, to_ethics_review

S = DatasetState


def submitted(review, by, **overrides):
    return services.answer(review, by=by, answers=all_answers(review, **overrides), submit=True)


def vote(review, member, outcome, reasoning="Begründung", **kwargs):
    return services.cast_vote(review, by=member, vote=outcome, reasoning=reasoning, **kwargs)


def close(review, by, days=365):
    return services.close_review(
        review, by=by, reasoning="Abgewogen.", public_summary="Zusammenfassung.", next_review_on=later(days)
    )


# ---------------------------------------------------------------------------
# Opening


def test_a_dataset_entering_ethics_review_gets_a_review_opened_automatically(flagged, steward_a):
    review = EthicsReview.objects.get(dataset=flagged)

    assert flagged.state == S.ETHICS_REVIEW
    assert review.status == ReviewStatus.ANSWERING
    assert review.opened_automatically
    assert review.applicant == steward_a
    assert review.organisation == flagged.publisher
    assert review.questionnaire.number == 1
    assert review.quorum == 2
    assert AuditEvent.objects.filter(reason="ethics.opened", object_id=str(review.pk)).exists()


def test_a_data_use_is_reviewed_on_request_with_the_algorithmic_questions(data_use, steward_a, outsider):
    with pytest.raises(EthicsError):
        services.open_review(data_use, by=outsider)
    review = services.open_review(data_use, by=steward_a)

    assert not review.opened_automatically
    assert services.open_review(data_use, by=steward_a) == review  # one open review per subject
    codes = {q.code for q in services.questions_for(review)}
    assert {"dek_criticality", "ai_act_tier", "sale_of_personal_data", "fairness", "wp248_monitoring"} <= codes
    assert len([q for q in services.questions_for(review) if q.group in ("know", "explore", "plan", "integrate")]) == 15


def test_a_dataset_review_skips_the_questions_for_algorithmic_systems(review):
    codes = {q.code for q in services.questions_for(review)}
    assert "dek_criticality" not in codes
    assert "ai_act_tier" not in codes


# ---------------------------------------------------------------------------
# Questionnaire versions


def test_editing_questions_does_not_change_answered_reviews(review, steward_a, data_use):
    submitted(review, steward_a)
    v1 = review.questionnaire
    question = v1.questions.get(code="group_harm")
    old_text = question.text

    question.text = "Neu formuliert?"
    with pytest.raises(ImmutableError):
        question.save()
    with pytest.raises(ImmutableError):
        question.delete()
    with pytest.raises(ImmutableError):
        v1.save()

    v2 = questionnaire.new_version(
        v1, number=2, valid_from=timezone.localdate(), texts={"group_harm": "Könnte ein Quartier abgewertet werden?"}
    )
    answer = EthicsReview.objects.get(pk=review.pk).answers.get(question__code="group_harm")
    assert answer.question.text == old_text
    assert answer.question.version == v1
    new_review = services.open_review(data_use, by=data_use.applicant)
    assert new_review.questionnaire == v2
    assert Question.objects.get(version=v2, code="group_harm").text == "Könnte ein Quartier abgewertet werden?"
    # An unused version may still be corrected.
    v3 = questionnaire.new_version(v2, number=3, valid_from=date(2099, 1, 1))
    v3.questions.filter(code="fairness").get().delete()


# ---------------------------------------------------------------------------
# Referral criteria (pure)


def default_triples():
    values = {
        QuestionKind.SCORE: "4",
        QuestionKind.YES_NO: "no",
        QuestionKind.LEVEL: "1",
        QuestionKind.AI_TIER: "minimal",
    }
    return {
        code: (referral, code, values[kind])
        for code, _group, kind, referral, *_rest in questionnaire.QUESTIONS
        if referral != Referral.NONE
    }


REFERRAL_CASES = [
    ("nothing", {}, [], False),
    ("one WP248 criterion", {"wp248_scoring": "yes"}, [], False),
    ("two WP248 criteria", {"wp248_scoring": "yes", "wp248_matching": "yes"}, ["wp248"], False),
    ("nine WP248 criteria", {c: "yes" for c in default_triples() if c.startswith("wp248_")}, ["wp248"], False),
    ("unsure is not yes", {"wp248_scoring": "unsure", "wp248_matching": "unsure"}, [], False),
    ("Art. 35(3)(a)", {"art35_3a": "yes"}, ["art35_3"], False),
    ("Art. 35(3)(b)", {"art35_3b": "yes"}, ["art35_3"], False),
    ("Art. 35(3)(c)", {"art35_3c": "yes"}, ["art35_3"], False),
    ("DEK level 2", {"dek_criticality": "2"}, [], False),
    ("DEK level 3", {"dek_criticality": "3"}, ["dek"], False),
    ("DEK level 5", {"dek_criticality": "5"}, ["dek"], False),
    ("AI Act transparency", {"ai_act_tier": "transparency"}, [], False),
    ("AI Act high risk", {"ai_act_tier": "high"}, ["ai_act"], False),
    ("AI Act prohibited", {"ai_act_tier": "prohibited"}, ["ai_act"], False),
    ("transparency scored 2", {"transparency": "2"}, [], False),
    ("transparency scored 1", {"transparency": "1"}, ["principle:transparency"], False),
    ("accountability scored 0", {"accountability": "0"}, ["principle:accountability"], False),
    ("fairness scored 1", {"fairness": "1"}, ["principle:fairness"], False),
    ("group harm", {"group_harm": "yes"}, ["group_harm"], False),
    ("private profit", {"private_profit": "yes"}, ["private_profit"], False),
    ("sale of personal data", {"sale_of_personal_data": "yes"}, ["hard_stop"], True),
    ("several at once", {"art35_3c": "yes", "dek_criticality": "4", "group_harm": "yes"},
     ["art35_3", "dek", "group_harm"], False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "overrides", "codes", "hard_stop"), REFERRAL_CASES, ids=[c[0] for c in REFERRAL_CASES]
)
def test_referral_criteria(case, overrides, codes, hard_stop):
    triples = default_triples()
    for code, value in overrides.items():
        triples[code] = (triples[code][0], code, value)

    result = services.compute_referral(triples.values())

    assert sorted(c["code"] for c in result.criteria) == sorted(codes)
    assert result.hard_stop is hard_stop
    assert result.needs_board is bool(codes)


def test_the_referral_criteria_are_stored_when_the_applicant_hands_over(review, steward_a):
    with pytest.raises(ValidationError):  # incomplete
        services.answer(review, by=steward_a, answers={"sources": ("", "Wohngeldstelle")}, submit=True)
    assert EthicsReview.objects.get(pk=review.pk).status == ReviewStatus.ANSWERING

    review = submitted(review, steward_a, wp248_vulnerable="yes", wp248_sensitive="yes", group_harm="yes")

    assert review.status == ReviewStatus.VOTING
    assert [c["code"] for c in review.referral_criteria] == ["wp248", "group_harm"]
    assert review.answered_by == steward_a


def test_a_score_needs_a_justification(review, steward_a):
    answers = all_answers(review, fairness=("3", ""))
    with pytest.raises(ValidationError) as error:
        services.answer(review, by=steward_a, answers=answers, submit=True)
    assert "fairness" in error.value.message_dict


# ---------------------------------------------------------------------------
# Votes: quorum, recusal, majority, minority


def test_no_outcome_without_quorum_and_a_recused_vote_does_not_count(review, steward_a, board_a, board_a2, board_a3):
    review = submitted(review, steward_a)
    vote(review, board_a, "approved")
    with pytest.raises(EthicsError, match="Quorum"):
        close(review, board_a)

    services.cast_vote(review, by=board_a2, recused=True, conflict_note="Verwandt mit der Sachbearbeiterin")
    with pytest.raises(EthicsError, match="1 von 2"):
        close(review, board_a)
    with pytest.raises(ValidationError):
        services.cast_vote(review, by=board_a3, recused=True, conflict_note="")

    vote(review, board_a3, "approved")
    review = close(review, board_a)

    assert review.status == ReviewStatus.COMPLETED
    assert review.outcome == "approved"
    assert fresh(review.dataset).state == S.LEGAL_REVIEW
    assert fresh(review.dataset).ethics_outcome == "approved"


def test_the_majority_decides_and_the_minority_opinion_is_recorded(review, steward_a, board_a, board_a2, board_a3):
    review = submitted(review, steward_a)
    vote(review, board_a, "approved", minority_opinion="Die Auflage ist unnötig.")
    vote(review, board_a2, "conditions")
    vote(review, board_a3, "conditions")
    with pytest.raises(EthicsError, match="Auflagen"):
        close(review, board_a2)
    services.add_condition(review, by=board_a2, text="Nur Stadtteilebene", owner=steward_a, due_on=later(60))

    review = close(review, board_a2)

    assert review.outcome == "conditions"
    minority = review.votes.get(member=board_a)
    assert minority.in_minority
    assert not review.votes.get(member=board_a2).in_minority
    summary = services.public_summary(review)
    assert summary.minority_opinions == ["Die Auflage ist unnötig."]
    assert summary.conditions[0]["text"] == "Nur Stadtteilebene"
    decision = Decision.objects.filter(subject_id=str(review.dataset_id), kind=DecisionKind.ETHICS).get()
    assert decision.outcome == "approved_with_conditions"
    assert decision.conditions
    assert "Nur Stadtteilebene" in decision.conditions[0]


def test_a_tie_goes_to_the_more_cautious_outcome(review, steward_a, board_a, board_a2):
    review = submitted(review, steward_a)
    vote(review, board_a, "approved")
    vote(review, board_a2, "revise")

    review = close(review, board_a)

    assert review.outcome == "revise"
    assert fresh(review.dataset).state == S.RETURNED


def test_a_member_may_change_their_vote_until_the_review_is_closed(review, steward_a, board_a, board_a2):
    review = submitted(review, steward_a)
    vote(review, board_a, "rejected")
    vote(review, board_a, "approved")
    vote(review, board_a2, "approved")
    assert review.votes.count() == 2
    close(review, board_a2)
    with pytest.raises(EthicsError):
        vote(review, board_a, "rejected")


def test_revise_returns_the_dataset_and_a_new_review_starts_from_the_old_answers(
    review, steward_a, owner_a, board_a, board_a2
):
    review = submitted(review, steward_a, group_harm="yes")
    vote(review, board_a, "revise")
    vote(review, board_a2, "revise")
    close(review, board_a)
    dataset = fresh(review.dataset)
    assert dataset.state == S.RETURNED

    workflow.submit(dataset, by=steward_a, expected_version=dataset.version)
    workflow.sign_off(dataset, by=owner_a, expected_version=fresh(dataset).version)

    second = EthicsReview.objects.exclude(pk=review.pk).get(dataset=dataset)
    assert second.status == ReviewStatus.ANSWERING
    assert second.answers.get(question__code="group_harm").value == "yes"


# ---------------------------------------------------------------------------
# The hard stop and the veto


def test_the_sale_of_personal_data_forces_a_rejection_whatever_the_votes(review, steward_a, board_a, board_a2):
    review = submitted(review, steward_a, sale_of_personal_data="yes")
    assert review.hard_stop
    vote(review, board_a, "approved")
    vote(review, board_a2, "approved")

    review = close(review, board_a)

    assert review.outcome == "rejected"
    assert review.reasoning.startswith(services.HARD_STOP_REASON)
    assert all(v.in_minority for v in review.votes.all())


def test_a_rejection_is_a_veto_that_blocks_publication(review, steward_a, board_a, board_a2, legal_a):
    review = submitted(review, steward_a)
    vote(review, board_a, "rejected")
    vote(review, board_a2, "rejected")
    review = close(review, board_a)

    dataset = fresh(review.dataset)
    assert dataset.state == S.LEGAL_REVIEW
    assert dataset.publication_outcome == "closed"
    ethics_decision = Decision.objects.get(subject_id=str(dataset.pk), kind=DecisionKind.ETHICS)
    assert ethics_decision.outcome == "rejected"
    assert "ETHICS_BOARD_VETO" in ethics_decision.exclusion_grounds
    review_decision = Decision.objects.get(
        subject_type=ContentType.objects.get_for_model(EthicsReview), subject_id=str(review.pk)
    )
    assert review_decision.exclusion_grounds == ["ETHICS_BOARD_VETO"]

    decision = workflow.approve(dataset, by=legal_a, expected_version=dataset.version, confirmed=True)
    assert decision.outcome == "closed"
    dataset = fresh(dataset)
    assert workflow.refusal("publish", dataset, steward_a) is not None
    with pytest.raises(WorkflowError):
        workflow.publish(dataset, by=steward_a, expected_version=dataset.version)


def test_nobody_records_the_board_outcome_by_hand(flagged, board_a):
    assert "ethics" not in workflow.TRANSITIONS
    assert "ethics" not in [t.action for t in workflow.available_transitions(flagged, board_a)]
    with pytest.raises(WorkflowError):
        workflow.perform("ethics", flagged, by=board_a, data={"expected_version": flagged.version})


# ---------------------------------------------------------------------------
# Who may do what


def test_only_board_members_of_the_organisation_vote(review, steward_a, owner_a, board_b, legal_a, board_a):
    with pytest.raises(EthicsError, match="vorgelegt"):
        vote(review, board_a, "approved")
    review = submitted(review, steward_a)
    for person in (owner_a, board_b, legal_a):
        with pytest.raises(EthicsError, match="Mitglieder"):
            vote(review, person, "approved")
    assert review.votes.count() == 0


def test_applicants_and_whoever_answered_cannot_vote_on_their_own_review(review, steward_a, org_a):
    governance_role = make_role_holder("helper", Role.STEWARD, org_a)
    from governance import services as governance

    governance.assign_role(steward_a, Role.ETHICS_BOARD_MEMBER, org_a, by=None)
    governance.assign_role(governance_role, Role.ETHICS_BOARD_MEMBER, org_a, by=None)
    review = submitted(review, governance_role)  # another steward of the organisation answers
    for person in (steward_a, governance_role):
        with pytest.raises(EthicsError, match="beantragt oder den Fragebogen beantwortet"):
            vote(review, person, "approved")


def test_only_the_applicant_side_answers(review, board_a, outsider):
    for person in (board_a, outsider):
        with pytest.raises(EthicsError):
            services.answer(review, by=person, answers={}, submit=False)


# ---------------------------------------------------------------------------
# Conditions


@pytest.fixture
def with_condition(review, steward_a, board_a, board_a2):
    review = submitted(review, steward_a)
    vote(review, board_a, "conditions")
    vote(review, board_a2, "conditions")
    condition = services.add_condition(review, by=board_a, text="Mindestfallzahl 5", owner=steward_a, due_on=later(14))
    close(review, board_a)
    return Condition.objects.get(pk=condition.pk)


def test_a_condition_needs_an_owner_and_a_due_date_in_the_future(review, steward_a, board_a):
    review = submitted(review, steward_a)
    with pytest.raises(ValidationError) as error:
        services.add_condition(review, by=board_a, text="x", owner=None, due_on=timezone.localdate())
    assert set(error.value.message_dict) == {"owner", "due_on"}


def test_the_next_review_date_is_mandatory(review, steward_a, board_a, board_a2):
    review = submitted(review, steward_a)
    vote(review, board_a, "approved")
    vote(review, board_a2, "approved")
    with pytest.raises(ValidationError) as error:
        services.close_review(review, by=board_a, reasoning="x", public_summary="y", next_review_on=None)
    assert "next_review_on" in error.value.message_dict


def test_a_condition_is_tracked_to_done_with_evidence(with_condition, steward_a, outsider, board_a):
    with pytest.raises(ValidationError):
        services.complete_condition(with_condition, by=steward_a, evidence=" ")
    with pytest.raises(EthicsError):
        services.complete_condition(with_condition, by=outsider, evidence="erledigt")

    condition = services.complete_condition(with_condition, by=steward_a, evidence="Export angepasst, siehe Ticket 42")

    assert condition.done_on == timezone.localdate()
    assert condition.completed_by == steward_a
    assert AuditEvent.objects.filter(reason="ethics.condition_completed", object_id=str(condition.pk)).exists()
    with pytest.raises(services.ConflictError):
        services.complete_condition(condition, by=board_a, evidence="nochmal")


def test_overdue_conditions_are_in_the_inbox_and_reminded(with_condition, steward_a):
    tasks = [t for t in inbox.tasks_for(steward_a) if "Auflage" in t.label]
    assert len(tasks) == 1
    assert not tasks[0].overdue

    condition = with_condition
    condition.due_on = timezone.localdate() - timedelta(days=1)
    condition._change_reason = "test.aged"
    condition.save(update_fields=["due_on"])

    tasks = [t for t in governance_inbox.tasks_for(steward_a) if "Auflage" in t.label]
    assert tasks[0].overdue
    assert tasks[0].url.endswith(f"#auflage-{condition.pk}")
    mail.outbox.clear()
    steward_a.email = "steward-a@stadt-a.example"
    steward_a.save()
    assert send_condition_reminders.delay().get() == 1
    assert "Auflage" in mail.outbox[0].subject


def test_the_reminder_task_is_scheduled(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "ethics.tasks.send_condition_reminders" in tasks


def test_the_applicant_finds_the_questionnaire_in_the_inbox(review, steward_a, data_use, board_a):
    assert any(t.url == review.get_absolute_url() for t in governance_inbox.tasks_for(steward_a))
    use_review = services.open_review(data_use, by=data_use.applicant)
    submitted(use_review, data_use.applicant)
    assert any(t.url == use_review.get_absolute_url() for t in governance_inbox.tasks_for(board_a))


# ---------------------------------------------------------------------------
# Decisions and audit


def test_every_step_leaves_a_decision_or_an_audit_event(review, steward_a, board_a, board_a2):
    review = submitted(review, steward_a)
    vote(review, board_a, "approved")
    vote(review, board_a2, "approved")
    review = close(review, board_a)

    reasons = set(AuditEvent.objects.values_list("reason", flat=True))
    assert {"ethics.opened", "ethics.answered", "ethics.submitted", "ethics.voted", "ethics.closed.approved"} <= reasons
    decision = Decision.objects.get(
        subject_type=ContentType.objects.get_for_model(EthicsReview), subject_id=str(review.pk)
    )
    assert decision.kind == DecisionKind.ETHICS
    assert decision.outcome == "approved"
    assert decision.rereview_on == review.next_review_on
    assert decision.organisation_id == review.organisation_id
    assert AuditEvent.objects.filter(reason="governance.decision.ethics", object_id=str(decision.pk)).exists()
    assert review.history.count() >= 3


def test_a_data_use_review_decides_without_a_workflow(data_use, steward_a, board_a, board_a2):
    review = services.open_review(data_use, by=steward_a)
    review = submitted(review, steward_a, wp248_monitoring="yes", art35_3c="yes", dek_criticality="3")
    assert {c["code"] for c in review.referral_criteria} == {"art35_3", "dek"}
    vote(review, board_a, "approved")
    vote(review, board_a2, "approved")
    review = close(review, board_a)
    assert review.outcome == "approved"
    assert [s.title for s in services.public_summaries()] == [data_use.title]


def test_public_summaries_name_no_people(with_condition, steward_a, board_a):
    summary = services.public_summaries()[0]
    text = repr(summary.__dict__)
    for person in (steward_a, board_a):
        assert person.username not in text


def test_a_second_flagged_dataset_gets_its_own_review(default_rules, org_a, steward_a, owner_a, review):
    from catalog import services as catalog
    from catalog.tests.conftest import dataset_fields

    other = catalog.create_dataset(by=steward_a, fields=dataset_fields(org_a, name="jugendhilfe", title="Jugendhilfe"))
    to_ethics_review(other, steward_a, owner_a)
    assert EthicsReview.objects.filter(dataset=other).count() == 1
    assert EthicsReview.objects.count() == 2
    assert make_user  # personas come from the shared conftest
