"""The load scenario of issue 21 (`python bench/run.py --only conversions`): 20 concurrent
anonymous downloads of the converted formats (CSV, JSON, XLSX) of a 1-million-row table,
while wrk measures the portal's home page; its p95 must stay under 200 ms.

`prepare` runs in a subprocess with Django set up (bench/run.py `_conversions`): it writes
the table under MEDIA_ROOT, attaches it to a published bench dataset and renders it as
the worker would (catalog.renditions.render), then returns the download paths. Downloads
are served by FileResponse from the stored files; nothing is converted during the load.
"""

from __future__ import annotations

import http.client
import os
import threading
import time

ROWS = 1_000_000
DOWNLOADERS = 20
TARGETS = ("csv", "json", "xlsx")


def prepare(media_root: str) -> dict:
    """The published dataset's name and the convert paths of its 1-million-row table
    (rendered once; a second run reuses it)."""
    import hashlib

    from django.urls import reverse

    from catalog import renditions
    from catalog.models import Dataset, Distribution
    from core.testing import write_large_csv

    dataset = Dataset.objects.published().order_by("pk").first()
    if dataset is None:
        raise SystemExit("Kein veröffentlichter Datensatz in der Datenbank")
    name = "bench/grosse-tabelle.csv"
    path = os.path.join(media_root, name)
    distribution = Distribution.objects.filter(dataset=dataset, file=name).first()
    if distribution is None or not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_large_csv(path, ROWS)
        digest = hashlib.sha256()
        with open(path, "rb") as source:
            for chunk in iter(lambda: source.read(2**20), b""):
                digest.update(chunk)
        distribution = distribution or Distribution(dataset=dataset, title="Große Tabelle (Last)")
        distribution.file, distribution.format, distribution.media_type = name, "CSV", "text/csv"
        distribution.byte_size, distribution.checksum_sha256 = os.path.getsize(path), digest.hexdigest()
        distribution.save()
    started = time.monotonic()
    statuses = renditions.render(distribution)
    return {
        "dataset": dataset.name,
        "render_seconds": round(time.monotonic() - started, 1),
        "statuses": statuses,
        "bytes": {
            r.kind: r.byte_size for r in distribution.renditions.filter(checksum_sha256=distribution.checksum_sha256)
        },
        "paths": [reverse("portal:convert", args=[dataset.name, distribution.identifier, t]) for t in TARGETS],
    }


class Downloads:
    """`DOWNLOADERS` threads, each downloading the paths in turn (the whole body, read in
    1 MB pieces and dropped) until stop()."""

    def __init__(self, port: int, paths: list[str], headers: dict):
        self.port, self.paths, self.headers = port, paths, headers
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.completed = self.failed = self.bytes = 0
        self.seconds: list[float] = []
        self.threads = [threading.Thread(target=self._run, args=(k,), daemon=True) for k in range(DOWNLOADERS)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def _run(self, offset: int) -> None:
        k = offset
        while not self.stopping.is_set():
            path = self.paths[k % len(self.paths)]
            k += 1
            started = time.monotonic()
            received, ok = 0, False
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                connection.request("GET", path, headers=self.headers)
                response = connection.getresponse()
                while chunk := response.read(2**20):
                    received += len(chunk)
                ok = response.status == 200
            except OSError:
                ok = False
            finally:
                connection.close()
            with self.lock:
                self.bytes += received
                if ok:
                    self.completed += 1
                    self.seconds.append(time.monotonic() - started)
                else:
                    self.failed += 1

    def stop(self) -> dict:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=180)
        return {
            "downloaders": DOWNLOADERS,
            "completed": self.completed,
            "failed": self.failed,
            "megabytes": round(self.bytes / 2**20),
            "download_p50_s": round(sorted(self.seconds)[len(self.seconds) // 2], 2) if self.seconds else None,
        }
