"""The timed release end to end: a real Celery worker with its embedded beat scheduler
(`celery worker -B`) against the local Redis and the pytest PostgreSQL database, the
schedule entry of config.settings with the interval set to one second. Nobody calls
the task: beat sends catalog.tasks.release_due by name, the worker runs it.

Built on config/tests/test_celery_worker.py (its Worker and its conventions: Redis
database 13, a queue of the test's own, transaction=True so the worker sees committed
rows). Beat sends to that queue and not eagerly: both set on the worker's command line."""

import uuid
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from catalog import workflow
from catalog.models import Dataset, DatasetState
from config.tests.test_celery_worker import BROKER_URL, Worker, wait_for
from conftest import make_role_holder
from governance.models import Decision, DecisionKind, Role
from portal.tests.conftest import Flow

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker_with_beat(tmp_path, settings):
    client = redis.Redis.from_url(BROKER_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis is not running at {BROKER_URL} ({exc}); start it (redis-server) to run this test.")
    queue = f"test-release-{uuid.uuid4().hex[:12]}"
    settings.MEDIA_ROOT = tmp_path / "media"
    worker = Worker(queue, tmp_path / "worker.log", settings.MEDIA_ROOT)
    worker.env["RELEASE_DUE_INTERVAL"] = "1"
    worker.args += ["-B", "-s", str(tmp_path / "beat-schedule"), "--",
                    f"task.default_queue={queue}", "task.always_eager=False"]  # fmt: skip
    worker.start()
    yield worker
    worker.stop()
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


def runs(worker) -> int:
    """How many release runs the worker has finished so far."""
    log = worker.log.read_text()
    return sum(1 for line in log.splitlines() if "catalog.tasks.release_due[" in line and "succeeded" in line)


def test_beat_and_a_real_worker_publish_the_dataset_when_its_time_has_come(
    worker_with_beat, vocabularies, org_a, steward_a, owner_a
):
    from governance.reference_data import install_default_rule_set

    install_default_rule_set()
    legal = make_role_holder("legal-a", Role.LEGAL_REVIEWER, org_a)
    flow = Flow(steward_a, owner_a, legal)
    dataset = flow.to_legal_review(flow.create(org_a, "bevoelkerung-2026", title="Bevölkerungsstand", csv=None))
    workflow.approve(dataset, by=legal, expected_version=dataset.version, release_at=timezone.now() + timedelta(days=1))

    # Beat runs the release every second; runs before the time publish nothing.
    seen = runs(worker_with_beat)
    wait_for(lambda: runs(worker_with_beat) >= seen + 2, what="two release runs", log=worker_with_beat)
    assert Dataset.objects.get(pk=dataset.pk).state == DatasetState.APPROVED
    assert not Dataset.objects.published().exists()

    Dataset.objects.filter(pk=dataset.pk).update(release_at=timezone.now() - timedelta(seconds=1))
    wait_for(lambda: Dataset.objects.published().exists(), what="the release", log=worker_with_beat)

    released = Dataset.objects.get(pk=dataset.pk)
    assert (released.state, released.release_at, released.release_by) == (DatasetState.PUBLISHED, None, None)
    decision = Decision.objects.filter(subject_id=str(dataset.pk), kind=DecisionKind.PUBLICATION).latest("pk")
    assert decision.actor == legal
    assert "(Sperrfrist)" in decision.reasons
    # Later runs find nothing more to do: one publication, one decision.
    seen = runs(worker_with_beat)
    wait_for(lambda: runs(worker_with_beat) >= seen + 2, what="two more runs", log=worker_with_beat)
    assert Decision.objects.filter(subject_id=str(dataset.pk), reasons=decision.reasons).count() == 1
