"""Mapping a CKAN package dict to the catalog: licences, formats, dates, the fields of a dataset."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from posixpath import basename
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _

from .. import services
from ..errors import RecordError
from ..models import DistributionKind, HarvestSource
from ..vocabularies import (
    FILE_TYPES_BY_CODE,
    LICENCE_BASE,
    LICENCES,
    LICENCES_BY_CODE,
    DataTheme,
    Frequency,
    GeocodingLevel,
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


# The extras read below; ckanext-scheming portals have them at the top level of the package.
EXTRA_KEYS = (
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
)


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
        data = {key: serialise(key, value) for key, value in self.fields.items()}
        data["keywords"] = keyword_key(self.keywords)
        data["themes"] = sorted(self.themes)
        data["distributions"] = sorted(self.resources, key=lambda resource: resource["id"])
        return data


def serialise(key: str, value):
    if key == "publisher":
        return value.pk
    if isinstance(value, date):
        return value.isoformat()
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
        warnings: list[str] = []
        extras = extras_of(package)
        extras.update({key: package[key] for key in EXTRA_KEYS if package.get(key) and key not in extras})

        title = " ".join(str(package.get("title") or "").split())
        if not title:
            raise RecordError(_("Der Titel fehlt."))
        if len(title) > 300:
            raise RecordError(_("Der Titel ist länger als 300 Zeichen."))
        description = str(package.get("notes") or "").strip()
        if not description:
            description = title
            warnings.append(_("Keine Beschreibung an der Quelle; der Titel dient als Beschreibung."))

        organisation = package.get("organization") if isinstance(package.get("organization"), dict) else {}
        publisher = self.organisations.get(str(organisation.get("name") or ""), self.source.default_organisation)
        licence = self.licence(package, warnings)

        contact_name = (
            str(package.get("maintainer") or package.get("author") or organisation.get("title") or "").strip()
            or publisher.name
        )[:200]
        contact_email = self.contact_email(package, publisher, warnings)

        landing_page = str(package.get("url") or "").strip()
        if landing_page and not valid_url(landing_page, max_length=200, web_only=True):
            raise RecordError(_("Ungültige Adresse der Webseite (url): „%(url)s“.") % {"url": landing_page[:200]})
        if not landing_page:
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
        codes = [map_licence(value) for value in given if licence_given(value)]
        if not codes:
            raise RecordError(
                _("Die Lizenz ist an der Quelle nicht angegeben, weder am Datensatz noch an seinen Ressourcen.")
            )
        licence = max(set(codes), key=codes.count)
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
        spatial = str(extras.get("geocodingText") or extras.get("spatial_text") or "").strip()
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
                raise RecordError(
                    _("Ressource „%(name)s“: ungültige Adresse „%(url)s“.") % {"name": label[:100], "url": url[:200]}
                )
            code = map_format(resource.get("format"), resource.get("mimetype"), url)
            if code is None:
                warnings.append(
                    _("Ressource „%(name)s“: Das Format „%(format)s“ kennt der Katalog nicht; nicht übernommen.")
                    % {"name": label[:100], "format": str(resource.get("format") or "–")[:40]}
                )
                continue
            remote_id = str(resource.get("id") or f"url:{url}")[:200]
            if remote_id in seen:
                continue
            seen.add(remote_id)
            resource_licence = resource.get("license") or resource.get("license_id")
            resource_licence = map_licence(resource_licence) if resource_licence else ""
            if code in SERVICE_FORMATS:
                kind = DistributionKind.SERVICE
            elif str(resource.get("resource_type") or "").lower() == "api":
                kind = DistributionKind.API
            else:
                kind = DistributionKind.DOWNLOAD
            title = str(resource.get("name") or "").strip() or unquote(basename(urlsplit(url).path)) or code
            resources.append(
                {
                    "id": remote_id,
                    "title": title[:300],
                    "description": str(resource.get("description") or "").strip(),
                    "access_url": url,
                    "format": code,
                    "kind": str(kind),
                    "licence": "" if resource_licence == licence else resource_licence,
                }
            )
        return resources
