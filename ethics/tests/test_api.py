"""The ethics REST API (/api/v1/ethics-reviews/, /api/v1/data-uses/): who sees and does
what (anonymous, steward of A, steward of B, legal reviewer of A, governance admin of A,
board members), the questionnaire, votes, conditions and closing through the API, 403
for the wrong person and 409 for the wrong moment, and pinned queries."""

import pytest
from django.urls import reverse

from catalog.models import DatasetState
from ethics import services
from ethics.models import Condition, DataUse, EthicsReview, ReviewStatus
from governance.models import Decision, DecisionKind

from .conftest import all_answers, fresh, later


@pytest.fixture
def as_persona(request, client):
    """A client logged in as the named persona ("anonymous": not logged in)."""

    def login(name):
        if name != "anonymous":
            client.force_login(request.getfixturevalue(name))
        return client

    return login


def review_url(review=None, suffix=""):
    if review is None:
        return reverse("ethics-api:ethics-review-list")
    return reverse("ethics-api:ethics-review-detail", args=[review.pk]) + suffix


def data_use_url(data_use=None, suffix=""):
    if data_use is None:
        return reverse("ethics-api:data-use-list")
    return reverse("ethics-api:data-use-detail", args=[data_use.pk]) + suffix


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def answers_body(review, submit=True):
    return {
        "answers": {code: {"value": value, "text": text} for code, (value, text) in all_answers(review).items()},
        "submit": submit,
    }


def submitted(review, steward):
    return services.answer(review, by=steward, answers=all_answers(review), submit=True)


def vote(client, review, outcome="approved", reasoning="Passt."):
    return post(client, review_url(review, "votes/"), {"vote": outcome, "reasoning": reasoning})


# ---------------------------------------------------------------------------
# Reading reviews


@pytest.mark.parametrize(
    ("persona", "list_status", "listed", "detail_status"),
    [("anonymous", 401, None, 401), ("steward_a", 200, True, 200), ("steward_b", 200, False, 404),
     ("legal_a", 200, False, 404), ("admin_a", 200, True, 200), ("board_a", 200, True, 200),
     ("outsider", 403, None, 403)],
)  # fmt: skip
def test_reviews_are_seen_by_the_board_the_dataset_side_and_the_auditors(
    as_persona, persona, list_status, listed, detail_status, review
):
    client = as_persona(persona)
    response = client.get(review_url())
    assert response.status_code == list_status
    if listed is not None:
        assert [row["id"] for row in response.json()["results"]] == ([review.pk] if listed else [])
    response = client.get(review_url(review))
    assert response.status_code == detail_status
    if detail_status == 200:
        data = response.json()
        assert data["subject_kind"] == "dataset"
        assert data["dataset"] == "wohngeld"
        assert data["status"] == ReviewStatus.ANSWERING
        assert data["organisation"] == "stadt-a"
        assert {question["code"] for question in data["questions"]} == set(all_answers(review))
        assert data["allowed_actions"] == (["answer"] if persona == "steward_a" else [])


def test_the_list_filters_by_status_and_dataset(client_for, review, board_a, steward_a):
    client = client_for(board_a)
    assert client.get(review_url(), {"status": "answering"}).json()["results"][0]["id"] == review.pk
    assert client.get(review_url(), {"status": "voting"}).json()["results"] == []
    assert len(client.get(review_url(), {"dataset": "wohngeld"}).json()["results"]) == 1
    assert client.get(review_url(), {"status": "erfunden"}).status_code == 400


# ---------------------------------------------------------------------------
# The questionnaire


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 401), ("steward_a", 200), ("steward_b", 404), ("legal_a", 404), ("admin_a", 403),
     ("board_a", 403)],
)  # fmt: skip
def test_the_dataset_side_answers_and_hands_over_to_the_board(as_persona, persona, status, review):
    response = post(as_persona(persona), review_url(review, "answers/"), answers_body(review))
    assert response.status_code == status, response.content
    review.refresh_from_db()
    if status == 200:
        assert response.json()["status"] == ReviewStatus.VOTING
        assert review.status == ReviewStatus.VOTING
        assert review.answered_by.username == "steward-a"
        assert review.history.first().history_change_reason == "ethics.submitted"
    else:
        assert review.status == ReviewStatus.ANSWERING
        assert not review.answers.exists()


