"""Mapping a CKAN package dict to the catalog: licences, formats, dates, the fields of a dataset.

Lossless from this portal's own CKAN API (portal.ckan.dictize) and ckanext-dcat's DCAT-AP
extras: the HVD category (the HVD regulation follows from it here: a category without the
regulation is taken with a warning; the regulation without a category, or a category with
a licence that is not open, is reported and sets none), the spatial resolution, the
attribution text (from the resources when the dataset names none) and, per resource, its
size, SHA-256 checksum ("sha256:…" or bare; other algorithms are left out) and, for a
format the catalog does not know ("Sonstiges"), the media type it declares. The source's
original `issued` date is taken when the dataset is created (CREATE_ONLY_FIELDS) and kept
when it is published here. The contributor ID belongs to the publisher (its organisation
settings), not to the record."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from posixpath import basename
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _

from .. import services
from ..errors import RecordError
from ..models import DistributionKind, HarvestKind, HarvestSource
from ..vocabularies import (
    FILE_TYPES_BY_CODE,
    HVD_LEGISLATION_URI,
    LICENCE_BASE,
    LICENCES,
    LICENCES_BY_CODE,
    OTHER_FILE_TYPE,
    DataTheme,
    Frequency,
    GeocodingLevel,
    HVDCategory,
    Language,
    file_type_for_name,
)

_LICENCE_CODES = {licence.code.lower(): licence.code for licence in LICENCES}
# Short ids of CKAN's default licence list, GovData's older ids, SPDX ids and spellings
# seen on German portals. Everything else fails the record (no licence is guessed).
LICENCE_ALIASES = {
    "cc-by": "cc-by",
    "cc-by-4.0": "cc-by/4.0",
    "cc-by-3.0-de": "cc-by-de/3.0",
    "cc-by-de-3.0": "cc-by-de/3.0",
    "cc-by-sa": "cc-by-sa",
    "cc-by-sa-4.0": "cc-by-sa/4.0",
    "cc-by-sa-3.0-de": "cc-by-sa-de/3.0",
    "cc-by-nc": "cc-by-nc",
    "cc-nc": "cc-by-nc",
    "cc-by-nc-4.0": "cc-by-nc/4.0",
    "cc-by-nd": "cc-by-nd",
    "cc-by-nd-4.0": "cc-by-nd/4.0",
    "cc-zero": "cc-zero",
    "cc0": "cc-zero",
    "cc0-1.0": "cc-zero",
    "cc-pdm": "ccpdm/1.0",
    "pdm": "ccpdm/1.0",
    "odc-odbl": "odbl",
    "odbl-1.0": "odbl",
    "odc-by": "odby",
    "odc-by-1.0": "odby",
    "odc-pddl": "odcpddl",
    "pddl-1.0": "odcpddl",
    "gfdl": "gfdl",
    "gfdl-1.3": "gfdl",
    "gpl-3.0": "gpl/3.0",
    "mpl-2.0": "mozilla",
    "apache-2.0": "apache",
    "bsd": "bsd",
    "dl-de-by-1.0": "dl-by-de/1.0",
    "dl-de-by-2.0": "dl-by-de/2.0",
    "dl-de/by-2-0": "dl-by-de/2.0",
    "dl-de-zero-2.0": "dl-zero-de/2.0",
    "dl-de/zero-2-0": "dl-zero-de/2.0",
    "dl-de-by-nc-1.0": "dl-by-nc-de/1.0",
    "other-open": "other-open",
    "other-at": "other-open",
    "other-pd": "other-open",
    "other-closed": "other-closed",
    "other-nc": "other-closed",
    "amtliches-werk": "officialWork",
    "official-work": "officialWork",
}
# The DCAT-AP.de licence list (1.x wrote versions with "_": dl-by-de/2_0) and GovData's
# own addresses of the Datenlizenz Deutschland.
LICENCE_URI_PREFIXES = (
    LICENCE_BASE,
    LICENCE_BASE.replace("http://", "https://"),
    "https://www.govdata.de/",
    "http://www.govdata.de/",
)
# Creative Commons' canonical addresses: licenses/<kind>/<version>[/<port>][/deed.xx|legalcode]
# and publicdomain/zero|mark/1.0.
CREATIVE_COMMONS = re.compile(
    r"^https?://(?:www\.)?creativecommons\.org/(licenses|publicdomain)/([a-z-]+)/(\d\.\d)(?:/([a-z]{2}))?(?:/|/deed\.[a-z-]+|/legalcode(?:\.[a-z-]+)?)*$"
)
DATENLIZENZ = re.compile(r"^datenlizenz deutschland\W+(namensnennung|zero)\W+(?:version\s*)?(\d\.\d)$")
# Our own labels as text (what a portal shows instead of an id), whitespace folded.
_LICENCE_LABELS = {" ".join(licence.label.lower().split()): licence.code for licence in LICENCES}


def _creative_commons(match: re.Match) -> str | None:
    family, kind, version, port = match.groups()
    if family == "publicdomain":
        return {"zero": "cc-zero", "mark": "ccpdm/1.0"}.get(kind)
    key = f"cc-{kind}-{port}/{version}" if port else f"cc-{kind}/{version}"
    return _LICENCE_CODES.get(key) or LICENCE_ALIASES.get(key) or LICENCE_ALIASES.get(f"cc-{kind}-{version}")


def licence_code(value) -> str | None:
    """Our licence code for a licence as German portals write it: a CKAN short id, a
    DCAT-AP.de URI (old and new forms), GovData's and Creative Commons' addresses, or the
    licence's name as text. None if it is none of them."""
    raw = " ".join(str(value or "").split())
    match = CREATIVE_COMMONS.match(raw.lower())
    if match:
        return _creative_commons(match)
    key = raw
    for prefix in LICENCE_URI_PREFIXES:
        if key.lower().startswith(prefix):
            key = key[len(prefix) :]
            break
    key = key.strip().strip("/").lower()
    versioned = re.sub(r"(\d)_(\d)$", r"\1.\2", key)
    text = key.replace("–", "-")
    for candidate in (key, versioned, text.replace(" ", "-"), re.sub(r"\s*-\s*|\s+", "-", text)):
        code = _LICENCE_CODES.get(candidate) or LICENCE_ALIASES.get(candidate)
        if code:
            return code
    if key in _LICENCE_LABELS:
        return _LICENCE_LABELS[key]
    match = DATENLIZENZ.match(re.sub(r"\s*-\s*", " - ", text))
    if match:
        return _LICENCE_CODES.get(f"dl-{'by' if match.group(1) == 'namensnennung' else 'zero'}-de/{match.group(2)}")
    return None


