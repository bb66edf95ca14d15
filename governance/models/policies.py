"""Policy documents and their versions, the sections (§, Abs.) of a version and the
versioned rules of the open-by-default decision that cite them. From adoption on a
version, its sections and its rule versions never change."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..rules import ALTERNATIVE_FORMS, ConditionError, Effect, ReviewRole, describe_condition, validate_condition
from ..vocabularies import Vocabulary
from .history import PersonText
from .immutable import ImmutableError
from .organisations import Organisation
from .terms import VocabularyTerm


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
    history = HistoricalRecords(m2m_fields=[applies_to], bases=[PersonText])

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
    history = HistoricalRecords(bases=[PersonText])

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
    history = HistoricalRecords(bases=[PersonText])

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
    history = HistoricalRecords(bases=[PersonText])

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
    history = HistoricalRecords(bases=[PersonText])

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
