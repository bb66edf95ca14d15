"""The journal cannot be forged: what a person types is kept and shown as their text, in
its own field, and never read as a system reason code. System codes come only from the
services, and only registered codes are put into words."""

import csv
import io
import json
import re

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from catalog import services as catalog
from catalog.models import Theme
from catalog.tests.conftest import dataset_fields
from catalog.tests.test_views import edit_data
from catalog.vocabularies import DataTheme
from governance import audit
from governance.history import describe_change_reason
from governance.models import AuditAction, AuditEvent

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
    assert f"<q class=\"sd-typed\">{FORGED}</q>" in entry


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
    (row,) = [row for row in rows if int(row["seq"]) == event.seq]
    assert (row["reason"], row["reason_label"], row["person_text"]) == (
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
