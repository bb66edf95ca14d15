from celery import shared_task

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
