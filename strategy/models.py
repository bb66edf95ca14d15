"""The data strategy as cities steer it: a strategy has fields of action
(Handlungsfelder), each with goals; goals have measures (Maßnahmen) with period,
budget, milestones and an implementation status, and indicators that measure them.

Every governed row is history-tracked, so the audit journal (governance.audit) gets
one event per change and the version pages can show who changed what and why. Status
changes additionally leave an append-only MeasureStatusChange with the reason, which
is what the public status history and the staff timeline read."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from catalog.models import Dataset
from ethics.models import EthicsReview
from governance.models import AppendOnlyQuerySet, Organisation, PersonText, PolicyDocument, PolicyVersion, Rule

CODE_VALIDATOR = RegexValidator(
    r"^[A-Z0-9][A-Z0-9.-]*$", _("Großbuchstaben, Ziffern, Punkt und Bindestrich, z. B. HF1-M10.")
)


class PublicQuerySet(models.QuerySet):
    def public(self):
        return self.filter(is_public=True)


class Strategy(models.Model):
    """A data strategy of the Stadtverbund (or of one member), linked to the policy
    document versions that adopted it."""

    slug = models.SlugField(_("Kurzname"), max_length=80, unique=True)
    title = models.CharField(_("Titel"), max_length=300)
    summary = models.TextField(_("Zusammenfassung"), blank=True, help_text=_("Markdown."))
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("Verantwortliche Organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="strategies",
        help_text=_("Leer lassen, wenn die Strategie für den ganzen Stadtverbund gilt."),
    )
    policy_versions = models.ManyToManyField(
        PolicyVersion, verbose_name=_("Beschlossene Fassungen"), blank=True, related_name="strategies"
    )
    period_start = models.DateField(_("Laufzeit von"), null=True, blank=True)
    period_end = models.DateField(_("Laufzeit bis"), null=True, blank=True)
    is_public = models.BooleanField(_("Im Portal veröffentlicht"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created = models.DateTimeField(_("Angelegt am"), auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[policy_versions], bases=[PersonText])

    objects = PublicQuerySet.as_manager()

    class Meta:
        verbose_name = _("Strategie")
        verbose_name_plural = _("Strategien")
        ordering = ["title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("strategy:strategy_detail", args=[self.slug])

    def clean(self):
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": _("Das Ende der Laufzeit liegt vor ihrem Beginn.")})


class FieldOfAction(models.Model):
    """A Handlungsfeld, e.g. „HF1 Digitale Infrastruktur und Datenpolitik“."""

    strategy = models.ForeignKey(
        Strategy, verbose_name=_("Strategie"), on_delete=models.PROTECT, related_name="fields_of_action"
    )
    code = models.CharField(_("Kürzel"), max_length=20, validators=[CODE_VALIDATOR])
    title = models.CharField(_("Titel"), max_length=300)
    description = models.TextField(_("Beschreibung"), blank=True, help_text=_("Markdown."))
    position = models.PositiveIntegerField(_("Reihenfolge"), default=0)
    is_public = models.BooleanField(_("Im Portal veröffentlicht"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords(bases=[PersonText])

    objects = PublicQuerySet.as_manager()

    class Meta:
        verbose_name = _("Handlungsfeld")
        verbose_name_plural = _("Handlungsfelder")
        ordering = ["strategy", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["strategy", "code"], name="strategy_field_code_unique")]

    def __str__(self):
        return f"{self.code} {self.title}"


class Goal(models.Model):
    """A goal of a field of action, measured by its indicators."""

    field_of_action = models.ForeignKey(
        FieldOfAction, verbose_name=_("Handlungsfeld"), on_delete=models.PROTECT, related_name="goals"
    )
    code = models.CharField(_("Kürzel"), max_length=20, validators=[CODE_VALIDATOR])
    title = models.CharField(_("Ziel"), max_length=500)
    description = models.TextField(_("Beschreibung"), blank=True, help_text=_("Markdown."))
    position = models.PositiveIntegerField(_("Reihenfolge"), default=0)
    is_public = models.BooleanField(_("Im Portal veröffentlicht"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords(bases=[PersonText])

    objects = PublicQuerySet.as_manager()

    class Meta:
        verbose_name = _("Ziel")
        verbose_name_plural = _("Ziele")
        ordering = ["field_of_action", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["field_of_action", "code"], name="strategy_goal_code_unique")]

    def __str__(self):
        return f"{self.code} {self.title}"


class MeasureStatus(models.TextChoices):
    PLANNED = "planned", _("geplant")
    IN_PROGRESS = "in_progress", _("in Umsetzung")
    DONE = "done", _("umgesetzt")
    DELAYED = "delayed", _("verzögert")
    DISCONTINUED = "discontinued", _("eingestellt")


class Measure(models.Model):
    """A Maßnahme, e.g. „HF1-M10 Etablierung einer neuen Datenstrategie und Data
    Governance im Stadtverbund“. Its status changes only through
    services.change_measure_status, with a reason."""

    goal = models.ForeignKey(Goal, verbose_name=_("Ziel"), on_delete=models.PROTECT, related_name="measures")
    code = models.CharField(_("Kürzel"), max_length=20, unique=True, validators=[CODE_VALIDATOR])
    title = models.CharField(_("Titel"), max_length=300)
    description = models.TextField(_("Beschreibung"), blank=True, help_text=_("Markdown."))
    start_date = models.DateField(_("Beginn"))
    end_date = models.DateField(_("Ende"))
    budget_planned = models.DecimalField(
        _("Geplantes Budget (€)"), max_digits=14, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )  # fmt: skip
    budget_spent = models.DecimalField(
        _("Verausgabt (€)"), max_digits=14, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )  # fmt: skip
    responsible_organisation = models.ForeignKey(
        Organisation, verbose_name=_("Federführung"), on_delete=models.PROTECT, related_name="strategy_measures"
    )
    responsible_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Verantwortliche Person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="strategy_measures",
    )
    partner_organisations = models.ManyToManyField(
        Organisation, verbose_name=_("Beteiligte Organisationen"), blank=True, related_name="strategy_partnerships"
    )
    external_partners = models.CharField(
        _("Externe Partner"), max_length=500, blank=True, help_text=_("Z. B. Hochschulen, Vereine, Unternehmen.")
    )
    status = models.CharField(
        _("Umsetzungsstand"),
        max_length=16,
        choices=MeasureStatus.choices,
        default=MeasureStatus.PLANNED,
        editable=False,
        db_index=True,
    )
    status_reason = models.CharField(_("Begründung des Umsetzungsstands"), max_length=1000, blank=True, editable=False)
    status_changed_at = models.DateTimeField(_("Umsetzungsstand geändert am"), null=True, blank=True, editable=False)
    # What the measure produced.
    policy_documents = models.ManyToManyField(
        PolicyDocument, verbose_name=_("Richtliniendokumente"), blank=True, related_name="strategy_measures"
    )
    rules = models.ManyToManyField(Rule, verbose_name=_("Regeln"), blank=True, related_name="strategy_measures")
    datasets = models.ManyToManyField(
        Dataset, verbose_name=_("Datensätze"), blank=True, related_name="strategy_measures"
    )
    ethics_reviews = models.ManyToManyField(
        EthicsReview, verbose_name=_("Ethikprüfungen"), blank=True, related_name="strategy_measures"
    )
    is_public = models.BooleanField(_("Im Portal veröffentlicht"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created = models.DateTimeField(_("Angelegt am"), auto_now_add=True)
    history = HistoricalRecords(
        m2m_fields=[partner_organisations, policy_documents, rules, datasets, ethics_reviews], bases=[PersonText]
    )

    objects = PublicQuerySet.as_manager()

    class Meta:
        verbose_name = _("Maßnahme")
        verbose_name_plural = _("Maßnahmen")
        ordering = ["code"]
        indexes = [models.Index(fields=["goal", "code"], name="strategy_measure_goal_code")]

    def __str__(self):
        return f"{self.code} {self.title}"

    def get_absolute_url(self):
        return reverse("strategy:measure_detail", args=[self.code])

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("Das Ende liegt vor dem Beginn.")})


class MeasureStatusChange(models.Model):
    """One change of a measure's implementation status, with its reason. Append-only:
    the public status history and the audit read these rows."""

    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="status_changes")
    old_status = models.CharField(_("Bisher"), max_length=16, choices=MeasureStatus.choices, blank=True)
    new_status = models.CharField(_("Neu"), max_length=16, choices=MeasureStatus.choices)
    reason = models.CharField(_("Begründung"), max_length=1000)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("Geändert am"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("Statusänderung")
        verbose_name_plural = _("Statusänderungen")
        ordering = ["measure", "changed_at", "pk"]

    def __str__(self):
        return f"{self.measure_id}: {self.old_status} → {self.new_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("Statusänderungen werden nie geändert."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Statusänderungen werden nie gelöscht."))


class Milestone(models.Model):
    measure = models.ForeignKey(
        Measure, verbose_name=_("Maßnahme"), on_delete=models.CASCADE, related_name="milestones"
    )
    title = models.CharField(_("Meilenstein"), max_length=300)
    due_date = models.DateField(_("Fällig am"))
    done_date = models.DateField(_("Erreicht am"), null=True, blank=True)
    evidence = models.CharField(
        _("Nachweis"), max_length=1000, blank=True, help_text=_("Z. B. Beschluss-Nr., Adresse eines Dokuments.")
    )
    position = models.PositiveIntegerField(_("Reihenfolge"), default=0)
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords(bases=[PersonText])

    class Meta:
        verbose_name = _("Meilenstein")
        verbose_name_plural = _("Meilensteine")
        ordering = ["measure", "due_date", "position", "pk"]
        indexes = [models.Index(fields=["done_date", "due_date"], name="strategy_milestone_open_due")]

    def __str__(self):
        return self.title

    def is_overdue(self, today=None) -> bool:
        return self.done_date is None and self.due_date < (today or timezone.localdate())


class MeasureVote(models.Model):
    """One „finde ich wichtig“ per browser and measure. `voter` is the portal's keyed
    hash of a random browser id (portal.views): no personal data is stored."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="votes")
    voter = models.CharField(max_length=64)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Stimme für eine Maßnahme")
        verbose_name_plural = _("Stimmen für Maßnahmen")
        constraints = [models.UniqueConstraint(fields=["measure", "voter"], name="strategy_measure_vote_once")]

    def __str__(self):
        return f"{self.measure_id}: {self.voter[:8]}"


