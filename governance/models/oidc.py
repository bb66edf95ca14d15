"""Single sign-on through OpenID Connect (governance.oidc): who a person is at the city's
identity provider, which of their groups give which role, which role assignments came
from that mapping, and which sessions a provider's back-channel logout ends."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .history import PersonText
from .organisations import Organisation
from .roles import Role, RoleAssignment


class OidcIdentity(models.Model):
    """The account a person signs in to through the provider: found again by issuer and
    `sub` (never by e-mail alone, which a provider may reassign)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("Person"), on_delete=models.CASCADE, related_name="oidc_identity"
    )
    issuer = models.CharField(_("Identitätsanbieter"), max_length=300)
    subject = models.CharField(_("Kennung beim Anbieter (sub)"), max_length=255)
    groups = models.JSONField(_("Gruppen bei der letzten Anmeldung"), default=list, blank=True)
    last_login = models.DateTimeField(_("Letzte Anmeldung"), null=True, blank=True)

    class Meta:
        verbose_name = _("Dienstkonto")
        verbose_name_plural = _("Dienstkonten")
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="oidc_identity_unique_subject")]

    def __str__(self):
        return f"{self.subject} @ {self.issuer}"


class OidcGroupRole(models.Model):
    """A group of the identity provider gives a role in an organisation; kept by the
    governance admins of that organisation."""

    group = models.CharField(
        _("Gruppe beim Identitätsanbieter"),
        max_length=255,
        help_text=_("Der Wert im Gruppen-Claim, z. B. der Gruppenname in Keycloak oder die Objekt-ID in Entra ID."),
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("Organisation"), on_delete=models.PROTECT, related_name="oidc_group_roles"
    )
    role = models.CharField(_("Rolle"), max_length=32, choices=Role.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    history = HistoricalRecords(bases=[PersonText])

    class Meta:
        verbose_name = _("Gruppenzuordnung")
        verbose_name_plural = _("Gruppenzuordnungen")
        ordering = ["organisation__name", "group", "role"]
        constraints = [
            models.UniqueConstraint(fields=["group", "organisation", "role"], name="oidc_group_role_unique"),
        ]

    def __str__(self):
        return f"{self.group} → {self.get_role_display()} – {self.organisation}"


class OidcRoleGrant(models.Model):
    """A role assignment made by the sign-in from a group mapping: only these are taken
    away again when the group goes; assignments made in Stadtdaten stay."""

    assignment = models.OneToOneField(RoleAssignment, on_delete=models.PROTECT, related_name="oidc_grant")
    group = models.CharField(max_length=255)

    def __str__(self):
        return f"{self.assignment} ({self.group})"


class OidcSession(models.Model):
    """A session opened through the provider, with the provider's session id (`sid`) and
    subject: what a back-channel logout names, and the session keys it ends."""

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    sid = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["issuer", "sid"]), models.Index(fields=["issuer", "subject"])]

    def __str__(self):
        return f"{self.user} ({self.sid or self.subject})"
