"""The data requests of the REST API (/api/v1/data-requests/): public reading of what
the portal shows (never the e-mail address), anonymous wishes with the portal's
validation and rate limit, triage by stewards and governance admins, pinned queries."""

import pytest
from django.core import mail
from django.urls import reverse

from conftest import make_role_holder
from governance.models import Role
from portal import services
from portal.forms import DataRequestForm
from portal.models import DataRequest, DataRequestStatus
from portal.views import DATA_REQUEST_LIMIT

EMAIL = "anna@example.org"


@pytest.fixture
def legal_a(org_a):
    return make_role_holder("legal-a", Role.LEGAL_REVIEWER, org_a)


@pytest.fixture
def as_persona(request, client):
    """A client logged in as the named persona ("anonymous": not logged in)."""

    def login(name):
        if name != "anonymous":
            client.force_login(request.getfixturevalue(name))
        return client

    return login


@pytest.fixture
def wish(vocabularies):
    return services.create_data_request(
        title="Baumfällungen", description="Wo und warum werden Bäume gefällt?", email=EMAIL
    )


def url(data_request=None, suffix=""):
    if data_request is None:
        return reverse("portal-api:data-request-list")
    return reverse("portal-api:data-request-detail", args=[data_request.pk]) + suffix


def post(client, path, data):
    return client.post(path, data, content_type="application/json")


@pytest.mark.parametrize("persona", ["anonymous", "steward_a", "steward_b", "legal_a", "admin_a"])
def test_everyone_reads_data_requests_without_the_email_address(as_persona, persona, wish, admin_a):
    # Untriaged, a request is not public (issue 22); triaged, everyone reads it.
    untriaged = services.create_data_request(title="Noch nicht geprüfter Wunsch", description="x")
    services.triage_data_request(wish, by=admin_a, status=DataRequestStatus.IN_PROGRESS, answer="Wir prüfen.")
    client = as_persona(persona)
    assert client.get(url(untriaged)).status_code == 404
    listing = client.get(url())
    assert listing.status_code == 200
    [row] = listing.json()["results"]
    detail = client.get(url(wish))
    assert detail.status_code == 200
    for data in (row, detail.json()):
        assert data["title"] == "Baumfällungen"
        assert data["status"] == DataRequestStatus.IN_PROGRESS
        assert data["status_label"] == "in Bearbeitung"
        assert data["url"].endswith(wish.get_absolute_url())
        assert "email" not in data
    assert EMAIL not in listing.content.decode() + detail.content.decode()


def test_a_linked_dataset_is_named_only_while_it_is_published(client, wish, published, flow_a, admin_a):
    services.triage_data_request(wish, by=admin_a, status=DataRequestStatus.PUBLISHED, answer="Ist da.",
                                 dataset=published)  # fmt: skip
    data = client.get(url(wish)).json()
    assert data["dataset"] == "baumkataster"
    assert data["dataset_url"].endswith(reverse("portal:dataset_detail", args=["baumkataster"]))
    flow_a.step("withdraw", published, flow_a.owner, reasons="Veraltet.")
    data = client.get(url(wish)).json()
    assert data["dataset"] is None
    assert data["dataset_url"] is None
    assert client.get(url()).json()["results"][0]["dataset"] is None


def test_the_list_filters_by_status(client, wish, admin_a):
    other = services.create_data_request(title="Parkplätze", description="Belegung der Parkhäuser")
    services.triage_data_request(other, by=admin_a, status=DataRequestStatus.IN_PROGRESS, answer="Wir prüfen.")
    assert [row["id"] for row in client.get(url(), {"status": "in_progress"}).json()["results"]] == [other.pk]
    # The open wish is not public (issue 22).
    assert [row["id"] for row in client.get(url()).json()["results"]] == [other.pk]
    assert client.get(url(), {"status": "erfunden"}).status_code == 400


