"""Keep the search index current: every save of a dataset that touches what the search
reads (text, workflow state, facets, sort keys), every change of its keywords or themes
and every change of its distributions rewrites its search document, in the same
transaction. The public search trusts the document's `published`, so every workflow
transition (a save with "state" in update_fields) passes through here."""

from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from catalog.models import Dataset, Distribution
from catalog.signals import datasets_created
from datastore.signals import table_queried

from . import services, usage
from .models import UsageKind

INDEXED_FIELDS = {
    "title",
    "description",
    "state",
    "publisher",
    "publisher_id",
    "licence",
    "hvd_category",
    "update_frequency",
    "issued",
}


@receiver(post_save, sender=Dataset, dispatch_uid="portal.index.dataset")
def index_saved_dataset(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw:
        return
    if created or update_fields is None or INDEXED_FIELDS & set(update_fields):
        services.index_dataset(instance.pk)


def _index_related(instance, action, reverse, pk_set):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:  # keyword.datasets / theme.datasets changed: reindex those datasets
        if pk_set:
            services.index_datasets(Dataset.objects.filter(pk__in=pk_set))
    else:
        services.index_dataset(instance.pk)


@receiver(m2m_changed, sender=Dataset.keywords.through, dispatch_uid="portal.index.keywords")
def index_changed_keywords(sender, instance, action, reverse, pk_set, **kwargs):
    _index_related(instance, action, reverse, pk_set)


@receiver(m2m_changed, sender=Dataset.themes.through, dispatch_uid="portal.index.themes")
def index_changed_themes(sender, instance, action, reverse, pk_set, **kwargs):
    _index_related(instance, action, reverse, pk_set)


@receiver(post_save, sender=Distribution, dispatch_uid="portal.index.distribution_saved")
def index_saved_distribution(sender, instance, raw=False, **kwargs):
    if not raw:
        services.index_dataset(instance.dataset_id)


@receiver(post_delete, sender=Distribution, dispatch_uid="portal.index.distribution_deleted")
def index_deleted_distribution(sender, instance, origin=None, **kwargs):
    # Only when the distribution itself was deleted: when its dataset is (the cascade), the
    # document goes with the dataset, and writing it again would point at a deleted row.
    if isinstance(origin, Distribution) or (isinstance(origin, QuerySet) and origin.model is Distribution):
        services.index_dataset(instance.dataset_id)


@receiver(datasets_created, sender=Dataset, dispatch_uid="portal.index.datasets_created")
def index_created_datasets(sender, datasets, **kwargs):
    for dataset in datasets:
        services.index_dataset(dataset.pk)


@receiver(table_queried, dispatch_uid="portal.usage.table_queried")
def count_table_query(sender, dataset_id, **kwargs):
    """A query of a table (REST, CKAN's datastore_search, the explorer) in the usage statistics."""
    usage.count(dataset_id, UsageKind.TABLE_QUERY)