class IndicatorUnit(models.TextChoices):
    PERCENT = "percent", _("Prozent")
    COUNT = "count", _("Anzahl")
    DAYS = "days", _("Tage")
    EURO = "euro", _("Euro")


class Indicator(models.Model):
    """A measurable indicator of a goal: computed live from the system (`metric` names
    one of strategy.indicators.METRICS) or entered by hand with source and date."""

    goal = models.ForeignKey(Goal, verbose_name=_("Ziel"), on_delete=models.PROTECT, related_name="indicators")
    code = models.CharField(_("Kürzel"), max_length=20, unique=True, validators=[CODE_VALIDATOR])
    title = models.CharField(_("Indikator"), max_length=300)
    description = models.TextField(_("Beschreibung"), blank=True)
    unit = models.CharField(_("Einheit"), max_length=16, choices=IndicatorUnit.choices)
    metric = models.CharField(
        _("Berechnung"),
        max_length=60,
        blank=True,
        help_text=_("Leer lassen für einen Indikator, dessen Werte von Hand erfasst werden."),
    )
    higher_is_better = models.BooleanField(_("Höher ist besser"), default=True)
    baseline_value = models.DecimalField(_("Ausgangswert"), max_digits=14, decimal_places=2, null=True, blank=True)
    baseline_date = models.DateField(_("Ausgangswert vom"), null=True, blank=True)
    target_value = models.DecimalField(_("Zielwert"), max_digits=14, decimal_places=2)
    target_date = models.DateField(_("Zieldatum"))
    source = models.CharField(
        _("Quelle"), max_length=300, blank=True, help_text=_("Woher von Hand erfasste Werte stammen.")
    )
    is_public = models.BooleanField(_("Im Portal veröffentlicht"), default=True)
    position = models.PositiveIntegerField(_("Reihenfolge"), default=0)
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords(bases=[PersonText])

    objects = PublicQuerySet.as_manager()

    class Meta:
        verbose_name = _("Indikator")
        verbose_name_plural = _("Indikatoren")
        ordering = ["goal", "position", "code"]

    def __str__(self):
        return f"{self.code} {self.title}"

    @property
    def is_computed(self) -> bool:
        return bool(self.metric)


class ValueOrigin(models.TextChoices):
    SNAPSHOT = "snapshot", _("Automatisch erfasst")
    MANUAL = "manual", _("Von Hand erfasst")


class IndicatorValue(models.Model):
    """One value of an indicator on one day: a periodic snapshot of a computed
    indicator, or a value entered by hand with its source. One per indicator and day
    (a later snapshot the same day replaces the earlier one)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    date = models.DateField(_("Stichtag"))
    value = models.DecimalField(_("Wert"), max_digits=14, decimal_places=2)
    origin = models.CharField(_("Herkunft"), max_length=16, choices=ValueOrigin.choices)
    source = models.CharField(_("Quelle"), max_length=300, blank=True)
    note = models.CharField(_("Anmerkung"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("Erfasst am"), auto_now=True)
    history = HistoricalRecords(bases=[PersonText])

    class Meta:
        verbose_name = _("Indikatorwert")
        verbose_name_plural = _("Indikatorwerte")
        ordering = ["indicator", "date"]
        constraints = [models.UniqueConstraint(fields=["indicator", "date"], name="strategy_indicator_value_day")]

    def __str__(self):
        return f"{self.indicator.code} {date_format(self.date, 'SHORT_DATE_FORMAT')}: {self.value}"
