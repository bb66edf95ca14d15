from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class StadtdatenAdminSite(admin.AdminSite):
    """The admin site is for governance admins (and superusers), not for everyone
    with is_staff: roles come from RoleAssignment."""

    site_header = _("Stadtdaten – Verwaltung")
    site_title = _("Stadtdaten")
    index_title = _("Stammdaten und Rollen")

    def has_permission(self, request):
        from governance.permissions import can_audit

        user = request.user
        return user.is_active and user.is_authenticated and (user.is_superuser or can_audit(user))


class StadtdatenAdminConfig(AdminConfig):
    default_site = "config.admin.StadtdatenAdminSite"
