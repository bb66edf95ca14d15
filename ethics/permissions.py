"""Who may see which ethics reviews and data uses; every ethics view asks here.

Board members see the reviews of the organisations they sit on the board for;
applicants see their own; stewards and owners see the reviews of their organisation's
datasets (they answer them) and governance admins (auditors) everything of theirs,
read-only. The public sees only completed reviews' summaries (services.public_summaries)."""

from django.db.models import Q
from django.http import Http404

from governance.models import Role
from governance.permissions import organisations_with_role

from .models import DataUse, EthicsReview

READING_ROLES = (Role.ETHICS_BOARD_MEMBER, Role.GOVERNANCE_ADMIN)
DATASET_ROLES = (Role.STEWARD, Role.OWNER)


def visible_reviews(user):
    if not user.is_authenticated:
        return EthicsReview.objects.none()
    return EthicsReview.objects.filter(
        Q(organisation__in=organisations_with_role(user, *READING_ROLES).values("pk"))
        | Q(dataset__isnull=False, organisation__in=organisations_with_role(user, *DATASET_ROLES).values("pk"))
        | Q(applicant=user)
        | Q(answered_by=user)
    )


def visible_data_uses(user):
    if not user.is_authenticated:
        return DataUse.objects.none()
    return DataUse.objects.filter(
        Q(organisation__in=organisations_with_role(user, *READING_ROLES, Role.STEWARD).values("pk")) | Q(applicant=user)
    )


def data_use_organisations(user):
    """Where a person may register a data use: any organisation they hold a role in."""
    return organisations_with_role(user)


def can_edit_data_use(user, data_use: DataUse) -> bool:
    return (
        user.pk == data_use.applicant_id
        or organisations_with_role(user, Role.STEWARD).filter(pk=data_use.organisation_id).exists()
    )


def can_open_review(user, data_use: DataUse) -> bool:
    """The applicant, a steward or a board member of the organisation asks for a review;
    governance admins read data uses but do not apply."""
    return user.pk == data_use.applicant_id or (
        organisations_with_role(user, Role.STEWARD, Role.ETHICS_BOARD_MEMBER)
        .filter(pk=data_use.organisation_id)
        .exists()
    )


def get_review_for_user(user, pk: int) -> EthicsReview:
    try:
        return visible_reviews(user).select_related("organisation", "dataset", "data_use", "questionnaire").get(pk=pk)
    except EthicsReview.DoesNotExist:
        raise Http404 from None


def get_data_use_for_user(user, pk: int) -> DataUse:
    try:
        return visible_data_uses(user).select_related("organisation", "applicant").get(pk=pk)
    except DataUse.DoesNotExist:
        raise Http404 from None
