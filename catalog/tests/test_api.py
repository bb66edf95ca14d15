"""The catalog's REST API (/api/v1/datasets/ and below): who reads and writes what
(anonymous, steward of A, steward of B, legal reviewer of A, governance admin of A),
that anonymous clients never learn of an unpublished dataset, German field errors,
409 on stale versions, the publication workflow as actions, and pinned queries."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog import services, workflow
from catalog.models import Classification, Dataset, DatasetChange, DatasetState, PersonalDataStatus, Theme
from catalog.vocabularies import DataTheme
from conftest import make_role_holder
from governance.models import Decision, DecisionKind, Role

from .conftest import classification_fields, dataset_fields

CSV = b"baum_id;art;hoehe_m\n1;Linde;18\n2;Eiche;22\n"
PERSONAS = ["anonymous", "steward_a", "steward_b", "legal_a", "admin_a"]


@pytest.fixture(autouse=True)
def themes(db):
    """The EU themes come from a data migration that a transactional test may have flushed."""
    Theme.objects.bulk_create([Theme(code=code) for code in DataTheme.values], ignore_conflicts=True)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


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


def fresh(dataset):
    return Dataset.objects.select_related("publisher", "current_classification").get(pk=dataset.pk)


def upload(name="baeume.csv", content=CSV):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def publish(dataset, steward, owner, legal):
    """Classify (if needed) and drive the dataset through the workflow to the portal."""
    if fresh(dataset).current_classification is None:
        services.classify_dataset(dataset, by=steward, fields=classification_fields())
    for action, person, data in [
        ("submit", steward, {}),
        ("sign_off", owner, {}),
        ("approve", legal, {"confirmed": True}),
        ("publish", steward, {"confirm_alternative": True}),
    ]:
        current = fresh(dataset)
        workflow.perform(action, current, by=person, data={"expected_version": current.version, **data})
    return fresh(dataset)


@pytest.fixture
def draft_a(default_rules, dataset_a, steward_a):
    """Stadt A's "baumkataster": classified, with a CSV file, still a draft."""
    services.add_distribution(dataset_a, by=steward_a, title="Bäume (CSV)", upload=upload())
    services.classify_dataset(dataset_a, by=steward_a, fields=classification_fields())
    return fresh(dataset_a)


@pytest.fixture
def published_a(default_rules, org_a, steward_a, owner_a, legal_a):
    """Stadt A's "spielplaetze", on the portal, with a CSV file."""
    dataset = services.create_dataset(
        by=steward_a,
        fields=dataset_fields(org_a, name="spielplaetze", title="Spielplätze"),
        keywords=["Spielen"],
        themes=["SOCI"],
    )
    services.add_distribution(dataset, by=steward_a, title="Spielplätze (CSV)", upload=upload("spielplaetze.csv"))
    return publish(dataset, steward_a, owner_a, legal_a)


@pytest.fixture
def draft_b(dataset_b):
    return fresh(dataset_b)


def dataset_url(dataset=None, suffix=""):
    if dataset is None:
        return reverse("catalog-api:dataset-list")
    return reverse("catalog-api:dataset-detail", args=[dataset.name]) + suffix


def names(response):
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


def new_dataset(publisher, **overrides):
    return {
        "name": "radwege",
        "title": "Radwege",
        "description": "Alle Radwege mit Belag und Breite.",
        "publisher": publisher.slug,
        "contact_name": "Tiefbauamt",
        "contact_email": "tiefbau@stadt-a.example",
        "keywords": ["Radverkehr", "Wege", "radverkehr"],
        "themes": ["TRAN"],
        **overrides,
    }


# ---------------------------------------------------------------------------
# Reading datasets: the portal's door for everyone, the internal catalog for staff


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", {"spielplaetze"}),
        ("steward_a", {"spielplaetze", "baumkataster"}),
        ("steward_b", {"spielplaetze", "parkhaeuser"}),
        ("legal_a", {"spielplaetze", "baumkataster"}),
        ("admin_a", {"spielplaetze", "baumkataster"}),
        ("outsider", {"spielplaetze"}),
    ],
)
def test_the_list_shows_published_datasets_and_what_staff_may_see(
    as_persona, persona, expected, published_a, draft_a, draft_b
):
    assert names(as_persona(persona).get(dataset_url())) == expected


