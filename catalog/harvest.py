"""Harvesting from CKAN portals: a configured source (HarvestSource) is paged through
with `package_search` (`sort=id asc`, like ckanext-harvest), every package dict is
mapped to a dataset with keywords, themes and link distributions, and created or
updated through the catalog services, so each change leaves a history row whose
reason names the source ("catalog.harvest.created: <source>").

Rules (the README repeats them for administrators):

- Each record is written in its own transaction. A broken record (no id, name or
  title, an invalid address, an unknown licence, no contact e-mail …) is reported
  with its remote name and the reason and does not stop the run. A transport error
  (no connection, timeout, no JSON, `success: false`) fails the run with a message;
  what was written until then stays, and the next run continues from there.
- Idempotent: a record whose mapped fields (`HarvestRecord.snapshot`) are what the
  last run wrote is left alone ("unchanged"); a second run over the same data
  creates and updates nothing.
- Untrusted source: new datasets are drafts of the mapped organisation, without
  steward or owner, created in the name of the source's responsible person; they go
  through classification and the normal workflow. Trusted source (the city's own
  open-data portal): new datasets are published by catalog.workflow.publish_harvested
  (declared classification, rule evaluation, publication Decision), in the name of
  the responsible person, who must be a governance admin of the publisher.
- Local edits: a run applies only the fields the source changed since the last run
  (a three-way comparison of the last run's snapshot, the source and the dataset), so
  local edits of other fields stay. If the source changed a field that was also
  edited here, an untrusted source's record is not taken over at all and is reported
  ("lokal geändert", with the fields) until both sides agree. A trusted source is the
  authority for its datasets (all of them are harvest-owned): its change overwrites
  the local edit, the report says so and the history keeps the overwritten version.
  Fields the source does not provide (e.g. HVD category, or a frequency the source
  leaves out) are never touched.
- Datasets in review are not changed (catalog.services rules); the record is
  reported and taken over in a later run. Changing licence or publisher of a
  published dataset re-opens its review (catalog.services.update_dataset).
- A record missing from a complete (not incremental) run is marked removed. A
  trusted source's published dataset is withdrawn ("an der Quelle entfernt"); all
  others are only flagged and reported. If it comes back, the flag goes, and a
  dataset the run withdrew is published again.
- Name collisions: the Kurzname is the CKAN name (underscores become hyphens),
  with the source's optional prefix. If a dataset not linked to the same remote
  record already has that name, the record is not taken over and the report says
  so; set a prefix for the source or rename one of the datasets.
- Unmappable values: an unknown licence (also "notspecified") fails the record; a
  resource without address or with a format the catalog does not know (e.g. SHP,
  XLS) is left out with a warning; missing notes become the title (warning);
  missing contact details fall back to the publisher organisation's name and
  e-mail; unknown groups, frequencies and languages are ignored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from posixpath import basename
from urllib.parse import unquote, urlsplit

import requests
from celery.exceptions import SoftTimeLimitExceeded
from ckanapi import RemoteCKAN
from ckanapi.errors import CKANAPIError, ServerIncompatibleError
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from governance.models import Role
from governance.permissions import has_role

from . import services, workflow
from .errors import CatalogError, HarvestError, RecordError
from .models import (
    Dataset,
    DatasetState,
    Distribution,
    DistributionKind,
    HarvestJob,
    HarvestOrganisationMapping,
    HarvestRecord,
    HarvestSource,
    HarvestStatus,
)
from .vocabularies import (
    EU_AUTHORITY,
    FILE_TYPES_BY_CODE,
    LICENCE_BASE,
    LICENCES,
    DataTheme,
    Frequency,
    GeocodingLevel,
    Language,
    file_type_for_name,
)

logger = logging.getLogger(__name__)

USER_AGENT = "Stadtdaten-Harvester/1.0"
# Rows per package_search page, as ckanext-harvest asks; settings.HARVEST_PAGE_SIZE overrides.
PAGE_SIZE = 100
# (connect, read) in seconds, for every request; settings.HARVEST_TIMEOUT overrides.
DEFAULT_TIMEOUT = (10, 60)
# A run whose heartbeat (written with every page) is older than this has died.
STALE_AFTER = timedelta(minutes=30)
# Incremental runs ask for what changed since the last success, less this overlap
# (clocks and index delays, as ckanext-harvest does).
INCREMENTAL_OVERLAP = timedelta(hours=1)
# The nightly schedule makes a complete run (which detects removals) at least this often.
FULL_RUN_EVERY = timedelta(days=7)
# How many report entries of each kind a run keeps (the counts are always complete).
REPORT_LIMITS = {"failed": 2000, "removed": 1000, "warning": 1000, "created": 500, "updated": 500}
UNFINISHED = (HarvestStatus.PENDING, HarvestStatus.RUNNING)


class HarvestAborted(Exception):
    """The run as a whole cannot go on (transport error, paging broken …)."""


def reason(action: str, source: HarvestSource) -> str:
    # simple-history keeps 100 characters of a change reason.
    return f"catalog.harvest.{action}: {source.name}"[:100]


def person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else _("Zeitplan")


# ---------------------------------------------------------------------------
# Talking to the source


def timeout():
    return getattr(settings, "HARVEST_TIMEOUT", DEFAULT_TIMEOUT)


class TimeoutSession(requests.Session):
    """A session in which every request has a timeout: requests has none by default,
    and ckanapi passes timeout=None unless CKANAPI_REQUEST_TIMEOUT is set."""

    def __init__(self, timeout):
        super().__init__()
        self.timeout = timeout
        self.headers["User-Agent"] = USER_AGENT

    def request(self, method, url, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, **kwargs)


def client_for(source: HarvestSource) -> RemoteCKAN:
    # GET only: package_search is side-effect free, and GET passes caches and proxies
    # that refuse POST (ckanext-harvest does the same).
    return RemoteCKAN(source.url, user_agent=USER_AGENT, get_only=True, session=TimeoutSession(timeout()))


def normalise_source_url(url: str) -> str:
    """The portal's base address: without a trailing slash or a pasted API path."""
    url = (url or "").strip().rstrip("/")
    return re.sub(r"/api(/\d+)?(/action)?(/[a-z_]+)?$", "", url)


