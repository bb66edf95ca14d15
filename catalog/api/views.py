"""/api/v1/datasets/ and what hangs below it. The same services and the same
permission helpers as the catalog's pages: anyone reads the published datasets
(`Dataset.objects.published()`), staff also what catalog.permissions lets them see;
stewards of the publisher write; the workflow decides every step.

A dataset the user cannot see at all is 404; one they see only on the portal is 403
for everything internal (workflow, decisions, classifications, writes)."""

import functools
import uuid

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, Prefetch, Value
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api import PublicReadOnly
from governance.permissions import roles_held

from .. import inbox, permissions, services, workflow
from ..models import Classification, Dataset, Distribution, Keyword, Theme
from . import serializers
from .filters import DatasetFilter

DATASET_NAME = r"[-a-zA-Z0-9_]+"
PUBLIC_DISTRIBUTIONS = _lazy("Öffentlich, wenn der Datensatz veröffentlicht ist; heruntergeladen wird über das Portal.")
INTERNAL_ONLY = _lazy("Nie öffentlich: für alle, die den Datensatz im internen Katalog sehen.")
UUID = r"[0-9a-fA-F-]{36}"


def readable_datasets(user):
    """Every dataset the user may read through the API, with `is_internal` saying
    whether they see it in the internal catalog too. Anonymous clients get the
    published datasets and nothing else."""
    if not user.is_authenticated:
        return Dataset.objects.published().annotate(is_internal=Value(False, output_field=BooleanField()))
    visible = permissions.visible_datasets(user)
    return (Dataset.objects.published() | visible).annotate(is_internal=Exists(visible.filter(pk=OuterRef("pk"))))


@functools.cache
def _public_list_rows():
    return readable_datasets(AnonymousUser()).values(*serializers.LIST_COLUMNS)


def list_rows(user):
    """readable_datasets() as values() rows of the list's columns (the internal ones only
    for users who may see any). The anonymous query is built once per process and cloned
    for each request: resolving the columns costs more than running the query."""
    if not user.is_authenticated:
        return _public_list_rows().all()
    return readable_datasets(user).values(*serializers.LIST_COLUMNS, *serializers.INTERNAL_LIST_COLUMNS)


def _related_statements() -> dict[str, str]:
    """The three reads of with_related, as SQL: on a page of 20 datasets the ORM spends
    more time building these fixed queries than PostgreSQL spends answering them. Table
    and column names come from the models; the only parameters are the ids. `{ids}`
    stands for their test: `= ANY(%s)` with one array on PostgreSQL, `IN (%s, …)` with
    a placeholder per id elsewhere (SQLite, the embedded default of `make run`)."""
    dataset_keywords, dataset_themes = Dataset.keywords.through._meta, Dataset.themes.through._meta
    keyword, theme, distribution = Keyword._meta, Theme._meta, Distribution._meta
    # The identifier as text on PostgreSQL: the serializer writes str(uuid) anyway, and
    # parsing costs. SQLite stores it as 32 hex digits, which with_related formats.
    cast = "::text" if connection.vendor == "postgresql" else ""
    columns = ", ".join(
        f'"{distribution.get_field("id" if name == "pk" else name).column}"' + (cast if name == "identifier" else "")
        for name in serializers.LIST_DISTRIBUTION_COLUMNS
    )
    # Names from the models, values as parameters: nothing from a request goes into the text.
    return {
        "keywords": (
            f'SELECT link."dataset_id", keyword."name" FROM "{dataset_keywords.db_table}" link '  # noqa: S608
            f'JOIN "{keyword.db_table}" keyword ON keyword."id" = link."keyword_id" '
            'WHERE link."dataset_id" {ids} ORDER BY keyword."name"'
        ),
        "themes": (
            f'SELECT link."dataset_id", theme."code" FROM "{dataset_themes.db_table}" link '  # noqa: S608
            f'JOIN "{theme.db_table}" theme ON theme."id" = link."theme_id" '
            'WHERE link."dataset_id" {ids} ORDER BY theme."code"'
        ),
        "distributions": (
            f'SELECT {columns} FROM "{distribution.db_table}" '  # noqa: S608
            # The approved state only: a pending change's files are shown in the catalog.
            'WHERE "dataset_id" {ids} AND "status" = \'current\' ORDER BY "created", "id"'
        ),
    }


