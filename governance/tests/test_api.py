"""The governance endpoints of /api/v1/: who may read and write what (the matrix over
every endpoint and persona), filters, cursor pagination, field errors, conflicts and
the number of queries a list costs."""

import json
from datetime import date

import pytest
from django.test import Client
from django.utils import timezone

from conftest import make_organisation, make_role_holder
from governance import services
from governance.models import (
    AuditEvent,
    DecisionKind,
    DecisionOutcome,
    OrgType,
    PolicyKind,
    PolicyStatus,
    PolicyVersion,
    Role,
    RuleVersion,
)

from .conftest import BODY_V1, OPEN_FACTS, adopt_and_enact

PERSONAS = ["anonymous", "outsider", "steward_a", "steward_b", "legal_a", "admin_a"]
DOC = "/api/v1/policy-documents/datenstrategie"

RULE = {
    "code": "R-KRITIS",
    "section": "§ 2 Abs. 1",
    "title": "Kritische Infrastruktur",
    "condition": {"field": "critical_infrastructure", "op": "is_true"},
    "effect": "block",
    "ground": "CRITICAL_INFRASTRUCTURE",
    "alternative": "internal",
    "rereview_months": 12,
}


@pytest.fixture
def legal_a(org_a):
    return make_role_holder("legal-a", Role.LEGAL_REVIEWER, org_a)


@pytest.fixture
def admin_b(org_b):
    return make_role_holder("admin-b", Role.GOVERNANCE_ADMIN, org_b)


@pytest.fixture
def world(strategy, org_a, org_b, admin_a, steward_a, steward_b, legal_a, outsider):
    """`datenstrategie` (v1 superseded, v2 in force, v3 a draft with rule R-PERSONEN),
    `dienstanweisung` (v1 in force), `satzung` (v1 adopted, not yet in force), and one
    decision about A, one about B and one network-wide."""
    services.create_draft(strategy, by=admin_a, change_note="Fortschreibung")
    instruction = services.create_document(
        by=admin_a, kind=PolicyKind.SERVICE_INSTRUCTION, title="Dienstanweisung Open Data", slug="dienstanweisung"
    )
    adopt_and_enact(
        services.create_draft(instruction, by=admin_a, body=BODY_V1),
        by=admin_a,
        adopted_on=date(2025, 1, 15),
        valid_from=date(2025, 2, 1),
    )
    statute = services.create_document(by=admin_a, kind=PolicyKind.STATUTE, title="Satzung", slug="satzung")
    services.adopt_version(
        services.create_draft(statute, by=admin_a, body=BODY_V1),
        by=admin_a,
        adopted_by="Gemeinderat",
        adopted_on=date(2025, 3, 1),
    )
    decisions = {
        name: services.record_decision(
            kind=DecisionKind.REVIEW,
            subject=subject,
            outcome=DecisionOutcome.APPROVED,
            actor=admin_a,
            reasons="Geprüft",
            organisation=subject if name != "network" else None,
        )
        for name, subject in (("a", org_a), ("b", org_b), ("network", org_a))
    }
    return {"decisions": decisions}


def client_as(request, persona) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    return client


def send(client, method, url, body=None):
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


