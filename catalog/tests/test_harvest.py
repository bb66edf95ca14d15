"""Harvesting from a CKAN portal: the test serves recorded package_search responses
(two pages, one record without a title, one with a broken resource address) from a
local http.server, and the harvester creates, updates, leaves alone, marks removed
and reports, the same way on every run."""

import json
import socket
from datetime import UTC, timedelta

import pytest
import requests
from django.utils import timezone

from catalog import services, workflow
from catalog.errors import HarvestError, RecordError
from catalog.harvest import client, service
from catalog.harvest.mapping import Mapper, map_format, map_licence
from catalog.harvest.service import run_harvest
from catalog.models import (
    Dataset,
    DatasetState,
    Distribution,
    HarvestJob,
    HarvestRecord,
    HarvestStatus,
    PersonalDataStatus,
)
from catalog.tests.ckan_fake import recorded, running_fake_ckan, trusted_sources_on_loopback
from catalog.tests.conftest import classification_fields
from conftest import make_role_holder
from governance import audit
from governance.models import Decision, DecisionKind, Role

S = DatasetState
GOOD = {"baumkataster", "haushaltsplan-2024", "parkhaeuser-belegung", "luftmessstationen"}


@pytest.fixture
def ckan():
    with running_fake_ckan() as fake:
        yield fake


@pytest.fixture(autouse=True)
def small_pages(settings):
    # Six records at the source, three per page: the run has to page.
    settings.HARVEST_PAGE_SIZE = 3
    settings.HARVEST_TIMEOUT = (2, 2)


def make_source(ckan, admin, organisation, *, trusted=False, mappings=(), **fields):
    return service.save_source(
        None,
        by=admin,
        fields={
            "name": "Open-Data-Portal Stadt A",
            "url": ckan.url,
            "default_organisation": organisation,
            "responsible": admin,
            "trusted": trusted,
            **fields,
        },
        mappings=list(mappings),
    )


@pytest.fixture
def source(ckan, org_a, org_a_department, admin_a):
    return make_source(ckan, admin_a, org_a, mappings=[("gruenflaechenamt", org_a_department)])


@pytest.fixture
def trusted_source(ckan, org_a, org_a_department, admin_a, default_rules, monkeypatch):
    trusted_sources_on_loopback(monkeypatch)
    # admin_a after the department: a role covers the units that exist when it is synced.
    return make_source(ckan, admin_a, org_a, trusted=True, mappings=[("gruenflaechenamt", org_a_department)])


def run(source, *, by=None, incremental=False) -> HarvestJob:
    """A run as the task performs it (start_harvest enqueues after commit, which the
    test transaction never reaches)."""
    since = source.last_success() - service.INCREMENTAL_OVERLAP if incremental else None
    job = HarvestJob.objects.create(source=source, triggered_by=by, incremental=incremental, since=since)
    assert run_harvest(job.pk) in (HarvestStatus.SUCCEEDED, HarvestStatus.FAILED)
    job.refresh_from_db()
    return job


def counts(job):
    return {
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "removed": job.removed_count,
        "failed": job.failed_count,
    }


def entries(job, outcome):
    return {entry["remote_name"]: entry["reason"] for entry in job.report if entry["outcome"] == outcome}


def history_count():
    return Dataset.history.count() + Distribution.history.count()


# ---- A first run ----------------------------------------------------------------------


