"""Change control after approval (issue 20): what the public sees of an approved or
published dataset is its last approved state, byte for byte, until a change to it has
passed the review the rules require; a file whose disclosure check finds small cells
leaves every public output at once."""

import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from catalog import changes, services
from catalog.errors import CatalogError, ConflictError, WorkflowError, WorkflowRefused
from catalog.models import (
    ACTIVE_CHANGE_STATES,
    ChangeState,
    Dataset,
    DatasetChange,
    Distribution,
    PersonalDataStatus,
)
from catalog.tabular_validation import check_distribution
from catalog.tasks import release_due
from catalog.tests.conftest import classification_fields
from conftest import make_role_holder
from governance import inbox as governance_inbox
from governance import services as governance
from governance.models import Decision, DecisionKind, Role, RoleAssignment

PERSONAL_CSV = (
    b"Name;Anschrift;Geburtsdatum\nErika Mustermann;Lindenweg 3;1964-08-12\nMax Muster;Am Markt 1;1981-02-03\n"
)

SMALL_CELLS_CSV = ("Stadtteil;Anzahl\nNord;1\nSüd;2\nOst;250\nWest;310\n").encode()
CLEAN_CSV = ("Stadtteil;Anzahl\nNord;120\nSüd;240\nOst;250\nWest;310\n").encode()


def csv_upload(name, content):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def fresh(dataset):
    return Dataset.objects.get(pk=dataset.pk)


def public_view(client, dataset) -> dict:
    """Everything an anonymous person gets about a dataset: page (its description), CKAN, DCAT."""
    page = client.get(reverse("portal:dataset_detail", args=[dataset.name]))
    if page.status_code == 200:
        # Without the forms' CSRF tokens, which differ per request.
        page.content = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", page.content)
    ckan = client.get("/api/3/action/package_show", {"id": dataset.name})
    dcat = client.get(reverse("portal:dataset_dcat", args=[dataset.name, "ttl"]))
    return {
        "page": page.content.decode() if page.status_code == 200 else "",
        "ckan": ckan.json()["result"] if ckan.status_code == 200 else {},
        "dcat": dcat.content.decode() if dcat.status_code == 200 else "",
    }


def download_status(client, dataset, distribution) -> int:
    response = client.get(reverse("portal:download", args=[dataset.name, distribution.identifier]))
    if response.streaming:
        b"".join(response.streaming_content)  # read to the end: the test client closes the file then
    return response.status_code


def test_a_personal_data_file_added_to_a_published_dataset_is_not_public(published, flow_a, client):
    distribution = services.add_distribution(
        published, by=flow_a.steward, title="Anwohnerliste", upload=csv_upload("anwohner.csv", PERSONAL_CSV)
    )

    assert download_status(client, published, distribution) == 404
    seen = public_view(client, published)
    assert "Anwohnerliste" not in seen["page"]
    assert [r["name"] for r in seen["ckan"]["resources"]] == ["baumkataster (CSV)"]
    assert "Anwohnerliste" not in seen["dcat"]
    assert "Erika" not in json.dumps(seen["ckan"])


def test_an_edit_and_a_file_after_legal_approval_are_not_published_with_the_dataset(flow_a, org_a, client):
    dataset = flow_a.approve(flow_a.create(org_a, "kfz-statistik", title="Kfz-Bestand"))
    approved_description = dataset.description
    services.update_dataset(
        dataset,
        by=flow_a.steward,
        fields={"description": "Mit Kennzeichen aller Halter."},
        expected_version=dataset.version,
    )
    services.add_distribution(
        fresh(dataset), by=flow_a.steward, title="Kennzeichen", upload=csv_upload("kennzeichen.csv", PERSONAL_CSV)
    )
    flow_a.step("publish", dataset, flow_a.steward, confirm_alternative=True)

    seen = public_view(client, dataset)
    assert approved_description in seen["page"]
    assert "Mit Kennzeichen" not in seen["page"] + seen["dcat"] + json.dumps(seen["ckan"])
    assert [r["name"] for r in seen["ckan"]["resources"] if "Kennzeichen" in r["name"]] == []
    assert "Kennzeichen" not in seen["dcat"]


