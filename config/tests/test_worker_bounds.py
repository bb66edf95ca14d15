"""Workers are bounded: a real Celery worker (prefork, one process) replaces a process that
grew past CELERY_WORKER_MAX_MEMORY_PER_CHILD, and kills a task past its hard time limit and
goes on serving. Built on test_celery_worker (its Worker, Redis database 13, a queue of the
test's own); the worker runs with config.tests.worker_settings, whose one extra task kind
has limits of 1 s and 2 s. Plus the table of limits and queues as every process sees it."""

import uuid

import pytest
import redis
from django.conf import settings

from config.celery import app
from config.tests.test_celery_worker import BROKER_URL, Worker, wait_for

MEMORY_LIMIT_KIB = 200 * 1024  # a fresh worker process holds about 115 MB
GROW_MB = 150
# The worker is handed the test database's name; its tasks here touch no table.
pytestmark = pytest.mark.django_db


@pytest.fixture
def queue():
    return f"test-bounds-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def broker(queue):
    client = redis.Redis.from_url(BROKER_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis is not running at {BROKER_URL} ({exc}); start it (redis-server) to run this test.")
    yield client
    client.delete(queue, f"{queue}:runs", f"_kombu.binding.{queue}")


@pytest.fixture
def bounded_worker(broker, queue, tmp_path):
    """The prefork pool (solo enforces neither limit) with one process."""
    worker = Worker(queue, tmp_path / "worker.log", tmp_path / "media")
    worker.env["DJANGO_SETTINGS_MODULE"] = "config.tests.worker_settings"
    worker.env["CELERY_WORKER_MAX_MEMORY_PER_CHILD"] = str(MEMORY_LIMIT_KIB)
    worker.args[worker.args.index("--pool=solo")] = "--pool=prefork"
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def send(queue):
    from celery import Celery

    sender = Celery("stadtdaten-test", broker=BROKER_URL, set_as_current=False)
    yield lambda name, *args: sender.send_task(name, args=args, queue=queue)
    sender.close()


def records(broker, key: str) -> list[list[str]]:
    return [entry.decode().split(" ", 1) for entry in broker.lrange(key, 0, -1)]


def test_a_process_that_grew_past_the_memory_limit_is_replaced_after_its_task(bounded_worker, broker, send, queue):
    key = f"{queue}:runs"
    send("config.tests.tasks.record_process", key, BROKER_URL)
    send("config.tests.tasks.record_process", key, BROKER_URL)
    wait_for(lambda: broker.llen(key) == 2, what="two small tasks", log=bounded_worker)
    (first_pid, first_peak), (second_pid, _peak) = records(broker, key)
    assert first_pid == second_pid, "a process under the limit is kept"
    assert int(first_peak) < MEMORY_LIMIT_KIB < int(first_peak) + GROW_MB * 1024, "the test's sizes fit"

    send("config.tests.tasks.grow", GROW_MB, key, BROKER_URL)
    send("config.tests.tasks.record_process", key, BROKER_URL)
    wait_for(lambda: broker.llen(key) == 4, what="the big task and the next one", log=bounded_worker)
    (grown_pid, grown_peak), (next_pid, next_peak) = records(broker, key)[2:]

    assert grown_pid == first_pid
    assert int(grown_peak) > MEMORY_LIMIT_KIB
    assert next_pid != grown_pid, "the grown process was replaced"
    assert int(next_peak) < MEMORY_LIMIT_KIB


def test_a_task_past_its_hard_limit_is_killed_and_the_worker_goes_on(bounded_worker, broker, send, queue):
    key = f"{queue}:runs"
    send("config.tests.tasks.outlive_limits", key, BROKER_URL)
    send("config.tests.tasks.record_process", key, BROKER_URL)

    wait_for(lambda: broker.llen(key) == 3, what="the limits and the next task", log=bounded_worker)
    (pid, started), (soft_pid, soft), (next_pid, _peak) = records(broker, key)
    assert (started, soft_pid, soft) == ("started", pid, "soft limit")
    assert next_pid != pid, "the killed process was replaced"
    log = bounded_worker.log.read_text()
    assert "Hard time limit (2" in log
    assert "config.tests.tasks.outlive_limits" in log
    assert "not killed" not in str(broker.lrange(key, 0, -1))


def test_every_task_has_its_kinds_limits_and_long_work_its_own_queue():
    app.loader.import_default_modules()
    limits = {name: (task.soft_time_limit, task.time_limit) for name, task in app.tasks.items()}
    queues = {name: app.amqp.router.route({}, name)["queue"].name for name in app.tasks}

    assert limits["governance.tasks.send_password_reset_mail"] == settings.TASK_KINDS["mail"]["limits"]
    assert limits["portal.tasks.send_data_request_confirmation"] == settings.TASK_KINDS["mail"]["limits"]
    assert limits["catalog.tasks.validate_distribution"] == settings.TASK_KINDS["files"]["limits"]
    assert limits["catalog.tasks.run_harvest"] == settings.TASK_KINDS["harvest"]["limits"]
    assert limits["catalog.tasks.run_inventory_import"] == settings.TASK_KINDS["import"]["limits"]
    # A task of no kind gets the defaults, whatever its decorator says.
    assert limits["sharing.tasks.apply_sharing_periods"] == (
        settings.CELERY_TASK_SOFT_TIME_LIMIT,
        settings.CELERY_TASK_TIME_LIMIT,
    )
    assert all(0 < soft < hard for soft, hard in limits.values()), limits
    heavy = ("catalog.tasks.validate_distribution", "catalog.tasks.run_inventory_import", "catalog.tasks.run_harvest")
    assert {queues[name] for name in heavy} == {"heavy"}
    mail = ("governance.tasks.send_password_reset_mail", "portal.tasks.send_data_request_confirmation")
    assert {queues[name] for name in mail} == {"celery"}
    # Every task is on a queue a worker without -Q serves.
    assert set(queues.values()) <= set(app.amqp.queues)
    # The hard limit of the longest task stays under the broker's visibility timeout, or a
    # running task would be handed out a second time.
    assert max(hard for _soft, hard in limits.values()) < settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