def licence_given(value) -> bool:
    raw = str(value or "").strip()
    return bool(raw) and raw.lower() != "notspecified"


def map_licence(value) -> str:
    """Our licence code for a licence as a source gives it (see licence_code); a record
    error if it is missing or unknown (no licence is guessed)."""
    raw = str(value or "").strip()
    if not licence_given(raw):
        raise RecordError(_("Die Lizenz ist an der Quelle nicht angegeben („%(id)s“).") % {"id": raw or "–"})
    code = licence_code(raw)
    if code is None:
        raise RecordError(_("Die Lizenz „%(id)s“ ist im Katalog nicht bekannt.") % {"id": raw[:100]})
    return code


FORMAT_ALIASES = {
    "csv": "CSV",
    "text/csv": "CSV",
    "xlsx": "XLSX",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "ods": "ODS",
    "application/vnd.oasis.opendocument.spreadsheet": "ODS",
    "json": "JSON",
    "application/json": "JSON",
    "geojson": "GEOJSON",
    "geo+json": "GEOJSON",
    "application/geo+json": "GEOJSON",
    "application/vnd.geo+json": "GEOJSON",
    "xml": "XML",
    "application/xml": "XML",
    "text/xml": "XML",
    "txt": "TXT",
    "text": "TXT",
    "text/plain": "TXT",
    "pdf": "PDF",
    "application/pdf": "PDF",
    "zip": "ZIP",
    "application/zip": "ZIP",
    "png": "PNG",
    "image/png": "PNG",
    "jpeg": "JPEG",
    "jpg": "JPEG",
    "image/jpeg": "JPEG",
    "wms": "WMS_SRVC",
    "wms_srvc": "WMS_SRVC",
    "ogc:wms": "WMS_SRVC",
    "application/vnd.ogc.wms_xml": "WMS_SRVC",
    "wfs": "WFS_SRVC",
    "wfs_srvc": "WFS_SRVC",
    "ogc:wfs": "WFS_SRVC",
    "application/vnd.ogc.wfs_xml": "WFS_SRVC",
    "html": "HTML",
    "htm": "HTML",
    "text/html": "HTML",
    "webseite": "HTML",
    "ogc wms": "WMS_SRVC",
    "ogc wfs": "WFS_SRVC",
    "website": "HTML",
    "xls": "XLS",
    "application/vnd.ms-excel": "XLS",
    "application/msword": "DOC",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.oasis.opendocument.text": "ODT",
    "application/gml+xml": "GML",
    "application/vnd.google-earth.kml+xml": "KML",
    "application/vnd.google-earth.kmz": "KMZ",
    "shapefile": "SHP",
    "esri shapefile": "SHP",
    "shape": "SHP",
    "geopackage": "GPKG",
    "application/geopackage+sqlite3": "GPKG",
    "tif": "TIFF",
    "geotiff": "TIFF",
    "image/tiff": "TIFF",
    "application/rss+xml": "RSS",
    "application/atom+xml": "ATOM",
    "rdf": "RDF_XML",
    "rdf/xml": "RDF_XML",
    "application/rdf+xml": "RDF_XML",
    "ttl": "RDF_TURTLE",
    "turtle": "RDF_TURTLE",
    "text/turtle": "RDF_TURTLE",
    "json-ld": "JSON_LD",
    "jsonld": "JSON_LD",
    "application/ld+json": "JSON_LD",
}
# EU file-type URIs in their current and their old MDR form, over http and https, and
# IANA's media-type addresses.
FORMAT_URI_PREFIXES = (
    *(
        f"{scheme}://publications.europa.eu/{path}resource/authority/file-type/"
        for scheme in ("http", "https")
        for path in ("", "mdr/")
    ),
    "https://www.iana.org/assignments/media-types/",
    "http://www.iana.org/assignments/media-types/",
)
SERVICE_FORMATS = ("WMS_SRVC", "WFS_SRVC")


