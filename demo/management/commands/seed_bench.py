import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.seed import BenchDataExists, Seeder


class Command(BaseCommand):
    help = (
        "Füllt eine frisch migrierte PostgreSQL-Datenbank mit N Benchmark-Datensätzen (bench-000001 …) in vier "
        "Städten, für `make bench` (Issue 12). Schnell per COPY und ohne Signale: Die Datensätze haben weder "
        "Versionsverlauf noch Audit-Einträge noch Dateien. Diese Datenbank ist nur zum Messen da, nie für den "
        "Betrieb. Die letzte Zeile der Ausgabe ist ein JSON-Objekt mit den Zahlen."
    )

    def add_arguments(self, parser):
        parser.add_argument("--datasets", type=int, required=True, help="Anzahl der Datensätze (N)")
        parser.add_argument(
            "--random-seed", type=int, default=42, help="Startwert des Zufalls: gleiches N, gleiche Daten"
        )

    def handle(self, *args, datasets, random_seed, **options):
        if settings.PRODUCTION:
            raise CommandError("Benchmark data is for measuring only, never in production.")
        if connection.vendor != "postgresql":
            raise CommandError("seed_bench needs PostgreSQL (COPY and the search vectors); set DATABASE_URL.")
        if datasets < 1:
            raise CommandError("--datasets must be at least 1.")
        try:
            result = Seeder(datasets, seed=random_seed, log=self.stdout.write).run()
        except BenchDataExists as error:
            raise CommandError(str(error)) from error
        # The last line is read by `make bench` (bench.run); "phases" holds the seconds per phase.
        self.stdout.write(json.dumps(result))