def search(ckan: RemoteCKAN, *, fq: str, start: int, rows: int) -> dict:
    params = {"q": "*:*", "sort": "id asc", "rows": rows, "start": start}
    if fq:
        params["fq"] = fq
    try:
        result = ckan.call_action("package_search", params, requests_kwargs={"timeout": timeout()})
    except requests.Timeout:
        raise HarvestAborted(_("Die Quelle hat nicht rechtzeitig geantwortet.")) from None
    except requests.RequestException as error:
        raise HarvestAborted(
            _("Die Quelle ist nicht erreichbar (%(error)s).") % {"error": type(error).__name__}
        ) from None
    except ServerIncompatibleError:
        raise HarvestAborted(_("Die Adresse antwortet nicht wie ein CKAN-Portal.")) from None
    except CKANAPIError as error:
        raise HarvestAborted(describe_api_error(error)) from None
    if (
        not isinstance(result, dict)
        or not isinstance(result.get("results"), list)
        or not isinstance(result.get("count", 0), int)
    ):
        raise HarvestAborted(_("Die Quelle hat keine gültige Trefferliste (package_search) geliefert."))
    return result


def describe_api_error(error: CKANAPIError) -> str:
    """ckanapi raises a plain CKANAPIError("['<url>', <status>, '<body>']") when the
    answer is no CKAN envelope, and a subclass when it says `success: false`."""
    if type(error) is CKANAPIError:
        match = re.match(r"\['[^']*', (\d{3}),", str(error))
        status = match.group(1) if match else "?"
        return _(
            "Die Quelle hat keine gültige CKAN-Antwort geliefert (HTTP-Status %(status)s). "
            "Stimmt die Adresse des Portals?"
        ) % {"status": status}
    detail = " ".join(str(error).split())[:300]
    return _("Die Quelle hat die Suche abgelehnt (%(type)s: %(detail)s). Stimmt der Filter?") % {
        "type": type(error).__name__,
        "detail": detail,
    }


# ---------------------------------------------------------------------------
# Mapping a CKAN package dict to the catalog

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
}
LICENCE_URI_PREFIXES = (LICENCE_BASE, LICENCE_BASE.replace("http://", "https://"))


def map_licence(value) -> str:
    """Our licence code for a CKAN licence id (short id or DCAT-AP.de URI)."""
    raw = str(value or "").strip()
    if not raw or raw.lower() == "notspecified":
        raise RecordError(_("Die Lizenz ist an der Quelle nicht angegeben („%(id)s“).") % {"id": raw or "–"})
    key = raw
    for prefix in LICENCE_URI_PREFIXES:
        if key.lower().startswith(prefix):
            key = key[len(prefix) :]
            break
    key = key.strip().strip("/").lower()
    code = _LICENCE_CODES.get(key) or LICENCE_ALIASES.get(key)
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
}
SERVICE_FORMATS = ("WMS_SRVC", "WFS_SRVC")


