import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from governance.models import Organisation, PersonText
from governance.rules import OUTCOME_CHOICES

from .errors import ImmutableError
from .quality import scoring
from .vocabularies import (
    FILE_TYPE_CHOICES,
    LICENCE_CHOICES,
    LICENCES_BY_CODE,
    DataTheme,
    Frequency,
    GeocodingLevel,
    HVDCategory,
    Language,
    LegalBasis,
)


class DatasetState(models.TextChoices):
    DRAFT = "draft", _("Entwurf")
    IN_REVIEW = "in_review", _("In Prüfung")
    ETHICS_REVIEW = "ethics_review", _("Ethikprüfung")
    LEGAL_REVIEW = "legal_review", _("Rechtsprüfung")
    APPROVED = "approved", _("Freigegeben")
    PUBLISHED = "published", _("Veröffentlicht")
    RETURNED = "returned", _("Zurückgegeben")
    WITHDRAWN = "withdrawn", _("Zurückgezogen")


class EthicsOutcome(models.TextChoices):
    """The outcome of the ethics board's review as the decision engine reads it
    (fact `ethics_outcome`); "board" (referral) is set by issue 6's questionnaire."""

    APPROVED = "approved", _("unbedenklich")
    CONDITIONS = "conditions", _("mit Auflagen")
    REVISE = "revise", _("überarbeiten")
    REJECTED = "rejected", _("abgelehnt")


