"""The Celery tasks of the publication workflow. The other catalog tasks live beside the
services they wrap (harvest.service, imports.service, linkcheck, quality.store,
quality.reminders, tabular_validation) under their old names "catalog.tasks.<name>".

catalog.workflow enqueues notify_assignment through an import inside a function: the one
sanctioned lazy edge of the catalog, because these tasks wrap the workflow and its mail."""

from celery import shared_task
from django.utils import timezone

from .changes import release_due_changes
from .models import Dataset
from .notifications import notify, overdue_datasets
from .renditions import render_distribution  # noqa: F401 – registered in the worker, which autodiscovers catalog.tasks
from .workflow import release_due_datasets
from .workflow import run_rereview_triggers as run_triggers

# What a release time publishes, each a callable taking `now` and returning how many it
# released: the datasets under a Sperrfrist; other kinds of due items join here.
RELEASES = (release_due_datasets, release_due_changes)


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def notify_assignment(dataset_id: int, state: str, version: int) -> int:
    """Mail the people a dataset now waits for (enqueued on commit by catalog.workflow).
    Sends nothing if the dataset has moved on since, so a late delivery does not
    announce a task that no longer exists."""
    dataset = Dataset.objects.select_related("publisher", "current_classification").filter(pk=dataset_id).first()
    if dataset is None or dataset.state != state or dataset.version != version:
        return 0
    return notify(dataset)


@shared_task(acks_late=True)
def send_overdue_reminders() -> int:
    """Remind the people whose task is overdue (scheduled daily by celery beat)."""
    return sum(notify(dataset, reminder=True) for dataset in overdue_datasets())


@shared_task(acks_late=True)
def run_rereview_triggers() -> int:
    """Re-open review when a re-review date is reached or the rules in force changed."""
    return run_triggers()


@shared_task(acks_late=True)
def release_due() -> int:
    """Publish what has reached its release time (Sperrfrist), in the name of whoever
    set it (scheduled every minute by celery beat, RELEASE_DUE_INTERVAL). Safe to run
    twice or side by side: each item is locked and checked again (catalog.workflow.release)."""
    now = timezone.now()
    return sum(release(now=now) for release in RELEASES)
