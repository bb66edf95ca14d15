from django.core.management.base import BaseCommand

from catalog.models import Dataset
from catalog.quality.store import rescore


class Command(BaseCommand):
    help = "Berechnet die Metadatenqualität aller Datensätze neu (z. B. nach dem Einspielen eines Bestands)."

    def handle(self, *args, **options):
        count = 0
        for pk in Dataset.objects.order_by("pk").values_list("pk", flat=True).iterator():
            rescore(pk)
            count += 1
        self.stdout.write(f"{count} Datensätze bewertet.")
