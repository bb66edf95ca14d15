"""The portal's contribution to the strategy's computed indicators: how fast data
requests are answered. Registered as the source of the strategy metric
`data_requests_answered_30d_share` at start-up (portal.apps), so strategy, which sits
below the portal, never imports it."""

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q

from strategy.indicators import WINDOW, end_of_day, percent_share

from .models import DataRequest

ANSWER_DEADLINE = timedelta(days=30)


def data_requests_answered_30d_share(on: date) -> Decimal | None:
    """Share of data requests (Datenwünsche) answered within 30 days, in percent.

    Counted are the requests whose 30 days ended in the twelve months up to `on`
    (received between 395 and 30 days before), so every one of them had its full 30
    days. Answered: published (with a dataset) or declined (with a ground) – the time
    the portal stamps as `answered_at`; „in Bearbeitung“ is no answer. A request
    answered and later re-opened has no answer time and counts as not answered. None
    when no request is due."""
    cutoff = end_of_day(on)
    due = DataRequest.objects.filter(
        created__gte=cutoff - ANSWER_DEADLINE - WINDOW, created__lt=cutoff - ANSWER_DEADLINE
    )
    counts = due.aggregate(
        total=Count("pk"),
        answered=Count("pk", filter=Q(answered_at__lte=F("created") + ANSWER_DEADLINE)),
    )
    return percent_share(counts["answered"], counts["total"])
