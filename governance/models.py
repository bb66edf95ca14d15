from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class OrgType(models.TextChoices):
    KERNVERWALTUNG = "kern", _("Kernverwaltung")
    EIGENBETRIEB = "eigenbetrieb", _("Eigenbetrieb")
    EIGENGESELLSCHAFT = "eigengesellschaft", _("Eigengesellschaft")
    BETEILIGUNG = "beteiligung", _("Beteiligung")
    ZWECKVERBAND = "zweckverband", _("Zweckverband")


class DNGRole(models.TextChoices):
    PUBLIC_BODY = "oeffentliche_stelle", _("Öffentliche Stelle (§ 2 Abs. 1 Nr. 1 DNG)")
    DASEINSVORSORGE = "daseinsvorsorge", _("Unternehmen der Daseinsvorsorge (§ 2 Abs. 1 Nr. 2 DNG)")
    NONE = "nicht_erfasst", _("Nicht vom DNG erfasst")


class DataProtectionRegime(models.TextChoices):
    LDSG_BW = "ldsg_bw", _("LDSG Baden-Württemberg (öffentliche Stelle)")
    THUERDSG = "thuerdsg", _("ThürDSG (öffentliche Stelle)")
    BDSG_NONPUBLIC = "bdsg_np", _("BDSG, nicht-öffentliche Stelle")
    OTHER = "other", _("Anderes Landesrecht")


class OrganisationQuerySet(models.QuerySet):
    def subtree_ids(self, roots) -> set[int]:
        """The ids of the given organisations and of every organisation below them."""
        found = {org.pk if isinstance(org, Organisation) else org for org in roots}
        frontier = set(found)
        # The tree is shallow (network → city → department), so a few queries suffice.
        while frontier:
            frontier = set(self.filter(parent__in=frontier).values_list("pk", flat=True)) - found
            found |= frontier
        return found


class Organisation(models.Model):
    """A member of the Stadtverbund: a core administration, one of its departments, a
    municipal enterprise or a subsidiary."""

    name = models.CharField(_("Name"), max_length=200, unique=True)
    slug = models.SlugField(_("Kurzname"), max_length=80, unique=True)
    org_type = models.CharField(_("Art"), max_length=32, choices=OrgType.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("Übergeordnete Einheit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    legal_entity = models.ForeignKey(
        "self",
        verbose_name=_("Rechtsträger (Verantwortlicher)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Leer lassen, wenn die Organisation selbst Rechtsträger ist (z. B. eine GmbH oder die Stadt)."),
    )
    municipality = models.CharField(_("Kommune"), max_length=200)
    municipality_key = models.CharField(
        _("Amtlicher Gemeindeschlüssel"),
        max_length=8,
        blank=True,
        help_text=_("Acht Ziffern, z. B. 16053000 für Jena."),
    )
    state = models.CharField(_("Land"), max_length=2, help_text=_("Kürzel, z. B. TH oder BW."))
    dng_role = models.CharField(_("Rolle nach DNG"), max_length=32, choices=DNGRole.choices)
    data_protection_regime = models.CharField(
        _("Datenschutzrecht"), max_length=16, choices=DataProtectionRegime.choices
    )
    dpo_contact = models.CharField(_("Kontakt Datenschutzbeauftragte:r"), max_length=300, blank=True)
    contributor_id = models.URLField(
        _("DCAT-AP.de Contributor-ID"),
        blank=True,
        help_text=_("URI aus http://dcat-ap.de/def/contributors/, z. B. …/stadtJena."),
    )
    website = models.URLField(_("Website"), blank=True)
    email = models.EmailField(_("E-Mail"), blank=True)
    # Optimistic locking: an edit names the version it started from (see services).
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords()

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("Organisation")
        verbose_name_plural = _("Organisationen")
        ordering = ["name"]
        permissions = [
            # One object permission per role; RoleAssignment decides who holds them.
            ("act_as_steward", _("Als Datenverantwortliche:r handeln")),
            ("act_as_owner", _("Als Dateneigentümer:in handeln")),
            ("act_as_legal_reviewer", _("Als Rechtsprüfer:in handeln")),
            ("act_as_ethics_board_member", _("Als Mitglied des Ethikbeirats handeln")),
            ("act_as_governance_admin", _("Als Governance-Admin / Auditor:in handeln")),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("governance:organisation_detail", args=[self.slug])

    def clean(self):
        if self.municipality_key and not (self.municipality_key.isdigit() and len(self.municipality_key) == 8):
            raise ValidationError({"municipality_key": _("Der Gemeindeschlüssel hat genau acht Ziffern.")})
        if self.pk and self.parent_id:
            ancestor = self.parent
            while ancestor is not None:
                if ancestor.pk == self.pk:
                    raise ValidationError({"parent": _("Eine Organisation kann nicht unter sich selbst stehen.")})
                ancestor = ancestor.parent

    @property
    def controller(self) -> "Organisation":
        """The legal entity answerable under data protection law (Art. 4 Nr. 7 DSGVO)."""
        return self.legal_entity or self

    def same_controller(self, other: "Organisation") -> bool:
        """Whether data flowing from self to other stays inside one controller; otherwise
        it is a transfer that needs a legal basis and an agreement."""
        return self.controller.pk == other.controller.pk


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


class RoleAssignmentQuerySet(models.QuerySet):
    def active(self, at=None):
        """Assignments in force at the given time; a deputy only while the person it
        stands in for still holds the role."""
        at = at or timezone.now()
        in_period = Q(valid_from__lte=at) & (Q(valid_until__isnull=True) | Q(valid_until__gt=at))
        principal_in_period = Q(deputy_for__valid_from__lte=at) & (
            Q(deputy_for__valid_until__isnull=True) | Q(deputy_for__valid_until__gt=at)
        )
        return self.filter(in_period, Q(deputy_for__isnull=True) | principal_in_period, revoked_at__isnull=True).filter(
            Q(deputy_for__isnull=True) | Q(deputy_for__revoked_at__isnull=True)
        )


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
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    note = models.CharField(_("Anmerkung"), max_length=300, blank=True)
    history = HistoricalRecords()

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
            text += " " + str(_("(Vertretung)"))
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

    def is_active(self, at=None) -> bool:
        return RoleAssignment.objects.active(at).filter(pk=self.pk).exists()
