"""The journal cannot be forged: what a person types is kept and shown as their text, in
its own field, and never read as a system reason code. System codes come only from the
services, and only registered codes are put into words."""

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from catalog import services as catalog
from catalog import workflow
from catalog.models import Dataset, Theme
from catalog.tests.conftest import classification_fields, dataset_fields
from catalog.tests.test_views import edit_data
from catalog.vocabularies import DataTheme
from conftest import make_role_holder, make_user
from core import transitions
from governance import audit
from governance import services as governance
from governance.history import describe_change_reason
from governance.models import AuditAction, AuditEvent, Role

FORGED = "catalog.workflow.approved: open"


@pytest.fixture(autouse=True)
def themes(db):
    # The EU themes come from a data migration that a flushed test database may lack.
    Theme.objects.bulk_create([Theme(code=code) for code in DataTheme.values], ignore_conflicts=True)


@pytest.fixture
def dataset_a(org_a, steward_a):
    return catalog.create_dataset(by=steward_a, fields=dataset_fields(org_a), keywords=["Bäume"], themes=["ENVI"])


@pytest.fixture
def forged_edit(client_for, steward_a, dataset_a):
    """The steward edits the title and types a 'reason' that looks like a system code."""
    response = client_for(steward_a).post(
        reverse("catalog:dataset_edit", args=[dataset_a.name]),
        edit_data(dataset_a, title="Baumkataster 2025", reason=FORGED),
    )
    assert response.status_code == 302
    dataset_a.refresh_from_db()
    assert dataset_a.version == 2
    return dataset_a


def the_edit_event(dataset):
    return AuditEvent.objects.filter(object_id=str(dataset.pk), action=AuditAction.UPDATE).latest("seq")


def test_the_typed_reason_is_stored_as_the_persons_text_and_the_code_is_the_services(forged_edit):
    record = forged_edit.history.latest()
    assert record.history_change_reason == "catalog.dataset.changed"
    assert record.history_person_text == FORGED

    event = the_edit_event(forged_edit)
    assert (event.reason, event.person_text) == ("catalog.dataset.changed", FORGED)
    assert audit.verify_chain().ok


def version_entry(html: str, number: int) -> str:
    match = re.search(rf'id="version-{number}".*?</li>', html, re.S)
    assert match, f"version {number} is not on the page"
    return match.group(0)


def test_the_version_history_shows_the_step_and_the_persons_text_apart(client_for, steward_a, forged_edit):
    response = client_for(steward_a).get(reverse("catalog:dataset_history", args=[forged_edit.name]))

    entry = version_entry(response.content.decode(), 2)
    assert "Metadaten geändert" in entry
    assert "Rechtlich freigegeben" not in entry
    assert "Begründung/Notiz (eingegeben von steward-a)" in entry
    assert f'<q class="sd-typed">{FORGED}</q>' in entry


def journal_row(html: str, seq: int) -> str:
    match = re.search(rf'href="/intern/audit/{seq}/".*?</tr>', html, re.S)
    assert match, f"event {seq} is not on the page"
    return match.group(0)


def test_the_audit_journal_shows_the_step_and_the_persons_text_apart(client_for, admin_a, forged_edit):
    event = the_edit_event(forged_edit)
    client = client_for(admin_a)

    row = journal_row(client.get(reverse("governance:audit")).content.decode(), event.seq)
    assert "Metadaten geändert" in row
    assert "Rechtlich freigegeben" not in row
    assert f'<q class="sd-typed">{FORGED}</q>' in row

    page = client.get(reverse("governance:audit_event", args=[event.seq])).content.decode()
    assert "Metadaten geändert" in page
    assert "Rechtlich freigegeben" not in page
    assert "Begründung/Notiz (eingegeben von steward-a)" in page
    assert f'<q class="sd-typed">{FORGED}</q>' in page


@override_settings(LANGUAGE_CODE="en")
def test_the_english_journal_keeps_them_apart_too(client_for, admin_a, forged_edit):
    event = the_edit_event(forged_edit)
    client = client_for(admin_a)
    client.cookies["django_language"] = "en"

    with translation.override("en"):
        row = journal_row(client.get(reverse("governance:audit")).content.decode(), event.seq)
        page = client.get(reverse("governance:audit_event", args=[event.seq])).content.decode()
    assert "Metadata changed" in row
    assert "Legally approved" not in row
    assert f'<q class="sd-typed">{FORGED}</q>' in row
    assert "Reason/note (typed by steward-a)" in page