def test_an_untrusted_run_pages_through_the_source_and_creates_drafts(ckan, source, admin_a, org_a, org_a_department):
    job = run(source, by=admin_a)

    assert job.status == HarvestStatus.SUCCEEDED, job.message
    assert (job.total, job.processed) == (6, 6)
    assert counts(job) == {"created": 4, "updated": 0, "unchanged": 0, "removed": 0, "failed": 2}
    assert set(Dataset.objects.values_list("name", flat=True)) == GOOD
    assert set(Dataset.objects.values_list("state", flat=True)) == {S.DRAFT}
    # Paged like ckanext-harvest: sorted by id, three pages, the last one empty.
    searches = [r for r in ckan.requests if r["path"] == "/api/action/package_search"]
    assert [(r["params"]["start"], r["params"]["rows"], r["params"]["sort"]) for r in searches] == [
        ("0", "3", "id asc"),
        ("3", "3", "id asc"),
        ("6", "3", "id asc"),
    ]
    assert {r["headers"]["User-Agent"] for r in searches} == {"Stadtdaten-Harvester/1.0"}
    assert "fq" not in searches[0]["params"]

    trees = Dataset.objects.get(name="baumkataster")
    assert trees.publisher == org_a_department  # mapped CKAN organisation
    assert (trees.steward, trees.owner, trees.created_by) == (None, None, admin_a)
    assert trees.current_classification is None  # goes through classification like any draft
    assert trees.description.startswith("Alle **Straßen- und Parkbäume**")
    assert (trees.licence, trees.contact_email, trees.attribution_text) == (
        "dl-by-de/2.0",
        "baeume@stadt-a.example",
        "Stadt A, Grünflächenamt",
    )
    assert (trees.municipality_key, trees.geocoding_level, trees.update_frequency) == (
        "16053000",
        "municipality",
        "ANNUAL",
    )
    assert str(trees.temporal_start) == "2020-01-01"
    assert trees.landing_page == f"{ckan.url}/dataset/baumkataster"
    assert sorted(k.name for k in trees.keywords.all()) == ["Bäume", "Stadtgrün"]
    assert [t.code for t in trees.themes.all()] == ["ENVI"]
    assert sorted((d.title, d.format, d.kind) for d in trees.distributions.all()) == [
        ("Baumkataster (CAD-Zeichnung)", "OTHER", "download"),  # DWG: unknown, kept as "Sonstiges"
        ("Baumkataster (CSV)", "CSV", "download"),
        ("Baumkataster (GeoJSON)", "GEOJSON", "download"),
        ("Baumkataster als Kartendienst", "WMS_SRVC", "service"),
    ]
    budget = Dataset.objects.get(name="haushaltsplan-2024")  # CKAN name with an underscore
    assert budget.publisher == org_a  # unmapped organisation: the source's own
    assert (budget.licence, budget.contact_name) == ("cc-by/4.0", "Kämmerei")
    assert sorted(t.code for t in budget.themes.all()) == ["ECON", "GOVE"]  # "haushalt" is no EU theme
    assert sorted((d.title, d.format) for d in budget.distributions.all()) == [
        ("Haushaltsplan 2024 (Excel)", "XLSX"),
        ("Haushaltsplan 2024.pdf", "PDF"),  # no format, no name: media type and file name
    ]
    parking = Dataset.objects.get(name="parkhaeuser-belegung")
    assert parking.description == "Parkhausbelegung"
    assert parking.landing_page == "https://www.stadtwerke-a.example/parken"
    assert sorted((d.format, d.kind) for d in parking.distributions.all()) == [("HTML", "download"), ("JSON", "api")]

    # Every write names the source in the history.
    assert trees.history.earliest().history_change_reason == "catalog.harvest.created: Open-Data-Portal Stadt A"
    assert {h.history_change_reason for h in Distribution.history.filter(dataset_id=trees.pk)} == {
        "catalog.harvest.distribution: Open-Data-Portal Stadt A"
    }
    assert {h.history_user for h in trees.history.all()} == {admin_a}


def test_broken_records_are_reported_with_their_reasons_and_leave_nothing_behind(ckan, source, admin_a):
    job = run(source, by=admin_a)

    failed = entries(job, "failed")
    assert failed == {
        "wahlergebnisse-2021": "Der Titel fehlt.",
        # Not legally relevant, a broken address is only a warning; a licence nowhere is refused.
        "spielplaetze": "Die Lizenz ist an der Quelle nicht angegeben, weder am Datensatz noch an seinen Ressourcen.",
    }
    assert not Dataset.objects.filter(name__in=["wahlergebnisse-2021", "spielplaetze"]).exists()
    assert not HarvestRecord.objects.filter(remote_name__in=["wahlergebnisse-2021", "spielplaetze"]).exists()
    warnings = entries(job, "warning")
    assert (
        warnings["baumkataster"]
        == "Ressource „Baumkataster (CAD-Zeichnung)“: Format „DWG“ unbekannt; als „Sonstiges“ übernommen."
    )
    assert warnings["parkhaeuser-belegung"] == "Keine Beschreibung an der Quelle; der Titel dient als Beschreibung."
    assert set(entries(job, "created")) == {"baumkataster", "haushaltsplan_2024", "parkhaeuser-belegung",
                                            "luftmessstationen"}  # fmt: skip