@pytest.mark.parametrize(
    ("persona", "status", "internal"),
    [("anonymous", 404, None), ("steward_a", 200, True), ("steward_b", 404, None), ("legal_a", 200, True),
     ("admin_a", 200, True)],
)  # fmt: skip
def test_an_unpublished_dataset_is_found_only_by_those_who_may_see_it(as_persona, persona, status, internal, draft_a):
    response = as_persona(persona).get(dataset_url(draft_a))
    assert response.status_code == status
    if status == 200:
        data = response.json()
        assert data["internal"]["state"] == "draft"
        assert data["internal"]["version"] == draft_a.version
        assert data["internal"]["steward"] is None
        assert data["internal"]["classification"]["number"] == 1
        assert data["links"]["portal"] is None


@pytest.mark.parametrize(("persona", "internal"), [("anonymous", False), ("steward_a", True), ("steward_b", False),
                                                   ("legal_a", True), ("admin_a", True)])  # fmt: skip
def test_a_published_dataset_is_public_and_its_internals_are_for_staff_of_the_publisher(
    as_persona, persona, internal, published_a
):
    response = as_persona(persona).get(dataset_url(published_a))
    assert response.status_code == 200
    data = response.json()
    assert data["title"] == "Spielplätze"
    assert data["publisher"] == "stadt-a"
    assert data["keywords"] == ["Spielen"]
    assert data["themes"] == ["SOCI"]
    assert data["links"]["portal"].endswith(reverse("portal:dataset_detail", args=["spielplaetze"]))
    assert data["links"]["api"].endswith(dataset_url(published_a))
    [distribution] = data["distributions"]
    assert distribution["format"] == "CSV"
    # Downloads go through the portal, which serves published files only.
    assert "/datensatz/spielplaetze/dateien/" in distribution["download_url"]
    if internal:
        assert data["internal"]["state"] == "published"
        assert data["internal"]["publication_outcome"] == "open"
        assert data["links"]["catalog"].endswith(published_a.get_absolute_url())
    else:
        assert data["internal"] is None
        assert data["links"]["catalog"] is None


def test_anonymous_clients_never_learn_of_unpublished_datasets_through_filters(client, published_a, draft_a):
    # "baumkataster" (draft) has the keyword "Bäume" and the theme ENVI; nothing of it shows.
    for query in ["state=draft", "keyword=Bäume", "theme=ENVI", "q=Baumkataster", "publisher=stadt-a&q=Baumkataster"]:
        assert names(client.get(f"{dataset_url()}?{query}")) == set(), query
    assert names(client.get(f"{dataset_url()}?publisher=stadt-a")) == {"spielplaetze"}
    assert names(client.get(f"{dataset_url()}?file_format=CSV")) == {"spielplaetze"}


def test_the_filters_narrow_the_list(client_for, steward_a, published_a, draft_a):
    client = client_for(steward_a)
    assert names(client.get(f"{dataset_url()}?state=draft")) == {"baumkataster"}
    assert names(client.get(f"{dataset_url()}?theme=SOCI")) == {"spielplaetze"}
    assert names(client.get(f"{dataset_url()}?keyword=bäume")) == {"baumkataster"}
    assert names(client.get(f"{dataset_url()}?q=spielpl")) == {"spielplaetze"}
    assert names(client.get(f"{dataset_url()}?licence=dl-by-de/2.0")) == {"spielplaetze", "baumkataster"}
    assert names(client.get(f"{dataset_url()}?licence=cc-zero")) == set()
    modified = fresh(published_a).modified
    assert names(client.get(dataset_url(), {"modified_since": modified.isoformat()})) >= {"spielplaetze"}
    assert names(client.get(dataset_url(), {"modified_since": "2999-01-01T00:00:00Z"})) == set()


def test_the_publisher_filter_includes_the_units_below(
    client_for, org_a, org_a_department, steward_a, owner_a, legal_a, published_a
):
    from governance import services as governance

    governance.assign_role(steward_a, Role.STEWARD, org_a_department, by=None)
    governance.assign_role(owner_a, Role.OWNER, org_a_department, by=None)
    governance.assign_role(legal_a, Role.LEGAL_REVIEWER, org_a_department, by=None)
    unit = services.create_dataset(
        by=steward_a, fields=dataset_fields(org_a_department, name="laermkarte", title="Lärmkarte")
    )
    publish(unit, steward_a, owner_a, legal_a)
    client = client_for(steward_a)
    assert names(client.get(f"{dataset_url()}?publisher=stadt-a")) == {"spielplaetze", "laermkarte"}
    assert names(client.get(f"{dataset_url()}?publisher=stadt-a-umweltamt")) == {"laermkarte"}
    assert names(client.get(f"{dataset_url()}?publisher=gibt-es-nicht")) == set()