def test_a_small_cells_finding_on_a_public_file_withdraws_it_at_once(
    flow_a, org_a, client, django_capture_on_commit_callbacks
):
    aggregated = classification_fields(personal_data=PersonalDataStatus.AGGREGATED)  # the rules weigh small cells
    dataset = flow_a.create(
        org_a, "einwohner-kleinraeumig", title="Einwohner kleinräumig", csv=None, classification=aggregated
    )
    distribution = services.add_distribution(
        dataset, by=flow_a.steward, title="Einwohner je Block", upload=csv_upload("bloecke.csv", SMALL_CELLS_CSV)
    )
    dataset = flow_a.publish(dataset)
    assert download_status(client, dataset, distribution) == 200
    for person, address in ((flow_a.owner, "owner@stadt-a.example"), (flow_a.legal, "legal@stadt-a.example")):
        person.email = address
        person.save(update_fields=["email"])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        check_distribution(distribution.pk)  # the check runs after publication (the worker was late)

    assert download_status(client, dataset, distribution) == 404
    seen = public_view(client, dataset)
    assert "Einwohner je Block" not in seen["page"] + seen["dcat"]
    assert seen["ckan"]["resources"] == []
    assert Distribution.objects.get(pk=distribution.pk).status == "blocked"
    assert fresh(dataset).rereview_requested_at is not None
    recipients = {address for message in mail.outbox for address in message.to}
    assert {"owner@stadt-a.example", "legal@stadt-a.example"} <= recipients
    # A task for each: legal confirms the dataset without the file, the owner has it replaced.
    assert "Erneute Prüfung" in [task.label for task in governance_inbox.tasks_for(flow_a.legal)]
    assert "Gesperrte Datei ersetzen oder entfernen" in [
        task.label for task in governance_inbox.tasks_for(flow_a.owner)
    ]


# ---------------------------------------------------------------------------
# The review of a pending change


def change_of(dataset) -> DatasetChange:
    return DatasetChange.objects.get(dataset=dataset, state__in=ACTIVE_CHANGE_STATES)


def step(action, change, by, **data):
    change = DatasetChange.objects.get(pk=change.pk)
    return changes.perform(action, change, by=by, data={"expected_version": change.version, **data})


def test_a_change_with_a_file_goes_public_after_owner_and_legal(published, flow_a, client):
    before = public_view(client, published)
    services.update_dataset(
        published, by=flow_a.steward, fields={"description": "Neu: mit Pflanzjahr."},
        expected_version=services.edit_version(published), reason="Pflanzjahr ergänzt",
    )  # fmt: skip
    distribution = services.add_distribution(
        published, by=flow_a.steward, title="Pflanzjahre", upload=csv_upload("pflanzjahre.csv", CLEAN_CSV)
    )
    change = change_of(published)
    assert public_view(client, published) == before

    step("submit_change", change, flow_a.steward)
    with pytest.raises(WorkflowRefused):
        step("sign_off_change", change, flow_a.steward)
    change.refresh_from_db()
    assert change.state == ChangeState.IN_REVIEW
    assert change.needs_legal
    step("sign_off_change", change, flow_a.owner)
    change.refresh_from_db()
    assert change.state == ChangeState.LEGAL_REVIEW
    assert public_view(client, published) == before
    assert download_status(client, published, distribution) == 404
    check_distribution(distribution.pk)  # as the worker does after the upload

    step("approve_change", change, flow_a.legal)

    change.refresh_from_db()
    assert change.state == ChangeState.APPLIED
    seen = public_view(client, published)
    assert "Neu: mit Pflanzjahr." in seen["page"]
    assert "Pflanzjahre" in seen["dcat"]
    assert "Pflanzjahre" in [r["name"] for r in seen["ckan"]["resources"]]
    assert download_status(client, published, distribution) == 200
    decisions = Decision.objects.filter(subject_id=str(published.pk)).order_by("decided_at", "pk")
    last = list(decisions)[-3:]
    assert [(d.kind, d.actor) for d in last] == [
        (DecisionKind.REVIEW, flow_a.steward),
        (DecisionKind.REVIEW, flow_a.owner),
        (DecisionKind.PUBLICATION, flow_a.legal),
    ]
    assert all(d.rule_versions.exists() for d in last)
    assert last[-1].reasons.startswith(f"Änderung {change.number}:")


