"""What waits for someone in the portal, for the governance task inbox: the data
requests triage routed to them that are not answered yet, due on the day the strategy
promises an answer (DATA_REQUEST_RESPONSE_DAYS after receipt)."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.inbox import Task

from .models import DataRequest, DataRequestStatus


def tasks_for(user) -> list[Task]:
    """One query."""
    if not user.is_authenticated:
        return []
    today = timezone.localdate()
    waiting = (
        DataRequest.objects.filter(assignee=user, status__in=(DataRequestStatus.OPEN, DataRequestStatus.IN_PROGRESS))
        .select_related("organisation")
        .order_by("created", "pk")
    )
    return [
        Task(
            data_request.title,
            reverse("portal:triage_detail", args=[data_request.pk]),
            _("Datenwunsch beantworten"),
            data_request.organisation.name if data_request.organisation else "",
            data_request.created,
            data_request.due,
            data_request.due < today,
            subject=data_request,
        )
        for data_request in waiting
    ]
