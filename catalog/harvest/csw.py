"""Reading a geoportal's OGC CSW catalogue: ISO 19139 records (GDI-DE conventions) as
package dicts for the Mapper.

The request: CSW 2.0.2 GetRecords as POST XML (ISO Application Profile: typeNames
gmd:MD_Metadata, outputSchema gmd, ElementSetName full, resultType results), sorted by
apiso:Identifier so that pages stay stable, paged by startPosition/maxRecords until
nextRecord is 0 (or beyond numberOfRecordsMatched, as some servers end). An incremental
run asks for `apiso:Modified >= <day of the last success>`: many records carry only a
date in gmd:dateStamp, and servers compare the text, so a time would miss the records
changed later that day. The request is sent by the outbound guard, not by OWSLib's own
HTTP layer (which the guard cannot see); OWSLib only reads the records
(owslib.iso.MD_Metadata), parsed by lxml without entities, DTDs or network access.

How a record becomes a package dict (what the Mapper then checks, as for CKAN):

- id: gmd:fileIdentifier; name: a slug of it ([a-z0-9-], at most 100 characters with the
  source's prefix; a longer one ends in a hash of the identifier, so it stays stable).
- title, notes: citation title and abstract. Access restrictions (an accessConstraints
  block other than INSPIRE's noLimitations) are added to the description and reported.
- tags: the keywords of all thesauri (INSPIRE themes, GEMET, free ones), without
  GDI-DE's markers "opendata", "inspireidentifiziert" and "AdVMIS".
- organization: the responsible party of the resource, in this order publisher, owner,
  custodian, pointOfContact, any other, the metadata contact. Its `name`, which an
  administrator writes into the source's organisation mapping, is the slug of its
  organisationName: umlauts spelled out, everything else but letters and digits a hyphen,
  lower case, e.g. "Stadt A – Fachdienst Stadtplanung" → "stadt-a-fachdienst-stadtplanung".
  The report names every organisation that is not mapped with that name, once a run.
- maintainer, maintainer_email: the party with role pointOfContact (else the
  organisation's), its organisationName (else individualName) and e-mail address; without
  an address there, the first address of another party.
- license_id: from the use constraints (otherConstraints of the blocks that are not only
  about access, and useLimitation). GDI-DE writes Open-Data licences as JSON
  (`{"id": "dl-by-de/2.0", "url": …, "quelle": …}`; "quelle" becomes the attribution
  text); otherwise the first candidate the catalog knows wins: an anchor's address, the
  text, an address or a quoted name in the text. If none is known, the text is passed on
  and the Mapper refuses it with its reason. "Es gelten keine Bedingungen" (INSPIRE's
  noConditionsApply) is no licence: it grants no rights of use, so the record is refused
  like any record without a licence, with a report line saying so.
- extras: the bounding box as GeoJSON in `spatial` (ckanext-spatial's convention; the
  catalog keeps no geometry yet), a 12-digit Regionalschlüssel as geographic identifier
  as `politicalGeocodingURI`, the geographic description (else a place keyword) as
  `geocodingText`, gml:TimePeriod as `temporal_start`/`temporal_end`, the maintenance
  frequency and the resource language in the EU vocabularies.
- url: gmd:dataSetURI, else the first online resource with function information or
  search (GeoDCAT-AP's landing page), else the record itself (GetRecordById).
- resources: every other online resource of gmd:distributionInfo. WMS and WFS (by
  protocol, e.g. "OGC:WMS-1.3.0-http-get-capabilities" or an INSPIRE protocol URI, or by
  SERVICE= in the address) become service distributions; other OGC services are passed on
  under their name (the Mapper reports formats it does not know); downloads get their
  format from the file extension, the application profile or the distribution format.
  Further information pages are reported, not taken over.
- Service records (hierarchyLevel service, srv:SV_ServiceIdentification) are reported and
  skipped: the catalog lists services as distributions of the datasets they serve (GDI-DE
  datasets name their services in distributionInfo), and a service record would be a
  second, licence-less entry for the same data. The report names the coupled datasets
  (operatesOn). Other non-dataset records (application, software …) are skipped the same
  way; dataset, series, nonGeographicDataset and tile are datasets.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from collections.abc import Iterator
from posixpath import splitext
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from django.utils.translation import gettext as _
from lxml import etree
from owslib.iso import MD_Metadata, SV_ServiceIdentification

from ..errors import HarvestAborted
from .client import session_for, transport_errors
from .mapping import licence_code, map_format, valid_url
from .readers import Page, Reader

logger = logging.getLogger(__name__)

NS = {
    "csw": "http://www.opengis.net/cat/csw/2.0.2",
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gmi": "http://www.isotc211.org/2005/gmi",
    "gco": "http://www.isotc211.org/2005/gco",
    "gmx": "http://www.isotc211.org/2005/gmx",
    "srv": "http://www.isotc211.org/2005/srv",
    "ogc": "http://www.opengis.net/ogc",
    "apiso": "http://www.opengis.net/cat/csw/apiso/1.0",
    "xlink": "http://www.w3.org/1999/xlink",
}
ISO_RECORDS = (f"{{{NS['gmd']}}}MD_Metadata", f"{{{NS['gmi']}}}MI_Metadata")
OUTPUT_SCHEMA = NS["gmd"]
# KVP parameters of a pasted GetCapabilities address: the request is in the POST body.
KVP_PARAMETERS = {"service", "request", "version", "acceptversions", "outputschema", "elementsetname", "typenames"}

DATASET_SCOPES = {"dataset", "series", "nonGeographicDataset", "tile"}
# GDI-DE's and AdV's markers for harvesting and INSPIRE, no subject keywords.
MARKER_KEYWORDS = {"opendata", "inspireidentifiziert", "advmis"}
ORGANISATION_ROLES = ("publisher", "owner", "custodian", "pointOfContact")
INFORMATION_FUNCTIONS = {"information", "search"}
OGC_SERVICE = re.compile(r"(?<![a-z])(wmts|wms|wfs|wcs|wps|sos|csw)(?![a-z])")
# ISO 19115 MD_MaintenanceFrequencyCode → EU frequency (as GeoDCAT-AP maps it, where we have the code).
FREQUENCIES = {
    "continual": "CONT",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "biannually": "ANNUAL_2",
    "annually": "ANNUAL",
    "asNeeded": "IRREG",
    "irregular": "IRREG",
    "notPlanned": "NEVER",
    "unknown": "UNKNOWN",
}
LANGUAGES = {"ger": "DEU", "deu": "DEU", "eng": "ENG", "mul": "MUL"}
NO_LIMITATIONS = re.compile(
    r"(es\s+gelten\s+)?keine(\s+(zugriffs|zugangs)?beschränkungen?)?|no\s+limitations(\s+to\s+public\s+access)?",
    re.IGNORECASE,
)
NO_CONDITIONS = re.compile(r"keine\s+bedingungen|no\s+conditions\s+apply|noConditionsApply", re.IGNORECASE)
URL_IN_TEXT = re.compile(r"https?://[^\s\"'<>()„“”]+")
QUOTED = re.compile(r"[„\"“”]([^„\"“”]{3,120})[“”\"]")
REGIONAL_KEY = re.compile(r"^\d{12}$")
POLITICAL_GEOCODING = "http://dcat-ap.de/def/politicalGeocoding/regionalKey/"
GERMAN_LETTERS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})


def parser() -> etree.XMLParser:
    """No entity is resolved, no DTD loaded, nothing fetched: an answer is data, never a
    pointer to files or addresses (XXE), and no tree may grow past lxml's limits."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class CswReader(Reader):
    INCREMENTAL = True

    def pages(self) -> Iterator[Page]:
        session = session_for(self.source, deadline=self.deadline)
        converter = Converter(self.source)
        start, read, previous_ids = 1, 0, None
        with session:
            while True:
                self.check_deadline()
                results = self.get_records(session, start)
                matched, next_record, records = self.parse_results(results)
                if not records:
                    if read < matched and next_record:
                        raise HarvestAborted(
                            _(
                                "Der Katalogdienst hat %(read)s von %(matched)s angekündigten Einträgen geliefert "
                                "und dann keine mehr; der Abruf wurde abgebrochen."
                            )
                            % {"read": read, "matched": matched}
                        )
                    return
                ids = [record.findtext("gmd:fileIdentifier/gco:CharacterString", namespaces=NS) for record in records]
                if ids == previous_ids:
                    raise HarvestAborted(
                        _("Die Quelle liefert zweimal dieselbe Seite; das Blättern funktioniert dort nicht.")
                    )
                previous_ids = ids
                read += len(records)
                # A source that delivers more than it announces would end early (nextRecord past
                # the count) and the complete run would mark the rest removed.
                if read > matched:
                    raise HarvestAborted(
                        _(
                            "Der Katalogdienst liefert mehr Einträge, als er angekündigt hat (%(read)s von "
                            "%(matched)s); der Abruf wurde abgebrochen."
                        )
                        % {"read": read, "matched": matched}
                    )
                yield converter.page(records, total=matched)
                if next_record == 0 or next_record > matched:
                    return
                if next_record <= start:
                    raise HarvestAborted(
                        _(
                            "Der Katalogdienst blättert nicht weiter (nextRecord %(next)s nach Position %(start)s); "
                            "der Abruf wurde abgebrochen."
                        )
                        % {"next": next_record, "start": start}
                    )
                start = next_record

    def request_body(self, start: int) -> bytes:
        csw, ogc = NS["csw"], NS["ogc"]
        root = etree.Element(
            f"{{{csw}}}GetRecords",
            nsmap={"csw": csw, "ogc": ogc, "gmd": NS["gmd"], "apiso": NS["apiso"]},
            service="CSW",
            version="2.0.2",
            resultType="results",
            outputSchema=OUTPUT_SCHEMA,
            startPosition=str(start),
            maxRecords=str(self.page_size),
        )
        query = etree.SubElement(root, f"{{{csw}}}Query", typeNames="gmd:MD_Metadata")
        etree.SubElement(query, f"{{{csw}}}ElementSetName").text = "full"
        if self.since:
            constraint = etree.SubElement(query, f"{{{csw}}}Constraint", version="1.1.0")
            condition = etree.SubElement(
                etree.SubElement(constraint, f"{{{ogc}}}Filter"), f"{{{ogc}}}PropertyIsGreaterThanOrEqualTo"
            )
            etree.SubElement(condition, f"{{{ogc}}}PropertyName").text = "apiso:Modified"
            etree.SubElement(condition, f"{{{ogc}}}Literal").text = self.since.date().isoformat()
        sort = etree.SubElement(etree.SubElement(query, f"{{{ogc}}}SortBy"), f"{{{ogc}}}SortProperty")
        etree.SubElement(sort, f"{{{ogc}}}PropertyName").text = "apiso:Identifier"
        etree.SubElement(sort, f"{{{ogc}}}SortOrder").text = "ASC"
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    def get_records(self, session, start: int):
        with transport_errors():
            response = session.post(
                endpoint(self.source.url),
                data=self.request_body(start),
                headers={"Content-Type": "application/xml; charset=UTF-8", "Accept": "application/xml, text/xml"},
            )
        return search_results(response.status_code, response.content)

    @staticmethod
    def parse_results(results) -> tuple[int, int, list]:
        try:
            matched = int(results.get("numberOfRecordsMatched"))
            next_record = int(results.get("nextRecord") or 0)
        except (TypeError, ValueError):
            raise HarvestAborted(
                _("Die Trefferliste des Katalogdienstes nennt keine gültige Anzahl (numberOfRecordsMatched).")
            ) from None
        records, others = [], []
        for child in results:
            if not isinstance(child.tag, str):
                continue  # comments, processing instructions
            (records if child.tag in ISO_RECORDS else others).append(child)
        if others:
            # A catalogue that ignores the output schema answers in Dublin Core: reading nothing
            # would mark every dataset removed.
            raise HarvestAborted(
                _(
                    "Der Katalogdienst liefert keine ISO-19139-Einträge (gmd:MD_Metadata), sondern „%(element)s“. "
                    "Unterstützt er das Ausgabeschema %(schema)s?"
                )
                % {"element": prefixed(others[0]), "schema": OUTPUT_SCHEMA}
            )
        return matched, next_record, records


