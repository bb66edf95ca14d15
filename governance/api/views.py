"""REST endpoints of the governance app under /api/v1/. They authorise through
governance.permissions and write through governance.services, like the web UI."""

from functools import cached_property

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from core.api import PublicReadOnly
from governance import permissions, services
from governance.models import Organisation, PolicyDocument, PolicyVersion, Rule, RuleVersion

from .filters import DecisionFilter, OrganisationFilter, PolicyDocumentFilter, RuleFilter
from .serializers import (
    AdoptSerializer,
    DecisionSerializer,
    InForceSerializer,
    OrganisationSerializer,
    PolicyDocumentSerializer,
    PolicyVersionSerializer,
    PolicyVersionSummarySerializer,
    RepealSerializer,
    RuleSerializer,
    RuleVersionSerializer,
)

# The lookups' URL patterns: the schema names them, so clients (and the fuzz tests) know
# that a value outside them never reaches the API.
SLUG = "[-a-zA-Z0-9_]+"
RULE_CODE = "[A-Z][A-Z0-9-]*"

DOCUMENT_SLUG = OpenApiParameter(
    "document_slug",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=f"^{SLUG}$",
    description=_lazy("Kurzname des Dokuments"),
)
VERSION_NUMBER = OpenApiParameter(
    "version_number",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern="^[0-9]+$",
    description=_lazy("Nummer der Fassung"),
)


class CanChangeOrganisation(BasePermission):
    """An organisation is edited by its owner or a governance admin there (as in the UI)."""

    def has_object_permission(self, request, view, obj):
        return request.method in SAFE_METHODS or permissions.can_change_organisation(request.user, obj)


class CanAudit(BasePermission):
    def has_permission(self, request, view):
        return permissions.can_audit(request.user)


class PolicyPermission(BasePermission):
    """Everyone in the internal area reads policies and rules; governance admins
    maintain them. Whether an admin may maintain a particular document depends on its
    issuer; the views ask permissions.get_document_for_user for that."""

    def has_permission(self, request, view):
        if not permissions.can_view_policies(request.user):
            return False
        return request.method in SAFE_METHODS or permissions.can_manage_policies(request.user)


@extend_schema_view(
    list=extend_schema(summary=_lazy("Organisationen des Stadtverbunds")),
    retrieve=extend_schema(summary=_lazy("Eine Organisation")),
    partial_update=extend_schema(summary=_lazy("Organisation ändern (mit Version)")),
)
class OrganisationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """The members of the Stadtverbund: public. PATCH with the `version` you read."""

    queryset = Organisation.objects.select_related("parent", "legal_entity")
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilter
    permission_classes = [PublicReadOnly, CanChangeOrganisation]
    lookup_field = "slug"
    lookup_value_regex = SLUG
    ordering = "name"
    http_method_names = ["get", "patch", "head", "options"]

    def perform_update(self, serializer):
        changes = dict(serializer.validated_data)
        expected_version = changes.pop("version")
        reason = changes.pop("reason", "")
        services.update_organisation(
            serializer.instance,
            by=self.request.user,
            changes=changes,
            expected_version=expected_version,
            reason=reason,
        )
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)


@extend_schema_view(
    list=extend_schema(summary=_lazy("Entscheidungen (Audit)")),
    retrieve=extend_schema(summary=_lazy("Eine Entscheidung")),
)
class DecisionViewSet(viewsets.ReadOnlyModelViewSet):
    """Publication, review and sharing decisions, append-only, for governance admins and
    auditors (their organisations and network-wide decisions)."""

    serializer_class = DecisionSerializer
    filterset_class = DecisionFilter
    permission_classes = [CanAudit]
    ordering = ("-decided_at", "-pk")

    def get_queryset(self):
        return (
            permissions.visible_decisions(self.request.user)
            .select_related("subject_type", "subject_version_type", "classification_type", "organisation", "actor")
            .prefetch_related(
                Prefetch("rule_versions", RuleVersion.objects.select_related("rule")),
                Prefetch("policy_versions", PolicyVersion.objects.select_related("document")),
            )
        )


