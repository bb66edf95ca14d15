from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from catalog.models import Dataset
from demo.catalog import seed_catalog_demo
from demo.ethics import seed_ethics_demo
from demo.governance import DEMO_PASSWORD, seed_demo
from demo.portal import seed_portal_demo
from demo.sharing import seed_sharing_demo
from demo.strategy import seed_strategy_demo


class Command(BaseCommand):
    help = (
        "Legt den fiktiven Demo-Stadtverbund mit einer Anmeldung je Rolle und Organisation an, "
        "dazu einen Katalog mit Beispieldatensätzen."
    )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Demo data with known passwords is for local use only, never in production.")
        # The demo app sits above every app, so it seeds them all, lowest layer first.
        logins = seed_demo()
        created = seed_catalog_demo()
        reviews = seed_ethics_demo()
        requests = seed_portal_demo()
        seed_sharing_demo()
        measures = seed_strategy_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo-Stadtverbund bereit: {len(logins)} Anmeldungen."))
        self.stdout.write(f"Passwort für alle Demo-Anmeldungen (nur lokal!): {DEMO_PASSWORD}")
        self.stdout.write("Benutzername = <rolle>.<organisation>, zum Beispiel:")
        for username, role, organisation in logins:
            if username.endswith((".lindenau", ".lindenau-umwelt")):
                self.stdout.write(f"  {username:<32} {role} – {organisation}")
        self.stdout.write(
            "Rollen: steward, owner, legal, ethics, admin · Organisationen: siehe /intern/organisationen/"
        )
        self.stdout.write(
            self.style.SUCCESS(f"Katalog: {Dataset.objects.count()} Datensätze, davon {len(created)} neu angelegt.")
        )
        self.stdout.write(f"Ethik: {reviews} Prüfungen neu angelegt.")
        self.stdout.write(f"Portal: {requests} Datenwünsche neu angelegt.")
        self.stdout.write(f"Strategie: {measures} Maßnahmen neu angelegt.")