def endpoint(url: str) -> str:
    """The catalogue's address for POST: without the KVP parameters of a pasted
    GetCapabilities address, which some servers would read instead of the body."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True)
             if key.lower() not in KVP_PARAMETERS]  # fmt: skip
    return urlunsplit(parts._replace(query=urlencode(query)))


def search_results(status: int, content: bytes):
    """csw:SearchResults of a GetRecords answer, or HarvestAborted in words."""
    try:
        root = etree.fromstring(content, parser())
    except (etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:
        raise HarvestAborted(
            _("Die Quelle hat keine XML-Antwort geliefert (HTTP-Status %(status)s). Stimmt die Adresse des "
              "Katalogdienstes (CSW)?") % {"status": status}
        )  # fmt: skip
    if etree.QName(root).localname == "ExceptionReport":
        raise HarvestAborted(
            _("Der Katalogdienst hat die Anfrage abgelehnt: %(detail)s") % {"detail": exception_text(root)}
        )
    if root.tag != f"{{{NS['csw']}}}GetRecordsResponse":
        raise HarvestAborted(
            _(
                "Die Antwort ist keine CSW-Trefferliste (GetRecordsResponse), sondern „%(element)s“ (HTTP-Status "
                "%(status)s). Stimmt die Adresse des Katalogdienstes?"
            )
            % {"element": prefixed(root), "status": status}
        )
    results = root.find("csw:SearchResults", NS)
    if results is None:
        raise HarvestAborted(_("Die Antwort des Katalogdienstes enthält keine Trefferliste (csw:SearchResults)."))
    return results


def exception_text(report) -> str:
    """'<exceptionCode> (<locator>): <texts>' of each ows:Exception, shortened."""
    parts = []
    for exception in report:
        if not isinstance(exception.tag, str) or etree.QName(exception).localname != "Exception":
            continue
        code, locator = exception.get("exceptionCode", ""), exception.get("locator", "")
        texts = " ".join(
            " ".join((text.text or "").split())
            for text in exception
            if isinstance(text.tag, str) and etree.QName(text).localname == "ExceptionText"
        )
        label = f"{code} ({locator})" if locator else code
        parts.append(": ".join(part for part in (label, texts) if part))
    return shorten("; ".join(parts) or _("ohne Begründung"), 300)


def prefixed(element) -> str:
    qname = etree.QName(element)
    prefix = {uri: prefix for prefix, uri in NS.items()}.get(qname.namespace)
    return f"{prefix}:{qname.localname}" if prefix else qname.localname


def shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def slug(text: str, max_length: int = 100) -> str:
    """A stable name of [a-z0-9-]: German letters spelled out, accents dropped, everything
    else a hyphen; too long (or nothing left): cut and ended by a hash of the text."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(GERMAN_LETTERS)).encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if name and len(name) <= max_length:
        return name
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{name[: max_length - 9].rstrip('-')}-{digest}".lstrip("-")


