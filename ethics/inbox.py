"""What waits for someone in the ethics process, for the governance task inbox:
questionnaires to answer, reviews to vote on (data uses; a dataset's review is already
in the catalog's inbox as "Ethikprüfung") and open conditions, overdue ones first."""

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.inbox import Task, due_after
from governance.models import Role
from governance.permissions import organisations_with_role

from .models import Condition, EthicsReview, ReviewStatus, Vote


def tasks_for(user) -> list[Task]:
    """One query when nothing waits (the inbox is on every staff member's start page),
    two otherwise (the user's open conditions are prefetched)."""
    if not user.is_authenticated:
        return []
    today = timezone.localdate()
    steward_orgs = organisations_with_role(user, Role.STEWARD).values("pk")
    board_orgs = organisations_with_role(user, Role.ETHICS_BOARD_MEMBER).values("pk")
    answering = Q(status=ReviewStatus.ANSWERING) & (
        Q(applicant=user) | Q(dataset__isnull=False, organisation__in=steward_orgs)
    )
    voting = (
        Q(status=ReviewStatus.VOTING, data_use__isnull=False, organisation__in=board_orgs)
        & ~Q(pk__in=Vote.objects.filter(member=user).values("review"))
        & ~Q(applicant=user)
        & (Q(answered_by__isnull=True) | ~Q(answered_by=user))
    )
    # Conditions bind once the board has closed the review.
    open_conditions = Condition.objects.open().filter(owner=user, review__status=ReviewStatus.COMPLETED)
    my_conditions = Q(pk__in=open_conditions.values("review"))
    reviews = (
        EthicsReview.objects.filter(answering | voting | my_conditions)
        .select_related("organisation", "dataset", "data_use")
        .prefetch_related(
            Prefetch("conditions", queryset=Condition.objects.open().filter(owner=user), to_attr="my_conditions")
        )
    )
    tasks = []
    for review in reviews:
        if review.status == ReviewStatus.ANSWERING and (
            review.applicant_id == user.pk or review.dataset_id is not None
        ):
            tasks.append(_review_task(review, review.opened_at, _("Ethik-Fragebogen beantworten"), today))
        elif review.status == ReviewStatus.VOTING and review.data_use_id:
            tasks.append(_review_task(review, review.submitted_at, _("Ethikvotum"), today))
        for condition in review.my_conditions if review.status == ReviewStatus.COMPLETED else []:
            tasks.append(
                Task(
                    str(review.subject),
                    review.get_absolute_url() + f"#auflage-{condition.pk}",
                    str(_("Auflage erfüllen: %(text)s") % {"text": condition.text[:60]}),
                    review.organisation.name,
                    condition.created,
                    condition.due_on,
                    condition.due_on < today,
                )
            )
    return tasks


def _review_task(review, since, label, today) -> Task:
    due = due_after(since)
    return Task(str(review.subject), review.get_absolute_url(), str(label), review.organisation.name, since, due,
                bool(due and due < today))  # fmt: skip