RELATED_STATEMENTS = SimpleLazyObject(_related_statements)


def _related_query(name: str, ids: list) -> tuple[str, list]:
    """The statement `name` of RELATED_STATEMENTS with its parameters for these ids."""
    if connection.vendor == "postgresql":
        return RELATED_STATEMENTS[name].replace("{ids}", "= ANY(%s)"), [ids]
    return RELATED_STATEMENTS[name].replace("{ids}", f"IN ({', '.join(['%s'] * len(ids))})"), ids


def with_related(rows: list[dict]) -> list[dict]:
    """The dataset rows (values() with "pk") with their "keywords" (names), "themes"
    (codes) and "distributions" (dicts of serializers.LIST_DISTRIBUTION_COLUMNS), in the
    order of the serializers' prefetches: three queries, whatever the number of rows."""
    by_pk = {}
    for row in rows:
        row.update(keywords=[], themes=[], distributions=[])
        by_pk[row["pk"]] = row
    if not by_pk:
        return rows
    ids = list(by_pk)
    with connection.cursor() as cursor:
        cursor.execute(*_related_query("keywords", ids))
        for dataset_id, keyword in cursor.fetchall():
            by_pk[dataset_id]["keywords"].append(keyword)
        cursor.execute(*_related_query("themes", ids))
        for dataset_id, code in cursor.fetchall():
            by_pk[dataset_id]["themes"].append(code)
        cursor.execute(*_related_query("distributions", ids))
        for values in cursor.fetchall():
            distribution = dict(zip(serializers.LIST_DISTRIBUTION_COLUMNS, values, strict=True))
            if connection.vendor != "postgresql":  # 32 hex digits, as SQLite stores a UUIDField
                distribution["identifier"] = str(uuid.UUID(distribution["identifier"]))
            by_pk[distribution["dataset_id"]]["distributions"].append(distribution)
    return rows


def require_internal(dataset: Dataset) -> None:
    if not dataset.is_internal:
        raise exceptions.PermissionDenied(_("Diesen Datensatz sehen Sie nur so, wie ihn das Portal zeigt."))


def require_steward(user, dataset: Dataset) -> None:
    require_internal(dataset)
    if not permissions.can_edit_dataset(user, dataset):
        raise exceptions.PermissionDenied(_("Datensätze ändern nur die Datenverantwortlichen des Herausgebers."))