def test_a_record_that_breaks_while_being_written_is_rolled_back_completely(ckan, source, admin_a, monkeypatch):
    # The new records of the page are written together; this breaks on the one with an
    # API among its distributions, so the page is written again record by record.
    original = audit.create_with_history

    def fail_on_the_api(model, objs, **kwargs):
        if any(getattr(obj, "kind", "") == "api" for obj in objs):
            raise RuntimeError("disk full")
        return original(model, objs, **kwargs)

    monkeypatch.setattr(audit, "create_with_history", fail_on_the_api)

    job = run(source, by=admin_a)

    assert job.status == HarvestStatus.SUCCEEDED
    assert entries(job, "failed")["parkhaeuser-belegung"] == "Unerwarteter Fehler (RuntimeError)."
    assert not Dataset.objects.filter(name="parkhaeuser-belegung").exists()
    assert not Distribution.objects.filter(title="Parkleitsystem").exists()
    assert Dataset.objects.count() == 3


# ---- Re-runs ---------------------------------------------------------------------------


def test_a_second_run_over_the_same_data_changes_nothing(ckan, source, admin_a):
    run(source, by=admin_a)
    versions = dict(Dataset.objects.values_list("name", "version"))
    histories = history_count()

    job = run(source, by=admin_a)

    assert counts(job) == {"created": 0, "updated": 0, "unchanged": 4, "removed": 0, "failed": 2}
    assert dict(Dataset.objects.values_list("name", "version")) == versions
    assert history_count() == histories
    assert [entry["outcome"] for entry in job.report] == ["failed", "failed"]


def test_a_changed_record_is_updated_with_its_distributions(ckan, source, admin_a):
    run(source, by=admin_a)
    trees = Dataset.objects.get(name="baumkataster")
    kept = trees.distributions.get(format="CSV")
    package = ckan.package("baumkataster")
    package["title"] = "Baumkataster der Stadt A"
    package["metadata_modified"] = "2024-06-01T10:00:00.000000"
    package["tags"].append({"name": "Klima", "display_name": "Klima"})
    package["resources"] = [r for r in package["resources"] if r["format"] != "GeoJSON"]  # one removed
    package["resources"][0]["url"] += "?v=2"  # the CSV moved
    package["resources"].append(
        {"id": "f0000001-0000-4000-8000-000000000009", "name": "Baumkataster (JSON)", "format": "JSON",
         "url": "https://opendata.stadt-a.example/baeume.json", "state": "active"}
    )  # fmt: skip

    job = run(source, by=admin_a)

    assert counts(job) == {"created": 0, "updated": 1, "unchanged": 3, "removed": 0, "failed": 2}
    assert entries(job, "updated") == {"baumkataster": "Geändert: Titel, Schlagwörter, Distributionen."}
    trees.refresh_from_db()
    assert trees.title == "Baumkataster der Stadt A"
    assert sorted(k.name for k in trees.keywords.all()) == ["Bäume", "Klima", "Stadtgrün"]
    assert sorted(d.format for d in trees.distributions.all()) == ["CSV", "JSON", "OTHER", "WMS_SRVC"]
    kept.refresh_from_db()  # changed in place: same distribution, same identifier
    assert kept.access_url.endswith("baumkataster.csv?v=2")
    assert trees.history.first().history_change_reason == "catalog.harvest.updated: Open-Data-Portal Stadt A"
    record = trees.harvest_record
    assert record.remote_modified.isoformat() == "2024-06-01T10:00:00+00:00"

    again = run(source, by=admin_a)
    assert counts(again)["unchanged"] == 4


