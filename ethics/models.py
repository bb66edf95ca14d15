"""Ethics reviews of datasets and data uses by the data-ethics board (reference/
ethics_legal.md §1 and §7.4): a versioned questionnaire, the applicant's answers, the
referral criteria computed from them, the board's votes with quorum and recusal, the
outcome with its conditions and a public summary.

Questionnaire versions are immutable once a review has been answered with them: the
questions are data, and a change of wording is a new version."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from catalog.models import Dataset, DatasetChange, EthicsOutcome
from governance.models import Organisation, PersonText


class ImmutableError(Exception):
    """A questionnaire version that has been answered is never changed."""


class DataUse(models.Model):
    """A use of data the board reviews besides datasets: a smart-city application, an
    analysis, a sensor deployment."""

    title = models.CharField(_("Titel"), max_length=300)
    purpose = models.TextField(_("Zweck"), help_text=_("Wozu werden die Daten genutzt, und wem nützt es?"))
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("Verantwortliche Organisation"), on_delete=models.PROTECT, related_name="data_uses"
    )
    datasets = models.ManyToManyField(
        Dataset, verbose_name=_("Genutzte Datensätze"), blank=True, related_name="data_uses"
    )
    algorithmic_system = models.BooleanField(
        _("Algorithmisches System"),
        default=False,
        help_text=_("Trifft oder bereitet ein Algorithmus (auch KI) Entscheidungen vor?"),
    )
    public_space_sensors = models.BooleanField(
        _("Sensoren im öffentlichen Raum"), default=False, help_text=_("Kameras, Zähler, Funk- oder Umweltsensoren.")
    )
    commercial_reuse_by_private_partner = models.BooleanField(
        _("Kommerzielle Nutzung durch private Partner"),
        default=False,
        help_text=_("Nutzt ein privates Unternehmen die Daten oder Ergebnisse für eigene Geschäfte?"),
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Antragsteller:in"),
        on_delete=models.PROTECT,
        related_name="ethics_data_uses",
    )
    created = models.DateTimeField(_("Angelegt am"), auto_now_add=True)
    modified = models.DateTimeField(_("Geändert am"), auto_now=True)
    history = HistoricalRecords(m2m_fields=[datasets], bases=[PersonText])

    class Meta:
        verbose_name = _("Datennutzung")
        verbose_name_plural = _("Datennutzungen")
        ordering = ["title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("ethics:data_use_detail", args=[self.pk])


class QuestionGroup(models.TextChoices):
    KNOW = "know", _("Daten kennen")
    EXPLORE = "explore", _("Wirkungen erkunden")
    PLAN = "plan", _("Beteiligung planen")
    INTEGRATE = "integrate", _("In Abläufe einbinden")
    PRINCIPLES = "principles", _("Grundsätze (UK Data Ethics Framework)")
    DPIA = "dpia", _("Datenschutz-Folgenabschätzung: Vorprüfung")
    ALGORITHMIC = "algorithmic", _("Algorithmische Systeme")
    MUNICIPAL = "municipal", _("Kommunale Grundsätze")


class QuestionKind(models.TextChoices):
    TEXT = "text", _("Freitext")
    SCORE = "score", _("Bewertung 0–5 mit Begründung")
    YES_NO = "yes_no", _("Ja / Nein / Unklar")
    LEVEL = "level", _("Stufe 1–5")
    AI_TIER = "ai_tier", _("Risikostufe nach KI-Verordnung")


class Referral(models.TextChoices):
    """What an answer means for the referral to the board (ethics_legal.md §7.4)."""

    NONE = "", _("keine")
    WP248 = "wp248", _("DSFA-Kriterium (WP248)")
    ART35_3 = "art35_3", _("Fall des Art. 35 Abs. 3 DSGVO")
    PRINCIPLE = "principle", _("Grundsatz (Bewertung ≤ 1 verweist)")
    DEK = "dek", _("Kritikalität nach DEK (ab 3)")
    AI_TIER = "ai_tier", _("KI-Verordnung (hohes Risiko, verboten)")
    GROUP_HARM = "group_harm", _("Gruppenschaden / Stigmatisierung")
    PRIVATE_PROFIT = "private_profit", _("Privater Gewinn ohne Gegenleistung")
    HARD_STOP = "hard_stop", _("Ausschluss (Verkauf personenbezogener Daten)")


class AITier(models.TextChoices):
    PROHIBITED = "prohibited", _("verboten")
    HIGH = "high", _("hohes Risiko")
    TRANSPARENCY = "transparency", _("Transparenzpflichten")
    MINIMAL = "minimal", _("minimales Risiko")


class YesNo(models.TextChoices):
    YES = "yes", _("ja")
    NO = "no", _("nein")
    UNSURE = "unsure", _("unklar")


class QuestionnaireVersion(models.Model):
    """One version of the questionnaire. Once a review has been answered with it, it is
    never changed (questions included): a new wording is a new version."""

    number = models.PositiveIntegerField(_("Fassung"), unique=True)
    valid_from = models.DateField(_("Gültig ab"))
    credits = models.TextField(_("Quellen und Lizenzhinweis"), blank=True)
    change_note = models.CharField(_("Änderungsnotiz"), max_length=300, blank=True)
    created = models.DateTimeField(_("Angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Fragebogenfassung")
        verbose_name_plural = _("Fragebogenfassungen")
        ordering = ["-number"]

    def __str__(self):
        return _("Fragebogen, Fassung %(number)s") % {"number": self.number}

    def save(self, *args, **kwargs):
        if self.is_used():
            raise ImmutableError("This questionnaire version has been answered; create a new version instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_used():
            raise ImmutableError("This questionnaire version has been answered and is kept.")
        return super().delete(*args, **kwargs)

    def is_used(self) -> bool:
        return self.pk is not None and EthicsReview.objects.filter(questionnaire=self).exists()


class Question(models.Model):
    """A question of one questionnaire version, with the explanation shown next to it."""

    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.CASCADE, related_name="questions")
    code = models.SlugField(_("Kennung"), max_length=60)
    group = models.CharField(_("Abschnitt"), max_length=16, choices=QuestionGroup.choices)
    kind = models.CharField(_("Art"), max_length=16, choices=QuestionKind.choices)
    referral = models.CharField(_("Bedeutung für die Verweisung"), max_length=16, choices=Referral.choices, blank=True)
    text = models.CharField(_("Frage"), max_length=500)
    explanation = models.TextField(_("Erläuterung"), blank=True)
    source = models.CharField(_("Quelle"), max_length=200, blank=True)
    position = models.PositiveIntegerField(_("Reihenfolge"), default=0)
    # Only for algorithmic systems (DEK criticality, AI Act tier): skipped otherwise.
    algorithmic_only = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("Frage")
        verbose_name_plural = _("Fragen")
        ordering = ["version", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="ethics_question_code_unique")]

    def __str__(self):
        return self.text

    def save(self, *args, **kwargs):
        if self.version.is_used():
            raise ImmutableError("Questions of an answered questionnaire version are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.version.is_used():
            raise ImmutableError("Questions of an answered questionnaire version are never deleted.")
        return super().delete(*args, **kwargs)


class ReviewStatus(models.TextChoices):
    ANSWERING = "answering", _("Fragebogen in Bearbeitung")
    VOTING = "voting", _("Beratung im Beirat")
    COMPLETED = "completed", _("Abgeschlossen")


class EthicsReviewQuerySet(models.QuerySet):
    def completed(self):
        return self.filter(status=ReviewStatus.COMPLETED)


class EthicsReview(models.Model):
    """The board's review of one dataset or one data use, answered with one
    questionnaire version, decided by vote."""

    dataset = models.ForeignKey(
        Dataset, verbose_name=_("Datensatz"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="ethics_reviews",
    )  # fmt: skip
    data_use = models.ForeignKey(
        DataUse, verbose_name=_("Datennutzung"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="ethics_reviews",
    )  # fmt: skip
    # Set when the board reviews the new data of a pending change of a published dataset.
    change = models.ForeignKey(
        DatasetChange, verbose_name=_("Ausstehende Änderung"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="ethics_reviews",
    )  # fmt: skip
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("Organisation"), on_delete=models.PROTECT, related_name="ethics_reviews"
    )
    questionnaire = models.ForeignKey(
        QuestionnaireVersion, verbose_name=_("Fragebogen"), on_delete=models.PROTECT, related_name="reviews"
    )
    status = models.CharField(
        _("Status"), max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.ANSWERING, db_index=True
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Antragsteller:in"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Beantwortet von"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    opened_at = models.DateTimeField(_("Eröffnet am"), default=timezone.now)
    opened_automatically = models.BooleanField(_("Automatisch eröffnet"), default=False)
    submitted_at = models.DateTimeField(_("Dem Beirat vorgelegt am"), null=True, blank=True)
    # [{"code": ..., "label": ...}]: why the board has to look at this (compute_referral).
    referral_criteria = models.JSONField(_("Verweisungsgründe"), default=list, blank=True)
    hard_stop = models.BooleanField(_("Ausschlussgrund"), default=False)
    quorum = models.PositiveSmallIntegerField(_("Quorum"), default=2)
    outcome = models.CharField(_("Ergebnis"), max_length=16, choices=EthicsOutcome.choices, blank=True)
    reasoning = models.TextField(_("Begründung"), blank=True)
    public_summary = models.TextField(_("Öffentliche Zusammenfassung"), blank=True)
    next_review_on = models.DateField(_("Nächste Überprüfung am"), null=True, blank=True)
    completed_at = models.DateTimeField(_("Abgeschlossen am"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Abgeschlossen von"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    history = HistoricalRecords(bases=[PersonText])

    objects = EthicsReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("Ethikprüfung")
        verbose_name_plural = _("Ethikprüfungen")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(dataset__isnull=False, data_use__isnull=True)
                | Q(dataset__isnull=True, data_use__isnull=False),
                name="ethics_review_one_subject",
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | Q(next_review_on__isnull=False),
                name="ethics_review_completed_has_next_review",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self):
        return _("Ethikprüfung: %(subject)s") % {"subject": self.subject}

    def get_absolute_url(self):
        return reverse("ethics:review_detail", args=[self.pk])

    def get_public_url(self):
        return reverse("ethics:public_detail", args=[self.pk])

    @property
    def subject(self):
        return self.dataset if self.dataset_id else self.data_use

    @property
    def subject_kind(self) -> str:
        return _("Datensatz") if self.dataset_id else _("Datennutzung")

    @property
    def is_completed(self) -> bool:
        return self.status == ReviewStatus.COMPLETED

    @property
    def needs_board(self) -> bool:
        return bool(self.referral_criteria)


class Answer(models.Model):
    """The applicant's answer to one question of the review's questionnaire version."""

    review = models.ForeignKey(EthicsReview, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.CharField(_("Antwort"), max_length=20, blank=True)
    text = models.TextField(_("Erläuterung"), blank=True)
    history = HistoricalRecords(bases=[PersonText])

    class Meta:
        verbose_name = _("Antwort")
        verbose_name_plural = _("Antworten")
        constraints = [models.UniqueConstraint(fields=["review", "question"], name="ethics_answer_unique")]

    def __str__(self):
        return f"{self.question.code}: {self.value or self.text[:40]}"

    @property
    def value_label(self) -> str:
        """The value as people read it ("ja", "hohes Risiko", "3")."""
        choices = {QuestionKind.YES_NO: YesNo, QuestionKind.AI_TIER: AITier}.get(self.question.kind)
        if choices and self.value in choices.values:
            return str(choices(self.value).label)
        return self.value


class Vote(models.Model):
    """One board member's vote on a review. A recused member (conflict of interest)
    takes part in nothing: the vote does not count towards quorum or majority."""

    review = models.ForeignKey(EthicsReview, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Mitglied"), on_delete=models.PROTECT, related_name="ethics_votes"
    )
    vote = models.CharField(_("Votum"), max_length=16, choices=EthicsOutcome.choices, blank=True)
    reasoning = models.TextField(_("Begründung"), blank=True)
    recused = models.BooleanField(_("Befangen"), default=False)
    conflict_note = models.TextField(_("Interessenkonflikt"), blank=True)
    minority_opinion = models.TextField(_("Sondervotum"), blank=True)
    in_minority = models.BooleanField(_("In der Minderheit"), default=False)
    cast_at = models.DateTimeField(_("Abgegeben am"), default=timezone.now)
    history = HistoricalRecords(bases=[PersonText])

    class Meta:
        verbose_name = _("Votum")
        verbose_name_plural = _("Voten")
        ordering = ["cast_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["review", "member"], name="ethics_vote_once"),
            models.CheckConstraint(condition=Q(recused=True) | ~Q(vote=""), name="ethics_vote_has_vote"),
        ]

    def __str__(self):
        return f"{self.member}: {self.get_vote_display() if not self.recused else _('befangen')}"

    @property
    def counts(self) -> bool:
        return not self.recused and bool(self.vote)


class ConditionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(done_on__isnull=True)

    def overdue(self, today=None):
        return self.open().filter(due_on__lt=today or timezone.localdate())


class Condition(models.Model):
    """A condition the board attaches to its outcome, tracked to done with evidence."""

    review = models.ForeignKey(EthicsReview, on_delete=models.CASCADE, related_name="conditions")
    text = models.TextField(_("Auflage"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Verantwortlich"), on_delete=models.PROTECT,
        related_name="ethics_conditions",
    )  # fmt: skip
    due_on = models.DateField(_("Frist"))
    done_on = models.DateField(_("Erledigt am"), null=True, blank=True)
    evidence = models.TextField(_("Nachweis"), blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Erledigt von"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    created = models.DateTimeField(_("Angelegt am"), auto_now_add=True)
    history = HistoricalRecords(bases=[PersonText])

    objects = ConditionQuerySet.as_manager()

    class Meta:
        verbose_name = _("Auflage")
        verbose_name_plural = _("Auflagen")
        ordering = ["due_on", "pk"]

    def __str__(self):
        return self.text[:80]

    @property
    def is_done(self) -> bool:
        return self.done_on is not None

    @property
    def is_overdue(self) -> bool:
        return self.done_on is None and self.due_on < timezone.localdate()