# ---------------------------------------------------------------------------
# Records → package dicts


class Converter:
    """Turns the ISO records of a run into package dicts and report notes."""

    def __init__(self, source):
        self.source = source
        self.mapped = set(source.organisation_mappings.values_list("remote_name", flat=True))
        self.noted_organisations: set[str] = set()

    def page(self, records: list, *, total: int) -> Page:
        packages, notes = [], []
        for record in records:
            package, record_notes = self.convert(record)
            if package is not None:
                packages.append(package)
                notes += self.organisation_note(package)
            notes += record_notes
        return Page(packages, total=total, notes=notes)

    def convert(self, record) -> tuple[dict | None, list]:
        name_length = 100 - len(self.source.name_prefix)
        try:
            return package_for(record, csw_url=endpoint(self.source.url), name_length=name_length)
        except Exception as error:  # a record OWSLib cannot read must not stop the run
            logger.warning("CSW record of source %s not readable", self.source.pk, exc_info=True)
            identifier = (record.findtext("gmd:fileIdentifier/gco:CharacterString", namespaces=NS) or "").strip()
            if not identifier:
                return None, [(_("(ohne Kennung)"), unreadable(error))]
            # Passed on without a title, so the Mapper refuses it: seen, so never "removed".
            name = slug(identifier, name_length)
            return {"id": identifier, "name": name}, [(name, unreadable(error))]

    def organisation_note(self, package: dict) -> list:
        organisation = package.get("organization") or {}
        name = organisation.get("name")
        if not name or {name, organisation.get("title")} & self.mapped or name in self.noted_organisations:
            return []
        self.noted_organisations.add(name)
        message = _(
            "Diese Organisation ist nicht zugeordnet; ihre Datensätze gibt %(default)s heraus. Für eine Zuordnung "
            "lautet ihr Name „%(name)s“."
        ) % {"default": self.source.default_organisation.name, "name": name}
        return [(organisation["title"], message)]