def test_an_untrusted_source_applies_its_changes_but_never_overwrites_a_local_edit(
    ckan, source, admin_a, org_a_department
):

    steward = make_role_holder("steward-umwelt", Role.STEWARD, org_a_department)
    run(source, by=admin_a)
    trees = Dataset.objects.get(name="baumkataster")
    services.update_dataset(trees, by=steward, fields={"title": "Bäume (lokal)"}, expected_version=trees.version)

    # Nothing changed at the source: the local edit simply stays.
    assert counts(run(source, by=admin_a))["unchanged"] == 4

    # The source changes another field: that change is applied, the local title stays.
    ckan.package("baumkataster")["notes"] = "Neue Beschreibung an der Quelle."
    job = run(source, by=admin_a)
    assert entries(job, "updated") == {"baumkataster": "Geändert: Beschreibung."}
    trees.refresh_from_db()
    assert (trees.title, trees.description) == ("Bäume (lokal)", "Neue Beschreibung an der Quelle.")

    # The source changes the title too: a conflict, and nothing of that change is applied.
    package = ckan.package("baumkataster")
    package["title"], package["notes"] = "Baumkataster 2024", "Noch eine Beschreibung."
    job = run(source, by=admin_a)

    assert counts(job)["failed"] == 3
    assert entries(job, "failed")["baumkataster"] == (
        "Lokal geändert seit der letzten Übernahme (Titel); die Änderung an der Quelle wurde nicht übernommen. "
        "Gleichen Sie die Angaben im Katalog und an der Quelle ab."
    )
    trees.refresh_from_db()
    assert (trees.title, trees.description) == ("Bäume (lokal)", "Neue Beschreibung an der Quelle.")

    # Both sides agree again: taken over, and nothing left to write.
    services.update_dataset(trees, by=steward, fields={"title": "Baumkataster 2024"}, expected_version=trees.version)
    job = run(source, by=admin_a)
    assert entries(job, "updated") == {"baumkataster": "Geändert: Beschreibung."}
    assert counts(run(source, by=admin_a))["unchanged"] == 4


def test_a_trusted_source_changes_its_published_dataset_directly_a_local_edit_stays_pending(
    ckan, trusted_source, admin_a, org_a_department
):
    from catalog.models import ACTIVE_CHANGE_STATES, DatasetChange

    steward = make_role_holder("steward-umwelt", Role.STEWARD, org_a_department)
    run(trusted_source, by=admin_a)
    trees = Dataset.objects.get(name="baumkataster")
    original_spatial = trees.spatial_label
    # The dataset is published: the steward's edit is a pending change, reviewed before it applies.
    services.update_dataset(
        trees,
        by=steward,
        fields={"title": "Bäume (lokal)", "spatial_label": "Kernstadt"},
        expected_version=services.edit_version(trees),
    )
    package = ckan.package("baumkataster")
    package["title"], package["notes"] = "Baumkataster 2024", "Neue Beschreibung an der Quelle."

    job = run(trusted_source, by=admin_a)

    # The trusted source keeps its documented direct path, recorded as such.
    assert entries(job, "updated") == {"baumkataster": "Geändert: Titel, Beschreibung."}
    trees.refresh_from_db()
    assert (trees.title, trees.description, trees.spatial_label, trees.state) == (
        "Baumkataster 2024",
        "Neue Beschreibung an der Quelle.",
        original_spatial,
        S.PUBLISHED,
    )
    assert trees.history.latest("history_date").history_change_reason.startswith("catalog.harvest")
    change = DatasetChange.objects.get(dataset=trees, state__in=ACTIVE_CHANGE_STATES)
    assert (change.proposed["title"], change.proposed["spatial_label"]) == ("Bäume (lokal)", "Kernstadt")


def test_a_dataset_in_review_is_not_changed_by_the_source(ckan, source, admin_a, org_a_department, default_rules):

    steward = make_role_holder("steward-umwelt", Role.STEWARD, org_a_department)
    run(source, by=admin_a)
    trees = Dataset.objects.get(name="baumkataster")
    services.classify_dataset(trees, by=steward, fields=classification_fields())
    workflow.submit(trees, by=steward, expected_version=Dataset.objects.get(pk=trees.pk).version)
    ckan.package("baumkataster")["title"] = "Baumkataster 2024"

    job = run(source, by=admin_a)

    assert entries(job, "failed")["baumkataster"].startswith("Der Datensatz ist in Prüfung (In Prüfung)")
    assert Dataset.objects.get(pk=trees.pk).title == "Baumkataster"


def test_a_name_taken_by_another_dataset_fails_the_record_until_the_source_has_a_prefix(
    ckan, source, admin_a, dataset_a
):
    job = run(source, by=admin_a)

    assert entries(job, "failed")["baumkataster"] == (
        "Der Kurzname „baumkataster“ gehört schon einem anderen Datensatz. Legen Sie ein Präfix für die Quelle fest "
        "oder benennen Sie einen der beiden Datensätze um."
    )
    assert Dataset.objects.get(name="baumkataster") == dataset_a

    service.save_source(
        source, by=admin_a, fields={"name_prefix": "odp-"}, mappings=[("gruenflaechenamt", source.default_organisation)]
    )
    job = run(source, by=admin_a)

    assert counts(job) == {"created": 1, "updated": 0, "unchanged": 3, "removed": 0, "failed": 2}
    assert Dataset.objects.filter(name="odp-baumkataster").exists()