@extend_schema_view(
    list=extend_schema(
        summary=_lazy("Datensätze"),
        description=_lazy("Veröffentlichte Datensätze; für Mitarbeitende auch die, die sie intern sehen."),
    ),
    retrieve=extend_schema(summary=_lazy("Ein Datensatz")),
    create=extend_schema(
        summary=_lazy("Datensatz anlegen"),
        request=serializers.DatasetWriteSerializer,
        responses={201: serializers.DatasetSerializer},
    ),
    update=extend_schema(
        summary=_lazy("Datensatz ändern"),
        description=_lazy(
            "Mit `version`, der Version, die Sie gelesen haben: Hat inzwischen jemand anderes den Datensatz "
            "geändert, antwortet die API mit 409 und ändert nichts. Ist der Datensatz freigegeben oder "
            "veröffentlicht, wird die Änderung eine ausstehende Änderung: Die Antwort zeigt weiter den "
            "freigegebenen Stand (mit neuer `version`), geprüft und freigegeben wird die Änderung im Katalog."
        ),
        request=serializers.DatasetWriteSerializer,
        responses={200: serializers.DatasetSerializer, 409: OpenApiResponse(description=_lazy("Versionskonflikt"))},
    ),
    partial_update=extend_schema(
        summary=_lazy("Datensatz teilweise ändern"),
        description=_lazy("Nur die gesendeten Felder, immer mit `version` (sonst 409 wie bei PUT)."),
        request=serializers.DatasetWriteSerializer,
        responses={200: serializers.DatasetSerializer, 409: OpenApiResponse(description=_lazy("Versionskonflikt"))},
    ),
)
class DatasetViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    # Public read: anonymous clients only ever get Dataset.objects.published().
    permission_classes = [PublicReadOnly]
    serializer_class = serializers.DatasetSerializer
    filterset_class = DatasetFilter
    # The name never changes once a dataset exists: a stable, unique order for the cursor.
    ordering = "name"
    lookup_field = "name"
    lookup_value_regex = DATASET_NAME
    queryset = Dataset.objects.none()  # for the schema; get_queryset decides

    def get_queryset(self):
        datasets = readable_datasets(self.request.user).select_related("publisher")
        if self.action in ("list", "retrieve", "create", "update", "partial_update"):
            datasets = datasets.select_related("owner", "steward", "current_classification").prefetch_related(
                "keywords",
                "themes",
                Prefetch("distributions", queryset=Distribution.objects.current().order_by("created", "pk")),
            )
        return datasets

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return serializers.DatasetWriteSerializer
        return serializers.DatasetSerializer

    def filter_queryset(self, queryset):
        # Without a filter parameter the FilterSet (a form, deep-copied per request) changes nothing.
        unfiltered = self.request.query_params.keys().isdisjoint(DatasetFilter.base_filters)
        if unfiltered and all(issubclass(backend, DjangoFilterBackend) for backend in self.filter_backends):
            return queryset
        return super().filter_queryset(queryset)

    def list(self, request, *args, **kwargs):
        """The same page as ListModelMixin with DatasetSerializer would answer, read as
        values() rows and written by serializers.DatasetListSerializer: the model
        instances and the ModelSerializer cost several times what the database does."""
        datasets = self.filter_queryset(list_rows(request.user))
        page = self.paginate_queryset(datasets)
        rows = with_related(list(datasets) if page is None else page)
        data = serializers.DatasetListSerializer(request).to_representation(rows)
        return Response(data) if page is None else self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        """What RetrieveModelMixin with DatasetSerializer would answer, through the list's
        row reader: a dataset's detail is its list item (the most requested address of
        the API; the ModelSerializer alone took two thirds of its time)."""
        rows = with_related(list(list_rows(request.user).filter(name=kwargs[self.lookup_field])))
        if not rows:
            raise Http404
        return Response(serializers.DatasetListSerializer(request).to_representation(rows)[0])

    def _show(self, dataset: Dataset, status_code=status.HTTP_200_OK) -> Response:
        dataset = self.get_queryset().get(pk=dataset.pk)
        return Response(
            serializers.DatasetSerializer(dataset, context=self.get_serializer_context()).data, status=status_code
        )

    def create(self, request, *args, **kwargs):
        if not permissions.editing_organisations(request.user).exists():
            raise exceptions.PermissionDenied(_("Datensätze legen Datenverantwortliche an."))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        dataset = services.create_dataset(
            by=request.user,
            fields=serializer.model_fields(),
            keywords=serializer.validated_data.get("keywords", ()),
            themes=serializer.validated_data.get("themes", ()),
            reason=serializer.validated_data.get("reason", ""),
        )
        return self._show(dataset, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        dataset = self.get_object()
        require_steward(request.user, dataset)
        serializer = self.get_serializer(dataset, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        dataset = services.update_dataset(
            dataset,
            by=request.user,
            fields=serializer.model_fields(),
            expected_version=data["version"],
            keywords=data.get("keywords"),
            themes=data.get("themes"),
            reason=data.get("reason", ""),
        )
        return self._show(dataset)

    # ---- The publication workflow ----------------------------------------------

    @extend_schema(
        summary=_lazy("Mögliche Schritte im Workflow"),
        description=_lazy("Die Schritte, die Sie jetzt gehen dürfen, mit den Feldern, die jeder Schritt annimmt."),
        responses=serializers.TransitionSerializer(many=True),
    )
    @action(
        detail=True, methods=["get"], permission_classes=[IsAuthenticated], pagination_class=None, filter_backends=[]
    )
    def transitions(self, request, name=None):
        """The workflow steps this user may take now, with the fields each takes."""
        dataset = self.get_object()
        require_internal(dataset)
        dataset = Dataset.objects.select_related("publisher", "current_classification").get(pk=dataset.pk)
        roles = roles_held(request.user, dataset.publisher)
        rows = [
            {
                "action": transition.action,
                "label": str(transition.label),
                "primary": transition.primary,
                "reason_required": transition.reason_required,
                "fields": transition.input_fields,
                "url": request.build_absolute_uri(
                    reverse("catalog-api:dataset-transition", args=[dataset.name, transition.action])
                ),
            }
            for transition in workflow.available_transitions(dataset, request.user, roles=roles)
        ]
        return Response(serializers.TransitionSerializer(rows, many=True).data)

    @extend_schema(
        summary=_lazy("Schritt im Workflow ausführen"),
        description=_lazy(
            "Wie die Schaltfläche im Katalog; die Antwort ist die aufgezeichnete Entscheidung. 403: Ihnen fehlt "
            "die Rolle, oder das Vier-Augen-Prinzip greift. 409: Status oder Version passen nicht mehr."
        ),
        parameters=[
            OpenApiParameter(
                "transition", str, OpenApiParameter.PATH, enum=[*workflow.TRANSITIONS], description=_lazy("Aktion")
            )
        ],
        request=serializers.TransitionInputSerializer,
        responses={
            201: serializers.DatasetDecisionSerializer,
            403: OpenApiResponse(description=_lazy("Rolle fehlt oder Vier-Augen-Prinzip")),
            409: OpenApiResponse(description=_lazy("Status oder Version passen nicht")),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated],
        filter_backends=[],
        url_path=r"transitions/(?P<transition>[a-z_]+)",
        url_name="transition",
    )
    def transition(self, request, name=None, transition=None):
        """Take one step of the publication workflow (catalog.workflow.perform); the
        answer is the Decision it recorded."""
        step = workflow.TRANSITIONS.get(transition)
        if step is None:
            raise exceptions.NotFound(_("Unbekannte Aktion."))
        dataset = self.get_object()
        require_internal(dataset)
        dataset = Dataset.objects.select_related("publisher", "current_classification").get(pk=dataset.pk)
        refusal = workflow.judgement(transition, dataset, request.user)
        if refusal is not None and refusal.forbidden:  # 403; the state (409) is the workflow's to refuse under its lock
            raise exceptions.PermissionDenied(refusal.message)
        serializer = serializers.TransitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decision = workflow.perform(transition, dataset, by=request.user, data=serializer.validated_data)
        return Response(serializers.DatasetDecisionSerializer(decision).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_lazy("Entscheidungen zum Datensatz"),
        description=_lazy("Alle Entscheidungen, die neueste zuerst, mit den Regeln, die gegriffen haben."),
        responses=serializers.DecisionTrailSerializer(many=True),
    )
    @action(
        detail=True, methods=["get"], permission_classes=[IsAuthenticated], pagination_class=None, filter_backends=[]
    )
    def decisions(self, request, name=None):
        """Every decision about the dataset, newest first, with the rules that fired."""
        dataset = self.get_object()
        require_internal(dataset)
        return Response(serializers.DecisionTrailSerializer(inbox.decision_trail(dataset), many=True).data)


class DatasetChildMixin:
    """Resources below datasets/{dataset_name}/: the dataset is fetched once, through
    the same door as the dataset itself."""

    def get_dataset(self) -> Dataset:
        if not hasattr(self, "_dataset"):
            self._dataset = get_object_or_404(
                readable_datasets(self.request.user).select_related("publisher"), name=self.kwargs["dataset_name"]
            )
        return self._dataset


@extend_schema_view(
    list=extend_schema(summary=_lazy("Distributionen eines Datensatzes"), description=PUBLIC_DISTRIBUTIONS),
    retrieve=extend_schema(summary=_lazy("Eine Distribution"), description=PUBLIC_DISTRIBUTIONS),
    create=extend_schema(
        summary=_lazy("Distribution hinzufügen"),
        description=_lazy("Eine Datei als multipart/form-data oder eine externe Adresse."),
        request={
            "multipart/form-data": serializers.DistributionCreateSerializer,
            "application/json": serializers.DistributionCreateSerializer,
        },
        responses={201: serializers.DistributionSerializer},
    ),
    destroy=extend_schema(
        summary=_lazy("Distribution entfernen"),
        description=_lazy(
            "Nur Datenverantwortliche des Herausgebers, und nicht, solange der Datensatz in Prüfung ist."
        ),
    ),
)
class DistributionViewSet(
    DatasetChildMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    # Public read: the dataset comes from readable_datasets(), published only for anonymous clients.
    permission_classes = [PublicReadOnly]
    serializer_class = serializers.DistributionSerializer
    ordering = "pk"
    lookup_field = "identifier"
    lookup_value_regex = UUID
    queryset = Distribution.objects.none()

    def get_queryset(self):
        # Through the related manager every distribution knows its dataset: no query each.
        dataset = self.get_dataset()
        if dataset.is_internal:  # staff of the publisher see proposed and blocked files too
            return dataset.distributions.all()
        return dataset.distributions.current()

    def get_serializer_class(self):
        if self.action == "create":
            return serializers.DistributionCreateSerializer
        return serializers.DistributionSerializer

    def create(self, request, *args, **kwargs):
        dataset = self.get_dataset()
        require_steward(request.user, dataset)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            distribution = services.add_distribution(
                dataset,
                by=request.user,
                title=data["title"],
                upload=data.get("file"),
                access_url=data["access_url"],
                format=data["format"],
                kind=data["kind"],
                description=data["description"],
                licence=data["licence"],
            )
        except DjangoValidationError as error:
            # The upload checks name no field: what they refuse is the file.
            if hasattr(error, "error_dict"):
                raise
            raise exceptions.ValidationError({"file": error.messages}) from error
        distribution.dataset = dataset
        return Response(
            serializers.DistributionSerializer(distribution, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    def perform_destroy(self, distribution):
        require_steward(self.request.user, self.get_dataset())
        services.remove_distribution(distribution, by=self.request.user)


@extend_schema_view(
    list=extend_schema(
        summary=_lazy("Klassifizierungen eines Datensatzes (neueste zuerst)"), description=INTERNAL_ONLY
    ),
    retrieve=extend_schema(summary=_lazy("Eine Klassifizierungsversion"), description=INTERNAL_ONLY),
    create=extend_schema(
        summary=_lazy("Neu klassifizieren"),
        description=_lazy(
            "Eine Klassifizierung wird nie geändert: Jede Einstufung ist eine neue Version. `based_on` ist die "
            "Version, die Sie gesehen haben (0, wenn es keine gab); gibt es inzwischen eine neuere, antwortet die "
            "API mit 409."
        ),
        request=serializers.ClassificationCreateSerializer,
        responses={
            201: serializers.ClassificationSerializer,
            409: OpenApiResponse(description=_lazy("Inzwischen wurde eine neuere Version gespeichert")),
        },
    ),
)
class ClassificationViewSet(
    DatasetChildMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Classifications are never public, and never changed: a reclassification is a new version."""

    permission_classes = [IsAuthenticated]
    serializer_class = serializers.ClassificationSerializer
    ordering = "-number"
    lookup_field = "number"
    lookup_value_regex = r"[0-9]+"
    queryset = Classification.objects.none()

    def get_queryset(self):
        dataset = self.get_dataset()
        require_internal(dataset)
        return dataset.classifications.select_related("classified_by")

    def get_serializer_class(self):
        if self.action == "create":
            return serializers.ClassificationCreateSerializer
        return serializers.ClassificationSerializer

    def create(self, request, *args, **kwargs):
        dataset = self.get_dataset()
        require_steward(request.user, dataset)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        based_on = fields.pop("based_on")
        classification = services.classify_dataset(dataset, by=request.user, fields=fields, based_on=based_on)
        classification.dataset = dataset
        return Response(serializers.ClassificationSerializer(classification).data, status=status.HTTP_201_CREATED)
