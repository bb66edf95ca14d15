"""What waits for someone in data sharing, for the governance task inbox: agreements to
approve as the provider's data owner or to review as its legal office, and access
requests to decide. Four eyes: nobody is asked to approve what they drafted, submitted
or asked for themselves."""

from django.db.models import CharField, F, Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.inbox import Task, due_after
from governance.models import Role
from governance.permissions import organisations_with_role

from .models import AccessRequest, AgreementStatus, RequestStatus, SharingAgreement


def tasks_for(user) -> list[Task]:
    """One query, whatever waits: agreements and requests in a single UNION."""
    if not user.is_authenticated:
        return []
    owner_of = organisations_with_role(user, Role.OWNER).values("pk")
    legal_for = organisations_with_role(user, Role.LEGAL_REVIEWER).values("pk")
    not_drafted = ~Q(created_by=user) & (Q(submitted_by__isnull=True) | ~Q(submitted_by=user))
    agreements = (
        SharingAgreement.objects.filter(
            Q(status=AgreementStatus.OWNER_APPROVAL, provider__in=owner_of)
            | Q(status=AgreementStatus.LEGAL_REVIEW, provider__in=legal_for) & ~Q(owner_approved_by=user),
            not_drafted,
        )
        .annotate(kind=Value("agreement", output_field=CharField()), heading=F("title"), org=F("provider__name"))
        .values_list("kind", "pk", "heading", "org", "status", "status_changed_at")
        .order_by()  # SQLite refuses ORDER BY inside a UNION; the inbox sorts the tasks itself
    )
    requests = (
        AccessRequest.objects.filter(status=RequestStatus.PENDING, dataset__publisher__in=owner_of)
        .exclude(requester=user)
        .annotate(
            kind=Value("request", output_field=CharField()), heading=F("dataset__title"), org=F("recipient__name")
        )
        .values_list("kind", "pk", "heading", "org", "status", "created")
        .order_by()
    )
    today = timezone.localdate()
    labels = {
        AgreementStatus.OWNER_APPROVAL: _("Vereinbarung freigeben (Dateneigentümer:in)"),
        AgreementStatus.LEGAL_REVIEW: _("Rechtsprüfung einer Datennutzungsvereinbarung"),
        RequestStatus.PENDING: _("Zugangsantrag entscheiden"),
    }
    tasks = []
    for kind, pk, heading, organisation, status, since in agreements.union(requests, all=True):
        due = due_after(since)
        url = reverse("sharing:agreement_detail" if kind == "agreement" else "sharing:request_detail", args=[pk])
        tasks.append(Task(heading, url, str(labels[status]), organisation, since, due, bool(due and due < today)))
    return tasks
