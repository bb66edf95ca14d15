"""Timed release (Sperrfrist): legal approval may set a release time; until then the
dataset stays approved and nothing of it is public; the periodic task release_due
publishes it as the approver, once. Time is controlled by moving `release_at` into the
past in the database (no sleeping); the real worker and beat are in test_embargo_worker.py."""

import threading
from datetime import timedelta

import pytest
from celery.beat import Scheduler
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import formats, timezone

from catalog import inbox, services, workflow
from catalog.errors import WorkflowError, WorkflowRefused
from catalog.models import Dataset, DatasetState, PersonalDataStatus
from catalog.notifications import overdue_datasets
from catalog.tasks import release_due
from catalog.tests.conftest import classification_fields
from config import celery_app
from conftest import make_role_holder
from governance.models import Decision, DecisionKind, Role
from portal import search
from portal.tests.conftest import Flow

S = DatasetState
SECRET = "Sperrfristzahlen"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def legal_a(org_a):
    return make_role_holder("legal-a", Role.LEGAL_REVIEWER, org_a, email="legal-a@stadt-a.example")


@pytest.fixture
def legal_a2(org_a):
    return make_role_holder("legal-a2", Role.LEGAL_REVIEWER, org_a, email="legal-a2@stadt-a.example")


@pytest.fixture
def flow(default_rules, steward_a, owner_a, legal_a):
    return Flow(steward_a, owner_a, legal_a)


@pytest.fixture
def in_legal_review(flow, org_a):
    """The statistics office's population figures, waiting for legal approval."""
    dataset = flow.create(
        org_a, "bevoelkerung-2026", title=f"Bevölkerungsstand 31.12.2026 {SECRET}", keywords=["Bevölkerung"],
        themes=["SOCI"], description=f"Einwohnerinnen und Einwohner je Stadtteil ({SECRET}).",
    )  # fmt: skip
    return flow.to_legal_review(dataset)


def fresh(dataset):
    return Dataset.objects.select_related("publisher", "current_classification").get(pk=dataset.pk)


def at(days: int, hour: int = 8):
    """`days` from today at `hour` o'clock local time."""
    moment = timezone.localtime() + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def label(moment) -> str:
    local = timezone.localtime(moment)
    return f"{formats.date_format(local, 'SHORT_DATE_FORMAT')}, {local:%H:%M} Uhr"


def step(action, dataset, by, **data):
    """A workflow step as the page and the API take it, on the dataset's current version."""
    current = fresh(dataset)
    return workflow.perform(action, current, by=by, data={"expected_version": current.version, **data})


def approve_later(dataset, legal, release_at, **data):
    return step("approve", dataset, legal, release_at=release_at, **data)


def make_due(dataset, *, ago=timedelta(minutes=1)):
    """The release time has come: moved into the past in the database (no sleeping)."""
    Dataset.objects.filter(pk=dataset.pk).update(release_at=timezone.now() - ago)


def decisions_of(dataset):
    return Decision.objects.filter(subject_id=str(dataset.pk)).order_by("decided_at", "pk")


def run_as_beat(entry_name: str = "release-due"):
    """Call the periodic task exactly as celery beat does: its schedule entry from the
    settings, applied by the scheduler (by task name; eagerly in the test settings)."""
    scheduler = Scheduler(app=celery_app, lazy=True)
    entry = scheduler.Entry(name=entry_name, app=celery_app, **settings.CELERY_BEAT_SCHEDULE[entry_name])
    return scheduler.apply_async(entry, advance=False).get()


# ---------------------------------------------------------------------------
# Approval with a release time