def test_an_invalid_filter_value_is_a_field_error(client):
    response = client.get(f"{dataset_url()}?theme=XXXX")
    assert response.status_code == 400
    assert "theme" in response.json()


def test_the_list_pages_with_a_cursor_in_a_stable_order(client, default_rules, org_a, steward_a, owner_a, legal_a):
    for name in ["c-daten", "a-daten", "b-daten"]:
        dataset = services.create_dataset(by=steward_a, fields=dataset_fields(org_a, name=name, title=name))
        publish(dataset, steward_a, owner_a, legal_a)
    first = client.get(dataset_url(), {"limit": 2}).json()
    assert [row["name"] for row in first["results"]] == ["a-daten", "b-daten"]
    second = client.get(first["next"]).json()
    assert [row["name"] for row in second["results"]] == ["c-daten"]
    assert second["next"] is None


# ---------------------------------------------------------------------------
# Creating and changing datasets


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 401), ("steward_a", 201), ("steward_b", 400), ("legal_a", 403), ("admin_a", 403)],
)
def test_stewards_create_datasets_for_their_own_organisations(as_persona, persona, status, org_a, vocabularies):
    response = as_persona(persona).post(dataset_url(), new_dataset(org_a), content_type="application/json")
    assert response.status_code == status, response.content
    if status == 201:
        data = response.json()
        assert data["name"] == "radwege"
        assert data["keywords"] == ["Radverkehr", "Wege"]
        assert data["themes"] == ["TRAN"]
        assert data["internal"]["state"] == "draft"
        dataset = Dataset.objects.get(name="radwege")
        record = dataset.history.earliest("history_date")
        assert record.history_user.username == "steward-a"
        assert record.history_change_reason == "catalog.dataset.created"
    elif status == 400:
        # Steward of B: Stadt A is not among the organisations they may publish for.
        assert response.json() == {"publisher": ["Für die Organisation „stadt-a“ dürfen Sie keine Datensätze pflegen."]}
    assert Dataset.objects.filter(name="radwege").exists() == (status == 201)


def test_creating_a_dataset_answers_with_german_field_errors(client_for, steward_a, org_a):
    client = client_for(steward_a)
    response = client.post(
        dataset_url(),
        new_dataset(org_a, title="", municipality_key="123", temporal_start="2025-01-01", temporal_end="2024-01-01"),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"title": ["Dieses Feld darf nicht leer sein."]}
    response = client.post(
        dataset_url(),
        new_dataset(org_a, municipality_key="123", temporal_start="2025-01-01", temporal_end="2024-01-01"),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "municipality_key": ["Der Gemeindeschlüssel hat genau acht Ziffern."],
        "temporal_end": ["Das Ende des Zeitraums liegt vor seinem Beginn."],
    }
    response = client.post(dataset_url(), new_dataset(org_a, name="neu"), content_type="application/json")
    assert response.json() == {"name": ["Dieser Kurzname ist reserviert; bitte einen anderen wählen."]}
    response = client.post(dataset_url(), new_dataset(org_a, themes=["XXXX"]), content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()) == ["themes"]
    assert not Dataset.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 401), ("steward_a", 200), ("steward_b", 404), ("legal_a", 403), ("admin_a", 403)],
)
def test_stewards_of_the_publisher_change_a_dataset(as_persona, persona, status, draft_a):
    response = as_persona(persona).patch(
        dataset_url(draft_a),
        {"title": "Baumkataster 2025", "version": draft_a.version, "reason": "Neuer Jahrgang"},
        content_type="application/json",
    )
    assert response.status_code == status, response.content
    dataset = fresh(draft_a)
    if status == 200:
        assert response.json()["title"] == "Baumkataster 2025"
        assert response.json()["internal"]["version"] == draft_a.version + 1
        record = dataset.history.first()
        assert (record.history_change_reason, record.history_person_text) == (
            "catalog.dataset.changed",
            "Neuer Jahrgang",
        )
        assert [k.name for k in dataset.keywords.all()] == ["Bäume"]  # not sent: kept
    else:
        assert dataset.title == "Baumkataster"


