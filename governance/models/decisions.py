"""Decisions, append-only: who decided what, when, why, on which versions of the
subject, under which rule and policy versions."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .immutable import AppendOnlyQuerySet, ImmutableError, InsertOnlyQuerySet
from .organisations import Organisation
from .policies import PolicyVersion, RuleVersion


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