def test_approval_with_a_release_time_keeps_the_dataset_approved_and_publishing_by_hand_is_refused(
    in_legal_review, steward_a, legal_a
):
    release_at = at(30)
    decision = approve_later(in_legal_review, legal_a, release_at, reasons="Veröffentlichungskalender 2027")

    dataset = fresh(in_legal_review)
    assert dataset.state == S.APPROVED
    assert dataset.release_at == release_at
    assert dataset.release_by == legal_a
    assert (decision.kind, decision.outcome) == (DecisionKind.PUBLICATION, "open")
    assert decision.reasons == f"Veröffentlichungskalender 2027 Sperrfrist: Veröffentlichung am {label(release_at)}."
    assert not Dataset.objects.published().exists()

    message = workflow.refusal("publish", dataset, steward_a)
    assert message.startswith(f"Sperrfrist bis {label(release_at)}:")
    assert "publish" not in [t.action for t in workflow.available_transitions(dataset, steward_a)]
    with pytest.raises(WorkflowError, match="Sperrfrist bis"):
        workflow.publish(dataset, by=steward_a, expected_version=dataset.version)
    assert fresh(dataset).state == S.APPROVED
    history = dataset.history.order_by("history_date").values_list("history_change_reason", flat=True)
    assert list(history)[-1] == f"catalog.workflow.approved: open, Sperrfrist {release_at.isoformat()}"


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (lambda: timezone.now() - timedelta(minutes=1), "in der Zukunft"),
        (lambda: timezone.now() + timedelta(days=367), "höchstens ein Jahr"),
    ],
)
def test_the_release_time_lies_in_the_future_and_at_most_a_year_ahead(in_legal_review, legal_a, when, message):
    with pytest.raises(ValidationError) as caught:
        approve_later(in_legal_review, legal_a, when())
    assert message in " ".join(caught.value.message_dict["release_at"])
    dataset = fresh(in_legal_review)
    assert (dataset.state, dataset.release_at) == (S.LEGAL_REVIEW, None)


def test_an_alternative_form_is_confirmed_at_approval_because_nobody_confirms_later(flow, org_a, legal_a):
    personal = classification_fields(personal_data=PersonalDataStatus.PERSONAL, confidentiality=1,
                                     legal_bases=["GDPR_6_1_e"])  # fmt: skip
    dataset = flow.to_legal_review(flow.create(org_a, "meldedaten", classification=personal))

    with pytest.raises(ValidationError) as caught:
        approve_later(dataset, legal_a, at(3), confirmed=True)
    assert "freigegebenen Form" in caught.value.message_dict["confirm_alternative"][0]
    assert fresh(dataset).state == S.LEGAL_REVIEW

    approve_later(dataset, legal_a, at(3), confirmed=True, confirm_alternative=True)
    dataset = fresh(dataset)
    assert (dataset.state, dataset.publication_outcome) == (S.APPROVED, "aggregated")
    make_due(dataset)
    assert release_due.apply().get() == 1
    assert fresh(dataset).state == S.PUBLISHED
    assert decisions_of(dataset).last().outcome == "aggregated"


def test_no_release_time_for_an_outcome_that_is_never_published(flow, org_a, legal_a):
    internal = classification_fields(personal_data=PersonalDataStatus.PERSONAL, confidentiality=2,
                                     legal_bases=["GDPR_6_1_e"])  # fmt: skip
    dataset = flow.to_legal_review(flow.create(org_a, "personalakten", classification=internal))

    with pytest.raises(ValidationError) as caught:
        approve_later(dataset, legal_a, at(3), confirmed=True)
    assert "nicht veröffentlicht" in caught.value.message_dict["release_at"][0]
    approve_later(dataset, legal_a, None, confirmed=True)
    assert (fresh(dataset).state, fresh(dataset).release_at) == (S.APPROVED, None)


# ---------------------------------------------------------------------------
# The release: the periodic task, as the scheduler calls it


def test_the_beat_task_publishes_a_due_dataset_once_as_the_approver(in_legal_review, legal_a):
    release_at = at(1)
    approve_later(in_legal_review, legal_a, release_at)
    assert run_as_beat() == 0  # not due yet
    assert fresh(in_legal_review).state == S.APPROVED

    make_due(in_legal_review)
    assert run_as_beat() == 1
    dataset = fresh(in_legal_review)
    assert dataset.state == S.PUBLISHED
    assert dataset.issued is not None
    assert (dataset.release_at, dataset.release_by) == (None, None)
    decision = decisions_of(dataset).last()
    assert (decision.kind, decision.outcome, decision.actor) == (DecisionKind.PUBLICATION, "open", legal_a)
    assert decision.reasons.startswith("Zum festgelegten Termin (")
    assert decision.reasons.endswith(") veröffentlicht (Sperrfrist).")
    assert dataset.history.latest("history_date").history_change_reason == "catalog.workflow.released"
    assert dataset.history.latest("history_date").history_user == legal_a

    # Idempotent: a second run (or a second delivery of the same run) publishes nothing.
    assert run_as_beat() == 0
    assert release_due.apply().get() == 0
    assert decisions_of(dataset).filter(kind=DecisionKind.PUBLICATION).count() == 3  # submit, approve, release


def test_the_beat_schedule_runs_the_release_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["release-due"]
    assert entry["task"] == "catalog.tasks.release_due"
    assert entry["schedule"] == 60.0
    assert release_due.name == entry["task"]
    assert entry["task"] in celery_app.tasks  # what beat sends by name, a worker knows