# ---- Trusted sources ---------------------------------------------------------------------


def test_a_trusted_run_publishes_with_a_declared_classification_and_a_decision(ckan, trusted_source, admin_a):
    job = run(trusted_source, by=admin_a)

    assert counts(job)["created"] == 4
    assert set(Dataset.objects.published().values_list("name", flat=True)) == GOOD
    trees = Dataset.objects.get(name="baumkataster")
    classification = trees.current_classification
    assert (classification.personal_data, classification.classified_by) == (PersonalDataStatus.NONE, admin_a)
    assert "vertrauenswürdigen Quelle „Open-Data-Portal Stadt A“" in classification.justification
    assert "eingerichtet von Ada Admin" in classification.justification
    decision = Decision.objects.get(subject_id=str(trees.pk), kind=DecisionKind.PUBLICATION)
    assert (decision.outcome, decision.actor) == ("open", admin_a)
    assert "Open-Data-Portal Stadt A" in decision.reasons
    assert decision.rule_versions.exists()  # evaluated against the rules in force
    assert trees.issued is not None
    assert trees.history.first().history_change_reason == "catalog.workflow.harvest_published: Open-Data-Portal Stadt A"
    assert entries(job, "created")["baumkataster"] == "Veröffentlicht."


def test_a_trusted_dataset_the_rules_send_to_review_stays_a_draft(ckan, trusted_source, admin_a):
    ckan.package("luftmessstationen")["license_id"] = "cc-by-nc"  # not open: the rules want a legal review

    job = run(trusted_source, by=admin_a)

    air = Dataset.objects.get(name="luftmessstationen")
    assert (air.state, air.current_classification) == (S.DRAFT, None)
    assert not Decision.objects.filter(subject_id=str(air.pk)).exists()
    assert entries(job, "warning")["luftmessstationen"] == (
        "Nicht veröffentlicht: Nach den geltenden Regeln ist eine Prüfung nötig (Rechtsprüfung); der Datensatz "
        "bleibt ein Entwurf."
    )


def test_a_trusted_run_needs_a_responsible_person_who_is_still_governance_admin(ckan, trusted_source, admin_a):
    admin_a.is_active = False
    admin_a.save()

    job = run(trusted_source)

    assert job.status == HarvestStatus.FAILED
    assert job.message.startswith("Ada Admin ist nicht (mehr) Governance-Admin von Stadt A.")
    assert not Dataset.objects.exists()


# ---- Removed at the source -----------------------------------------------------------------


def test_a_record_removed_at_an_untrusted_source_is_only_flagged(ckan, source, admin_a):
    run(source, by=admin_a)
    ckan.remove("parkhaeuser-belegung")

    job = run(source, by=admin_a)

    assert counts(job) == {"created": 0, "updated": 0, "unchanged": 3, "removed": 1, "failed": 2}
    assert entries(job, "removed") == {
        "parkhaeuser-belegung": "Als entfernt markiert; der Datensatz bleibt im Katalog."
    }
    record = HarvestRecord.objects.get(remote_name="parkhaeuser-belegung")
    assert record.removed_at is not None
    assert record.dataset.state == S.DRAFT
    # Flagged once, not again on every run.
    assert counts(run(source, by=admin_a))["removed"] == 0


def test_a_removed_trusted_dataset_is_withdrawn_and_published_again_when_it_returns(ckan, trusted_source, admin_a):
    run(trusted_source, by=admin_a)
    package = ckan.remove("parkhaeuser-belegung")

    job = run(trusted_source, by=admin_a)

    assert entries(job, "removed") == {"parkhaeuser-belegung": "Veröffentlichung zurückgezogen."}
    parking = Dataset.objects.get(name="parkhaeuser-belegung")
    assert parking.state == S.WITHDRAWN
    withdrawal = Decision.objects.filter(subject_id=str(parking.pk)).latest("decided_at")
    assert (withdrawal.outcome, withdrawal.actor) == ("withdrawn", admin_a)
    assert withdrawal.reasons == "An der Quelle „Open-Data-Portal Stadt A“ entfernt."

    ckan.packages.append(package)
    job = run(trusted_source, by=admin_a)

    assert entries(job, "updated") == {"parkhaeuser-belegung": "Wieder an der Quelle vorhanden.; Veröffentlicht."}
    parking.refresh_from_db()
    assert parking.state == S.PUBLISHED
    assert parking.harvest_record.removed_at is None


