"""Reference vocabularies: versioned terms of legal and open-data vocabularies (legal
bases, exclusion grounds, licences, HVD categories)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..vocabularies import Vocabulary
from .history import PersonText


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
    history = HistoricalRecords(bases=[PersonText])

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
