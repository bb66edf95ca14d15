from django.core.management.base import BaseCommand

from catalog.renditions import missing, render_distribution


class Command(BaseCommand):
    help = (
        "Gibt die Vorschau und die weiteren Formate (CSV, JSON, XLSX) aller Tabellen in Auftrag, "
        "für die noch keine berechnet sind (z. B. nach einem Update oder dem Einspielen eines Bestands)."
    )

    def handle(self, *args, **options):
        count = 0
        for pk in missing():
            render_distribution.delay(pk)
            count += 1
        self.stdout.write(f"{count} Tabellen in Auftrag gegeben.")
