"""Reliability: a restore drill (scripts/restore_drill.sh, the slow one), the audit chain
after a full scenario through every app's services, fault injection into each important
multi-step write (a failure in the middle leaves nothing half-written) and two people
acting on the same dataset at the same moment (real threads, PostgreSQL)."""

import io
import os
import re
import shutil
import subprocess
import sys
import threading
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from guardian.models import UserObjectPermission
from simple_history.signals import post_create_historical_record

from catalog import services as catalog
from catalog import workflow
from catalog.errors import ConflictError
from catalog.imports import service as importer
from catalog.models import Classification, Dataset, DatasetState, Distribution, ImportStatus, PersonalDataStatus
from catalog.tests.conftest import classification_fields, dataset_fields
from conftest import make_organisation, make_user
from ethics import services as ethics
from ethics.models import EthicsReview, ReviewStatus
from ethics.tests.conftest import all_answers
from governance import audit
from governance import services as governance
from governance.models import (
    AuditAction,
    AuditEvent,
    Decision,
    DecisionKind,
    PolicyStatus,
    PolicyVersion,
    Role,
    RoleAssignment,
)
from governance.reference_data import install_default_rule_set
from portal import services as portal
from portal.management.commands.spot_check import row_counts
from portal.models import DataRequestStatus
from sharing import services as sharing
from sharing.models import AccessGrant, AgreementStatus, RequestStatus
from sharing.tests.conftest import agreement_fields

S = DatasetState
REPO = Path(__file__).resolve().parents[2]
RESTORE_DRILL = REPO / "scripts" / "restore_drill.sh"
BASH = shutil.which("bash") or "/bin/bash"
TREES_CSV = "Baum-Nr;Art;Höhe (m);Stadtteil\n1;Linde;18;Nord\n2;Eiche;22;Süd\n3;Ahorn;12;Mitte\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def fresh(instance):
    return type(instance).objects.get(pk=instance.pk)


def step(transition, dataset, **kwargs):
    """Run a workflow transition on the dataset's current version."""
    return transition(fresh(dataset), expected_version=fresh(dataset).version, **kwargs)


def person(username, role, organisation, *, by):
    user = make_user(username, email=f"{username}@lindenau.example", first_name=username.title(), last_name="Test")
    governance.assign_role(user, role, organisation, by=by)
    return user


@pytest.fixture
def team(vocabularies):
    """Stadt Lindenau and its Umweltamt (same controller), one person per role (two legal
    reviewers, two ethics board members) and the default rule set in force."""
    city = make_organisation("lindenau", name="Stadt Lindenau")
    office = make_organisation("lindenau-umwelt", name="Umweltamt Lindenau", parent=city, legal_entity=city)
    admin = make_user("admin", email="admin@lindenau.example", first_name="Ada", last_name="Admin")
    governance.assign_role(admin, Role.GOVERNANCE_ADMIN, city, by=None)  # the first admin appoints the others
    people = SimpleNamespace(city=city, office=office, admin=admin)
    for name, role, organisation in [
        ("steward", Role.STEWARD, city),
        ("owner", Role.OWNER, city),
        ("legal", Role.LEGAL_REVIEWER, city),
        ("legal2", Role.LEGAL_REVIEWER, city),
        ("board", Role.ETHICS_BOARD_MEMBER, city),
        ("board2", Role.ETHICS_BOARD_MEMBER, city),
        ("office_steward", Role.STEWARD, office),
    ]:
        setattr(people, name, person(name.replace("_", "-"), role, organisation, by=admin))
    people.rules = install_default_rule_set(by=admin, issuer=city)
    return people


def new_dataset(team, name, **classification):
    dataset = catalog.create_dataset(
        by=team.steward, fields=dataset_fields(team.city, name=name, title=name.title(), steward=team.steward)
    )
    if classification is not None:
        catalog.classify_dataset(dataset, by=team.steward, fields=classification_fields(**classification))
    return fresh(dataset)


ETHICS_FLAGGED = {
    "personal_data": PersonalDataStatus.PERSONAL,
    "confidentiality": 1,
    "legal_bases": ["GDPR_6_1_e"],
    "vulnerable_subjects": True,
}


# ---------------------------------------------------------------------------
# 1. Restore drill: pg_dump / pg_restore of a seeded database, then verify_audit with
#    the anchor and a spot check through the public portal (about a minute)


def run_drill(*arguments, timeout: int, **environment) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own script with fixed arguments
        [BASH, str(RESTORE_DRILL), *arguments],
        cwd=REPO,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def drill_prefix() -> str:
    """Scratch database names of one drill: the test database's name and a random part,
    so parallel runs never meet."""
    return f"{os.environ.get('TEST_DATABASE_NAME', 'test_stadtdaten')}_drill_{uuid.uuid4().hex[:8]}"