def _format_key(value) -> str:
    key = str(value or "").strip().lower()
    for prefix in (f"{EU_AUTHORITY}file-type/".lower(), "https://www.iana.org/assignments/media-types/"):
        if key.startswith(prefix):
            key = key[len(prefix) :]
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
        licence = map_licence(package.get("license_id"))

        contact_name = (
            str(package.get("maintainer") or package.get("author") or organisation.get("title") or "").strip()
            or publisher.name
        )[:200]
        contact_email = str(package.get("maintainer_email") or package.get("author_email") or "").strip()
        contact_email = contact_email.removeprefix("mailto:") or publisher.email
        if not contact_email:
            raise RecordError(
                _(
                    "Keine E-Mail-Adresse der Ansprechstelle: weder an der Quelle (maintainer_email, author_email) "
                    "noch bei der Organisation „%(organisation)s“."
                )
                % {"organisation": publisher.name}
            )
        try:
            validate_email(contact_email)
        except ValidationError:
            raise RecordError(
                _("Ungültige E-Mail-Adresse der Ansprechstelle: „%(email)s“.") % {"email": contact_email[:100]}
            ) from None

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


# ---------------------------------------------------------------------------
# The local side: what the dataset holds now, and link distributions


DISTRIBUTION_FIELDS = ("title", "description", "access_url", "format", "kind", "licence")


def distribution_snapshot(remote_id: str, distribution: Distribution) -> dict:
    return {"id": remote_id, **{name: getattr(distribution, name) for name in DISTRIBUTION_FIELDS}}


def local_snapshot(dataset: Dataset, record: HarvestRecord, keys) -> dict:
    """The dataset's current values of the mapped fields `keys`, shaped like a snapshot."""
    data = {}
    for key in keys:
        if key == "keywords":
            data[key] = keyword_key(dataset.keywords.values_list("name", flat=True))
        elif key == "themes":
            data[key] = sorted(dataset.themes.values_list("code", flat=True))
        elif key == "distributions":
            by_pk = {d.pk: d for d in Distribution.objects.filter(dataset=dataset, pk__in=record.resources.values())}
            data[key] = sorted(
                (
                    distribution_snapshot(remote_id, by_pk[pk])
                    for remote_id, pk in record.resources.items()
                    if pk in by_pk
                ),
                key=lambda resource: resource["id"],
            )
        elif key == "publisher":
            data[key] = dataset.publisher_id
        else:
            data[key] = serialise(key, getattr(dataset, key))
    return data


def field_labels(keys) -> str:
    labels = {"keywords": _("Schlagwörter"), "themes": _("Themen"), "distributions": _("Distributionen")}
    names = []
    for key in keys:
        names.append(str(labels[key]) if key in labels else str(Dataset._meta.get_field(key).verbose_name))
    return ", ".join(names)


def add_link_distribution(dataset: Dataset, values: dict, *, by, change_reason: str) -> Distribution:
    """A harvested resource as a link distribution. Like services.add_distribution for
    links, but the history names the source, and the caller touches the dataset once."""
    distribution = Distribution(dataset=dataset, media_type=FILE_TYPES_BY_CODE[values["format"]].media_type)
    for name in DISTRIBUTION_FIELDS:
        setattr(distribution, name, values[name])
    distribution.full_clean(exclude=["file", "dataset"])
    distribution._history_user = by
    distribution._change_reason = change_reason
    distribution.save()
    return distribution


def change_link_distribution(distribution: Distribution, values: dict, *, by, change_reason: str) -> None:
    for name in DISTRIBUTION_FIELDS:
        setattr(distribution, name, values[name])
    distribution.media_type = FILE_TYPES_BY_CODE[values["format"]].media_type
    distribution.full_clean(exclude=["file", "dataset"])
    distribution._history_user = by
    distribution._change_reason = change_reason
    distribution.save()


def remove_link_distribution(distribution: Distribution, *, by, change_reason: str) -> None:
    distribution._history_user = by
    distribution._change_reason = change_reason
    distribution.delete()


# ---------------------------------------------------------------------------
# Starting runs


def is_stale(job: HarvestJob, *, now=None) -> bool:
    """An unfinished run that has given no sign of life for STALE_AFTER has died."""
    return (job.heartbeat or job.created) <= (now or timezone.now()) - STALE_AFTER