def unreadable(error: Exception) -> str:
    return _("Der Eintrag konnte nicht gelesen werden (%(error)s).") % {"error": type(error).__name__}


def package_for(record, *, csw_url: str, name_length: int) -> tuple[dict | None, list]:
    """The package dict of one gmd:MD_Metadata element and the report notes on it; None
    for a record that is no dataset."""
    md = MD_Metadata(record)
    identifier = (md.identifier or "").strip()
    ident = md.identification[0] if md.identification else None
    title = " ".join(((ident.title if ident else "") or "").split())
    name = slug(identifier, name_length) if identifier else ""
    label = name or title or _("(ohne Kennung)")
    scope = (md.hierarchy or "dataset").strip()
    if isinstance(ident, SV_ServiceIdentification) or scope == "service":
        return None, [(label, service_note(ident, title))]
    if scope not in DATASET_SCOPES:
        return None, [(label, _("„%(title)s“ ist kein Datensatz (Art „%(scope)s“) und wird nicht übernommen.")
                       % {"title": title or label, "scope": scope})]  # fmt: skip
    if ident is None:
        return {"id": identifier, "name": name}, []  # the Mapper refuses it: no title
    element = record.find("gmd:identificationInfo/*", NS)
    notes: list[str] = []
    parties = [*ident.contact, *md.contact]
    organisation = organisation_party(ident.contact, md.contact)
    contact = party_with_role(ident.contact, ("pointOfContact",)) or organisation
    use_texts, use_limitations, access = constraints(element)
    licence = licence_value(use_texts + use_limitations)
    if NO_CONDITIONS.search(licence):
        notes.append(
            _(
                "„%(text)s“ ist keine Lizenz: Ohne Lizenz dürfen die Daten nicht rechtssicher weiterverwendet werden. "
                "Bitten Sie die Stelle, eine Lizenz anzugeben (z. B. Datenlizenz Deutschland – Zero – Version 2.0)."
            )
            % {"text": shorten(licence, 100)}
        )
    description = (ident.abstract or "").strip()
    if access:
        description += "\n\n" + _("Zugriffsbeschränkungen laut Quelle: %(restrictions)s") % {
            "restrictions": "; ".join(access)
        }
        notes.append(
            _(
                "Die Quelle nennt Zugriffsbeschränkungen; sie stehen in der Beschreibung. Bitte prüfen Sie, ob der "
                "Datensatz offen veröffentlicht werden darf."
            )
        )
    resources, information = online_resources(md, record)
    landing_page, more_pages = landing_page_for(md, information, csw_url, identifier)
    if more_pages:
        notes.append(
            _("Weitere Informationsseiten nicht übernommen: %(pages)s.")
            % {"pages": ", ".join(f"{page.name or page.url} ({page.url})" for page in more_pages)}
        )
    keywords, places = keywords_of(ident)
    package = {
        "id": identifier,
        "name": name,
        "title": title,
        "notes": description.strip(),
        "url": landing_page,
        "tags": [{"name": keyword} for keyword in keywords],
        "maintainer": party_name(contact),
        "maintainer_email": email_of(contact, parties),
        "license_id": licence,
        "metadata_modified": md.datestamp or "",
        "extras": extras_for(element, ident, use_texts + use_limitations, places),
        "resources": resources,
    }
    if organisation is not None and organisation.organization:
        title_of_organisation = " ".join(organisation.organization.split())
        package["organization"] = {"name": slug(title_of_organisation), "title": title_of_organisation}
    return package, [(label, note) for note in notes]


