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
