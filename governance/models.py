import hashlib

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .rules import ALTERNATIVE_FORMS, ConditionError, Effect, ReviewRole, describe_condition, validate_condition
from .vocabularies import Vocabulary


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


class ImmutableError(Exception):
    """A write to a record that must never change (an adopted policy version, a
    decision, an audit event)."""


class BulkWriteRefused(ImmutableError):
    """A bulk write would bypass the history and the audit journal."""


class AppendOnlyQuerySet(models.QuerySet):
    """Rows are only ever inserted one at a time through save()."""

    def update(self, **kwargs):
        raise BulkWriteRefused(f"{self.model.__name__} is append-only; rows are never updated.")

    def delete(self):
        raise BulkWriteRefused(f"{self.model.__name__} is append-only; rows are never deleted.")

    def bulk_create(self, *args, **kwargs):
        raise BulkWriteRefused(f"{self.model.__name__} rows are written one by one, with their audit event.")

    def bulk_update(self, *args, **kwargs):
        raise BulkWriteRefused(f"{self.model.__name__} is append-only; rows are never updated.")

    update.alters_data = delete.alters_data = bulk_create.alters_data = bulk_update.alters_data = True


class InsertOnlyQuerySet(AppendOnlyQuerySet):
    """Append-only link rows that their owner writes together in one transaction."""

    def bulk_create(self, objs, *args, **kwargs):
        return models.QuerySet.bulk_create(self, objs, *args, **kwargs)

    bulk_create.alters_data = True


# ---------------------------------------------------------------------------
# Reference vocabularies


class VocabularyTermQuerySet(models.QuerySet):
    def in_force(self, on=None):
        """Terms valid on the given day (valid_from inclusive, valid_until exclusive)."""
        on = on or timezone.localdate()
        return self.filter(Q(valid_from__lte=on), Q(valid_until__isnull=True) | Q(valid_until__gt=on))

    def of(self, vocabulary):
        return self.filter(vocabulary=vocabulary)


class VocabularyTerm(models.Model):
    """One version of a term of a legal or open-data vocabulary: a legal basis, an
    exclusion ground, a licence, an HVD category. A change of label, sources or
    attributes is a new row that starts when the old one ends."""

    vocabulary = models.CharField(_("Vokabular"), max_length=32, choices=Vocabulary.choices)
    code = models.CharField(_("Code"), max_length=64)
    label = models.CharField(_("Bezeichnung"), max_length=300)
    sources = models.JSONField(_("Rechtsquellen"), default=list, blank=True)
    attributes = models.JSONField(_("Merkmale"), default=dict, blank=True)
    source_url = models.URLField(_("Quelle (Adresse)"), max_length=500, blank=True)
    valid_from = models.DateField(_("Gültig ab"))
    valid_until = models.DateField(_("Gültig bis (ausschließlich)"), null=True, blank=True)
    history = HistoricalRecords()

    objects = VocabularyTermQuerySet.as_manager()

    class Meta:
        verbose_name = _("Vokabularbegriff")
        verbose_name_plural = _("Vokabularbegriffe")
        ordering = ["vocabulary", "code", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["vocabulary", "code", "valid_from"], name="vocabulary_term_version"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="vocabulary_term_period",
            ),
        ]

    def __str__(self):
        return f"{self.code} – {self.label}"


# ---------------------------------------------------------------------------
# Policy documents, versions, sections


class PolicyKind(models.TextChoices):
    DATA_STRATEGY = "data_strategy", _("Datenstrategie")
    STATUTE = "statute", _("Satzung")
    SERVICE_INSTRUCTION = "service_instruction", _("Dienstanweisung")
    CONTRACT = "contract", _("Vertrag oder Vereinbarung")
    COUNCIL_RESOLUTION = "council_resolution", _("Ratsbeschluss")
    GUIDELINE = "guideline", _("Leitlinie")


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", _("Entwurf")
    ADOPTED = "adopted", _("Beschlossen")
    IN_FORCE = "in_force", _("In Kraft gesetzt")
    SUPERSEDED = "superseded", _("Abgelöst")
    REPEALED = "repealed", _("Aufgehoben")


