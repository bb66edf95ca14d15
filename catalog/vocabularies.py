"""Controlled vocabularies of DCAT-AP.de 3.0 and the EU authority tables, as used by
the catalog. Codes are what the database stores; URIs are what RDF exports say.

The licence list is GovData's `dcat-ap-de-licenses-open.rdf` (34 concepts with
govdata:isOpenLicense). Governance may later version these as reference data; the
codes stay stable.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

LICENCE_BASE = "http://dcat-ap.de/def/licenses/"
EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"


@dataclass(frozen=True)
class Licence:
    code: str
    label: str
    is_open: bool

    @property
    def uri(self) -> str:
        return LICENCE_BASE + self.code


LICENCES = [
    Licence("apache", "Freie Softwarelizenz der Apache Software Foundation", is_open=True),
    Licence("bsd", "BSD Lizenz", is_open=True),
    Licence("cc-by", "Creative Commons Namensnennung (CC-BY)", is_open=True),
    Licence("cc-by/4.0", "Creative Commons Namensnennung – 4.0 International (CC BY 4.0)", is_open=True),
    Licence("cc-by-de/3.0", "Creative Commons Namensnennung 3.0 Deutschland (CC BY 3.0 DE)", is_open=True),
    Licence("cc-by-nc", "Creative Commons Namensnennung - Nicht kommerziell (CC BY-NC)", is_open=False),
    Licence(
        "cc-by-nc-de/3.0",
        "Creative Commons Namensnennung-Nicht kommerziell 3.0 Deutschland (CC BY-NC 3.0 DE)",
        is_open=False,
    ),
    Licence(
        "cc-by-nc/4.0",
        "Creative Commons Namensnennung - Nicht kommerziell 4.0 International (CC BY-NC 4.0)",
        is_open=False,
    ),
    Licence("cc-by-nd", "Creative Commons Namensnennung - Keine Bearbeitung (CC BY-ND)", is_open=False),
    Licence(
        "cc-by-nd/3.0", "Creative Commons Namensnennung – Keine Bearbeitung 3.0 Unported (CC BY-ND 3.0)", is_open=False
    ),
    Licence(
        "cc-by-nd/4.0",
        "Creative Commons Namensnennung - Keine Bearbeitung 4.0 International (CC BY-ND 4.0)",
        is_open=False,
    ),
    Licence(
        "cc-by-sa", "Creative Commons Namensnennung - Weitergabe unter gleichen Bedingungen (CC-BY-SA)", is_open=True
    ),
    Licence(
        "cc-by-sa-de/3.0",
        "Creative Commons Namensnennung - Weitergabe unter gleichen Bedingungen 3.0 Deutschland (CC BY-SA 3.0 DE)",
        is_open=True,
    ),
    Licence(
        "cc-by-sa/4.0",
        "Creative Commons Namensnennung - Weitergabe unter gleichen Bedingungen 4.0 International (CC-BY-SA 4.0)",
        is_open=True,
    ),
    Licence("ccpdm/1.0", "Public Domain Mark 1.0 (PDM)", is_open=True),
    Licence("cc-zero", "Creative Commons CC Zero License (cc-zero)", is_open=True),
    Licence("dl-by-de/1.0", "Datenlizenz Deutschland Namensnennung 1.0", is_open=True),
    Licence("dl-by-de/2.0", "Datenlizenz Deutschland Namensnennung 2.0", is_open=True),
    Licence("dl-by-nc-de/1.0", "Datenlizenz Deutschland Namensnennung nicht-kommerziell 1.0", is_open=False),
    Licence("dl-zero-de/2.0", "Datenlizenz Deutschland – Zero – Version 2.0", is_open=True),
    Licence("geonutz/20130319", "Nutzungsbestimmungen für die Bereitstellung von Geodaten des Bundes", is_open=True),
    Licence(
        "geoNutz/20131001", "Nutzungsbestimmungen für die Bereitstellung von Geodaten des Landes Berlin", is_open=True
    ),
    Licence("gfdl", "GNU Free Documentation License (GFDL)", is_open=True),
    Licence("gpl/3.0", "GNU General Public License version 3.0 (GPLv3)", is_open=True),
    Licence("mozilla", "Mozilla Public License 2.0 (MPL)", is_open=True),
    Licence("odbl", "Open Data Commons Open Database License (ODbL)", is_open=True),
    Licence("odby", "Open Data Commons Attribution License (ODC-BY 1.0)", is_open=True),
    Licence("odcpddl", "Open Data Commons Public Domain Dedication and Licence (ODC PDDL)", is_open=True),
    Licence("officialWork", "Amtliches Werk, lizenzfrei nach §5 Abs. 1 UrhG", is_open=True),
    Licence("other-closed", "Andere geschlossene Lizenz", is_open=False),
    Licence("other-commercial", "Andere kommerzielle Lizenz", is_open=False),
    Licence("other-freeware", "Andere Freeware Lizenz", is_open=False),
    Licence("other-open", "Andere offene Lizenz", is_open=True),
    Licence("other-opensource", "Andere Open Source Lizenz", is_open=True),
]
LICENCES_BY_CODE = {licence.code: licence for licence in LICENCES}
# GovData's recommendation first, then the rest alphabetically by label.
RECOMMENDED_LICENCES = ["dl-zero-de/2.0", "dl-by-de/2.0", "cc-by/4.0", "cc-zero"]
LICENCE_CHOICES = [(code, LICENCES_BY_CODE[code].label) for code in RECOMMENDED_LICENCES] + sorted(
    ((licence.code, licence.label) for licence in LICENCES if licence.code not in RECOMMENDED_LICENCES),
    key=lambda choice: choice[1].lower(),
)


class DataTheme(models.TextChoices):
    """EU data-theme authority table (dcat:theme), German labels as on GovData."""

    AGRI = "AGRI", _("Landwirtschaft, Fischerei, Forstwirtschaft und Nahrungsmittel")
    ECON = "ECON", _("Wirtschaft und Finanzen")
    EDUC = "EDUC", _("Bildung, Kultur und Sport")
    ENER = "ENER", _("Energie")
    ENVI = "ENVI", _("Umwelt")
    GOVE = "GOVE", _("Regierung und öffentlicher Sektor")
    HEAL = "HEAL", _("Gesundheit")
    INTR = "INTR", _("Internationale Themen")
    JUST = "JUST", _("Justiz, Rechtssystem und öffentliche Sicherheit")
    REGI = "REGI", _("Regionen und Städte")
    SOCI = "SOCI", _("Bevölkerung und Gesellschaft")
    TECH = "TECH", _("Wissenschaft und Technologie")
    TRAN = "TRAN", _("Verkehr")

    @property
    def uri(self) -> str:
        return f"{EU_AUTHORITY}data-theme/{self.value}"


class Frequency(models.TextChoices):
    """EU frequency authority table (dct:accrualPeriodicity)."""

    CONT = "CONT", _("kontinuierlich")
    UPDATE_CONT = "UPDATE_CONT", _("laufend aktualisiert")
    HOURLY = "HOURLY", _("stündlich")
    DAILY = "DAILY", _("täglich")
    WEEKLY = "WEEKLY", _("wöchentlich")
    MONTHLY = "MONTHLY", _("monatlich")
    QUARTERLY = "QUARTERLY", _("vierteljährlich")
    ANNUAL_2 = "ANNUAL_2", _("halbjährlich")
    ANNUAL = "ANNUAL", _("jährlich")
    BIENNIAL = "BIENNIAL", _("alle zwei Jahre")
    IRREG = "IRREG", _("unregelmäßig")
    NEVER = "NEVER", _("nie (abgeschlossen)")
    OTHER = "OTHER", _("sonstige")
    UNKNOWN = "UNKNOWN", _("unbekannt")

    @property
    def uri(self) -> str:
        return f"{EU_AUTHORITY}frequency/{self.value}"


class Language(models.TextChoices):
    """EU language authority table (dct:language)."""

    DEU = "DEU", _("Deutsch")
    ENG = "ENG", _("Englisch")
    MUL = "MUL", _("mehrsprachig")

    @property
    def uri(self) -> str:
        return f"{EU_AUTHORITY}language/{self.value}"


class HVDCategory(models.TextChoices):
    """High-value dataset categories of Implementing Regulation (EU) 2023/138."""

    GEOSPATIAL = "c_ac64a52d", _("Georaum")
    EARTH_OBSERVATION = "c_dd313021", _("Erdbeobachtung und Umwelt")
    METEOROLOGICAL = "c_164e0bf5", _("Meteorologie")
    STATISTICS = "c_e1da4e07", _("Statistik")
    COMPANIES = "c_a9135398", _("Unternehmen und Eigentümerschaft von Unternehmen")
    MOBILITY = "c_b79e35eb", _("Mobilität")

    @property
    def uri(self) -> str:
        return f"http://data.europa.eu/bna/{self.value}"


HVD_LEGISLATION_URI = "http://data.europa.eu/eli/reg_impl/2023/138/oj"


class GeocodingLevel(models.TextChoices):
    """DCAT-AP.de political geocoding level (dcatde:politicalGeocodingLevelURI)."""

    FEDERAL = "federal", _("Bund")
    STATE = "state", _("Land")
    ADMINISTRATIVE_DISTRICT = "administrativeDistrict", _("Kreis")
    MUNICIPALITY = "municipality", _("Gemeinde")

    @property
    def uri(self) -> str:
        return f"http://dcat-ap.de/def/politicalGeocoding/Level/{self.value}"


@dataclass(frozen=True)
class FileType:
    code: str  # EU file-type authority code
    label: str
    media_type: str
    extensions: tuple[str, ...]
    tabular: bool = False

    @property
    def uri(self) -> str:
        return f"{EU_AUTHORITY}file-type/{self.code}"


FILE_TYPES = [
    FileType("CSV", "CSV", "text/csv", (".csv",), tabular=True),
    FileType(
        "XLSX",
        "Excel (XLSX)",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (".xlsx",),
        tabular=True,
    ),
    FileType("ODS", "OpenDocument-Tabelle", "application/vnd.oasis.opendocument.spreadsheet", (".ods",)),
    FileType("JSON", "JSON", "application/json", (".json",)),
    FileType("GEOJSON", "GeoJSON", "application/geo+json", (".geojson",)),
    FileType("XML", "XML", "application/xml", (".xml",)),
    FileType("TXT", "Text", "text/plain", (".txt",)),
    FileType("PDF", "PDF", "application/pdf", (".pdf",)),
    FileType("ZIP", "ZIP-Archiv", "application/zip", (".zip",)),
    FileType("PNG", "PNG-Bild", "image/png", (".png",)),
    FileType("JPEG", "JPEG-Bild", "image/jpeg", (".jpg", ".jpeg")),
    # Formats that are services or links, never uploads.
    FileType("WMS_SRVC", "WMS-Dienst", "application/vnd.ogc.wms_xml", ()),
    FileType("WFS_SRVC", "WFS-Dienst", "application/vnd.ogc.wfs_xml", ()),
    FileType("HTML", "HTML", "text/html", ()),
]
FILE_TYPES_BY_CODE = {file_type.code: file_type for file_type in FILE_TYPES}
FILE_TYPE_CHOICES = [(file_type.code, file_type.label) for file_type in FILE_TYPES]
UPLOADABLE_FILE_TYPES = [file_type for file_type in FILE_TYPES if file_type.extensions]


def file_type_for_name(filename: str) -> FileType | None:
    name = filename.lower()
    for file_type in UPLOADABLE_FILE_TYPES:
        if name.endswith(file_type.extensions):
            return file_type
    return None


class LegalBasis(models.TextChoices):
    """Legal bases for processing personal data (Art. 6, 9, 10 DSGVO)."""

    GDPR_6_1_A = "GDPR_6_1_a", _("Art. 6 Abs. 1 lit. a DSGVO – Einwilligung")
    GDPR_6_1_B = "GDPR_6_1_b", _("Art. 6 Abs. 1 lit. b DSGVO – Vertrag")
    GDPR_6_1_C = "GDPR_6_1_c", _("Art. 6 Abs. 1 lit. c DSGVO – rechtliche Verpflichtung")
    GDPR_6_1_D = "GDPR_6_1_d", _("Art. 6 Abs. 1 lit. d DSGVO – lebenswichtige Interessen")
    GDPR_6_1_E = "GDPR_6_1_e", _("Art. 6 Abs. 1 lit. e DSGVO – öffentliche Aufgabe")
    GDPR_6_1_F = "GDPR_6_1_f", _("Art. 6 Abs. 1 lit. f DSGVO – berechtigtes Interesse (nicht für Behörden)")
    GDPR_9_2_A = "GDPR_9_2_a", _("Art. 9 Abs. 2 lit. a DSGVO – ausdrückliche Einwilligung")
    GDPR_9_2_B = "GDPR_9_2_b", _("Art. 9 Abs. 2 lit. b DSGVO – Arbeitsrecht, soziale Sicherheit")
    GDPR_9_2_C = "GDPR_9_2_c", _("Art. 9 Abs. 2 lit. c DSGVO – lebenswichtige Interessen")
    GDPR_9_2_D = "GDPR_9_2_d", _("Art. 9 Abs. 2 lit. d DSGVO – Stiftungen, Vereinigungen")
    GDPR_9_2_E = "GDPR_9_2_e", _("Art. 9 Abs. 2 lit. e DSGVO – offensichtlich öffentlich gemacht")
    GDPR_9_2_F = "GDPR_9_2_f", _("Art. 9 Abs. 2 lit. f DSGVO – Rechtsansprüche")
    GDPR_9_2_G = "GDPR_9_2_g", _("Art. 9 Abs. 2 lit. g DSGVO – erhebliches öffentliches Interesse")
    GDPR_9_2_H = "GDPR_9_2_h", _("Art. 9 Abs. 2 lit. h DSGVO – Gesundheitsvorsorge")
    GDPR_9_2_I = "GDPR_9_2_i", _("Art. 9 Abs. 2 lit. i DSGVO – öffentliche Gesundheit")
    GDPR_9_2_J = "GDPR_9_2_j", _("Art. 9 Abs. 2 lit. j DSGVO – Archiv, Forschung, Statistik")
    GDPR_10 = "GDPR_10", _("Art. 10 DSGVO – strafrechtliche Daten")

    @classmethod
    def article_6(cls):
        return [basis for basis in cls if basis.value.startswith("GDPR_6")]

    @classmethod
    def article_9_or_10(cls):
        return [basis for basis in cls if basis.value.startswith(("GDPR_9", "GDPR_10"))]
