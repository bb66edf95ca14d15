"""Writes of the portal: the search index, data requests, votes and comments. Views
and tasks call these; the public side never writes catalog data."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Dataset, DatasetState, Distribution, Keyword, Theme
from core import deferred, participation
from core.errors import DomainError
from core.participation import hashed
from governance.models import RoleAssignment, VocabularyTerm
from governance.vocabularies import Vocabulary

from .models import Comment, CommentStatus, DataRequest, DataRequestStatus, SearchDocument, Vote


class PortalError(DomainError):
    """Something the rules do not allow; the message is shown to the user."""


# ---------------------------------------------------------------------------
# The search index


# The row of portal_searchdocument for each dataset of `datasets` (a subquery of ids), in
# one statement on PostgreSQL; the lists are aggregated per table, not per row, so that
# reindexing the whole catalogue takes hash joins. The vector weights title A > keywords
# B > description C (German); lists are sorted, formats distinct and without empty ones.
# Every facet value of `datasets` gets its number (portal.SearchFacetValue) first.
_FACET_VALUES_SQL = """
INSERT INTO portal_searchfacetvalue (facet, value)
SELECT DISTINCT v.facet, v.value FROM (
    SELECT 'thema' AS facet, t.code AS value
    FROM catalog_dataset_themes AS dt JOIN catalog_theme AS t ON t.id = dt.theme_id
    WHERE dt.dataset_id IN (%(datasets)s)
    UNION ALL
    SELECT 'format', d.format FROM catalog_distribution AS d WHERE d.dataset_id IN (%(datasets)s)
    UNION ALL
    SELECT 'schlagwort', k.name
    FROM catalog_dataset_keywords AS dk JOIN catalog_keyword AS k ON k.id = dk.keyword_id
    WHERE dk.dataset_id IN (%(datasets)s)
    UNION ALL
    SELECT unnest(ARRAY['organisation', 'lizenz', 'hvd', 'aktualisierung']),
        unnest(ARRAY[dataset.publisher_id::text, dataset.licence, dataset.hvd_category, dataset.update_frequency])
    FROM catalog_dataset AS dataset WHERE dataset.id IN (%(datasets)s)
) AS v
WHERE v.value <> ''
ON CONFLICT (facet, value) DO NOTHING
"""

_INDEX_SQL = """
INSERT INTO portal_searchdocument AS document (
    dataset_id, title, keywords, description, vector, published, publisher_id, licence, hvd_category,
    update_frequency, issued, themes, formats, keyword_names, facet_values, updated
)
SELECT
    dataset.id, dataset.title, array_to_string(COALESCE(keyword.names, '{}'), ' '), dataset.description,
    setweight(to_tsvector('german'::regconfig, COALESCE(dataset.title, '')), 'A')
    || setweight(to_tsvector('german'::regconfig, array_to_string(COALESCE(keyword.names, '{}'), ' ')), 'B')
    || setweight(to_tsvector('german'::regconfig, COALESCE(dataset.description, '')), 'C'),
    dataset.state = %(published)s, dataset.publisher_id, dataset.licence, dataset.hvd_category,
    dataset.update_frequency, dataset.issued, COALESCE(theme.codes, '{}'), COALESCE(distribution.formats, '{}'),
    COALESCE(keyword.names, '{}'),
    ARRAY(
        SELECT value.id FROM portal_searchfacetvalue AS value
        JOIN (
            SELECT 'thema' AS facet, unnest(COALESCE(theme.codes, '{}')) AS value
            UNION ALL SELECT 'format', unnest(COALESCE(distribution.formats, '{}'))
            UNION ALL SELECT 'schlagwort', unnest(COALESCE(keyword.names, '{}'))
            UNION ALL SELECT 'organisation', dataset.publisher_id::text
            UNION ALL SELECT 'lizenz', dataset.licence
            UNION ALL SELECT 'hvd', dataset.hvd_category
            UNION ALL SELECT 'aktualisierung', dataset.update_frequency
        ) AS own ON own.facet = value.facet AND own.value = value.value
        ORDER BY value.id
    ),
    %(now)s