class PolicyDocument(models.Model):
    """A strategy, statute, service instruction, contract, council resolution or
    guideline of the Stadtverbund; its text lives in versions."""

    slug = models.SlugField(_("Kurzname"), max_length=80, unique=True)
    kind = models.CharField(_("Art"), max_length=32, choices=PolicyKind.choices)
    title = models.CharField(_("Titel"), max_length=300)
    description = models.TextField(_("Worum es geht"), blank=True)
    issuer = models.ForeignKey(
        Organisation,
        verbose_name=_("Herausgeber"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="policy_documents",
        help_text=_("Leer lassen, wenn das Dokument für den ganzen Stadtverbund erlassen wird."),
    )
    applies_to = models.ManyToManyField(
        Organisation,
        verbose_name=_("Gilt für"),
        blank=True,
        related_name="applicable_policies",
        help_text=_("Leer lassen, wenn es für alle Mitglieder des Stadtverbunds gilt."),
    )
    created = models.DateTimeField(_("Angelegt am"), auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[applies_to])

    class Meta:
        verbose_name = _("Richtliniendokument")
        verbose_name_plural = _("Richtliniendokumente")
        ordering = ["kind", "title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("governance:policy_detail", args=[self.slug])

    def version_in_force(self, on=None) -> "PolicyVersion | None":
        return self.versions.in_force(on).first()


class PolicyVersionQuerySet(models.QuerySet):
    def in_force(self, on=None):
        """Versions in force on the given day: valid_from ≤ day < valid_until. The day
        a version enters force it counts; the day it leaves force (its valid_until,
        which is its successor's valid_from) it no longer does."""
        on = on or timezone.localdate()
        return self.filter(
            Q(valid_from__isnull=False, valid_from__lte=on),
            Q(valid_until__isnull=True) | Q(valid_until__gt=on),
        ).exclude(status=PolicyStatus.DRAFT)


class PolicyVersion(models.Model):
    """One version of a policy document. A draft can be edited; from adoption on its
    text never changes (ORM, admin, UI and, on PostgreSQL, a trigger refuse it): an
    amendment is a new version. Only the period in force is set later, by the
    transitions in services."""

    # What the transitions may still write on an adopted version.
    LIFECYCLE_FIELDS = frozenset({"status", "valid_from", "valid_until"})

    document = models.ForeignKey(
        PolicyDocument, verbose_name=_("Dokument"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("Fassung"), editable=False)
    title = models.CharField(_("Titel"), max_length=300)
    body = models.TextField(
        _("Text"),
        help_text=_(
            "Markdown. Überschriften wie „## § 3 Ausschlussgründe“ beginnen einen Paragraphen, "
            "Absätze beginnen mit „(1)“, „(2)“ …; Regeln zitieren sie als „§ 3 Abs. 2“."
        ),
    )
    change_note = models.CharField(_("Was sich ändert"), max_length=500, blank=True)
    status = models.CharField(
        _("Status"), max_length=16, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT, editable=False
    )
    adopted_by = models.CharField(_("Beschlossen von"), max_length=200, blank=True, editable=False)
    adopted_on = models.DateField(_("Beschlossen am"), null=True, blank=True, editable=False)
    resolution_number = models.CharField(_("Beschluss-Nr."), max_length=60, blank=True, editable=False)
    valid_from = models.DateField(_("In Kraft ab"), null=True, blank=True, editable=False)
    valid_until = models.DateField(_("In Kraft bis (ausschließlich)"), null=True, blank=True, editable=False)
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("Beruht auf Fassung"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created = models.DateTimeField(_("Angelegt am"), auto_now_add=True)
    history = HistoricalRecords()

    objects = PolicyVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("Fassung")
        verbose_name_plural = _("Fassungen")
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="policy_version_number"),
            models.UniqueConstraint(
                fields=["document"], condition=Q(status="draft"), name="policy_one_draft_per_document"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="policy_version_period",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(adopted_on__isnull=False), name="policy_version_adopted_on"
            ),
        ]

    def __str__(self):
        return f"{self.document} – {_('Fassung')} {self.number}"

    def save(self, *args, **kwargs):
        stored = getattr(self, "_stored_status", None)
        if self.pk is not None and stored not in (None, PolicyStatus.DRAFT):
            update_fields = kwargs.get("update_fields")
            if update_fields is None or not set(update_fields) <= self.LIFECYCLE_FIELDS:
                raise ImmutableError("An adopted policy version never changes; amend it with a new version.")
        super().save(*args, **kwargs)
        self._stored_status = self.status

    def get_absolute_url(self):
        return reverse("governance:policy_version", args=[self.document.slug, self.number])

    def delete(self, *args, **kwargs):
        if getattr(self, "_stored_status", self.status) != PolicyStatus.DRAFT:
            raise ImmutableError("An adopted policy version is never deleted.")
        return super().delete(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_status = instance.__dict__.get("status")
        return instance

    @property
    def is_draft(self) -> bool:
        return self.status == PolicyStatus.DRAFT

    def is_in_force(self, on=None) -> bool:
        on = on or timezone.localdate()
        return (
            not self.is_draft
            and self.valid_from is not None
            and self.valid_from <= on
            and (self.valid_until is None or on < self.valid_until)
        )


class DraftOnlyMixin:
    """Sections and rule versions share their policy version's fate: editable in a
    draft, frozen from adoption on."""

    def _version_is_draft(self) -> bool:
        return self.policy_version.status == PolicyStatus.DRAFT

    def save(self, *args, **kwargs):
        if not self._version_is_draft():
            raise ImmutableError(f"{type(self).__name__} of an adopted policy version never changes.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if not self._version_is_draft():
            raise ImmutableError(f"{type(self).__name__} of an adopted policy version is never deleted.")
        return super().delete(*args, **kwargs)


class PolicySection(DraftOnlyMixin, models.Model):
    """A paragraph (§) or sub-paragraph (Abs.) of a version, which rules cite. Sections
    are derived from the version's Markdown text."""

    policy_version = models.ForeignKey(
        PolicyVersion, verbose_name=_("Fassung"), on_delete=models.PROTECT, related_name="sections"
    )
    number = models.CharField(_("Nummer"), max_length=40)
    heading = models.CharField(_("Überschrift"), max_length=300, blank=True)
    text = models.TextField(_("Text"), blank=True)
    position = models.PositiveIntegerField(_("Reihenfolge"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Abschnitt")
        verbose_name_plural = _("Abschnitte")
        ordering = ["policy_version", "position"]
        constraints = [models.UniqueConstraint(fields=["policy_version", "number"], name="policy_section_number")]

    def __str__(self):
        return f"{self.number} {self.heading}".strip()


class Rule(models.Model):
    """A rule of the open-by-default decision, identified by a stable code across
    versions (e.g. R-PERSONENBEZUG)."""

    code = models.CharField(
        _("Code"),
        max_length=40,
        unique=True,
        validators=[
            RegexValidator(r"^[A-Z][A-Z0-9-]*$", _("Großbuchstaben, Ziffern und Bindestriche, z. B. R-PERSONENBEZUG."))
        ],
    )
    document = models.ForeignKey(
        PolicyDocument, verbose_name=_("Dokument"), on_delete=models.PROTECT, related_name="rules"
    )
    created = models.DateTimeField(_("Angelegt am"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Regel")
        verbose_name_plural = _("Regeln")
        ordering = ["code"]

    def __str__(self):
        return self.code


class RuleVersionQuerySet(models.QuerySet):
    def in_force(self, on=None):
        """Rule versions whose policy version is in force on the given day."""
        return self.filter(policy_version__in=PolicyVersion.objects.in_force(on)).select_related(
            "rule", "section", "policy_version__document"
        )


class RuleVersion(DraftOnlyMixin, models.Model):
    """One version of a rule, part of one policy version and citing one of its
    sections: a condition over the facts of a dataset and its effect."""

    rule = models.ForeignKey(Rule, verbose_name=_("Regel"), on_delete=models.PROTECT, related_name="versions")
    policy_version = models.ForeignKey(
        PolicyVersion, verbose_name=_("Fassung"), on_delete=models.PROTECT, related_name="rule_versions"
    )
    section = models.ForeignKey(
        PolicySection, verbose_name=_("Abschnitt"), on_delete=models.PROTECT, related_name="rule_versions"
    )
    number = models.PositiveIntegerField(_("Version"), editable=False)
    title = models.CharField(_("Titel"), max_length=300)
    condition = models.JSONField(_("Bedingung"))
    effect = models.CharField(_("Wirkung"), max_length=24, choices=Effect.choices)
    ground = models.CharField(_("Ausschlussgrund"), max_length=64, blank=True)
    alternative = models.CharField(
        _("Vorgeschlagene Alternative"),
        max_length=16,
        blank=True,
        choices=[(form.value, form.label) for form in ALTERNATIVE_FORMS],
    )
    review_roles = models.JSONField(_("Prüfung durch"), default=list, blank=True)
    conditions_text = models.TextField(_("Auflagen"), blank=True)
    rereview_months = models.PositiveSmallIntegerField(_("Wiedervorlage nach Monaten"), null=True, blank=True)
    explanation = models.TextField(_("Erläuterung"), blank=True)
    history = HistoricalRecords()

    objects = RuleVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("Regelversion")
        verbose_name_plural = _("Regelversionen")
        ordering = ["rule__code", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "policy_version"], name="rule_version_per_policy_version"),
            models.UniqueConstraint(fields=["rule", "number"], name="rule_version_number"),
        ]

    def __str__(self):
        return f"{self.rule.code} v{self.number}"

    @property
    def code(self) -> str:
        return self.rule.code

    @property
    def section_number(self) -> str:
        return self.section.number

    def describe_condition(self) -> str:
        return describe_condition(self.condition)

    def get_review_roles_display(self) -> str:
        labels = dict(ReviewRole.choices)
        return ", ".join(str(labels.get(role, role)) for role in self.review_roles)

    def clean(self):
        errors: dict[str, list] = {}

        def add(name, message):
            errors.setdefault(name, []).append(message)

        try:
            validate_condition(self.condition)
        except ConditionError as error:
            add("condition", str(error))
        if self.section_id and self.policy_version_id and self.section.policy_version_id != self.policy_version_id:
            add("section", _("Der Abschnitt gehört nicht zu dieser Fassung."))
        if self.effect == Effect.BLOCK:
            if not self.ground:
                add("ground", _("Eine Sperre nennt einen Ausschlussgrund."))
            elif (
                not VocabularyTerm.objects.in_force()
                .filter(vocabulary=Vocabulary.EXCLUSION_GROUND, code=self.ground)
                .exists()
            ):
                add("ground", _("Unbekannter Ausschlussgrund „%(code)s“.") % {"code": self.ground})
            if self.alternative not in [form.value for form in ALTERNATIVE_FORMS]:
                add(
                    "alternative",
                    _("Eine Sperre schlägt eine Alternative vor (aggregiert, geschwärzt, intern, nicht)."),
                )
            if not self.rereview_months:
                add("rereview_months", _("Eine Sperre braucht eine Wiedervorlage (in Monaten)."))
        elif self.ground or self.alternative:
            add(
                "ground" if self.ground else "alternative",
                _("Ausschlussgrund und Alternative gibt es nur bei Sperren."),
            )
        if self.effect == Effect.REQUIRE_REVIEW:
            if not self.review_roles:
                add("review_roles", _("Bitte mindestens eine prüfende Stelle wählen."))
            unknown = set(self.review_roles) - set(ReviewRole.values)
            if unknown:
                add("review_roles", _("Unbekannte prüfende Stelle: %(roles)s") % {"roles": ", ".join(sorted(unknown))})
        elif self.review_roles:
            add("review_roles", _("Prüfende Stellen gibt es nur bei der Wirkung „Prüfung verlangen“."))
        if self.effect == Effect.REQUIRE_CONDITIONS and not self.conditions_text.strip():
            add("conditions_text", _("Bitte die Auflagen beschreiben."))
        if errors:
            raise ValidationError(errors)


# ---------------------------------------------------------------------------
# Decisions


class DecisionKind(models.TextChoices):
    PUBLICATION = "publication", _("Veröffentlichung")
    REVIEW = "review", _("Prüfung")
    SHARING = "sharing", _("Datenteilung")
    CLASSIFICATION = "classification", _("Klassifizierung")
    ACCESS = "access", _("Zugang")
    ETHICS = "ethics", _("Ethik")


class DecisionOutcome(models.TextChoices):
    OPEN = "open", _("als Open Data veröffentlichen")
    AGGREGATED = "aggregated", _("nur aggregiert oder anonymisiert veröffentlichen")
    REDACTED = "redacted", _("teilweise veröffentlichen")
    INTERNAL = "internal", _("nur Stadtverbund-intern")
    CLOSED = "closed", _("nicht veröffentlichungsfähig")
    PENDING = "pending", _("Prüfung ausstehend")
    APPROVED = "approved", _("freigegeben")
    APPROVED_WITH_CONDITIONS = "approved_with_conditions", _("mit Auflagen freigegeben")
    RETURNED = "returned", _("zurückgegeben")
    REJECTED = "rejected", _("abgelehnt")
    GRANTED = "granted", _("gewährt")
    REFUSED = "refused", _("verweigert")
    WITHDRAWN = "withdrawn", _("zurückgezogen")


class Decision(models.Model):
    """A publication, review, sharing or classification decision, append-only: who
    decided what, when, why, on which exact versions of the subject and its
    classification, under which rule and policy versions."""

    kind = models.CharField(_("Art"), max_length=16, choices=DecisionKind.choices)
    subject_type = models.ForeignKey(
        ContentType, verbose_name=_("Gegenstand (Art)"), on_delete=models.PROTECT, related_name="+"
    )
    subject_id = models.CharField(_("Gegenstand (Kennung)"), max_length=64)
    subject_repr = models.CharField(_("Gegenstand"), max_length=300)
    # The exact history row (version) of the subject the decision judged.
    subject_version_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_version_id = models.BigIntegerField(null=True, blank=True)
    # The exact classification version (or its history row) the decision judged.
    classification_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    classification_id = models.BigIntegerField(null=True, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("Organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decisions",
    )
    outcome = models.CharField(_("Ergebnis"), max_length=32, choices=DecisionOutcome.choices)
    reasons = models.TextField(_("Begründung"), blank=True)
    exclusion_grounds = models.JSONField(_("Ausschlussgründe"), default=list, blank=True)
    required_reviews = models.JSONField(_("Erforderliche Prüfungen"), default=list, blank=True)
    conditions = models.JSONField(_("Auflagen"), default=list, blank=True)
    rereview_on = models.DateField(_("Wiedervorlage am"), null=True, blank=True)
    evaluation = models.JSONField(_("Auswertung der Regeln"), default=dict, blank=True)
    rule_versions = models.ManyToManyField(
        RuleVersion, verbose_name=_("Ausgewertete Regelversionen"), through="DecisionRuleVersion", blank=True
    )
    policy_versions = models.ManyToManyField(
        PolicyVersion, verbose_name=_("Geltende Fassungen"), through="DecisionPolicyVersion", blank=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Entschieden von"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("Entschieden am"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("Entscheidung")
        verbose_name_plural = _("Entscheidungen")
        ordering = ["-decided_at", "-pk"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "-decided_at"])]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.subject_repr} – {self.get_outcome_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            raise ImmutableError("A decision is never changed; record a new one.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("A decision is never deleted.")

    @property
    def subject_version(self):
        """The history row (or immutable version) of the subject the decision judged."""
        if self.subject_version_type_id is None:
            return None
        return self.subject_version_type.get_object_for_this_type(pk=self.subject_version_id)

    @property
    def classification(self):
        if self.classification_type_id is None:
            return None
        return self.classification_type.get_object_for_this_type(pk=self.classification_id)


class DecisionRuleVersion(models.Model):
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="+")
    rule_version = models.ForeignKey(RuleVersion, on_delete=models.PROTECT, related_name="+")

    objects = InsertOnlyQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["decision", "rule_version"], name="decision_rule_version")]

    def __str__(self):
        return f"{self.decision_id} – {self.rule_version_id}"


class DecisionPolicyVersion(models.Model):
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="+")
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")

    objects = InsertOnlyQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["decision", "policy_version"], name="decision_policy_version")]

    def __str__(self):
        return f"{self.decision_id} – {self.policy_version_id}"


# ---------------------------------------------------------------------------
# Audit journal


class AuditAction(models.TextChoices):
    CREATE = "create", _("angelegt")
    UPDATE = "update", _("geändert")
    DELETE = "delete", _("gelöscht")
    DECISION = "decision", _("entschieden")
    PERMISSION = "permission", _("Berechtigung geändert")
    EXPORT = "export", _("Audit exportiert")


GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained audit journal. `hash` is SHA-256
    over `prev_hash` and the canonical JSON of the event (see audit.payload()), so a
    changed, removed or reordered entry breaks the chain at that point."""

    seq = models.PositiveBigIntegerField(_("Nummer"), unique=True)
    time = models.DateTimeField(_("Zeitpunkt"))
    # No database constraint: the journal outlives users and organisations; the
    # *_repr fields keep who and what it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Person"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_repr = models.CharField(_("Person (Name)"), max_length=200, blank=True)
    action = models.CharField(_("Aktion"), max_length=16, choices=AuditAction.choices)
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("Objektart"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    object_id = models.CharField(_("Objekt-Kennung"), max_length=64, blank=True)
    object_repr = models.CharField(_("Objekt"), max_length=300, blank=True)
    version_id = models.BigIntegerField(_("Versions-Kennung"), null=True, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("Organisation"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    request_id = models.CharField(_("Anfrage-Kennung"), max_length=64, blank=True)
    reason = models.CharField(_("Grund"), max_length=500, blank=True)
    data = models.JSONField(_("Daten"), default=dict, blank=True)
    prev_hash = models.CharField(_("Vorheriger Hash"), max_length=64)
    hash = models.CharField(_("Hash"), max_length=64, unique=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("Audit-Ereignis")
        verbose_name_plural = _("Audit-Ereignisse")
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "seq"]),
            models.Index(fields=["organisation", "seq"]),
            models.Index(fields=["time"]),
            models.Index(fields=["action", "seq"]),
            models.Index(fields=["actor", "seq"]),
        ]

    def __str__(self):
        return f"#{self.seq} {self.get_action_display()} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableError("An audit event is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("An audit event is never deleted.")


class AuditVerification(models.Model):
    """The result of one walk over the audit chain (`verify_audit`, or on demand in
    the audit view)."""

    started = models.DateTimeField(_("Geprüft am"), default=timezone.now)
    ok = models.BooleanField(_("Kette intakt"))
    events_checked = models.PositiveBigIntegerField(_("Geprüfte Ereignisse"), default=0)
    last_seq = models.PositiveBigIntegerField(_("Letzte Nummer"), null=True, blank=True)
    head_hash = models.CharField(_("Kopf-Hash"), max_length=64, blank=True)
    broken_seq = models.PositiveBigIntegerField(_("Erstes fehlerhaftes Ereignis"), null=True, blank=True)
    message = models.CharField(_("Ergebnis"), max_length=500)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("Prüfung der Audit-Kette")
        verbose_name_plural = _("Prüfungen der Audit-Kette")
        ordering = ["-started", "-pk"]

    def __str__(self):
        return f"{self.started:%Y-%m-%d %H:%M} {self.message}"


# ---------------------------------------------------------------------------
# API tokens


class ApiTokenQuerySet(models.QuerySet):
    def active(self, at=None):
        """Tokens that authenticate at the given time: neither revoked nor expired."""
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at))


class ApiToken(models.Model):
    """A personal access token for the REST API, created and revoked by its owner. Only
    the SHA-256 hash of the secret is stored: the secret is random (256 bits), so a
    slow password hash would add nothing but latency to every API call. The prefix
    (the first characters of the secret) lets people tell their tokens apart."""

    # Every secret starts with this, so it is recognisable in logs and secret scanners.
    SECRET_START = "sdt_"
    PREFIX_LENGTH = 12

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Person"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("Bezeichnung"), max_length=100)
    prefix = models.CharField(_("Anfang des Tokens"), max_length=PREFIX_LENGTH, editable=False)
    key_hash = models.CharField(_("Hash des Tokens"), max_length=64, unique=True, editable=False)
    created = models.DateTimeField(_("Erstellt am"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("Gültig bis"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("Zuletzt benutzt"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("Widerrufen am"), null=True, blank=True, editable=False)
    # The hash stays out of history and journal; the last use changes too often to journal.
    history = HistoricalRecords(excluded_fields=["key_hash", "last_used_at"])

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API-Token")
        verbose_name_plural = _("API-Token")
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, at=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (at or timezone.now())

    def is_active(self, at=None) -> bool:
        return not self.is_revoked and not self.is_expired(at)

    def get_state_display(self) -> str:
        if self.is_revoked:
            return _("widerrufen")
        if self.is_expired():
            return _("abgelaufen")
        return _("aktiv")
