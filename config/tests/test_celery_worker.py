"""A real Celery worker against the local Redis and the pytest PostgreSQL database.

The worker is a subprocess (`celery -A config worker --pool=solo`) that connects to the
test database by name, so the test runs with transaction=True: the worker sees only
committed rows. Each run uses its own queue on Redis database 13, so helpers and other
test runs do not take each other's tasks. Redis must be running; otherwise the test fails.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from catalog import services
from catalog.models import DistributionReport, QualityScore, ReportKind
from catalog.tests.conftest import dataset_fields

BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")
VISIBILITY_TIMEOUT = 3  # seconds until Redis hands an unacknowledged task out again
CELERY = Path(sys.executable).parent / "celery"
TABLE = "Stadtteil,Anzahl\nMitte,1\nNord,5\nNord,5\n"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker():
    client = redis.Redis.from_url(BROKER_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis is not running at {BROKER_URL} ({exc}); start it (redis-server) to run this test.")
    return client


@pytest.fixture
def queue():
    return f"test-worker-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def sender(queue):
    """A producer of its own: the test settings run tasks eagerly, this one sends to Redis."""
    app = Celery("stadtdaten-test", broker=BROKER_URL, set_as_current=False)
    app.conf.task_default_queue = queue
    app.conf.broker_transport_options = {"visibility_timeout": VISIBILITY_TIMEOUT}
    yield app
    app.close()


class Worker:
    def __init__(self, queue: str, log: Path, media_root: Path):
        database = connection.settings_dict
        self.log = log
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings_test",
            "DATABASE_URL": f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
            f"{database['PORT'] or 5432}/{database['NAME']}",
            "CELERY_BROKER_URL": BROKER_URL,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "MEDIA_ROOT": str(media_root),
        }
        self.args = [str(CELERY), "-A", "config", "worker", "--pool=solo", "--concurrency=1", "-Q", queue,
                     "-I", "config.tests.tasks", "--without-gossip", "--without-mingle", "--without-heartbeat",
                     "--loglevel=INFO", "-n", f"{queue}@%h"]  # fmt: skip
        self.process = None

    def start(self):
        self.starts = self.log.read_text().count(" ready.") if self.log.exists() else 0
        with self.log.open("a") as output:
            self.process = subprocess.Popen(  # noqa: S603 - our own celery binary and fixed arguments
                self.args, cwd=settings.BASE_DIR, env=self.env, stdout=output, stderr=subprocess.STDOUT
            )
        wait_for(lambda: self.log.read_text().count(" ready.") > self.starts, what="the worker to start", log=self)

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for(condition, *, what: str, timeout: float = 20, log: Worker | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    details = f"\nworker log:\n{log.log.read_text()[-3000:]}" if log else ""
    pytest.fail(f"Timed out after {timeout} s waiting for {what}.{details}")


@pytest.fixture
def worker(broker, queue, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    worker = Worker(queue, tmp_path / "worker.log", settings.MEDIA_ROOT)
    worker.start()
    yield worker
    worker.stop()
    broker.delete(queue)


@pytest.fixture
def table(org_a, steward_a):
    dataset = services.create_dataset(by=steward_a, fields=dataset_fields(org_a))
    upload = SimpleUploadedFile("einwohner.csv", TABLE.encode(), content_type="text/csv")
    # Committed at once (transaction=True); the validation the upload enqueues runs eagerly
    # here, so its reports are removed again: the worker has to write them.
    distribution = services.add_distribution(dataset, by=steward_a, title="Einwohner", upload=upload)
    DistributionReport.objects.filter(distribution=distribution).delete()
    QualityScore.objects.filter(dataset=dataset).delete()
    return distribution


def test_a_real_worker_validates_and_scores_and_the_results_are_in_postgresql(worker, sender, table):
    sender.send_task("catalog.tasks.validate_distribution", args=[table.pk])
    sender.send_task("catalog.tasks.score_dataset", args=[table.dataset_id])

    wait_for(lambda: DistributionReport.objects.filter(distribution=table).count() == 2, what="the reports", log=worker)
    reports = {report.kind: report for report in DistributionReport.objects.filter(distribution=table)}
    assert reports[ReportKind.TABULAR].summary == {"duplicate-row": 1}
    assert reports[ReportKind.DISCLOSURE].report["flagged"] == [{"row": 2, "column": "Anzahl", "value": 1}]
    wait_for(lambda: QualityScore.objects.filter(dataset=table.dataset).exists(), what="the score", log=worker)
    assert QualityScore.objects.get(dataset=table.dataset).points > 0


def test_a_task_killed_mid_way_is_delivered_again_and_writes_its_result_once(worker, sender, broker, queue, table):
    counter = f"{queue}:runs"
    sender.send_task("config.tests.tasks.validate_then_hang", args=[table.pk, counter, BROKER_URL])
    wait_for(lambda: broker.get(counter) == b"1", what="the first delivery", log=worker)
    assert DistributionReport.objects.filter(distribution=table).count() == 2, "written, but not acknowledged"

    worker.kill()  # SIGKILL while the task sleeps: no acknowledgement reaches Redis
    # A starting worker takes back the tasks left unacknowledged for longer than the
    # visibility timeout (later it sweeps only every few minutes).
    time.sleep(VISIBILITY_TIMEOUT + 1)
    worker.start()

    wait_for(lambda: broker.get(counter) == b"2", what="the redelivery", timeout=30, log=worker)
    wait_for(lambda: "succeeded" in worker.log.read_text(), what="the second run to finish", log=worker)
    assert DistributionReport.objects.filter(distribution=table).count() == 2, "exactly one report per kind"
    broker.delete(counter)