def _format_key(value) -> str:
    key = str(value or "").strip().lower()
    for prefix in FORMAT_URI_PREFIXES:
        if key.startswith(prefix):
            key = key[len(prefix) :]
            break
    return key.split(";")[0].strip().lstrip(".")


# A media type as RFC 6838 names them (type/subtype, without parameters).
MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}")


def declared_media_type(*values) -> str:
    """The first of `values` that is a media type (also as an IANA address), else ""."""
    for value in values:
        key = _format_key(value)
        if MEDIA_TYPE.fullmatch(key):
            return key
    return ""


def map_format(fmt, mimetype, url: str) -> str | None:
    """Our file-type code for CKAN's free-text format, else its media type, else the
    address's file extension; None if none of them is known."""
    for value in (fmt, mimetype):
        key = _format_key(value)
        code = FORMAT_ALIASES.get(key) or (key.upper() if key.upper() in FILE_TYPES_BY_CODE else None)
        if code:
            return code
    file_type = file_type_for_name(unquote(urlsplit(url).path))
    return file_type.code if file_type else None


_validate_url = URLValidator()
_validate_web_url = URLValidator(schemes=["http", "https"])


_AT = re.compile(r"\s*(?:[\(\[\{<]\s*(?:at|ät|@)\s*[\)\]\}>]|\s+at\s+)\s*", re.IGNORECASE)
_DOT = re.compile(r"\s*(?:[\(\[\{<]\s*(?:dot|punkt|\.)\s*[\)\]\}>]|\s+dot\s+)\s*", re.IGNORECASE)


def deobfuscated_email(value: str) -> str:
    """An e-mail address with its spam guard undone: "(at)", "[at]", " at ", "(dot)"."""
    value = value.strip()
    if "@" not in value:
        value = _AT.sub("@", value, count=1)
    return _DOT.sub(".", value) if "@" in value else value


def valid_url(value: str, *, max_length: int, web_only: bool = False) -> bool:
    if len(value) > max_length:
        return False
    try:
        (_validate_web_url if web_only else _validate_url)(value)
    except ValidationError:
        return False
    return True


