"""The columns of an inventory file: what each one means, how its cells are read, and
which are required (see catalog.imports)."""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import services
from ..errors import CellError
from ..models import (
    Confidentiality,
    PersonalDataStatus,
    ProtectionNeed,
    SpatialGranularity,
    SpecialCategory,
    TemporalGranularity,
)
from ..vocabularies import (
    LICENCE_BASE,
    LICENCES,
    DataTheme,
    Frequency,
    GeocodingLevel,
    HVDCategory,
    Language,
    LegalBasis,
)

# ---- Reading cell values -------------------------------------------------------------


def as_text(value) -> str:
    """A cell as text, whatever the spreadsheet stored: Excel gives numbers and dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def split_list(value) -> list[str]:
    return [part.strip() for part in re.split(r"[;,\n]", as_text(value)) if part.strip()]


def _fold(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def aliases(choices: Iterable[tuple[object, str]]) -> dict[str, object]:
    """Everything a person may type for a choice: the code, the German label, the label
    before a parenthesis, comma or dash, and the text in parentheses. Ambiguous
    spellings are dropped rather than guessed."""
    found: dict[str, set] = {}
    for value, label in choices:
        label = str(label)
        spellings = {str(value), label, label.split(" (")[0], label.split(", ")[0], label.split(" – ")[0]}
        spellings.update(re.findall(r"\(([^)]+)\)", label))
        for spelling in spellings:
            if spelling.strip():
                found.setdefault(_fold(spelling), set()).add(value)
    return {key: next(iter(values)) for key, values in found.items() if len(values) == 1}


def parse_text(value):
    return as_text(value) or None


def parse_kennung(value):
    text = as_text(value)
    if not text:
        raise CellError(_("Pflichtangabe: der Kurzname des Datensatzes."))
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", text):
        raise CellError(
            _("„%(value)s“ ist keine gültige Kennung: nur Kleinbuchstaben, Ziffern und einzelne Bindestriche.")
            % {"value": text}
        )
    return text


def parse_url(value):
    text = as_text(value)
    if text and "://" not in text:
        # A bare host name means https, as in the editing form.
        text = "https://" + text
    return text or None


def parse_municipality_key(value):
    # Excel drops the leading zero of a key stored as a number (Schleswig-Holstein: 01…).
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value)).zfill(8)
    return as_text(value) or None


def parse_decimal(value):
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    text = as_text(value).replace(" ", "")
    if not text:
        return None
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise CellError(_("„%(value)s“ ist keine Zahl.") % {"value": text}) from None


DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")


def parse_date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = as_text(value)
    if not text:
        return None
    for date_format in DATE_FORMATS:
        try:
            return datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    raise CellError(_("„%(value)s“ ist kein Datum; bitte JJJJ-MM-TT oder TT.MM.JJJJ.") % {"value": text})


TRUE_WORDS = {"ja", "j", "x", "true", "wahr", "1", "yes", "y"}
FALSE_WORDS = {"nein", "n", "false", "falsch", "0", "no", "-"}


def parse_bool(value):
    if isinstance(value, bool):
        return value
    text = as_text(value).casefold()
    if not text:
        return None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError(_("„%(value)s“ ist weder ja noch nein.") % {"value": as_text(value)})


def choice_parser(choices, *, listing: bool = True, strip_prefix: str = "") -> Callable:
    """A parser for one value of a vocabulary, given as (code, label) pairs."""
    choices = list(choices)
    known_by_language: dict[str, dict] = {}  # labels are translated: built on first use

    def parse(value):
        text = as_text(value)
        if not text:
            return None
        if strip_prefix:
            text = text.removeprefix(strip_prefix)
        language = translation.get_language() or ""
        if language not in known_by_language:
            known_by_language[language] = aliases(choices)
        try:
            return known_by_language[language][_fold(text)]
        except KeyError:
            pass
        if listing and len(choices) <= 6:
            allowed = "; ".join(f"{code} ({label})" for code, label in choices)
            message = _("Unbekannter Wert „%(value)s“. Erlaubt sind: %(allowed)s.")
        elif listing:
            allowed = ", ".join(str(code) for code, _label in choices)
            message = _(
                "Unbekannter Wert „%(value)s“. Erlaubt sind: %(allowed)s (Bedeutungen in der Spaltenübersicht)."
            )
        else:
            allowed = ""
            message = _("Unbekannter Wert „%(value)s“. Die erlaubten Codes stehen in der Spaltenübersicht.")
        raise CellError(message % {"value": text, "allowed": allowed})

    return parse


def list_parser(choices, *, listing: bool = True) -> Callable:
    """A parser for several values of a vocabulary, separated by ';' or ','."""
    choices = list(choices)
    single = choice_parser(choices, listing=listing)

    def parse(value):
        values = {single(part) for part in split_list(value)}
        # Kept in the vocabulary's order, so the same set is always stored the same way.
        return [code for code, _label in choices if code in values]

    return parse


def parse_keywords(value):
    return services.normalise_keywords(split_list(value))


parse_themes = list_parser(DataTheme.choices)


# ---- The columns ---------------------------------------------------------------------

DATASET, KEYWORDS, THEMES, CLASSIFICATION = "dataset", "keywords", "themes", "classification"


@dataclass(frozen=True)
class Column:
    name: str  # the header in the file
    label: str  # what it means, for the column reference
    target: str  # DATASET, KEYWORDS, THEMES or CLASSIFICATION
    parse: Callable
    field: str = ""  # model field on Dataset or Classification
    values: str = ""  # allowed values or format, for the column reference
    example: object = ""
    required: str = ""  # "" | "file" (the column must exist) | "new" (new datasets) | "classification"
    vocabulary: tuple = ()  # (code, label) pairs shown on the import page

    @property
    def required_text(self) -> str:
        return required_label(self)

    @property
    def name_parts(self) -> list[str]:
        # Long names may break after an underscore on narrow screens (<wbr> in the templates).
        return self.name.split("_")


def _vocabulary(choices) -> tuple:
    return tuple(choices)


YES_NO = gettext_lazy("ja oder nein (auch x, 1/0, true/false); leer = nein")

COLUMNS: list[Column] = [
    Column(
        "kennung",
        gettext_lazy("Kurzname des Datensatzes: eindeutig, dauerhaft und Schlüssel für spätere Importe"),
        DATASET,
        parse_kennung,
        "name",
        gettext_lazy("Kleinbuchstaben, Ziffern und Bindestriche, höchstens 100 Zeichen"),
        "baumkataster",
        required="file",
    ),
    Column(
        "titel",
        gettext_lazy("Titel"),
        DATASET,
        parse_text,
        "title",
        gettext_lazy("Text, höchstens 300 Zeichen"),
        "Baumkataster",
        "new",
    ),
    Column(
        "beschreibung",
        gettext_lazy("Beschreibung"),
        DATASET,
        parse_text,
        "description",
        gettext_lazy("Text"),
        "Alle Straßen- und Parkbäume mit Art, Höhe und Standort.",
        "new",
    ),
    Column(
        "schlagwoerter",
        gettext_lazy("Schlagwörter"),
        KEYWORDS,
        parse_keywords,
        values=gettext_lazy("durch Semikolon oder Komma getrennt"),
        example="Bäume; Stadtgrün",
    ),
    Column(
        "themen",
        gettext_lazy("Themen (EU-Vokabular)"),
        THEMES,
        parse_themes,
        values=gettext_lazy("Codes, durch Semikolon oder Komma getrennt, z. B. ENVI;TRAN"),
        example="ENVI",
        vocabulary=_vocabulary(DataTheme.choices),
    ),
    Column(
        "ansprechstelle",
        gettext_lazy("Ansprechstelle"),
        DATASET,
        parse_text,
        "contact_name",
        gettext_lazy("Text, höchstens 200 Zeichen"),
        "Grünflächenamt",
        "new",
    ),
    Column(
        "kontakt_email",
        gettext_lazy("E-Mail der Ansprechstelle"),
        DATASET,
        parse_text,
        "contact_email",
        gettext_lazy("E-Mail-Adresse"),
        "gruenflaechen@stadt.example",
        "new",
    ),
    Column(
        "kontakt_webseite",
        gettext_lazy("Webseite der Ansprechstelle"),
        DATASET,
        parse_url,
        "contact_url",
        gettext_lazy("Adresse; ohne https:// wird es ergänzt"),
        "https://www.stadt.example/gruenflaechen",
    ),
    Column(
        "lizenz",
        gettext_lazy("Lizenz"),
        DATASET,
        choice_parser(
            ((licence.code, licence.label) for licence in LICENCES), listing=False, strip_prefix=LICENCE_BASE
        ),
        "licence",
        gettext_lazy("Code, z. B. dl-by-de/2.0; leer = Datenlizenz Deutschland Namensnennung 2.0"),
        "dl-by-de/2.0",
        vocabulary=tuple((licence.code, licence.label) for licence in LICENCES),
    ),
    Column(
        "namensnennung",
        gettext_lazy("Namensnennung"),
        DATASET,
        parse_text,
        "attribution_text",
        gettext_lazy("Text, höchstens 300 Zeichen"),
        "Stadt Musterstadt, Grünflächenamt",
    ),
    Column(
        "raeumliche_ebene",
        gettext_lazy("Räumliche Ebene"),
        DATASET,
        choice_parser(GeocodingLevel.choices),
        "geocoding_level",
        gettext_lazy("Code oder Bezeichnung; leer = Gemeinde"),
        "municipality",
        vocabulary=_vocabulary(GeocodingLevel.choices),
    ),
    Column(
        "gemeindeschluessel",
        gettext_lazy("Amtlicher Gemeindeschlüssel"),
        DATASET,
        parse_municipality_key,
        "municipality_key",
        gettext_lazy("acht Ziffern"),
        "16053000",
    ),
    Column(
        "raumbezug",
        gettext_lazy("Raumbezug"),
        DATASET,
        parse_text,
        "spatial_label",
        gettext_lazy("Text, höchstens 200 Zeichen"),
        "Stadtgebiet Musterstadt",
    ),
    Column(
        "raeumliche_aufloesung_m",
        gettext_lazy("Räumliche Auflösung in Metern"),
        DATASET,
        parse_decimal,
        "spatial_resolution_m",
        gettext_lazy("Zahl, z. B. 10 oder 2,5"),
        "",
    ),
    Column(
        "zeitraum_von",
        gettext_lazy("Zeitraum von"),
        DATASET,
        parse_date,
        "temporal_start",
        gettext_lazy("Datum als JJJJ-MM-TT oder TT.MM.JJJJ"),
        date(2020, 1, 1),
    ),
    Column(
        "zeitraum_bis",
        gettext_lazy("Zeitraum bis"),
        DATASET,
        parse_date,
        "temporal_end",
        gettext_lazy("Datum als JJJJ-MM-TT oder TT.MM.JJJJ"),
        "",
    ),
    Column(
        "aktualisierung",
        gettext_lazy("Aktualisierung"),
        DATASET,
        choice_parser(Frequency.choices),
        "update_frequency",
        gettext_lazy("Code oder Bezeichnung; leer = unbekannt"),
        "ANNUAL",
        vocabulary=_vocabulary(Frequency.choices),
    ),
    Column(
        "sprache",
        gettext_lazy("Sprache"),
        DATASET,
        choice_parser(Language.choices),
        "language",
        gettext_lazy("Code oder Bezeichnung; leer = Deutsch"),
        "DEU",
        vocabulary=_vocabulary(Language.choices),
    ),
    Column(
        "hvd_kategorie",
        gettext_lazy("Hochwertiger Datensatz (HVD): Kategorie"),
        DATASET,
        choice_parser(HVDCategory.choices),
        "hvd_category",
        gettext_lazy("Code oder Bezeichnung, nur mit offener Lizenz; leer = kein HVD"),
        "c_ac64a52d",
        vocabulary=_vocabulary(HVDCategory.choices),
    ),
    Column(
        "webseite",
        gettext_lazy("Webseite zum Datensatz"),
        DATASET,
        parse_url,
        "landing_page",
        gettext_lazy("Adresse; ohne https:// wird es ergänzt"),
        "https://www.stadt.example/baumkataster",
    ),
    # The classification: optional, but once one of these cells is filled, the row
    # describes a complete classification.
    Column(
        "personenbezug",
        gettext_lazy("Personenbezug"),
        CLASSIFICATION,
        choice_parser(PersonalDataStatus.choices),
        "personal_data",
        gettext_lazy("Code 0–5 oder Bezeichnung"),
        "kein Personenbezug",
        "classification",
        _vocabulary(PersonalDataStatus.choices),
    ),
    Column(
        "besondere_kategorien",
        gettext_lazy("Besondere Kategorien (Art. 9/10 DSGVO)"),
        CLASSIFICATION,
        list_parser(SpecialCategory.choices),
        "special_categories",
        gettext_lazy("Codes, durch Semikolon getrennt; nur bei Personenbezug „besondere Kategorien“"),
        "",
        vocabulary=_vocabulary(SpecialCategory.choices),
    ),
    Column(
        "schutzbeduerftige_betroffene",
        gettext_lazy("Schutzbedürftige Betroffene"),
        CLASSIFICATION,
        parse_bool,
        "vulnerable_subjects",
        YES_NO,
        "nein",
    ),
    Column(
        "vertraulichkeit",
        gettext_lazy("Vertraulichkeitsstufe"),
        CLASSIFICATION,
        choice_parser(Confidentiality.choices),
        "confidentiality",
        gettext_lazy("Code 0–3 oder Bezeichnung"),
        "öffentlich",
        "classification",
        _vocabulary(Confidentiality.choices),
    ),
    Column(
        "vs_nfd",
        gettext_lazy("VS – Nur für den Dienstgebrauch"),
        CLASSIFICATION,
        parse_bool,
        "vs_nfd",
        YES_NO,
        "nein",
    ),
    *(
        Column(
            f"schutzbedarf_{name}",
            label,
            CLASSIFICATION,
            choice_parser(ProtectionNeed.choices),
            field_name,
            gettext_lazy("Code 1–3 oder Bezeichnung"),
            "normal",
            "classification",
            _vocabulary(ProtectionNeed.choices),
        )
        for name, field_name, label in (
            ("vertraulichkeit", "protection_confidentiality", gettext_lazy("Schutzbedarf Vertraulichkeit")),
            ("integritaet", "protection_integrity", gettext_lazy("Schutzbedarf Integrität")),
            ("verfuegbarkeit", "protection_availability", gettext_lazy("Schutzbedarf Verfügbarkeit")),
        )
    ),
    *(
        Column(name, label, CLASSIFICATION, parse_bool, field_name, YES_NO, "nein")
        for name, field_name, label in (
            ("geschaeftsgeheimnisse", "trade_secrets", gettext_lazy("Betriebs- und Geschäftsgeheimnisse")),
            ("rechte_dritter", "third_party_rights", gettext_lazy("Rechte Dritter")),
            ("kritis", "critical_infrastructure", gettext_lazy("Kritische Infrastruktur (KRITIS)")),
            ("statistikgeheimnis", "statistical_confidentiality", gettext_lazy("Statistikgeheimnis")),
        )
    ),
    Column(
        "raeumliche_granularitaet",
        gettext_lazy("Räumliche Granularität"),
        CLASSIFICATION,
        choice_parser(SpatialGranularity.choices),
        "spatial_granularity",
        gettext_lazy("Code oder Bezeichnung"),
        "point",
        "classification",
        _vocabulary(SpatialGranularity.choices),
    ),
    Column(
        "zeitliche_granularitaet",
        gettext_lazy("Zeitliche Granularität"),
        CLASSIFICATION,
        choice_parser(TemporalGranularity.choices),
        "temporal_granularity",
        gettext_lazy("Code oder Bezeichnung"),
        "year",
        "classification",
        _vocabulary(TemporalGranularity.choices),
    ),
    Column(
        "rechtsgrundlagen",
        gettext_lazy("Rechtsgrundlagen"),
        CLASSIFICATION,
        list_parser(LegalBasis.choices, listing=False),
        "legal_bases",
        gettext_lazy("Codes, durch Semikolon getrennt; Pflicht bei personenbezogenen Daten"),
        "",
        vocabulary=_vocabulary(LegalBasis.choices),
    ),
    Column(
        "begruendung",
        gettext_lazy("Begründung der Einstufung"),
        CLASSIFICATION,
        parse_text,
        "justification",
        gettext_lazy("Text"),
        "Sachdaten ohne Personenbezug.",
        "classification",
    ),
]
COLUMNS_BY_NAME = {column.name: column for column in COLUMNS}
COLUMN_NAMES = [column.name for column in COLUMNS]
DATASET_COLUMNS = {column.field: column.name for column in COLUMNS if column.target == DATASET}
CLASSIFICATION_COLUMNS = {column.field: column.name for column in COLUMNS if column.target == CLASSIFICATION}
CLASSIFICATION_FIELDS = list(CLASSIFICATION_COLUMNS)


def normalise_header(header) -> str:
    text = as_text(header).lstrip("\ufeff").strip().casefold()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, spelled)
    return re.sub(r"[\s\-]+", "_", text)


def required_label(column: Column) -> str:
    return {
        "file": _("ja"),
        "new": _("für neue Datensätze"),
        "classification": _("bei Klassifizierung"),
    }.get(column.required, _("nein"))
