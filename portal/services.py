"""Writes of the portal: the search index, data requests, votes and comments. Views
and tasks call these; the public side never writes catalog data."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Dataset
from governance.models import VocabularyTerm
from governance.vocabularies import Vocabulary

from .models import Comment, CommentStatus, DataRequest, DataRequestStatus, SearchDocument, Vote


class PortalError(Exception):
    """Something the rules do not allow; the message is shown to the user."""


# ---------------------------------------------------------------------------
# The search index


def search_vector():
    return (
        SearchVector("title", weight="A", config="german")
        + SearchVector("keywords", weight="B", config="german")
        + SearchVector("description", weight="C", config="german")
    )


def index_dataset(dataset_id: int) -> None:
    """Write the search document of one dataset (every state: the public side filters
    by `published()` at query time). Three queries; on PostgreSQL one more."""
    row = Dataset.objects.filter(pk=dataset_id).values("title", "description").first()
    if row is None:
        return
    keywords = " ".join(
        Dataset.keywords.through.objects.filter(dataset_id=dataset_id).values_list("keyword__name", flat=True)
    )
    SearchDocument.objects.update_or_create(
        dataset_id=dataset_id,
        defaults={"title": row["title"], "description": row["description"], "keywords": keywords},
    )
    if connection.vendor == "postgresql":
        SearchDocument.objects.filter(pk=dataset_id).update(vector=search_vector())


def reindex_all() -> int:
    """Rebuild the whole index (after an import or a restore)."""
    count = 0
    for pk in Dataset.objects.values_list("pk", flat=True).iterator(chunk_size=1000):
        index_dataset(pk)
        count += 1
    return count


# ---------------------------------------------------------------------------
# Rate limits (Django's cache: per process with LocMem, shared with Redis/Memcached)


def client_ip(request) -> str:
    """The client's address; behind PROXY_COUNT trusted proxies, from X-Forwarded-For."""
    proxies = settings.AXES_IPWARE_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def hashed(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def rate_limited(scope: str, key: str, *, limit: int, period: int) -> bool:
    """Count one attempt of `key` in `scope`; True once more than `limit` attempts fell
    into the current window of `period` seconds."""
    window = int(timezone.now().timestamp()) // period
    cache_key = f"portal:rl:{scope}:{hashed(key)[:32]}:{window}"
    cache.add(cache_key, 0, timeout=period)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=period)
        count = 1
    return count > limit


# ---------------------------------------------------------------------------
# Data requests


def exclusion_ground_choices(on=None) -> list[tuple[str, str]]:
    terms = VocabularyTerm.objects.in_force(on).filter(vocabulary=Vocabulary.EXCLUSION_GROUND).order_by("label")
    return [(term.code, term.label) for term in terms]


def ground_labels(codes) -> dict[str, str]:
    codes = set(codes) - {""}
    if not codes:
        return {}
    terms = VocabularyTerm.objects.filter(vocabulary=Vocabulary.EXCLUSION_GROUND, code__in=codes).order_by("valid_from")
    return dict(terms.values_list("code", "label"))


def create_data_request(*, title: str, description: str, email: str = "") -> DataRequest:
    from .tasks import send_data_request_confirmation

    data_request = DataRequest(title=title, description=description, email=email)
    data_request.full_clean()
    with transaction.atomic():
        data_request._change_reason = "portal.data_request.created"
        data_request.save()
        if email:
            send_data_request_confirmation.delay_on_commit(data_request.pk)
    return data_request


def triage_data_request(
    data_request: DataRequest, *, by, status: str, answer: str = "", dataset=None, decline_ground: str = ""
) -> DataRequest:
    """Staff set the status and answer. Published needs a published dataset to link;
    declined needs an exclusion ground of the vocabulary and an answer."""
    errors = {}
    if status not in DataRequestStatus.values:
        errors["status"] = _("Unbekannter Status.")
    if status == DataRequestStatus.PUBLISHED and (
        dataset is None or not Dataset.objects.published().filter(pk=dataset.pk).exists()
    ):
        errors["dataset"] = _("Bitte verknüpfen Sie einen veröffentlichten Datensatz.")
    if status == DataRequestStatus.DECLINED:
        if decline_ground not in dict(exclusion_ground_choices()):
            errors["decline_ground"] = _("Bitte nennen Sie den Ausschlussgrund.")
        if not answer.strip():
            errors["answer"] = _("Bitte begründen Sie die Ablehnung in einfachen Worten.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        data_request = DataRequest.objects.select_for_update().get(pk=data_request.pk)
        data_request.status = status
        data_request.answer = answer.strip()
        data_request.dataset = dataset if status == DataRequestStatus.PUBLISHED else None
        data_request.decline_ground = decline_ground if status == DataRequestStatus.DECLINED else ""
        if data_request.is_answered and data_request.answered_at is None:
            data_request.answered_at = timezone.now()
        if not data_request.is_answered:
            data_request.answered_at = None
        data_request._history_user = by
        data_request._change_reason = f"portal.data_request.{status}"
        data_request.save()
    return data_request


# ---------------------------------------------------------------------------
# Feedback


def vote(dataset: Dataset, *, voter: str) -> bool:
    """Count "Finde ich wichtig" once per browser; False if this browser voted already."""
    try:
        with transaction.atomic():
            Vote.objects.create(dataset=dataset, voter=hashed(voter))
    except IntegrityError:
        return False
    return True


def has_voted(dataset: Dataset, voter: str | None) -> bool:
    return bool(voter) and Vote.objects.filter(dataset=dataset, voter=hashed(voter)).exists()


def add_comment(dataset: Dataset, *, name: str, text: str) -> Comment:
    if not dataset.is_published:
        raise PortalError(_("Dieser Datensatz ist nicht veröffentlicht."))
    comment = Comment(dataset=dataset, name=name.strip(), text=text.strip())
    comment.full_clean()
    comment._change_reason = "portal.comment.created"
    comment.save()
    return comment


def moderate_comment(comment: Comment, *, by, approve: bool) -> Comment:
    with transaction.atomic():
        comment = Comment.objects.select_for_update().get(pk=comment.pk)
        comment.status = CommentStatus.APPROVED if approve else CommentStatus.REJECTED
        comment.moderated_at = timezone.now()
        comment._history_user = by
        comment._change_reason = f"portal.comment.{comment.status}"
        comment.save()
    return comment
