"""The ethics pages: who sees what (board members, applicants, outsiders, the public),
the forms post to the services, and the list and detail need a fixed number of queries."""

import pytest
from django.urls import reverse

from conftest import make_role_holder
from ethics import services
from ethics.models import EthicsReview, ReviewStatus
from governance.models import Role

from .conftest import all_answers, later


def submitted(review, by):
    return services.answer(review, by=by, answers=all_answers(review), submit=True)


def closed(review, steward, members):
    review = submitted(review, steward)
    for member in members:
        services.cast_vote(review, by=member, vote="approved", reasoning="passt")
    return services.close_review(
        review, by=members[0], reasoning="Unbedenklich.", public_summary="Freigegeben ohne Auflagen.",
        next_review_on=later(365),
    )  # fmt: skip


def test_board_members_and_the_applicant_see_the_review(client_for, review, board_a, steward_a):
    for person in (board_a, steward_a):
        response = client_for(person).get(reverse("ethics:review_detail", args=[review.pk]))
        assert response.status_code == 200
        assert "Wohngeldbescheide" in response.content.decode()


@pytest.mark.parametrize("who", ["outsider", "other-city board", "other-city steward"])
def test_others_do_not_see_the_review(client_for, review, outsider, board_b, steward_b, who):
    person = {"outsider": outsider, "other-city board": board_b, "other-city steward": steward_b}[who]
    client = client_for(person)
    expected = 403 if person == outsider else 404
    assert client.get(reverse("ethics:review_detail", args=[review.pk])).status_code == expected
    assert client.post(reverse("ethics:review_vote", args=[review.pk]), {"vote": "approved"}).status_code == expected


def test_anonymous_sees_only_public_summaries_of_completed_reviews(client, review, steward_a, board_a, board_a2):
    assert client.get(reverse("ethics:review_list")).status_code == 302  # to the login
    assert client.get(reverse("ethics:review_detail", args=[review.pk])).status_code == 302
    assert client.get(reverse("ethics:public_detail", args=[review.pk])).status_code == 404
    assert "Wohngeldbescheide" not in client.get(reverse("ethics:public_list")).content.decode()

    closed(review, steward_a, [board_a, board_a2])

    page = client.get(reverse("ethics:public_list")).content.decode()
    assert "Wohngeldbescheide" in page
    assert "Freigegeben ohne Auflagen." in page
    detail = client.get(reverse("ethics:public_detail", args=[review.pk])).content.decode()
    assert "Unbedenklich." in detail
    for person in (steward_a, board_a, board_a2):
        assert person.username not in detail


def test_the_applicant_answers_and_hands_over_through_the_form(client_for, review, steward_a):
    client = client_for(steward_a)
    data = {}
    for code, (value, text) in all_answers(review).items():
        if value:
            data[f"{code}__value"] = value
        data[f"{code}__text"] = text
    response = client.post(reverse("ethics:review_answer", args=[review.pk]), {**data, "vorlegen": "1"})
    assert response.status_code == 302
    assert EthicsReview.objects.get(pk=review.pk).status == ReviewStatus.VOTING


def test_the_board_votes_adds_a_condition_and_closes_through_the_forms(client_for, review, steward_a, board_a,
                                                                        board_a2):  # fmt: skip
    submitted(review, steward_a)
    for member in (board_a, board_a2):
        client_for(member).post(reverse("ethics:review_vote", args=[review.pk]),
                                {"votum-vote": "conditions", "votum-reasoning": "Nur grob"})  # fmt: skip
    client = client_for(board_a)
    client.post(reverse("ethics:condition_add", args=[review.pk]),
                {"auflage-text": "Stadtteilebene", "auflage-owner": steward_a.pk,
                 "auflage-due_on": later(30).isoformat()})  # fmt: skip
    client.post(reverse("ethics:review_close", args=[review.pk]),
                {"abschluss-reasoning": "Mit Auflage vertretbar", "abschluss-public_summary": "Mit Auflage freigegeben",
                 "abschluss-next_review_on": later(365).isoformat()})  # fmt: skip
    review = EthicsReview.objects.get(pk=review.pk)
    assert review.outcome == "conditions"
    condition = review.conditions.get()
    client_for(steward_a).post(reverse("ethics:condition_complete", args=[condition.pk]), {"evidence": "Erledigt"})
    condition.refresh_from_db()
    assert condition.is_done


def test_the_dataset_page_links_to_its_review(client_for, review, steward_a):
    page = client_for(steward_a).get(review.dataset.get_absolute_url()).content.decode()
    assert reverse("ethics:dataset_review", args=[review.dataset.name]) in page
    response = client_for(steward_a).get(reverse("ethics:dataset_review", args=[review.dataset.name]))
    assert response.url == review.get_absolute_url()


def test_a_data_use_is_created_and_its_review_requested(client_for, org_a, steward_a):
    client = client_for(steward_a)
    response = client.post(reverse("ethics:data_use_create"), {
        "title": "KI-gestützte Priorisierung von Straßensanierungen", "purpose": "Sanierung planen",
        "organisation": org_a.pk, "algorithmic_system": "on",
    })  # fmt: skip
    assert response.status_code == 302
    data_use = steward_a.ethics_data_uses.get()
    response = client.post(reverse("ethics:data_use_open_review", args=[data_use.pk]))
    review = EthicsReview.objects.get(data_use=data_use)
    assert response.url == review.get_absolute_url()
    assert "Kritikalität" in client.get(review.get_absolute_url()).content.decode()


def test_the_review_list_needs_a_fixed_number_of_queries(
    client_for, default_rules, org_a, steward_a, owner_a, board_a, django_assert_num_queries
):
    from catalog import services as catalog
    from catalog.tests.conftest import dataset_fields

    from .conftest import to_ethics_review

    for index in range(5):
        dataset = catalog.create_dataset(by=steward_a, fields=dataset_fields(org_a, name=f"ds-{index}"))
        to_ethics_review(dataset, steward_a, owner_a)
    client = client_for(board_a)
    client.get(reverse("ethics:review_list"))

    with django_assert_num_queries(8):
        response = client.get(reverse("ethics:review_list"))
    assert response.content.decode().count("/intern/ethik/pruefungen/") == 5


def test_the_review_detail_needs_a_fixed_number_of_queries(
    client_for, review, steward_a, board_a, board_a2, org_a, django_assert_num_queries
):
    submitted(review, steward_a)
    services.cast_vote(review, by=board_a2, vote="approved", reasoning="ok")
    for index in range(3):
        member = make_role_holder(f"member-{index}", Role.ETHICS_BOARD_MEMBER, org_a)
        services.cast_vote(review, by=member, vote="revise", reasoning="nein")
    client = client_for(board_a)
    client.get(reverse("ethics:review_detail", args=[review.pk]))

    # Independent of the number of votes, answers and conditions; 4 of them for deputies:
    # the four-eyes set (when the dataset was submitted, who signed it off since, their
    # principals and deputies) and the deputies among the voters (one voice, for the quorum).
    with django_assert_num_queries(24):
        response = client.get(reverse("ethics:review_detail", args=[review.pk]))
    assert response.status_code == 200
