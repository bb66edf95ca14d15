"""The store follows the catalog: every change of a dataset's state, of a distribution
or of a check report makes the dataset's tables be brought in step (loader.sync_dataset),
once per transaction and after commit (catalog.receivers.enqueue_once)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from catalog.models import Dataset, DatasetChange, Distribution, DistributionReport
from catalog.receivers import enqueue_once
from catalog.signals import change_applying, dataset_state_changed

from . import dictionary, engine, loader

# The history reasons of the data dictionary (datastore.dictionary), for the audit journal
# and the version histories.
REASON_LABELS = {
    "datastore.dictionary.changed": _("Datenlexikon geändert"),
    "datastore.dictionary.proposed": _("Datenlexikon in der Änderung bearbeitet"),
    "datastore.dictionary.applied": _("Datenlexikon mit der freigegebenen Änderung übernommen"),
    "datastore.dictionary.copied": _("Datenlexikon aus der ersetzten Datei übernommen"),
}


def _sync(dataset_id):
    if dataset_id is not None:
        enqueue_once(loader.sync_datasets, dataset_id)


def distribution_saved(sender, instance, raw=False, **kwargs):
    if not raw and instance.is_upload:
        _sync(instance.dataset_id)


def distribution_deleted(sender, instance, **kwargs):
    table = getattr(instance, "_datastore_table", None)
    if table:
        transaction.on_commit(lambda: engine.drop(table))


def remember_table(sender, instance, **kwargs):
    """Before the cascade deletes its DataTable: the name of the table to drop."""
    from .models import DataTable

    instance._datastore_table = (
        DataTable.objects.filter(distribution_id=instance.pk).values_list("table_name", flat=True).first()
    )


def report_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        _sync(Distribution.objects.filter(pk=instance.distribution_id).values_list("dataset_id", flat=True).first())


def state_changed(sender, dataset, **kwargs):
    _sync(dataset.pk)


def change_applying_receiver(sender, change, by, **kwargs):
    """The dictionary proposed with an approved change becomes the tables' dictionary."""
    dictionary.apply_proposed(change, by=by)


def connect():
    from django.db.models.signals import pre_delete

    from governance import audit, history

    from .models import ColumnDescription

    history.register_reason_labels(REASON_LABELS)
    # The dictionary's versions are journaled through its history, filed under the publisher.
    audit.register(ColumnDescription, organisation=lambda description: description.distribution.dataset.publisher_id)
    change_applying.connect(change_applying_receiver, sender=DatasetChange, dispatch_uid="datastore.change_applying")

    post_save.connect(distribution_saved, sender=Distribution, dispatch_uid="datastore.distribution_saved")
    pre_delete.connect(remember_table, sender=Distribution, dispatch_uid="datastore.distribution_deleting")
    post_delete.connect(distribution_deleted, sender=Distribution, dispatch_uid="datastore.distribution_deleted")
    post_save.connect(report_saved, sender=DistributionReport, dispatch_uid="datastore.report_saved")
    dataset_state_changed.connect(state_changed, sender=Dataset, dispatch_uid="datastore.state_changed")