def service_note(ident, title: str) -> str:
    service_type = (getattr(ident, "type", None) or "").strip() or "?"
    datasets = [item.get("uuidref") or item.get("href") for item in getattr(ident, "operateson", None) or []]
    datasets = [dataset for dataset in datasets if dataset] or [_("keine angegeben")]
    return _(
        "„%(title)s“ beschreibt einen Dienst (%(type)s), keinen Datensatz, und wird nicht übernommen. Der Katalog "
        "führt Dienste als Distributionen der Datensätze, die sie bereitstellen (hier: %(datasets)s), soweit deren "
        "Einträge die Dienstadresse nennen."
    ) % {"title": title or "?", "type": service_type, "datasets": ", ".join(datasets)}


def party_with_role(parties: list, roles: tuple[str, ...]):
    """The first party with a name in the first of `roles` that has one."""
    return next(
        (party for role in roles for party in parties if party.role == role and (party.organization or party.name)),
        None,
    )


def organisation_party(resource_parties: list, metadata_contacts: list):
    """The organisation responsible for the resource (ORGANISATION_ROLES, then any party of
    the resource with an organisation name); the metadata contact only if the resource
    names none."""
    return (
        party_with_role(resource_parties, ORGANISATION_ROLES)
        or next((party for party in resource_parties if party.organization), None)
        or next((party for party in metadata_contacts if party.organization), None)
    )


