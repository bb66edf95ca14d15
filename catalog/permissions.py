"""Who may see and change which datasets. Every catalog view and API endpoint asks
here; the public portal never does: it only reads Dataset.objects.published()."""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from governance.models import Role
from governance.permissions import has_role, organisations_with_role

from .models import (
    ChangeState,
    Dataset,
    DatasetChange,
    DatasetState,
    HarvestJob,
    HarvestOrganisationMapping,
    HarvestSource,
)

# Roles that let a person read the internal catalog of an organisation (and the units below).
READING_ROLES = (Role.STEWARD, Role.OWNER, Role.LEGAL_REVIEWER, Role.GOVERNANCE_ADMIN)


def visible_datasets(user):
    """Datasets of the organisations in which the user holds a reading role; members
    of the ethics board see only the datasets waiting for the board's outcome (or
    whose pending change does)."""
    board = organisations_with_role(user, Role.ETHICS_BOARD_MEMBER).values("pk")
    waiting_change = DatasetChange.objects.filter(dataset=OuterRef("pk"), state=ChangeState.ETHICS_REVIEW)
    return Dataset.objects.filter(
        Q(publisher__in=organisations_with_role(user, *READING_ROLES).values("pk"))
        | Q(state=DatasetState.ETHICS_REVIEW, publisher__in=board)
        | Q(Exists(waiting_change), publisher__in=board)
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


# ---------------------------------------------------------------------------
# Harvesting: governance admins of a source's organisation configure and run it;
# stewards and admins of the organisations it feeds (its own and the mapped ones) read
# it and its runs. Everyone else: 404.


def harvest_admin_organisations(user):
    """Organisations a user may harvest into: where they are governance admin."""
    return organisations_with_role(user, Role.GOVERNANCE_ADMIN)


def can_configure_harvesting(user) -> bool:
    return harvest_admin_organisations(user).exists()


def can_view_harvesting(user) -> bool:
    return organisations_with_role(user, Role.STEWARD, Role.GOVERNANCE_ADMIN).exists()


def visible_harvest_sources(user):
    organisations = organisations_with_role(user, Role.STEWARD, Role.GOVERNANCE_ADMIN).values("pk")
    mapped = HarvestOrganisationMapping.objects.filter(organisation__in=organisations).values("source")
    return HarvestSource.objects.filter(Q(default_organisation__in=organisations) | Q(pk__in=mapped))


def can_manage_harvest_source(user, source) -> bool:
    return has_role(user, Role.GOVERNANCE_ADMIN, source.default_organisation)


def get_harvest_source_for_user(user, pk: int, *, manage: bool = False):
    """Fetch a source the user may see (404 otherwise) and, with manage=True, may
    configure and run (403)."""
    try:
        source = visible_harvest_sources(user).select_related("default_organisation", "responsible").get(pk=pk)
    except HarvestSource.DoesNotExist:
        raise Http404 from None
    if manage and not can_manage_harvest_source(user, source):
        raise PermissionDenied
    return source


def get_harvest_job_for_user(user, pk: int):
    try:
        return HarvestJob.objects.select_related("source__default_organisation", "triggered_by").get(
            pk=pk, source__in=visible_harvest_sources(user)
        )
    except HarvestJob.DoesNotExist:
        raise Http404 from None
