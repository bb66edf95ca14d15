import os
import sys
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator

from portal import dcat


class Command(BaseCommand):
    help = (
        "Schreibt alle veröffentlichten Datensätze als DCAT-AP.de-Katalog (Turtle oder N-Triples) in eine Datei "
        "oder auf die Standardausgabe, Stück für Stück, ohne den ganzen Katalog im Speicher zu halten. "
        "Für die Lieferung an GovData und für Messungen."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=sorted(dcat.STREAM_FORMATS), default="ttl", help="Standard: ttl")
        parser.add_argument(
            "--output",
            "-o",
            default="",
            help="Zieldatei; ohne Angabe auf die Standardausgabe. Wird erst am Ende ersetzt.",
        )
        parser.add_argument(
            "--base-url",
            default=settings.SITE_URL,
            help="Öffentliche Adresse des Portals, aus der die URIs gebildet werden (Standard: SITE_URL).",
        )
        parser.add_argument("--chunk-size", type=int, default=dcat.EXPORT_CHUNK_SIZE, help="Datensätze je Stück")

    def handle(self, *args, format, output, base_url, chunk_size, **options):
        try:
            URLValidator(schemes=["http", "https"])(base_url)
        except ValidationError as error:
            raise CommandError(f"--base-url ist keine gültige http(s)-Adresse: {base_url!r}") from error
        if chunk_size < 1:
            raise CommandError("--chunk-size muss mindestens 1 sein.")
        started = time.monotonic()
        pieces = dcat.stream_catalog(base_url, format, chunk_size=chunk_size)
        if output:
            # Written next to the target and renamed at the end: a harvester never reads half a file.
            partial = f"{output}.partial"
            try:
                with open(partial, "wb") as file:
                    size = _write(pieces, file.write)
                os.replace(partial, output)
            except BaseException:
                if os.path.exists(partial):
                    os.remove(partial)
                raise
        elif (buffer := getattr(self.stdout, "buffer", None)) is not None:
            # A real standard output: the bytes as they are.
            try:
                size = _write(pieces, buffer.write)
                buffer.flush()
            except BrokenPipeError:
                # Piped into e.g. `head`, which has read what it wanted.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return
        else:
            size = _write(pieces, lambda piece: self.stdout.write(piece.decode(), ending=""))
        self.stderr.write(
            f"DCAT-AP.de-Katalog geschrieben: {output or 'Standardausgabe'}, {size / 2**20:.1f} MB "
            f"in {time.monotonic() - started:.1f} s."
        )


def _write(pieces, write) -> int:
    size = 0
    for piece in pieces:
        write(piece)
        size += len(piece)
    return size
