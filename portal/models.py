import json
from datetime import date, timedelta

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from catalog.models import Dataset
from governance.models import Organisation, PersonText


class TextListField(models.Field):
    """A list of strings: text[] on PostgreSQL (unnest, &&, GIN), JSON text elsewhere
    (SQLite has no arrays; only the PostgreSQL search reads these lists)."""

    description = _("Liste von Texten")

    def db_type(self, connection):
        return "text[]" if connection.vendor == "postgresql" else "text"

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None:
            return None
        return list(value) if connection.vendor == "postgresql" else json.dumps(list(value), ensure_ascii=False)

    def from_db_value(self, value, expression, connection):
        return json.loads(value) if isinstance(value, str) else value

    def to_python(self, value):
        return json.loads(value) if isinstance(value, str) else value


class IntListField(TextListField):
    """A list of integers: integer[] on PostgreSQL, JSON text elsewhere."""

    description = _("Liste von Zahlen")

    def db_type(self, connection):
        return "integer[]" if connection.vendor == "postgresql" else "text"


class SearchFacetValue(models.Model):
    """One value of one search facet ("thema"/"ENVI", "schlagwort"/"Bäume", "organisation"
    with the organisation's id …), numbered so that a search counts integers: the search
    documents carry the numbers of their values (SearchDocument.facet_values), and
    counting 12,000 matches' ~80,000 values as integers in one pass is what keeps a
    common word's facets fast (issue 12). Written by the index writer
    (portal.services.index_datasets) when a value first occurs; never deleted, since
    a value no document carries is simply never counted."""

    id = models.AutoField(primary_key=True)  # integer, as in the documents' integer[]
    facet = models.CharField(max_length=16)
    value = models.CharField(max_length=300)

    class Meta:
        verbose_name = _("Facettenwert")
        verbose_name_plural = _("Facettenwerte")
        constraints = [models.UniqueConstraint(fields=["facet", "value"], name="portal_facet_value_once")]

    def __str__(self):
        return f"{self.facet}: {self.value}"


class SearchDocument(models.Model):
    """The portal's search index entry of one dataset: its searchable text, on PostgreSQL
    the stored tsvector (German, title A > keywords B > description C), and copies of
    what the search filters, counts and sorts by.

    Kept in the portal's own table, not on Dataset: the portal is its only reader, and a
    tsvector on Dataset would be copied into every history row. Every dataset has one,
    whatever its state. The copies let one query over this table alone answer a search
    (portal/search.py) instead of joining the catalogue once per facet; services.
    index_dataset rewrites them on every change the signals see, in the same transaction,
    so `published` is exact after every workflow step."""

    dataset = models.OneToOneField(Dataset, on_delete=models.CASCADE, primary_key=True, related_name="search_document")
    title = models.CharField(max_length=300)
    keywords = models.TextField(blank=True)
    description = models.TextField(blank=True)
    # NULL on SQLite (the embedded default searches the text columns instead).
    vector = SearchVectorField(null=True)
    published = models.BooleanField(default=False)
    publisher = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, related_name="+", db_index=False)
    licence = models.CharField(max_length=40, blank=True)
    hvd_category = models.CharField(max_length=16, blank=True)
    update_frequency = models.CharField(max_length=16, blank=True)
    issued = models.DateTimeField(null=True)
    # Sorted lists of codes and names.
    themes = TextListField(default=list)
    formats = TextListField(default=list)  # distinct, of all distributions
    keyword_names = TextListField(default=list)
    # The numbers (SearchFacetValue) of all its facet values; PostgreSQL only.
    facet_values = IntListField(default=list)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Suchindex-Eintrag")
        verbose_name_plural = _("Suchindex")
        # Created on PostgreSQL only (see migrations 0001 and 0003). The portal's search
        # reads the published documents' index; the CKAN API's staff searches (drafts
        # included) the whole one.
        indexes = [
            GinIndex(fields=["vector"], name="portal_search_vector_gin"),
            GinIndex(fields=["vector"], condition=Q(published=True), name="portal_search_published_gin"),
        ]

    def __str__(self):
        return self.title


class DataRequestStatus(models.TextChoices):
    OPEN = "open", _("offen")
    IN_PROGRESS = "in_progress", _("in Bearbeitung")
    PUBLISHED = "published", _("veröffentlicht")
    DECLINED = "declined", _("abgelehnt")


