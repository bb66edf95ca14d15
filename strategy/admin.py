"""The strategy in Django's admin site: read-only. The strategy is maintained in the
internal area (/intern/strategie/), whose services version every change, check the
editor's version and require a reason for a status change; the admin would bypass all
of that. Governance admins carry no model permissions for these tables (governance.
signals.ROLE_GROUP_PERMISSIONS), so only a superuser sees them; should that change,
each list is still limited to the organisations the person audits and to
network-wide rows, as for decisions."""

from django.contrib import admin
from django.db.models import Q

from governance.admin import GuardedHistoryAdmin, HiddenRowsAreNotFoundMixin, ReadOnlyAdminMixin
from governance.permissions import audit_organisations

from .models import FieldOfAction, Goal, Indicator, IndicatorValue, Measure, MeasureStatusChange, Milestone, Strategy


class OrganisationScopedAdmin:
    """Rows filed under an organisation the person audits, or under none (network-wide)."""

    organisation_path: str = ""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        allowed = audit_organisations(request.user).values("pk")
        return queryset.filter(
            Q(**{f"{self.organisation_path}__isnull": True}) | Q(**{f"{self.organisation_path}__in": allowed})
        )


STRATEGY_ORGANISATION = "strategy__organisation"


@admin.register(Strategy)
class StrategyAdmin(ReadOnlyAdminMixin, OrganisationScopedAdmin, GuardedHistoryAdmin):
    organisation_path = "organisation"
    list_display = ["title", "slug", "organisation", "period_start", "period_end", "is_public"]
    search_fields = ["title", "slug"]


@admin.register(FieldOfAction)
class FieldOfActionAdmin(ReadOnlyAdminMixin, OrganisationScopedAdmin, GuardedHistoryAdmin):
    organisation_path = STRATEGY_ORGANISATION
    list_display = ["code", "title", "strategy", "is_public"]
    search_fields = ["code", "title"]


@admin.register(Goal)
class GoalAdmin(ReadOnlyAdminMixin, OrganisationScopedAdmin, GuardedHistoryAdmin):
    organisation_path = f"field_of_action__{STRATEGY_ORGANISATION}"
    list_display = ["code", "title", "field_of_action", "is_public"]
    search_fields = ["code", "title"]


@admin.register(Measure)
class MeasureAdmin(ReadOnlyAdminMixin, OrganisationScopedAdmin, GuardedHistoryAdmin):
    organisation_path = "responsible_organisation"
    list_display = ["code", "title", "status", "responsible_organisation", "start_date", "end_date", "is_public"]
    list_filter = ["status", "is_public"]
    search_fields = ["code", "title"]


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyAdminMixin, OrganisationScopedAdmin, GuardedHistoryAdmin):
    organisation_path = "measure__responsible_organisation"
    list_display = ["title", "measure", "due_date", "done_date"]
    search_fields = ["title", "measure__code"]


@admin.register(MeasureStatusChange)
class MeasureStatusChangeAdmin(
    ReadOnlyAdminMixin, OrganisationScopedAdmin, HiddenRowsAreNotFoundMixin, admin.ModelAdmin
):
    """Append-only, also here."""

    organisation_path = "measure__responsible_organisation"
    list_display = ["changed_at", "measure", "old_status", "new_status", "reason", "changed_by"]
    list_filter = ["new_status"]
    search_fields = ["measure__code", "reason"]


@admin.register(Indicator)
class IndicatorAdmin(ReadOnlyAdminMixin, OrganisationScopedAdmin, GuardedHistoryAdmin):
    organisation_path = f"goal__field_of_action__{STRATEGY_ORGANISATION}"
    list_display = ["code", "title", "unit", "metric", "target_value", "target_date", "is_public"]
    search_fields = ["code", "title"]


@admin.register(IndicatorValue)
class IndicatorValueAdmin(ReadOnlyAdminMixin, OrganisationScopedAdmin, GuardedHistoryAdmin):
    organisation_path = f"indicator__goal__field_of_action__{STRATEGY_ORGANISATION}"
    list_display = ["indicator", "date", "value", "origin", "source"]
    list_filter = ["origin"]
    search_fields = ["indicator__code"]