FROM catalog_dataset AS dataset
LEFT JOIN (
    SELECT dk.dataset_id, array_agg(k.name ORDER BY k.name) AS names
    FROM catalog_dataset_keywords AS dk JOIN catalog_keyword AS k ON k.id = dk.keyword_id
    WHERE dk.dataset_id IN (%(datasets)s)
    GROUP BY dk.dataset_id
) AS keyword ON keyword.dataset_id = dataset.id
LEFT JOIN (
    SELECT dt.dataset_id, array_agg(t.code ORDER BY t.code) AS codes
    FROM catalog_dataset_themes AS dt JOIN catalog_theme AS t ON t.id = dt.theme_id
    WHERE dt.dataset_id IN (%(datasets)s)
    GROUP BY dt.dataset_id
) AS theme ON theme.dataset_id = dataset.id
LEFT JOIN (
    SELECT d.dataset_id, array_agg(DISTINCT d.format ORDER BY d.format) AS formats
    FROM catalog_distribution AS d
    WHERE d.format <> '' AND d.dataset_id IN (%(datasets)s)
    GROUP BY d.dataset_id
) AS distribution ON distribution.dataset_id = dataset.id
WHERE dataset.id IN (%(datasets)s)
ON CONFLICT (dataset_id) DO UPDATE SET
    title = EXCLUDED.title, keywords = EXCLUDED.keywords, description = EXCLUDED.description,
    vector = EXCLUDED.vector, published = EXCLUDED.published, publisher_id = EXCLUDED.publisher_id,
    licence = EXCLUDED.licence, hvd_category = EXCLUDED.hvd_category,
    update_frequency = EXCLUDED.update_frequency, issued = EXCLUDED.issued, themes = EXCLUDED.themes,
    formats = EXCLUDED.formats, keyword_names = EXCLUDED.keyword_names, facet_values = EXCLUDED.facet_values,
    updated = EXCLUDED.updated