def test_a_text_only_change_needs_the_owner_only(published, flow_a, client):
    services.update_dataset(
        published, by=flow_a.steward, fields={"title": "Baumkataster der Stadt"},
        expected_version=services.edit_version(published),
    )  # fmt: skip
    change = change_of(published)
    step("submit_change", change, flow_a.steward)
    change.refresh_from_db()
    assert not change.needs_legal
    step("sign_off_change", change, flow_a.owner)
    change.refresh_from_db()
    assert change.state == ChangeState.APPLIED
    assert fresh(published).title == "Baumkataster der Stadt"


def test_a_replacement_keeps_the_files_address_and_removal_waits_for_approval(published, flow_a, client):
    old = published.distributions.get()
    new = services.add_distribution(
        published, by=flow_a.steward, title="Baumkataster 2026", upload=csv_upload("b.csv", CLEAN_CSV), replaces=old
    )
    change = change_of(published)
    step("submit_change", change, flow_a.steward)
    step("sign_off_change", change, flow_a.owner)
    with pytest.raises(WorkflowError, match="noch nicht abgeschlossen"):
        step("approve_change", change, flow_a.legal)  # the worker has not checked the new file yet
    check_distribution(new.pk)
    step("approve_change", change, flow_a.legal)

    current = list(Distribution.objects.filter(dataset=published))
    assert [(d.identifier, d.title, d.status) for d in current] == [(old.identifier, "Baumkataster 2026", "current")]
    assert download_status(client, published, current[0]) == 200

    services.remove_distribution(current[0], by=flow_a.steward)
    assert download_status(client, published, current[0]) == 200  # until the removal is approved
    change = change_of(published)
    step("submit_change", change, flow_a.steward)
    step("sign_off_change", change, flow_a.owner)
    assert not Distribution.objects.filter(dataset=published).exists()


def test_a_stale_edit_is_a_conflict_and_a_change_in_review_is_not_edited(published, flow_a):
    seen = services.edit_version(published)
    services.update_dataset(published, by=flow_a.steward, fields={"title": "Eins"}, expected_version=seen)
    with pytest.raises(ConflictError):
        services.update_dataset(published, by=flow_a.steward, fields={"title": "Zwei"}, expected_version=seen)
    step("submit_change", change_of(published), flow_a.steward)
    with pytest.raises(CatalogError):
        services.update_dataset(
            published, by=flow_a.steward, fields={"title": "Drei"}, expected_version=services.edit_version(published)
        )
    assert change_of(published).proposed["title"] == "Eins"


def test_discarding_a_change_deletes_its_files_and_leaves_the_dataset(published, flow_a):
    distribution = services.add_distribution(
        published, by=flow_a.steward, title="Entwurf", upload=csv_upload("e.csv", CLEAN_CSV)
    )
    step("discard_change", change_of(published), flow_a.steward)
    assert not Distribution.objects.filter(pk=distribution.pk).exists()
    assert not DatasetChange.objects.filter(dataset=published, state__in=ACTIVE_CHANGE_STATES).exists()


def test_whoever_edited_the_change_does_not_sign_it_off(published, flow_a, org_a):
    owner = flow_a.owner
    governance.assign_role(owner, Role.STEWARD, org_a, by=None)
    services.update_dataset(
        published, by=owner, fields={"title": "Vom Eigentümer geändert"},
        expected_version=services.edit_version(published),
    )  # fmt: skip
    change = change_of(published)
    step("submit_change", change, flow_a.steward)
    refusal = changes.judgement("sign_off_change", DatasetChange.objects.get(pk=change.pk), owner)
    assert refusal is not None
    assert refusal.kind == "four_eyes"