def parse_remote_datetime(value) -> datetime | None:
    """CKAN's timestamps are naive ISO 8601 in UTC, e.g. 2022-06-16T14:13:37.736125."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_date(value) -> date | None:
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except (TypeError, ValueError):
        return None


def extras_of(package: dict) -> dict:
    """CKAN's `extras` list as a dict; ckanext-scheming portals put the same keys at the top level."""
    extras = {}
    for extra in package.get("extras") or []:
        if isinstance(extra, dict) and extra.get("key") and extra.get("state", "active") == "active":
            extras[str(extra["key"])] = extra.get("value")
    return extras


def _as_list(value) -> list:
    """An extra that may be a JSON list in a string, a list, or a single value."""
    if isinstance(value, list):
        return value
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        return parsed if isinstance(parsed, list) else [value]
    return [value] if value else []


def _last_segment(value) -> str:
    return str(value or "").strip().rstrip("/").rsplit("/", 1)[-1]


# The key under which a reader hands the Mapper its notes on a record (not a CKAN key).
READER_NOTES = "_stadtdaten_notes"

# The extras read below; ckanext-scheming portals have them at the top level of the package.
EXTRA_KEYS = (
    "applicable_legislation",
    "hvd_category",
    "issued",
    "licenseAttributionByText",
    "frequency",
    "accrual_periodicity",
    "language",
    "politicalGeocodingLevelURI",
    "politicalGeocodingURI",
    "geocodingText",
    "spatial_text",
    "temporal_start",
    "temporal_end",
    "spatial_resolution_in_meters",
    "theme",
)

DATASET_FIELDS = (
    "title",
    "description",
    "publisher",
    "licence",
    "contact_name",
    "contact_email",
    "landing_page",
    "attribution_text",
    "update_frequency",
    "language",
    "geocoding_level",
    "municipality_key",
    "spatial_label",
    "temporal_start",
    "temporal_end",
    "hvd_category",
    "spatial_resolution_m",
    "issued",
)
# Taken only when the dataset is created here (the source's original publication date,
# which the workflow then keeps: it sets `issued` only when there is none). Not part of
# the snapshot, so later runs neither compare nor change it.
CREATE_ONLY_FIELDS = ("issued",)
# spatial_resolution_m: DecimalField(max_digits=10, decimal_places=2).
MAX_RESOLUTION = Decimal("99999999.99")
MAX_BYTE_SIZE = 2**63 - 1  # PositiveBigIntegerField
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass
class Mapped:
    """A CKAN package as the catalog would store it. `fields` holds only what the
    source provides; the rest of a dataset is the catalog's own."""

    remote_id: str
    remote_name: str
    name: str
    remote_modified: datetime | None
    fields: dict
    keywords: list[str]
    themes: list[str]
    resources: list[dict]
    warnings: list[str] = field(default_factory=list)

    def snapshot(self) -> dict:
        data = {key: serialise(key, value) for key, value in self.fields.items() if key not in CREATE_ONLY_FIELDS}
        data["keywords"] = keyword_key(self.keywords)
        data["themes"] = sorted(self.themes)
        data["distributions"] = sorted(self.resources, key=lambda resource: resource["id"])
        return data


def serialise(key: str, value):
    if key == "publisher":
        return value.pk
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def keyword_key(keywords) -> list[str]:
    return sorted({keyword.lower() for keyword in services.normalise_keywords(keywords)})