# Every endpoint (and method) with the answer each persona gets. Writes are valid, so a
# permitted persona succeeds; the denied ones must leave no trace (checked below).
MATRIX = [
    # organisations: public to read, the owner or a governance admin there edits
    ("get", "/api/v1/organisations/", None, [200, 200, 200, 200, 200, 200]),
    ("get", "/api/v1/organisations/stadt-a/", None, [200, 200, 200, 200, 200, 200]),
    ("patch", "/api/v1/organisations/stadt-a/", {"website": "https://a.example", "version": 1},
     [401, 403, 403, 403, 403, 200]),
    ("patch", "/api/v1/organisations/stadt-b/", {"website": "https://b.example", "version": 1},
     [401, 403, 403, 403, 403, 403]),
    # decisions: auditors only
    ("get", "/api/v1/decisions/", None, [401, 403, 403, 403, 403, 200]),
    ("get", "/api/v1/decisions/{a}/", None, [401, 403, 403, 403, 403, 200]),
    ("get", "/api/v1/decisions/{b}/", None, [401, 403, 403, 403, 403, 404]),
    # policies and rules: everyone with a role reads, governance admins write
    ("get", "/api/v1/policy-documents/", None, [401, 403, 200, 200, 200, 200]),
    ("post", "/api/v1/policy-documents/", {"slug": "leitlinie", "kind": "guideline", "title": "Leitlinie"},
     [401, 403, 403, 403, 403, 201]),
    ("get", f"{DOC}/", None, [401, 403, 200, 200, 200, 200]),
    ("get", f"{DOC}/versions/", None, [401, 403, 200, 200, 200, 200]),
    ("post", "/api/v1/policy-documents/dienstanweisung/versions/", {"change_note": "Neu"},
     [401, 403, 403, 403, 403, 201]),
    ("get", f"{DOC}/versions/2/", None, [401, 403, 200, 200, 200, 200]),
    ("patch", f"{DOC}/versions/3/", {"change_note": "Klarstellung"}, [401, 403, 403, 403, 403, 200]),
    ("delete", f"{DOC}/versions/3/", None, [401, 403, 403, 403, 403, 204]),
    ("post", f"{DOC}/versions/3/adopt/", {"adopted_by": "Gemeinderat", "adopted_on": "2025-09-01"},
     [401, 403, 403, 403, 403, 200]),
    ("post", "/api/v1/policy-documents/satzung/versions/1/put-in-force/", {"valid_from": "2025-04-01"},
     [401, 403, 403, 403, 403, 200]),
    ("post", f"{DOC}/versions/2/repeal/", {"on": "2026-01-01", "reason": "Neuordnung"},
     [401, 403, 403, 403, 403, 200]),
    ("get", f"{DOC}/versions/3/rules/", None, [401, 403, 200, 200, 200, 200]),
    ("post", f"{DOC}/versions/3/rules/", RULE, [401, 403, 403, 403, 403, 201]),
    ("get", f"{DOC}/versions/3/rules/R-PERSONEN/", None, [401, 403, 200, 200, 200, 200]),
    ("patch", f"{DOC}/versions/3/rules/R-PERSONEN/", {"title": "Personenbezug, geschärft"},
     [401, 403, 403, 403, 403, 200]),
    ("delete", f"{DOC}/versions/3/rules/R-PERSONEN/", None, [401, 403, 403, 403, 403, 204]),
    ("get", "/api/v1/rules/", None, [401, 403, 200, 200, 200, 200]),
    ("get", "/api/v1/rules/R-PERSONEN/", None, [401, 403, 200, 200, 200, 200]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "url", "body", "statuses"),
    [pytest.param(method, url, body, statuses, id=f"{method} {url}") for method, url, body, statuses in MATRIX],
)
def test_permission_matrix(request, world, method, url, body, statuses):
    """Each persona in turn; a refused request changes nothing, so the one permitted
    write (last, by admin_a) still finds the world as the fixture made it."""
    url = url.format(**{name: decision.pk for name, decision in world["decisions"].items()})
    for persona, expected in zip(PERSONAS, statuses, strict=True):
        head = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
        response = send(client_as(request, persona), method, url, body)
        assert response.status_code == expected, (persona, response.content)
        written = AuditEvent.objects.filter(seq__gt=head)
        if expected >= 400 or method == "get":
            assert not written.exists(), persona  # refused or read: nothing changed
        else:
            # a permitted write leaves its trace in the journal, under the person's name
            actors = set(written.exclude(reason="governance.permissions.synced").values_list("actor", flat=True))
            assert actors == {request.getfixturevalue(persona).pk}, persona


def test_an_admin_of_b_cannot_maintain_documents_issued_by_a(client_for, world, admin_a, admin_b, org_a):
    issued = services.create_document(
        by=admin_a, kind=PolicyKind.GUIDELINE, title="Leitlinie A", slug="leitlinie-a", issuer=org_a
    )
    services.create_draft(issued, by=admin_a, body=BODY_V1)
    client = client_for(admin_b)
    assert client.get("/api/v1/policy-documents/leitlinie-a/versions/1/").status_code == 200
    assert send(client, "patch", "/api/v1/policy-documents/leitlinie-a/versions/1/", {"title": "B"}).status_code == 403
    assert client.delete("/api/v1/policy-documents/leitlinie-a/versions/1/").status_code == 403
    assert send(client, "post", "/api/v1/policy-documents/leitlinie-a/versions/1/rules/", RULE).status_code == 403
    # …and cannot issue one in A's name either
    response = send(
        client,
        "post",
        "/api/v1/policy-documents/",
        {"slug": "x", "kind": "guideline", "title": "X", "issuer": "stadt-a"},
    )
    assert response.status_code == 400
    assert "issuer" in response.json()


