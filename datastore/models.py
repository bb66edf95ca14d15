"""The state of each queryable table, and its data dictionary."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from governance.models.history import PersonText

# The types a column can have (core.tabletypes infers them from all cells of the column).
COLUMN_TYPES = {
    "integer": _("Ganzzahl"),
    "number": _("Zahl"),
    "date": _("Datum"),
    "datetime": _("Zeitpunkt"),
    "boolean": _("Wahrheitswert"),
    "string": _("Text"),
}


class TableStatus(models.TextChoices):
    WAITING = "waiting", _("Wartet auf das Laden")
    LOADING = "loading", _("Wird geladen")
    READY = "ready", _("Abfragbar")
    FAILED = "failed", _("Laden fehlgeschlagen")


class DataTable(models.Model):
    """A distribution's table in the database. `table_name`, `columns`, `rows` and
    `loaded_checksum` describe the version that can be queried now (none while
    `table_name` is empty); `checksum_sha256`, `status`, `progress_rows` and `message` the
    last load, which may be running (a new file version loads beside the old one)."""

    distribution = models.OneToOneField(
        "catalog.Distribution", on_delete=models.CASCADE, related_name="data_table", verbose_name=_("Distribution")
    )
    status = models.CharField(_("Stand"), max_length=16, choices=TableStatus.choices, default=TableStatus.WAITING)
    checksum_sha256 = models.CharField(_("Prüfsumme der geladenen Fassung"), max_length=64, blank=True)
    progress_rows = models.PositiveBigIntegerField(_("Gelesene Zeilen"), default=0)
    message = models.TextField(_("Meldung"), blank=True)
    started_at = models.DateTimeField(_("Laden begonnen"), null=True, blank=True)
    # The version that is queryable now.
    table_name = models.CharField(max_length=63, blank=True)
    loaded_checksum = models.CharField(max_length=64, blank=True)
    # [{"id": the column's name in the file, "column": its name in the database, "type": …}]
    columns = models.JSONField(default=list, blank=True)
    rows = models.PositiveBigIntegerField(_("Zeilen"), default=0)
    loaded_at = models.DateTimeField(_("Geladen am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Abfragbare Tabelle")
        verbose_name_plural = _("Abfragbare Tabellen")

    def __str__(self):
        return str(self.distribution)

    @property
    def is_queryable(self) -> bool:
        return bool(self.table_name)


class ColumnDescription(models.Model):
    """The data dictionary of a table, column by column, as the steward describes it: part
    of the dataset's metadata, versioned like it. Keyed by the column's name in the file,
    so a new version of the file with the same columns keeps its descriptions."""

    distribution = models.ForeignKey(
        "catalog.Distribution", on_delete=models.CASCADE, related_name="column_descriptions"
    )
    name = models.CharField(_("Spalte"), max_length=300)
    title = models.CharField(_("Titel"), max_length=200, blank=True)
    description = models.TextField(_("Beschreibung"), blank=True)
    unit = models.CharField(_("Einheit"), max_length=50, blank=True, help_text=_("z. B. „€“, „km²“, „Anzahl“"))
    allowed_values = models.JSONField(_("Erlaubte Werte"), default=list, blank=True)
    history = HistoricalRecords(bases=[PersonText])

    class Meta:
        verbose_name = _("Spaltenbeschreibung")
        verbose_name_plural = _("Spaltenbeschreibungen")
        ordering = ["distribution", "pk"]
        constraints = [models.UniqueConstraint(fields=["distribution", "name"], name="column_description_unique_name")]

    def __str__(self):
        return self.title or self.name


class ChartKind(models.TextChoices):
    BAR = "bar", _("Balken")
    LINE = "line", _("Linie")
    PIE = "pie", _("Kreis")


class ChartMeasure(models.TextChoices):
    """The aggregate functions of datastore.query (query.AGGREGATES)."""

    COUNT = "count", _("Anzahl der Zeilen")
    SUM = "sum", _("Summe")
    AVG = "avg", _("Durchschnitt")
    MIN = "min", _("Kleinster Wert")
    MAX = "max", _("Größter Wert")


class ChartSort(models.TextChoices):
    CATEGORY = "category", _("Nach Kategorie")
    VALUE_DESC = "value_desc", _("Nach Wert, größter zuerst")


class ChartView(models.Model):
    """A chart of a table as the steward configures it: one measure (an aggregate of a
    column, or the number of rows) per category (the values of one column), drawn as
    bars, a line or a pie, with the figures as a table beside it. Keyed by the
    distribution like the data dictionary, so a new version of the file keeps its charts
    (datastore.charts says when a chart no longer fits the table's columns)."""

    distribution = models.ForeignKey(
        "catalog.Distribution", on_delete=models.CASCADE, related_name="chart_views", verbose_name=_("Distribution")
    )
    title = models.CharField(_("Titel"), max_length=200)
    kind = models.CharField(_("Diagrammart"), max_length=8, choices=ChartKind.choices, default=ChartKind.BAR)
    category = models.CharField(
        _("Kategorie"), max_length=300, help_text=_("Die Spalte, deren Werte die Balken, Punkte oder Kreisstücke sind.")
    )
    measure = models.CharField(_("Kennzahl"), max_length=8, choices=ChartMeasure.choices, default=ChartMeasure.COUNT)
    value = models.CharField(
        _("Wertspalte"), max_length=300, blank=True, help_text=_("Die Spalte, über die die Kennzahl gebildet wird.")
    )
    sort = models.CharField(_("Reihenfolge"), max_length=16, choices=ChartSort.choices, default=ChartSort.CATEGORY)
    limit = models.PositiveSmallIntegerField(
        _("Höchstens so viele Kategorien"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("1 bis 50; weitere Kategorien werden nicht gezeigt."),
    )
    position = models.PositiveIntegerField(_("Position"), default=0, help_text=_("Kleinere Zahlen stehen weiter oben."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("Angelegt von"),
    )
    created = models.DateTimeField(_("Angelegt am"), auto_now_add=True)
    modified = models.DateTimeField(_("Geändert am"), auto_now=True)
    history = HistoricalRecords(bases=[PersonText])

    class Meta:
        verbose_name = _("Diagramm")
        verbose_name_plural = _("Diagramme")
        ordering = ["distribution", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(limit__gte=1, limit__lte=50), name="chart_view_limit_range")
        ]

    def __str__(self):
        return self.title