def party_name(party) -> str:
    if party is None:
        return ""
    return " ".join((party.organization or party.name or "").split())


def email_of(contact, parties: list) -> str:
    """The contact's address, else the first one of the other parties. A field with
    several addresses gives its first."""
    for party in [contact, *parties]:
        address = (getattr(party, "email", None) or "").strip()
        if address:
            return re.split(r"[;,\s]+", address)[0]
    return ""


def text_and_href(element) -> tuple[str, str]:
    """The text of a gco:CharacterString or gmx:Anchor child, and the anchor's address."""
    for child in element:
        if isinstance(child.tag, str):
            return " ".join("".join(child.itertext()).split()), (child.get(f"{{{NS['xlink']}}}href") or "").strip()
    return "", ""


def constraints(element) -> tuple[list[str], list[str], list[str]]:
    """The use constraints (otherConstraints texts and anchor addresses of the blocks
    that are not only about access), the useLimitation texts, and the access restrictions
    other than "no limitations"."""
    use, limitations, access = [], [], []
    for block in element.findall("gmd:resourceConstraints/*", NS):
        access_only = (
            block.find("gmd:accessConstraints", NS) is not None and block.find("gmd:useConstraints", NS) is None
        )
        for other in block.findall("gmd:otherConstraints", NS):
            text, href = text_and_href(other)
            if access_only:
                if text and not (NO_LIMITATIONS.fullmatch(text.rstrip(".")) or href.endswith("/noLimitations")):
                    access.append(text)
                continue
            use += [value for value in (text, href) if value]
        for limitation in block.findall("gmd:useLimitation", NS):
            text, href = text_and_href(limitation)
            limitations += [value for value in (text, href) if value]
        codes = [code.get("codeListValue") for code in block.findall("gmd:accessConstraints/*", NS)]
        if "restricted" in codes:
            access.append(_("eingeschränkt (restricted)"))
    return use, limitations, access