@extend_schema_view(
    list=extend_schema(summary=_lazy("Richtliniendokumente")),
    retrieve=extend_schema(summary=_lazy("Ein Richtliniendokument mit seinen Fassungen")),
    create=extend_schema(summary=_lazy("Dokument anlegen (mit erstem Entwurf)")),
)
class PolicyDocumentViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Strategies, statutes, service instructions … and their versions."""

    queryset = PolicyDocument.objects.select_related("issuer").prefetch_related(
        "applies_to", Prefetch("versions", PolicyVersion.objects.select_related("based_on", "created_by"))
    )
    serializer_class = PolicyDocumentSerializer
    filterset_class = PolicyDocumentFilter
    permission_classes = [PolicyPermission]
    lookup_field = "slug"
    lookup_value_regex = SLUG
    ordering = "slug"

    def perform_create(self, serializer):
        data = serializer.validated_data
        document = services.create_document_with_draft(
            by=self.request.user,
            kind=data["kind"],
            title=data["title"],
            slug=data["slug"],
            description=data.get("description", ""),
            issuer=data.get("issuer"),
            applies_to=data.get("applies_to", []),
        )
        serializer.instance = self.get_queryset().get(pk=document.pk)


@extend_schema(parameters=[DOCUMENT_SLUG])
@extend_schema_view(
    list=extend_schema(summary=_lazy("Fassungen eines Dokuments")),
    retrieve=extend_schema(summary=_lazy("Eine Fassung mit Text, Abschnitten und Regeln")),
    create=extend_schema(summary=_lazy("Neuen Entwurf anlegen")),
    partial_update=extend_schema(summary=_lazy("Entwurf ändern")),
    destroy=extend_schema(summary=_lazy("Entwurf verwerfen")),
)
class PolicyVersionViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The versions of one document. POST starts a draft (a copy of the last adopted
    version), PATCH edits the draft, DELETE discards it; adopt, put-in-force and
    repeal are the lifecycle steps."""

    permission_classes = [PolicyPermission]
    lookup_field = "number"
    lookup_value_regex = "[0-9]+"
    ordering = "-number"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @cached_property
    def document(self) -> PolicyDocument:
        return permissions.get_document_for_user(
            self.request.user, self.kwargs["document_slug"], manage=self.request.method not in SAFE_METHODS
        )

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.document  # noqa: B018 - 404 or 403 before any input is looked at

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PolicyVersion.objects.none()
        queryset = self.document.versions.select_related("based_on", "created_by")
        if self.action != "list":
            queryset = queryset.prefetch_related(
                "sections",
                Prefetch(
                    "rule_versions",
                    RuleVersion.objects.select_related("rule", "section").order_by("section__position", "rule__code"),
                ),
            )
        return queryset

    def get_serializer_class(self):
        return PolicyVersionSummarySerializer if self.action == "list" else PolicyVersionSerializer

    def perform_create(self, serializer):
        data = serializer.validated_data
        version = services.create_draft(
            self.document,
            by=self.request.user,
            title=data.get("title", ""),
            body=data.get("body", ""),
            change_note=data.get("change_note", ""),
        )
        serializer.instance = self.get_queryset().get(pk=version.pk)

    def perform_update(self, serializer):
        version, data = serializer.instance, serializer.validated_data
        services.update_draft(
            version,
            by=self.request.user,
            title=data.get("title", version.title),
            body=data.get("body", version.body),
            change_note=data.get("change_note", version.change_note),
        )
        serializer.instance = self.get_queryset().get(pk=version.pk)

    def perform_destroy(self, instance):
        services.discard_draft(instance, by=self.request.user)

    def _transition(self, serializer_class, perform):
        version = self.get_object()
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        perform(version, serializer.validated_data)
        version = self.get_queryset().get(pk=version.pk)
        return Response(PolicyVersionSerializer(version, context=self.get_serializer_context()).data)

    @extend_schema(summary=_lazy("Beschluss erfassen"), request=AdoptSerializer, responses=PolicyVersionSerializer)
    @action(detail=True, methods=["post"])
    def adopt(self, request, *args, **kwargs):
        """Record the adoption (Beschluss); from now on the text never changes."""
        return self._transition(
            AdoptSerializer, lambda version, data: services.adopt_version(version, by=request.user, **data)
        )

    @extend_schema(summary=_lazy("In Kraft setzen"), request=InForceSerializer, responses=PolicyVersionSerializer)
    @action(detail=True, methods=["post"], url_path="put-in-force")
    def put_in_force(self, request, *args, **kwargs):
        """Put an adopted version in force; the version in force so far is superseded."""
        return self._transition(
            InForceSerializer, lambda version, data: services.put_in_force(version, by=request.user, **data)
        )

    @extend_schema(summary=_lazy("Aufheben"), request=RepealSerializer, responses=PolicyVersionSerializer)
    @action(detail=True, methods=["post"])
    def repeal(self, request, *args, **kwargs):
        """End a version in force without a successor."""
        return self._transition(
            RepealSerializer, lambda version, data: services.repeal_version(version, by=request.user, **data)
        )


