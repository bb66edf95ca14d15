"""The audit journal reads as German for the people who audit: object types by their
names, reasons by their words, field labels instead of attribute names, local times,
and only what the auditor's organisations may see."""

import csv
import io

from django.contrib.contenttypes.models import ContentType

from conftest import make_role_holder
from ethics.models import DataUse, EthicsReview
from governance import audit, services
from governance.history import describe_change_reason
from governance.models import AuditAction, AuditEvent, PolicyKind, Role
from governance.views import audited_object_types


def test_the_object_type_filter_offers_only_named_object_types():
    labels = [label for _value, label in audited_object_types()]
    assert "Datensatz" in labels
    assert "Ethikprüfung" in labels
    # The through tables of many-to-many fields are no object a person changes.
    assert not [label for label in labels if "Beziehung" in label]


def test_a_reason_note_from_a_vocabulary_reads_as_its_label():
    assert describe_change_reason("catalog.workflow.approved: internal") == (
        "Rechtlich freigegeben: nur Stadtverbund-intern (mit Nutzungsvereinbarung)"
    )
    assert describe_change_reason("catalog.workflow.ethics_decided: rejected").endswith(": abgelehnt")
    # With a release time the label comes first and the time stays.
    assert describe_change_reason("catalog.workflow.approved: open, Sperrfrist 2026-03-01T08:00:00+01:00") == (
        "Rechtlich freigegeben: als Open Data veröffentlichen, Sperrfrist 01.03.2026, 08:00"
    )
    # A note that is no code stays as the service wrote it.
    assert describe_change_reason("catalog.dataset.classified: 2") == "Neu klassifiziert, Version: 2"


def test_the_type_is_not_named_twice_in_the_object(client_for, admin_a, org_a):
    review = EthicsReview(data_use=DataUse(title="Verkehrsfluss-Analyse"))
    assert str(review).startswith("Ethikprüfung: ")
    assert audit.object_text(review) == "Verkehrsfluss-Analyse"  # what new events store
    # An event written before: the prefix is dropped when it is shown.
    event = audit.append(
        action=AuditAction.UPDATE,
        content_type=ContentType.objects.get_for_model(EthicsReview),
        object_id="1",
        object_repr="Ethikprüfung: Verkehrsfluss-Analyse",
        organisation_id=org_a.pk,
    )
    client = client_for(admin_a)
    listing = client.get("/intern/audit/").content.decode()
    detail = client.get(f"/intern/audit/{event.seq}/").content.decode()
    for html in (listing, detail):
        assert "Ethikprüfung: Verkehrsfluss-Analyse" in html
        assert "Ethikprüfung: Ethikprüfung" not in html


def test_the_event_page_has_german_labels_local_times_and_no_empty_data(client_for, admin_a, org_a):
    event = audit.append(
        action=AuditAction.DECISION,
        content_type=ContentType.objects.get(app_label="governance", model="decision"),
        object_id="7",
        object_repr="Bäume",
        organisation_id=org_a.pk,
        data={
            "snapshot": {
                "subject_version_id": 263,
                "subject_version_type": ContentType.objects.get(app_label="catalog", model="historicaldataset").pk,
                "classification_id": 19,
                "evaluation": {
                    "outcome": "open",
                    "trace": [{"rule": "R-LIZENZ", "result": True}, {"rule": "R-VERTRAULICH", "result": False}],
                },
                "exclusion_grounds": {},
                "conditions": [],
                "decided_at": "2026-12-07T17:51:57.162Z",
                "reasons": "Geprüft.",
            },
            "filters": {},
        },
    )
    response = client_for(admin_a).get(f"/intern/audit/{event.seq}/")
    html = response.content.decode()
    labels = [label for label, _value in response.context["snapshot"]]
    assert "Subject version id" not in labels
    assert "Classification id" not in labels
    assert "Gegenstand (Versions-Kennung)" in labels
    assert "Entschieden am" in labels
    values = dict(response.context["snapshot"])
    assert values["Entschieden am"] == "07.12.2026, 18:51"  # Europe/Berlin
    assert values["Gegenstand (Art der Version)"] == "Datensatz (Version)"
    assert values["Auswertung der Regeln"] == (
        "Vorschlag: als Open Data veröffentlichen; 2 Regeln ausgewertet, zutreffend: R-LIZENZ"
    )
    assert "{}" not in html
    assert "[]" not in html
    assert "2026-12-07T17:51" not in html.replace('datetime="', "")
    assert "Weitere Angaben" not in html  # only an empty filter


def test_auditors_do_not_see_the_policies_of_another_city(client_for, admin_a, org_a, org_b):
    admin_b = make_role_holder("admin-b", Role.GOVERNANCE_ADMIN, org_b)
    theirs = services.create_document(
        by=admin_b, kind=PolicyKind.DATA_STRATEGY, title="Datenstrategie B", slug="strategie-b", issuer=org_b
    )
    services.create_draft(theirs, by=admin_b, title="Datenstrategie B 2026")
    ours = services.create_document(by=admin_a, kind=PolicyKind.DATA_STRATEGY, title="Verbund", slug="verbund")
    events = AuditEvent.objects.filter(object_repr__contains="Datenstrategie B")
    assert events.count() >= 2
    assert set(events.values_list("organisation_id", flat=True)) == {org_b.pk}  # filed under the issuer
    # Events written before, filed under no organisation, are scoped by the issuer too.
    old = audit.append(
        action=AuditAction.UPDATE,
        content_type=ContentType.objects.get(app_label="governance", model="policydocument"),
        object_id=str(theirs.pk),
        object_repr="Datenstrategie B (alt)",
        organisation_id=None,
    )
    seen = client_for(admin_a).get("/intern/audit/").context["page"].paginator.object_list
    reprs = set(seen.values_list("object_repr", flat=True))
    assert not [text for text in reprs if "Datenstrategie B" in text]
    assert str(ours) in reprs or "Verbund" in " ".join(reprs)  # the network-wide one stays
    assert client_for(admin_a).get(f"/intern/audit/{old.seq}/").status_code == 404
    # A decision names the policy versions in force: those of another city stay out.
    ours_version = services.create_draft(ours, by=admin_a, title="Verbundstrategie 2026")
    decision = audit.append(
        action=AuditAction.DECISION,
        content_type=ContentType.objects.get(app_label="governance", model="decision"),
        object_id="9",
        object_repr="Bäume",
        organisation_id=org_a.pk,
        data={"snapshot": {"policy_versions": [theirs.versions.get().pk, ours_version.pk]}},
    )
    html = client_for(admin_a).get(f"/intern/audit/{decision.seq}/").content.decode()
    assert str(ours_version) in html
    assert "Datenstrategie B" not in html


def test_the_csv_export_is_german_with_local_times_and_labels(client_for, admin_a, org_a):
    services.update_organisation(org_a, by=admin_a, changes={"email": "neu@a.example"}, expected_version=1)
    response = client_for(admin_a).get("/intern/audit/export.csv?action=update")
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows
    header = text.splitlines()[0]
    for heading in ("Zeitpunkt (Europe/Berlin)", "Aktion", "Objektart", "Vorgang"):
        assert heading in header
    assert "seq" not in header.split(",")
    row = rows[-1]
    assert row["Aktion"] == "geändert"
    assert row["Objektart"] == "Organisation"
    assert row["Vorgang"] == "Organisation geändert"
    assert row["Vorgang (Code)"] == "governance.organisation.changed"
    assert row["Zeitpunkt (Europe/Berlin)"][-6:] in ("+01:00", "+02:00")
