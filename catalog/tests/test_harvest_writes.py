"""What harvesting one new record writes (issue 23: 100 records a second): one version of
the dataset that already holds its keywords and themes, one per distribution, no second
version right after the first, one search document written once, each background task
queued once; and a bounded number of statements for all of it. The record comes from the
local fake CKAN, with three resources."""

import copy

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.harvest import service
from catalog.harvest.service import run_harvest
from catalog.linkcheck import check_link
from catalog.models import Dataset, Distribution, HarvestJob, HarvestStatus
from catalog.quality.store import score_dataset
from catalog.tests.ckan_fake import running_fake_ckan
from governance.models import AuditAction, AuditEvent
from portal.models import SearchDocument

# The statements of a whole run that harvests the one record (the run's own bookkeeping
# included): 103 before issue 23's work on the write path.
MAX_QUERIES = 61


@pytest.fixture
def ckan():
    with running_fake_ckan() as fake:
        package = copy.deepcopy(fake.package("baumkataster"))
        package["resources"] = package["resources"][:3]
        fake.packages = [package]
        yield fake


@pytest.fixture
def source(ckan, org_a, admin_a, vocabularies):
    return service.save_source(
        None,
        by=admin_a,
        fields={"name": "Stadt A", "url": ckan.url, "default_organisation": org_a, "responsible": admin_a},
        mappings=[],
    )


def run(source, by):
    job = HarvestJob.objects.create(source=source, triggered_by=by)
    assert run_harvest(job.pk) == HarvestStatus.SUCCEEDED
    job.refresh_from_db()
    assert job.created_count == 1, job.report
    return job


def test_a_new_record_is_one_version_that_holds_its_keywords_and_themes(source, admin_a):
    run(source, admin_a)

    dataset = Dataset.objects.get()
    assert dataset.keywords.exists()
    assert dataset.themes.exists()
    versions = list(dataset.history.all())
    assert len(versions) == 1
    assert (versions[0].history_type, versions[0].history_change_reason) == ("+", "catalog.harvest.created: Stadt A")
    assert {row.keyword_id for row in versions[0].keywords.all()} == set(dataset.keywords.values_list("pk", flat=True))
    assert {row.theme_id for row in versions[0].themes.all()} == set(dataset.themes.values_list("pk", flat=True))
    distributions = Distribution.objects.filter(dataset=dataset)
    assert distributions.count() == 3
    for distribution in distributions:
        assert [h.history_change_reason for h in distribution.history.all()] == [
            "catalog.harvest.distribution: Stadt A"
        ]
    # The journal: one event of creation for the dataset, its snapshot with keywords and themes.
    events = AuditEvent.objects.filter(content_type__model="dataset", object_id=str(dataset.pk))
    assert [(event.action, event.reason) for event in events] == [
        (AuditAction.CREATE, "catalog.harvest.created: Stadt A")
    ]
    snapshot = events.get().data["snapshot"]
    assert snapshot["keywords"] == sorted(dataset.keywords.values_list("pk", flat=True))
    assert snapshot["themes"] == sorted(dataset.themes.values_list("pk", flat=True))
    assert AuditEvent.objects.filter(content_type__model="distribution", action=AuditAction.CREATE).count() == 3


def test_the_search_document_is_written_once_and_whole(source, admin_a):
    with CaptureQueriesContext(connection) as queries:
        run(source, admin_a)

    dataset = Dataset.objects.get()
    writes = [q["sql"] for q in queries.captured_queries if "INSERT INTO portal_searchdocument" in q["sql"]]
    assert len(writes) == 1
    document = SearchDocument.objects.get(dataset=dataset)
    assert document.keyword_names == sorted(dataset.keywords.values_list("name", flat=True))
    assert document.themes == sorted(dataset.themes.values_list("code", flat=True))
    assert document.formats == sorted(
        set(Distribution.objects.filter(dataset=dataset).values_list("format", flat=True))
    )
    assert document.title == dataset.title


def test_each_background_task_is_queued_once(source, admin_a, settings, django_capture_on_commit_callbacks):
    settings.LINKCHECK_ON_CHANGE = True
    with django_capture_on_commit_callbacks() as callbacks:
        run(source, admin_a)

    dataset = Dataset.objects.get()
    queued = [(callback.task, callback.pk) for callback in callbacks if hasattr(callback, "task")]
    assert queued.count((score_dataset, dataset.pk)) == 1
    links = sorted(pk for task, pk in queued if task is check_link)
    assert links == sorted(Distribution.objects.filter(dataset=dataset).values_list("pk", flat=True))


def test_a_new_record_takes_few_statements(source, admin_a):
    with CaptureQueriesContext(connection) as queries:
        run(source, admin_a)

    assert len(queries.captured_queries) <= MAX_QUERIES, "\n".join(q["sql"][:160] for q in queries.captured_queries)
