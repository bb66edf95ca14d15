"""Usage statistics without personal data (issue 24): how often each dataset's page was
viewed, its files downloaded and its tables queried, per day.

What is stored is the dataset, the day, the kind of use and a number (portal.models.
UsageCount) – no IP address, no cookie, no browser identification, no time of day. A
request's user agent and method are looked at to leave out obvious robots
(`is_counted`), never stored.

Counting must never break a page or a download: `count` logs a failure and swallows it.
One count is one statement on PostgreSQL and SQLite alike (an upsert on the unique
constraint), so concurrent requests add up without a lost update or a retry.

The future table query API counts its queries with `usage.count(dataset_id, "table_query")`.

"The last month" is the 30 complete days before today: the figures of a page change once
a day, not with every visit, so the dataset page's ETag (which includes them) still lets
browsers and proxies revalidate with 304.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from catalog.models import Dataset

from .models import UsageCount, UsageKind

logger = logging.getLogger(__name__)

WINDOW_DAYS = 30
KINDS = tuple(UsageKind.values)

# A minimal, deliberate rule: requests whose user agent names itself a robot in one of
# these words (Googlebot, bingbot, YandexSpider, …) are not counted; nor is anything but a
# GET (HEAD asks for headers only). Scripts (curl, python-requests) are users of open data
# and count. Checked per request, never stored.
ROBOT_MARKERS = ("bot", "spider", "crawl")


def is_counted(request) -> bool:
    if request.method != "GET":
        return False
    agent = request.META.get("HTTP_USER_AGENT", "").lower()
    return not any(marker in agent for marker in ROBOT_MARKERS)


def count_request(request, dataset_id: int, kind: str) -> None:
    """Count one use by a request, unless it is left out by `is_counted`."""
    if is_counted(request):
        count(dataset_id, kind)


def _sql() -> str:
    quote = connection.ops.quote_name
    table = quote(UsageCount._meta.db_table)
    dataset, day, kind, number = (
        quote(UsageCount._meta.get_field(f).column) for f in ("dataset", "day", "kind", "count")
    )
    # Names from the model's own metadata, values as parameters.
    return (
        f"INSERT INTO {table} ({dataset}, {day}, {kind}, {number}) VALUES (%s, %s, %s, %s) "  # noqa: S608
        f"ON CONFLICT ({dataset}, {day}, {kind}) DO UPDATE SET {number} = {table}.{number} + EXCLUDED.{number}"
    )


def _upsert(dataset_id: int, kind: str, day: date, n: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_sql(), [dataset_id, connection.ops.adapt_datefield_value(day), kind, n])


def count(dataset_id: int, kind: str, *, day: date | None = None, n: int = 1) -> None:
    """Add `n` uses of `kind` to the dataset's count of `day` (today by default).

    With a buffer (USAGE_BUFFER_URL, Redis) the use is added there in one round trip and
    written to the database by `flush` (every minute, celery beat): a popular table's
    queries then do not all wait for the lock of one row. Without one (make run), or if
    the buffer fails, it is written at once.

    An unknown kind is a programming error and raises; a database failure is logged and
    swallowed. Inside a transaction (a test, a caller's atomic block) the statement runs
    in a savepoint, so its failure cannot abort the caller's transaction; in a request
    (autocommit) it is the one statement."""
    if kind not in KINDS:
        raise ValueError(f"Unbekannte Art der Nutzung: {kind!r}")
    if n < 1:
        raise ValueError("Gezählt werden nur positive Anzahlen.")
    day = day or timezone.localdate()
    if _buffered(dataset_id, kind, day, n):
        return
    _write(dataset_id, kind, day, n)


def _write(dataset_id: int, kind: str, day: date, n: int) -> None:
    try:
        if connection.in_atomic_block:
            with transaction.atomic():
                _upsert(dataset_id, kind, day, n)
        else:
            _upsert(dataset_id, kind, day, n)
    except DatabaseError:
        logger.warning("Nutzung nicht gezählt (Datensatz %s, %s)", dataset_id, kind, exc_info=True)


# The buffer: one Redis hash "<dataset>:<day>:<kind>" → uses not yet written.
BUFFER_KEY = "stadtdaten:usage"
FLUSHING_KEY = "stadtdaten:usage:flushing"
_client = None


def buffer():
    """The Redis client of the buffer, or None without one."""
    global _client
    url = settings.USAGE_BUFFER_URL
    if not url:
        return None
    if _client is None or _client.url != url:
        import redis

        _client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        _client.url = url
    return _client


def _buffered(dataset_id: int, kind: str, day: date, n: int) -> bool:
    client = buffer()
    if client is None:
        return False
    try:
        client.hincrby(BUFFER_KEY, f"{dataset_id}:{day.isoformat()}:{kind}", n)
    except Exception:
        logger.warning("Nutzungspuffer nicht erreichbar; direkt gezählt", exc_info=True)
        return False
    return True


def flush() -> int:
    """Write the buffered uses to the database; the number of counts written. The hash is
    renamed first (atomic), so uses that arrive meanwhile go to a fresh one; a flush that
    stopped half-way is finished by the next one."""
    client = buffer()
    if client is None:
        return 0
    import redis

    if not client.exists(FLUSHING_KEY):
        try:
            client.rename(BUFFER_KEY, FLUSHING_KEY)
        except redis.ResponseError:
            return 0  # nothing buffered
    pending = client.hgetall(FLUSHING_KEY)
    written = 0
    with transaction.atomic():
        for field, value in pending.items():
            dataset_id, day, kind = field.decode().split(":")
            if kind in KINDS and int(value) > 0:
                _upsert(int(dataset_id), kind, date.fromisoformat(day), int(value))
                written += 1
    client.delete(FLUSHING_KEY)
    return written


# ---------------------------------------------------------------------------
# Reading


def window(today: date | None = None) -> tuple[date, date]:
    """The first and the last day of "the last month": the 30 days before today."""
    today = today or timezone.localdate()
    return today - timedelta(days=WINDOW_DAYS), today - timedelta(days=1)


def _sums(start: date, end: date) -> dict:
    within = Q(day__gte=start, day__lte=end)
    return {kind: Sum("count", filter=within & Q(kind=kind), default=0) for kind in KINDS}


def last_month(dataset_id: int) -> dict[str, int]:
    """The uses of one dataset in the last month, per kind (one query)."""
    start, end = window()
    return UsageCount.objects.filter(dataset_id=dataset_id, day__gte=start, day__lte=end).aggregate(**_sums(start, end))


def dashboard_figures(top: int = 10) -> dict:
    """The transparency dashboard's part: the totals of the last month across all
    datasets and the published datasets downloaded most (two queries)."""
    start, end = window()
    rows = UsageCount.objects.filter(day__gte=start, day__lte=end)
    totals = rows.aggregate(**_sums(start, end))
    # Only datasets still published are named: a withdrawn one's page is gone.
    ranked = (
        rows.filter(kind=UsageKind.DOWNLOAD, dataset__in=Dataset.objects.published())
        .values("dataset__name", "dataset__title")
        .annotate(downloads=Sum("count"))
        .order_by("-downloads", "dataset__title")[:top]
    )
    return {
        "start": start,
        "end": end,
        "totals": totals,
        "top": [
            {"name": row["dataset__name"], "title": row["dataset__title"], "downloads": row["downloads"]}
            for row in ranked
        ],
    }


def dataset_report(dataset_id: int, *, months: int = 12) -> dict:
    """For the publisher: the last month per kind and the last `months` calendar months
    (the current one so far), newest first, in one query."""
    today = timezone.localdate()
    first = today.replace(day=1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    start, end = window(today)
    rows = (
        UsageCount.objects.filter(dataset_id=dataset_id, day__gte=min(first, start))
        .annotate(month=TruncMonth("day"))
        .values("month", "kind")
        .annotate(total=Sum("count"), recent=Sum("count", filter=Q(day__gte=start, day__lte=end), default=0))
    )
    by_month: dict[tuple[int, int], dict[str, int]] = {}
    recent = dict.fromkeys(KINDS, 0)
    for row in rows:
        month = row["month"]
        recent[row["kind"]] += row["recent"]
        if month >= first:
            by_month.setdefault((month.year, month.month), dict.fromkeys(KINDS, 0))[row["kind"]] = row["total"]
    month_rows = []
    cursor = first
    while cursor <= today:
        month_rows.append((cursor, by_month.get((cursor.year, cursor.month), dict.fromkeys(KINDS, 0))))
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    month_rows.reverse()
    return {
        "start": start,
        "end": end,
        "last_month": recent,
        "months": [{"month": month, "counts": [values[kind] for kind in KINDS]} for month, values in month_rows],
        "labels": [UsageKind(kind).label for kind in KINDS],
        "any": any(recent.values()) or any(any(values.values()) for _month, values in month_rows),
    }