@pytest.mark.skipif(os.environ.get("SKIP_RESTORE_DRILL") == "1", reason="restore drill skipped (SKIP_RESTORE_DRILL=1)")
@pytest.mark.django_db
def test_restore_drill_restores_a_seeded_database_whose_chain_and_spot_check_match():
    prefix = drill_prefix()
    result = run_drill(
        "--tamper-check",
        timeout=900,
        DRILL_SOURCE_DB=f"{prefix}_src",
        DRILL_RESTORE_DB=f"{prefix}_restore",
        PYTHON=sys.executable,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output

    head = re.search(r"Kette bis (\d+:[0-9a-f]{64}) geprüft, Stichprobe identisch", result.stdout)
    assert head, output
    # The head verify_audit named for the source is the anchor the restored copy met.
    assert result.stdout.count(f"Kopf: {head.group(1)}") == 2, output
    assert "identisch mit der Vorlage" in result.stdout
    assert "5 veröffentlichte Datensätze über Portal und APIs gelesen" in result.stdout
    # The negative controls: the trigger, a tampered audit row, a changed file.
    assert "der Trigger verweigert UPDATE" in result.stdout
    assert re.search(r"Ereignis (\d+) als Superuser geändert, .*bei Ereignis \1:", result.stdout), output
    assert "geänderte Datei" in result.stdout
    with connection.cursor() as cursor:  # pg_database is shared by all databases of the server
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{prefix}%"])
        assert cursor.fetchall() == []


def test_the_restore_drill_refuses_to_touch_an_existing_database():
    """It never drops what it did not create: an existing database name stops it at once."""
    result = run_drill(timeout=60, DRILL_SOURCE_DB="postgres", DRILL_RESTORE_DB=f"{drill_prefix()}_restore")
    assert result.returncode == 1
    assert "Datenbank postgres existiert bereits" in result.stderr


@pytest.mark.django_db
def test_a_failing_restore_drill_says_why_and_drops_its_scratch_databases():
    prefix = drill_prefix()
    # PYTHON=false: every manage.py step fails, the first right after the source database was created.
    result = run_drill(
        timeout=60, DRILL_SOURCE_DB=f"{prefix}_src", DRILL_RESTORE_DB=f"{prefix}_restore", PYTHON="false"
    )
    assert result.returncode == 1
    assert "FEHLER: migrate fehlgeschlagen." in result.stderr
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{prefix}%"])
        assert cursor.fetchall() == []


@pytest.mark.django_db
def test_the_spot_check_names_what_differs_from_a_saved_digest(team, tmp_path, media_root):
    """What the drill relies on, in seconds: spot_check reads a published dataset
    through the portal and its APIs, and --compare names a changed count and a lost file."""
    dataset = new_dataset(team, "baumkataster")
    distribution = catalog.add_distribution(
        dataset, by=team.steward, title="Bäume", upload=SimpleUploadedFile("baeume.csv", TREES_CSV.encode())
    )
    in_legal_review(team, dataset)
    step(workflow.approve, dataset, by=team.legal)
    step(workflow.publish, dataset, by=team.steward)
    saved = tmp_path / "digest.json"
    output = io.StringIO()
    call_command("spot_check", "--output", str(saved), stdout=output)
    assert "1 Dateien mit passender Prüfsumme, 1 veröffentlichte Datensätze über Portal und APIs gelesen" in (
        output.getvalue()
    )
    call_command("spot_check", "--compare", str(saved), stdout=io.StringIO())  # unchanged: no difference

    new_dataset(team, "kanalnetz")
    (media_root / distribution.file.name).unlink()
    with pytest.raises(CommandError) as failure:
        call_command("spot_check", "--compare", str(saved), stdout=io.StringIO())
    message = str(failure.value)
    assert f"fehlt: {distribution.file.name}" in message
    assert "datasets_by_state.draft: erwartet '–', gefunden 1" in message
    assert "rows.catalog.Dataset: erwartet 1, gefunden 2" in message
    assert "baumkataster: Download" in message


# ---------------------------------------------------------------------------
# 2. The audit chain after a full scenario


def journaled_models():
    """(model, its simple-history model) of every history-tracked model."""
    pairs = []
    for model in apps.get_models():
        history = getattr(model, "history", None)
        history_model = getattr(history, "model", None)
        if history_model is not None and hasattr(history_model, "history_id"):
            pairs.append((model, history_model))
    return pairs


def history_and_journal_counts() -> dict[str, tuple[int, int]]:
    """Per history-tracked model: history rows, and journal events for its rows."""
    counts = {}
    for model, history_model in journaled_models():
        content_type = ContentType.objects.get_for_model(model)
        events = AuditEvent.objects.filter(
            content_type=content_type, action__in=[AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE]
        ).count()
        counts[model._meta.label] = (history_model.objects.count(), events)
    return counts


def dataset_trail(dataset) -> list[str]:
    """The journal of one dataset in chain order: its own versions, its distributions,
    classifications and the decisions about it."""
    types = {ct.pk: ct.model for ct in ContentType.objects.filter(app_label__in=["catalog", "governance"])}
    dataset_type = ContentType.objects.get_for_model(Dataset).pk
    trail = []
    for event in AuditEvent.objects.order_by("seq"):
        model = types.get(event.content_type_id, "")
        snapshot = event.data.get("snapshot", {})
        if model == "dataset" and event.object_id == str(dataset.pk):
            trail.append(f"dataset {event.action} {event.reason.split(':')[0]}")
        elif model in ("distribution", "classification") and snapshot.get("dataset") == dataset.pk:
            trail.append(f"{model} {event.action}")
        elif (
            model == "decision"
            and snapshot.get("subject_type") == dataset_type
            and snapshot.get("subject_id") == str(dataset.pk)
        ):
            trail.append(f"decision {snapshot['kind']}/{snapshot['outcome']} by {event.actor.username}")
    return trail


@pytest.mark.django_db(transaction=True)
def test_a_full_scenario_is_journaled_step_by_step_and_the_chain_verifies(team):
    today = timezone.localdate()
    t = team
    journal_before = history_and_journal_counts()

    # A rule amendment: a new version of the rule set, put in force today; the old one is superseded.
    first = t.rules.versions.get()
    amendment = governance.create_draft(t.rules, by=t.admin, change_note="Wiedervorlage nach 12 Monaten")
    copied = amendment.rule_versions.get(rule__code="R-PERSONENBEZUG")
    governance.save_rule_version(
        amendment, by=t.admin, code="R-PERSONENBEZUG", fields={"rereview_months": 12}, rule_version=copied
    )
    governance.adopt_version(
        amendment, by=t.admin, adopted_by="Verwaltungsvorstand", adopted_on=today, resolution_number="VV-2026-07"
    )
    governance.put_in_force(amendment, by=t.admin, valid_from=today)
    assert fresh(first).status == PolicyStatus.SUPERSEDED

    # An open dataset with a file: classified, submitted, signed off, approved by legal, published.
    trees = catalog.create_dataset(
        by=t.steward, fields=dataset_fields(t.city, steward=t.steward), keywords=["Bäume"], themes=["ENVI"]
    )
    catalog.add_distribution(
        trees, by=t.steward, title="Baumkataster (CSV)", upload=SimpleUploadedFile("baeume.csv", TREES_CSV.encode())
    )
    catalog.classify_dataset(trees, by=t.steward, fields=classification_fields())
    step(workflow.submit, trees, by=t.steward)
    step(workflow.sign_off, trees, by=t.owner)
    step(workflow.approve, trees, by=t.legal)
    step(workflow.publish, trees, by=t.steward)

    # Personal data about vulnerable people: the ethics board sets a condition, legal approves the aggregate.
    benefits = new_dataset(t, "wohngeld", **ETHICS_FLAGGED)
    step(workflow.submit, benefits, by=t.steward)
    step(workflow.sign_off, benefits, by=t.owner)
    review = EthicsReview.objects.get(dataset=benefits)
    ethics.answer(review, by=t.steward, answers=all_answers(review), submit=True)
    ethics.cast_vote(review, by=t.board, vote="conditions", reasoning="Nur nach Stadtteilen zusammengefasst.")
    ethics.cast_vote(review, by=t.board2, vote="conditions", reasoning="Mit Mindestfallzahl vertretbar.")
    ethics.add_condition(review, by=t.board, text="Mindestfallzahl 5 je Zelle", owner=t.steward,
                         due_on=today + timedelta(days=14))  # fmt: skip
    ethics.close_review(
        review, by=t.board, reasoning="Mit Auflagen vertretbar.", public_summary="Wohngeld nur aggregiert.",
        next_review_on=today + timedelta(days=365),
    )  # fmt: skip
    assert fresh(benefits).state == S.LEGAL_REVIEW
    step(workflow.approve, benefits, by=t.legal, confirmed=True)
    step(workflow.publish, benefits, by=t.owner, confirm_alternative=True)

    # Critical infrastructure: the second legal reviewer refuses publication.
    sewers = new_dataset(t, "kanalnetz", critical_infrastructure=True, justification="KRITIS.")
    step(workflow.submit, sewers, by=t.steward)
    step(workflow.sign_off, sewers, by=t.owner)
    step(workflow.refuse, sewers, by=t.legal2, reasons="Lage der Pumpwerke ist KRITIS.",
         grounds=["CRITICAL_INFRASTRUCTURE"], rereview_on=today + timedelta(days=365))  # fmt: skip

    # A citizen's data request is answered with the published trees, which are withdrawn later.
    data_request = portal.create_data_request(title="Baumbestand", description="Welche Bäume stehen wo?")
    portal.triage_data_request(
        data_request, by=t.admin, status=DataRequestStatus.PUBLISHED, answer="Siehe Baumkataster.", dataset=trees
    )
    step(workflow.withdraw, trees, by=t.owner, reasons="Standorte werden neu vermessen.")

    # Sharing: an agreement with the Umweltamt, an access grant under it, its expiry.
    agreement = sharing.create_agreement(
        by=t.steward, provider=t.city, fields=agreement_fields(t.office), datasets=[sewers]
    )
    agreement = sharing.submit_agreement(agreement, by=t.steward, expected_version=fresh(agreement).version)
    agreement = sharing.approve_agreement(agreement, by=t.owner, expected_version=fresh(agreement).version)
    assert agreement.status == AgreementStatus.ACTIVE
    access_request = sharing.request_access(
        by=t.office_steward, dataset=sewers, recipient=t.office, agreement=agreement, purpose="Bauleitplanung.",
        valid_from=today, valid_until=today + timedelta(days=30),
    )  # fmt: skip
    grant = sharing.approve_access_request(access_request, by=t.owner)
    assert sharing.apply_periods(now=grant.valid_until + timedelta(minutes=5))["grants_ended"] == 1

    # A role is revoked; an API token is created and revoked.
    governance.revoke_role(RoleAssignment.objects.get(user=t.legal2), by=t.admin, reason="Wechsel ins Ordnungsamt.")
    token, _secret = governance.create_api_token(t.steward, name="Auswertungsskript", valid_days=30)
    governance.revoke_api_token(token, by=t.steward)

    # The chain verifies, through the command operators run.
    output = io.StringIO()
    call_command("verify_audit", stdout=output)
    report = audit.verify_chain()
    assert report.ok
    assert report.checked == AuditEvent.objects.count()
    assert f"Kopf: {report.last_seq}:{report.head_hash}" in output.getvalue()

    # Every history row written during the scenario has its journal event: nothing bypassed the chain.
    journal_after = history_and_journal_counts()
    for label, (history_rows, events) in journal_after.items():
        rows_before, events_before = journal_before.get(label, (0, 0))
        assert history_rows - rows_before == events - events_before, label
    # (A new dataset is one version that holds its keywords and themes, issue 23.)
    assert journal_after["catalog.Dataset"][0] - journal_before["catalog.Dataset"][0] >= 20

    # The journal of one dataset tells its story in order.
    assert dataset_trail(trees) == [
        "dataset create catalog.dataset.created",  # with its keywords and themes
        "distribution create",
        "dataset update catalog.distribution.added",
        "classification create",
        "dataset update catalog.dataset.classified",
        "dataset update catalog.workflow.submitted",
        "decision publication/open by steward",
        "dataset update catalog.workflow.signed_off",
        "decision review/approved by owner",
        "dataset update catalog.workflow.approved",
        "decision publication/open by legal",
        "dataset update catalog.workflow.published",
        "decision publication/open by steward",
        "dataset update catalog.workflow.withdrawn",
        "decision publication/withdrawn by owner",
    ]
    benefits_trail = dataset_trail(benefits)
    assert "decision ethics/approved_with_conditions by board" in benefits_trail
    assert benefits_trail.index("decision ethics/approved_with_conditions by board") < benefits_trail.index(
        "decision publication/aggregated by legal"
    )
    assert dataset_trail(sewers)[-1] == "decision publication/closed by legal2"

    # The other steps are in the chain too.
    def events(**lookup):
        return AuditEvent.objects.filter(**lookup)

    assert events(reason="sharing.permission.granted", object_id=str(grant.pk)).count() == 1
    assert events(reason="sharing.permission.removed", object_id=str(grant.pk)).count() == 1
    assert events(reason="governance.role.revoked", person_text="Wechsel ins Ordnungsamt.").count() == 1
    assert events(action=AuditAction.PERMISSION, data__revoked__0__0=t.legal2.pk).exists()
    assert list(events(content_type__model="apitoken").order_by("seq").values_list("reason", flat=True)) == [
        "governance.api_token.created",
        "governance.api_token.revoked",
    ]
    assert events(content_type__model="datarequest", reason="portal.data_request.published").count() == 1
    assert events(content_type__model="policyversion", reason="governance.policy.in_force").count() == 2
    assert events(content_type__model="policyversion", reason__startswith="governance.policy.superseded").count() == 1
    assert events(content_type__model="condition", action=AuditAction.CREATE).count() == 1

    # Every decision names who, when, why and the rule versions in force, and is in the chain once.
    decisions = list(Decision.objects.prefetch_related("rule_versions", "policy_versions"))
    assert {d.kind for d in decisions} == {
        DecisionKind.PUBLICATION, DecisionKind.REVIEW, DecisionKind.ETHICS, DecisionKind.SHARING, DecisionKind.ACCESS,
    }  # fmt: skip
    decision_type = ContentType.objects.get_for_model(Decision)
    for decision in decisions:
        assert decision.actor_id is not None, decision
        assert decision.decided_at is not None, decision
        assert decision.reasons.strip(), decision
        in_force = {version.pk for version in decision.policy_versions.all()}
        assert amendment.pk in in_force, decision
        assert first.pk not in in_force, decision
        if decision.evaluation:
            assert decision.rule_versions.all(), decision
            assert {rv.policy_version_id for rv in decision.rule_versions.all()} == {amendment.pk}, decision
        assert events(content_type=decision_type, object_id=str(decision.pk), action=AuditAction.DECISION).count() == 1
    assert sum(1 for d in decisions if d.evaluation) >= 8


# ---------------------------------------------------------------------------
# 3. Fault injection: a failure in the middle of a multi-step write leaves nothing


class InjectedFault(Exception):
    """The fault a test injects in the middle of a write."""


def inject_fault(monkeypatch, owner, name, *, when=lambda *args, **kwargs: True):
    """Make owner.name raise InjectedFault when `when(...)` holds; returns the list of
    calls that raised, so a test can check the fault really struck."""
    original = getattr(owner, name)
    struck = []

    def faulty(*args, **kwargs):
        if when(*args, **kwargs):
            struck.append(args)
            raise InjectedFault(name)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, faulty)
    return struck