class Keyword(models.Model):
    """A free keyword (dcat:keyword, CKAN tag), shared between datasets."""

    name = models.CharField(_("Schlagwort"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("Schlagwort")
        verbose_name_plural = _("Schlagwörter")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Theme(models.Model):
    """A theme of the EU data-theme vocabulary; rows are created by a migration."""

    code = models.CharField(max_length=4, choices=DataTheme.choices, unique=True)

    class Meta:
        verbose_name = _("Thema")
        verbose_name_plural = _("Themen")
        ordering = ["code"]

    def __str__(self):
        return self.get_code_display()

    @property
    def uri(self) -> str:
        return DataTheme(self.code).uri


# Path segments of the catalog's own pages, which a dataset name must not shadow.
RESERVED_DATASET_NAMES = {"neu", "import", "export", "suche", "harvesting"}


class DatasetQuerySet(models.QuerySet):
    def published(self):
        """The only datasets the public portal and public APIs may ever show."""
        return self.filter(state=DatasetState.PUBLISHED)

    def embargoed(self):
        """Approved datasets waiting for their release time (Sperrfrist): nothing of them is public."""
        return self.filter(state=DatasetState.APPROVED, release_at__isnull=False)


# The dataset's history, kept by name: catalog.services writes the first version of a new
# dataset itself, once its keywords and themes are in place (one version, not three).
DATASET_HISTORY = HistoricalRecords(m2m_fields=["keywords", "themes"], bases=[PersonText])


class Dataset(models.Model):
    """A dataset of the Stadtverbund's inventory, described in DCAT-AP.de 3.0 terms,
    whether or not it is ever published."""

    identifier = models.UUIDField(_("Kennung"), default=uuid.uuid4, unique=True, editable=False)
    name = models.SlugField(
        _("Kurzname"),
        max_length=100,
        unique=True,
        help_text=_("Eindeutig und dauerhaft, nur Kleinbuchstaben, Ziffern und Bindestriche; Teil der Adresse."),
    )
    title = models.CharField(_("Titel"), max_length=300)
    description = models.TextField(_("Beschreibung"))
    keywords = models.ManyToManyField(Keyword, verbose_name=_("Schlagwörter"), blank=True, related_name="datasets")
    themes = models.ManyToManyField(Theme, verbose_name=_("Themen"), blank=True, related_name="datasets")
    publisher = models.ForeignKey(
        Organisation, verbose_name=_("Herausgeber"), on_delete=models.PROTECT, related_name="datasets"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Dateneigentümer:in"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_datasets",
    )
    steward = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Datenverantwortliche:r"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stewarded_datasets",
    )
    contact_name = models.CharField(_("Ansprechstelle"), max_length=200)
    contact_email = models.EmailField(_("E-Mail der Ansprechstelle"))
    contact_url = models.URLField(_("Webseite der Ansprechstelle"), blank=True)
    licence = models.CharField(_("Lizenz"), max_length=40, choices=LICENCE_CHOICES, default="dl-by-de/2.0")
    attribution_text = models.CharField(
        _("Namensnennung"),
        max_length=300,
        blank=True,
        help_text=_("Text, mit dem Nutzende die Quelle nennen, z. B. „Stadt Lindenau, Umweltamt“."),
    )
    geocoding_level = models.CharField(
        _("Räumliche Ebene"), max_length=32, choices=GeocodingLevel.choices, default=GeocodingLevel.MUNICIPALITY
    )
    municipality_key = models.CharField(
        _("Amtlicher Gemeindeschlüssel"), max_length=8, blank=True, help_text=_("Acht Ziffern, z. B. 16053000.")
    )
    spatial_label = models.CharField(_("Raumbezug"), max_length=200, blank=True)
    spatial_resolution_m = models.DecimalField(
        _("Räumliche Auflösung in Metern"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    temporal_start = models.DateField(_("Zeitraum von"), null=True, blank=True)
    temporal_end = models.DateField(_("Zeitraum bis"), null=True, blank=True)
    update_frequency = models.CharField(
        _("Aktualisierung"), max_length=16, choices=Frequency.choices, default=Frequency.UNKNOWN
    )
    language = models.CharField(_("Sprache"), max_length=3, choices=Language.choices, default=Language.DEU)
    hvd_category = models.CharField(
        _("Hochwertiger Datensatz (HVD)"),
        max_length=16,
        choices=HVDCategory.choices,
        blank=True,
        help_text=_("Kategorie nach Durchführungsverordnung (EU) 2023/138, falls zutreffend."),
    )
    landing_page = models.URLField(_("Webseite zum Datensatz"), blank=True)
    state = models.CharField(
        _("Status"), max_length=16, choices=DatasetState.choices, default=DatasetState.DRAFT, db_index=True
    )
    # Set by the workflow; `modified` follows every change of the metadata.
    issued = models.DateTimeField(_("Veröffentlicht am"), null=True, blank=True, editable=False)
    modified = models.DateTimeField(_("Geändert am"), auto_now=True)
    created = models.DateTimeField(_("Angelegt am"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    # The classification in force: the newest version, kept here for filtering and joins.
    current_classification = models.OneToOneField(
        "Classification", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    # Optimistic locking: an edit names the version it started from.
    version = models.PositiveIntegerField(default=1, editable=False)
    # Kept by catalog.workflow (the only writer of `state`): the latest outcome of the
    # decision engine, what the final decision rested on, and who asked for it.
    publication_outcome = models.CharField(
        _("Ergebnis der Veröffentlichungsentscheidung"),
        max_length=16,
        choices=OUTCOME_CHOICES,
        blank=True,
        editable=False,
    )
    # {"outcome": ..., "reviews": [...], "grounds": [...]} of the last final decision:
    # a rule change that alters any of them re-opens review.
    publication_basis = models.JSONField(default=dict, blank=True, editable=False)
    ethics_outcome = models.CharField(
        _("Ergebnis der Ethikprüfung"), max_length=16, choices=EthicsOutcome.choices, blank=True, editable=False
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Eingereicht von"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    state_changed_at = models.DateTimeField(_("Status seit"), null=True, blank=True, editable=False)
    rereview_on = models.DateField(_("Wiedervorlage am"), null=True, blank=True, editable=False, db_index=True)
    # Set when a trigger re-opened review of a dataset that stays published meanwhile.
    rereview_requested_at = models.DateTimeField(
        _("Erneute Prüfung verlangt am"), null=True, blank=True, editable=False
    )
    rereview_reason = models.CharField(_("Anlass der erneuten Prüfung"), max_length=300, blank=True, editable=False)
    # Timed release (Sperrfrist): set by the legal approval, the dataset stays approved
    # until then and is published by catalog.tasks.release_due in the name of `release_by`.
    release_at = models.DateTimeField(
        _("Veröffentlichung geplant am"), null=True, blank=True, editable=False, db_index=True
    )
    release_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Veröffentlichung geplant von"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    history = DATASET_HISTORY

    objects = DatasetQuerySet.as_manager()

    class Meta:
        verbose_name = _("Datensatz")
        verbose_name_plural = _("Datensätze")
        ordering = ["title"]
        indexes = [
            models.Index(fields=["publisher", "state"]),
            models.Index(fields=["-modified"]),
            models.Index(fields=["title"]),
            # The DCAT catalog's order (portal.dcat.catalog_page): count, newest change and
            # the first dataset of a deep page from the index alone.
            models.Index(
                fields=["-modified", "id"], condition=Q(state="published"), name="dataset_published_by_change"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(temporal_end__isnull=True)
                | Q(temporal_start__isnull=True)
                | Q(temporal_end__gte=models.F("temporal_start")),
                name="dataset_temporal_order",
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("catalog:dataset_detail", args=[self.name])

    def clean(self):
        errors = {}
        if self.name in RESERVED_DATASET_NAMES:
            errors["name"] = _("Dieser Kurzname ist reserviert; bitte einen anderen wählen.")
        if self.municipality_key and not (self.municipality_key.isdigit() and len(self.municipality_key) == 8):
            errors["municipality_key"] = _("Der Gemeindeschlüssel hat genau acht Ziffern.")
        if self.temporal_start and self.temporal_end and self.temporal_end < self.temporal_start:
            errors["temporal_end"] = _("Das Ende des Zeitraums liegt vor seinem Beginn.")
        if self.hvd_category and not LICENCES_BY_CODE[self.licence].is_open:
            errors["licence"] = _("Hochwertige Datensätze brauchen eine offene Lizenz (CC BY 4.0, CC0 o. ä.).")
        if errors:
            raise ValidationError(errors)

    @property
    def licence_info(self):
        return LICENCES_BY_CODE[self.licence]

    @property
    def is_published(self) -> bool:
        return self.state == DatasetState.PUBLISHED

    @property
    def is_in_review(self) -> bool:
        return self.state in REVIEW_STATES

    @cached_property
    def freshness(self):
        """Is the dataset as current as its update frequency promises (catalog.quality)?"""
        return scoring.freshness(self)


REVIEW_STATES = (DatasetState.IN_REVIEW, DatasetState.ETHICS_REVIEW, DatasetState.LEGAL_REVIEW)


class DistributionKind(models.TextChoices):
    DOWNLOAD = "download", _("Download")
    API = "api", _("Programmierschnittstelle (API)")
    SERVICE = "service", _("Dienst (z. B. WMS/WFS)")


def distribution_upload_path(distribution, filename):
    # The dataset's stable UUID keeps paths unguessable and free of user text.
    return f"distributions/{distribution.dataset.identifier}/{uuid.uuid4().hex}/{filename}"


class DistributionStatus(models.TextChoices):
    CURRENT = "current", _("Teil des Datensatzes")
    PROPOSED = "proposed", _("Vorgeschlagen, noch nicht freigegeben")
    BLOCKED = "blocked", _("Gesperrt nach der Geheimhaltungsprüfung")


class DistributionQuerySet(models.QuerySet):
    def current(self):
        """The distributions that are part of the dataset's approved state."""
        return self.filter(status=DistributionStatus.CURRENT)

    def public(self):
        """The only distributions the public portal and public APIs may ever show or
        serve: current ones of published datasets. A proposed file (of a pending change)
        and a blocked one (small cells found) never are."""
        return self.filter(status=DistributionStatus.CURRENT, dataset__state=DatasetState.PUBLISHED)


class Distribution(models.Model):
    """One way to get a dataset: an uploaded file or a link to a download, API or service."""

    identifier = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="distributions")
    title = models.CharField(_("Titel"), max_length=300)
    description = models.TextField(_("Beschreibung"), blank=True)
    kind = models.CharField(
        _("Art"), max_length=16, choices=DistributionKind.choices, default=DistributionKind.DOWNLOAD
    )
    file = models.FileField(_("Datei"), upload_to=distribution_upload_path, max_length=300, blank=True)
    access_url = models.URLField(_("Externe Adresse"), max_length=1000, blank=True)
    format = models.CharField(_("Format"), max_length=16, choices=FILE_TYPE_CHOICES)
    media_type = models.CharField(_("Medientyp"), max_length=100, blank=True)
    byte_size = models.PositiveBigIntegerField(_("Größe in Bytes"), null=True, blank=True, editable=False)
    checksum_sha256 = models.CharField(_("SHA-256-Prüfsumme"), max_length=64, blank=True, editable=False)
    licence = models.CharField(
        _("Lizenz"),
        max_length=40,
        choices=LICENCE_CHOICES,
        blank=True,
        help_text=_("Leer lassen, um die Lizenz des Datensatzes zu übernehmen."),
    )
    # CURRENT: part of the approved state; PROPOSED: added by a pending change (`change`,
    # kept after approval as provenance), possibly replacing a current one (`replaces`);
    # BLOCKED: taken off every public output because the disclosure check found small
    # cells (catalog.changes.block_distribution).
    status = models.CharField(
        _("Stand"), max_length=16, choices=DistributionStatus.choices, default=DistributionStatus.CURRENT
    )
    change = models.ForeignKey(
        "DatasetChange",
        verbose_name=_("Ausstehende Änderung"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="added_distributions",
        editable=False,
    )
    replaces = models.ForeignKey(
        "self",
        verbose_name=_("Ersetzt"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replacements",
        editable=False,
    )
    created = models.DateTimeField(_("Angelegt am"), auto_now_add=True)
    modified = models.DateTimeField(_("Geändert am"), auto_now=True)
    history = HistoricalRecords(bases=[PersonText])

    objects = DistributionQuerySet.as_manager()

    class Meta:
        verbose_name = _("Distribution")
        verbose_name_plural = _("Distributionen")
        ordering = ["dataset", "created", "pk"]
        indexes = [models.Index(fields=["dataset", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=(Q(file="") & ~Q(access_url="")) | (~Q(file="") & Q(access_url="")),
                name="distribution_file_xor_url",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_public(self) -> bool:
        return self.status == DistributionStatus.CURRENT and self.dataset.state == DatasetState.PUBLISHED

    @property
    def effective_licence(self) -> str:
        return self.licence or self.dataset.licence

    @property
    def is_upload(self) -> bool:
        return bool(self.file)


class ChangeState(models.TextChoices):
    OPEN = "open", _("In Bearbeitung")
    IN_REVIEW = "in_review", _("Freigabe durch Dateneigentümer:in")
    ETHICS_REVIEW = "ethics_review", _("Ethikprüfung")
    LEGAL_REVIEW = "legal_review", _("Rechtsprüfung")
    SCHEDULED = "scheduled", _("Freigegeben, Veröffentlichung geplant")
    APPLIED = "applied", _("Übernommen")
    RETURNED = "returned", _("Zurückgegeben")
    DISCARDED = "discarded", _("Verworfen")


# A dataset has at most one change in one of these states.
ACTIVE_CHANGE_STATES = (
    ChangeState.OPEN,
    ChangeState.IN_REVIEW,
    ChangeState.ETHICS_REVIEW,
    ChangeState.LEGAL_REVIEW,
    ChangeState.SCHEDULED,
    ChangeState.RETURNED,
)
# The steward still edits the change in these; in the others it is under review or done.
EDITABLE_CHANGE_STATES = (ChangeState.OPEN, ChangeState.RETURNED)
# The fields of a dataset a change may propose (the metadata form's, without the name).
CHANGEABLE_FIELDS = (
    "title",
    "description",
    "publisher",
    "owner",
    "steward",
    "contact_name",
    "contact_email",
    "contact_url",
    "licence",
    "attribution_text",
    "geocoding_level",
    "municipality_key",
    "spatial_label",
    "spatial_resolution_m",
    "temporal_start",
    "temporal_end",
    "update_frequency",
    "language",
    "hvd_category",
    "landing_page",
)


class DatasetChange(models.Model):
    """A pending change of an approved or published dataset (issue 20): the metadata it
    proposes (`proposed`: the changeable fields, keywords and themes in which it differs
    from the approved state, as JSON), the files
    it adds (Distribution.change, status PROPOSED) and the current files it removes. The
    public keeps the dataset's approved state until the change has passed its review
    (catalog.changes) and is applied."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="changes")
    number = models.PositiveIntegerField(_("Nummer"))
    state = models.CharField(_("Status"), max_length=16, choices=ChangeState.choices, default=ChangeState.OPEN)
    proposed = models.JSONField(_("Vorgeschlagene Angaben"), default=dict, blank=True, editable=False)
    removed_distributions = models.ManyToManyField(
        Distribution, verbose_name=_("Zu entfernende Distributionen"), blank=True, related_name="removal_changes"
    )
    # Everyone who edited the pending content: the four-eyes principle keeps them out of its review.
    editors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+", editable=False)
    # What the rules said on submission: which reviews the change needs.
    needs_legal = models.BooleanField(_("Rechtsprüfung erforderlich"), default=False, editable=False)
    outcome = models.CharField(
        _("Ergebnis der Regeln"), max_length=16, choices=OUTCOME_CHOICES, blank=True, editable=False
    )
    review_reasons = models.JSONField(_("Anlässe der Prüfung"), default=list, blank=True, editable=False)
    # The ethics board's outcome on the change's new data, when the rules send them to the board.
    ethics_outcome = models.CharField(
        _("Ergebnis der Ethikprüfung"), max_length=16, choices=EthicsOutcome.choices, blank=True, editable=False
    )
    created = models.DateTimeField(_("Angelegt am"), auto_now_add=True)
    modified = models.DateTimeField(_("Geändert am"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    state_changed_at = models.DateTimeField(_("Status seit"), null=True, blank=True, editable=False)
    applied_at = models.DateTimeField(_("Übernommen am"), null=True, blank=True, editable=False)
    # Timed release (embargo): the approved change goes public at this moment.
    release_at = models.DateTimeField(_("Veröffentlichung am"), null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords(m2m_fields=[removed_distributions], bases=[PersonText])

    class Meta:
        verbose_name = _("Ausstehende Änderung")
        verbose_name_plural = _("Ausstehende Änderungen")
        ordering = ["dataset", "-number"]
        indexes = [models.Index(fields=["state", "release_at"])]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "number"], name="dataset_change_number_unique"),
            models.UniqueConstraint(
                fields=["dataset"],
                condition=Q(state__in=["open", "in_review", "ethics_review", "legal_review", "scheduled", "returned"]),
                name="dataset_change_one_active",
            ),
        ]

    def __str__(self):
        return gettext("Änderung %(number)s an „%(title)s“") % {"number": self.number, "title": self.dataset.title}

    def get_absolute_url(self):
        return reverse("catalog:change_detail", args=[self.dataset.name, self.number])

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_CHANGE_STATES

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_CHANGE_STATES


class Confidentiality(models.IntegerChoices):
    OEFFENTLICH = 0, _("öffentlich")
    INTERN = 1, _("intern")
    VERTRAULICH = 2, _("vertraulich")
    STRENG_VERTRAULICH = 3, _("streng vertraulich")


class ProtectionNeed(models.IntegerChoices):
    """Schutzbedarf nach BSI-Standard 200-2."""

    NORMAL = 1, _("normal")
    HOCH = 2, _("hoch")
    SEHR_HOCH = 3, _("sehr hoch")


class PersonalDataStatus(models.IntegerChoices):
    """Ordered by risk: the higher, the more protection is needed."""

    NONE = 0, _("kein Personenbezug (Sachdaten)")
    ANONYMISED = 1, _("anonymisiert")
    AGGREGATED = 2, _("aggregiert, Geheimhaltung geprüft")
    PSEUDONYMISED = 3, _("pseudonymisiert (weiterhin personenbezogen)")
    PERSONAL = 4, _("personenbezogen")
    SPECIAL = 5, _("besondere Kategorien (Art. 9/10 DSGVO)")


class SpecialCategory(models.TextChoices):
    RACIAL_ETHNIC = "racial_ethnic", _("rassische oder ethnische Herkunft")
    POLITICAL = "political", _("politische Meinungen")
    RELIGIOUS = "religious", _("religiöse oder weltanschauliche Überzeugungen")
    UNION = "union", _("Gewerkschaftszugehörigkeit")
    GENETIC = "genetic", _("genetische Daten")
    BIOMETRIC = "biometric", _("biometrische Daten zur Identifizierung")
    HEALTH = "health", _("Gesundheitsdaten")
    SEX_LIFE = "sex_life", _("Sexualleben oder sexuelle Orientierung")
    CRIMINAL = "criminal", _("strafrechtliche Verurteilungen und Straftaten (Art. 10)")


class SpatialGranularity(models.TextChoices):
    POINT = "point", _("Adresse oder Koordinate")
    BLOCK = "block", _("Baublock")
    DISTRICT = "district", _("Stadtteil oder Bezirk")
    MUNICIPALITY = "municipality", _("Gemeinde")
    NONE = "none", _("ohne Raumbezug")


class TemporalGranularity(models.TextChoices):
    EVENT = "event", _("Einzelereignis")
    DAY = "day", _("Tag")
    MONTH = "month", _("Monat")
    YEAR = "year", _("Jahr")
    NONE = "none", _("ohne Zeitbezug")


class Classification(models.Model):
    """One version of a dataset's privacy and security classification. Never changed
    after it is written: a reclassification is a new version."""

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="classifications")
    number = models.PositiveIntegerField(_("Version"), editable=False)
    personal_data = models.IntegerField(_("Personenbezug"), choices=PersonalDataStatus.choices)
    special_categories = models.JSONField(_("Besondere Kategorien"), default=list, blank=True)
    vulnerable_subjects = models.BooleanField(_("Schutzbedürftige Betroffene"), default=False)
    confidentiality = models.IntegerField(_("Vertraulichkeitsstufe"), choices=Confidentiality.choices)
    vs_nfd = models.BooleanField(_("VS – Nur für den Dienstgebrauch"), default=False)
    protection_confidentiality = models.IntegerField(_("Schutzbedarf Vertraulichkeit"), choices=ProtectionNeed.choices)
    protection_integrity = models.IntegerField(_("Schutzbedarf Integrität"), choices=ProtectionNeed.choices)
    protection_availability = models.IntegerField(_("Schutzbedarf Verfügbarkeit"), choices=ProtectionNeed.choices)
    trade_secrets = models.BooleanField(_("Betriebs- und Geschäftsgeheimnisse"), default=False)
    third_party_rights = models.BooleanField(_("Rechte Dritter"), default=False)
    critical_infrastructure = models.BooleanField(_("Kritische Infrastruktur (KRITIS)"), default=False)
    statistical_confidentiality = models.BooleanField(_("Statistikgeheimnis"), default=False)
    spatial_granularity = models.CharField(
        _("Räumliche Granularität"), max_length=16, choices=SpatialGranularity.choices
    )
    temporal_granularity = models.CharField(
        _("Zeitliche Granularität"), max_length=16, choices=TemporalGranularity.choices
    )
    legal_bases = models.JSONField(_("Rechtsgrundlagen"), default=list, blank=True)
    justification = models.TextField(_("Begründung"))
    classified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Eingestuft von"), on_delete=models.PROTECT, related_name="+"
    )
    classified_at = models.DateTimeField(_("Eingestuft am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Klassifizierung")
        verbose_name_plural = _("Klassifizierungen")
        ordering = ["dataset", "-number"]
        constraints = [models.UniqueConstraint(fields=["dataset", "number"], name="classification_number_unique")]
        indexes = [models.Index(fields=["personal_data"]), models.Index(fields=["confidentiality"])]

    def __str__(self):
        return f"{self.dataset} – {_('Klassifizierung')} {self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ImmutableError("A classification version is never changed; classify again instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("A classification version is never deleted.")

    def clean(self):
        """The consistency rules of the classification scheme (reference §7.3)."""
        errors: dict[str, list] = {}

        def add(field, message):
            errors.setdefault(field, []).append(message)

        special = self.personal_data == PersonalDataStatus.SPECIAL
        if special and not self.special_categories:
            add("special_categories", _("Bei besonderen Kategorien bitte mindestens eine Kategorie angeben."))
        if self.special_categories and not special:
            add(
                "special_categories",
                _("Kategorien nach Art. 9/10 gibt es nur beim Personenbezug „besondere Kategorien“."),
            )
        unknown = set(self.special_categories) - set(SpecialCategory.values)
        if unknown:
            add("special_categories", _("Unbekannte Kategorie: %(codes)s") % {"codes": ", ".join(sorted(unknown))})
        if (
            special
            and self.protection_confidentiality is not None
            and self.protection_confidentiality < ProtectionNeed.HOCH
        ):
            add(
                "protection_confidentiality",
                _("Besondere Kategorien personenbezogener Daten haben mindestens hohen Schutzbedarf."),
            )
        if self.vs_nfd and self.confidentiality is not None and self.confidentiality < Confidentiality.VERTRAULICH:
            add("confidentiality", _("Eine Verschlusssache (VS-NfD) ist mindestens vertraulich."))
        personal = self.personal_data is not None and self.personal_data >= PersonalDataStatus.PSEUDONYMISED
        if personal and self.confidentiality == Confidentiality.OEFFENTLICH:
            add("confidentiality", _("Personenbezogene Daten können nicht als öffentlich eingestuft werden."))
        unknown_bases = set(self.legal_bases) - set(LegalBasis.values)
        if unknown_bases:
            add("legal_bases", _("Unbekannte Rechtsgrundlage: %(codes)s") % {"codes": ", ".join(sorted(unknown_bases))})
        if personal and not any(basis.startswith("GDPR_6") for basis in self.legal_bases):
            add("legal_bases", _("Personenbezogene Daten brauchen eine Rechtsgrundlage nach Art. 6 DSGVO."))
        if special and not any(basis.startswith(("GDPR_9", "GDPR_10")) for basis in self.legal_bases):
            add("legal_bases", _("Besondere Kategorien brauchen zusätzlich eine Rechtsgrundlage nach Art. 9 oder 10."))
        if self.vulnerable_subjects and not personal:
            add("vulnerable_subjects", _("Schutzbedürftige Betroffene gibt es nur bei personenbezogenen Daten."))
        if not (self.justification or "").strip():
            add("justification", _("Bitte begründen Sie die Einstufung."))
        if errors:
            raise ValidationError(errors)

    @property
    def protection_overall(self) -> int:
        """Maximum principle of BSI 200-2: the highest of the three needs."""
        return max(self.protection_confidentiality, self.protection_integrity, self.protection_availability)

    def get_protection_overall_display(self) -> str:
        return ProtectionNeed(self.protection_overall).label

    def special_category_labels(self) -> list[str]:
        return [SpecialCategory(code).label for code in self.special_categories]

    def legal_basis_labels(self) -> list[str]:
        return [LegalBasis(code).label for code in self.legal_bases]


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Wartet")
    RUNNING = "running", _("Läuft")
    SUCCEEDED = "succeeded", _("Erfolgreich")
    FAILED = "failed", _("Fehlerhaft – nichts übernommen")


class InventoryImport(models.Model):
    """An upload of the existing data inventory (CSV or XLSX), validated row by row and
    written all at once or not at all."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("Organisation"), on_delete=models.PROTECT, related_name="inventory_imports"
    )
    file = models.FileField(_("Datei"), upload_to="imports/%Y/%m/", max_length=300)
    original_name = models.CharField(_("Dateiname"), max_length=255)
    status = models.CharField(_("Status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    total_rows = models.PositiveIntegerField(_("Zeilen"), default=0)
    processed_rows = models.PositiveIntegerField(_("Verarbeitet"), default=0)
    created_count = models.PositiveIntegerField(_("Neu angelegt"), default=0)
    updated_count = models.PositiveIntegerField(_("Aktualisiert"), default=0)
    # [{"row": 3, "errors": {"title": ["..."]}}, ...]; row numbers as in the spreadsheet.
    errors = models.JSONField(_("Fehler"), default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(_("Hochgeladen am"), auto_now_add=True)
    finished = models.DateTimeField(_("Abgeschlossen am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Bestandsimport")
        verbose_name_plural = _("Bestandsimporte")
        ordering = ["-created"]

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("catalog:import_detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED)

    @property
    def progress_percent(self) -> int:
        return round(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


# ---------------------------------------------------------------------------
# Harvesting from CKAN portals (catalog.harvest)


class HarvestKind(models.TextChoices):
    """How a source is read (catalog.harvest.readers): the CKAN Action API, a DCAT-AP
    catalog document with Hydra paging, or a geoportal's OGC CSW catalogue."""

    CKAN = "ckan", _("CKAN-Portal (CKAN-API)")
    DCAT = "dcat", _("DCAT-AP-Katalog (RDF: Turtle, RDF/XML, JSON-LD)")
    CSW = "csw", _("Geoportal (OGC CSW, ISO 19139)")


class HarvestSource(models.Model):
    """A catalog whose public datasets the catalog takes over and keeps current, e.g.
    the city's existing open-data portal, a state's DCAT-AP endpoint or the geoportal's
    CSW. A trusted source's datasets are published at once (the source is the
    authority); an untrusted source's become drafts that go through classification and
    the normal workflow."""

    name = models.CharField(_("Bezeichnung"), max_length=200, unique=True)
    kind = models.CharField(
        _("Art der Quelle"),
        max_length=8,
        choices=HarvestKind.choices,
        default=HarvestKind.CKAN,
        help_text=_("Wie die Quelle gelesen wird."),
    )
    url = models.URLField(
        _("Adresse der Quelle"),
        max_length=500,
        validators=[
            URLValidator(
                schemes=["http", "https"],
                message=_("Bitte geben Sie eine Adresse an, die mit https:// oder http:// beginnt."),
                # Not "invalid": a model form would replace the message with its field's own.
                code="invalid_scheme",
            )
        ],
        help_text=_("Welche Adresse anzugeben ist, steht bei der Art der Quelle."),
    )
    default_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("Organisation"),
        on_delete=models.PROTECT,
        related_name="harvest_sources",
        help_text=_("Herausgeber aller Datensätze, deren Organisation an der Quelle nicht zugeordnet ist."),
    )
    fq = models.CharField(
        _("Filter"),
        max_length=500,
        blank=True,
        help_text=_(
            "Nur bei CKAN-Portalen: nur Datensätze, die diesem Filter im Solr-Format entsprechen, "
            "z. B. organization:umweltamt."
        ),
    )
    name_prefix = models.CharField(
        _("Präfix für Kurznamen"),
        max_length=30,
        blank=True,
        validators=[
            RegexValidator(r"^[a-z0-9][a-z0-9-]*$", _("Nur Kleinbuchstaben, Ziffern und Bindestriche, z. B. „jena-“."))
        ],
        help_text=_(
            "Wird jedem Kurznamen vorangestellt, z. B. „jena-“, damit Datensätze verschiedener Quellen sich "
            "nicht in die Quere kommen."
        ),
    )
    trusted = models.BooleanField(
        _("Vertrauenswürdige Quelle: Datensätze direkt veröffentlichen"),
        default=False,
        help_text=_(
            "Nur für das eigene Open-Data-Portal der Stadt, dessen Datensätze dort bereits veröffentlicht sind. "
            "Sonst werden die Datensätze als Entwürfe angelegt und durchlaufen Klassifizierung und Prüfung."
        ),
    )
    active = models.BooleanField(
        _("Regelmäßig abrufen"),
        default=True,
        help_text=_("Die Quelle wird täglich automatisch abgerufen, einmal in der Woche vollständig."),
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Verantwortliche Person"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "Governance-Admin der Organisation. Die Übernahmen stehen in ihrem Namen im Versionsverlauf, "
            "bei vertrauenswürdigen Quellen auch die Klassifizierung und die Veröffentlichungsentscheidung."
        ),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    created = models.DateTimeField(_("Eingerichtet am"), auto_now_add=True)
    modified = models.DateTimeField(_("Geändert am"), auto_now=True)
    history = HistoricalRecords(bases=[PersonText])

    class Meta:
        verbose_name = _("Harvesting-Quelle")
        verbose_name_plural = _("Harvesting-Quellen")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("catalog:harvest_source_detail", args=[self.pk])

    def last_success(self, *, complete: bool = False):
        """When the last successful run (with complete=True: the last successful complete
        run) started, or None. An incremental run asks for what changed since then."""
        jobs = self.jobs.filter(status=HarvestStatus.SUCCEEDED)
        if complete:
            jobs = jobs.filter(incremental=False)
        return jobs.order_by("-started").values_list("started", flat=True).first()


class HarvestOrganisationMapping(models.Model):
    """Datasets of this CKAN organisation are published by this organisation of the network."""

    source = models.ForeignKey(HarvestSource, on_delete=models.CASCADE, related_name="organisation_mappings")
    remote_name = models.CharField(_("Organisation an der Quelle"), max_length=100)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("Organisation"), on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords(bases=[PersonText])

    class Meta:
        verbose_name = _("Zuordnung einer Organisation")
        verbose_name_plural = _("Zuordnungen von Organisationen")
        ordering = ["source", "remote_name"]
        constraints = [
            models.UniqueConstraint(fields=["source", "remote_name"], name="harvest_mapping_unique_remote_name")
        ]

    def __str__(self):
        return f"{self.remote_name} → {self.organisation}"


class HarvestStatus(models.TextChoices):
    PENDING = "pending", _("Wartet")
    RUNNING = "running", _("Läuft")
    SUCCEEDED = "succeeded", _("Abgeschlossen")
    FAILED = "failed", _("Abgebrochen")


class HarvestJob(models.Model):
    """One run of a harvest source: what it found, created, updated, left unchanged,
    marked as removed and could not take over, with the reasons."""

    source = models.ForeignKey(HarvestSource, on_delete=models.PROTECT, related_name="jobs")
    status = models.CharField(
        _("Status"), max_length=16, choices=HarvestStatus.choices, default=HarvestStatus.PENDING, db_index=True
    )
    incremental = models.BooleanField(_("Nur Änderungen"), default=False)
    # The lower bound of an incremental run (metadata_modified), for the report.
    since = models.DateTimeField(_("Änderungen seit"), null=True, blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Gestartet von"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created = models.DateTimeField(_("Angelegt am"), auto_now_add=True)
    started = models.DateTimeField(_("Begonnen am"), null=True, blank=True)
    finished = models.DateTimeField(_("Beendet am"), null=True, blank=True)
    # Written with every page: a run whose heartbeat stopped is taken over or given up.
    heartbeat = models.DateTimeField(null=True, blank=True, editable=False)
    total = models.PositiveIntegerField(_("Datensätze an der Quelle"), default=0)
    processed = models.PositiveIntegerField(_("Verarbeitet"), default=0)
    created_count = models.PositiveIntegerField(_("Neu angelegt"), default=0)
    updated_count = models.PositiveIntegerField(_("Aktualisiert"), default=0)
    unchanged_count = models.PositiveIntegerField(_("Unverändert"), default=0)
    removed_count = models.PositiveIntegerField(_("An der Quelle entfernt"), default=0)
    failed_count = models.PositiveIntegerField(_("Nicht übernommen"), default=0)
    # [{"outcome": "failed", "remote_name": ..., "remote_id": ..., "dataset": name|None,
    #   "reason": ...}, ...]; outcomes: created, updated, removed, failed, warning.
    report = models.JSONField(_("Bericht"), default=list, blank=True)
    # Why the run as a whole stopped (transport errors and the like).
    message = models.TextField(_("Meldung"), blank=True)

    class Meta:
        verbose_name = _("Harvesting-Lauf")
        verbose_name_plural = _("Harvesting-Läufe")
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["source", "-created"])]

    def __str__(self):
        return f"{self.source} – {self.created:%Y-%m-%d %H:%M} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("catalog:harvest_job_detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (HarvestStatus.SUCCEEDED, HarvestStatus.FAILED)

    @property
    def progress_percent(self) -> int:
        return min(100, round(100 * self.processed / self.total)) if self.total else 0


class HarvestRecord(models.Model):
    """The link between a dataset of a CKAN source and the dataset it became here.
    `snapshot` is what the last run wrote (the mapped fields); a run compares the
    source against it (unchanged: nothing to do) and the local dataset against it
    (local edits since the last run)."""

    source = models.ForeignKey(HarvestSource, on_delete=models.PROTECT, related_name="records")
    remote_id = models.CharField(_("Kennung an der Quelle"), max_length=100)
    remote_name = models.CharField(_("Name an der Quelle"), max_length=100)
    dataset = models.OneToOneField(Dataset, on_delete=models.PROTECT, related_name="harvest_record")
    remote_modified = models.DateTimeField(_("An der Quelle geändert am"), null=True, blank=True)
    content_hash = models.CharField(max_length=64)
    snapshot = models.JSONField(default=dict)
    # {remote resource id: Distribution pk} of the distributions the source provides.
    resources = models.JSONField(default=dict)
    first_harvested = models.DateTimeField(_("Erstmals übernommen am"), auto_now_add=True)
    last_harvested = models.DateTimeField(_("Zuletzt übernommen am"), null=True, blank=True)
    last_seen_job = models.ForeignKey(HarvestJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    removed_at = models.DateTimeField(_("An der Quelle entfernt am"), null=True, blank=True)
    # The run withdrew the published dataset because it was removed at the source; if
    # it comes back, a trusted source publishes it again.
    withdrawn_by_harvest = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("Übernommener Datensatz")
        verbose_name_plural = _("Übernommene Datensätze")
        ordering = ["source", "remote_name"]
        constraints = [models.UniqueConstraint(fields=["source", "remote_id"], name="harvest_record_unique_remote_id")]

    def __str__(self):
        return f"{self.source}: {self.remote_name}"


class QualityScore(models.Model):
    """The metadata quality of a dataset as last computed by catalog.quality (MQA points,
    rating, the checks) with the broken links found. One row per dataset, rewritten after
    every change; kept off Dataset so that its history does not copy every rescoring."""

    dataset = models.OneToOneField(Dataset, on_delete=models.CASCADE, related_name="quality_score")
    points = models.PositiveSmallIntegerField(_("Punkte"))
    rating = models.CharField(_("Bewertung"), max_length=16)
    # {"findability": {"score": 60, "points": 100}, ...} in the order of catalog.quality.
    dimensions = models.JSONField(default=dict)
    # [{"code": "temporal", "dimension": "findability", "points": 20, "score": 0.0,
    #   "passed": false, "missing": 20, "hint": "Zeitliche Abdeckung angeben"}, ...]
    checks = models.JSONField(default=list)
    # [{"distribution": pk, "title": ..., "url": ..., "status_code": 404|None, "error": ...,
    #   "checked_at": ISO datetime}, ...]: external links whose latest check failed.
    broken_links = models.JSONField(default=list)
    computed_at = models.DateTimeField(_("Berechnet am"))

    class Meta:
        verbose_name = _("Metadatenqualität")
        verbose_name_plural = _("Metadatenqualität")

    def __str__(self):
        return f"{self.dataset_id}: {self.points}"

    @property
    def rating_label(self) -> str:
        return scoring.rating_label(self.rating)

    @property
    def percent(self) -> int:
        return round(100 * self.points / scoring.MAX_POINTS)

    @property
    def max_points(self) -> int:
        return scoring.MAX_POINTS

    def hints(self) -> list[tuple[str, int]]:
        """(what to do, points it brings) for every check not fully passed, biggest gain first."""
        # Only what the steward can do in a form (scoring.Check.actionable); rows stored
        # before the flag: the derived checks by their code.
        failed = [
            check
            for check in self.checks
            if check["missing"] > 0 and check.get("actionable", check["code"] not in scoring.DERIVED_CHECKS)
        ]
        failed.sort(key=lambda check: (-check["missing"], check["code"]))
        return [(gettext(check["hint"]), check["missing"]) for check in failed]

    def dimension_rows(self) -> list[tuple[str, int, int]]:
        rows = [
            self.dimensions[code] for code in scoring.DIMENSIONS if code in self.dimensions
        ]  # jsonb keeps no key order
        return [(gettext(values["label"]), values["score"], values["points"]) for values in rows]


class LinkCheck(models.Model):
    """One check of an external distribution address; the rows are its history and the
    newest one counts (catalog.linkcheck)."""

    distribution = models.ForeignKey(Distribution, on_delete=models.CASCADE, related_name="link_checks")
    url = models.URLField(_("Adresse"), max_length=1000)
    checked_at = models.DateTimeField(_("Geprüft am"), db_index=True)
    ok = models.BooleanField(_("Erreichbar"))
    status_code = models.PositiveSmallIntegerField(_("HTTP-Status"), null=True, blank=True)
    method = models.CharField(_("Methode"), max_length=8, blank=True)
    error = models.CharField(_("Fehler"), max_length=500, blank=True)
    # The address the redirects ended at, and every hop on the way.
    redirect_url = models.URLField(_("Weitergeleitet nach"), max_length=1000, blank=True)
    redirects = models.JSONField(default=list, blank=True)
    duration_ms = models.PositiveIntegerField(_("Dauer in ms"), default=0)

    class Meta:
        verbose_name = _("Linkprüfung")
        verbose_name_plural = _("Linkprüfungen")
        ordering = ["-checked_at", "-pk"]
        indexes = [models.Index(fields=["distribution", "-checked_at"])]

    def __str__(self):
        return f"{self.url} ({self.status_code or self.error})"


class ReportKind(models.TextChoices):
    TABULAR = "tabular", _("Tabellenprüfung")
    DISCLOSURE = "disclosure", _("Geheimhaltungsprüfung")


class DistributionReport(models.Model):
    """A check of one version (by checksum) of a distribution's content: the tabular
    validation or the statistical disclosure check. Written once per version and kind."""

    distribution = models.ForeignKey(Distribution, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(_("Art"), max_length=16, choices=ReportKind.choices)
    checksum_sha256 = models.CharField(_("SHA-256-Prüfsumme"), max_length=64)
    valid = models.BooleanField(_("Gültig"))
    summary = models.JSONField(_("Zusammenfassung"), default=dict, blank=True)
    report = models.JSONField(_("Bericht"), default=dict, blank=True)
    created = models.DateTimeField(_("Erstellt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Prüfbericht")
        verbose_name_plural = _("Prüfberichte")
        ordering = ["-created", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["distribution", "kind", "checksum_sha256"], name="distribution_report_unique_version"
            )
        ]

    def __str__(self):
        return f"{self.distribution} – {self.get_kind_display()}"


class FreshnessReminder(models.Model):
    """A reminder sent because a dataset was not updated as its frequency promises; one
    per overdue period, that is per due date (a new update starts a new period)."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="freshness_reminders")
    due = models.DateField(_("Fällig am"))
    sent_at = models.DateTimeField(_("Erinnert am"), auto_now_add=True)
    recipients = models.PositiveSmallIntegerField(_("Empfänger"), default=0)

    class Meta:
        verbose_name = _("Erinnerung an die Aktualisierung")
        verbose_name_plural = _("Erinnerungen an die Aktualisierung")
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["dataset", "due"], name="freshness_reminder_unique_due")]

    def __str__(self):
        return f"{self.dataset_id}: {self.due}"


class RenditionKind(models.TextChoices):
    PREVIEW = "preview", _("Vorschau")
    CSV = "csv", "CSV"
    # ";", decimal comma, TT.MM.JJJJ, UTF-8 with BOM: what Excel with German settings opens as numbers and dates.
    CSV_DE = "csv_de", _("CSV (Excel, deutsch)")
    JSON = "json", "JSON"
    XLSX = "xlsx", "XLSX"


class RenditionStatus(models.TextChoices):
    READY = "ready", _("Bereit")
    TOO_LARGE = "too_large", _("Zu groß")
    FAILED = "failed", _("Nicht lesbar")


def rendition_upload_path(rendition, filename):
    # Beside no user text: the distribution's UUID and a random directory per version.
    return f"renditions/{rendition.distribution.identifier}/{uuid.uuid4().hex}/{filename}"


class Rendition(models.Model):
    """What the worker computed once from one version (by checksum) of a tabular
    distribution (catalog.renditions): its preview or one alternative format, or why it
    is not offered (`limit`, `cap`: which cap of core.tables stopped it). The portal only
    serves these; no request converts anything."""

    distribution = models.ForeignKey(Distribution, on_delete=models.CASCADE, related_name="renditions")
    checksum_sha256 = models.CharField(_("SHA-256-Prüfsumme"), max_length=64)
    kind = models.CharField(_("Art"), max_length=16, choices=RenditionKind.choices)
    status = models.CharField(_("Stand"), max_length=16, choices=RenditionStatus.choices)
    file = models.FileField(_("Datei"), upload_to=rendition_upload_path, max_length=300, blank=True)
    byte_size = models.PositiveBigIntegerField(_("Größe in Bytes"), null=True, blank=True)
    # "rows", "cells", "bytes", "seconds" (core.tables.TooLarge) or "xlsx_rows" (the
    # sheet size of the XLSX format); empty if ready or unreadable.
    limit = models.CharField(_("Grenze"), max_length=16, blank=True)
    cap = models.PositiveBigIntegerField(_("Grenzwert"), null=True, blank=True)
    preview = models.JSONField(_("Vorschau"), null=True, blank=True)
    created = models.DateTimeField(_("Erstellt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Abgeleitete Datei")
        verbose_name_plural = _("Abgeleitete Dateien")
        ordering = ["distribution", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["distribution", "checksum_sha256", "kind"], name="rendition_unique_version_kind"
            )
        ]

    def __str__(self):
        return f"{self.distribution} – {self.kind} ({self.status})"
