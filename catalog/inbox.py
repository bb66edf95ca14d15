"""The task inbox of the catalog: which datasets wait for whom, since when and until
when, and the decision trail of a dataset. Read-only; the governance inbox collects
these tasks (registered in catalog.apps)."""

from __future__ import annotations

from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from governance.inbox import Task, due_after
from governance.models import Decision, Role, RuleVersion, VocabularyTerm
from governance.permissions import linked_people, organisations_with_role
from governance.rules import ReviewRole
from governance.vocabularies import Vocabulary

from .engine import PUBLISHABLE_FORMS
from .models import REVIEW_STATES, Dataset, DatasetState
from .workflow import release_label

S = DatasetState


TASK_LABELS = {
    S.RETURNED: gettext_lazy("Überarbeiten und erneut einreichen"),
    S.APPROVED: gettext_lazy("Veröffentlichen"),
    S.IN_REVIEW: gettext_lazy("Freigabe als Dateneigentümer:in"),
    S.ETHICS_REVIEW: gettext_lazy("Ethikprüfung"),
    S.LEGAL_REVIEW: gettext_lazy("Rechtsprüfung"),
    S.PUBLISHED: gettext_lazy("Erneute Prüfung"),
}
# Which role a waiting dataset asks for, by state.
TASK_ROLES = {
    S.RETURNED: Role.STEWARD,
    S.APPROVED: Role.STEWARD,
    S.IN_REVIEW: Role.OWNER,
    S.ETHICS_REVIEW: Role.ETHICS_BOARD_MEMBER,
    S.LEGAL_REVIEW: Role.LEGAL_REVIEWER,
    S.PUBLISHED: Role.LEGAL_REVIEWER,
}


# Approved and waiting to be published by hand: not under a release time (Sperrfrist).
TO_PUBLISH = Q(state=S.APPROVED, publication_outcome__in=PUBLISHABLE_FORMS, release_at__isnull=True)
RELEASE_PLANNED = gettext_lazy("Veröffentlichung geplant am %(time)s")


def waiting_datasets():
    """Datasets that wait for someone, with the condition per state."""
    return (
        Q(state=S.RETURNED)
        | TO_PUBLISH
        | Q(state__in=(S.IN_REVIEW, S.ETHICS_REVIEW, S.LEGAL_REVIEW))
        | Q(state=S.PUBLISHED, rereview_requested_at__isnull=False)
    )


def task_label(dataset: Dataset) -> str:
    if dataset.state == S.APPROVED and dataset.release_at is not None:
        return RELEASE_PLANNED % {"time": release_label(dataset.release_at)}
    return TASK_LABELS[dataset.state]


def task_since(dataset: Dataset):
    if dataset.state == S.PUBLISHED:
        return dataset.rereview_requested_at
    return dataset.state_changed_at or dataset.modified


def task_due(dataset: Dataset) -> date | None:
    if dataset.release_at is not None:  # nothing to do: the release happens on its own
        return None
    return due_after(task_since(dataset))


def tasks_for(user) -> list[Task]:
    """What waits for `user`, oldest first: per role in the publisher's organisation;
    legal and ethics reviews only where the four-eyes principle lets the user act. A
    release planned for a set time (Sperrfrist) is shown to the stewards and the legal
    reviewers (who may move it), without a due date: nobody has to act."""
    if not user.is_authenticated:
        return []

    def orgs(role):
        return organisations_with_role(user, role).values("pk")

    # The user and whoever they stand in for or who stands in for them are one person here.
    people = linked_people(user)
    not_involved = ~Q(submitted_by__in=people) & ~Q(current_classification__classified_by__in=people)
    condition = (
        (Q(state__in=(S.RETURNED,)) | TO_PUBLISH) & Q(publisher__in=orgs(Role.STEWARD))
        | Q(state=S.APPROVED, release_at__isnull=False)
        & (Q(publisher__in=orgs(Role.STEWARD)) | Q(publisher__in=orgs(Role.LEGAL_REVIEWER)))
        | Q(state=S.IN_REVIEW, publisher__in=orgs(Role.OWNER))
        | Q(state=S.ETHICS_REVIEW, publisher__in=orgs(Role.ETHICS_BOARD_MEMBER)) & not_involved
        | (Q(state=S.LEGAL_REVIEW) | Q(state=S.PUBLISHED, rereview_requested_at__isnull=False))
        & Q(publisher__in=orgs(Role.LEGAL_REVIEWER))
        & not_involved
    )
    datasets = Dataset.objects.filter(condition).select_related("publisher").order_by("state_changed_at", "pk")
    today = timezone.localdate()
    tasks = []
    for dataset in datasets:
        due = task_due(dataset)
        tasks.append(
            Task(
                dataset.title,
                dataset.get_absolute_url() + "#workflow",
                task_label(dataset),
                dataset.publisher.name,
                task_since(dataset),
                due,
                bool(due and due < today),
                subject=dataset,
            )
        )
    tasks.sort(key=lambda task: (task.due or date.max, task.title))
    return tasks


def decision_trail(dataset: Dataset) -> list[Decision]:
    """Every decision about the dataset, newest first, with the rule versions that
    applied (`fired_rules`) and their policy paragraphs."""
    decisions = list(
        Decision.objects.filter(subject_type=ContentType.objects.get_for_model(Dataset), subject_id=str(dataset.pk))
        .select_related("actor")
        .prefetch_related(
            Prefetch(
                "rule_versions",
                queryset=RuleVersion.objects.select_related("rule", "section", "policy_version__document"),
            )
        )
        .order_by("-decided_at", "-pk")
    )
    codes = {code for decision in decisions for code in decision.exclusion_grounds}
    ground_labels = dict(
        VocabularyTerm.objects.filter(vocabulary=Vocabulary.EXCLUSION_GROUND, code__in=codes)
        .order_by("valid_from")
        .values_list("code", "label")
    ) if codes else {}  # fmt: skip
    review_labels = dict(ReviewRole.choices)
    for decision in decisions:
        fired = {step["rule"] for step in decision.evaluation.get("trace", []) if step.get("result")}
        decision.fired_rules = [rv for rv in decision.rule_versions.all() if rv.rule.code in fired]
        decision.ground_labels = [ground_labels.get(code, code) for code in decision.exclusion_grounds]
        decision.review_labels = [str(review_labels.get(role, role)) for role in decision.required_reviews]
    return decisions


def is_under_review(dataset: Dataset) -> bool:
    return dataset.state in REVIEW_STATES
