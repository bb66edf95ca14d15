from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import importer
from .models import InventoryImport


@shared_task(acks_late=True)
def run_inventory_import(import_id: int) -> str | None:
    """Run a large inventory import in the background. Safe to deliver twice: a finished
    import is left as it is, and the write phase locks the import row."""
    inventory_import = InventoryImport.objects.filter(pk=import_id).first()
    if inventory_import is None or inventory_import.is_finished:
        return None
    return importer.run_import(inventory_import).status


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def notify_assignment(dataset_id: int, state: str, version: int) -> int:
    """Mail the people a dataset now waits for (enqueued on commit by catalog.workflow).
    Sends nothing if the dataset has moved on since, so a late delivery does not
    announce a task that no longer exists."""
    from .models import Dataset
    from .notifications import notify

    dataset = Dataset.objects.select_related("publisher", "current_classification").filter(pk=dataset_id).first()
    if dataset is None or dataset.state != state or dataset.version != version:
        return 0
    return notify(dataset)


@shared_task(acks_late=True)
def send_overdue_reminders() -> int:
    """Remind the people whose task is overdue (scheduled daily by celery beat)."""
    from .notifications import notify, overdue_datasets

    return sum(notify(dataset, reminder=True) for dataset in overdue_datasets())


@shared_task(acks_late=True)
def run_rereview_triggers() -> int:
    """Re-open review when a re-review date is reached or the rules in force changed."""
    from .workflow import run_rereview_triggers as run

    return run()


# A harvest may take longer than the default task time limit.
@shared_task(acks_late=True, time_limit=3 * 3600, soft_time_limit=3 * 3600 - 300)
def run_harvest(job_id: int) -> str | None:
    """Run a harvest job (catalog.harvest). Safe to deliver twice: a finished job is left
    as it is, a running one is taken over only once its heartbeat has stopped, and every
    record is compared with what the last run wrote."""
    from .harvest import run_job

    job = run_job(job_id)
    return job.status if job is not None else None


@shared_task(acks_late=True)
def harvest_active_sources() -> int:
    """Start a run of every active harvest source (scheduled nightly by celery beat):
    a complete one once a week, otherwise only what changed."""
    from .harvest import start_scheduled_runs

    return start_scheduled_runs()


@shared_task(acks_late=True)
def score_dataset(dataset_id: int) -> int | None:
    """Recompute a dataset's metadata quality (enqueued on commit after every change,
    see catalog.apps). Idempotent: the score always describes the dataset as it is now."""
    from .quality.store import rescore

    score = rescore(dataset_id)
    return score.points if score is not None else None


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def check_link(distribution_id: int) -> bool | None:
    """Check a distribution's external address after it was added or changed."""
    from .linkcheck import check_distribution

    check = check_distribution(distribution_id)
    return check.ok if check is not None else None


# A batch of up to LINKCHECK_BATCH_SIZE links, a few at a time, each bounded by its
# timeouts; the limit stays below the broker's visibility timeout (1 h), after which an
# unacknowledged task would be delivered a second time.
@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1700)
def check_due_links() -> int:
    """Check the external links not checked for a week (scheduled daily by celery beat)."""
    from .linkcheck import check_due

    return check_due()


@shared_task(acks_late=True)
def send_freshness_reminders() -> int:
    """Remind stewards of datasets overdue for an update, once per overdue period (daily)."""
    from .quality.reminders import send_freshness_reminders as send

    return send()


# Reading a large table (uploads go up to MAX_UPLOAD_SIZE) may take longer than the default limit.
@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError, ConnectionError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
    time_limit=1800,
    soft_time_limit=1700,
)
def validate_distribution(distribution_id: int) -> dict | None:
    """Validate an uploaded CSV/XLSX table and check it for small counts (catalog.tabular_validation).
    Safe to deliver twice: a report is written once per distribution, kind and checksum."""
    from .tabular_validation import check_distribution

    return check_distribution(distribution_id)
