from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import permissions
from .models import (
    AuditEvent,
    Decision,
    Organisation,
    PolicyDocument,
    PolicySection,
    PolicyVersion,
    Role,
    RoleAssignment,
    Rule,
    RuleVersion,
    VocabularyTerm,
)


class HiddenRowsAreNotFoundMixin:
    """A row outside the person's queryset answers 404, as everywhere else in the
    application, instead of Django's redirect to the admin index."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj


class GuardedHistoryAdmin(HiddenRowsAreNotFoundMixin, SimpleHistoryAdmin):
    """simple-history's history pages look rows up past get_queryset (showing the history
    of another organisation's rows) and its version form saves a POST with the mere view
    permission (a way around read-only admins). Both ask the queryset and the change
    permission here."""

    def _visible(self, request, object_id):
        obj = self.get_queryset(request).filter(pk=unquote(object_id)).first()
        if obj is None and not request.user.is_superuser:  # a superuser may read a deleted row's history
            raise Http404
        return obj

    def history_view(self, request, object_id, extra_context=None):
        self._visible(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        obj = self._visible(request, object_id)
        if request.method == "POST" and not self.has_change_permission(request, obj):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


@admin.register(Organisation)
class OrganisationAdmin(GuardedHistoryAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "org_type", "municipality", "parent"]
    list_filter = ["org_type", "state", "dng_role"]
    search_fields = ["name", "municipality", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["version"]

    def get_queryset(self, request):
        # A governance admin administers the organisations under their role only.
        allowed = permissions.organisations_with_role(request.user, Role.GOVERNANCE_ADMIN)
        return super().get_queryset(request).filter(pk__in=allowed.values("pk"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A unit is placed under (and belongs to) one of the admin's own organisations,
        # never into another tenant.
        if db_field.name in ("parent", "legal_entity") and not request.user.is_superuser:
            kwargs["queryset"] = permissions.organisations_with_role(request.user, Role.GOVERNANCE_ADMIN)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
        obj._change_reason = "governance.organisation.admin_changed" if change else "governance.organisation.created"
        super().save_model(request, obj, form, change)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(GuardedHistoryAdmin):
    """Read-only: roles are assigned and revoked in the governance area, through the
    services that keep object permissions in step."""

    list_display = ["user", "role", "organisation", "valid_from", "valid_until", "deputy_for", "revoked_at"]
    list_filter = ["role", "organisation"]
    search_fields = ["user__username", "user__last_name", "organisation__name"]

    def get_queryset(self, request):
        allowed = permissions.organisations_with_role(request.user, Role.GOVERNANCE_ADMIN)
        return super().get_queryset(request).filter(organisation__in=allowed.values("pk"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdminMixin:
    """Records that change only through the services (or never): the admin shows them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PolicySectionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PolicySection
    fields = ["number", "heading", "position"]
    readonly_fields = fields
    extra = 0


@admin.register(PolicyDocument)
class PolicyDocumentAdmin(ReadOnlyAdminMixin, GuardedHistoryAdmin):
    list_display = ["title", "kind", "issuer"]
    list_filter = ["kind"]
    search_fields = ["title", "slug"]


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyAdminMixin, GuardedHistoryAdmin):
    """Read-only: adopted versions never change, and drafts are edited in the governance
    area, whose service keeps the sections that rules cite in step with the text."""

    list_display = ["document", "number", "title", "status", "adopted_on", "valid_from", "valid_until"]
    list_filter = ["status", "document__kind"]
    search_fields = ["title", "document__title"]
    inlines = [PolicySectionInline]


@admin.register(Rule)
class RuleAdmin(ReadOnlyAdminMixin, GuardedHistoryAdmin):
    list_display = ["code", "document"]
    search_fields = ["code"]


@admin.register(RuleVersion)
class RuleVersionAdmin(ReadOnlyAdminMixin, GuardedHistoryAdmin):
    list_display = ["rule", "number", "title", "effect", "policy_version"]
    list_filter = ["effect"]
    search_fields = ["rule__code", "title"]


@admin.register(VocabularyTerm)
class VocabularyTermAdmin(ReadOnlyAdminMixin, GuardedHistoryAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["vocabulary", "code", "label", "valid_from", "valid_until"]
    list_filter = ["vocabulary"]
    search_fields = ["code", "label"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdminMixin, HiddenRowsAreNotFoundMixin, admin.ModelAdmin):
    list_display = ["decided_at", "kind", "subject_repr", "outcome", "actor"]
    list_filter = ["kind", "outcome"]

    def get_queryset(self, request):
        allowed = permissions.audit_organisations(request.user)
        return (
            super()
            .get_queryset(request)
            .filter(models.Q(organisation__isnull=True) | models.Q(organisation__in=allowed.values("pk")))
        )


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, HiddenRowsAreNotFoundMixin, admin.ModelAdmin):
    list_display = ["seq", "time", "actor_repr", "action", "object_repr", "organisation_id"]
    list_filter = ["action"]

    def get_queryset(self, request):
        return permissions.visible_audit_events(request.user)


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class StadtdatenUserAdmin(HiddenRowsAreNotFoundMixin, UserAdmin):
    """Governance admins manage accounts; only a superuser hands out superuser,
    staff, group or direct permissions (no privilege escalation through the admin)."""

    limited_fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Persönliche Daten"), {"fields": ("first_name", "last_name", "email")}),
        (_("Status"), {"fields": ("is_active", "last_login", "date_joined")}),
    )

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            return self.limited_fieldsets
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return ["last_login", "date_joined"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=permissions.manageable_accounts(request.user).values("pk"))
