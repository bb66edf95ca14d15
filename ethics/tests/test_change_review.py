"""New data of a published dataset that the rules send to the ethics board go to the
board again (issue 20): the pending change waits in ethics review, the board's vote on
a review tied to the change moves it on to legal review, and only then may it go public."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog import changes, workflow
from catalog import services as catalog
from catalog.errors import WorkflowError
from catalog.models import ACTIVE_CHANGE_STATES, ChangeState, DatasetChange, DatasetState
from catalog.tabular_validation import check_distribution
from ethics import services
from ethics.models import EthicsReview
from governance.models import Decision, DecisionKind

from .conftest import all_answers, fresh, later

CSV = "Stadtteil;Anzahl\nNord;120\nSüd;240\nOst;250\nWest;310\n"


def board_decides(review, applicant, members, outcome="approved"):
    services.answer(review, by=applicant, answers=all_answers(review, vulnerable_groups="yes"), submit=True)
    review.refresh_from_db()
    for member in members:
        services.cast_vote(review, by=member, vote=outcome, reasoning="Vertretbar.")
    return services.close_review(
        review, by=members[0], reasoning="Abgewogen.", public_summary="Zusammenfassung.", next_review_on=later(365)
    )


def step(action, change, by, **data):
    change = DatasetChange.objects.get(pk=change.pk)
    return changes.perform(action, change, by=by, data={"expected_version": change.version, **data})


@pytest.fixture
def published_flagged(flagged, steward_a, owner_a, legal_a, board_a, board_a2):
    board_decides(EthicsReview.objects.get(dataset=flagged), steward_a, [board_a, board_a2])
    dataset = fresh(flagged)
    assert dataset.state == DatasetState.LEGAL_REVIEW
    workflow.approve(dataset, by=legal_a, expected_version=dataset.version, confirmed=True)
    dataset = fresh(flagged)
    workflow.publish(dataset, by=steward_a, expected_version=dataset.version, confirm_alternative=True)
    return fresh(flagged)


def test_a_new_file_of_a_board_dataset_goes_to_the_board_before_legal(
    published_flagged, steward_a, owner_a, legal_a, board_a, board_a2, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    distribution = catalog.add_distribution(
        published_flagged, by=steward_a, title="Bescheide 2026",
        upload=SimpleUploadedFile("bescheide.csv", CSV.encode(), content_type="text/csv"),
    )  # fmt: skip
    check_distribution(distribution.pk)
    change = DatasetChange.objects.get(dataset=published_flagged, state__in=ACTIVE_CHANGE_STATES)
    step("submit_change", change, steward_a)
    step("sign_off_change", change, owner_a)

    change.refresh_from_db()
    assert change.state == ChangeState.ETHICS_REVIEW
    review = EthicsReview.objects.get(change=change)
    assert review.dataset == published_flagged
    # Legal cannot step in before the board.
    assert changes.judgement("approve_change", change, legal_a) is not None

    board_decides(review, steward_a, [board_a, board_a2])

    change.refresh_from_db()
    assert change.state == ChangeState.LEGAL_REVIEW
    assert change.ethics_outcome == "approved"
    step("approve_change", change, legal_a, confirmed=True)
    change.refresh_from_db()
    assert change.state == ChangeState.APPLIED
    trail = Decision.objects.filter(subject_id=str(published_flagged.pk), reasons__startswith="Änderung 1:")
    assert DecisionKind.ETHICS in set(trail.values_list("kind", flat=True))


def test_the_boards_rejection_returns_the_change(
    published_flagged, steward_a, owner_a, legal_a, board_a, board_a2, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    distribution = catalog.add_distribution(
        published_flagged, by=steward_a, title="Bescheide 2026",
        upload=SimpleUploadedFile("bescheide.csv", CSV.encode(), content_type="text/csv"),
    )  # fmt: skip
    check_distribution(distribution.pk)
    change = DatasetChange.objects.get(dataset=published_flagged, state__in=ACTIVE_CHANGE_STATES)
    step("submit_change", change, steward_a)
    step("sign_off_change", change, owner_a)
    board_decides(EthicsReview.objects.get(change=change), steward_a, [board_a, board_a2], outcome="rejected")

    change.refresh_from_db()
    assert change.state == ChangeState.RETURNED
    with pytest.raises(WorkflowError):
        changes.approve_change(change, by=legal_a, expected_version=change.version, confirmed=True)
