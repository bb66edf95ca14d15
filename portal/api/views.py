"""/api/v1/data-requests/: the portal's data requests. Anyone reads what the portal
shows and may send a wish (with the portal form's validation and rate limit, one
budget per address for both); staff who may triage answer them."""

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from catalog.models import Dataset
from core import participation
from core.api import PublicReadOnly
from governance.permissions import can_moderate

from .. import services
from ..forms import DataRequestForm
from ..models import DataRequest
from ..views import DATA_REQUEST_LIMIT
from . import serializers
from .filters import DataRequestFilter


class CanTriage(permissions.BasePermission):
    """Governance admins and data stewards triage data requests (as the staff pages)."""

    message = _lazy("Datenwünsche bearbeiten Datenverantwortliche und Governance-Admins.")

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and can_moderate(request.user))


def public_data_requests(queryset=None):
    """Data requests as the portal shows them: only once triaged (an open one may hold
    personal data), a linked dataset only while it is published."""
    linked = Dataset.objects.published().filter(pk=OuterRef("dataset_id")).values("name")[:1]
    queryset = DataRequest.objects.public() if queryset is None else queryset
    return queryset.annotate(published_dataset_name=Subquery(linked))


@extend_schema_view(
    list=extend_schema(summary=_lazy("Datenwünsche")),
    retrieve=extend_schema(summary=_lazy("Ein Datenwunsch")),
    create=extend_schema(
        summary=_lazy("Daten wünschen"),
        description=_lazy("Ohne Anmeldung. Von einem Anschluss werden in kurzer Zeit nur wenige Wünsche angenommen."),
        request=serializers.DataRequestCreateSerializer,
        responses={
            201: serializers.DataRequestSerializer,
            429: OpenApiResponse(description=_lazy("Zu viele Datenwünsche von diesem Anschluss")),
        },
    ),
)
class DataRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = serializers.DataRequestSerializer
    filterset_class = DataRequestFilter
    queryset = DataRequest.objects.none()  # for the schema; get_queryset decides

    def get_permissions(self):
        if self.action == "create":
            # Anyone may wish for data, as on the portal; the rate limit guards the door.
            return [permissions.AllowAny()]
        if self.action == "triage":
            return [CanTriage()]
        # Public read: data requests are public, their e-mail addresses never leave the database.
        return [PublicReadOnly()]

    def get_queryset(self):
        # Staff triage open requests too; everyone reads the triaged ones.
        return public_data_requests(DataRequest.objects.all() if self.action == "triage" else None)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "ground_labels": getattr(self, "ground_labels", {})}

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            self.ground_labels = services.ground_labels(data_request.decline_ground for data_request in page)
        return page

    def retrieve(self, request, *args, **kwargs):
        data_request = self.get_object()
        self.ground_labels = services.ground_labels([data_request.decline_ground])
        return Response(self.get_serializer(data_request).data)

    def _show(self, data_request, status_code=status.HTTP_200_OK) -> Response:
        # The answer to the requester (or to staff) shows the request, public or not yet.
        data_request = public_data_requests(DataRequest.objects.all()).get(pk=data_request.pk)
        self.ground_labels = services.ground_labels([data_request.decline_ground])
        return Response(
            serializers.DataRequestSerializer(data_request, context=self.get_serializer_context()).data,
            status=status_code,
        )

    def create(self, request, *args, **kwargs):
        limit, period = DATA_REQUEST_LIMIT
        if participation.rate_limited("data_request", participation.client_ip(request), limit=limit, period=period):
            raise exceptions.Throttled(
                detail=_(
                    "Von Ihrem Anschluss kamen in kurzer Zeit zu viele Datenwünsche. Bitte versuchen Sie es in "
                    "einer Stunde erneut."
                )
            )
        # The portal's own form checks the input: the same rules, the same messages.
        form = DataRequestForm(request.data)
        if not form.is_valid():
            raise exceptions.ValidationError({name: list(errors) for name, errors in form.errors.items()})
        data_request = services.create_data_request(
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
            email=form.cleaned_data["email"],
        )
        return self._show(data_request, status.HTTP_201_CREATED)

    @extend_schema(
        summary=_lazy("Datenwunsch bearbeiten"),
        description=_lazy(
            "Status und öffentliche Antwort. „veröffentlicht“ braucht einen veröffentlichten Datensatz, "
            "„abgelehnt“ einen Ausschlussgrund und eine Antwort."
        ),
        request=serializers.TriageSerializer,
        responses={200: serializers.DataRequestSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def triage(self, request, pk=None):
        """Set the status and the public answer (portal.services.triage_data_request)."""
        data_request = self.get_object()
        serializer = serializers.TriageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.triage_data_request(data_request, by=request.user, **serializer.validated_data)
        return self._show(data_request)