def json_in(text: str) -> dict | None:
    """GDI-DE's licence object, also when a text follows it ("{…}Nutzungsbedingungen: …")."""
    start = text.find("{")
    if start < 0:
        return None
    try:
        value, _end = json.JSONDecoder(strict=False).raw_decode(text[start:])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def licence_value(texts: list[str]) -> str:
    """What the Mapper gets as license_id: the first candidate it knows (GDI-DE's JSON
    first, then the texts and anchor addresses as given, then addresses and quoted names
    inside the texts), else the first text (the Mapper reports it as unknown), else ""."""
    candidates, plain = [], []
    for text in texts:
        data = json_in(text)
        if data:
            candidates += [str(data.get(key) or "").strip() for key in ("id", "url", "name")]
        else:
            plain.append(text)
    candidates += plain
    for text in plain:
        candidates += [url.rstrip(".,;") for url in URL_IN_TEXT.findall(text)] + QUOTED.findall(text)
    for candidate in candidates:
        if candidate and licence_code(candidate):
            return candidate
    return plain[0] if plain else ""


def attribution_of(texts: list[str]) -> str:
    for text in texts:
        data = json_in(text)
        if data and str(data.get("quelle") or "").strip():
            return " ".join(str(data["quelle"]).split())
    return ""


def keywords_of(ident) -> tuple[list[str], list[str]]:
    """The keywords of all thesauri without GDI-DE's markers, and the place keywords."""
    keywords, places = [], []
    for block in ident.keywords:
        for keyword in block.keywords:
            name = " ".join((keyword.name or "").split())
            if not name or name.lower() in MARKER_KEYWORDS:
                continue
            keywords.append(name)
            if block.type == "place":
                places.append(name)
    return keywords, places


def extras_for(element, ident, use_texts: list[str], places: list[str]) -> list[dict]:
    extras = {}
    attribution = attribution_of(use_texts)
    if attribution:
        extras["licenseAttributionByText"] = attribution
    box = bounding_box(element)
    if box:
        extras["spatial"] = box
    names = []
    for code in element.findall(".//gmd:EX_GeographicDescription/gmd:geographicIdentifier/*/gmd:code", NS):
        text, href = text_and_href(code)
        if REGIONAL_KEY.match(text) or "/politicalGeocoding/" in href:
            extras.setdefault("politicalGeocodingURI", href or f"{POLITICAL_GEOCODING}{text}")
        elif text:
            names.append(text)
    description = element.findtext(".//gmd:EX_Extent/gmd:description/gco:CharacterString", namespaces=NS)
    label = next((name for name in [*names, " ".join((description or "").split()), *places] if name), "")
    if label:
        extras["geocodingText"] = label
    start = (getattr(ident, "temporalextent_start", None) or "").strip()
    end = (getattr(ident, "temporalextent_end", None) or "").strip()
    if start:
        extras["temporal_start"] = start
    if end:
        extras["temporal_end"] = end
    frequency = element.find(
        "gmd:resourceMaintenance/*/gmd:maintenanceAndUpdateFrequency/gmd:MD_MaintenanceFrequencyCode", NS
    )
    if frequency is not None and frequency.get("codeListValue") in FREQUENCIES:
        extras["frequency"] = FREQUENCIES[frequency.get("codeListValue")]
    languages = [*ident.resourcelanguagecode, *ident.resourcelanguage]
    language = next((LANGUAGES[code.lower()] for code in languages if code.lower() in LANGUAGES), "")
    if language:
        extras["language"] = language
    return [{"key": key, "value": value} for key, value in extras.items()]