class DataRequestQuerySet(models.QuerySet):
    def public(self):
        """What the public sees: requests staff have triaged (accepted, answered or
        declined with a public answer). An open request may hold personal data the
        requester typed in; nobody but staff sees it before triage."""
        return self.exclude(status=DataRequestStatus.OPEN)


def response_due(created) -> date:
    """The day by which a request received at `created` is answered, as the strategy
    promises (DATA_REQUEST_RESPONSE_DAYS calendar days)."""
    return timezone.localdate(created) + timedelta(days=settings.DATA_REQUEST_RESPONSE_DAYS)


class DataRequest(models.Model):
    """A wish for a dataset (Datenwunsch) from anyone, without login. The e-mail address
    is only used for the confirmation and the answer, never shown. The public sees it
    only once staff triaged it (DataRequestQuerySet.public)."""

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
    # Where triage routed it: the organisation that answers and the person there who
    # takes care of it (a role holder of that organisation; see services.triage_data_request).
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("Zuständige Organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="data_requests",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Zuständige Person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_data_requests",
    )
    history = HistoricalRecords(excluded_fields=["email"], bases=[PersonText])

    objects = DataRequestQuerySet.as_manager()

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

    @property
    def is_public(self) -> bool:
        return self.status != DataRequestStatus.OPEN

    @property
    def due(self):
        return response_due(self.created)

    @property
    def is_overdue(self) -> bool:
        return not self.is_answered and self.due < timezone.localdate()


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
    history = HistoricalRecords(bases=[PersonText])

    class Meta:
        verbose_name = _("Kommentar")
        verbose_name_plural = _("Kommentare")
        ordering = ["created", "pk"]

    def __str__(self):
        return f"{self.dataset_id}: {self.text[:40]}"


class LegalPageKind(models.TextChoices):
    IMPRESSUM = "impressum", _("Impressum")
    DATENSCHUTZ = "datenschutz", _("Datenschutzerklärung")
    BARRIEREFREIHEIT = "barrierefreiheit", _("Erklärung zur Barrierefreiheit")
    KONTAKT = "kontakt", _("Kontakt")


class LegalPage(models.Model):
    """The text of a page every German public website must have (portal.legal): until a
    governance admin saves one, the default text with its placeholders is shown."""

    kind = models.CharField(_("Seite"), max_length=32, choices=LegalPageKind.choices, unique=True)
    body = models.TextField(_("Text (Markdown)"), max_length=50000)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Zuletzt geändert von"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("Zuletzt geändert am"))
    history = HistoricalRecords(bases=[PersonText])

    class Meta:
        verbose_name = _("Pflichtseite")
        verbose_name_plural = _("Pflichtseiten")
        ordering = ["kind"]

    def __str__(self):
        return self.get_kind_display()


class UsageKind(models.TextChoices):
    PAGE_VIEW = "page_view", _("Seitenaufrufe")
    DOWNLOAD = "download", _("Downloads")
    TABLE_QUERY = "table_query", _("Tabellenabfragen")


class UsageCount(models.Model):
    """How often a dataset was used on one day, per kind of use (portal.usage counts it).
    Nothing about who used it: no IP address, no cookie, no browser identification, not
    even the time of day; a row is the dataset, the day, the kind and the number, so the
    rows hold no personal data and are kept."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="usage_counts", db_index=False)
    day = models.DateField(_("Tag"))
    kind = models.CharField(_("Art"), max_length=16, choices=UsageKind.choices)
    count = models.PositiveBigIntegerField(_("Anzahl"), default=0)

    class Meta:
        verbose_name = _("Abrufzahl")
        verbose_name_plural = _("Abrufzahlen")
        constraints = [
            # The conflict target of the counting upsert; its index (dataset first, then day)
            # also answers "the last 30 days (or 12 months) of one dataset".
            models.UniqueConstraint(fields=["dataset", "day", "kind"], name="portal_usage_once_per_day"),
        ]
        # The dashboard's totals and top list read a range of days across all datasets.
        indexes = [models.Index(fields=["day", "kind"], name="portal_usage_day_kind")]

    def __str__(self):
        return f"{self.dataset_id} {self.day} {self.kind}: {self.count}"
