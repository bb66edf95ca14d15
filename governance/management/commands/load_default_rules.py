from django.core.management.base import BaseCommand

from governance.reference_data import ensure_vocabularies, install_default_rule_set


class Command(BaseCommand):
    help = (
        "Load the reference vocabularies that are missing and the default rule set of the open-by-default "
        "decision (an adopted, in-force service instruction). Safe to run again."
    )

    def handle(self, *args, **options):
        created = ensure_vocabularies()
        document = install_default_rule_set()
        self.stdout.write(f"{created} vocabulary terms added; rule set: {document.title}")