def test_a_published_dataset_of_another_organisation_is_read_only(client_for, steward_b, published_a):
    client = client_for(steward_b)
    response = client.patch(
        dataset_url(published_a),
        {"title": "Übernommen", "version": published_a.version},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert fresh(published_a).title == "Spielplätze"


def test_a_change_on_a_stale_version_is_a_conflict(client_for, steward_a, draft_a):
    client = client_for(steward_a)
    stale = draft_a.version
    assert (
        client.patch(
            dataset_url(draft_a), {"title": "Erste", "version": stale}, content_type="application/json"
        ).status_code
        == 200
    )
    response = client.patch(
        dataset_url(draft_a), {"title": "Zweite", "version": stale}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "inzwischen von jemand anderem geändert" in response.json()["detail"]
    assert fresh(draft_a).title == "Erste"


def test_a_change_needs_the_version_and_keeps_the_name(client_for, steward_a, draft_a):
    client = client_for(steward_a)
    response = client.patch(dataset_url(draft_a), {"title": "Ohne Version"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"version": ["Dieses Feld ist zwingend erforderlich."]}
    response = client.patch(
        dataset_url(draft_a), {"name": "anders", "version": draft_a.version}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"name": ["Der Kurzname ist Teil der Adresse und bleibt nach dem Anlegen gleich."]}


def test_a_full_update_replaces_keywords_and_themes(client_for, steward_a, draft_a, org_a):
    body = {**new_dataset(org_a, name="baumkataster", keywords=["Stadtgrün"], themes=["ENVI", "REGI"]),
            "version": draft_a.version, "hvd_category": "c_ac64a52d", "licence": "cc-by/4.0"}  # fmt: skip
    response = client_for(steward_a).put(dataset_url(draft_a), body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["keywords"] == ["Stadtgrün"]
    assert response.json()["themes"] == ["ENVI", "REGI"]
    closed = {**body, "version": draft_a.version + 1, "licence": "other-closed"}
    response = client_for(steward_a).put(dataset_url(draft_a), closed, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "licence": ["Hochwertige Datensätze brauchen eine offene Lizenz (CC BY 4.0, CC0 o. ä.)."]
    }


# ---------------------------------------------------------------------------
# The publication workflow as actions


def transitions_url(dataset, action=None):
    if action is None:
        return reverse("catalog-api:dataset-transitions", args=[dataset.name])
    return reverse("catalog-api:dataset-transition", args=[dataset.name, action])


def step(client, dataset, action, **data):
    version = fresh(dataset).version
    return client.post(
        transitions_url(dataset, action), {"expected_version": version, **data}, content_type="application/json"
    )


@pytest.mark.parametrize(
    ("persona", "status", "actions"),
    [("anonymous", 401, None), ("steward_a", 200, ["submit"]), ("steward_b", 404, None), ("legal_a", 200, []),
     ("admin_a", 200, [])],
)  # fmt: skip
def test_the_transitions_say_what_the_user_may_do_now(as_persona, persona, status, actions, draft_a):
    response = as_persona(persona).get(transitions_url(draft_a))
    assert response.status_code == status
    if status == 200:
        assert [row["action"] for row in response.json()] == actions
    if actions:
        [submit] = response.json()
        assert submit["label"] == "Zur Prüfung einreichen"
        assert submit["fields"] == ["expected_version"]
        assert submit["url"].endswith(transitions_url(draft_a, "submit"))


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 401), ("steward_a", 201), ("steward_b", 404), ("legal_a", 403), ("admin_a", 403)],
)
def test_only_a_steward_of_the_publisher_submits(as_persona, persona, status, draft_a):
    response = step(as_persona(persona), draft_a, "submit")
    assert response.status_code == status, response.content
    if status == 403:
        assert response.json()["detail"] == "Dafür fehlt Ihnen die Rolle „Datenverantwortliche:r“ für Stadt A."
    assert fresh(draft_a).state == (DatasetState.IN_REVIEW if status == 201 else DatasetState.DRAFT)


def test_the_workflow_of_a_portal_only_dataset_is_forbidden(client_for, steward_b, published_a):
    client = client_for(steward_b)
    assert client.get(transitions_url(published_a)).status_code == 403
    assert step(client, published_a, "withdraw", reasons="Weg damit").status_code == 403
    assert client.get(dataset_url(published_a, "decisions/")).status_code == 403
    assert fresh(published_a).state == DatasetState.PUBLISHED


def test_a_dataset_goes_from_draft_to_the_portal_through_the_api(client, draft_a, steward_a, owner_a, legal_a):
    chain = [("submit", steward_a, {}), ("sign_off", owner_a, {"reasons": "Fachlich in Ordnung."}),
             ("approve", legal_a, {}), ("publish", steward_a, {})]  # fmt: skip
    decisions = []
    for action, person, data in chain:
        client.force_login(person)
        response = step(client, draft_a, action, **data)
        assert response.status_code == 201, (action, response.content)
        decisions.append(response.json())
    assert fresh(draft_a).state == DatasetState.PUBLISHED
    assert [(d["kind"], d["outcome"], d["actor"]) for d in decisions] == [
        (DecisionKind.PUBLICATION, "open", "steward-a"),
        (DecisionKind.REVIEW, "approved", "owner-a"),
        (DecisionKind.PUBLICATION, "open", "legal-a"),
        (DecisionKind.PUBLICATION, "open", "steward-a"),
    ]
    assert decisions[1]["reasons"] == "Fachlich in Ordnung."
    assert Decision.objects.filter(subject_id=str(draft_a.pk)).count() == 4

    client.force_login(legal_a)
    trail = client.get(dataset_url(draft_a, "decisions/"))
    assert trail.status_code == 200
    assert [d["id"] for d in trail.json()] == [d["id"] for d in reversed(decisions)]
    submitted = trail.json()[-1]
    assert submitted["outcome_label"] == "als Open Data veröffentlichen"
    assert submitted["kind_label"]
    client.logout()
    assert "baumkataster" in names(client.get(dataset_url()))


def test_the_four_eyes_principle_is_a_403(client_for, draft_a, org_a, owner_a):
    both = make_role_holder("zwei-rollen", Role.STEWARD, org_a)
    from governance import services as governance

    governance.assign_role(both, Role.LEGAL_REVIEWER, org_a, by=None)
    client = client_for(both)
    assert step(client, draft_a, "submit").status_code == 201
    workflow.sign_off(draft_a, by=owner_a, expected_version=fresh(draft_a).version)
    response = step(client, draft_a, "approve")
    assert response.status_code == 403
    assert response.json()["detail"].startswith("Vier-Augen-Prinzip")
    assert fresh(draft_a).state == DatasetState.LEGAL_REVIEW


def test_a_step_the_state_does_not_allow_or_on_a_stale_version_is_a_conflict(client_for, draft_a, steward_a, owner_a):
    client = client_for(owner_a)
    response = step(client, draft_a, "sign_off")
    assert response.status_code == 409
    assert response.json()["detail"] == "„Als Dateneigentümer:in freigeben“ ist im Status „Entwurf“ nicht möglich."
    client = client_for(steward_a)
    response = client.post(
        transitions_url(draft_a, "submit"), {"expected_version": draft_a.version - 1}, content_type="application/json"
    )
    assert response.status_code == 409
    assert "Bitte laden Sie die Seite neu" in response.json()["detail"]
    assert fresh(draft_a).state == DatasetState.DRAFT
    assert client.post(transitions_url(draft_a, "fliegen"), {}, content_type="application/json").status_code == 404


def test_a_step_answers_with_field_errors(client_for, draft_a, steward_a, owner_a, legal_a):
    workflow.submit(draft_a, by=steward_a, expected_version=fresh(draft_a).version)
    workflow.sign_off(draft_a, by=owner_a, expected_version=fresh(draft_a).version)
    client = client_for(legal_a)
    response = client.post(transitions_url(draft_a, "refuse"), {}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"expected_version": ["Dieses Feld ist zwingend erforderlich."]}
    response = step(client, draft_a, "refuse", reasons="Nein.", outcome="internal", grounds=["ERFUNDEN"])
    assert response.json() == {"grounds": ["Unbekannter Ausschlussgrund: ERFUNDEN"]}
    response = step(client, draft_a, "refuse", reasons="Nein.", outcome="internal", grounds=["CRITICAL_INFRASTRUCTURE"])
    assert response.status_code == 400
    assert response.json() == {"rereview_on": ["Bitte geben Sie eine Wiedervorlage in der Zukunft an."]}
    response = step(client, draft_a, "return")
    assert response.json() == {"reasons": ["Bitte begründen Sie die Entscheidung."]}
    assert fresh(draft_a).state == DatasetState.LEGAL_REVIEW


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 401), ("steward_a", 200), ("steward_b", 404), ("legal_a", 200), ("admin_a", 200)],
)
def test_the_decision_trail_is_for_those_who_see_the_dataset_internally(as_persona, persona, status, draft_a):
    response = as_persona(persona).get(dataset_url(draft_a, "decisions/"))
    assert response.status_code == status
    if status == 200:
        assert response.json() == []