def test_only_due_approved_datasets_are_released(flow, org_a, in_legal_review, legal_a):
    approve_later(in_legal_review, legal_a, at(2))
    later = flow.to_legal_review(flow.create(org_a, "wahlergebnis", title="Wahlergebnis"))
    approve_later(later, legal_a, at(5))
    by_hand = flow.approve(flow.create(org_a, "ohne-sperrfrist", title="Ohne Sperrfrist"))
    make_due(in_legal_review)

    assert release_due.apply().get() == 1
    assert fresh(in_legal_review).state == S.PUBLISHED
    assert fresh(later).state == S.APPROVED
    assert fresh(by_hand).state == S.APPROVED  # waits for the steward, as without an embargo


@pytest.mark.django_db(transaction=True)
def test_a_dataset_locked_by_someone_else_is_skipped_and_released_on_the_next_run(
    vocabularies, org_a, steward_a, owner_a, legal_a
):
    from governance.reference_data import install_default_rule_set

    install_default_rule_set()
    flow = Flow(steward_a, owner_a, legal_a)
    dataset = flow.to_legal_review(flow.create(org_a, "kommunalwahl", csv=None))
    approve_later(dataset, legal_a, at(1))
    make_due(dataset)
    locked, release = threading.Event(), threading.Event()

    def hold_the_row():
        try:
            with transaction.atomic():
                Dataset.objects.select_for_update().get(pk=dataset.pk)
                locked.set()
                release.wait(timeout=20)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert locked.wait(timeout=20)
        assert release_due.apply().get() == 0  # skipped, not waited for
        assert fresh(dataset).state == S.APPROVED
    finally:
        release.set()
        holder.join(timeout=20)
    assert release_due.apply().get() == 1
    assert fresh(dataset).state == S.PUBLISHED
    assert decisions_of(dataset).filter(actor=legal_a, kind=DecisionKind.PUBLICATION).count() == 2


# ---------------------------------------------------------------------------
# Moving or lifting the release time; what clears it


def test_legal_moves_or_lifts_the_release_time_and_the_steward_may_not(in_legal_review, steward_a, legal_a, legal_a2):
    approve_later(in_legal_review, legal_a, at(10))
    dataset = fresh(in_legal_review)
    assert workflow.judgement("reschedule", dataset, steward_a).forbidden
    with pytest.raises(WorkflowRefused):
        step("reschedule", dataset, steward_a, release_at=at(1), reasons="eher")
    with pytest.raises(ValidationError):  # reasons are mandatory
        step("reschedule", dataset, legal_a2, release_at=at(20), reasons=" ")

    moved = at(20)
    decision = step("reschedule", dataset, legal_a2, release_at=moved, reasons="Pressekonferenz verschoben")
    dataset = fresh(dataset)
    assert (dataset.state, dataset.release_at, dataset.release_by) == (S.APPROVED, moved, legal_a2)
    assert decision.actor == legal_a2
    assert decision.reasons == f"Sperrfrist verlegt auf {label(moved)}: Pressekonferenz verschoben"
    assert dataset.history.latest("history_date").history_change_reason.startswith("catalog.workflow.rescheduled")

    decision = step("reschedule", dataset, legal_a, release_at=None, reasons="Kein Termin mehr nötig")
    dataset = fresh(dataset)
    assert (dataset.release_at, dataset.release_by) == (None, None)
    assert decision.reasons == "Sperrfrist aufgehoben: Kein Termin mehr nötig"
    # Without a release time the steward publishes by hand, and there is nothing to move any more.
    assert workflow.refusal("reschedule", dataset, legal_a) == "Für diesen Datensatz ist keine Sperrfrist gesetzt."
    workflow.publish(dataset, by=steward_a, expected_version=dataset.version)
    assert fresh(dataset).state == S.PUBLISHED


def test_a_moved_release_time_is_checked_like_the_first(in_legal_review, legal_a):
    approve_later(in_legal_review, legal_a, at(10))
    dataset = fresh(in_legal_review)
    with pytest.raises(ValidationError) as caught:
        workflow.reschedule(dataset, by=legal_a, expected_version=dataset.version,
                            release_at=timezone.now() - timedelta(hours=1), reasons="zu spät")  # fmt: skip
    assert "in der Zukunft" in caught.value.message_dict["release_at"][0]