def test_a_dataset_withdrawn_by_people_is_not_published_again_by_the_source(
    ckan, trusted_source, admin_a, org_a_department
):
    steward = make_role_holder("steward-umwelt", Role.STEWARD, org_a_department)
    run(trusted_source, by=admin_a)
    trees = Dataset.objects.get(name="baumkataster")
    workflow.withdraw(trees, by=steward, expected_version=trees.version, reasons="Fehlerhafte Koordinaten")

    run(trusted_source, by=admin_a)

    assert Dataset.objects.get(pk=trees.pk).state == S.WITHDRAWN


def test_incremental_runs_ask_for_recent_changes_and_never_mark_removals(ckan, source, admin_a):
    service.save_source(
        source,
        by=admin_a,
        fields={"fq": "organization:gruenflaechenamt OR organization:kaemmerei"},
        mappings=[("gruenflaechenamt", source.default_organisation)],
    )
    run(source, by=admin_a)
    ckan.remove("parkhaeuser-belegung")
    ckan.package("luftmessstationen")["metadata_modified"] = (timezone.now() + timedelta(minutes=5)).strftime(
        "%Y-%m-%dT%H:%M:%S.%f"
    )
    ckan.package("luftmessstationen")["title"] = "Luftmessstationen: NO2"
    ckan.requests.clear()
    since = (source.last_success() - timedelta(hours=1)).astimezone(UTC)

    job = run(source, by=admin_a, incremental=True)

    fq = ckan.requests[0]["params"]["fq"]
    assert fq == (
        "(organization:gruenflaechenamt OR organization:kaemmerei) AND "
        f"metadata_modified:[{since:%Y-%m-%dT%H:%M:%S}Z TO *]"
    )
    assert counts(job) == {"created": 0, "updated": 1, "unchanged": 0, "removed": 0, "failed": 0}
    assert HarvestRecord.objects.filter(removed_at__isnull=False).count() == 0


# ---- Transport errors ------------------------------------------------------------------------

NO_CKAN = "Die Quelle hat keine gültige CKAN-Antwort geliefert (HTTP-Status {}). Stimmt die Adresse des Portals?"
TRANSPORT_FAILURES = [
    ("html500", NO_CKAN.format(500)),
    ("not_json", NO_CKAN.format(200)),
    ("success_false", "Die Quelle hat die Suche abgelehnt (SearchQueryError: \"Invalid Lucene query "
                      "'organization:('\"). Stimmt der Filter?"),
    ("timeout", "Die Quelle hat nicht rechtzeitig geantwortet."),
    ("same_page", "Die Quelle liefert zweimal dieselbe Seite; das Blättern funktioniert dort nicht."),
]  # fmt: skip


@pytest.mark.parametrize(("failure", "message"), TRANSPORT_FAILURES)
def test_a_transport_error_on_the_second_page_fails_the_run_and_a_rerun_continues(
    ckan, source, admin_a, settings, failure, message
):
    settings.HARVEST_TIMEOUT = (1, 0.3)
    ckan.failure, ckan.fail_from_start, ckan.delay = failure, 3, 1.0

    job = run(source, by=admin_a)

    assert job.status == HarvestStatus.FAILED
    assert job.message == message
    assert job.finished is not None
    # The first page is in; nothing of the second, and nothing was marked removed.
    assert set(Dataset.objects.values_list("name", flat=True)) == {
        "baumkataster",
        "haushaltsplan-2024",
        "parkhaeuser-belegung",
    }
    assert counts(job)["created"] == 3
    assert source.last_success() is None

    ckan.failure = None
    again = run(source, by=admin_a)

    assert again.status == HarvestStatus.SUCCEEDED
    assert counts(again) == {"created": 1, "updated": 0, "unchanged": 3, "removed": 0, "failed": 2}


