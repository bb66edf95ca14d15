"""Checks of external distribution addresses (`Distribution.access_url`; uploads are
served by the portal itself and never checked).

A check asks with HEAD first and falls back to GET when the server refuses HEAD
(405/501) or the HEAD request fails other than by a timeout; the GET is streamed and
its body never read. Redirects are followed up to LINKCHECK_MAX_REDIRECTS and recorded.
Each check is a LinkCheck row, so the rows are the link's history; the newest counts
for the quality score (catalog.quality.store.rescore) and the steward's inbox.

The HTTP requests run in a small thread pool (LINKCHECK_MAX_WORKERS); the database is
written from the calling thread only, so the threads need no connections."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import timedelta

import requests
from celery import shared_task
from django.conf import settings
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.utils import timezone

from core import outbound

from .models import Distribution, LinkCheck
from .quality.store import rescore

USER_AGENT = "Stadtdaten-Linkpruefung/1.0"
HEAD_REFUSED = {405, 501}


@dataclass
class Result:
    url: str
    ok: bool = False
    status_code: int | None = None
    method: str = "HEAD"
    error: str = ""
    redirect_url: str = ""
    redirects: list = field(default_factory=list)
    duration_ms: int = 0


def _request(session: requests.Session, method: str, url: str) -> requests.Response:
    timeout = (settings.LINKCHECK_CONNECT_TIMEOUT, settings.LINKCHECK_READ_TIMEOUT)
    response = session.request(method, url, timeout=timeout, allow_redirects=True, stream=method == "GET")
    response.close()  # a streamed GET: the body is never read
    return response


def probe(url: str) -> Result:
    """Ask for `url` over HTTP. Does not touch the database (runs in worker threads)."""
    result = Result(url)
    started = time.monotonic()
    # The outbound guard: stewards and harvested sources choose these URLs, and without it
    # the checker would probe the city's internal network for them (SSRF), also through a
    # redirect. OUTBOUND_ALLOWED_HOSTS admits an intranet portal's links (and the tests' server).
    with outbound.session(max_redirects=settings.LINKCHECK_MAX_REDIRECTS) as session:
        session.headers["User-Agent"] = USER_AGENT
        try:
            try:
                response = _request(session, "HEAD", url)
                if response.status_code in HEAD_REFUSED:
                    raise requests.RequestException(f"HEAD {response.status_code}")
            except requests.Timeout:
                # A server too slow for HEAD is not given a second, equally long chance.
                raise
            except (requests.TooManyRedirects, outbound.InternalAddress, outbound.NotAllowedScheme):
                raise
            except requests.RequestException:
                result.method = "GET"
                response = _request(session, "GET", url)
        except outbound.InternalAddress:
            result.error = "Adresse im internen Netz, nicht geprüft"
        except outbound.NotAllowedScheme as error:
            result.error = str(error)
        except requests.TooManyRedirects:
            result.error = f"Mehr als {session.max_redirects} Weiterleitungen"
        except requests.Timeout:
            result.error = "Zeitüberschreitung"
        except requests.RequestException as error:
            result.error = f"Keine Verbindung: {type(error).__name__}"[:500]
        else:
            result.status_code = response.status_code
            result.ok = 200 <= response.status_code < 400
            if response.history:
                result.redirects = [{"url": hop.url, "status_code": hop.status_code} for hop in response.history]
                result.redirect_url = response.url[:1000]
            if not result.ok:
                result.error = f"HTTP {response.status_code} {response.reason or ''}".strip()[:500]
    result.duration_ms = round((time.monotonic() - started) * 1000)
    return result


def _save(distribution: Distribution, result: Result) -> LinkCheck:
    return LinkCheck.objects.create(
        distribution=distribution,
        url=result.url,
        checked_at=timezone.now(),
        ok=result.ok,
        status_code=result.status_code,
        method=result.method,
        error=result.error,
        redirect_url=result.redirect_url,
        redirects=result.redirects,
        duration_ms=result.duration_ms,
    )


def check_distribution(distribution_id: int, *, force: bool = False) -> LinkCheck | None:
    """Check one distribution's external address and rescore its dataset. Skipped for
    uploads, and (unless `force`) when the address was already checked since the
    distribution last changed, so a task delivered twice checks once."""
    distribution = Distribution.objects.filter(pk=distribution_id).first()
    if distribution is None or distribution.is_upload or not distribution.access_url:
        return None
    latest = distribution.link_checks.first()
    if not force and latest and latest.url == distribution.access_url and latest.checked_at >= distribution.modified:
        return None
    check = _save(distribution, probe(distribution.access_url))
    rescore(distribution.dataset_id)
    return check


def due_distributions(*, now=None):
    """External distributions not checked for LINKCHECK_INTERVAL_DAYS, never checked ones first."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.LINKCHECK_INTERVAL_DAYS)
    return (
        Distribution.objects.filter(file="")
        .exclude(access_url="")
        .annotate(last_checked=Max("link_checks__checked_at"))
        .filter(Q(last_checked__isnull=True) | Q(last_checked__lt=cutoff))
        .order_by(F("last_checked").asc(nulls_first=True), "pk")
    )