def content_hash(snapshot: dict) -> str:
    text = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class Mapper:
    """Maps the package dicts of one source, with its organisation mapping."""

    def __init__(self, source: HarvestSource):
        self.source = source
        self.organisations = {
            mapping.remote_name: mapping.organisation
            for mapping in source.organisation_mappings.select_related("organisation")
        }

    def map(self, package) -> Mapped:
        if not isinstance(package, dict):
            raise RecordError(_("Der Eintrag ist kein Datensatz."))
        remote_id = str(package.get("id") or "").strip()
        remote_name = str(package.get("name") or "").strip()
        if not remote_id:
            raise RecordError(_("Die Kennung (id) fehlt."))
        if not remote_name:
            raise RecordError(_("Der Name (name) fehlt."))
        name = self.local_name(remote_name)
        # What the reader could not carry into the package dict (e.g. DCAT properties it does
        # not map) is reported with the record, once it is written.
        warnings: list[str] = [str(note) for note in package.get(READER_NOTES) or [] if note]
        extras = extras_of(package)
        extras.update({key: package[key] for key in EXTRA_KEYS if package.get(key) and key not in extras})

        title = " ".join(str(package.get("title") or "").split())
        if not title:
            raise RecordError(_("Der Titel fehlt."))
        if len(title) > 300:
            title = title[:299].rsplit(" ", 1)[0].rstrip(" ,;:-") + "…"
            warnings.append(_("Der Titel ist länger als 300 Zeichen und wurde gekürzt."))
        description = str(package.get("notes") or "").strip()
        if not description:
            description = title
            warnings.append(_("Keine Beschreibung an der Quelle; der Titel dient als Beschreibung."))

        organisation = package.get("organization") if isinstance(package.get("organization"), dict) else {}
        # The mapping names an organisation of the source by its name (CKAN's slug) or by its
        # title (what a DCAT publisher's foaf:name or a CSW responsible party says).
        publisher = (
            self.organisations.get(str(organisation.get("name") or ""))
            or self.organisations.get(" ".join(str(organisation.get("title") or "").split()))
            or self.source.default_organisation
        )
        licence = self.licence(package, warnings)

        contact_name = (
            str(package.get("maintainer") or package.get("author") or organisation.get("title") or "").strip()
            or publisher.name
        )[:200]
        contact_email = self.contact_email(package, publisher, warnings)

        landing_page = str(package.get("url") or "").strip()
        if landing_page and not valid_url(landing_page, max_length=200, web_only=True):
            warnings.append(
                _("Ungültige Adresse der Webseite (url) „%(url)s“ übergangen.") % {"url": landing_page[:200]}
            )
            landing_page = ""
        elif not landing_page and self.source.kind == HarvestKind.CKAN:
            # A CKAN portal shows every dataset at /dataset/<name>; a DCAT catalog or a CSW has
            # no such page, and their readers give the record's own address where there is one.
            page = f"{self.source.url}/dataset/{remote_name}"
            landing_page = page if len(page) <= 200 else ""

        fields = {
            "title": title,
            "description": description,
            "publisher": publisher,
            "licence": licence,
            "contact_name": contact_name,
            "contact_email": contact_email,
            "landing_page": landing_page,
        }
        fields.update(self.optional_fields(extras, warnings))
        fields.update(self.dcat_ap_fields(extras, licence, warnings))
        if "attribution_text" not in fields:
            attribution = self.resource_attribution(package)
            if attribution:
                fields["attribution_text"] = attribution
        return Mapped(
            remote_id=remote_id[:100],
            remote_name=remote_name[:100],
            name=name,
            remote_modified=parse_remote_datetime(package.get("metadata_modified")),
            fields=fields,
            keywords=self.keywords(package),
            themes=self.themes(package, extras),
            resources=self.resources(package, licence, warnings),
            warnings=warnings,
        )

    @staticmethod
    def licence(package: dict, warnings: list) -> str:
        """The dataset's licence; where the source names none at the dataset (as ckanext-dcat
        converts DCAT-AP records, whose licences sit on the distributions), the one its
        resources name. Only a record with no licence anywhere is refused."""
        if licence_given(package.get("license_id")):
            return map_licence(package.get("license_id"))
        given = [
            resource.get("license") or resource.get("license_id")
            for resource in package.get("resources") or []
            if isinstance(resource, dict)
        ]
        codes = [licence_code(value) for value in given if licence_given(value)]
        codes = [code for code in codes if code]
        if not codes:
            raise RecordError(
                _("Die Lizenz ist an der Quelle nicht angegeben, weder am Datensatz noch an seinen Ressourcen.")
            )
        # The most common; on a tie the first named (Counter keeps that order), so every run agrees.
        licence = Counter(codes).most_common(1)[0][0]
        warnings.append(
            _("Lizenz des Datensatzes fehlt an der Quelle; übernommen aus den Ressourcen („%(licence)s“).")
            % {"licence": LICENCES_BY_CODE[licence].label}
        )
        return licence

    @staticmethod
    def contact_email(package: dict, publisher, warnings: list) -> str:
        """The contact's address, with the spam guards German portals write undone
        ("poststelle(at)statistik.rlp.de", "x [at] y (dot) de"); an address that is still
        not one is replaced by the publisher's, with a warning (not legally relevant)."""
        given = str(package.get("maintainer_email") or package.get("author_email") or "").strip()
        address = deobfuscated_email(given.removeprefix("mailto:"))
        if address:
            try:
                validate_email(address)
                return address
            except ValidationError:
                pass
        if not publisher.email:
            raise RecordError(
                _(
                    "Keine gültige E-Mail-Adresse der Ansprechstelle: weder an der Quelle („%(email)s“) noch bei "
                    "der Organisation „%(organisation)s“."
                )
                % {"email": given[:100] or "–", "organisation": publisher.name}
            )
        if given:
            warnings.append(
                _("„%(email)s“ ist keine E-Mail-Adresse; die Adresse der Organisation wird genannt.")
                % {"email": given[:100]}
            )
        return publisher.email

    def local_name(self, remote_name: str) -> str:
        name = f"{self.source.name_prefix}{remote_name.lower().replace('_', '-')}"
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
            raise RecordError(_("Der Name „%(name)s“ ist als Kurzname nicht geeignet.") % {"name": remote_name[:100]})
        if len(name) > 100:
            raise RecordError(_("Der Kurzname „%(name)s“ ist länger als 100 Zeichen.") % {"name": name[:120]})
        return name

    def optional_fields(self, extras: dict, warnings: list) -> dict:
        """What GovData's DCAT-AP.de extras say, where they say it."""
        fields = {}
        attribution = str(extras.get("licenseAttributionByText") or "").strip()
        if attribution:
            fields["attribution_text"] = attribution[:300]
        frequency = _last_segment(extras.get("frequency") or extras.get("accrual_periodicity")).upper()
        if frequency in Frequency.values:
            fields["update_frequency"] = frequency
        language = _last_segment((_as_list(extras.get("language")) or [""])[0]).upper()
        if language in Language.values:
            fields["language"] = language
        level = _last_segment(extras.get("politicalGeocodingLevelURI"))
        if level in GeocodingLevel.values:
            fields["geocoding_level"] = level
        for uri in _as_list(extras.get("politicalGeocodingURI")):
            municipality_key = self.municipality_key(str(uri))
            if municipality_key:
                fields["municipality_key"] = municipality_key
                break
        spatial = str((_as_list(extras.get("geocodingText") or extras.get("spatial_text")) or [""])[0]).strip()
        if spatial:
            fields["spatial_label"] = spatial[:200]
        for key in ("temporal_start", "temporal_end"):
            value = extras.get(key)
            if value:
                parsed = parse_date(value)
                if parsed:
                    fields[key] = parsed
                else:
                    warnings.append(_("Ungültiges Datum in %(key)s („%(value)s“) übergangen.") % {
                        "key": key, "value": str(value)[:40]
                    })  # fmt: skip
        start, end = fields.get("temporal_start"), fields.get("temporal_end")
        if start and end and end < start:
            warnings.append(_("Der Zeitraum endet vor seinem Beginn; er wurde nicht übernommen."))
            del fields["temporal_start"], fields["temporal_end"]
        return fields

    def dcat_ap_fields(self, extras: dict, licence: str, warnings: list) -> dict:
        """What the DCAT-AP extras of ckanext-dcat (and of this portal's CKAN API) say: the
        HVD category, the original publication date, the spatial resolution."""
        fields = {}
        category = self.hvd_category(extras, licence, warnings)
        if category:
            fields["hvd_category"] = category
        issued = extras.get("issued")
        if issued:
            parsed = parse_remote_datetime(str(issued).strip())
            if parsed:
                fields["issued"] = parsed
            else:
                warnings.append(_("Ungültiges Datum in %(key)s („%(value)s“) übergangen.") % {
                    "key": "issued", "value": str(issued)[:40]
                })  # fmt: skip
        given = (_as_list(extras.get("spatial_resolution_in_meters")) or [None])[0]
        if given not in (None, ""):
            try:
                resolution = Decimal(str(given).strip()).quantize(Decimal("0.01"))
            except (InvalidOperation, ValueError):
                resolution = None
            if resolution is not None and 0 < resolution <= MAX_RESOLUTION:
                fields["spatial_resolution_m"] = resolution
            else:
                warnings.append(
                    _("Ungültige räumliche Auflösung („%(value)s“) übergangen.") % {"value": str(given)[:40]}
                )
        return fields

    @staticmethod
    def hvd_category(extras: dict, licence: str, warnings: list) -> str:
        """The HVD category (a URI of http://data.europa.eu/bna/). In this catalog the HVD
        regulation follows from the category: a category without the regulation is taken
        (with a warning), the regulation without a category is not (no category to take)."""
        legislation = {
            str(uri).strip().rstrip("/").lower().replace("https://", "http://")
            for uri in _as_list(extras.get("applicable_legislation"))
        }
        hvd_law = HVD_LEGISLATION_URI.lower() in legislation
        given = [str(uri).strip() for uri in _as_list(extras.get("hvd_category")) if str(uri or "").strip()]
        known = [_last_segment(uri) for uri in given if _last_segment(uri) in HVDCategory.values]
        if not known:
            if given:
                warnings.append(
                    _("Die HVD-Kategorie „%(category)s“ ist im Katalog nicht bekannt; nicht übernommen.")
                    % {"category": given[0][:100]}
                )
            elif hvd_law:
                warnings.append(
                    _(
                        "Die Durchführungsverordnung (EU) 2023/138 ist als Rechtsgrundlage angegeben, aber keine "
                        "HVD-Kategorie; nicht als hochwertiger Datensatz übernommen."
                    )
                )
            return ""
        if not LICENCES_BY_CODE[licence].is_open:
            # A high-value dataset needs an open licence here (Dataset.clean): the record is
            # taken, the category is not.
            warnings.append(
                _(
                    "Die Quelle nennt den Datensatz hochwertig (HVD), aber seine Lizenz ist nicht offen; ohne "
                    "HVD-Kategorie übernommen."
                )
            )
            return ""
        if not hvd_law:
            warnings.append(
                _(
                    "HVD-Kategorie ohne die Durchführungsverordnung (EU) 2023/138 als Rechtsgrundlage angegeben; als "
                    "hochwertiger Datensatz übernommen (die Kategorie schließt die Verordnung ein)."
                )
            )
        if len(set(known)) > 1:
            warnings.append(
                _("Mehrere HVD-Kategorien an der Quelle; übernommen wird „%(category)s“.")
                % {"category": HVDCategory(known[0]).label}
            )
        return known[0]

    @staticmethod
    def resource_attribution(package: dict) -> str:
        """The attribution text the resources carry (DCAT-AP.de has it on the distribution;
        this portal's CKAN API writes the dataset's there): the first one given."""
        for resource in package.get("resources") or []:
            if isinstance(resource, dict):
                attribution = str(resource.get("licenseAttributionByText") or "").strip()
                if attribution:
                    return attribution[:300]
        return ""

    @staticmethod
    def municipality_key(uri: str) -> str:
        """The Amtlicher Gemeindeschlüssel of a DCAT-AP.de political-geocoding URI
        (municipalityKey: 8 digits; regionalKey: the 12-digit ARS, whose digits 1–5 and
        10–12 are the AGS)."""
        match = re.search(r"/municipalityKey/(\d{8})$", uri)
        if match:
            return match.group(1)
        match = re.search(r"/regionalKey/(\d{12})$", uri)
        if match:
            return match.group(1)[:5] + match.group(1)[9:]
        return ""

    @staticmethod
    def keywords(package: dict) -> list[str]:
        names = []
        for tag in package.get("tags") or []:
            name = (tag.get("name") or tag.get("display_name")) if isinstance(tag, dict) else tag
            if name:
                names.append(str(name))
        return services.normalise_keywords(names)

    @staticmethod
    def themes(package: dict, extras: dict) -> list[str]:
        """EU data themes: GovData's groups carry the theme codes in lower case,
        ckanext-dcat's `theme` extra the theme URIs."""
        candidates = [group.get("name") for group in package.get("groups") or [] if isinstance(group, dict)]
        candidates += _as_list(extras.get("theme"))
        codes = {_last_segment(candidate).upper() for candidate in candidates if candidate}
        return sorted(codes & set(DataTheme.values))

    def resources(self, package: dict, licence: str, warnings: list) -> list[dict]:
        resources, seen = [], set()
        for position, resource in enumerate(package.get("resources") or [], start=1):
            if not isinstance(resource, dict) or resource.get("state", "active") != "active":
                continue
            url = str(resource.get("url") or "").strip()
            label = str(resource.get("name") or "").strip() or _("Ressource %(number)s") % {"number": position}
            if not url:
                warnings.append(_("Ressource „%(name)s“ hat keine Adresse und wurde nicht übernommen.") % {
                    "name": label[:100]
                })  # fmt: skip
                continue
            if not valid_url(url, max_length=1000):
                warnings.append(
                    _("Ressource „%(name)s“: ungültige Adresse „%(url)s“; nicht übernommen.")
                    % {"name": label[:100], "url": url[:200]}
                )
                continue
            remote_id = str(resource.get("id") or f"url:{url}")[:200]
            if remote_id in seen:
                continue
            seen.add(remote_id)
            code = map_format(resource.get("format"), resource.get("mimetype"), url)
            if code is None:
                # Kept, never dropped: as "Sonstiges", with the media type the source declares.
                code = OTHER_FILE_TYPE
                given = str(resource.get("format") or resource.get("mimetype") or "").strip()
                if given:
                    warning = _("Ressource „%(name)s“: Format „%(format)s“ unbekannt; als „Sonstiges“ übernommen.")
                else:
                    warning = _("Ressource „%(name)s“: kein Format angegeben; als „Sonstiges“ übernommen.")
                warnings.append(warning % {"name": label[:100], "format": given[:100]})
            given_licence = resource.get("license") or resource.get("license_id")
            resource_licence = licence_code(given_licence) if licence_given(given_licence) else ""
            if licence_given(given_licence) and not resource_licence:
                # The dataset's licence is known (else the record was refused): it applies.
                warnings.append(
                    _(
                        "Ressource „%(name)s“: Die Lizenz „%(licence)s“ kennt der Katalog nicht; "
                        "es gilt die des Datensatzes."
                    )
                    % {"name": label[:100], "licence": str(given_licence)[:100]}
                )
                resource_licence = ""
            if code in SERVICE_FORMATS:
                kind = DistributionKind.SERVICE
            elif str(resource.get("resource_type") or "").lower() == "api":
                kind = DistributionKind.API
            else:
                kind = DistributionKind.DOWNLOAD
            title = str(resource.get("name") or "").strip() or unquote(basename(urlsplit(url).path)) or code
            if code == OTHER_FILE_TYPE:
                media_type = declared_media_type(resource.get("mimetype"), resource.get("format"))
            else:
                media_type = FILE_TYPES_BY_CODE[code].media_type
            resources.append(
                {
                    "id": remote_id,
                    "title": title[:300],
                    "description": str(resource.get("description") or "").strip(),
                    "access_url": url,
                    "format": code,
                    "media_type": media_type[:100],
                    "kind": str(kind),
                    "licence": "" if resource_licence == licence else resource_licence,
                    "byte_size": self.byte_size(resource, label, warnings),
                    "checksum_sha256": self.checksum(resource),
                }
            )
        return resources

    @staticmethod
    def byte_size(resource: dict, label: str, warnings: list) -> int | None:
        """CKAN's `size`: the bytes, as a number or digits; anything else is reported."""
        given = resource.get("size")
        if given is None or given == "":
            return None
        text = str(given).strip()
        if not isinstance(given, bool) and text.isdigit() and int(text) <= MAX_BYTE_SIZE:
            return int(text)
        if isinstance(given, float) and given.is_integer() and 0 <= given <= MAX_BYTE_SIZE:
            return int(given)
        warnings.append(
            _("Ressource „%(name)s“: ungültige Größe „%(size)s“ übergangen.") % {"name": label[:100], "size": text[:40]}
        )
        return None

    @staticmethod
    def checksum(resource: dict) -> str:
        """CKAN's `hash` as a SHA-256 hex digest: bare, or "sha256:…" as some portals write
        it. Other algorithms (named in the prefix or in ckanext-dcat's hash_algorithm, or
        only recognisable by their length) are left out: the catalog keeps SHA-256 only."""
        given = str(resource.get("hash") or "").strip().lower()
        algorithm = str(resource.get("hash_algorithm") or "").lower().replace("-", "")
        if ":" in given:
            prefix, given = given.split(":", 1)
            algorithm = prefix.replace("-", "")
        if algorithm and not algorithm.endswith("sha256"):
            return ""
        return given.strip() if SHA256_HEX.fullmatch(given.strip()) else ""