HISTORY_FAULT = "config.tests.test_reliability.history_fault"


def fault_in_history_of(model, *, when=lambda instance: True):
    """A receiver of simple-history's signal that fails for `model`: the history row is
    written, the journal's receiver may have run, then the write fails."""
    struck = []

    def receiver(sender, instance, **kwargs):
        if isinstance(instance, model) and when(instance):
            struck.append(instance)
            raise InjectedFault(f"history of {model.__name__}")

    post_create_historical_record.connect(receiver, weak=False, dispatch_uid=HISTORY_FAULT)
    return struck


def remove_history_fault():
    post_create_historical_record.disconnect(dispatch_uid=HISTORY_FAULT)


@pytest.fixture
def history_fault():
    yield fault_in_history_of
    remove_history_fault()


def database_state(*instances) -> dict:
    """Row counts of every table that is not operational, the chain head and the stored
    values of the given objects: equal before and after means nothing was written."""
    return {
        "rows": row_counts(),
        "head": AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first(),
        "objects": [audit.model_snapshot(fresh(instance)) for instance in instances],
    }


def assert_nothing_written(before: dict, *instances, ignore=()) -> None:
    after = database_state(*instances)
    for label in ignore:
        before["rows"].pop(label), after["rows"].pop(label)
    assert after == before
    assert audit.verify_chain().ok