def test_an_unreachable_source_fails_the_run_with_a_clear_message(source, admin_a, settings):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{port}"]
    service.save_source(source, by=admin_a, fields={"url": f"http://127.0.0.1:{port}"}, mappings=[])

    job = run(source, by=admin_a)

    assert (job.status, job.message) == (HarvestStatus.FAILED, "Die Quelle ist nicht erreichbar (ConnectionError).")


def test_a_source_that_suddenly_reports_nothing_marks_nothing_removed(ckan, source, admin_a):
    run(source, by=admin_a)
    ckan.failure = "empty"

    job = run(source, by=admin_a)

    assert job.status == HarvestStatus.FAILED
    assert job.message.startswith("Die Quelle meldet keinen einzigen Datensatz mehr.")
    assert not HarvestRecord.objects.filter(removed_at__isnull=False).exists()


def test_every_request_has_a_timeout(ckan, source, settings):
    """ckanapi passes timeout=None unless CKANAPI_REQUEST_TIMEOUT is set: the client's
    session applies HARVEST_TIMEOUT to every request all the same."""
    settings.HARVEST_TIMEOUT = (1, 0.3)
    ckan.failure, ckan.delay = "timeout", 1.5
    ckan_client = client.client_for(source)

    with pytest.raises(requests.Timeout):
        ckan_client.session.get(f"{ckan.url}/api/3/action/package_search", timeout=None)
    assert ckan_client.session.headers["User-Agent"] == "Stadtdaten-Harvester/1.0"


# ---- Jobs: one at a time, safe to deliver twice -------------------------------------------------


def test_a_finished_job_is_not_run_again(ckan, source, admin_a):
    job = run(source, by=admin_a)
    ckan.requests.clear()

    assert run_harvest(job.pk) == HarvestStatus.SUCCEEDED
    assert ckan.requests == []
    assert run_harvest(999999) is None


def test_a_running_job_is_taken_over_only_once_its_heartbeat_stopped(ckan, source, admin_a):
    job = HarvestJob.objects.create(source=source, status=HarvestStatus.RUNNING, heartbeat=timezone.now())
    assert run_harvest(job.pk) == HarvestStatus.RUNNING
    assert ckan.requests == []

    HarvestJob.objects.filter(pk=job.pk).update(heartbeat=timezone.now() - timedelta(hours=1))
    assert run_harvest(job.pk) == HarvestStatus.SUCCEEDED


