from django.contrib.auth.models import Permission
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from . import services
from .models import Role

# Model-level permissions each role's group carries, for the admin site. Where a role
# applies is decided by the object permissions, not by these.
ROLE_GROUP_PERMISSIONS = {
    Role.GOVERNANCE_ADMIN: [
        "governance.view_organisation",
        "governance.add_organisation",
        "governance.change_organisation",
        "governance.view_roleassignment",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
    ],
}


@receiver(post_migrate)
def create_role_groups(sender, app_config=None, **kwargs):
    if app_config is None or app_config.label != "governance":
        return
    for role in Role:
        group = services.role_group(role)
        wanted = []
        for name in ROLE_GROUP_PERMISSIONS.get(role, []):
            app_label, codename = name.split(".")
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)


@receiver(user_logged_in)
def apply_roles_at_login(sender, request, user, **kwargs):
    # A deputy whose period began since the last periodic sync can act at once.
    services.sync_role_permissions(users=[user])