@pytest.mark.parametrize("action", ["return", "rereview"])
def test_a_return_or_re_review_before_the_release_clears_the_release_time(in_legal_review, legal_a, action):
    approve_later(in_legal_review, legal_a, at(10))
    dataset = fresh(in_legal_review)
    step(action, dataset, legal_a, reasons="Fehler")

    dataset = fresh(dataset)
    assert dataset.state != S.APPROVED
    assert (dataset.release_at, dataset.release_by) == (None, None)
    make_due(dataset)  # even a stale release time in the past …
    assert release_due.apply().get() == 0  # … publishes nothing outside "approved"
    assert fresh(dataset).state != S.PUBLISHED


def test_a_new_classification_before_the_release_clears_it(in_legal_review, steward_a, legal_a):
    approve_later(in_legal_review, legal_a, at(10))
    services.classify_dataset(in_legal_review, by=steward_a, fields=classification_fields(justification="Neu."))
    dataset = fresh(in_legal_review)
    assert dataset.state == S.LEGAL_REVIEW
    assert dataset.release_at is None


def test_once_the_time_has_passed_the_steward_may_publish_if_the_worker_is_late(in_legal_review, steward_a, legal_a):
    approve_later(in_legal_review, legal_a, at(1))
    make_due(in_legal_review)
    dataset = fresh(in_legal_review)
    workflow.publish(dataset, by=steward_a, expected_version=dataset.version)
    assert (fresh(dataset).state, fresh(dataset).release_at) == (S.PUBLISHED, None)
    assert release_due.apply().get() == 0


# ---------------------------------------------------------------------------
# The task inbox and its mail