def test_starting_a_run_refuses_a_second_one_and_gives_up_a_dead_one(
    source, admin_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        first = service.start_harvest(source, by=admin_a, incremental=True)
    assert len(callbacks) == 1  # the task, enqueued after commit
    assert (first.status, first.incremental) == (HarvestStatus.PENDING, False)  # no success yet: complete

    with pytest.raises(HarvestError, match="läuft bereits ein Abruf"):
        service.start_harvest(source, by=admin_a)

    HarvestJob.objects.filter(pk=first.pk).update(created=timezone.now() - timedelta(hours=1))
    second = service.start_harvest(source, by=admin_a)
    first.refresh_from_db()
    assert first.status == HarvestStatus.FAILED
    assert first.message == "Der Abruf hat seit 30 Minuten nicht mehr geantwortet und wurde aufgegeben."
    assert second.status == HarvestStatus.PENDING


def test_the_schedule_runs_active_sources_completely_once_a_week(source, admin_a, ckan, org_b):
    inactive = make_source(ckan, admin_a, source.default_organisation, name="Alt", active=False)
    now = timezone.now()

    assert service.start_scheduled_runs() == 1
    assert HarvestJob.objects.get(source=source).incremental is False
    assert not HarvestJob.objects.filter(source=inactive).exists()

    HarvestJob.objects.all().update(status=HarvestStatus.SUCCEEDED, started=now)
    service.start_scheduled_runs()
    assert HarvestJob.objects.filter(source=source).latest("pk").incremental is True

    HarvestJob.objects.all().update(status=HarvestStatus.SUCCEEDED, started=now - timedelta(days=8))
    service.start_scheduled_runs()
    assert HarvestJob.objects.filter(source=source).latest("pk").incremental is False


# ---- Mapping values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("dl-de-by-2.0", "dl-by-de/2.0"),
        ("http://dcat-ap.de/def/licenses/dl-by-de/2.0", "dl-by-de/2.0"),
        ("https://dcat-ap.de/def/licenses/geoNutz/20131001", "geoNutz/20131001"),
        ("cc-by", "cc-by"),
        ("CC-BY-4.0", "cc-by/4.0"),
        ("cc-zero", "cc-zero"),
        ("CC0-1.0", "cc-zero"),
        ("odc-odbl", "odbl"),
        ("dl-de-zero-2.0", "dl-zero-de/2.0"),
        ("other-closed", "other-closed"),
    ],
)
def test_licence_ids_of_ckan_portals_map_to_the_catalog(value, code):
    assert map_licence(value) == code


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("notspecified", "Die Lizenz ist an der Quelle nicht angegeben („notspecified“)."),
        ("", "Die Lizenz ist an der Quelle nicht angegeben („–“)."),
        ("uk-ogl", "Die Lizenz „uk-ogl“ ist im Katalog nicht bekannt."),
    ],
)
def test_unknown_licences_fail_the_record(value, message):
    with pytest.raises(RecordError) as error:
        map_licence(value)
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("fmt", "mimetype", "url", "code"),
    [
        ("CSV", None, "https://x.example/a", "CSV"),
        ("csv", None, "https://x.example/a", "CSV"),
        ("text/csv", None, "https://x.example/a", "CSV"),
        (".csv", None, "https://x.example/a", "CSV"),
        ("XLSX", None, "https://x.example/a", "XLSX"),
        ("WMS", None, "https://x.example/wms", "WMS_SRVC"),
        ("GeoJSON", None, "https://x.example/a", "GEOJSON"),
        ("HTML", None, "https://x.example/a", "HTML"),
        ("http://publications.europa.eu/resource/authority/file-type/JSON", None, "https://x.example/a", "JSON"),
        ("", "application/pdf", "https://x.example/a", "PDF"),
        ("", None, "https://x.example/daten.geojson", "GEOJSON"),
        ("SHP", None, "https://x.example/a", "SHP"),
        ("XLS", None, "https://x.example/a", "XLS"),
        ("DWG", None, "https://x.example/a", None),
    ],
)
def test_free_text_formats_map_to_file_types(fmt, mimetype, url, code):
    assert map_format(fmt, mimetype, url) == code


def test_a_regional_key_gives_the_municipality_key():
    assert Mapper.municipality_key("http://dcat-ap.de/def/politicalGeocoding/regionalKey/081150045045") == ("08115045")


def test_the_recorded_responses_are_real_ckan_envelopes():
    page = recorded("package_search_start_0.json")
    assert page["success"] is True
    assert set(page["result"]) == {"count", "facets", "results", "sort", "search_facets"}
    package = page["result"]["results"][0]
    assert {"id", "name", "title", "notes", "license_id", "organization", "resources", "tags", "groups",
            "extras", "metadata_modified"} <= set(package)  # fmt: skip
    assert json.dumps(package)  # plain JSON


def clone(package, number):
    copy = json.loads(json.dumps(package))
    copy["id"] = f"ffff{number:04d}-{copy['id'][9:]}"
    copy["name"] = f"{copy['name']}-{number}"
    for resource in copy["resources"]:
        resource["id"] = f"{resource['id']}-{number}"
    return copy


def test_an_unchanged_rerun_needs_the_same_queries_for_few_and_many_records(ckan, source, admin_a, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.HARVEST_PAGE_SIZE = 100
    queries = []
    for extra in (0, 8):
        ckan.packages += [clone(ckan.package("luftmessstationen"), number) for number in range(extra)]
        run(source, by=admin_a)
        with CaptureQueriesContext(connection) as captured:
            job = run(source, by=admin_a)
        assert job.unchanged_count == 4 + extra
        queries.append(len(captured))

    # An unchanged record costs no query of its own. The run with the test's bookkeeping:
    #  1 the job (test), 2 claiming it, 3 the job with source, organisation and responsible
    #  person, 4 resetting its counts, 5+6 the responsible person's object permissions
    #  (governance admin?), 7 the organisation mapping; the one page: 8 datasets of this
    #  portal with the page's ids (none: no self-harvest), 9 its records, 10 marking them seen,
    #  11 progress; 12 the records not seen (none), 13 progress, 14 finishing the job,
    #  15 reading the job back (task), 16 the job (test).
    assert queries == [16, 16]
