"""Who may see and change which datasets. Every catalog view and API endpoint asks
here; the public portal never does: it only reads Dataset.objects.published()."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from governance.models import Role
from governance.permissions import has_role, organisations_with_role

from .models import Dataset, DatasetState

# Roles that let a person read the internal catalog of an organisation (and the units below).
READING_ROLES = (Role.STEWARD, Role.OWNER, Role.LEGAL_REVIEWER, Role.GOVERNANCE_ADMIN)


def visible_datasets(user):
    """Datasets of the organisations in which the user holds a reading role; members
    of the ethics board see only the datasets waiting for the board's outcome."""
    return Dataset.objects.filter(
        Q(publisher__in=organisations_with_role(user, *READING_ROLES).values("pk"))
        | Q(
            state=DatasetState.ETHICS_REVIEW,
            publisher__in=organisations_with_role(user, Role.ETHICS_BOARD_MEMBER).values("pk"),
        )
    )


def editing_organisations(user):
    """Organisations whose datasets the user may create and change: data stewards only."""
    return organisations_with_role(user, Role.STEWARD)


def can_edit_dataset(user, dataset: Dataset) -> bool:
    return has_role(user, Role.STEWARD, dataset.publisher)


def can_use_catalog(user) -> bool:
    return organisations_with_role(user, *READING_ROLES, Role.ETHICS_BOARD_MEMBER).exists()


def get_dataset_for_user(user, name: str, *, edit: bool = False, queryset=None) -> Dataset:
    """Fetch a dataset the user may see (404 otherwise, so its existence stays hidden)
    and, with edit=True, may change (403)."""
    queryset = visible_datasets(user) if queryset is None else queryset & visible_datasets(user)
    try:
        dataset = queryset.select_related("publisher").get(name=name)
    except Dataset.DoesNotExist:
        raise Http404 from None
    if edit and not can_edit_dataset(user, dataset):
        raise PermissionDenied
    return dataset