# ---------------------------------------------------------------------------
# Distributions


def distributions_url(dataset, distribution=None):
    if distribution is None:
        return reverse("catalog-api:distribution-list", args=[dataset.name])
    return reverse("catalog-api:distribution-detail", args=[dataset.name, distribution.identifier])


@pytest.mark.parametrize(
    ("persona", "published", "unpublished"),
    [("anonymous", 200, 404), ("steward_a", 200, 200), ("steward_b", 200, 404), ("legal_a", 200, 200),
     ("admin_a", 200, 200)],
)  # fmt: skip
def test_distributions_are_public_only_for_published_datasets(
    as_persona, persona, published, unpublished, published_a, draft_a
):
    client = as_persona(persona)
    on_portal = published_a.distributions.get()
    in_draft = draft_a.distributions.get()
    assert client.get(distributions_url(published_a)).status_code == published
    assert client.get(distributions_url(published_a, on_portal)).status_code == published
    assert client.get(distributions_url(draft_a)).status_code == unpublished
    response = client.get(distributions_url(draft_a, in_draft))
    assert response.status_code == unpublished
    if unpublished == 200:
        # Staff download through the catalog, after its permission check.
        assert response.json()["download_url"].endswith(
            reverse("catalog:distribution_file", args=["baumkataster", in_draft.pk])
        )
    # A distribution is only found below its own dataset.
    assert client.get(distributions_url(published_a, in_draft)).status_code == 404


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 401), ("steward_a", 201), ("steward_b", 404), ("legal_a", 403), ("admin_a", 403)],
)
def test_stewards_of_the_publisher_upload_distributions(as_persona, persona, status, draft_a):
    response = as_persona(persona).post(
        distributions_url(draft_a), {"title": "Bäume 2025", "file": upload("baeume-2025.csv")}
    )
    assert response.status_code == status, response.content
    assert draft_a.distributions.count() == (2 if status == 201 else 1)
    if status == 201:
        data = response.json()
        assert data["format"] == "CSV"
        assert data["byte_size"] == len(CSV)
        assert data["dataset"] == "baumkataster"
        assert fresh(draft_a).version == draft_a.version + 1


