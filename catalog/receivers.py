"""Receivers of signals, connected in catalog.apps: the quality score follows every
change of a dataset and its distributions, a new or changed external address is checked,
and changed decision inputs re-open review."""

from django.conf import settings
from django.db import transaction

from . import changes, workflow
from .linkcheck import check_link
from .models import Dataset
from .quality.store import score_dataset

# Receivers of model signals (connected in catalog.apps) that keep the quality score
# current. The tasks are enqueued once per dataset and transaction, after commit.


class _OnCommit:
    """A task to enqueue after commit, equal to another one for the same task and id, so
    that a transaction that saves a dataset ten times enqueues its rescoring once."""

    def __init__(self, task, pk):
        self.task, self.pk = task, pk

    def __eq__(self, other):
        return isinstance(other, _OnCommit) and (other.task, other.pk) == (self.task, self.pk)

    __hash__ = None

    def __call__(self):
        self.task.delay(self.pk)


def _enqueue_once(task, pk):
    callback = _OnCommit(task, pk)
    connection = transaction.get_connection()
    # Pending callbacks are (savepoint ids, callable, robust). An equal one counts as a
    # duplicate if the savepoints it was registered under that are still open are exactly
    # those open now: the others were released (a rollback would have taken the callback
    # with it), so whatever rolls this one back later takes that one too, and nothing
    # else does. (The harvest registers inside create_dataset's savepoint, released since,
    # and again after it.) None stands for an atomic block without a savepoint.
    current = set(connection.savepoint_ids) - {None}
    pending = connection.run_on_commit if connection.in_atomic_block else []
    if any(func == callback and sids & current == current for sids, func, _robust in pending):
        return
    transaction.on_commit(callback)


def rescore_after_change(sender, instance, **kwargs):
    if kwargs.get("raw") or not isinstance(instance, Dataset):
        return
    if kwargs.get("action", "post_").startswith("post_"):
        _enqueue_once(score_dataset, instance.pk)


def distribution_changed(sender, instance, **kwargs):
    if kwargs.get("raw"):
        return
    _enqueue_once(score_dataset, instance.dataset_id)
    if kwargs.get("created") is not None and instance.access_url and settings.LINKCHECK_ON_CHANGE:
        _enqueue_once(check_link, instance.pk)


def rereview(sender, dataset, by, reasons, **kwargs):
    """catalog.signals.decision_inputs_changed: review opens again."""
    workflow.start_rereview(dataset, by=by, reasons=reasons, check_role=False)


def block_public_file(sender, distribution, reasons, **kwargs):
    """catalog.signals.small_cells_found: a public file leaves the public at once."""
    changes.block_distribution(distribution, reasons=reasons)
