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
from catalog.linkcheck import check_links
from catalog.models import Dataset, Distribution, HarvestJob, HarvestStatus
from catalog.quality.store import score_datasets
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


def run(source, by, *, created=1):
    job = HarvestJob.objects.create(source=source, triggered_by=by)
    assert run_harvest(job.pk) == HarvestStatus.SUCCEEDED
    job.refresh_from_db()
    assert job.created_count == created, job.report
    return job


def copies(package: dict, count: int, prefix: str) -> list[dict]:
    """`count` records like `package`, each with ids and names of its own."""
    result = []
    for number in range(count):
        record = copy.deepcopy(package)
        record["id"], record["name"] = f"{prefix}-{number}-{package['id']}", f"{prefix}-{number}-{package['name']}"
        for resource in record["resources"]:
            resource["id"] = f"{prefix}-{number}-{resource['id']}"
        result.append(record)
    return result


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
    # One message per task, with all its ids.
    queued = {callback.task: list(callback.pks) for callback in callbacks if hasattr(callback, "task")}
    assert queued[score_datasets] == [dataset.pk]
    assert sorted(queued[check_links]) == sorted(
        Distribution.objects.filter(dataset=dataset).values_list("pk", flat=True)
    )
    assert [callback.task for callback in callbacks if hasattr(callback, "task")].count(score_datasets) == 1


def test_a_new_record_takes_few_statements(source, admin_a):
    with CaptureQueriesContext(connection) as queries:
        run(source, admin_a)

    assert len(queries.captured_queries) <= MAX_QUERIES, "\n".join(q["sql"][:160] for q in queries.captured_queries)


def statements_and_messages(ckan, package, by, org, count, capture_callbacks):
    """The statements of a run of a new source that creates `count` records of one page,
    and the messages it queues after commit, as (statements, messages)."""
    prefix = f"seite-{count}"
    ckan.packages = copies(package, count, prefix)
    source = service.save_source(
        None, by=by, fields={"name": prefix, "url": ckan.url, "default_organisation": org, "responsible": by},
        mappings=[],
    )  # fmt: skip
    with capture_callbacks() as callbacks, CaptureQueriesContext(connection) as queries:
        run(source, by, created=count)
    return len(queries.captured_queries), len(callbacks)


def test_a_page_of_new_records_costs_the_same_statements_and_messages_as_one(
    ckan, org_a, admin_a, vocabularies, settings, django_capture_on_commit_callbacks
):
    """100 records a second (issue 23) is not reached record by record: the new records of
    a page are written together, in a number of statements and queued messages that does
    not grow with the page."""
    settings.HARVEST_PAGE_SIZE = 20
    settings.LINKCHECK_ON_CHANGE = True
    package = ckan.packages[0]

    def measure(count):
        return statements_and_messages(ckan, package, admin_a, org_a, count, django_capture_on_commit_callbacks)

    measure(1)  # warm: content types
    assert measure(20) == measure(2)