def test_an_approved_change_with_a_release_time_goes_public_then(published, flow_a, client):
    services.update_dataset(
        published, by=flow_a.steward, fields={"description": "Bestand zum 31.12."},
        expected_version=services.edit_version(published),
    )  # fmt: skip
    services.update_dataset(
        published, by=flow_a.steward, fields={"licence": "cc-by/4.0"}, expected_version=services.edit_version(published)
    )  # legal review needed (licence)
    change = change_of(published)
    step("submit_change", change, flow_a.steward)
    step("sign_off_change", change, flow_a.owner)
    release_at = timezone.now() + timedelta(days=3)
    step("approve_change", change, flow_a.legal, release_at=release_at)

    change.refresh_from_db()
    assert change.state == ChangeState.SCHEDULED
    assert "Bestand zum 31.12." not in public_view(client, published)["page"]
    assert release_due.apply().get() == 0  # not yet

    DatasetChange.objects.filter(pk=change.pk).update(release_at=timezone.now() - timedelta(minutes=1))
    assert release_due.apply().get() == 1  # as celery beat sends it
    assert release_due.apply().get() == 0  # once

    change.refresh_from_db()
    assert change.state == ChangeState.APPLIED
    assert "Bestand zum 31.12." in public_view(client, published)["page"]
    last = Decision.objects.filter(subject_id=str(published.pk)).latest("decided_at", "pk")
    assert last.actor == flow_a.legal
    assert "Sperrfrist" in last.reasons


def test_each_stage_mails_the_people_it_waits_for(published, flow_a, django_capture_on_commit_callbacks):
    for person, address in ((flow_a.owner, "owner@stadt-a.example"), (flow_a.legal, "legal@stadt-a.example")):
        person.email = address
        person.save(update_fields=["email"])
    services.update_dataset(
        published, by=flow_a.steward, fields={"licence": "cc-by/4.0"}, expected_version=services.edit_version(published)
    )
    change = change_of(published)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        step("submit_change", change, flow_a.steward)
    assert [message.to for message in mail.outbox] == [["owner@stadt-a.example"]]
    assert "Änderung freigeben" in mail.outbox[0].subject
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        step("sign_off_change", change, flow_a.owner)
    assert [message.to for message in mail.outbox] == [["legal@stadt-a.example"]]
    assert change.get_absolute_url() in mail.outbox[0].body


def test_small_cells_the_rules_do_not_weigh_leave_a_public_file_alone(published, flow_a, client):
    distribution = published.distributions.get()  # tree numbers 1, 2, 3: "small", but no personal reference
    check_distribution(distribution.pk)
    assert Distribution.objects.get(pk=distribution.pk).status == "current"
    assert download_status(client, published, distribution) == 200


def test_a_legal_reviewer_whose_deputy_edited_the_change_does_not_approve_it(published, flow_a, org_a):
    admin = make_role_holder("admin-a", Role.GOVERNANCE_ADMIN, org_a)
    legal_role = RoleAssignment.objects.get(user=flow_a.legal, role=Role.LEGAL_REVIEWER)
    now = timezone.now()
    governance.appoint_deputy(
        legal_role, flow_a.steward, by=admin, valid_from=now - timedelta(hours=1), valid_until=now + timedelta(days=7)
    )
    services.update_dataset(
        published, by=flow_a.steward, fields={"licence": "cc-by/4.0"}, expected_version=services.edit_version(published)
    )
    change = change_of(published)
    step("submit_change", change, flow_a.steward)
    step("sign_off_change", change, flow_a.owner)

    refusal = changes.judgement("approve_change", DatasetChange.objects.get(pk=change.pk), flow_a.legal)
    assert refusal is not None
    assert refusal.kind == "four_eyes"
    assert change not in changes.waiting_changes_for(flow_a.legal)


def test_each_step_of_a_change_names_the_next_one_and_who_takes_it(published, flow_a, client):
    """Issue 22: after every step of a change to a published dataset, as after the dataset's own
    steps, the message says what comes next and who does it."""
    services.update_dataset(
        published, by=flow_a.steward, fields={"title": "Baumkataster der Stadt"},
        expected_version=services.edit_version(published),
    )  # fmt: skip
    change = change_of(published)

    def act(action, person):
        client.force_login(person)
        current = DatasetChange.objects.get(pk=change.pk)
        url = reverse("catalog:change_transition", args=[published.name, current.number, action])
        response = client.post(url, {f"{action}-expected_version": current.version}, follow=True)
        return " ".join(str(message) for message in response.context["messages"])

    said = act("submit_change", flow_a.steward)
    assert "Als Nächstes: Freigabe durch die Dateneigentümerin oder den Dateneigentümer." in said
    said = act("sign_off_change", flow_a.owner)
    assert "Als Nächstes: nichts – die Änderung ist im Open-Data-Portal." in said
