"""What ethics tells a governance admin's start page (governance.overview): the ethics
reviews not yet completed."""

from django.utils.translation import gettext_lazy as _

from governance.overview import Item, Signal, register_signal

from .models import EthicsReview, ReviewStatus


def pending_reviews(organisation_ids):
    return EthicsReview.objects.filter(organisation__in=organisation_ids).exclude(status=ReviewStatus.COMPLETED)


def _items(organisation_ids) -> list[Item]:
    reviews = pending_reviews(organisation_ids).select_related("organisation", "dataset", "data_use")
    return [
        Item(str(review.subject), review.get_absolute_url(), review.organisation.name, review.get_status_display())
        for review in reviews.order_by("opened_at", "pk")[:500]
    ]


def register() -> None:
    register_signal(
        Signal(
            "ethik",
            _("Offene Ethikprüfungen"),
            _("Ethikprüfungen, deren Fragebogen noch bearbeitet wird oder über die der Beirat noch berät."),
            count=lambda ids: pending_reviews(ids).count(),
            items=_items,
            order=20,
        )
    )
