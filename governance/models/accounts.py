"""Every person's account belongs to a home organisation; the governance admins over it
manage the account (create, password, deactivate, roles)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .history import PersonText
from .organisations import Organisation


class Account(models.Model):
    """A person's account in the Stadtverbund and the organisation it belongs to (its
    home). Only governance admins whose role covers the home manage it, so an admin of one
    city never sets the password of a person of another, whether that person holds a role
    yet or not. Superusers (the platform's operators) may be without one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("Person"), on_delete=models.CASCADE, related_name="account"
    )
    home_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("Heimatorganisation"),
        on_delete=models.PROTECT,
        related_name="accounts",
        help_text=_("Nur die Governance-Admins dieser Organisation (und der Einheiten darüber) verwalten das Konto."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    history = HistoricalRecords(bases=[PersonText])

    class Meta:
        verbose_name = _("Konto")
        verbose_name_plural = _("Konten")
        ordering = ["user__username"]

    def __str__(self):
        return self.user.get_username()