def test_a_link_distribution_needs_a_format_and_an_upload_is_checked(
    client_for, steward_a, draft_a, steward_b, published_a
):
    client = client_for(steward_a)
    url = distributions_url(draft_a)
    response = client.post(url, {"title": "WMS", "access_url": "https://geo.example/wms", "kind": "service"},
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {"format": ["Bitte wählen Sie das Format der verlinkten Daten."]}
    response = client.post(url, {"title": "WMS", "access_url": "https://geo.example/wms", "kind": "service",
                                 "format": "WMS_SRVC"}, content_type="application/json")  # fmt: skip
    assert response.status_code == 201
    assert response.json()["download_url"] == "https://geo.example/wms"
    response = client.post(url, {"title": "Programm", "file": upload("tool.csv", b"MZ\x90\x00rest")})
    assert response.status_code == 400
    assert response.json() == {"file": ["Die Datei enthält ein ausführbares Programm und wird abgelehnt."]}
    response = client.post(url, {"title": "Beides", "file": upload(), "access_url": "https://x.example/a.csv"})
    assert response.json() == {
        "access_url": ["Bitte entweder eine Datei hochladen oder eine Adresse angeben, nicht beides."]
    }
    response = client.post(url, {"title": "Nichts"}, content_type="application/json")
    assert response.json() == {"file": ["Bitte laden Sie eine Datei hoch oder geben Sie eine externe Adresse an."]}
    assert (
        client_for(steward_b).post(distributions_url(published_a), {"title": "x", "file": upload()}).status_code == 403
    )


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 401), ("steward_a", 204), ("steward_b", 404), ("legal_a", 403), ("admin_a", 403)],
)
def test_stewards_of_the_publisher_remove_distributions(as_persona, persona, status, draft_a):
    distribution = draft_a.distributions.get()
    response = as_persona(persona).delete(distributions_url(draft_a, distribution))
    assert response.status_code == status
    assert draft_a.distributions.exists() == (status != 204)
    if status == 204:
        assert distribution.history.first().history_type == "-"