def test_anyone_sends_a_wish_and_gets_a_confirmation(client, vocabularies, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        wish = {"title": "Zählwerte der Radzählstellen", "description": "Stündliche Zählwerte", "email": EMAIL}
        response = post(client, url(), wish)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == DataRequestStatus.OPEN
    assert "email" not in data
    data_request = DataRequest.objects.get(pk=data["id"])
    assert data_request.email == EMAIL
    assert data_request.history.get().history_change_reason == "portal.data_request.created"
    assert [message.to for message in mail.outbox] == [[EMAIL]]


def test_a_wish_is_checked_like_the_portal_form(client, db):
    data = {"title": "", "description": "x" * 4001, "email": "keine-adresse"}
    response = post(client, url(), data)
    assert response.status_code == 400
    errors = response.json()
    assert errors["title"] == ["Dieses Feld ist zwingend erforderlich."]
    assert errors["description"][0].endswith("aus höchstens 4000 Zeichen besteht. (Er besteht aus 4001 Zeichen.)")
    # The same rules and messages as the portal's form.
    assert errors == {name: list(messages) for name, messages in DataRequestForm(data).errors.items()}
    assert not DataRequest.objects.exists()


def test_too_many_wishes_from_one_address_are_refused(client, vocabularies):
    limit = DATA_REQUEST_LIMIT[0]
    for index in range(limit):
        wish = {"title": f"Wunsch Nummer {index} nach Daten", "description": "Bitte."}
        assert post(client, url(), wish).status_code == 201
    response = post(client, url(), {"title": "Noch einer", "description": "Bitte."})
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Von Ihrem Anschluss kamen in kurzer Zeit zu viele Datenwünsche.")
    assert DataRequest.objects.count() == limit
    # The portal form and the API share one budget per address.
    form = client.post(reverse("portal:data_request_create"), {"title": "Formular", "description": "Bitte."})
    assert form.status_code == 429


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 401), ("outsider", 403), ("steward_a", 200), ("steward_b", 200), ("legal_a", 403),
     ("admin_a", 200)],
)  # fmt: skip
def test_stewards_and_governance_admins_triage(as_persona, persona, status, wish):
    response = post(as_persona(persona), url(wish, "triage/"), {"status": "in_progress", "answer": "Wir prüfen das."})
    assert response.status_code == status, response.content
    wish.refresh_from_db()
    if status == 200:
        assert response.json()["status"] == "in_progress"
        assert response.json()["answer"] == "Wir prüfen das."
        assert wish.history.first().history_change_reason == "portal.data_request.in_progress"
        assert wish.history.first().history_user is not None
    else:
        assert wish.status == DataRequestStatus.OPEN


def test_triage_answers_with_field_errors(client_for, steward_a, wish, unpublished):
    client = client_for(steward_a)
    response = post(client, url(wish, "triage/"), {"status": "published"})
    assert response.status_code == 400
    assert response.json() == {"dataset": ["Bitte verknüpfen Sie einen veröffentlichten Datensatz."]}
    response = post(client, url(wish, "triage/"), {"status": "published", "dataset": unpublished["approved"].name})
    assert response.json() == {"dataset": ["Bitte verknüpfen Sie einen veröffentlichten Datensatz."]}
    response = post(client, url(wish, "triage/"), {"status": "declined"})
    assert response.json() == {
        "decline_ground": ["Bitte nennen Sie den Ausschlussgrund."],
        "answer": ["Bitte begründen Sie die Ablehnung in einfachen Worten."],
    }
    response = post(client, url(wish, "triage/"), {"status": "declined", "decline_ground": "PERSONAL_DATA",
                                                   "answer": "Die Daten betreffen Einzelpersonen."})  # fmt: skip
    assert response.status_code == 200
    assert response.json()["decline_ground"] == "PERSONAL_DATA"
    assert response.json()["decline_ground_label"]
    assert response.json()["answered_at"] is not None


def test_the_list_costs_the_same_for_one_or_many_rows(client, wish, admin_a, django_assert_num_queries):
    services.triage_data_request(wish, by=admin_a, status="declined", decline_ground="PERSONAL_DATA", answer="Nein.")
    client.get(url())
    # The data requests (with the published dataset's name), the labels of the grounds.
    with django_assert_num_queries(2):
        assert len(client.get(url()).json()["results"]) == 1
    for index in range(3):
        other = services.create_data_request(title=f"Wunsch {index}", description="Bitte.")
        services.triage_data_request(
            other, by=admin_a, status="declined", decline_ground="TRADE_SECRET", answer="Nein."
        )
    with django_assert_num_queries(2):
        assert len(client.get(url()).json()["results"]) == 4