def active_job(source: HarvestSource) -> HarvestJob | None:
    """The run of the source that is going on now, if any."""
    jobs = source.jobs.filter(status__in=UNFINISHED).order_by("-created")
    return next((job for job in jobs if not is_stale(job)), None)


def start_harvest(source: HarvestSource, *, by, incremental: bool = False) -> HarvestJob:
    """Create a run and enqueue it (after commit). One run per source at a time; a run
    that stopped answering (no heartbeat for STALE_AFTER) is given up. An incremental
    run without an earlier success is a complete one."""
    from .tasks import run_harvest

    now = timezone.now()
    with transaction.atomic():
        source = HarvestSource.objects.select_for_update().get(pk=source.pk)
        for job in source.jobs.filter(status__in=UNFINISHED):
            if not is_stale(job, now=now):
                raise HarvestError(_("Für diese Quelle läuft bereits ein Abruf. Bitte warten Sie, bis er beendet ist."))
            HarvestJob.objects.filter(pk=job.pk, status__in=UNFINISHED).update(
                status=HarvestStatus.FAILED,
                finished=now,
                message=_("Der Abruf hat seit %(minutes)s Minuten nicht mehr geantwortet und wurde aufgegeben.")
                % {"minutes": int(STALE_AFTER.total_seconds() // 60)},
            )
        since = None
        last_success = source.last_success() if incremental else None
        if last_success:
            since = last_success - INCREMENTAL_OVERLAP
        job = HarvestJob.objects.create(source=source, incremental=since is not None, since=since, triggered_by=by)
        run_harvest.delay_on_commit(job.pk)
    return job


def start_scheduled_runs() -> int:
    """Start a run for every active source that is not running: a complete one if the
    last complete success is older than FULL_RUN_EVERY, otherwise an incremental one."""
    started = 0
    now = timezone.now()
    for source in HarvestSource.objects.filter(active=True):
        last_complete = source.last_success(complete=True)
        full_due = last_complete is None or last_complete < now - FULL_RUN_EVERY
        try:
            start_harvest(source, by=None, incremental=not full_due)
        except HarvestError:
            continue
        started += 1
    return started


# ---------------------------------------------------------------------------
# Running


def claim(job_id: int) -> bool:
    """Take the job: a pending one, or a running one whose worker died (acks_late
    redelivers the task then). Two deliveries at once: only one wins."""
    now = timezone.now()
    if HarvestJob.objects.filter(pk=job_id, status=HarvestStatus.PENDING).update(
        status=HarvestStatus.RUNNING, started=now, heartbeat=now
    ):
        return True
    return bool(
        HarvestJob.objects.filter(pk=job_id, status=HarvestStatus.RUNNING, heartbeat__lt=now - STALE_AFTER).update(
            heartbeat=now
        )
    )


def run_job(job_id: int) -> HarvestJob | None:
    """Run a harvest job to its end. Safe to call again: a finished job is left as it
    is. Messages are stored in the site's language."""
    if not claim(job_id):
        return HarvestJob.objects.filter(pk=job_id).first()
    job = HarvestJob.objects.select_related("source__default_organisation", "source__responsible").get(pk=job_id)
    with translation.override(settings.LANGUAGE_CODE):
        run = Run(job, page_size=getattr(settings, "HARVEST_PAGE_SIZE", PAGE_SIZE))
        try:
            run.execute()
        except HarvestAborted as error:
            run.finish(HarvestStatus.FAILED, message=str(error))
        except SoftTimeLimitExceeded:
            run.finish(
                HarvestStatus.FAILED,
                message=_("Der Abruf hat das Zeitlimit erreicht. Der nächste Abruf setzt das Übernommene fort."),
            )
        except Exception as error:
            logger.exception("Harvest job %s failed", job_id)
            run.finish(
                HarvestStatus.FAILED,
                message=_("Unerwarteter Fehler (%(error)s). Bitte wenden Sie sich an den Betrieb.")
                % {"error": type(error).__name__},
            )
    job.refresh_from_db()
    return job


class Report:
    def __init__(self):
        self.entries: list[dict] = []
        self.counts: Counter = Counter()
        self.kept: Counter = Counter()
        self.omitted = 0

    def add(self, outcome: str, *, remote_name: str, remote_id: str = "", dataset: str = "", reason: str = ""):
        if outcome in REPORT_LIMITS:
            if self.kept[outcome] >= REPORT_LIMITS[outcome]:
                self.omitted += 1
                return
            self.kept[outcome] += 1
        self.entries.append(
            {"outcome": outcome, "remote_name": remote_name, "remote_id": remote_id, "dataset": dataset,
             "reason": str(reason)}
        )  # fmt: skip

    def as_list(self) -> list[dict]:
        if not self.omitted:
            return self.entries
        note = _("%(count)s weitere Einträge sind nicht aufgeführt; die Zahlen oben sind vollständig.") % {
            "count": self.omitted
        }
        return [*self.entries, {"outcome": "warning", "remote_name": "", "remote_id": "", "dataset": "",
                                "reason": note}]  # fmt: skip


class Run:
    def __init__(self, job: HarvestJob, *, page_size: int):
        self.job = job
        self.source = job.source
        self.by = self.source.responsible
        self.page_size = page_size
        self.report = Report()
        self.processed = 0
        self.total = 0

    # -- bookkeeping -------------------------------------------------------

    def count(self, outcome: str) -> None:
        self.report.counts[outcome] += 1

    def progress_fields(self) -> dict:
        counts = self.report.counts
        return {
            "total": self.total,
            "processed": self.processed,
            "created_count": counts["created"],
            "updated_count": counts["updated"],
            "unchanged_count": counts["unchanged"],
            "removed_count": counts["removed"],
            "failed_count": counts["failed"],
            "report": self.report.as_list(),
            "heartbeat": timezone.now(),
        }

    def save_progress(self) -> None:
        # A plain UPDATE outside any transaction: committed at once, so the progress page sees it.
        HarvestJob.objects.filter(pk=self.job.pk, status=HarvestStatus.RUNNING).update(**self.progress_fields())

    def finish(self, status: str, *, message: str = "") -> None:
        now = timezone.now()
        HarvestJob.objects.filter(pk=self.job.pk, status=HarvestStatus.RUNNING).update(
            status=status, finished=now, message=message, **self.progress_fields()
        )

    # -- the run -----------------------------------------------------------

    def execute(self) -> None:
        self.save_progress()  # a run taken over after a crash starts its counts afresh
        if not (self.by.is_active and has_role(self.by, Role.GOVERNANCE_ADMIN, self.source.default_organisation)):
            raise HarvestAborted(
                _(
                    "%(person)s ist nicht (mehr) Governance-Admin von %(organisation)s. Bitte tragen Sie bei der "
                    "Quelle eine andere verantwortliche Person ein."
                )
                % {"person": person(self.by), "organisation": self.source.default_organisation}
            )
        self.mapper = Mapper(self.source)
        fq = self.filter_query()
        seen: set[str] = set()
        previous_ids = None
        start = 0
        with client_for(self.source) as ckan:
            while True:
                result = search(ckan, fq=fq, start=start, rows=self.page_size)
                if start == 0:
                    self.total = result.get("count") or 0
                packages = result["results"]
                if not packages:
                    break
                ids = [str(package.get("id")) if isinstance(package, dict) else "" for package in packages]
                if ids == previous_ids:
                    raise HarvestAborted(
                        _("Die Quelle liefert zweimal dieselbe Seite; das Blättern funktioniert dort nicht.")
                    )
                previous_ids = ids
                self.process_page(packages, seen)
                start += len(packages)
                self.save_progress()
                if start > self.total + 10 * self.page_size + 1000:
                    raise HarvestAborted(_("Die Quelle liefert weit mehr Datensätze, als sie angekündigt hat."))
        if not self.job.incremental:
            self.mark_removed(seen)
        self.finish(HarvestStatus.SUCCEEDED)

    def filter_query(self) -> str:
        terms = []
        if self.source.fq.strip():
            terms.append(f"({self.source.fq.strip()})")
        if self.job.incremental and self.job.since:
            since = self.job.since.astimezone(UTC)
            terms.append(f"metadata_modified:[{since:%Y-%m-%dT%H:%M:%S}Z TO *]")
        return " AND ".join(terms)

    def process_page(self, packages: list, seen: set) -> None:
        ids = {str(package.get("id") or "") for package in packages if isinstance(package, dict)} - {""}
        records = {
            record.remote_id: record
            for record in HarvestRecord.objects.filter(source=self.source, remote_id__in=ids).select_related("dataset")
        }
        # Seen, whatever becomes of them below: a record that fails now is not "removed".
        HarvestRecord.objects.filter(pk__in=[record.pk for record in records.values()]).update(last_seen_job=self.job)
        for record in records.values():
            record.last_seen_job = self.job
        for package in packages:
            remote_id = str(package.get("id") or "") if isinstance(package, dict) else ""
            if remote_id and remote_id in seen:
                continue  # the source moved records between pages
            if remote_id:
                seen.add(remote_id)
            self.processed += 1
            self.process(package, records.get(remote_id))

    def process(self, package, record: HarvestRecord | None) -> None:
        label = str(package.get("name") or package.get("id") or "") if isinstance(package, dict) else ""
        remote_id = str(package.get("id") or "") if isinstance(package, dict) else ""
        try:
            mapped = self.mapper.map(package)
            if record is not None and self.unchanged(record, mapped):
                self.count("unchanged")
                return None
            with transaction.atomic():
                if record is None:
                    outcome, dataset, notes = self.create(mapped)
                else:
                    outcome, dataset, notes = self.update(record, mapped)
        except RecordError as error:
            return self.fail(label, remote_id, str(error), record)
        except ValidationError as error:
            return self.fail(label, remote_id, validation_message(error), record)
        except CatalogError as error:
            return self.fail(label, remote_id, str(error), record)
        except DatabaseError as error:
            logger.warning("Harvest of %r from source %s: %s", label, self.source.pk, error)
            return self.fail(label, remote_id, _("Die Datenbank hat den Datensatz abgelehnt."), record)
        except Exception as error:
            logger.exception("Harvest of %r from source %s failed", label, self.source.pk)
            return self.fail(
                label, remote_id, _("Unerwarteter Fehler (%(error)s).") % {"error": type(error).__name__}, record
            )
        self.count(outcome)
        if outcome == "unchanged":
            return None
        self.report.add(
            outcome, remote_name=mapped.remote_name, remote_id=mapped.remote_id, dataset=dataset.name,
            reason="; ".join(str(note) for note in notes if note),
        )  # fmt: skip
        for warning in mapped.warnings:
            self.report.add("warning", remote_name=mapped.remote_name, remote_id=mapped.remote_id,
                            dataset=dataset.name, reason=warning)  # fmt: skip
        return None

    def fail(self, label: str, remote_id: str, message: str, record: HarvestRecord | None) -> None:
        self.count("failed")
        self.report.add(
            "failed",
            remote_name=label or _("(ohne Namen)"),
            remote_id=remote_id,
            dataset=record.dataset.name if record else "",
            reason=message,
        )

    # -- create and update -------------------------------------------------

    def create(self, mapped: Mapped):
        if Dataset.objects.filter(name=mapped.name).exists():
            raise RecordError(
                _(
                    "Der Kurzname „%(name)s“ gehört schon einem anderen Datensatz. Legen Sie ein Präfix für die "
                    "Quelle fest oder benennen Sie einen der beiden Datensätze um."
                )
                % {"name": mapped.name}
            )
        dataset = services.create_dataset(
            by=self.by,
            fields={**mapped.fields, "name": mapped.name},
            keywords=mapped.keywords,
            themes=mapped.themes,
            reason=reason("created", self.source),
        )
        resources = {}
        for values in mapped.resources:
            distribution = add_link_distribution(
                dataset, values, by=self.by, change_reason=reason("distribution", self.source)
            )
            resources[values["id"]] = distribution.pk
        if resources:
            services.touch_dataset(dataset, by=self.by, reason=reason("distributions", self.source))
        snapshot = mapped.snapshot()
        HarvestRecord.objects.create(
            source=self.source,
            remote_id=mapped.remote_id,
            remote_name=mapped.remote_name,
            dataset=dataset,
            remote_modified=mapped.remote_modified,
            content_hash=content_hash(snapshot),
            snapshot=snapshot,
            resources=resources,
            last_harvested=timezone.now(),
            last_seen_job=self.job,
        )
        notes = []
        if self.source.trusted:
            self.publish(dataset, mapped, notes)
        return "created", dataset, notes

    def publish(self, dataset: Dataset, mapped: Mapped, notes: list) -> None:
        """Publish through the workflow. If the rules or roles do not allow it, the
        dataset stays as it is (a savepoint undoes the attempt) and a warning says why."""
        try:
            with transaction.atomic():
                workflow.publish_harvested(dataset, source=self.source, by=self.by)
        except (CatalogError, ValidationError) as error:
            message = validation_message(error) if isinstance(error, ValidationError) else str(error)
            mapped.warnings.append(_("Nicht veröffentlicht: %(reason)s") % {"reason": message})
        else:
            notes.append(_("Veröffentlicht."))

    @staticmethod
    def unchanged(record: HarvestRecord, mapped: Mapped) -> bool:
        """The source says what the last run wrote: nothing to do (and no query, unless
        the source renamed the record or only touched its timestamp)."""
        if record.removed_at is not None or content_hash(mapped.snapshot()) != record.content_hash:
            return False
        if (record.remote_name, record.remote_modified) != (mapped.remote_name, mapped.remote_modified):
            record.remote_name, record.remote_modified = mapped.remote_name, mapped.remote_modified
            record.save(update_fields=["remote_name", "remote_modified"])
        return True

    def update(self, record: HarvestRecord, mapped: Mapped):
        dataset = Dataset.objects.select_for_update(of=("self",)).select_related("publisher").get(pk=record.dataset_id)
        record.dataset = dataset
        snapshot = mapped.snapshot()
        new_hash = content_hash(snapshot)
        reappeared = record.removed_at is not None
        notes = []
        if new_hash != record.content_hash:
            # A three-way comparison: what the last run wrote (`previous`), what the
            # source says now (`snapshot`) and what the dataset holds (`local`). Only
            # what the source changed is applied; a local edit of the same field is a
            # conflict.
            previous = record.snapshot
            local = local_snapshot(dataset, record, set(previous) | set(snapshot))
            changed = [
                key for key in snapshot if snapshot[key] != previous.get(key) and local.get(key) != snapshot[key]
            ]
            conflicts = [key for key in changed if key in previous and local.get(key) != previous[key]]
            if conflicts and not self.source.trusted:
                raise RecordError(
                    _(
                        "Lokal geändert seit der letzten Übernahme (%(fields)s); die Änderung an der Quelle wurde "
                        "nicht übernommen. Gleichen Sie die Angaben im Katalog und an der Quelle ab."
                    )
                    % {"fields": field_labels(conflicts)}
                )
            if changed:
                self.apply(dataset, record, mapped, changed)
                notes.append(_("Geändert: %(fields)s.") % {"fields": field_labels(changed)})
            if conflicts:
                notes.append(
                    _("Lokale Änderungen an %(fields)s wurden durch die Quelle überschrieben.")
                    % {"fields": field_labels(conflicts)}
                )
        record.remote_name, record.remote_modified = mapped.remote_name, mapped.remote_modified
        record.content_hash, record.snapshot = new_hash, snapshot
        record.last_harvested = timezone.now()
        if reappeared:
            notes.append(_("Wieder an der Quelle vorhanden."))
            record.removed_at = None
            dataset.refresh_from_db()
            if self.source.trusted and record.withdrawn_by_harvest and dataset.state == DatasetState.WITHDRAWN:
                self.publish(dataset, mapped, notes)
            record.withdrawn_by_harvest = False
        record.save()
        # The source changed only what the dataset holds already: nothing was written.
        return ("updated" if notes else "unchanged"), dataset, notes

    def apply(self, dataset: Dataset, record: HarvestRecord, mapped: Mapped, changed: list[str]) -> None:
        """Write the changed keys of the mapped dataset, through the catalog services."""
        services.refuse_while_in_review(dataset)
        change_reason = reason("updated", self.source)
        if "distributions" in changed:
            record.resources = self.sync_distributions(dataset, record, mapped.resources, change_reason)
            services.touch_dataset(dataset, by=self.by, reason=reason("distributions", self.source))
        fields = {key: mapped.fields[key] for key in changed if key in mapped.fields}
        keywords = mapped.keywords if "keywords" in changed else None
        themes = mapped.themes if "themes" in changed else None
        if fields or keywords is not None or themes is not None:
            version = Dataset.objects.values_list("version", flat=True).get(pk=dataset.pk)
            services.update_dataset(
                dataset,
                by=self.by,
                fields=fields,
                expected_version=version,
                keywords=keywords,
                themes=themes,
                reason=change_reason,
            )

    def sync_distributions(self, dataset: Dataset, record: HarvestRecord, resources: list, change_reason: str):
        existing = {d.pk: d for d in Distribution.objects.filter(dataset=dataset, pk__in=record.resources.values())}
        wanted = {values["id"]: values for values in resources}
        linked = {}
        for remote_id, pk in record.resources.items():
            distribution = existing.get(pk)
            if distribution is None:
                continue  # removed here meanwhile: added again below if the source still has it
            if remote_id not in wanted:
                remove_link_distribution(distribution, by=self.by, change_reason=change_reason)
                continue
            values = wanted[remote_id]
            if distribution_snapshot(remote_id, distribution) != values:
                change_link_distribution(distribution, values, by=self.by, change_reason=change_reason)
            linked[remote_id] = pk
        for remote_id, values in wanted.items():
            if remote_id not in linked:
                linked[remote_id] = add_link_distribution(dataset, values, by=self.by, change_reason=change_reason).pk
        return linked

    # -- removals ------------------------------------------------------------

    def mark_removed(self, seen: set) -> None:
        """Records the complete run did not see were removed at the source (or fall
        outside its filter now)."""
        present = HarvestRecord.objects.filter(source=self.source, removed_at__isnull=True)
        if not seen and present.exists():
            raise HarvestAborted(
                _(
                    "Die Quelle meldet keinen einzigen Datensatz mehr. Zur Sicherheit wurde nichts als entfernt "
                    "markiert; bitte prüfen Sie Adresse und Filter der Quelle."
                )
            )
        gone = present.filter(~Q(last_seen_job=self.job) | Q(last_seen_job__isnull=True)).select_related("dataset")
        for record in gone.iterator(chunk_size=200):
            try:
                with transaction.atomic():
                    note = self.remove(record)
            except (CatalogError, ValidationError) as error:
                message = validation_message(error) if isinstance(error, ValidationError) else str(error)
                self.count("failed")
                self.report.add("failed", remote_name=record.remote_name, remote_id=record.remote_id,
                                dataset=record.dataset.name, reason=message)  # fmt: skip
                continue
            self.count("removed")
            self.report.add("removed", remote_name=record.remote_name, remote_id=record.remote_id,
                            dataset=record.dataset.name, reason=note)  # fmt: skip
        self.save_progress()

    def remove(self, record: HarvestRecord) -> str:
        dataset = Dataset.objects.select_for_update(of=("self",)).select_related("publisher").get(pk=record.dataset_id)
        record.removed_at = timezone.now()
        if dataset.state == DatasetState.PUBLISHED and self.source.trusted:
            workflow.withdraw_harvested(
                dataset,
                source=self.source,
                by=self.by,
                reasons=_("An der Quelle „%(source)s“ entfernt.") % {"source": self.source.name},
            )
            record.withdrawn_by_harvest = True
            note = _("Veröffentlichung zurückgezogen.")
        elif dataset.state == DatasetState.PUBLISHED:
            note = _("Der Datensatz bleibt veröffentlicht; bitte prüfen Sie, ob er zurückgezogen werden soll.")
        else:
            note = _("Als entfernt markiert; der Datensatz bleibt im Katalog.")
        record.save(update_fields=["removed_at", "withdrawn_by_harvest"])
        return note


def validation_message(error: ValidationError) -> str:
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    parts = []
    for name, messages in error.message_dict.items():
        if name == NON_FIELD_ERRORS:
            parts.append(" ".join(messages))
            continue
        label = name
        for model in (Dataset, Distribution):
            try:
                label = str(model._meta.get_field(name).verbose_name)
                break
            except FieldDoesNotExist:
                continue
        parts.append(f"{label}: {' '.join(messages)}")
    return "; ".join(parts)


# ---------------------------------------------------------------------------
# Configuring sources


def save_source(source: HarvestSource | None, *, by, fields: dict, mappings) -> HarvestSource:
    """Create (source=None) or change a source and replace its organisation mapping
    [(remote name, Organisation), …]; every change leaves a history row."""
    with transaction.atomic():
        if source is None:
            source, action = HarvestSource(created_by=by), "created"
        else:
            source, action = HarvestSource.objects.select_for_update().get(pk=source.pk), "changed"
        for name, value in fields.items():
            setattr(source, name, value)
        source.full_clean()
        source._history_user = by
        source._change_reason = f"catalog.harvest.source.{action}"
        source.save()
        existing = {mapping.remote_name: mapping for mapping in source.organisation_mappings.all()}
        wanted = dict(mappings)
        for remote_name, mapping in existing.items():
            mapping._history_user = by
            if remote_name not in wanted:
                mapping._change_reason = "catalog.harvest.mapping.removed"
                mapping.delete()
            elif mapping.organisation_id != wanted[remote_name].pk:
                mapping.organisation = wanted[remote_name]
                mapping._change_reason = "catalog.harvest.mapping.changed"
                mapping.save()
        for remote_name, organisation in wanted.items():
            if remote_name not in existing:
                mapping = HarvestOrganisationMapping(source=source, remote_name=remote_name, organisation=organisation)
                mapping._history_user = by
                mapping._change_reason = "catalog.harvest.mapping.added"
                mapping.save()
    return source
