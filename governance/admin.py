from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.errors import PermissionRefused

from . import audit, permissions, services
from .models import (
    Account,
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


def home_organisation_field():
    return forms.ModelChoiceField(
        label=_("Heimatorganisation"),
        queryset=Organisation.objects.none(),
        help_text=Account._meta.get_field("home_organisation").help_text,
    )


class HomeOrganisationMixin:
    """The account's home, chosen among the organisations the signed-in admin may give
    (`homes`, set per request by StadtdatenUserAdmin.get_form)."""

    homes = Organisation.objects.none()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "home_organisation" in self.fields:
            self.fields["home_organisation"].queryset = self.homes


class AccountCreationForm(HomeOrganisationMixin, AdminUserCreationForm):
    home_organisation = home_organisation_field()


class AccountChangeForm(HomeOrganisationMixin, UserChangeForm):
    home_organisation = home_organisation_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        account = Account.objects.filter(user=self.instance).first() if self.instance.pk else None
        if account is not None:
            self.initial["home_organisation"] = account.home_organisation_id
        if "home_organisation" in self.fields:
            # Superusers (the platform's operators) may be without a home; nobody else.
            self.fields["home_organisation"].required = not self.instance.is_superuser


class JournaledPasswordChangeForm(AdminPasswordChangeForm):
    """Sets the password through the service, which checks and journals it. Django's admin
    builds this form without the request; the journal knows the request's user."""

    def save(self, commit=True):
        password = self.cleaned_data["password1"] if self.cleaned_data["set_usable_password"] else None
        services.set_account_password(self.user, password, by=audit.current_user())
        return self.user


# What the change form may change on the user row (the password has a view of its own).
ACCOUNT_FIELDS = {field.name for field in User._meta.concrete_fields} - {"password", "id"}


@admin.register(User)
class StadtdatenUserAdmin(HiddenRowsAreNotFoundMixin, UserAdmin):
    """Governance admins manage the accounts whose home organisation lies where they are
    admin (permissions.manageable_accounts): create them there, change, deactivate, set
    passwords. Only a superuser hands out superuser, staff, group or direct permissions
    (no privilege escalation through the admin). Every write goes through the account
    services, which journal it."""

    form = AccountChangeForm
    add_form = AccountCreationForm
    change_password_form = JournaledPasswordChangeForm
    fieldsets = ((None, {"fields": ("username", "password", "home_organisation")}), *UserAdmin.fieldsets[1:])
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "home_organisation", "usable_password", "password1", "password2"),
            },
        ),
    )
    limited_fieldsets = (
        (None, {"fields": ("username", "password", "home_organisation")}),
        (_("Persönliche Daten"), {"fields": ("first_name", "last_name", "email")}),
        (_("Status"), {"fields": ("is_active", "last_login", "date_joined")}),
    )
    list_display = ("username", "first_name", "last_name", "email", "home", "is_active")
    list_select_related = ("account__home_organisation",)
    search_fields = (*UserAdmin.search_fields, "account__home_organisation__name")

    @admin.display(description=_("Heimatorganisation"), ordering="account__home_organisation__name")
    def home(self, obj):
        try:
            return obj.account.home_organisation
        except Account.DoesNotExist:
            return "–"

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            return self.limited_fieldsets
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return ["last_login", "date_joined"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.homes = permissions.account_homes(request.user).order_by("name")  # a new class per call
        return form

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=permissions.manageable_accounts(request.user).values("pk"))

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (
            obj is None or permissions.can_manage_account(request.user, obj)
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or permissions.can_manage_account(request.user, obj)
        )

    def refuse_foreign_home(self, request):
        """A home the admin may not give is refused (403) like any other foreign object,
        not merely shown as an invalid choice."""
        value = request.POST.get("home_organisation", "") if request.method == "POST" else ""
        home = Organisation.objects.filter(pk=value).first() if value.isdigit() else None
        if home is not None and not permissions.may_home_account(request.user, home):
            raise PermissionDenied

    def add_view(self, request, form_url="", extra_context=None):
        self.refuse_foreign_home(request)
        return super().add_view(request, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self.refuse_foreign_home(request)
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        home = form.cleaned_data.get("home_organisation")
        try:
            if not change:
                services.open_account(obj, home=home, by=request.user)
                return
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name in ACCOUNT_FIELDS}
            services.update_account(obj, by=request.user, changes=changes, home=home)
        except PermissionRefused as error:
            raise PermissionDenied(str(error)) from error
