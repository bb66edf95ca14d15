"""System checks of the governance app that look at the data (`manage.py check --database
default`; migrate runs them too)."""

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError


@register(Tags.database)
def every_account_has_a_home(app_configs=None, databases=None, **kwargs):
    """Accounts other than superusers without a home organisation: only superusers can
    manage them until someone gives them one (the migration that introduced homes could
    not tell where they belong)."""
    from django.contrib.auth import get_user_model

    found = []
    for alias in databases or ():
        try:
            names = list(
                get_user_model()
                .objects.using(alias)
                .filter(is_superuser=False, account__isnull=True)
                .order_by("username")
                .values_list("username", flat=True)[:20]
            )
        except DatabaseError:  # before the migrations: nothing to check yet
            continue
        if names:
            found.append(
                Warning(
                    f"Accounts without a home organisation on {alias!r}: {', '.join(names)}",
                    hint="A superuser gives each a home in the admin site (Users → home organisation).",
                    id="governance.W001",
                )
            )
    return found