def test_a_dataset_in_review_keeps_its_distributions(client_for, steward_a, draft_a):
    client = client_for(steward_a)
    assert step(client, draft_a, "submit").status_code == 201
    response = client.delete(distributions_url(draft_a, draft_a.distributions.get()))
    assert response.status_code == 400
    assert "ist in Prüfung" in response.json()["non_field_errors"][0]
    assert draft_a.distributions.count() == 1


# ---------------------------------------------------------------------------
# Classifications: never public, never changed


def classifications_url(dataset, number=None):
    if number is None:
        return reverse("catalog-api:classification-list", args=[dataset.name])
    return reverse("catalog-api:classification-detail", args=[dataset.name, number])


@pytest.mark.parametrize(
    ("persona", "unpublished", "published"),
    [("anonymous", 401, 401), ("steward_a", 200, 200), ("steward_b", 404, 403), ("legal_a", 200, 200),
     ("admin_a", 200, 200)],
)  # fmt: skip
def test_classifications_are_read_by_those_who_see_the_dataset_internally(
    as_persona, persona, unpublished, published, draft_a, published_a
):
    client = as_persona(persona)
    assert client.get(classifications_url(draft_a)).status_code == unpublished
    assert client.get(classifications_url(draft_a, 1)).status_code == unpublished
    response = client.get(classifications_url(published_a))
    assert response.status_code == published
    if published == 200:
        [classification] = response.json()["results"]
        assert classification["number"] == 1
        assert classification["classified_by"] == "steward-a"
        assert classification["personal_data"] == PersonalDataStatus.NONE


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 401), ("steward_a", 201), ("steward_b", 404), ("legal_a", 403), ("admin_a", 403)],
)
def test_stewards_of_the_publisher_classify(as_persona, persona, status, draft_a):
    body = {**classification_fields(protection_integrity=2, justification="Neu bewertet."), "based_on": 1}
    response = as_persona(persona).post(classifications_url(draft_a), body, content_type="application/json")
    assert response.status_code == status, response.content
    assert draft_a.classifications.count() == (2 if status == 201 else 1)
    if status == 201:
        assert response.json()["number"] == 2
        assert response.json()["protection_overall"] == 2
        assert fresh(draft_a).current_classification.number == 2