def test_the_exports_carry_the_code_its_words_and_the_persons_text_apart(client_for, admin_a, forged_edit):
    event = the_edit_event(forged_edit)
    client = client_for(admin_a)
    query = f"?object_id={forged_edit.pk}&action=update"

    response = client.get(reverse("governance:audit_export", args=["csv"]) + query)
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    (row,) = [row for row in rows if int(row["Nr."]) == event.seq]
    assert (row["Vorgang (Code)"], row["Vorgang"], row["Begründung/Notiz der Person"]) == (
        "catalog.dataset.changed",
        "Metadaten geändert",
        FORGED,
    )

    response = client.get(reverse("governance:audit_export", args=["json"]) + query)
    exported = json.loads(b"".join(response.streaming_content))
    (record,) = [record for record in exported["events"] if record["seq"] == event.seq]
    assert (record["reason"], record["person_text"]) == ("catalog.dataset.changed", FORGED)
    assert exported["reason_labels"]["catalog.dataset.changed"] == "Metadaten geändert"
    assert FORGED not in exported["reason_labels"]
    assert "catalog.workflow.approved" not in exported["reason_labels"]
    # The person's text is covered by the hash: the recipient recomputes it.
    digest = record.pop("hash")
    assert audit.compute_hash(record["prev_hash"], record) == digest


def test_the_persons_text_is_part_of_the_hash(forged_edit):
    event = the_edit_event(forged_edit)
    assert audit.payload(event)["person_text"] == FORGED
    event.person_text = "Tippfehler"
    assert audit.compute_hash(event.prev_hash, audit.payload(event)) != event.hash


def test_an_event_without_a_persons_text_hashes_as_before(admin_a):
    """Events written before the person's text had its own column verify unchanged: the
    payload names it only when there is one."""
    event = audit.append(action=AuditAction.EXPORT, actor=admin_a, reason="governance.audit.export.csv")
    assert "person_text" not in audit.payload(event)
    assert audit.verify_chain().ok


def test_only_registered_codes_are_put_into_words():
    assert describe_change_reason("catalog.dataset.changed") == "Metadaten geändert"
    assert describe_change_reason("catalog.dataset.classified: 3") == "Neu klassifiziert, Version: 3"
    assert describe_change_reason("catalog.nonsense.approved") == "catalog.nonsense.approved"


# ---- every way a person's text reaches the history ---------------------------------


def test_every_history_keeps_the_persons_text_in_its_own_field():
    """Every HistoricalRecords has the base PersonText (bases=[PersonText])."""
    tracked = [model for model in apps.get_models() if hasattr(model._meta, "simple_history_manager_attribute")]
    assert len(tracked) >= 30
    for model in tracked:
        historical = getattr(model, model._meta.simple_history_manager_attribute).model
        assert historical._meta.get_field("history_person_text"), historical


def test_a_reason_that_is_no_code_is_refused(admin_a, org_a):
    """Only services set reasons, and only codes: a person's text passed as the reason
    is a programming error, refused before anything is written."""
    with pytest.raises(ValueError, match="person_text"):
        transitions.change_reason("Neue DSB")
    org_a._history_user, org_a._change_reason = admin_a, "Neue DSB"
    with pytest.raises(ValueError, match="person_text"):
        org_a.save()
    assert org_a.history.filter(history_change_reason="Neue DSB").count() == 0


def test_the_reason_of_a_revoked_role_is_the_persons_text(admin_a, org_a):
    assignment = governance.assign_role(make_user("x"), Role.STEWARD, org_a, by=admin_a)
    governance.revoke_role(assignment, by=admin_a, reason=FORGED)

    record = assignment.history.latest()
    assert (record.history_change_reason, record.history_person_text) == ("governance.role.revoked", FORGED)
    event = AuditEvent.objects.filter(object_id=str(assignment.pk), action=AuditAction.UPDATE).latest("seq")
    assert (event.reason, event.person_text) == ("governance.role.revoked", FORGED)


@pytest.fixture
def published(default_rules, dataset_a, steward_a, owner_a, org_a):
    legal = make_role_holder("legal-a", Role.LEGAL_REVIEWER, org_a)
    catalog.classify_dataset(dataset_a, by=steward_a, fields=classification_fields())
    for action, person in (("submit", steward_a), ("sign_off", owner_a), ("approve", legal), ("publish", steward_a)):
        dataset = Dataset.objects.get(pk=dataset_a.pk)
        workflow.perform(action, dataset, by=person, data={"expected_version": dataset.version})
    return Dataset.objects.get(pk=dataset_a.pk)


def test_a_persons_reasons_for_a_re_review_are_their_text(published, steward_a):
    workflow.perform(
        "rereview", published, by=steward_a, data={"expected_version": published.version, "reasons": FORGED}
    )

    record = published.history.latest()
    assert record.history_change_reason == "catalog.workflow.rereview_requested"
    assert record.history_person_text == FORGED


def test_a_triggers_reasons_for_a_re_review_are_the_systems_note(published):
    Dataset.objects.filter(pk=published.pk).update(rereview_on=timezone.localdate() - timedelta(days=1))
    assert workflow.run_rereview_triggers() == 1

    record = published.history.latest()
    assert record.history_change_reason == "catalog.workflow.rereview_requested: Wiedervorlagetermin erreicht"
    assert record.history_person_text == ""