def test_answers_are_saved_in_parts_and_checked_per_question(client_for, review, steward_a):
    client = client_for(steward_a)
    answers = answers_body(review, submit=False)["answers"]
    codes = sorted(answers)
    first, rest = codes[:3], codes[3:]
    response = post(client, review_url(review, "answers/"), {"answers": {code: answers[code] for code in first}})
    assert response.status_code == 200
    assert review.answers.filter(text="Antwort").count() == 3
    # Questions not named keep their answers.
    response = post(client, review_url(review, "answers/"), {"answers": {code: answers[code] for code in rest}})
    assert response.status_code == 200
    assert review.answers.filter(text="Antwort").count() == len(codes)
    assert {row["code"]: row["text_answer"] for row in response.json()["questions"]}[first[0]] == "Antwort"

    response = post(client, review_url(review, "answers/"), {"answers": {"erfunden": {"value": "yes"}}})
    assert response.status_code == 400
    assert response.json() == {"answers": {"erfunden": ["Unbekannte Frage."]}}
    score = next(q["code"] for q in response_questions(client, review) if q["kind"] == "score")
    response = post(
        client, review_url(review, "answers/"), {"answers": {score: {"value": "4", "text": ""}}, "submit": True}
    )
    assert response.status_code == 400
    assert response.json() == {score: ["Bitte begründen Sie die Bewertung."]}
    assert EthicsReview.objects.get(pk=review.pk).status == ReviewStatus.ANSWERING


def response_questions(client, review):
    return client.get(review_url(review)).json()["questions"]


def test_a_handed_over_questionnaire_is_not_answered_again(client_for, review, steward_a):
    submitted(review, steward_a)
    response = post(client_for(steward_a), review_url(review, "answers/"), answers_body(review))
    assert response.status_code == 409
    assert response.json()["detail"] == "Den Fragebogen beantwortet die antragstellende Stelle, solange er offen ist."


# ---------------------------------------------------------------------------
# Votes, conditions, closing


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 401), ("steward_a", 403), ("steward_b", 404), ("legal_a", 404), ("admin_a", 403),
     ("board_a", 200), ("board_b", 404)],
)  # fmt: skip
def test_only_board_members_of_the_organisation_vote(as_persona, persona, status, review, steward_a):
    submitted(review, steward_a)
    response = vote(as_persona(persona), review)
    assert response.status_code == status, response.content
    votes = review.votes.all()
    if status == 200:
        assert response.json()["vote"] == "approved"
        assert response.json()["member"] == "ethik-a1"
        assert votes.get().history.first().history_change_reason == "ethics.voted"
    else:
        assert not votes.exists()
    if persona == "admin_a":
        assert response.json()["detail"] == "Nur Mitglieder des Datenethikbeirats von Stadt A stimmen ab."


def test_voting_before_the_questionnaire_is_handed_over_is_a_conflict(client_for, review, board_a):
    response = vote(client_for(board_a), review)
    assert response.status_code == 409
    assert response.json()["detail"] == "Abstimmen ist erst möglich, wenn der Fragebogen dem Beirat vorgelegt ist."


def test_a_vote_has_german_field_errors_and_can_be_changed(client_for, review, steward_a, board_a):
    submitted(review, steward_a)
    client = client_for(board_a)
    response = vote(client, review, reasoning="")
    assert response.status_code == 400
    assert response.json() == {"reasoning": ["Bitte begründen Sie Ihr Votum."]}
    response = post(client, review_url(review, "votes/"), {"recused": True})
    assert response.json() == {"conflict_note": ["Bitte nennen Sie den Interessenkonflikt."]}
    response = vote(client, review, outcome="vielleicht")
    assert response.status_code == 400
    assert list(response.json()) == ["vote"]
    assert vote(client, review, outcome="approved").status_code == 200
    assert vote(client, review, outcome="revise", reasoning="Doch nicht.").json()["vote"] == "revise"
    assert review.votes.get().vote == "revise"