def test_session_writes_need_the_csrf_token(world, admin_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_a)
    response = send(client, "patch", "/api/v1/organisations/stadt-a/", {"website": "https://a.example", "version": 1})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


# ---------------------------------------------------------------------------
# Organisations


def test_the_public_sees_what_the_network_publishes_about_its_members(client, org_a, org_a_department):
    response = client.get("/api/v1/organisations/stadt-a-umweltamt/")
    assert response.json() == {
        "slug": "stadt-a-umweltamt",
        "name": "Stadt A – Umweltamt",
        "type": "kern",
        "parent": "stadt-a",
        "legal_entity": "stadt-a",
        "municipality": "Lindenau",
        "municipality_key": "",
        "state": "TH",
        "dng_role": "oeffentliche_stelle",
        "data_protection_regime": "thuerdsg",
        "dpo_contact": "",
        "contributor_id": "",
        "website": "",
        "email": "",
        "version": 1,
    }


def test_organisations_are_filtered(client, org_a, org_a_department, org_b):
    make_organisation("stadtwerke-a", name="Stadtwerke A", org_type=OrgType.EIGENGESELLSCHAFT, parent=org_a)
    org_b.municipality_key = "08136088"
    org_b.save()

    def slugs(query):
        response = client.get(f"/api/v1/organisations/?{query}")
        assert response.status_code == 200
        return [row["slug"] for row in response.json()["results"]]

    assert slugs("") == ["stadt-a", "stadt-a-umweltamt", "stadt-b", "stadtwerke-a"]  # by name
    assert slugs("type=eigengesellschaft") == ["stadtwerke-a"]
    assert slugs("parent=stadt-a") == ["stadt-a-umweltamt", "stadtwerke-a"]
    assert slugs("municipality_key=08136088") == ["stadt-b"]
    assert slugs("q=umwelt") == ["stadt-a-umweltamt"]
    assert slugs("q=eichberg") == ["stadt-b"]  # the municipality
    response = client.get("/api/v1/organisations/?type=gmbh")
    assert response.status_code == 400
    assert "type" in response.json()


def test_organisations_page_with_a_cursor(client, db):
    for number in range(7):
        make_organisation(f"einheit-{number}", name=f"Einheit {number}")
    seen, url = [], "/api/v1/organisations/?limit=3"
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 3
        seen += [row["slug"] for row in page["results"]]
        url = page["next"]
    assert seen == [f"einheit-{number}" for number in range(7)]
    assert "cursor=" in client.get("/api/v1/organisations/?limit=3").json()["next"]


def test_an_admin_edits_an_organisation_with_a_version_and_a_reason(client_for, world, admin_a, org_a):
    response = send(
        client_for(admin_a),
        "patch",
        "/api/v1/organisations/stadt-a/",
        {"municipality_key": "16053000", "type": "kern", "version": 1, "reason": "AGS ergänzt"},
    )
    assert response.status_code == 200
    assert response.json()["municipality_key"] == "16053000"
    assert response.json()["version"] == 2
    record = org_a.history.order_by("-history_date").first()
    assert (record.history_user, record.history_change_reason, record.history_person_text) == (
        admin_a,
        "governance.organisation.changed",
        "AGS ergänzt",
    )
    assert record.municipality_key == "16053000"


