"""Who may see which agreements, requests and shared datasets; every sharing view asks
here, and nothing else in the app reads guardian directly.

- Agreements: anyone holding a role in the providing or the receiving organisation (or a
  unit above it) sees them; drafting, deciding and ending are checked in services.
- The internal catalog: staff of the network (any role anywhere) find the datasets of
  other organisations that are not published, as metadata only.
- Shared datasets: only through a grant in force at the moment of the request and the
  guardian permission that mirrors it; nothing else of the providing organisation.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import BigIntegerField, Exists, Q
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone
from guardian.models import UserObjectPermission

from catalog.models import Dataset, DatasetState
from catalog.permissions import visible_datasets
from governance.models import Role
from governance.permissions import organisations_with_role

from .models import AccessGrant, AccessRequest, SharingAgreement

# Who sees the requests and grants of an organisation's datasets (the owner decides).
PROVIDER_ROLES = (Role.OWNER, Role.STEWARD, Role.GOVERNANCE_ADMIN)


def visible_agreements(user):
    organisations = organisations_with_role(user).values("pk")
    return SharingAgreement.objects.filter(Q(provider__in=organisations) | Q(recipient__in=organisations))


def get_agreement_for_user(user, pk: int) -> SharingAgreement:
    try:
        return (
            visible_agreements(user)
            .select_related(
                "provider__legal_entity",
                "recipient__legal_entity",
                "contract__document",
                "created_by",
                "submitted_by",
                "owner_approved_by",
                "legal_approved_by",
                "ended_by",
            )
            .get(pk=pk)
        )
    except SharingAgreement.DoesNotExist:
        raise Http404 from None


def drafting_organisations(user):
    """Where a person may draft agreements, as provider or as recipient."""
    return organisations_with_role(user, Role.STEWARD, Role.OWNER)


def can_create_agreement(user) -> bool:
    return drafting_organisations(user).exists()


def internal_catalog(user):
    """Datasets of other organisations that are not published (published data is open
    anyway) and are classified (so access to them can be decided). Metadata only: views
    show title, description, publisher, keywords, themes and contact, nothing else."""
    return (
        Dataset.objects.filter(Exists(organisations_with_role(user)))  # staff only, in the same query
        .exclude(state=DatasetState.PUBLISHED)
        .filter(current_classification__isnull=False)
        .exclude(pk__in=visible_datasets(user).values("pk"))
    )


def get_catalog_dataset_for_user(user, name: str) -> tuple[Dataset, bool]:
    """A dataset of the internal catalog, or one the user sees in the catalog anyway
    (then as its provider: the second value is True). 404 otherwise."""
    queryset = Dataset.objects.select_related("publisher__legal_entity", "current_classification").prefetch_related(
        "keywords", "themes"
    )
    dataset = queryset.filter(name=name).first()
    if dataset is None:
        raise Http404
    if visible_datasets(user).filter(pk=dataset.pk).exists():
        return dataset, True
    if not internal_catalog(user).filter(pk=dataset.pk).exists():
        raise Http404
    return dataset, False


def accessible_datasets(user, at=None):
    """The datasets the user may read through sharing at `at` (default now): a grant in
    force *and* the guardian permission that mirrors it. One query."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated or not user.is_active:
        return Dataset.objects.none()
    at = at or timezone.now()
    grants = AccessGrant.objects.in_force(at).filter(user=user).values("dataset")
    mirrored = (
        UserObjectPermission.objects.filter(
            user=user,
            permission__codename="view_dataset",
            permission__content_type__app_label="catalog",
            content_type__app_label="catalog",
            content_type__model="dataset",
        )
        .annotate(dataset_id=Cast("object_pk", output_field=BigIntegerField()))
        .values("dataset_id")
    )
    return Dataset.objects.filter(pk__in=grants).filter(pk__in=mirrored)


def can_access(user, dataset: Dataset, at=None) -> bool:
    return accessible_datasets(user, at).filter(pk=dataset.pk).exists()


def get_shared_dataset_for_user(user, name: str, at=None) -> Dataset:
    """A dataset the user reads through a grant in force now; 404 otherwise, so neither
    its existence nor any other dataset of the organisation is revealed."""
    try:
        return (
            accessible_datasets(user, at)
            .select_related("publisher")
            .prefetch_related("keywords", "themes")
            .get(name=name)
        )
    except Dataset.DoesNotExist:
        raise Http404 from None


def provider_organisations(user):
    return organisations_with_role(user, *PROVIDER_ROLES)


def visible_requests(user):
    """Own requests, and the requests for datasets of organisations where the user is an
    owner, steward or governance admin."""
    if not user.is_authenticated:
        return AccessRequest.objects.none()
    return AccessRequest.objects.filter(
        Q(requester=user) | Q(dataset__publisher__in=provider_organisations(user).values("pk"))
    )


def get_request_for_user(user, pk: int) -> AccessRequest:
    try:
        return (
            visible_requests(user)
            .select_related(
                "dataset__publisher__legal_entity",
                "dataset__current_classification",
                "requester",
                "recipient__legal_entity",
                "agreement",
                "decided_by",
            )
            .get(pk=pk)
        )
    except AccessRequest.DoesNotExist:
        raise Http404 from None


def visible_grants(user):
    """Own grants, and the grants of datasets of the organisations the user provides for."""
    if not user.is_authenticated:
        return AccessGrant.objects.none()
    return AccessGrant.objects.filter(
        Q(user=user) | Q(dataset__publisher__in=provider_organisations(user).values("pk"))
    )


def get_grant_for_user(user, pk: int) -> AccessGrant:
    try:
        return visible_grants(user).select_related("dataset__publisher", "user", "request").get(pk=pk)
    except AccessGrant.DoesNotExist:
        raise Http404 from None