def test_the_board_closes_a_review_through_the_api(client_for, review, steward_a, board_a, board_a2, owner_a):
    submitted(review, steward_a)
    client = client_for(board_a)
    assert vote(client, review, outcome="conditions", reasoning="Nur mit Vergröberung.").status_code == 200
    close = {"reasoning": "Vertretbar mit Auflage.", "public_summary": "Mit Auflage freigegeben.",
             "next_review_on": str(later(365))}  # fmt: skip
    response = post(client, review_url(review, "close/"), close)
    assert response.status_code == 409
    assert response.json()["detail"] == "Das Quorum ist nicht erreicht: 1 von 2 gültigen Stimmen."
    assert vote(client_for(board_a2), review, outcome="conditions").status_code == 200

    client = client_for(board_a)
    response = post(client, review_url(review, "conditions/"), {"text": "Nur Stadtteile.", "owner": "outsider-x",
                                                               "due_on": str(later())})  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {"owner": ["„outsider-x“ kann für diese Auflage nicht verantwortlich sein."]}
    response = post(client, review_url(review, "conditions/"), {"text": "Nur Stadtteile.", "owner": "steward-a",
                                                               "due_on": "2000-01-01"})  # fmt: skip
    assert response.json() == {"due_on": ["Bitte geben Sie eine Frist in der Zukunft an."]}
    response = post(client, review_url(review, "conditions/"), {"text": "Nur Stadtteile.", "owner": "steward-a",
                                                               "due_on": str(later())})  # fmt: skip
    assert response.status_code == 201
    assert response.json()["owner"] == "steward-a"
    assert post(client_for(owner_a), review_url(review, "close/"), close).status_code == 403

    response = post(client_for(board_a), review_url(review, "close/"), close)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == ReviewStatus.COMPLETED
    assert data["outcome"] == "conditions"
    assert [c["text"] for c in data["conditions"]] == ["Nur Stadtteile."]
    assert fresh(review.dataset).state == DatasetState.LEGAL_REVIEW
    decision = Decision.objects.get(kind=DecisionKind.ETHICS, subject_id=str(review.pk))
    assert decision.outcome == "approved_with_conditions"
    assert decision.actor == board_a
    assert post(client_for(board_a), review_url(review, "close/"), close).status_code == 409


def test_a_condition_is_marked_done_by_its_owner_once(client_for, review, steward_a, board_a, board_a2, steward_b):
    submitted(review, steward_a)
    services.add_condition(review, by=board_a, text="Nur Stadtteile.", owner=steward_a, due_on=later())
    condition = Condition.objects.get()
    url = review_url(review, f"conditions/{condition.pk}/complete/")
    assert post(client_for(steward_b), url, {"evidence": "x"}).status_code == 404
    response = post(client_for(steward_a), url, {"evidence": ""})
    assert response.status_code == 400
    assert response.json() == {"evidence": ["Dieses Feld darf nicht leer sein."]}
    response = post(client_for(steward_a), url, {"evidence": "Auswertung auf Stadtteilebene, Ticket 42."})
    assert response.status_code == 200
    assert response.json()["completed_by"] == "steward-a"
    assert response.json()["done_on"] is not None
    response = post(client_for(board_a), url, {"evidence": "Nochmal."})
    assert response.status_code == 409
    assert response.json()["detail"] == "Die Auflage ist bereits erledigt."
    assert (
        post(client_for(board_a), review_url(review, "conditions/999999/complete/"), {"evidence": "x"}).status_code
        == 404
    )


def test_a_legal_reviewer_of_the_organisation_does_not_complete_conditions(
    client_for, review, steward_a, board_a, admin_a
):
    submitted(review, steward_a)
    services.add_condition(review, by=board_a, text="Nur Stadtteile.", owner=steward_a, due_on=later())
    condition = Condition.objects.get()
    response = post(client_for(admin_a), review_url(review, f"conditions/{condition.pk}/complete/"), {"evidence": "x"})
    assert response.status_code == 403
    assert Condition.objects.get().done_on is None


# ---------------------------------------------------------------------------
# Data uses


def new_data_use(**overrides):
    return {
        "title": "Parkraum-Sensorik",
        "purpose": "Freie Parkplätze anzeigen.",
        "organisation": "stadt-a",
        "public_space_sensors": True,
        **overrides,
    }