def audit_of(action, *, model=None):
    """A condition for audit.append: the event has this action (and is about this kind of instance)."""

    def matches(*args, **kwargs):
        instance = kwargs.get("instance")
        if kwargs.get("action") != action:
            return False
        return model is None or model(instance)

    return matches


def is_decision_about(model_name):
    return lambda instance: isinstance(instance, Decision) and instance.subject_type.model == model_name


@pytest.fixture
def open_dataset(team):
    return new_dataset(team, "baumkataster")


def perform(action, dataset, *, by, **data):
    return workflow.perform(action, fresh(dataset), by=by, data={"expected_version": fresh(dataset).version, **data})


def in_legal_review(team, dataset):
    step(workflow.submit, dataset, by=team.steward)
    step(workflow.sign_off, dataset, by=team.owner)
    return fresh(dataset)


@pytest.mark.django_db(transaction=True)
def test_every_workflow_transition_that_fails_after_its_first_write_leaves_nothing(
    team, open_dataset, monkeypatch, history_fault
):
    """State change, history row, Decision with its rule links, audit events and the
    mail after commit: all or nothing, with real commits. Each transition fails at a
    late point (a different one each time), then succeeds without the fault: nothing
    left over stands in its way."""
    t, dataset = team, open_dataset
    decision_event = audit_of(AuditAction.DECISION)
    transitions = [  # action, who, extra input, where the fault strikes
        ("submit", t.steward, {}, lambda: inject_fault(monkeypatch, audit, "append", when=decision_event)),
        ("sign_off", t.owner, {}, lambda: inject_fault(monkeypatch, Decision, "save")),
        ("approve", t.legal, {}, lambda: history_fault(Dataset)),
        ("publish", t.steward, {}, lambda: inject_fault(monkeypatch, audit, "append", when=decision_event)),
        ("withdraw", t.owner, {"reasons": "Neu vermessen."}, lambda: history_fault(Dataset)),
    ]
    for action, actor, data, inject in transitions:
        struck = inject()
        mail.outbox.clear()
        before = database_state(dataset)

        with pytest.raises(InjectedFault):
            perform(action, dataset, by=actor, **data)

        assert struck, action
        assert_nothing_written(before, dataset)
        assert mail.outbox == [], action  # the notification waits for a commit that never came

        monkeypatch.undo()
        remove_history_fault()
        state = fresh(dataset).state
        perform(action, dataset, by=actor, **data)
        assert fresh(dataset).state != state, action
    assert fresh(dataset).state == S.WITHDRAWN
    assert Decision.objects.count() == len(transitions)
    assert audit.verify_chain().ok


