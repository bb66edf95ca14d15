"""Controlled vocabularies of DCAT-AP.de 3.0 and the EU authority tables, as used by
the catalog. Codes are what the database stores; URIs are what RDF exports say.

The licence list (GovData's `dcat-ap-de-licenses-open.rdf`), the HVD categories and
the legal bases moved to governance.vocabularies; they are re-exported here under
their old names. The codes stay stable.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

# Licences, HVD categories and legal bases are governance reference data (versioned
# there as VocabularyTerm rows); the catalog keeps using them under these names.
from governance.vocabularies import HVD_LEGISLATION_URI as HVD_LEGISLATION_URI
from governance.vocabularies import LICENCE_BASE as LICENCE_BASE
from governance.vocabularies import LICENCE_CHOICES as LICENCE_CHOICES
from governance.vocabularies import LICENCES as LICENCES
from governance.vocabularies import LICENCES_BY_CODE as LICENCES_BY_CODE
from governance.vocabularies import RECOMMENDED_LICENCES as RECOMMENDED_LICENCES
from governance.vocabularies import HVDCategory as HVDCategory
from governance.vocabularies import LegalBasis as LegalBasis
from governance.vocabularies import Licence as Licence

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"


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
    code: str  # EU file-type authority code (OTHER: none)
    label: str
    media_type: str
    extensions: tuple[str, ...]
    tabular: bool = False
    in_eu_vocabulary: bool = True

    @property
    def uri(self) -> str | None:
        return f"{EU_AUTHORITY}file-type/{self.code}" if self.in_eu_vocabulary else None


OTHER_FILE_TYPE = "OTHER"
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
    # Formats that are services or links, never uploads. The file formats among them are what
    # German portals publish and the harvester takes over (EU file-type codes).
    FileType("XLS", "Excel (XLS)", "application/vnd.ms-excel", ()),
    FileType("DOC", "Word (DOC)", "application/msword", ()),
    FileType("DOCX", "Word (DOCX)", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ()),
    FileType("ODT", "OpenDocument-Text", "application/vnd.oasis.opendocument.text", ()),
    FileType("GML", "GML", "application/gml+xml", ()),
    FileType("KML", "KML", "application/vnd.google-earth.kml+xml", ()),
    FileType("KMZ", "KMZ", "application/vnd.google-earth.kmz", ()),
    # Shapefiles travel zipped; there is no registered media type of their own.
    FileType("SHP", "Shapefile", "application/zip", ()),
    FileType("GPKG", "GeoPackage", "application/geopackage+sqlite3", ()),
    FileType("TIFF", "TIFF-Bild", "image/tiff", ()),
    FileType("RSS", "RSS-Feed", "application/rss+xml", ()),
    FileType("ATOM", "Atom-Feed", "application/atom+xml", ()),
    FileType("RDF_XML", "RDF/XML", "application/rdf+xml", ()),
    FileType("RDF_TURTLE", "RDF Turtle", "text/turtle", ()),
    FileType("JSON_LD", "JSON-LD", "application/ld+json", ()),
    FileType("WMS_SRVC", "WMS-Dienst", "application/vnd.ogc.wms_xml", ()),
    FileType("WFS_SRVC", "WFS-Dienst", "application/vnd.ogc.wfs_xml", ()),
    FileType("HTML", "HTML", "text/html", ()),
    # A link whose format the catalog does not know (a harvested DWG drawing, say): kept,
    # never dropped. No EU file type fits, so it has no URI (DCAT says no dct:format, only
    # the link's own media type, if it declares one) and no media type of its own.
    FileType(OTHER_FILE_TYPE, "Sonstiges", "", (), in_eu_vocabulary=False),
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