def test_an_owner_edits_their_organisation_as_in_the_ui(client_for, owner_a, org_a):
    response = send(
        client_for(owner_a), "patch", "/api/v1/organisations/stadt-a/", {"email": "a@a.example", "version": 1}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"municipality_key": "123", "version": 1}, "municipality_key", id="model validation"),
        pytest.param({"type": "gmbh", "version": 1}, "type", id="unknown choice"),
        pytest.param({"parent": "gibt-es-nicht", "version": 1}, "parent", id="unknown parent"),
        pytest.param({"parent": "stadt-a", "version": 1}, "parent", id="below itself"),
        pytest.param({"website": "kein link", "version": 1}, "website", id="not a URL"),
        pytest.param({"website": "https://a.example"}, "version", id="no version"),
    ],
)
def test_invalid_edits_get_field_errors_and_change_nothing(client_for, world, admin_a, org_a, body, field):
    response = send(client_for(admin_a), "patch", "/api/v1/organisations/stadt-a/", body)
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    assert isinstance(errors[field], list)
    assert errors[field][0]
    org_a.refresh_from_db()
    assert org_a.version == 1


def test_a_stale_version_is_a_conflict_not_an_overwrite(client_for, world, admin_a, owner_a, org_a):
    send(client_for(owner_a), "patch", "/api/v1/organisations/stadt-a/", {"email": "owner@a.example", "version": 1})
    response = send(
        client_for(admin_a), "patch", "/api/v1/organisations/stadt-a/", {"email": "x@a.example", "version": 1}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "inzwischen von jemand anderem geändert" in response.json()["detail"]
    org_a.refresh_from_db()
    assert (org_a.email, org_a.version) == ("owner@a.example", 2)


def test_organisations_cannot_be_replaced_created_or_deleted(client_for, world, admin_a):
    client = client_for(admin_a)
    assert send(client, "put", "/api/v1/organisations/stadt-a/", {"version": 1}).status_code == 405
    assert client.delete("/api/v1/organisations/stadt-a/").status_code == 405
    assert send(client, "post", "/api/v1/organisations/", {"name": "Neu"}).status_code == 405


@pytest.mark.parametrize("count", [2, 8])
def test_the_organisation_list_costs_one_query(client, count, django_assert_num_queries, db):
    parent = make_organisation("dach", name="Dach")
    for number in range(count):
        make_organisation(f"einheit-{number}", name=f"Einheit {number}", parent=parent, legal_entity=parent)
    with django_assert_num_queries(1):  # organisations with parent and legal entity
        response = client.get("/api/v1/organisations/")
    assert len(response.json()["results"]) == count + 1


# ---------------------------------------------------------------------------
# Decisions


def test_auditors_see_their_organisations_and_network_wide_decisions(client_for, world, admin_a):
    decisions = world["decisions"]
    rows = client_for(admin_a).get("/api/v1/decisions/").json()["results"]
    assert [row["id"] for row in rows] == [decisions["network"].pk, decisions["a"].pk]  # newest first
    row = rows[1]
    assert row["kind"] == "review"
    assert row["outcome"] == "approved"
    assert row["subject_type"] == "governance.organisation"
    assert row["subject_id"] == str(world["decisions"]["a"].subject_id)
    assert row["organisation"] == "stadt-a"
    assert row["actor"] == "admin-a"
    assert row["subject_version_type"] == "governance.historicalorganisation"
    assert {"document": "datenstrategie", "number": 2} in row["policy_versions"]


def test_decisions_list_the_rule_versions_they_were_made_under(client_for, default_rules, admin_a, org_a):
    evaluation = services.evaluate({**OPEN_FACTS, "personal_data": 3})
    decision = services.record_decision(
        kind=DecisionKind.PUBLICATION,
        subject=org_a,
        outcome=DecisionOutcome.AGGREGATED,
        actor=admin_a,
        evaluation=evaluation,
    )
    row = client_for(admin_a).get(f"/api/v1/decisions/{decision.pk}/").json()
    expected = {
        (rv.rule.code, rv.number)
        for rv in RuleVersion.objects.filter(pk__in=evaluation.rule_version_ids).select_related("rule")
    }
    assert expected
    assert {(ref["code"], ref["number"]) for ref in row["rule_versions"]} == expected
    assert row["exclusion_grounds"] == decision.exclusion_grounds


def test_decisions_are_filtered(client_for, world, admin_a, org_a):
    services.record_decision(
        kind=DecisionKind.SHARING, subject=org_a, outcome=DecisionOutcome.REFUSED, actor=admin_a, reasons="Kein Zweck"
    )
    client = client_for(admin_a)

    def outcomes(query):
        response = client.get(f"/api/v1/decisions/?{query}")
        assert response.status_code == 200, response.content
        return sorted(row["outcome"] for row in response.json()["results"])

    today = timezone.localdate().isoformat()
    assert outcomes("kind=sharing") == ["refused"]
    assert outcomes("outcome=approved") == ["approved", "approved"]
    assert outcomes("organisation=stadt-a") == ["approved", "refused"]
    assert outcomes("subject_type=governance.organisation") == ["approved", "approved", "refused"]
    assert outcomes("subject_type=catalog.dataset") == []
    assert outcomes(f"subject_id={org_a.pk}&kind=review") == ["approved", "approved"]
    assert outcomes(f"decided_after={today}&decided_before={today}") == ["approved", "approved", "refused"]
    assert outcomes("decided_before=2020-01-01") == []
    response = client.get("/api/v1/decisions/?kind=urteil&decided_after=gestern")
    assert response.status_code == 400
    assert set(response.json()) == {"kind", "decided_after"}


def test_decisions_are_read_only(client_for, world, admin_a):
    client = client_for(admin_a)
    url = f"/api/v1/decisions/{world['decisions']['a'].pk}/"
    assert send(client, "post", "/api/v1/decisions/", {"kind": "review"}).status_code == 405
    assert send(client, "patch", url, {"reasons": "anders"}).status_code == 405
    assert client.delete(url).status_code == 405


@pytest.mark.parametrize("count", [1, 6])
def test_the_decision_list_needs_a_fixed_number_of_queries(
    client_for, admin_a, org_a, count, django_assert_num_queries
):
    for _ in range(count):
        services.record_decision(
            kind=DecisionKind.REVIEW, subject=org_a, outcome=DecisionOutcome.APPROVED, actor=admin_a, reasons="ok"
        )
    client = client_for(admin_a)
    client.get("/api/v1/decisions/")  # guardian caches its content-type lookups on first use
    # session, user; may audit (twice: permission and queryset); decisions with their
    # content types, organisation and actor; rule versions; policy versions
    with django_assert_num_queries(7):
        response = client.get("/api/v1/decisions/")
    assert len(response.json()["results"]) == count


# ---------------------------------------------------------------------------
# Policy documents, versions, rules


def test_a_document_lists_its_versions(client_for, world, steward_a):
    body = client_for(steward_a).get(f"{DOC}/").json()
    assert body["kind"] == "data_strategy"
    assert body["issuer"] is None
    assert [(v["number"], v["status"]) for v in body["versions"]] == [
        (3, "draft"),
        (2, "in_force"),
        (1, "superseded"),
    ]
    version = client_for(steward_a).get(f"{DOC}/versions/2/").json()
    assert version["valid_from"] == "2025-07-01"
    assert "§ 3" in [section["number"] for section in version["sections"]]
    assert [(rule["code"], rule["section"]) for rule in version["rule_versions"]] == [("R-PERSONEN", "§ 2 Abs. 1")]


def test_creating_a_document_starts_its_first_draft(client_for, world, admin_a, org_a, org_b):
    response = send(
        client_for(admin_a),
        "post",
        "/api/v1/policy-documents/",
        {
            "slug": "satzung-a",
            "kind": "statute",
            "title": "Open-Data-Satzung",
            "issuer": "stadt-a",
            "applies_to": ["stadt-a", "stadt-b"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["issuer"], body["applies_to"]) == ("stadt-a", ["stadt-a", "stadt-b"])
    assert [(v["number"], v["status"], v["title"]) for v in body["versions"]] == [(1, "draft", "Open-Data-Satzung")]


def test_document_field_errors(client_for, world, admin_a):
    client = client_for(admin_a)
    response = send(client, "post", "/api/v1/policy-documents/", {"slug": "datenstrategie", "kind": "roman"})
    assert response.status_code == 400
    assert set(response.json()) == {"slug", "kind", "title"}


def test_a_draft_is_edited_adopted_and_put_in_force(client_for, world, admin_a):
    client = client_for(admin_a)
    body = BODY_V1 + "\n## § 3 Neu\n\n(1) Neuer Absatz.\n"
    response = send(client, "patch", f"{DOC}/versions/3/", {"title": "Datenstrategie 2026", "body": body})
    assert response.status_code == 200
    assert "§ 3 Abs. 1" in [section["number"] for section in response.json()["sections"]]

    response = send(
        client, "post", f"{DOC}/versions/3/adopt/", {"adopted_by": "Gemeinderat", "adopted_on": "2025-12-01"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "adopted"
    response = send(client, "post", f"{DOC}/versions/3/put-in-force/", {"valid_from": "2026-01-01"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["valid_from"]) == ("in_force", "2026-01-01")
    assert PolicyVersion.objects.get(document__slug="datenstrategie", number=2).status == PolicyStatus.SUPERSEDED
    reasons = list(
        PolicyVersion.history.filter(document__slug="datenstrategie", number=3)
        .order_by("history_date")
        .values_list("history_change_reason", "history_user")
    )
    assert reasons[-3:] == [
        ("governance.policy.draft_changed", admin_a.pk),
        ("governance.policy.adopted", admin_a.pk),
        ("governance.policy.in_force", admin_a.pk),
    ]


def test_lifecycle_steps_check_their_input_and_the_state(client_for, world, admin_a):
    client = client_for(admin_a)
    response = send(client, "post", f"{DOC}/versions/3/adopt/", {"adopted_on": "2999-01-01"})
    assert response.status_code == 400
    assert set(response.json()) == {"adopted_by"}
    response = send(client, "post", f"{DOC}/versions/3/adopt/", {"adopted_by": "Rat", "adopted_on": "2999-01-01"})
    assert response.status_code == 400
    assert "in der Zukunft" in response.json()["adopted_on"][0]
    response = send(client, "post", f"{DOC}/versions/2/adopt/", {"adopted_by": "Rat", "adopted_on": "2025-01-01"})
    assert response.status_code == 400
    assert "bereits beschlossen" in response.json()["non_field_errors"][0]
    response = send(client, "patch", f"{DOC}/versions/2/", {"title": "Anders"})
    assert response.status_code == 400
    assert PolicyVersion.objects.get(document__slug="datenstrategie", number=2).title == "Datenstrategie 2025"
    response = send(client, "post", f"{DOC}/versions/2/repeal/", {"on": "2025-06-01", "reason": "zu früh"})
    assert response.status_code == 400
    assert "on" in response.json()
    assert client.get(f"{DOC}/versions/9/").status_code == 404
    assert client.get("/api/v1/policy-documents/gibt-es-nicht/versions/").status_code == 404


def test_a_second_draft_is_refused(client_for, world, admin_a):
    response = send(client_for(admin_a), "post", f"{DOC}/versions/", {})
    assert response.status_code == 400
    assert "bereits einen Entwurf" in response.json()["non_field_errors"][0]


def test_rules_of_a_draft_are_validated_field_by_field(client_for, world, admin_a):
    client = client_for(admin_a)
    bad_condition = {**RULE, "condition": {"field": "hautfarbe", "op": "==", "value": 1}}
    response = send(client, "post", f"{DOC}/versions/3/rules/", bad_condition)
    assert response.status_code == 400
    assert list(response.json()) == ["condition"]

    no_ground = {**RULE, "ground": "", "section": "§ 9"}
    response = send(client, "post", f"{DOC}/versions/3/rules/", no_ground)
    assert response.status_code == 400
    assert list(response.json()) == ["section"]
    response = send(client, "post", f"{DOC}/versions/3/rules/", {**no_ground, "section": "§ 1"})
    assert response.status_code == 400
    assert list(response.json()) == ["ground"]

    response = send(client, "post", f"{DOC}/versions/3/rules/", {**RULE, "code": "R-PERSONEN"})
    assert response.status_code == 400
    assert "schon eine Version" in response.json()["code"][0]

    response = send(client, "post", f"{DOC}/versions/3/rules/", RULE)
    assert response.status_code == 201
    assert response.json()["number"] == 1
    response = send(client, "patch", f"{DOC}/versions/3/rules/R-KRITIS/", {"code": "R-ANDERS", "rereview_months": 6})
    assert response.status_code == 200
    assert (response.json()["code"], response.json()["rereview_months"]) == ("R-KRITIS", 6)


def test_rules_of_an_adopted_version_never_change(client_for, world, admin_a):
    client = client_for(admin_a)
    for method, url, body in [
        ("post", f"{DOC}/versions/2/rules/", RULE),
        ("patch", f"{DOC}/versions/2/rules/R-PERSONEN/", {"title": "x"}),
        ("delete", f"{DOC}/versions/2/rules/R-PERSONEN/", None),
    ]:
        response = send(client, method, url, body)
        assert response.status_code == 400, (method, url)
        assert "beschlossenen Fassung" in response.json()["non_field_errors"][0]
    assert RuleVersion.objects.filter(policy_version__number=2, title="Personenbezug").exists()


def test_a_rule_shows_every_version_and_where_it_belongs(client_for, world, steward_a):
    body = client_for(steward_a).get("/api/v1/rules/R-PERSONEN/").json()
    assert body["document"] == "datenstrategie"
    assert [(v["number"], v["policy_version"], v["policy_status"]) for v in body["versions"]] == [
        (3, 3, "draft"),
        (2, 2, "in_force"),
        (1, 1, "superseded"),
    ]


def test_rules_are_filtered_by_document_and_day_in_force(client_for, world, admin_a, steward_a):
    draft = PolicyVersion.objects.get(document__slug="dienstanweisung", number=1)
    assert draft.status == PolicyStatus.IN_FORCE
    client = client_for(steward_a)

    def codes(query):
        response = client.get(f"/api/v1/rules/?{query}")
        assert response.status_code == 200
        return [row["code"] for row in response.json()["results"]]

    assert codes("") == ["R-PERSONEN"]
    assert codes("document=datenstrategie") == ["R-PERSONEN"]
    assert codes("document=dienstanweisung") == []
    assert codes("in_force_on=2023-12-31") == []
    assert codes("in_force_on=2024-06-01") == ["R-PERSONEN"]


@pytest.mark.parametrize("count", [1, 5])
def test_policy_lists_need_a_fixed_number_of_queries(
    client_for, world, admin_a, steward_a, count, django_assert_num_queries
):
    for number in range(count):
        document = services.create_document(
            by=admin_a, kind=PolicyKind.GUIDELINE, title=f"Leitlinie {number}", slug=f"leitlinie-{number}"
        )
        draft = services.create_draft(document, by=admin_a, body=BODY_V1)
        services.save_rule_version(draft, by=admin_a, code=f"R-L{number}", fields={**rule_fields(draft)})
    client = client_for(steward_a)
    client.get("/api/v1/policy-documents/")  # guardian caches its content-type lookups on first use
    # session, user; may view policies (role check); documents with issuer; applies_to;
    # versions with their predecessor and author
    with django_assert_num_queries(6):
        assert client.get("/api/v1/policy-documents/").status_code == 200
    # session, user, role check; rules with document; their versions with section,
    # policy version and its document
    with django_assert_num_queries(5):
        response = client.get("/api/v1/rules/")
    assert len(response.json()["results"]) == count + 1
    # session, user, role check (permission class, and again in get_document_for_user);
    # the document; its versions with predecessor and author
    with django_assert_num_queries(6):
        assert client.get(f"{DOC}/versions/").status_code == 200
    # session, user, role check twice; the document; the version; its rules with rule
    # and section
    with django_assert_num_queries(7):
        assert client.get(f"{DOC}/versions/3/rules/").status_code == 200


def rule_fields(draft):
    return {
        "section": draft.sections.get(number="§ 2 Abs. 1"),
        "title": "Kritische Infrastruktur",
        "condition": RULE["condition"],
        "effect": "block",
        "ground": "CRITICAL_INFRASTRUCTURE",
        "alternative": "internal",
        "rereview_months": 12,
    }


def test_a_deleted_draft_is_gone_and_journaled(client_for, world, admin_a):
    client = client_for(admin_a)
    assert client.delete(f"{DOC}/versions/3/").status_code == 204
    assert not PolicyVersion.objects.filter(document__slug="datenstrategie", number=3).exists()
    assert AuditEvent.objects.filter(reason="governance.policy.draft_discarded", actor=admin_a).exists()