@pytest.mark.parametrize(
    ("persona", "list_status", "listed", "detail_status", "edit_status"),
    [("anonymous", 401, None, 401, 401), ("steward_a", 200, True, 200, 200), ("steward_b", 200, False, 404, 404),
     ("legal_a", 200, False, 404, 404), ("admin_a", 200, True, 200, 403), ("board_a", 200, True, 200, 403)],
)  # fmt: skip
def test_data_uses_are_seen_and_changed_as_on_their_pages(
    as_persona, persona, list_status, listed, detail_status, edit_status, data_use
):
    client = as_persona(persona)
    response = client.get(data_use_url())
    assert response.status_code == list_status
    if listed is not None:
        assert [row["id"] for row in response.json()["results"]] == ([data_use.pk] if listed else [])
    assert client.get(data_use_url(data_use)).status_code == detail_status
    response = client.patch(data_use_url(data_use), {"purpose": "Geändert."}, content_type="application/json")
    assert response.status_code == edit_status, response.content
    data_use.refresh_from_db()
    assert (data_use.purpose == "Geändert.") == (edit_status == 200)
    if edit_status == 200:
        assert data_use.history.first().history_change_reason == "ethics.data_use.changed"
        assert data_use.history.first().history_user.username == "steward-a"


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 401), ("steward_a", 201), ("steward_b", 400), ("legal_a", 201), ("admin_a", 201)],
)
def test_anyone_with_a_role_registers_a_data_use_for_their_organisation(
    as_persona, persona, status, org_a, org_b, review
):
    response = post(as_persona(persona), data_use_url(), new_data_use(datasets=["wohngeld"]))
    assert response.status_code == status, response.content
    if status == 201:
        data_use = DataUse.objects.get(title="Parkraum-Sensorik")
        assert response.json()["applicant"] == data_use.applicant.username
        assert response.json()["datasets"] == ["wohngeld"]
        assert data_use.history.first().history_change_reason == "ethics.data_use.created"
    elif status == 400:
        assert response.json() == {
            "organisation": ["Für die Organisation „stadt-a“ können Sie keine Datennutzung anlegen."],
            "datasets": ["Den Datensatz „wohngeld“ können Sie hier nicht angeben."],
        }


def test_a_data_use_needs_a_title_and_purpose(client_for, steward_a):
    response = post(client_for(steward_a), data_use_url(), new_data_use(title="", purpose=""))
    assert response.status_code == 400
    assert response.json() == {
        "title": ["Dieses Feld darf nicht leer sein."],
        "purpose": ["Dieses Feld darf nicht leer sein."],
    }


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 401), ("steward_a", 201), ("steward_b", 404), ("legal_a", 404), ("admin_a", 403),
     ("board_a", 201)],
)  # fmt: skip
def test_a_review_of_a_data_use_is_requested_by_the_applicant_side_or_the_board(as_persona, persona, status, data_use):
    response = post(as_persona(persona), data_use_url(data_use, "open-review/"))
    assert response.status_code == status, response.content
    assert EthicsReview.objects.filter(data_use=data_use).exists() == (status == 201)
    if status == 201:
        assert response.json()["subject_kind"] == "data_use"
        assert response.json()["data_use"] == data_use.pk
        again = post(as_persona(persona), data_use_url(data_use, "open-review/"))
        assert again.status_code == 200
        assert again.json()["id"] == response.json()["id"]


# ---------------------------------------------------------------------------
# Queries do not grow with the number of rows


def test_the_lists_cost_the_same_for_one_or_many_rows(
    client_for, review, data_use, steward_a, board_a, board_a2, admin_a, django_assert_num_queries
):
    client = client_for(admin_a)
    submitted(review, steward_a)
    for member in (board_a, board_a2):
        services.cast_vote(review, by=member, vote="approved", reasoning="passt")
    client.get(review_url())  # warms the per-process caches (content types of the role permissions)
    # Session, user, does the user hold a role, the reviews (with their counted votes).
    with django_assert_num_queries(4):
        assert len(client.get(review_url()).json()["results"]) == 1
    # Session, user, does the user hold a role, the data uses, their datasets.
    with django_assert_num_queries(5):
        assert len(client.get(data_use_url()).json()["results"]) == 1
    for index in range(3):
        other = DataUse.objects.create(
            title=f"Nutzung {index}", purpose="x", organisation=data_use.organisation, applicant=steward_a
        )
        services.open_review(other, by=steward_a)
    with django_assert_num_queries(4):
        assert len(client.get(review_url()).json()["results"]) == 4
    with django_assert_num_queries(5):
        assert len(client.get(data_use_url()).json()["results"]) == 4


def test_the_detail_costs_the_same_for_few_or_many_votes(
    client_for, review, steward_a, board_a, board_a2, board_a3, django_assert_num_queries
):
    submitted(review, steward_a)
    client = client_for(board_a)
    services.cast_vote(review, by=board_a, vote="approved", reasoning="passt")
    client.get(review_url(review))  # warms the per-process caches
    # Session, user, does the user hold a role, the review (with subject and classification),
    # votes, conditions, the reader's roles for answering and voting (2 × 2), questions, answers;
    # the four-eyes set (when the dataset was submitted, who signed it off since, their
    # principals and deputies: 3, once), the deputies among the voters (one voice, for the quorum).
    with django_assert_num_queries(16):
        assert len(client.get(review_url(review)).json()["votes"]) == 1
    for member in (board_a2, board_a3):
        services.cast_vote(review, by=member, vote="approved", reasoning="passt")
    with django_assert_num_queries(16):
        assert len(client.get(review_url(review)).json()["votes"]) == 3
