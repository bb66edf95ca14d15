"""The audit journal: one hash-chained event per change and decision, written in the
same transaction, protected by triggers, verifiable, filterable and exportable."""

import csv
import io
import json
import threading
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction

from catalog import services as catalog
from catalog.tests.conftest import classification_fields, dataset_fields
from conftest import make_organisation, make_user
from governance import audit, services
from governance.models import AuditAction, AuditEvent, AuditVerification, ImmutableError, Organisation, Role


def events_for(obj):
    return AuditEvent.objects.filter(object_id=str(obj.pk), object_repr=str(obj)).order_by("seq")


def tamper(sql, params=()):
    """Change the journal behind the application's back: as superuser, with the
    triggers switched off for this transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


# ---- what is journaled ------------------------------------------------------------


def test_every_change_of_a_governed_object_appends_one_event(admin_a, org_a):
    before = AuditEvent.objects.count()
    organisation = make_organisation("neu-amt", name="Neues Amt", parent=org_a)
    services.update_organisation(
        organisation, by=admin_a, changes={"email": "amt@stadt-a.example"}, expected_version=1, reason="Kontakt"
    )
    Organisation.objects.get(pk=organisation.pk).delete()

    created, updated, deleted = AuditEvent.objects.order_by("seq")[before:]
    assert [e.action for e in (created, updated, deleted)] == ["create", "update", "delete"]
    assert created.data["snapshot"]["name"] == "Neues Amt"
    assert updated.data["changes"] == {
        "email": {"old": "", "new": "amt@stadt-a.example"},
        "version": {"old": 1, "new": 2},
    }
    assert (updated.actor, updated.actor_repr) == (admin_a, "Ada Admin (admin-a)")
    # The service's code, and apart from it what the person typed.
    assert (updated.reason, updated.person_text) == ("governance.organisation.changed", "Kontakt")
    assert updated.organisation_id == organisation.pk
    assert updated.version_id == organisation.history.order_by("history_id")[1].history_id
    assert deleted.data["snapshot"]["email"] == "amt@stadt-a.example"
    assert audit.verify_chain().ok


def test_catalog_objects_are_journaled_under_their_publisher(org_a, steward_a):
    dataset = catalog.create_dataset(by=steward_a, fields=dataset_fields(org_a), keywords=["Bäume"], themes=["ENVI"])
    classification = catalog.classify_dataset(dataset, by=steward_a, fields=classification_fields())

    dataset_events = AuditEvent.objects.filter(content_type__model="dataset", object_id=str(dataset.pk))
    assert {e.organisation_id for e in dataset_events} == {org_a.pk}
    # Many-to-many journaled: a new dataset's one version holds its keywords (issue 23).
    assert any(e.data["snapshot"].get("keywords") for e in dataset_events)
    [journaled] = AuditEvent.objects.filter(content_type__model="classification")
    assert (journaled.action, journaled.object_id, journaled.organisation_id) == (
        "create",
        str(classification.pk),
        org_a.pk,
    )
    assert journaled.actor == steward_a  # registered by the catalog: classified_by
    assert journaled.data["snapshot"]["personal_data"] == 0


def test_the_event_is_written_in_the_same_transaction_as_the_change(org_a, admin_a):
    with mock.patch.object(audit, "compute_hash", side_effect=RuntimeError("disk full")), pytest.raises(RuntimeError):
        services.update_organisation(org_a, by=admin_a, changes={"email": "x@y.example"}, expected_version=1)
    org_a.refresh_from_db()
    assert org_a.email == ""  # no journal entry, no change
    assert org_a.history.count() == 1


def test_permission_changes_are_journaled_per_organisation(org_a, org_b):
    person = make_user("neue-person")
    services.assign_role(person, Role.LEGAL_REVIEWER, org_a, by=None)
    [event] = AuditEvent.objects.filter(action=AuditAction.PERMISSION)
    assert event.organisation_id == org_a.pk
    assert event.data == {"granted": [[person.pk, "neue-person", "legal_reviewer"]], "revoked": []}


def test_each_request_has_an_id_the_journal_records(client_for, owner_a, org_a):
    from governance.tests.test_views import edit_data

    response = client_for(owner_a).post(
        f"/intern/organisationen/{org_a.slug}/bearbeiten/", edit_data(org_a, state="BW")
    )
    event = AuditEvent.objects.filter(action=AuditAction.UPDATE).latest("seq")
    assert event.request_id == response["X-Request-ID"]
    assert event.actor == owner_a


# ---- protection ---------------------------------------------------------------------


def test_the_orm_refuses_to_change_or_bypass_the_journal(org_a):
    event = AuditEvent.objects.latest("seq")
    with pytest.raises(ImmutableError):
        event.save()
    with pytest.raises(ImmutableError):
        event.delete()
    with pytest.raises(ImmutableError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="x")
    with pytest.raises(ImmutableError):
        AuditEvent.objects.all().delete()
    with pytest.raises(ImmutableError):
        AuditEvent.objects.bulk_create([AuditEvent(seq=999, hash="x", prev_hash="y")])


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE governance_auditevent SET reason = 'x'",
        "DELETE FROM governance_auditevent",
        "TRUNCATE governance_auditevent",
        "TRUNCATE governance_decision CASCADE",
    ],
)
def test_postgresql_refuses_update_delete_and_truncate(org_a, sql):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL stadtdaten.allow_truncate = 'off'")  # as outside the test runner
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute(sql)
    assert AuditEvent.objects.exists()


# ---- verification -------------------------------------------------------------------


@pytest.fixture
def journal(org_a, admin_a):
    """Seven events: org_a created, role assigned (+ permissions), three edits."""
    for number in range(3):
        org_a.refresh_from_db()
        services.update_organisation(
            org_a, by=admin_a, changes={"email": f"v{number}@a.example"}, expected_version=org_a.version
        )
    return list(AuditEvent.objects.order_by("seq"))


def test_an_intact_chain_verifies(journal):
    report = audit.verify_chain()
    assert (report.ok, report.checked, report.last_seq, report.head_hash) == (
        True,
        len(journal),
        journal[-1].seq,
        journal[-1].hash,
    )
    call_command("verify_audit", stdout=io.StringIO())
    assert AuditVerification.objects.latest("started").ok


def test_a_changed_payload_is_detected_and_named(journal):
    victim = journal[3]
    tamper("UPDATE governance_auditevent SET data = '{\"snapshot\": {}}' WHERE seq = %s", [victim.seq])
    report = audit.verify_chain()
    assert (report.ok, report.broken_seq) == (False, victim.seq)
    assert f"Ereignis {victim.seq}: Inhalt verändert" in report.message
    with pytest.raises(CommandError, match=f"bei Ereignis {victim.seq}"):
        call_command("verify_audit", stdout=io.StringIO())


def test_a_deleted_event_is_detected_as_a_gap(journal):
    tamper("DELETE FROM governance_auditevent WHERE seq = %s", [journal[2].seq])
    report = audit.verify_chain()
    assert (report.ok, report.broken_seq) == (False, journal[2].seq)
    assert "fehlt" in report.message


def test_reordered_events_are_detected(journal):
    a, b = journal[2].seq, journal[3].seq
    tamper("UPDATE governance_auditevent SET seq = 999999 WHERE seq = %s", [a])
    tamper("UPDATE governance_auditevent SET seq = %s WHERE seq = %s", [a, b])
    tamper("UPDATE governance_auditevent SET seq = %s WHERE seq = 999999", [b])
    report = audit.verify_chain()
    assert (report.ok, report.broken_seq) == (False, a)


def test_a_cut_off_tail_is_detected_against_an_anchor(journal):
    anchor = f"{journal[-1].seq}:{journal[-1].hash}"
    tamper("DELETE FROM governance_auditevent WHERE seq = %s", [journal[-1].seq])
    assert audit.verify_chain().ok  # a plain chain cannot see a missing tail …
    with pytest.raises(CommandError, match="gekürzt"):  # … the anchor kept elsewhere can
        call_command("verify_audit", "--anchor", anchor, stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_chain():
    threads_count, per_thread = 8, 3
    barrier, errors = threading.Barrier(threads_count), []
    before = AuditEvent.objects.count()  # reference data loaded after migrate is journaled too

    def worker(index):
        try:
            barrier.wait(timeout=10)
            for k in range(per_thread):
                with transaction.atomic():
                    make_organisation(f"parallel-{index}-{k}", name=f"Parallel {index}-{k}")
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert len(seqs) == before + threads_count * per_thread
    assert seqs == list(range(1, len(seqs) + 1))
    assert len(set(AuditEvent.objects.values_list("prev_hash", flat=True))) == len(seqs)  # no fork
    assert audit.verify_chain().ok


# ---- audit UI -----------------------------------------------------------------------


def test_only_governance_admins_open_the_journal(client_for, steward_a, outsider, admin_a):
    assert client_for(outsider).get("/intern/audit/").status_code == 403
    assert client_for(steward_a).get("/intern/audit/").status_code == 403
    assert client_for(steward_a).get("/intern/audit/export.csv").status_code == 403
    assert client_for(admin_a).get("/intern/audit/").status_code == 200


def test_auditors_see_their_organisations_and_network_wide_events_only(client_for, admin_a, org_a, org_b, strategy):
    services.update_organisation(org_b, by=None, changes={"email": "b@b.example"}, expected_version=1)
    response = client_for(admin_a).get("/intern/audit/")
    seen = set(response.context["page"].paginator.object_list.values_list("organisation_id", flat=True))
    assert org_b.pk not in seen
    assert {org_a.pk, None} <= seen  # network-wide: the policy document has no issuer
    assert (
        client_for(admin_a)
        .get(f"/intern/audit/{AuditEvent.objects.filter(organisation=org_b).latest('seq').seq}/")
        .status_code
        == 404
    )


def test_the_journal_page_needs_a_fixed_number_of_queries(client_for, admin_a, org_a, django_assert_num_queries):
    for number in range(60):  # more than one page
        org_a.refresh_from_db()
        services.update_organisation(
            org_a, by=admin_a, changes={"email": f"{number}@a.example"}, expected_version=org_a.version
        )
    client = client_for(admin_a)
    client.get("/intern/audit/?action=update")  # warm the content-type cache
    # 1 session, 2 user, 3 staff check, 4 audit permission in the view, 5 audit permission in
    # visible_audit_events (the one door to events), 6 count of the filtered events, 7 the page
    # of events (actor, organisation, content type joined), 8 latest verification,
    # 9 navigation (the roles held anywhere), 10 the auditor's organisations for the filter select.
    with django_assert_num_queries(10):
        response = client.get("/intern/audit/?action=update&seite=2")
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 10


def test_the_event_page_shows_the_change_and_links_to_the_version(client_for, admin_a, org_a):
    services.update_organisation(org_a, by=admin_a, changes={"email": "neu@a.example"}, expected_version=1)
    event = AuditEvent.objects.filter(action=AuditAction.UPDATE).latest("seq")
    response = client_for(admin_a).get(f"/intern/audit/{event.seq}/")
    html = response.content.decode()
    assert response.context["changes"] == [("E-Mail", "–", "neu@a.example")]
    assert response.context["hash_ok"]
    assert f'href="/intern/organisationen/{org_a.slug}/verlauf/"' in html
    assert f'href="/intern/organisationen/{org_a.slug}/"' in html


def test_the_export_contains_exactly_the_filtered_events(client_for, admin_a, org_a, org_a_department, org_b):
    for organisation in (org_a, org_a_department, org_b):
        services.update_organisation(organisation, by=admin_a, changes={"state": "BW"}, expected_version=1)
    services.assign_role(make_user("x"), Role.STEWARD, org_a_department, by=admin_a)
    expected = set(
        AuditEvent.objects.filter(organisation__in=[org_a, org_a_department], action=AuditAction.UPDATE).values_list(
            "seq", flat=True
        )
    )
    assert len(expected) == 2
    client = client_for(admin_a)
    query = f"?organisation={org_a.pk}&action=update"

    response = client.get(f"/intern/audit/export.csv{query}")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {int(row["Nr."]) for row in rows} == expected
    assert all(row["Aktion"] == "geändert" for row in rows)  # the CSV is for reading: in words

    response = client.get(f"/intern/audit/export.json{query}")
    exported = json.loads(b"".join(response.streaming_content))["events"]
    assert {event["seq"] for event in exported} == expected
    # Every exported event carries what its hash covers: the recipient can recompute it.
    for event in exported:
        digest = event.pop("hash")
        assert audit.compute_hash(event["prev_hash"], event) == digest

    exports = AuditEvent.objects.filter(action=AuditAction.EXPORT).order_by("seq")
    assert [e.reason for e in exports] == ["governance.audit.export.csv", "governance.audit.export.json"]
    assert client.get("/intern/audit/export.xml").status_code == 404


def test_the_chain_is_verified_on_demand(client_for, admin_a):
    response = client_for(admin_a).post("/intern/audit/pruefen/", follow=True)
    assert response.status_code == 200
    verification = response.context["verification"]
    assert verification.ok
    assert verification.started_by == admin_a
    assert "Kette intakt" in response.content.decode()
