"""A task for the worker integration test only (the test worker loads it with -I)."""

import time

import redis
from celery import shared_task


@shared_task(acks_late=True, name="config.tests.tasks.validate_then_hang")
def validate_then_hang(distribution_id: int, counter_key: str, redis_url: str) -> dict | None:
    """Validate the distribution, then on its first delivery stay busy until the test
    kills the worker: the report is written but the message never acknowledged."""
    from catalog.tabular_validation import check_distribution

    result = check_distribution(distribution_id)
    if redis.Redis.from_url(redis_url).incr(counter_key) == 1:
        time.sleep(120)
    return result