@pytest.mark.django_db
def test_sign_off_into_ethics_review_that_fails_opens_no_review(team, monkeypatch):
    dataset = new_dataset(team, "wohngeld", **ETHICS_FLAGGED)
    step(workflow.submit, dataset, by=team.steward)
    struck = inject_fault(monkeypatch, audit, "append", when=audit_of(AuditAction.DECISION))
    before = database_state(dataset)

    with pytest.raises(InjectedFault):
        step(workflow.sign_off, dataset, by=team.owner)

    assert struck
    assert not EthicsReview.objects.exists()  # opened by the state-change hook, rolled back with it
    assert_nothing_written(before, dataset)
    monkeypatch.undo()
    step(workflow.sign_off, dataset, by=team.owner)
    assert EthicsReview.objects.get(dataset=dataset).status == ReviewStatus.ANSWERING


@pytest.mark.django_db
def test_a_classification_that_fails_while_updating_the_dataset_leaves_nothing(team, history_fault):
    dataset = fresh(catalog.create_dataset(by=team.steward, fields=dataset_fields(team.city)))
    struck = history_fault(Dataset, when=lambda instance: instance.current_classification_id is not None)
    before = database_state(dataset)

    with pytest.raises(InjectedFault):
        catalog.classify_dataset(dataset, by=team.steward, fields=classification_fields())

    assert struck
    assert not Classification.objects.exists()
    assert fresh(dataset).current_classification_id is None
    assert_nothing_written(before, dataset)
    remove_history_fault()
    assert catalog.classify_dataset(dataset, by=team.steward, fields=classification_fields()).number == 1


