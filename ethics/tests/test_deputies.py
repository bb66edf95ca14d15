"""Deputies in the board's vote and in the four-eyes set (issue 20): the attacks of the
finding, each reproduced as it was done, and what is left of them.

- A board member of one city made a steward of the other city their deputy until 2099,
  and the two out-voted the rest of the board.
- A deputy and the person they stand in for voted twice on one review.
- A legal reviewer made the data owner their deputy; the owner signed the dataset off
  and then gave its legal approval as well."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from catalog import services as catalog
from catalog import workflow
from catalog.errors import WorkflowError
from catalog.models import Dataset, DatasetState
from catalog.tests.conftest import classification_fields, dataset_fields
from conftest import make_role_holder
from core.errors import DomainError
from ethics import services
from ethics.models import DataUse, ReviewStatus, Vote
from ethics.services import EthicsError
from governance import services as governance
from governance.models import Role, RoleAssignment

from .conftest import all_answers, fresh, later

S = DatasetState


def one_week():
    now = timezone.now()
    return {"valid_from": now - timedelta(hours=1), "valid_until": now + timedelta(days=7)}


def vote(review, member, outcome):
    return services.cast_vote(review, by=member, vote=outcome, reasoning="Begründung")


def close(review, by):
    return services.close_review(
        review, by=by, reasoning="Abgewogen.", public_summary="Zusammenfassung.", next_review_on=later(365)
    )


@pytest.fixture
def admin_b(org_b):
    return make_role_holder("admin-b", Role.GOVERNANCE_ADMIN, org_b)


@pytest.fixture
def board_b2(org_b):
    return make_role_holder("ethik-b2", Role.ETHICS_BOARD_MEMBER, org_b)


@pytest.fixture
def board_b3(org_b):
    return make_role_holder("ethik-b3", Role.ETHICS_BOARD_MEMBER, org_b)


@pytest.fixture
def review_b(org_b, steward_b):
    """A data use of Stadt B (Eichberg) before its board."""
    use = DataUse.objects.create(
        title="Parkraumsensoren", purpose="Suchverkehr vermeiden.", organisation=org_b, applicant=steward_b
    )
    review = services.open_review(use, by=steward_b)
    return services.answer(review, by=steward_b, answers=all_answers(review), submit=True)


@pytest.fixture
def stand_in(org_a_department):
    """Someone of Stadt A (they hold a role in one of its offices) who may stand in."""
    return make_role_holder("vertretung-a", Role.OWNER, org_a_department)


# ---------------------------------------------------------------------------
# The cross-city deputy who out-voted the board


def test_a_board_member_cannot_bring_in_a_second_voice_from_another_city(
    review_b, steward_a, steward_b, board_b, board_b2, board_b3, admin_b
):
    """Reproduced on the old code: Eichberg's board member made Lindenau's steward their
    deputy until 2099, both voted "approved" and out-voted the two other members."""
    principal = RoleAssignment.objects.get(user=board_b, role=Role.ETHICS_BOARD_MEMBER)
    far_future = timezone.now().replace(year=2099)

    with pytest.raises((DomainError, ValidationError)):
        governance.appoint_deputy(principal, steward_a, by=board_b, valid_from=timezone.now(), valid_until=far_future)
    # Not even Eichberg's governance admin brings in someone of Lindenau.
    with pytest.raises(ValidationError) as refused:
        governance.appoint_deputy(
            principal, steward_a, by=admin_b, valid_from=timezone.now(), valid_until=timezone.now() + timedelta(7)
        )
    assert "deputy" in refused.value.message_dict

    steward_a = type(steward_a).objects.get(pk=steward_a.pk)
    vote(review_b, board_b, "approved")
    with pytest.raises(EthicsError, match="Mitglieder"):
        vote(review_b, steward_a, "approved")
    vote(review_b, board_b2, "rejected")
    vote(review_b, board_b3, "rejected")
    assert close(review_b, board_b2).outcome == "rejected"


# ---------------------------------------------------------------------------
# Deputy and principal: one voice


def test_a_deputy_and_their_principal_are_one_voice(review, steward_a, board_a, board_a2, admin_a, stand_in):
    """Reproduced on the old code: the deputy's vote was counted besides the principal's,
    so one seat of the board reached the quorum of two on its own."""
    principal = RoleAssignment.objects.get(user=board_a, role=Role.ETHICS_BOARD_MEMBER)
    governance.appoint_deputy(principal, stand_in, by=admin_a, **one_week())
    stand_in = type(stand_in).objects.get(pk=stand_in.pk)
    review = services.answer(review, by=steward_a, answers=all_answers(review), submit=True)

    vote(review, board_a, "approved")
    with pytest.raises(services.ConflictError, match="eine Stimme"):
        vote(review, stand_in, "approved")
    assert list(review.votes.values_list("member", flat=True)) == [board_a.pk]
    with pytest.raises(EthicsError, match="Quorum"):
        close(review, board_a)

    # The principal withdraws into recusal: now the deputy speaks for the seat.
    services.cast_vote(review, by=board_a, recused=True, conflict_note="Befangen")
    vote(review, stand_in, "rejected")
    with pytest.raises(services.ConflictError, match="eine Stimme"):
        vote(review, board_a, "approved")
    vote(review, board_a2, "rejected")
    assert close(review, board_a2).outcome == "rejected"


def test_votes_of_one_seat_cast_before_the_rule_count_once(review, steward_a, board_a, board_a2, admin_a, stand_in):
    """Two votes of one seat that are already there (cast before the rule, or before the
    deputy was appointed) count as one voice towards quorum and majority: the first."""
    review = services.answer(review, by=steward_a, answers=all_answers(review), submit=True)
    principal = RoleAssignment.objects.get(user=board_a, role=Role.ETHICS_BOARD_MEMBER)
    governance.appoint_deputy(principal, stand_in, by=admin_a, **one_week())
    Vote.objects.create(review=review, member=board_a, vote="approved", reasoning="ja")
    Vote.objects.create(review=review, member=stand_in, vote="approved", reasoning="ja")

    with pytest.raises(EthicsError, match="1 von 2"):
        close(review, board_a2)
    vote(review, board_a2, "rejected")
    review = close(review, board_a2)
    assert review.status == ReviewStatus.COMPLETED
    assert review.outcome == "rejected"  # a tie of one voice each goes to the cautious side


# ---------------------------------------------------------------------------
# The owner who was also the legal approver by deputy


@pytest.fixture
def legal_a2(org_a):
    return make_role_holder("legal-a2", Role.LEGAL_REVIEWER, org_a)


@pytest.fixture
def ready(default_rules, org_a, steward_a):
    dataset = catalog.create_dataset(by=steward_a, fields=dataset_fields(org_a, name="spielplaetze"))
    catalog.classify_dataset(dataset, by=steward_a, fields=classification_fields())
    return Dataset.objects.get(pk=dataset.pk)


def test_the_owner_cannot_also_give_the_legal_approval_as_deputy(ready, steward_a, owner_a, legal_a, legal_a2, admin_a):
    """Reproduced on the old code: the legal reviewer made the data owner their deputy;
    the owner signed the dataset off and then approved it as legal reviewer."""
    principal = RoleAssignment.objects.get(user=legal_a, role=Role.LEGAL_REVIEWER)
    with pytest.raises((DomainError, ValidationError)):
        governance.appoint_deputy(principal, owner_a, by=legal_a, **one_week())

    # Appointed properly, the deputy still cannot decide what they signed off themselves,
    # and neither can the person they stand in for.
    governance.appoint_deputy(principal, owner_a, by=admin_a, **one_week())
    owner_a = type(owner_a).objects.get(pk=owner_a.pk)
    workflow.submit(ready, by=steward_a, expected_version=fresh(ready).version)
    workflow.sign_off(ready, by=owner_a, expected_version=fresh(ready).version)
    assert fresh(ready).state == S.LEGAL_REVIEW

    for person in (owner_a, legal_a):
        with pytest.raises(WorkflowError, match="Vier-Augen"):
            workflow.approve(fresh(ready), by=person, expected_version=fresh(ready).version)
    workflow.approve(fresh(ready), by=legal_a2, expected_version=fresh(ready).version)
    assert fresh(ready).state == S.APPROVED


def test_the_board_keeps_out_the_deputies_of_whoever_answered(review, steward_a, board_a, admin_a, org_a):
    """The four-eyes set of a board step covers the principals and deputies of the
    applicant side too: a board member who stands in for the steward who answered does
    not vote on that answer."""
    principal = RoleAssignment.objects.get(user=steward_a, role=Role.STEWARD)
    governance.appoint_deputy(principal, board_a, by=admin_a, **one_week())
    review = services.answer(review, by=steward_a, answers=all_answers(review), submit=True)

    board_a = type(board_a).objects.get(pk=board_a.pk)
    with pytest.raises(EthicsError, match="beantragt"):
        vote(review, board_a, "approved")
