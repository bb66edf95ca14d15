"""The members of the Stadtverbund and their tree: cities, departments, municipal
enterprises and subsidiaries, each with its legal entity (the controller under data
protection law)."""

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .history import PersonText


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
    # The id other catalogs know the organisation by (CKAN's organisation id): stable
    # across renames and unique across portals, unlike the pk and the slug.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
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
    history = HistoricalRecords(bases=[PersonText])

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

    def lineage(self) -> list["Organisation"]:
        """The organisation and every one above it, up to the root of its tree."""
        chain = [self]
        while chain[-1].parent_id and chain[-1].parent_id not in {organisation.pk for organisation in chain}:
            chain.append(chain[-1].parent)
        return chain

    @property
    def city(self) -> "Organisation":
        """The root of the organisation's tree: the city (with its offices and enterprises)
        it belongs to, the tenant of the network."""
        return self.lineage()[-1]

    @property
    def controller(self) -> "Organisation":
        """The legal entity answerable under data protection law (Art. 4 Nr. 7 DSGVO)."""
        return self.legal_entity or self

    def same_controller(self, other: "Organisation") -> bool:
        """Whether data flowing from self to other stays inside one controller; otherwise
        it is a transfer that needs a legal basis and an agreement."""
        return self.controller.pk == other.controller.pk
