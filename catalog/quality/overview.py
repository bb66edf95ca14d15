"""What the catalog tells a governance admin's start page (governance.overview):
reviews past their due date, datasets with broken links, datasets overdue for an
update. Each count is one query; the lists behind them one query each too."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from governance.inbox import due_after
from governance.overview import Item, Signal, register_signal

from ..models import REVIEW_STATES, Dataset, DatasetState
from .scoring import EXPECTED_INTERVAL, freshness


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def latest_start_not_due(today: date) -> date:
    """The last day on which a task could start and be overdue today (its due date,
    WORKFLOW_DUE_WORKING_DAYS working days later, lies before today)."""
    day = today
    while due_after(_start_of(day)) >= today:
        day -= timedelta(days=1)
    return day


def overdue_reviews(organisation_ids, today: date | None = None):
    """Datasets in review (owner, ethics, legal) or asked for a re-review whose task is
    past its due date, as the task inbox computes it (catalog.inbox.task_due)."""
    cutoff = _start_of(latest_start_not_due(today or timezone.localdate()) + timedelta(days=1))
    return (
        Dataset.objects.filter(publisher__in=organisation_ids)
        .annotate(since=Coalesce("state_changed_at", "modified"))
        .filter(
            Q(state__in=REVIEW_STATES, since__lt=cutoff)
            | Q(state=DatasetState.PUBLISHED, rereview_requested_at__lt=cutoff)
        )
    )


def with_broken_links(organisation_ids):
    """Datasets whose last scoring found an external address not reachable (the link
    check's latest result, as the steward's quality panel shows it)."""
    return Dataset.objects.filter(publisher__in=organisation_ids, quality_score__isnull=False).exclude(
        quality_score__broken_links=[]
    )


def overdue_updates(organisation_ids, today: date | None = None):
    """Published datasets not updated as their declared frequency promises: the same
    rule as scoring.freshness (last change + interval before today)."""
    today = today or timezone.localdate()
    stale = Q(pk__in=[])
    for frequency, interval in EXPECTED_INTERVAL.items():
        stale |= Q(update_frequency=str(frequency), modified__lt=_start_of(today - interval))
    return Dataset.objects.published().filter(stale, publisher__in=organisation_ids)


def _items(datasets, detail) -> list[Item]:
    return [
        Item(dataset.title, dataset.get_absolute_url(), dataset.publisher.name, detail(dataset))
        for dataset in datasets.select_related("publisher", "quality_score").order_by("title", "pk")[:500]
    ]


def _review_detail(dataset) -> str:
    return str(dataset.get_state_display())


def _links_detail(dataset) -> str:
    return ", ".join(link["title"] for link in dataset.quality_score.broken_links)


def _update_detail(dataset) -> str:
    fresh = freshness(dataset)
    return str(_("fällig seit %(day)s")) % {"day": date_format(fresh.due, "SHORT_DATE_FORMAT")} if fresh.due else ""


def register() -> None:
    register_signal(
        Signal(
            "pruefungen",
            _("Überfällige Prüfungen"),
            _("Datensätze, deren Prüfung (Freigabe, Ethik, Recht, erneute Prüfung) über der Frist liegt."),
            count=lambda ids: overdue_reviews(ids).count(),
            items=lambda ids: _items(overdue_reviews(ids), _review_detail),
            order=10,
        )
    )
    register_signal(
        Signal(
            "links",
            _("Defekte Links"),
            _("Datensätze mit mindestens einer nicht erreichbaren Adresse (letzte Linkprüfung)."),
            count=lambda ids: with_broken_links(ids).count(),
            items=lambda ids: _items(with_broken_links(ids), _links_detail),
            order=30,
        )
    )
    register_signal(
        Signal(
            "aktualisierungen",
            _("Überfällige Aktualisierungen"),
            _("Veröffentlichte Datensätze, die seltener aktualisiert werden, als ihre Aktualisierungsfrequenz angibt."),
            count=lambda ids: overdue_updates(ids).count(),
            items=lambda ids: _items(overdue_updates(ids), _update_detail),
            order=40,
        )
    )
