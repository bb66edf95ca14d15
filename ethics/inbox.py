"""What waits for someone in the ethics process, for the governance task inbox:
questionnaires to answer, reviews to vote on (data uses; a dataset's review is already
in the catalog's inbox as "Ethikprüfung") and open conditions, overdue ones first."""

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from catalog.models import ChangeState, Dataset, DatasetChange, DatasetState
from governance.inbox import Task, due_after
from governance.models import Role
from governance.permissions import linked_people, organisations_with_role

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
                    str(_("Auflage erfüllen: %(text)s") % {"text": shortened(condition.text)}),
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


def shortened(text: str, words: int = 8) -> str:
    """The first words of a text for a task label, cut between words (with "…"), never inside one."""
    return Truncator(" ".join(text.split())).words(words, truncate="…")


def without_votes_cast(user, tasks: list[Task]) -> list[Task]:
    """The catalog lists a dataset (or a change) in ethics review for every board member
    who may vote; once the member has voted in the open review (or declared a conflict),
    or the person they stand in for has (one voice), that is no task any more. One query,
    none without a task in ethics review."""
    reviewed = [
        task
        for task in tasks
        if isinstance(task.subject, (Dataset, DatasetChange))
        and task.subject.state in (DatasetState.ETHICS_REVIEW, ChangeState.ETHICS_REVIEW)
    ]
    if not reviewed or not user.is_authenticated:
        return tasks
    votes = Vote.objects.filter(member__in=linked_people(user), review__status=ReviewStatus.VOTING).filter(
        Q(review__dataset__in=[t.subject.pk for t in reviewed if isinstance(t.subject, Dataset)])
        | Q(review__change__in=[t.subject.pk for t in reviewed if isinstance(t.subject, DatasetChange)])
    )
    voted = set(votes.values_list("review__dataset", "review__change"))
    done_datasets = {dataset for dataset, change in voted if change is None}
    done_changes = {change for _dataset, change in voted if change is not None}

    def done(task) -> bool:
        if isinstance(task.subject, DatasetChange):
            return task.subject.pk in done_changes
        return isinstance(task.subject, Dataset) and task.subject.pk in done_datasets

    return [task for task in tasks if not done(task)]