def bounding_box(element) -> str:
    """The first geographic bounding box as a GeoJSON Polygon (a Point where it has no
    extent), as ckanext-spatial stores it in the `spatial` extra; "" if there is none
    or its numbers are no coordinates."""
    box = element.find(".//gmd:EX_GeographicBoundingBox", NS)
    if box is None:
        return ""
    try:
        west, east, south, north = (
            float(box.findtext(f"gmd:{side}/gco:Decimal", namespaces=NS))
            for side in ("westBoundLongitude", "eastBoundLongitude", "southBoundLatitude", "northBoundLatitude")
        )
    except (TypeError, ValueError):
        return ""
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
        return ""
    if (west, south) == (east, north):
        geometry = {"type": "Point", "coordinates": [west, south]}
    else:
        ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
        geometry = {"type": "Polygon", "coordinates": [ring]}
    return json.dumps(geometry, separators=(",", ":"))


def service_type(resource) -> str:
    """WMS, WFS, … for an OGC service link (by protocol name or URI, else SERVICE= in
    the address), "" for anything else."""
    protocol = " ".join(value for value in (resource.protocol, resource.protocol_url) if value).lower()
    match = OGC_SERVICE.search(protocol)
    if match:
        return match.group(1).upper()
    query = {key.lower(): value for key, value in parse_qsl(urlsplit(resource.url or "").query)}
    match = OGC_SERVICE.fullmatch(query.get("service", "").lower())
    return match.group(1).upper() if match else ""


def online_resources(md, record) -> tuple[list[dict], list]:
    """The distributions (as CKAN resources) and the information pages of the record."""
    online = []
    if md.distribution is not None:
        online += md.distribution.online
        for distributor in md.distribution.distributor:
            online += distributor.online
    formats = [
        " ".join("".join(name.itertext()).split())
        for name in record.findall("gmd:distributionInfo/*/gmd:distributionFormat/*/gmd:name", NS)
    ]
    resources, information = [], []
    for resource in online:
        url = (resource.url or "").strip()
        kind = service_type(resource)
        if not kind and (resource.function or "") in INFORMATION_FUNCTIONS:
            information.append(resource)
            continue
        name = " ".join((resource.name or "").split())
        if kind:
            name = name or _("%(type)s-Dienst") % {"type": kind}
            fmt = kind
        else:
            extension = splitext(unquote(urlsplit(url).path))[1].lstrip(".")
            fmt = download_format(extension, [resource.applicationprofile or "", *formats])
        resources.append(
            {
                "name": name,
                "description": " ".join((resource.description or "").split()),
                "url": url,
                "format": fmt,
                "resource_type": "api" if kind else "",
            }
        )
    return resources, information


def download_format(extension: str, declared: list[str]) -> str:
    """The file extension if the catalog knows it as a format, else the first declared
    format it knows (application profile, distribution formats), else the first declared
    one (so the Mapper names it when it refuses the resource)."""
    given = [value.strip() for value in declared if value and value.strip()]
    for candidate in (extension, *given):
        if candidate and map_format(candidate, None, ""):
            return candidate
    return given[0] if given else extension


def landing_page_for(md, information: list, csw_url: str, identifier: str) -> tuple[str, list]:
    """The dataset's web page and the information pages left over."""
    dataset_uri = (md.dataseturi or "").strip()
    if valid_url(dataset_uri, max_length=200, web_only=True):
        return dataset_uri, information
    page = next((page for page in information if valid_url((page.url or "").strip(), max_length=200, web_only=True)),
                None)  # fmt: skip
    if page is not None:
        return page.url.strip(), [other for other in information if other is not page]
    return record_url(csw_url, identifier), information


def record_url(csw_url: str, identifier: str) -> str:
    """The record as the catalogue serves it (GetRecordById); shorter forms where the full
    one is longer than a web address may be (200 characters), "" if none fits."""
    separator = "&" if urlsplit(csw_url).query else "?"
    base = f"{csw_url}{separator}service=CSW&version=2.0.2&request=GetRecordById&id={quote(identifier, safe=':/')}"
    for url in (f"{base}&outputSchema={OUTPUT_SCHEMA}&elementSetName=full", f"{base}&outputSchema={OUTPUT_SCHEMA}"):
        if valid_url(url, max_length=200, web_only=True):
            return url
    return ""
