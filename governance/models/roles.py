"""Who holds which role in which organisation, for which period, and who stands in for
whom (deputies)."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .history import PersonText
from .organisations import Organisation


class Role(models.TextChoices):
    STEWARD = "steward", _("Datenverantwortliche:r")
    OWNER = "owner", _("Dateneigentümer:in")
    LEGAL_REVIEWER = "legal_reviewer", _("Rechtsprüfung")
    ETHICS_BOARD_MEMBER = "ethics_board_member", _("Ethikbeirat")
    GOVERNANCE_ADMIN = "governance_admin", _("Governance-Admin / Audit")

    @property
    def codename(self) -> str:
        return f"act_as_{self.value}"

    @property
    def permission(self) -> str:
        return f"governance.act_as_{self.value}"


# A deputy proposed by the holder of the role, not yet approved by a governance admin.
PROPOSAL = Q(deputy_for__isnull=False, approved_at__isnull=True)


class RoleAssignmentQuerySet(models.QuerySet):
    def active(self, at=None):
        """Assignments in force at the given time (the one door: permissions, inboxes and
        votes all ask here); a deputy only once approved, and only while the person it
        stands in for still holds the role."""
        at = at or timezone.now()
        in_period = Q(valid_from__lte=at) & (Q(valid_until__isnull=True) | Q(valid_until__gt=at))
        principal_in_period = Q(deputy_for__valid_from__lte=at) & (
            Q(deputy_for__valid_until__isnull=True) | Q(deputy_for__valid_until__gt=at)
        )
        return (
            self.granted()
            .filter(in_period, Q(deputy_for__isnull=True) | principal_in_period, revoked_at__isnull=True)
            .filter(Q(deputy_for__isnull=True) | Q(deputy_for__revoked_at__isnull=True))
        )

    def granted(self):
        """Assignments that were given: every role, and the deputies a governance admin
        appointed or approved (not the proposals still waiting)."""
        return self.exclude(PROPOSAL)

    def proposed(self):
        """Deputies the holder of a role proposed, waiting for a governance admin."""
        return self.filter(PROPOSAL, revoked_at__isnull=True)


class RoleAssignment(models.Model):
    """A person holds a role in an organisation, for a period, possibly as deputy
    (Vertretung) of another assignment. The role covers the organisation and every
    unit below it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Person"), on_delete=models.PROTECT, related_name="role_assignments"
    )
    role = models.CharField(_("Rolle"), max_length=32, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("Organisation"), on_delete=models.PROTECT, related_name="role_assignments"
    )
    deputy_for = models.ForeignKey(
        "self",
        verbose_name=_("Vertretung für"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deputies",
    )
    valid_from = models.DateTimeField(_("Gültig ab"), default=timezone.now)
    valid_until = models.DateTimeField(_("Gültig bis"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("Entzogen am"), null=True, blank=True, editable=False)
    # A deputy acts only once a governance admin granted it: appointed it (then at once)
    # or approved the holder's proposal. Empty for a deputy: a proposal; for a role: unused.
    approved_at = models.DateTimeField(_("Genehmigt am"), null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Genehmigt von"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    note = models.CharField(_("Anmerkung"), max_length=300, blank=True)
    history = HistoricalRecords(bases=[PersonText])

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("Rollenzuweisung")
        verbose_name_plural = _("Rollenzuweisungen")
        ordering = ["organisation__name", "role", "valid_from"]
        indexes = [models.Index(fields=["user", "role"]), models.Index(fields=["valid_until"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="role_period_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(deputy_for__isnull=True) | Q(valid_until__isnull=False),
                name="deputy_has_end_date",
            ),
        ]

    def __str__(self):
        text = f"{self.user} – {self.get_role_display()} – {self.organisation}"
        if self.deputy_for_id:
            text += " " + str(_("(Vorschlag einer Vertretung)") if self.approved_at is None else _("(Vertretung)"))
        return text

    def clean(self):
        if self.valid_until and self.valid_from and self.valid_until <= self.valid_from:
            raise ValidationError({"valid_until": _("Das Ende muss nach dem Beginn liegen.")})
        if self.deputy_for_id:
            principal = self.deputy_for
            if not self.valid_until:
                raise ValidationError({"valid_until": _("Eine Vertretung braucht ein Enddatum.")})
            if principal.role != self.role or principal.organisation_id != self.organisation_id:
                raise ValidationError(
                    {"deputy_for": _("Eine Vertretung übernimmt dieselbe Rolle in derselben Organisation.")}
                )
            if principal.user_id == self.user_id:
                raise ValidationError({"deputy_for": _("Niemand kann sich selbst vertreten.")})
            if principal.deputy_for_id:
                raise ValidationError({"deputy_for": _("Eine Vertretung kann nicht weiter vertreten werden.")})
            if self.valid_from and self.valid_until - self.valid_from > timedelta(days=settings.DEPUTY_MAX_DAYS):
                raise ValidationError(
                    {
                        "valid_until": _(
                            "Eine Vertretung gilt höchstens %(days)d Tage; bitte wählen Sie ein früheres Ende."
                        )
                        % {"days": settings.DEPUTY_MAX_DAYS}
                    }
                )

    @property
    def is_proposal(self) -> bool:
        return bool(self.deputy_for_id) and self.approved_at is None

    def is_active(self, at=None) -> bool:
        return RoleAssignment.objects.active(at).filter(pk=self.pk).exists()