def check_due(*, limit: int | None = None) -> int:
    """Check every due distribution (at most `limit`, default LINKCHECK_BATCH_SIZE), a few at
    a time, then rescore the datasets concerned. Returns the number of checks."""
    limit = limit or settings.LINKCHECK_BATCH_SIZE
    return check_many(list(due_distributions().only("pk", "dataset_id", "access_url")[:limit]))


def check_many(distributions: list[Distribution]) -> int:
    """Check these distributions' addresses, a few at a time, then rescore the datasets
    concerned. Returns the number of checks."""
    if not distributions:
        return 0
    pool = ThreadPoolExecutor(max_workers=settings.LINKCHECK_MAX_WORKERS)
    futures = {pool.submit(probe, distribution.access_url): distribution for distribution in distributions}
    try:
        # Saved as they come in: a batch cut short by the task's time limit keeps what it
        # found, and the next run starts with the links it did not reach.
        for future in as_completed(futures):
            _save(futures[future], future.result())
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    for dataset_id in sorted({distribution.dataset_id for distribution in distributions}):
        rescore(dataset_id)
    return len(futures)


def changed_since_checked(distribution_ids: list[int]) -> list[Distribution]:
    """Of these distributions, the external ones whose address was not checked since they
    last changed (a task delivered twice checks once)."""
    latest = LinkCheck.objects.filter(distribution=OuterRef("pk")).order_by("-checked_at")
    return list(
        Distribution.objects.filter(pk__in=distribution_ids, file="")
        .exclude(access_url="")
        .annotate(checked_url=Subquery(latest.values("url")[:1]), checked_at=Subquery(latest.values("checked_at")[:1]))
        .filter(Q(checked_at__isnull=True) | Q(checked_at__lt=F("modified")) | ~Q(checked_url=F("access_url")))
        .only("pk", "dataset_id", "access_url")
    )


@shared_task(
    name="catalog.tasks.check_link", acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3
)
def check_link(distribution_id: int) -> bool | None:
    """Check a distribution's external address. (Kept for messages queued before check_links.)"""
    check = check_distribution(distribution_id)
    return check.ok if check is not None else None


@shared_task(name="catalog.tasks.check_links", acks_late=True)
def check_links(distribution_ids: list[int]) -> int:
    """Check the external addresses of distributions after they were added or changed (all
    of one transaction in one message, see catalog.receivers), a few at a time; the
    number checked."""
    return check_many(changed_since_checked(distribution_ids))


# A batch of up to LINKCHECK_BATCH_SIZE links, a few at a time, each bounded by its
# timeouts; its time limits are those of the "batch" kind (settings.TASK_KINDS).
@shared_task(name="catalog.tasks.check_due_links", acks_late=True)
def check_due_links() -> int:
    """Check the external links not checked for a week (scheduled daily by celery beat)."""
    return check_due()