def inventory_csv(count: int) -> bytes:
    header = "kennung;titel;beschreibung;ansprechstelle;kontakt_email;personenbezug;vertraulichkeit;" \
             "schutzbedarf_vertraulichkeit;schutzbedarf_integritaet;schutzbedarf_verfuegbarkeit;" \
             "raeumliche_granularitaet;zeitliche_granularitaet;begruendung"  # fmt: skip
    rows = [
        f"bestand-{n};Bestand {n};Datenbestand Nummer {n} des Umweltamts.;Umweltamt;umwelt@lindenau.example;"
        "kein Personenbezug;öffentlich;normal;normal;normal;point;Jahr;Sachdaten ohne Personenbezug."
        for n in range(1, count + 1)
    ]
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


@pytest.mark.django_db
def test_an_inventory_import_that_fails_at_a_later_row_writes_none_of_them(team, monkeypatch):
    struck = inject_fault(
        monkeypatch, catalog, "classify_dataset", when=lambda dataset, **kwargs: dataset.name == "bestand-4"
    )
    before = database_state()

    inventory_import = importer.start_import(
        organisation=team.city, upload=SimpleUploadedFile("bestand.csv", inventory_csv(6)), by=team.steward
    )

    assert struck
    assert inventory_import.status == ImportStatus.FAILED
    assert "unerwarteter Fehler aufgetreten (InjectedFault)" in str(inventory_import.errors)
    assert not Dataset.objects.exists()  # rows 1–3 were written, then taken back with the rest
    assert_nothing_written(before, ignore=["catalog.InventoryImport"])  # the import's own record stays, failed

    monkeypatch.undo()
    retried = importer.start_import(
        organisation=team.city, upload=SimpleUploadedFile("bestand.csv", inventory_csv(6)), by=team.steward
    )
    assert (retried.status, retried.created_count) == (ImportStatus.SUCCEEDED, 6)
    assert Classification.objects.count() == 6