@extend_schema(parameters=[DOCUMENT_SLUG, VERSION_NUMBER])
@extend_schema_view(
    list=extend_schema(summary=_lazy("Regeln einer Fassung")),
    retrieve=extend_schema(summary=_lazy("Eine Regel einer Fassung")),
    create=extend_schema(summary=_lazy("Regel im Entwurf anlegen")),
    partial_update=extend_schema(summary=_lazy("Regel im Entwurf ändern")),
    destroy=extend_schema(summary=_lazy("Regel aus dem Entwurf entfernen")),
)
class PolicyVersionRuleViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The rules of one version. In a draft they are created, changed and removed here;
    the rules of an adopted version never change."""

    serializer_class = RuleVersionSerializer
    permission_classes = [PolicyPermission]
    lookup_field = "rule__code"
    lookup_url_kwarg = "code"
    lookup_value_regex = RULE_CODE
    ordering = "pk"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @cached_property
    def policy_version(self) -> PolicyVersion:
        document = permissions.get_document_for_user(
            self.request.user, self.kwargs["document_slug"], manage=self.request.method not in SAFE_METHODS
        )
        version = get_object_or_404(PolicyVersion, document=document, number=self.kwargs["version_number"])
        version.document = document
        return version

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method not in SAFE_METHODS and not self.policy_version.is_draft:
            raise services.GovernanceError(
                _("Regeln einer beschlossenen Fassung ändern sich nicht; bitte einen neuen Entwurf anlegen.")
            )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return RuleVersion.objects.none()
        return self.policy_version.rule_versions.select_related("rule", "section")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["policy_version"] = self.policy_version
        return context

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        code = fields.pop("rule")["code"]
        rule_version = services.save_rule_version(self.policy_version, by=self.request.user, code=code, fields=fields)
        serializer.instance = self.get_queryset().get(pk=rule_version.pk)

    def perform_update(self, serializer):
        fields = dict(serializer.validated_data)
        fields.pop("rule", None)
        rule_version = services.save_rule_version(
            self.policy_version,
            by=self.request.user,
            code=serializer.instance.rule.code,
            fields=fields,
            rule_version=serializer.instance,
        )
        serializer.instance = self.get_queryset().get(pk=rule_version.pk)

    def perform_destroy(self, instance):
        services.remove_rule_version(instance, by=self.request.user)


@extend_schema_view(
    list=extend_schema(summary=_lazy("Regeln mit allen Versionen")),
    retrieve=extend_schema(summary=_lazy("Eine Regel mit allen Versionen")),
)
class RuleViewSet(viewsets.ReadOnlyModelViewSet):
    """The rules of the open-by-default decision, each with all its versions (newest
    first) and the policy version each belongs to."""

    queryset = Rule.objects.select_related("document").prefetch_related(
        Prefetch("versions", RuleVersion.objects.select_related("section", "policy_version__document"))
    )
    serializer_class = RuleSerializer
    filterset_class = RuleFilter
    permission_classes = [PolicyPermission]
    lookup_field = "code"
    lookup_value_regex = RULE_CODE
    ordering = "code"