"""


def index_datasets(datasets: QuerySet[Dataset]) -> int:
    """Write the search documents of `datasets` (every state: the document says whether
    its dataset is published, and the search finds only those). Two statements on
    PostgreSQL (the facet values' numbers, then the documents), whatever the number; a
    few queries per dataset elsewhere."""
    if connection.vendor != "postgresql":
        return sum(_index_one(pk) for pk in datasets.values_list("pk", flat=True))
    subquery, params = datasets.order_by().values("pk").query.sql_with_params()
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # Without statistics (a fresh table, autovacuum off) the planner takes the statement
        # for a huge one and JIT-compiles it on every call, which costs more than the write.
        # (Off for the rest of the transaction too: the writes around an index are small.)
        cursor.execute("SET LOCAL jit = off")
        # The subquery is filled in first (quoted by the driver), then the named parameters.
        ids = cursor.mogrify(subquery, params).decode().replace("%", "%%")
        # Both with parameters, so that the driver reads the escaped %% of `ids` alike.
        parameters = {"published": DatasetState.PUBLISHED, "now": timezone.now()}
        cursor.execute(_FACET_VALUES_SQL.replace("%(datasets)s", ids), parameters)
        cursor.execute(_INDEX_SQL.replace("%(datasets)s", ids), parameters)
        return cursor.rowcount


def index_dataset(dataset_id: int) -> None:
    """Rewrite the dataset's document now, or once at the end of the operation that
    writes it several times (core.deferred.collecting, e.g. a harvested record)."""
    if not deferred.defer(_index_ids, dataset_id):
        _index_ids([dataset_id])


def _index_ids(dataset_ids: list[int]) -> None:
    index_datasets(Dataset.objects.filter(pk__in=dataset_ids))


def _index_one(dataset_id: int) -> int:
    """The document of one dataset through the ORM, for SQLite (no vector there)."""
    row = (
        Dataset.objects.filter(pk=dataset_id)
        .values(
            "title", "description", "state", "publisher_id", "licence", "hvd_category", "update_frequency", "issued"
        )
        .first()
    )
    if row is None:
        return 0
    keyword_names = sorted(Keyword.objects.filter(datasets=dataset_id).values_list("name", flat=True))
    formats = (
        Distribution.objects.current().filter(dataset_id=dataset_id).exclude(format="").values_list("format", flat=True)
    )
    SearchDocument.objects.update_or_create(
        dataset_id=dataset_id,
        defaults={
            "title": row["title"],
            "description": row["description"],
            "keywords": " ".join(keyword_names),
            "published": row["state"] == DatasetState.PUBLISHED,
            "publisher_id": row["publisher_id"],
            "licence": row["licence"],
            "hvd_category": row["hvd_category"],
            "update_frequency": row["update_frequency"],
            "issued": row["issued"],
            "themes": sorted(Theme.objects.filter(datasets=dataset_id).values_list("code", flat=True)),
            "formats": sorted(set(formats)),
            "keyword_names": keyword_names,
        },
    )
    return 1


def reindex_all() -> int:
    """Rebuild the whole index (after an import or a restore)."""
    return index_datasets(Dataset.objects.all())


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
        # The request is received in any case; only the confirmation stops at the address's
        # limit, so nobody can flood a stranger's mailbox through this form.
        limit = settings.DATA_REQUEST_MAIL_ADDRESS_LIMIT
        if email and not participation.address_rate_limited("data_request.address", email, limit):
            send_data_request_confirmation.delay_on_commit(data_request.pk)
    return data_request


# Not passed: the routing stays as it is (the API and the demo set status and answer only).
UNCHANGED = object()


def routing_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """The people triage may route a request to, grouped by organisation: everyone with an
    active role there (one query). The service checks the pair again."""
    assignments = (
        RoleAssignment.objects.active()
        .filter(user__is_active=True)
        .select_related("user", "organisation")
        .order_by("organisation__name", "user__last_name", "user__first_name", "user__username")
    )
    groups: dict[str, dict[int, str]] = {}
    for assignment in assignments:
        user = assignment.user
        groups.setdefault(assignment.organisation.name, {})[user.pk] = user.get_full_name() or user.get_username()
    return [(name, list(people.items())) for name, people in groups.items()]


def triage_data_request(
    data_request: DataRequest,
    *,
    by,
    status: str,
    answer: str = "",
    dataset=None,
    decline_ground: str = "",
    organisation=UNCHANGED,
    assignee=UNCHANGED,
    title: str | None = None,
    description: str | None = None,
) -> DataRequest:
    """Staff set the status and answer, and route the request to an organisation and a
    person with a role there. Published needs a published dataset to link; declined
    needs an exclusion ground of the vocabulary and an answer. Every status but "open"
    makes the request public. The requester (if they gave an address) is mailed when
    the public status or answer changes; a newly routed person gets a mail and a task."""
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
    if organisation is UNCHANGED:
        organisation = data_request.organisation
    if assignee is UNCHANGED:
        assignee = data_request.assignee
    if assignee is not None and organisation is None:
        errors["organisation"] = _("Bitte wählen Sie die Organisation der zuständigen Person.")
    elif assignee is not None and not (
        assignee.is_active and RoleAssignment.objects.active().filter(user=assignee, organisation=organisation).exists()
    ):
        errors["assignee"] = _("Diese Person hat keine Rolle in der gewählten Organisation.")
    if errors:
        raise ValidationError(errors)
    from .tasks import send_data_request_answer, send_data_request_assignment

    with transaction.atomic():
        data_request = DataRequest.objects.select_for_update().get(pk=data_request.pk)
        before = (data_request.status, data_request.answer, data_request.assignee_id)
        if title is not None:
            data_request.title = title.strip()
        if description is not None:
            data_request.description = description.strip()
        data_request.status = status
        data_request.answer = answer.strip()
        data_request.dataset = dataset if status == DataRequestStatus.PUBLISHED else None
        data_request.decline_ground = decline_ground if status == DataRequestStatus.DECLINED else ""
        data_request.organisation = organisation
        data_request.assignee = assignee
        if data_request.is_answered and data_request.answered_at is None:
            data_request.answered_at = timezone.now()
        if not data_request.is_answered:
            data_request.answered_at = None
        data_request._history_user = by
        data_request._change_reason = f"portal.data_request.{status}"
        data_request.save()
        if data_request.email and data_request.is_public and before[:2] != (status, data_request.answer):
            send_data_request_answer.delay_on_commit(data_request.pk)
        if assignee is not None and before[2] != assignee.pk and assignee != by and assignee.email:
            send_data_request_assignment.delay_on_commit(data_request.pk)
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