def test_a_classification_on_a_stale_version_is_a_conflict_and_errors_are_per_field(client_for, steward_a, draft_a):
    client = client_for(steward_a)
    url = classifications_url(draft_a)
    response = client.post(url, {**classification_fields(), "based_on": 0}, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["detail"].startswith("Inzwischen wurde Version 1 der Klassifizierung gespeichert.")
    personal = classification_fields(personal_data=PersonalDataStatus.PERSONAL, confidentiality=1)
    response = client.post(url, {**personal, "based_on": 1}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "legal_bases": ["Personenbezogene Daten brauchen eine Rechtsgrundlage nach Art. 6 DSGVO."]
    }
    response = client.post(url, {**classification_fields(legal_bases=["ERFUNDEN"]), "based_on": 1},
                           content_type="application/json")  # fmt: skip
    assert list(response.json()) == ["legal_bases"]
    response = client.post(url, classification_fields(), content_type="application/json")
    assert response.json() == {"based_on": ["Dieses Feld ist zwingend erforderlich."]}
    assert draft_a.classifications.count() == 1


def test_a_classification_is_never_changed_or_deleted(client_for, steward_a, draft_a):
    client = client_for(steward_a)
    url = classifications_url(draft_a, 1)
    assert client.put(url, classification_fields(), content_type="application/json").status_code == 405
    assert client.patch(url, {"justification": "anders"}, content_type="application/json").status_code == 405
    assert client.delete(url).status_code == 405
    assert Classification.objects.get(dataset=draft_a).justification == "Sachdaten ohne Personenbezug."


# ---------------------------------------------------------------------------
# Queries do not grow with the number of rows


def more_datasets(org, steward, owner, legal, count, *, start=0):
    for index in range(start, start + count):
        dataset = services.create_dataset(
            by=steward,
            fields=dataset_fields(org, name=f"datensatz-{index}", title=f"Datensatz {index}"),
            keywords=[f"Wort {index}", "Gemeinsam"],
            themes=["ENVI", "TRAN"],
        )
        services.add_distribution(dataset, by=steward, title=f"{index} (CSV)", upload=upload(f"d{index}.csv"))
        publish(dataset, steward, owner, legal)


def test_the_dataset_list_costs_the_same_for_one_or_many_rows(
    client, default_rules, org_a, steward_a, owner_a, legal_a, django_assert_num_queries
):
    more_datasets(org_a, steward_a, owner_a, legal_a, 1)
    client.get(dataset_url())  # warms the per-process caches (content types of the role permissions)
    # Anonymous: datasets (published only), keywords, themes, distributions.
    with django_assert_num_queries(4):
        assert len(client.get(dataset_url()).json()["results"]) == 1
    more_datasets(org_a, steward_a, owner_a, legal_a, 3, start=1)
    with django_assert_num_queries(4):
        assert len(client.get(dataset_url()).json()["results"]) == 4

    client.force_login(steward_a)
    client.get(dataset_url())
    # Staff: session, user, the datasets (published or visible, `is_internal` in the same
    # query), keywords, themes, distributions.
    with django_assert_num_queries(6):
        assert len(client.get(dataset_url()).json()["results"]) == 4


def test_the_distribution_and_classification_lists_cost_the_same_for_one_or_many_rows(
    client_for, steward_a, draft_a, django_assert_num_queries
):
    client = client_for(steward_a)
    client.get(distributions_url(draft_a))  # warms the per-process caches
    for count in (1, 3):
        while draft_a.distributions.count() < count:
            services.add_distribution(draft_a, by=steward_a, title="Noch eine", upload=upload())
        # Session, user, dataset (readable, with is_internal), distributions.
        with django_assert_num_queries(4):
            assert len(client.get(distributions_url(draft_a)).json()["results"]) == count
    for count in (1, 3):
        while draft_a.classifications.count() < count:
            number = draft_a.classifications.count()
            services.classify_dataset(draft_a, by=steward_a, fields=classification_fields(justification=f"V{number}"))
        # Session, user, dataset, classifications with who classified.
        with django_assert_num_queries(4):
            assert len(client.get(classifications_url(draft_a)).json()["results"]) == count


def test_the_decision_trail_and_the_transitions_cost_the_same_for_one_or_many_decisions(
    client_for, draft_a, steward_a, owner_a, legal_a, django_assert_num_queries
):
    client = client_for(legal_a)
    workflow.submit(draft_a, by=steward_a, expected_version=fresh(draft_a).version)
    client.get(dataset_url(draft_a, "decisions/"))  # warms the per-process caches
    # Session, user, dataset (readable, with is_internal), decisions with their actors,
    # the rule versions they were made under.
    with django_assert_num_queries(5):
        assert len(client.get(dataset_url(draft_a, "decisions/")).json()) == 1
    workflow.sign_off(draft_a, by=owner_a, expected_version=fresh(draft_a).version)
    workflow.return_to_draft(draft_a, by=legal_a, expected_version=fresh(draft_a).version, reasons="Bitte ergänzen.")
    with django_assert_num_queries(5):
        assert len(client.get(dataset_url(draft_a, "decisions/")).json()) == 3
    client = client_for(steward_a)
    client.get(transitions_url(draft_a))
    # Session, user, dataset (readable), dataset with publisher and classification, the
    # user's roles there (own and group permissions).
    with django_assert_num_queries(6):
        assert [row["action"] for row in client.get(transitions_url(draft_a)).json()] == ["submit"]


def test_an_edit_of_a_published_dataset_through_the_api_is_a_pending_change(client_for, steward_a, published_a, client):
    api = client_for(steward_a)
    url = dataset_url(published_a)
    version = api.get(url).json()["internal"]["version"]

    first = api.patch(url, {"title": "Bäume (neu)", "version": version}, content_type="application/json")
    assert first.status_code == 200
    assert first.json()["title"] == published_a.title  # the approved state stays
    next_version = first.json()["internal"]["version"]
    assert next_version > version
    stale = api.patch(url, {"description": "Zweiter Stand", "version": version}, content_type="application/json")
    assert stale.status_code == 409
    second = api.patch(url, {"description": "Zweiter Stand", "version": next_version}, content_type="application/json")
    assert second.status_code == 200

    change = DatasetChange.objects.get(dataset=published_a)
    assert change.proposed == {"title": "Bäume (neu)", "description": "Zweiter Stand"}
    assert client.get(url).json()["title"] == published_a.title
