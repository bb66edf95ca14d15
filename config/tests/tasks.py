"""Tasks for the worker integration tests only (the test worker loads them with -I)."""

import os
import resource
import time

import redis
from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded


@shared_task(acks_late=True, name="config.tests.tasks.validate_then_hang")
def validate_then_hang(distribution_id: int, counter_key: str, redis_url: str) -> dict | None:
    """Validate the distribution, then on its first delivery stay busy until the test
    kills the worker: the report is written but the message never acknowledged."""
    from catalog.tabular_validation import check_distribution

    result = check_distribution(distribution_id)
    if redis.Redis.from_url(redis_url).incr(counter_key) == 1:
        time.sleep(120)
    return result


def _record(key: str, redis_url: str, value) -> None:
    redis.Redis.from_url(redis_url).rpush(key, value)


@shared_task(name="config.tests.tasks.record_process")
def record_process(key: str, redis_url: str) -> None:
    """Note which worker process ran it and its peak memory in KiB (Linux)."""
    _record(key, redis_url, f"{os.getpid()} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")


@shared_task(name="config.tests.tasks.grow")
def grow(megabytes: int, key: str, redis_url: str) -> None:
    """Take `megabytes` of memory for a moment (written to, so it is resident), then let go."""
    block = b"\x01" * (megabytes * 2**20)
    _record(key, redis_url, f"{os.getpid()} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")
    del block


# The decorator's generous limit is what the worker's settings must override: the test
# worker's TASK_KINDS gives this task 1 s soft and 2 s hard.
@shared_task(name="config.tests.tasks.outlive_limits", time_limit=600, soft_time_limit=590)
def outlive_limits(key: str, redis_url: str) -> None:
    """Ignore the soft limit and go on until killed."""
    _record(key, redis_url, f"{os.getpid()} started")
    try:
        time.sleep(60)
    except SoftTimeLimitExceeded:
        _record(key, redis_url, f"{os.getpid()} soft limit")
        time.sleep(60)
    _record(key, redis_url, f"{os.getpid()} not killed")
