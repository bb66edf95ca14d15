"""The persisted quality score: `rescore` writes a dataset's QualityScore row."""

from __future__ import annotations

from celery import shared_task
from django.db import connections
from django.db.models import Prefetch
from django.utils import timezone

from ..models import Dataset, Distribution, LinkCheck, QualityScore
from .scoring import assess


def latest_link_checks(distributions) -> dict:
    """The newest LinkCheck per external distribution, by distribution pk (one query)."""
    external = [distribution.pk for distribution in distributions if not distribution.is_upload]
    if not external:
        return {}
    checks = LinkCheck.objects.filter(distribution__in=external).order_by("distribution_id", "-checked_at", "-pk")
    if connections[checks.db].features.can_distinct_on_fields:
        return {check.distribution_id: check for check in checks.distinct("distribution_id")}
    # SQLite (the embedded default) has no DISTINCT ON: the first check of each
    # distribution in that order is its newest.
    newest = {}
    for check in checks:
        newest.setdefault(check.distribution_id, check)
    return newest


def rescore(dataset_id: int):
    """Compute the dataset's quality and write it to its QualityScore row (created on
    first use). Safe to run any number of times: the row always holds the result for
    the dataset as it is now. Returns the row, or None if the dataset is gone."""
    dataset = (
        Dataset.objects.select_related("publisher")
        # What the public sees is scored: the current distributions, not a pending change's.
        .prefetch_related("keywords", "themes", Prefetch("distributions", queryset=Distribution.objects.current()))
        .filter(pk=dataset_id)
        .first()
    )
    if dataset is None:
        return None
    distributions = list(dataset.distributions.all())
    checks = latest_link_checks(distributions)
    quality = assess(dataset, distributions=distributions, link_status={pk: c.ok for pk, c in checks.items()})
    titles = {distribution.pk: distribution.title for distribution in distributions}
    broken = [
        {
            "distribution": pk,
            "title": titles[pk],
            "url": check.url,
            "status_code": check.status_code,
            "error": check.error,
            "checked_at": check.checked_at.isoformat(),
        }
        for pk, check in sorted(checks.items())
        if not check.ok
    ]
    score, _created = QualityScore.objects.update_or_create(
        dataset=dataset,
        defaults={
            "points": quality.score,
            "rating": quality.rating,
            "dimensions": {
                d.code: {"label": d.label, "score": d.score, "points": d.points} for d in quality.dimensions
            },
            "checks": [
                {
                    "code": check.code,
                    "dimension": dimension.code,
                    "label": check.label,
                    "hint": check.hint,
                    "points": check.points,
                    "score": round(check.score, 2),
                    "missing": check.missing,
                    "passed": check.passed,
                    "actionable": check.actionable,
                }
                for dimension in quality.dimensions
                for check in dimension.checks
            ],
            "broken_links": broken,
            "computed_at": timezone.now(),
        },
    )
    return score


@shared_task(name="catalog.tasks.score_dataset", acks_late=True)
def score_dataset(dataset_id: int) -> int | None:
    """Recompute a dataset's metadata quality. Idempotent: the score always describes the
    dataset as it is now. (Kept for messages queued before score_datasets.)"""
    score = rescore(dataset_id)
    return score.points if score is not None else None


@shared_task(name="catalog.tasks.score_datasets", acks_late=True)
def score_datasets(dataset_ids: list[int]) -> int:
    """Recompute the metadata quality of these datasets (enqueued on commit after every
    change, see catalog.receivers); the number scored."""
    return sum(rescore(dataset_id) is not None for dataset_id in dataset_ids)