@pytest.mark.django_db
def test_closing_an_ethics_review_with_conditions_that_fails_in_the_workflow_step_leaves_nothing(team, monkeypatch):
    t, today = team, timezone.localdate()
    dataset = new_dataset(t, "wohngeld", **ETHICS_FLAGGED)
    step(workflow.submit, dataset, by=t.steward)
    step(workflow.sign_off, dataset, by=t.owner)
    review = EthicsReview.objects.get(dataset=dataset)
    ethics.answer(review, by=t.steward, answers=all_answers(review), submit=True)
    ethics.cast_vote(review, by=t.board, vote="conditions", reasoning="Nur aggregiert.")
    ethics.cast_vote(review, by=t.board2, vote="approved", reasoning="Unbedenklich.")
    condition = ethics.add_condition(review, by=t.board, text="Mindestfallzahl 5", owner=t.steward,
                                     due_on=today + timedelta(days=14))  # fmt: skip
    # The board's Decision is written; the dataset's own step (record_ethics_outcome) fails at its end.
    struck = inject_fault(
        monkeypatch, audit, "append", when=audit_of(AuditAction.DECISION, model=is_decision_about("dataset"))
    )
    before = database_state(dataset, review, condition, *review.votes.all())

    def close():
        ethics.close_review(fresh(review), by=t.board, reasoning="Mit Auflagen.", public_summary="Aggregiert.",
                            next_review_on=today + timedelta(days=365))  # fmt: skip

    with pytest.raises(InjectedFault):
        close()

    assert struck
    assert fresh(review).status == ReviewStatus.VOTING
    assert fresh(dataset).state == S.ETHICS_REVIEW
    assert not Decision.objects.filter(kind=DecisionKind.ETHICS).exists()
    assert_nothing_written(before, dataset, review, condition, *review.votes.all())
    monkeypatch.undo()
    close()
    assert fresh(dataset).state == S.LEGAL_REVIEW
    assert Decision.objects.filter(kind=DecisionKind.ETHICS).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("fault", ["guardian", "audit"])
def test_an_access_grant_that_fails_at_the_permission_leaves_no_grant_and_no_permission(fault, team, monkeypatch):
    t, today = team, timezone.localdate()
    sewers = new_dataset(t, "kanalnetz", confidentiality=2, critical_infrastructure=True, justification="KRITIS.")
    access_request = sharing.request_access(
        by=t.office_steward, dataset=sewers, recipient=t.office, agreement=None, purpose="Planung.",
        valid_from=today, valid_until=today + timedelta(days=30),
    )  # fmt: skip
    if fault == "guardian":  # grant, request and Decision are written; the permission fails
        import guardian.shortcuts

        struck = inject_fault(monkeypatch, guardian.shortcuts, "assign_perm")
    else:  # the permission row is written too; its audit event fails
        struck = inject_fault(monkeypatch, audit, "append", when=audit_of(AuditAction.PERMISSION))
    before = database_state(access_request, sewers)

    with pytest.raises(InjectedFault):
        sharing.approve_access_request(access_request, by=t.owner)

    assert struck
    assert not AccessGrant.objects.exists()
    assert fresh(access_request).status == RequestStatus.PENDING
    assert not UserObjectPermission.objects.filter(user=t.office_steward, object_pk=str(sewers.pk)).exists()
    assert not Decision.objects.filter(kind=DecisionKind.ACCESS).exists()
    assert_nothing_written(before, access_request, sewers)
    monkeypatch.undo()
    sharing.approve_access_request(access_request, by=t.owner)
    assert UserObjectPermission.objects.filter(user=t.office_steward, object_pk=str(sewers.pk)).count() == 1


@pytest.mark.django_db
def test_putting_a_policy_version_in_force_that_fails_after_superseding_the_old_one_leaves_nothing(team, monkeypatch):
    today = timezone.localdate()
    first = team.rules.versions.get()
    amendment = governance.create_draft(team.rules, by=team.admin, change_note="Fortschreibung")
    governance.adopt_version(amendment, by=team.admin, adopted_by="Verwaltungsvorstand", adopted_on=today)
    struck = inject_fault(
        monkeypatch, PolicyVersion, "save", when=lambda version, **kw: version.status == PolicyStatus.IN_FORCE
    )
    before = database_state(first, amendment)

    with pytest.raises(InjectedFault):
        governance.put_in_force(amendment, by=team.admin, valid_from=today)

    assert struck
    assert (fresh(first).status, fresh(first).valid_until) == (PolicyStatus.IN_FORCE, None)
    assert fresh(amendment).status == PolicyStatus.ADOPTED
    assert governance.in_force(today).policy_versions == [fresh(first)]
    assert_nothing_written(before, first, amendment)
    monkeypatch.undo()
    governance.put_in_force(amendment, by=team.admin, valid_from=today)
    assert fresh(first).status == PolicyStatus.SUPERSEDED


