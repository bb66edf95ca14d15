import logging
from contextlib import contextmanager

from django.conf import settings
from django.core import mail
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from catalog.models import Dataset
from demo.catalog import seed_catalog_demo
from demo.ethics import SECOND_MEMBERS, seed_ethics_demo
from demo.governance import DEMO_PASSWORD, seed_demo
from demo.portal import seed_portal_demo
from demo.sharing import seed_sharing_demo
from demo.strategy import seed_strategy_demo

# The logins the summary shows: every role of the city and of one office (README
# „Demo-Anmeldungen“), and the second ethics board members every vote needs.
SHOWN_ORGANISATIONS = (".lindenau", ".lindenau-umwelt")


@contextmanager
def quietly(verbosity: int):
    """Below -v 2 the seeding keeps its task logs and e-mails to itself: with eager tasks
    and the console mail backend they were some 960 lines. Mails go to memory and are
    counted; the logs below WARNING are dropped, and kombu's warning that the in-memory
    broker of eager tasks has no hostname."""
    if verbosity >= 2:
        yield None
        return
    previous = logging.root.manager.disable
    logging.disable(logging.INFO)
    kombu = logging.getLogger("kombu.connection")
    kombu_disabled, kombu.disabled = kombu.disabled, True
    outbox_before = getattr(mail, "outbox", None)
    mail.outbox = [] if outbox_before is None else outbox_before
    sent = len(mail.outbox)
    counter = {"mails": 0}
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            yield counter
    finally:
        counter["mails"] = len(mail.outbox) - sent
        logging.disable(previous)
        kombu.disabled = kombu_disabled
        if outbox_before is None:
            del mail.outbox


class Command(BaseCommand):
    help = (
        "Legt den fiktiven Demo-Stadtverbund mit einer Anmeldung je Rolle und Organisation an, "
        "dazu einen Katalog mit Beispieldatensätzen. Mit -v 2 erscheinen die Protokolle und E-Mails der "
        "Hintergrundaufgaben."
    )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Demo data with known passwords is for local use only, never in production.")
        with quietly(options["verbosity"]) as counter:
            # The demo app sits above every app, so it seeds them all, lowest layer first.
            logins = seed_demo()
            created = seed_catalog_demo()
            reviews = seed_ethics_demo()
            requests = seed_portal_demo()
            seed_sharing_demo()
            measures = seed_strategy_demo()
        write = self.stdout.write
        write(self.style.SUCCESS(f"Demo-Stadtverbund bereit: {len(logins) + len(SECOND_MEMBERS)} Anmeldungen."))
        write(self.style.SUCCESS(f"Katalog: {Dataset.objects.count()} Datensätze, davon {len(created)} neu angelegt."))
        write(f"Ethik: {reviews} Prüfungen neu angelegt.")
        write(f"Portal: {requests} Datenwünsche neu angelegt.")
        write(f"Strategie: {measures} Maßnahmen neu angelegt.")
        if counter is not None:
            write(f"E-Mails: {counter['mails']} Benachrichtigungen verschickt (nicht angezeigt; mit -v 2 zu sehen).")
        write("")
        write(f"Passwort für alle Demo-Anmeldungen (nur lokal!): {DEMO_PASSWORD}")
        write("Benutzername = <rolle>.<organisation>, zum Beispiel:")
        for username, role, organisation in logins:
            if username.endswith(SHOWN_ORGANISATIONS):
                write(f"  {username:<32} {role} – {organisation}")
        for username in SECOND_MEMBERS.values():
            write(f"  {username:<32} zweites Mitglied des Ethikbeirats (für Abstimmungen)")
        write("Rollen: steward, owner, legal, ethics, admin · Organisationen: siehe /intern/organisationen/")
        write(f"Anmelden: {settings.SITE_URL}/konto/anmelden/")
