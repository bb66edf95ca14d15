"""Receivers of signals, connected in catalog.apps: the quality score follows every
change of a dataset and its distributions, a new or changed external address is checked,
and changed decision inputs re-open review."""

from django.conf import settings
from django.db import transaction

from . import changes, workflow
from .linkcheck import check_links
from .models import Dataset
from .quality.store import score_datasets

# Receivers of model signals (connected in catalog.apps) that keep the quality score
# current. The tasks are enqueued after commit, each once per transaction with all the ids
# it was asked for (a harvested page: one message for a hundred datasets).


# The most ids one message carries: a batch of link checks stays well inside its time limit
# (settings.TASK_KINDS "batch").
MAX_IDS_PER_MESSAGE = 200


class _OnCommit:
    """A task to enqueue after commit for the ids collected in `pks`, in their order."""

    def __init__(self, task, pk):
        self.task, self.pks = task, {pk: None}

    def __call__(self):
        self.task.delay(list(self.pks))


def enqueue_once(task, pk):
    """Enqueue `task` (which takes a list of ids) for `pk` after commit, in one message with
    the other ids queued for it in this transaction."""
    connection = transaction.get_connection()
    # Pending callbacks are (savepoint ids, callable, robust). An id joins a pending
    # message if the savepoints it was registered under that are still open are exactly
    # those open now: the others were released (a rollback would have taken the message
    # with it), so whatever rolls this id back later takes that message too, and nothing
    # else does. (The harvest registers inside create_dataset's savepoint, released since,
    # and again after it.) None stands for an atomic block without a savepoint.
    current = set(connection.savepoint_ids) - {None}
    pending = connection.run_on_commit if connection.in_atomic_block else []
    for sids, func, _robust in pending:
        if (
            isinstance(func, _OnCommit) and func.task is task and sids & current == current
            and len(func.pks) < MAX_IDS_PER_MESSAGE
        ):  # fmt: skip
            func.pks[pk] = None
            return
    transaction.on_commit(_OnCommit(task, pk))


def rescore_after_change(sender, instance, **kwargs):
    if kwargs.get("raw") or not isinstance(instance, Dataset):
        return
    if kwargs.get("action", "post_").startswith("post_"):
        enqueue_once(score_datasets, instance.pk)


def distribution_changed(sender, instance, **kwargs):
    if kwargs.get("raw"):
        return
    enqueue_once(score_datasets, instance.dataset_id)
    if kwargs.get("created") is not None and instance.access_url and settings.LINKCHECK_ON_CHANGE:
        enqueue_once(check_links, instance.pk)


def datasets_created(sender, datasets, distributions, **kwargs):
    """catalog.signals.datasets_created: what the receivers above do for each."""
    for dataset in datasets:
        enqueue_once(score_datasets, dataset.pk)
    if settings.LINKCHECK_ON_CHANGE:
        for distribution in distributions:
            if distribution.access_url:
                enqueue_once(check_links, distribution.pk)


def rereview(sender, dataset, by, reasons, **kwargs):
    """catalog.signals.decision_inputs_changed: review opens again."""
    workflow.start_rereview(dataset, by=by, reasons=reasons, check_role=False)


def block_public_file(sender, distribution, reasons, **kwargs):
    """catalog.signals.small_cells_found: a public file leaves the public at once."""
    changes.block_distribution(distribution, reasons=reasons)