@pytest.mark.django_db(transaction=True)
def test_an_upload_that_fails_after_storing_the_file_leaves_no_row_and_no_orphan_file(
    team, open_dataset, monkeypatch, media_root
):
    struck = inject_fault(monkeypatch, catalog, "touch_dataset")  # after the file and the Distribution row
    before = database_state(open_dataset)

    with pytest.raises(InjectedFault):
        catalog.add_distribution(
            fresh(open_dataset), by=team.steward, title="Bäume",
            upload=SimpleUploadedFile("baeume.csv", TREES_CSV.encode()),
        )  # fmt: skip

    assert struck
    assert not Distribution.objects.exists()
    assert stored_files(media_root) == []
    assert_nothing_written(before, open_dataset)
    monkeypatch.undo()
    distribution = catalog.add_distribution(
        fresh(open_dataset), by=team.steward, title="Bäume", upload=SimpleUploadedFile("baeume.csv", TREES_CSV.encode())
    )
    # The file and what the worker rendered from it (preview needs no file; CSV, JSON, XLSX
    # and the German Excel CSV, which differs from this comma-separated file), nothing else.
    rendered = [media_root / rendition.file.name for rendition in distribution.renditions.exclude(file="")]
    assert len(rendered) == 4
    assert stored_files(media_root) == sorted([media_root / distribution.file.name, *rendered])


@pytest.mark.django_db
def test_a_role_assignment_that_fails_at_its_audit_event_leaves_no_role_and_no_permission(team, monkeypatch):
    newcomer = make_user("neu")
    struck = inject_fault(monkeypatch, audit, "append", when=audit_of(AuditAction.PERMISSION))
    before = database_state()

    with pytest.raises(InjectedFault):
        governance.assign_role(newcomer, Role.LEGAL_REVIEWER, team.city, by=team.admin)

    assert struck
    assert not RoleAssignment.objects.filter(user=newcomer).exists()
    assert not UserObjectPermission.objects.filter(user=newcomer).exists()
    assert not Group.objects.filter(user=newcomer).exists()
    assert_nothing_written(before)
    monkeypatch.undo()
    governance.assign_role(newcomer, Role.LEGAL_REVIEWER, team.city, by=team.admin)
    assert UserObjectPermission.objects.filter(user=newcomer).count() == 2  # the city and its Umweltamt


# ---------------------------------------------------------------------------
# 4. Two people act on the same dataset at the same moment


def race(team, dataset, *contenders) -> dict[str, str]:
    """Two people start a transition on the same version of the dataset at the same
    moment, each on their own database connection."""
    version = fresh(dataset).version
    barrier = threading.Barrier(len(contenders))
    results = {}

    def act(username, action, data):
        try:
            barrier.wait(timeout=10)
            workflow.perform(action, fresh(dataset), by=getattr(team, username),
                             data={"expected_version": version, **data})  # fmt: skip
            results[username] = "ok"
        except ConflictError:
            results[username] = "conflict"
        except Exception as error:  # reported by the caller's assertion
            results[username] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=contender) for contender in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_people_acting_at_once_give_one_step_one_conflict_and_one_chain(team):
    """Two publish the same approved dataset; a legal reviewer approves while another
    refuses. Each time exactly one succeeds, the other gets the conflict message, one
    Decision and one new version are written, and the journal stays one chain."""
    t = team
    published = in_legal_review(t, new_dataset(t, "baumkataster"))
    step(workflow.approve, published, by=t.legal)
    decided = in_legal_review(t, new_dataset(t, "kanalnetz", critical_infrastructure=True, justification="KRITIS."))
    refusal = {"reasons": "KRITIS.", "grounds": ["CRITICAL_INFRASTRUCTURE"],
               "rereview_on": timezone.localdate() + timedelta(days=90)}  # fmt: skip

    for dataset, contenders in [
        (published, [("steward", "publish", {}), ("owner", "publish", {})]),
        (decided, [("legal", "approve", {}), ("legal2", "refuse", refusal)]),
    ]:
        version, decisions = fresh(dataset).version, Decision.objects.count()
        results = race(t, dataset, *contenders)

        assert sorted(results.values()) == ["conflict", "ok"], results
        winner = next(username for username, result in results.items() if result == "ok")
        assert Decision.objects.count() == decisions + 1
        assert Decision.objects.latest("pk").actor == getattr(t, winner)
        assert fresh(dataset).version == version + 1
        assert fresh(dataset).history.filter(version=version + 1).count() == 1
    assert fresh(published).state == S.PUBLISHED
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert audit.verify_chain().ok