def test_the_inbox_shows_the_planned_release_instead_of_a_publish_task(
    in_legal_review, steward_a, legal_a, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    release_at = at(10)
    with django_capture_on_commit_callbacks(execute=True):
        approve_later(in_legal_review, legal_a, release_at)

    assert mail.outbox == []  # nobody is asked to publish
    for person in (steward_a, legal_a):
        tasks = inbox.tasks_for(person)
        assert [(t.label, t.due, t.overdue) for t in tasks] == [
            (f"Veröffentlichung geplant am {label(release_at)}", None, False)
        ]
    Dataset.objects.filter(pk=in_legal_review.pk).update(state_changed_at=timezone.now() - timedelta(days=60))
    assert overdue_datasets() == []  # no reminders either

    make_due(in_legal_review)
    release_due.apply()
    assert inbox.tasks_for(steward_a) == []


# ---------------------------------------------------------------------------
# Pages and the REST API


def test_legal_sets_the_release_time_on_the_dataset_page(client_for, in_legal_review, steward_a, legal_a):
    client = client_for(legal_a)
    page = client.get(in_legal_review.get_absolute_url()).content.decode()
    assert 'name="approve-release_at"' in page
    assert 'type="datetime-local"' in page

    release_at = at(7)
    response = client.post(
        reverse("catalog:dataset_transition", args=[in_legal_review.name, "approve"]),
        {"approve-expected_version": fresh(in_legal_review).version,
         "approve-release_at": timezone.localtime(release_at).strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )  # fmt: skip
    assert fresh(in_legal_review).release_at == release_at
    page = response.content.decode()
    assert f"Sperrfrist bis {label(release_at)}" in page
    assert 'name="reschedule-release_at"' in page  # legal may move or lift it

    page = client_for(steward_a).get(in_legal_review.get_absolute_url()).content.decode()
    assert f"Sperrfrist bis {label(release_at)}" in page
    assert "reschedule-release_at" not in page
    assert 'name="publish-expected_version"' not in page
    response = client_for(steward_a).post(
        reverse("catalog:dataset_transition", args=[in_legal_review.name, "publish"]),
        {"publish-expected_version": fresh(in_legal_review).version},
        follow=True,
    )
    assert f"Sperrfrist bis {label(release_at)}" in response.content.decode()
    assert fresh(in_legal_review).state == S.APPROVED


def test_a_release_time_in_the_past_is_a_field_error_on_the_page(client_for, in_legal_review, legal_a):
    response = client_for(legal_a).post(
        reverse("catalog:dataset_transition", args=[in_legal_review.name, "approve"]),
        {"approve-expected_version": fresh(in_legal_review).version, "approve-release_at": "2020-01-01T08:00"},
        follow=True,
    )
    assert "Der Veröffentlichungstermin muss in der Zukunft liegen." in response.content.decode()
    assert fresh(in_legal_review).state == S.LEGAL_REVIEW


def test_the_api_takes_the_release_time_and_refuses_publishing_before_it(
    client_for, in_legal_review, steward_a, legal_a
):
    release_at = at(7)
    client = client_for(legal_a)
    url = reverse("catalog-api:dataset-transition", args=[in_legal_review.name, "approve"])
    response = client.post(url, {"expected_version": fresh(in_legal_review).version,
                                 "release_at": release_at.isoformat()}, content_type="application/json")  # fmt: skip
    assert response.status_code == 201, response.json()
    steps = client.get(reverse("catalog-api:dataset-transitions", args=[in_legal_review.name])).json()
    assert {step["action"]: step["fields"] for step in steps}["reschedule"] == [
        "expected_version", "release_at", "reasons",
    ]  # fmt: skip
    internal = client.get(reverse("catalog-api:dataset-detail", args=[in_legal_review.name])).json()["internal"]
    assert internal["release_at"] == timezone.localtime(release_at).isoformat()

    client = client_for(steward_a)
    url = reverse("catalog-api:dataset-transition", args=[in_legal_review.name, "publish"])
    response = client.post(url, {"expected_version": fresh(in_legal_review).version}, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["detail"].startswith(f"Sperrfrist bis {label(release_at)}")


# ---------------------------------------------------------------------------
# Invisible everywhere until the release, then everywhere


def public_texts(client, dataset) -> dict[str, str]:
    """Every public door a dataset could come through, as text."""
    from portal.tests.test_ckan import url as ckan

    def text(path):
        response = client.get(path)
        return response.status_code, (
            b"".join(response.streaming_content) if response.streaming else response.content
        ).decode()

    return {
        "portal page": text(reverse("portal:dataset_detail", args=[dataset.name])),
        "portal home": text(reverse("portal:home")),
        "search page": text(reverse("portal:search") + "?q=Bevölkerungsstand"),
        "ckan package_show": text(ckan("package_show") + f"?id={dataset.name}"),
        "ckan package_search": text(ckan("package_search") + "?q=Bevölkerungsstand"),
        "ckan package_list": text(ckan("package_list")),
        "dcat dataset": text(reverse("portal:dataset_dcat", args=[dataset.name, "ttl"])),
        "dcat catalog": text(reverse("portal:catalog_dcat", args=["ttl"])),
        "rest list": text(reverse("catalog-api:dataset-list")),
        "rest detail": text(reverse("catalog-api:dataset-detail", args=[dataset.name])),
        "sitemap": text(reverse("sitemap")),
        "register": text(reverse("portal:register")),
        "dashboard": text(reverse("portal:dashboard")),
    }


PAGES = {"portal page", "ckan package_show", "dcat dataset", "rest detail"}


def test_an_embargoed_dataset_is_invisible_everywhere_until_the_scheduler_releases_it(
    client, flow, org_a, in_legal_review, legal_a
):
    flow.publish(flow.create(org_a, "baumkataster", title="Baumkataster"))  # something public next to it
    approve_later(in_legal_review, legal_a, at(1))

    before = public_texts(client, in_legal_review)
    for door, (status, text) in before.items():
        assert SECRET not in text, door
        if door in PAGES:
            assert status == 404, door
        else:  # (a 404 page may repeat the address it was asked for)
            assert status == 200, door
            assert in_legal_review.name not in text, door
    assert search.search("Bevölkerungsstand").total == 0
    download = reverse("portal:download", args=[in_legal_review.name, in_legal_review.distributions.get().identifier])
    assert client.get(download).status_code == 404

    make_due(in_legal_review)
    assert run_as_beat() == 1

    after = public_texts(client, in_legal_review)
    for door, (status, text) in after.items():
        assert status == 200, door
        if door not in ("register", "dashboard", "portal home"):  # open data is not in the register
            assert SECRET in text or in_legal_review.name in text, door
    assert search.search("Bevölkerungsstand").total == 1
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode().startswith("Baum;Art")
    response.close()


def test_an_embargoed_alternative_form_enters_the_register_only_when_released(client, flow, org_a, legal_a):
    personal = classification_fields(personal_data=PersonalDataStatus.PERSONAL, confidentiality=1,
                                     legal_bases=["GDPR_6_1_e"])  # fmt: skip
    dataset = flow.to_legal_review(flow.create(org_a, "sozialleistungen", title=f"Sozialleistungen {SECRET}",
                                               classification=personal))  # fmt: skip
    approve_later(dataset, legal_a, at(1), confirmed=True, confirm_alternative=True)
    register = reverse("portal:register")
    assert SECRET not in client.get(register).content.decode()
    assert SECRET not in client.get(reverse("portal:dashboard")).content.decode()

    make_due(dataset)
    assert run_as_beat() == 1
    assert SECRET in client.get(register).content.decode()  # published only aggregated: the register says so
