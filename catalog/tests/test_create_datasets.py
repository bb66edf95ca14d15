"""Many new datasets at once (catalog.services.create_datasets, a harvested page) write what
create_dataset and add_link_distribution write for one: the same versions with their
keywords and themes, the same journal events in an unbroken chain, the search documents
and the background tasks. Only the number of statements differs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import services
from catalog.linkcheck import check_links
from catalog.models import Dataset, Distribution
from catalog.quality.store import score_datasets
from catalog.tests.conftest import dataset_fields
from governance import audit
from governance.models import AuditAction, AuditEvent
from portal.models import SearchDocument

LINK = {
    "title": "Bäume (CSV)", "description": "Alle Bäume", "access_url": "https://daten.stadt-a.example/baeume.csv",
    "format": "CSV", "media_type": "text/csv", "kind": "download", "licence": "", "byte_size": 1200,
    "checksum_sha256": "a" * 64,
}  # fmt: skip
# What differs between two datasets of equal content, or between two ways of writing them.
OWN = {"id", "identifier", "name", "created", "modified", "dataset", "history_id", "history_date"}


def new(org, name, **fields):
    return services.NewDataset(
        fields=dataset_fields(org, name=name, **fields), keywords=["Bäume", "Stadtgrün", "bäume"],
        themes=["ENVI", "REGI"], links=[LINK, {**LINK, "format": "JSON", "media_type": "application/json"}],
    )  # fmt: skip


def one_by_one(item: services.NewDataset, by) -> Dataset:
    dataset = services.create_dataset(by=by, fields=item.fields, keywords=item.keywords, themes=item.themes,
                                      code="catalog.harvest.created: Stadt B")  # fmt: skip
    for values in item.links:
        services.add_link_distribution(dataset, values, by=by, change_reason="catalog.harvest.distribution: Stadt B")
    return dataset


def together(items: list, by) -> list[Dataset]:
    checked = [services.checked_dataset(item, by=by) for item in items]
    services.create_datasets(checked, items, by=by, code="catalog.harvest.created: Stadt B",
                             link_code="catalog.harvest.distribution: Stadt B")  # fmt: skip
    return [dataset for dataset, _links in checked]


def written(dataset: Dataset) -> dict:
    """What was written for `dataset`, without what is its own (ids, names, times)."""

    def plain(snapshot):
        return {key: value for key, value in snapshot.items() if key not in OWN}

    versions = []
    for version in [*dataset.history.all(), *(v for d in dataset.distributions.order_by("format")
                                               for v in d.history.all())]:  # fmt: skip
        versions.append((version.history_type, version.history_change_reason, plain(audit.history_snapshot(version))))
    events = []
    for obj in [dataset, *dataset.distributions.order_by("format")]:
        found = AuditEvent.objects.filter(object_id=str(obj.pk), content_type__model=obj._meta.model_name)
        for event in found:
            events.append(
                (event.action, event.reason, event.actor_id, event.organisation_id, plain(event.data["snapshot"]))
            )
    keyword_versions = sorted(row.keyword_id for row in dataset.history.get().keywords.all())
    return {"versions": versions, "events": events, "keywords": keyword_versions,
            "document": SearchDocument.objects.filter(dataset=dataset).values("keyword_names", "themes", "formats")
            .get()}  # fmt: skip


@pytest.mark.django_db
def test_together_writes_what_one_by_one_writes(org_a, admin_a, vocabularies, settings):
    settings.LINKCHECK_ON_CHANGE = True
    single = one_by_one(new(org_a, "baeume-einzeln"), admin_a)
    many = together([new(org_a, "baeume-1"), new(org_a, "baeume-2")], admin_a)

    expected = written(single)
    assert len(expected["versions"]) == 3
    assert expected["events"][0][0] == AuditAction.CREATE
    for dataset in many:
        assert written(dataset) == expected
    keywords = Dataset.objects.get(name="baeume-1").keywords.values_list("name", flat=True)
    assert sorted(keywords) == ["Bäume", "Stadtgrün"]
    assert audit.verify_chain().ok


@pytest.mark.django_db
def test_together_costs_the_same_statements_and_one_message_per_task(
    org_a, admin_a, vocabularies, settings, django_capture_on_commit_callbacks
):
    settings.LINKCHECK_ON_CHANGE = True
    together([new(org_a, "warm")], admin_a)

    def measure(names):
        with django_capture_on_commit_callbacks() as callbacks, CaptureQueriesContext(connection) as queries:
            datasets = together([new(org_a, name) for name in names], admin_a)
        return datasets, len(queries.captured_queries), callbacks

    _datasets, two, _callbacks = measure(["a-1", "a-2"])
    datasets, ten, callbacks = measure([f"b-{n}" for n in range(10)])

    assert ten == two
    queued = {callback.task: list(callback.pks) for callback in callbacks}
    assert len(callbacks) == 2
    assert queued[score_datasets] == [dataset.pk for dataset in datasets]
    assert sorted(queued[check_links]) == sorted(
        Distribution.objects.filter(dataset__in=datasets).values_list("pk", flat=True)
    )


@pytest.mark.django_db
def test_a_reason_that_is_no_code_is_refused(org_a, admin_a):
    dataset = Dataset(**dataset_fields(org_a), created_by=admin_a)
    with pytest.raises(ValueError, match="no reason code"):
        audit.create_with_history(Dataset, [dataset], by=admin_a, reason="Das habe ich so gewollt")
    assert not Dataset.objects.exists()
