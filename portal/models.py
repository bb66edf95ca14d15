from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from catalog.models import Dataset


class SearchDocument(models.Model):
    """The portal's search index entry of one dataset: its searchable text and, on
    PostgreSQL, the stored tsvector (German, title A > keywords B > description C).

    Kept in the portal's own table, not on Dataset: the portal is its only reader, and a
    tsvector on Dataset would be copied into every history row. Every dataset has one,
    whatever its state; public queries always start from `Dataset.objects.published()`
    and join this table, so an unpublished dataset is never found."""

    dataset = models.OneToOneField(Dataset, on_delete=models.CASCADE, primary_key=True, related_name="search_document")
    title = models.CharField(max_length=300)
    keywords = models.TextField(blank=True)
    description = models.TextField(blank=True)
    # NULL on SQLite (the embedded default searches the text columns instead).
    vector = SearchVectorField(null=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Suchindex-Eintrag")
        verbose_name_plural = _("Suchindex")
        # Created on PostgreSQL only (see migration 0001).
        indexes = [GinIndex(fields=["vector"], name="portal_search_vector_gin")]

    def __str__(self):
        return self.title


class DataRequestStatus(models.TextChoices):
    OPEN = "open", _("offen")
    IN_PROGRESS = "in_progress", _("in Bearbeitung")
    PUBLISHED = "published", _("veröffentlicht")
    DECLINED = "declined", _("abgelehnt")


class DataRequest(models.Model):
    """A wish for a dataset (Datenwunsch) from anyone, without login. The e-mail address
    is only used for the confirmation and the answer, never shown."""

    title = models.CharField(_("Welche Daten wünschen Sie sich?"), max_length=200)
    description = models.TextField(
        _("Beschreibung"),
        max_length=4000,
        help_text=_("Wofür möchten Sie die Daten nutzen? Was sollten sie enthalten?"),
    )
    email = models.EmailField(
        _("E-Mail-Adresse"),
        blank=True,
        help_text=_("Nur für die Eingangsbestätigung und unsere Antwort; sie wird nicht veröffentlicht."),
    )
    status = models.CharField(
        _("Status"), max_length=16, choices=DataRequestStatus.choices, default=DataRequestStatus.OPEN, db_index=True
    )
    answer = models.TextField(_("Antwort"), blank=True)
    dataset = models.ForeignKey(
        Dataset,
        verbose_name=_("Veröffentlichter Datensatz"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="data_requests",
    )
    # A code of the governance vocabulary "exclusion_ground" (the same closed list as
    # for publication decisions).
    decline_ground = models.CharField(_("Ausschlussgrund"), max_length=64, blank=True)
    created = models.DateTimeField(_("Eingegangen am"), auto_now_add=True, db_index=True)
    answered_at = models.DateTimeField(_("Beantwortet am"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["email"])

    class Meta:
        verbose_name = _("Datenwunsch")
        verbose_name_plural = _("Datenwünsche")
        ordering = ["-created", "-pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("portal:data_request_detail", args=[self.pk])

    @property
    def is_answered(self) -> bool:
        return self.status in (DataRequestStatus.PUBLISHED, DataRequestStatus.DECLINED)


class Vote(models.Model):
    """One "Finde ich wichtig" per browser and dataset. `voter` is a keyed hash of a
    random browser id kept in a signed cookie: no personal data is stored."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="votes")
    voter = models.CharField(max_length=64)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Stimme")
        verbose_name_plural = _("Stimmen")
        constraints = [models.UniqueConstraint(fields=["dataset", "voter"], name="portal_vote_once")]

    def __str__(self):
        return f"{self.dataset_id}: {self.voter[:8]}"


class CommentStatus(models.TextChoices):
    PENDING = "pending", _("wartet auf Freigabe")
    APPROVED = "approved", _("freigegeben")
    REJECTED = "rejected", _("abgelehnt")


class Comment(models.Model):
    """A public comment on a published dataset; shown only after staff approved it."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="comments")
    name = models.CharField(_("Name"), max_length=100, blank=True, help_text=_("Wird mit dem Kommentar gezeigt."))
    text = models.TextField(_("Kommentar"), max_length=2000)
    status = models.CharField(
        _("Status"), max_length=16, choices=CommentStatus.choices, default=CommentStatus.PENDING, db_index=True
    )
    created = models.DateTimeField(_("Geschrieben am"), auto_now_add=True)
    moderated_at = models.DateTimeField(_("Moderiert am"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Kommentar")
        verbose_name_plural = _("Kommentare")
        ordering = ["created", "pk"]

    def __str__(self):
        return f"{self.dataset_id}: {self.text[:40]}"
