from django.core.management.base import BaseCommand, CommandError

from governance import audit


class Command(BaseCommand):
    help = (
        "Walk the audit journal in order and check every hash and link. Exits non-zero and names "
        "the first broken event (changed content, missing event, reordered or relinked event)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchor",
            help="SEQ:HASH of a chain head kept outside the database (the daily anchor log line); "
            "detects a journal that was cut off or rewritten after it.",
        )
        parser.add_argument("--no-record", action="store_true", help="Do not store the result for the audit page.")
        parser.add_argument("--database", default="default")

    def handle(self, *args, anchor=None, no_record=False, database="default", **options):
        parsed = None
        if anchor:
            seq, _sep, digest = anchor.partition(":")
            if not seq.isdigit() or len(digest) != 64:
                raise CommandError("--anchor needs the form SEQ:HASH (64 hex digits)")
            parsed = (int(seq), digest)
        report = audit.verify_chain(using=database, anchor=parsed)
        if not no_record:
            audit.record_verification(report)
        if not report.ok:
            raise CommandError(f"Audit-Kette gebrochen bei Ereignis {report.broken_seq}: {report.message}")
        head = f" Kopf: {report.last_seq}:{report.head_hash}" if report.checked else ""
        self.stdout.write(self.style.SUCCESS(report.message + head))
