"""Harvesting a geoportal's OGC CSW catalogue (issue 23): the test starts a CSW on
127.0.0.1 that answers GetRecords (POST, ISO 19139) from the recorded response in
fixtures/csw/ (three GDI-DE-style datasets and a real service record, see its README),
pages like a CSW (startPosition, maxRecords, nextRecord), filters by apiso:Modified and
can fail the ways catalogues do. The run is the real one: reader, Mapper, service."""

import copy
import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import override_settings
from django.utils import timezone
from lxml import etree

from catalog.harvest import service
from catalog.harvest.mapping import map_licence
from catalog.models import Dataset, HarvestKind, HarvestStatus
from catalog.tests.test_harvest import counts, run

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "csw" / "getrecords_gdi_de.xml"
NS = {
    "csw": "http://www.opengis.net/cat/csw/2.0.2",
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gco": "http://www.isotc211.org/2005/gco",
    "ogc": "http://www.opengis.net/ogc",
    "ows": "http://www.opengis.net/ows",
}
PLANS, AIR, PLAYGROUNDS, ATOM_SERVICE = (
    "3d2f6c1e-8b4a-4e0f-9c7d-2a1b5e6f7a80",
    "7c4e2a90-1f3b-4d5a-8e6c-9b0a1d2e3f41",
    "a1c9e5b3-6d2f-4b8a-9e7c-3f0d1b2a4c52",
    "f3b1e711-7f7f-4e16-a15f-5c39ed0cf9f9",
)
EXCEPTION_REPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows" version="1.2.0">
  <ows:Exception exceptionCode="InvalidParameterValue" locator="outputSchema">
    <ows:ExceptionText>Unsupported outputSchema http://www.isotc211.org/2005/gmd</ows:ExceptionText>
  </ows:Exception>
</ows:ExceptionReport>"""


class FakeCSW:
    """The records of the fixture, served the way a CSW 2.0.2 serves GetRecords."""

    def __init__(self):
        self.records = etree.parse(str(FIXTURE)).getroot().findall("csw:SearchResults/gmd:MD_Metadata", NS)
        self.requests: list[dict] = []
        self.paths: list[str] = []
        # None, "exception", "html", "timeout", "loop", "understated", "truncated", "same_page", "no_results",
        # "dublin_core"
        self.failure = None
        self.delay = 0.0
        self.url = ""
        self.answer_with: bytes | None = None

    def record(self, identifier: str):
        return next(r for r in self.records if self.identifier(r).lower() == identifier.lower())

    @staticmethod
    def identifier(record) -> str:
        return record.findtext("gmd:fileIdentifier/gco:CharacterString", namespaces=NS)

    def set_text(self, identifier: str, path: str, text: str) -> None:
        self.record(identifier).find(path, NS).text = text

    def remove(self, identifier: str) -> None:
        self.records.remove(self.record(identifier))

    def answer(self, body: bytes) -> tuple[int, str, bytes]:
        request = etree.fromstring(body)
        start, rows = int(request.get("startPosition", "1")), int(request.get("maxRecords", "10"))
        literal = request.findtext(".//ogc:PropertyIsGreaterThanOrEqualTo/ogc:Literal", namespaces=NS)
        self.requests.append({"start": start, "rows": rows, "since": literal, "xml": request})
        if self.answer_with is not None:
            return 200, "application/xml", self.answer_with
        if self.failure == "timeout":
            time.sleep(self.delay)
        if self.failure == "exception":
            return 400, "application/xml", EXCEPTION_REPORT
        if self.failure == "html":
            return (
                200,
                "text/html",
                b"<!doctype html><title>Wartung</title><p>Der Dienst ist voruebergehend nicht erreichbar.",
            )
        records = sorted(self.records, key=self.identifier)
        if literal:  # as pycsw compares apiso:Modified: the date stamps as text
            records = [r for r in records if r.findtext("gmd:dateStamp/*", namespaces=NS) >= literal]
        page = records[start - 1 : start - 1 + rows]
        if self.failure == "truncated" and start > 1:
            page = []
        if self.failure == "same_page":
            page = records[:rows]
        matched = len(records)
        next_record = start + len(page) if start - 1 + len(page) < matched else 0
        if self.failure == "truncated" and start > 1:
            next_record = start
        if self.failure == "loop":
            next_record = 1
        if self.failure == "understated":
            matched, next_record = 1, start + len(page)
        response = etree.Element(f"{{{NS['csw']}}}GetRecordsResponse", nsmap={"csw": NS["csw"]}, version="2.0.2")
        etree.SubElement(response, f"{{{NS['csw']}}}SearchStatus", timestamp="2026-11-30T09:12:44")
        if self.failure != "no_results":
            results = etree.SubElement(
                response,
                f"{{{NS['csw']}}}SearchResults",
                numberOfRecordsMatched=str(matched),
                numberOfRecordsReturned=str(len(page)),
                nextRecord=str(next_record),
                elementSet="full",
            )
            for record in page:
                if self.failure == "dublin_core":
                    etree.SubElement(results, f"{{{NS['csw']}}}Record")
                else:
                    results.append(copy.deepcopy(record))
        return 200, "application/xml;charset=UTF-8", etree.tostring(response, xml_declaration=True, encoding="UTF-8")


@contextmanager
def running_fake_csw():
    fake = FakeCSW()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            fake.requests_headers = dict(self.headers)
            fake.paths.append(self.path)
            if urlsplit(self.path).path != "/geoportal/csw":
                status, content_type, answer = 404, "text/plain", b"Not found"
            else:
                status, content_type, answer = fake.answer(body)
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    fake.url = f"http://127.0.0.1:{port}/geoportal/csw"
    try:
        with override_settings(OUTBOUND_ALLOWED_HOSTS=[f"127.0.0.1:{port}"]):
            yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(autouse=True)
def small_pages(settings):
    # Four records, two per page: the run has to page.
    settings.HARVEST_PAGE_SIZE = 2
    settings.HARVEST_TIMEOUT = (2, 2)


@pytest.fixture
def csw():
    with running_fake_csw() as fake:
        yield fake


@pytest.fixture
def source(csw, org_a, org_a_department, admin_a):
    return service.save_source(
        None,
        by=admin_a,
        fields={
            "name": "Geoportal Stadt A",
            "kind": HarvestKind.CSW,
            "url": csw.url,
            "default_organisation": org_a,
            "responsible": admin_a,
        },
        mappings=[("stadt-a-umweltamt", org_a_department)],
    )


def report(job, outcome) -> list[tuple[str, str]]:
    return [(entry["remote_name"], entry["reason"]) for entry in job.report if entry["outcome"] == outcome]


# ---- A first run ----------------------------------------------------------------------


def test_a_geoportal_is_paged_through_with_iso_getrecords_requests(csw, source):
    job = run(source)

    assert job.status == HarvestStatus.SUCCEEDED, job.message
    assert counts(job) == {"created": 2, "updated": 0, "unchanged": 0, "removed": 0, "failed": 1}
    assert (job.total, job.processed) == (4, 3)  # the service record is read, reported and skipped
    assert [(r["start"], r["rows"], r["since"]) for r in csw.requests] == [(1, 2, None), (3, 2, None)]
    request = csw.requests[0]["xml"]
    assert request.tag == "{http://www.opengis.net/cat/csw/2.0.2}GetRecords"
    assert (request.get("service"), request.get("version"), request.get("resultType")) == ("CSW", "2.0.2", "results")
    assert request.get("outputSchema") == "http://www.isotc211.org/2005/gmd"
    query = request.find("csw:Query", NS)
    assert query.get("typeNames") == "gmd:MD_Metadata"
    assert query.findtext("csw:ElementSetName", namespaces=NS) == "full"
    assert query.findtext("ogc:SortBy/ogc:SortProperty/ogc:PropertyName", namespaces=NS) == "apiso:Identifier"
    assert query.find("csw:Constraint", NS) is None  # a complete run asks for everything
    assert csw.requests_headers["User-Agent"] == "Stadtdaten-Harvester/1.0"
    assert csw.requests_headers["Content-Type"].startswith("application/xml")


def test_an_iso_record_becomes_a_dataset_with_its_services_as_distributions(csw, source, org_a, org_a_department):
    run(source)

    plans = Dataset.objects.get(name=PLANS)
    assert plans.title == "Bebauungspläne der Stadt A"
    assert plans.description.startswith("Rechtskräftige Bebauungspläne der Stadt A im Standard XPlanung")
    assert plans.publisher == org_a  # "Stadt A – Fachdienst Stadtplanung" is not mapped: the source's organisation
    # GDI-DE's JSON in otherConstraints: licence and its attribution ("quelle").
    assert (plans.licence, plans.attribution_text) == ("dl-by-de/2.0", "Stadt A, Fachdienst Stadtplanung (2026)")
    assert (plans.contact_name, plans.contact_email) == ("Stadt A, Fachdienst Geodaten", "geodaten@stadt-a.example")
    assert plans.landing_page == "https://www.stadt-a.example/bebauungsplaene"  # the first information page
    # The ARS as geographic identifier, the place keyword as the spatial label.
    assert (plans.municipality_key, plans.spatial_label) == ("16053000", "Stadt A")
    assert (plans.update_frequency, plans.language) == ("IRREG", "DEU")
    # All thesauri (the INSPIRE theme too), without GDI-DE's markers "opendata" and "inspireidentifiziert".
    assert sorted(k.name for k in plans.keywords.all()) == [
        "Bauleitplanung", "Bebauungsplan", "Bodennutzung", "Stadt A", "XPlanung",
    ]  # fmt: skip
    assert sorted((d.title, d.format, d.kind, d.access_url) for d in plans.distributions.all()) == [
        ("Bebauungspläne (Darstellungsdienst)", "WMS_SRVC", "service",
         "https://geo.stadt-a.example/wms/bplan?SERVICE=WMS&REQUEST=GetCapabilities"),
        ("Bebauungspläne (Downloaddienst)", "WFS_SRVC", "service",
         "https://geo.stadt-a.example/wfs/bplan?SERVICE=WFS&REQUEST=GetCapabilities"),
        # A WMTS has no file type of its own: the Mapper keeps it as an API by its capabilities document.
        ("Bebauungspläne (Kacheldienst)", "XML", "api",
         "https://geo.stadt-a.example/wmts/bplan/1.0.0/WMTSCapabilities.xml"),
        ("Bebauungspläne (XPlanGML)", "GML", "download", "https://geo.stadt-a.example/download/bebauungsplaene.gml"),
    ]  # fmt: skip
    assert plans.distributions.get(format="WFS_SRVC").description == "WFS 2.0 mit XPlanGML 5.4"
    record = plans.harvest_record
    assert (record.remote_id, record.remote_modified.isoformat()) == (
        "3D2F6C1E-8B4A-4E0F-9C7D-2A1B5E6F7A80",
        "2026-03-02T11:24:05+00:00",
    )

    air = Dataset.objects.get(name=AIR)
    assert air.publisher == org_a_department  # the custodian's name, mapped by its slug
    assert air.licence == "dl-zero-de/2.0"  # from the licence sentence
    assert (str(air.temporal_start), str(air.temporal_end)) == ("2020-01-01", "2024-12-31")
    assert (air.contact_name, air.contact_email) == ("Stadt A, Umweltamt", "umwelt@stadt-a.example")
    assert air.update_frequency == "ANNUAL"
    assert air.spatial_label == "Stadt A, Innenstadt"
    # The access restriction stays with the dataset, in its description.
    assert air.description == (
        "Stundenmittelwerte der Stickstoffdioxid-Konzentration an den Luftmessstationen der Stadt A.\n\n"
        "Zugriffsbeschränkungen laut Quelle: Standorte auf Privatgrund nur generalisiert "
        "(Art. 13 Abs. 1 Buchst. h INSPIRE-Richtlinie)"
    )
    # No web page at the source: the record itself, as the CSW serves it.
    assert air.landing_page == (
        f"{csw.url}?service=CSW&version=2.0.2&request=GetRecordById&id=7C4E2A90-1F3B-4D5A-8E6C-9B0A1D2E3F41"
        "&outputSchema=http://www.isotc211.org/2005/gmd&elementSetName=full"
    )
    assert sorted((d.title, d.format) for d in air.distributions.all()) == [
        ("Stundenmittelwerte NO2 (CSV)", "CSV"),
        ("Vordefinierter Downloaddienst (ATOM)", "ATOM"),
    ]


def test_what_the_catalog_cannot_take_is_in_the_report(csw, source):
    job = run(source)

    assert report(job, "failed") == [
        (PLAYGROUNDS, "Die Lizenz „Es gelten keine Bedingungen“ ist im Katalog nicht bekannt.")
    ]
    warnings = report(job, "warning")
    assert (
        PLAYGROUNDS,
        "„Es gelten keine Bedingungen“ ist keine Lizenz: Ohne Lizenz dürfen die Daten nicht rechtssicher "
        "weiterverwendet werden. Bitten Sie die Stelle, eine Lizenz anzugeben (z. B. Datenlizenz Deutschland – "
        "Zero – Version 2.0).",
    ) in warnings
    assert (
        ATOM_SERVICE,
        "„ATKIS-DTK Color Sachsen-Anhalt (ATOM-Downloaddienst)“ beschreibt einen Dienst (download), keinen "
        "Datensatz, und wird nicht übernommen. Der Katalog führt Dienste als Distributionen der Datensätze, die "
        "sie bereitstellen (hier: E7222818-65AB-4482-9850-73A4744C2BFE, 6478473A-F949-44FB-B487-E4C77838270B), "
        "soweit deren Einträge die Dienstadresse nennen.",
    ) in warnings
    assert (
        AIR,
        "Die Quelle nennt Zugriffsbeschränkungen; sie stehen in der Beschreibung. Bitte prüfen Sie, ob der "
        "Datensatz offen veröffentlicht werden darf.",
    ) in warnings
    assert (
        "Stadt A – Fachdienst Stadtplanung",
        "Diese Organisation ist nicht zugeordnet; ihre Datensätze gibt Stadt A heraus. Für eine Zuordnung "
        "lautet ihr Name „stadt-a-fachdienst-stadtplanung“.",
    ) in warnings
    assert not [name for name, _reason in warnings if name == "Stadt A, Umweltamt"]  # mapped
    assert (
        PLANS,
        "Weitere Informationsseiten nicht übernommen: Erläuterung der Planzeichen "
        "(https://www.stadt-a.example/bauen/planzeichenverordnung).",
    ) in warnings


def test_the_bounding_box_is_kept_as_geojson_for_the_geodata_to_come():
    from catalog.harvest.csw import package_for

    record = etree.parse(str(FIXTURE)).getroot().find("csw:SearchResults/gmd:MD_Metadata", NS)
    package, _notes = package_for(record, csw_url="https://geoportal.stadt-a.example/csw", name_length=100)
    extras = {extra["key"]: extra["value"] for extra in package["extras"]}
    assert json.loads(extras["spatial"]) == {
        "type": "Polygon",
        "coordinates": [[[11.4937, 50.8537], [11.6827, 50.8537], [11.6827, 50.9854], [11.4937, 50.9854],
                         [11.4937, 50.8537]]],
    }  # fmt: skip
    assert extras["politicalGeocodingURI"] == "http://dcat-ap.de/def/politicalGeocoding/regionalKey/160530000000"


def test_a_pasted_getcapabilities_address_is_posted_to_without_its_kvp_parameters(csw, source):
    source.url = f"{csw.url}?SERVICE=CSW&REQUEST=GetCapabilities&VERSION=2.0.2&portal=stadt-a"
    source.save(update_fields=["url"])

    job = run(source)

    assert job.status == HarvestStatus.SUCCEEDED, job.message
    assert set(csw.paths) == {"/geoportal/csw?portal=stadt-a"}


# ---- Re-runs ---------------------------------------------------------------------------


def test_a_second_run_over_the_same_catalogue_changes_nothing(csw, source):
    run(source)
    versions = dict(Dataset.objects.values_list("name", "version"))

    job = run(source)

    assert counts(job) == {"created": 0, "updated": 0, "unchanged": 2, "removed": 0, "failed": 1}
    assert dict(Dataset.objects.values_list("name", "version")) == versions


def test_a_record_gone_from_the_catalogue_is_marked_removed_on_a_complete_run(csw, source):
    run(source)
    csw.remove(AIR)

    job = run(source)

    assert job.status == HarvestStatus.SUCCEEDED
    assert counts(job)["removed"] == 1
    assert [name for name, _reason in report(job, "removed")] == [AIR]


def test_an_incremental_run_asks_for_records_modified_since_the_last_success(csw, source):
    run(source)
    today = timezone.now().date().isoformat()
    csw.set_text(AIR, "gmd:dateStamp/gco:Date", today)
    csw.set_text(
        AIR.upper(),
        "gmd:identificationInfo/gmd:MD_DataIdentification/gmd:citation/gmd:CI_Citation/gmd:title/gco:CharacterString",
        "Luftmessstationen – Stickstoffdioxid",
    )
    csw.requests.clear()

    job = run(source, incremental=True)

    assert job.status == HarvestStatus.SUCCEEDED, job.message
    since = csw.requests[0]["since"]
    assert since == (source.last_success(complete=True) - service.INCREMENTAL_OVERLAP).date().isoformat()
    condition = csw.requests[0]["xml"].find(".//ogc:PropertyIsGreaterThanOrEqualTo", NS)
    assert condition.findtext("ogc:PropertyName", namespaces=NS) == "apiso:Modified"
    assert counts(job) == {"created": 0, "updated": 1, "unchanged": 0, "removed": 0, "failed": 0}
    assert Dataset.objects.get(name=AIR).title == "Luftmessstationen – Stickstoffdioxid"
    assert Dataset.objects.get(name=PLANS).harvest_record.removed_at is None  # not asked for: not removed


# ---- Catalogues that fail ---------------------------------------------------------------


def test_an_exception_report_fails_the_run_with_its_text(csw, source):
    csw.failure = "exception"

    job = run(source)

    assert job.status == HarvestStatus.FAILED
    assert job.message == (
        "Der Katalogdienst hat die Anfrage abgelehnt: InvalidParameterValue (outputSchema): "
        "Unsupported outputSchema http://www.isotc211.org/2005/gmd"
    )
    assert not Dataset.objects.exists()


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        ("html", "Die Quelle hat keine XML-Antwort geliefert (HTTP-Status 200). Stimmt die Adresse des "
                 "Katalogdienstes (CSW)?"),
        ("no_results", "Die Antwort des Katalogdienstes enthält keine Trefferliste (csw:SearchResults)."),
        ("dublin_core", "Der Katalogdienst liefert keine ISO-19139-Einträge (gmd:MD_Metadata), sondern "
                        "„csw:Record“. Unterstützt er das Ausgabeschema http://www.isotc211.org/2005/gmd?"),
        ("loop", "Der Katalogdienst blättert nicht weiter (nextRecord 1 nach Position 1); der Abruf wurde "
                 "abgebrochen."),
        ("understated", "Der Katalogdienst liefert mehr Einträge, als er angekündigt hat (2 von 1); der Abruf "
                        "wurde abgebrochen."),
        ("truncated", "Der Katalogdienst hat 2 von 4 angekündigten Einträgen geliefert und dann keine mehr; der "
                      "Abruf wurde abgebrochen."),
        ("same_page", "Die Quelle liefert zweimal dieselbe Seite; das Blättern funktioniert dort nicht."),
    ],
)  # fmt: skip
def test_a_catalogue_that_answers_wrongly_fails_the_run_in_words(csw, source, failure, message):
    csw.failure = failure

    job = run(source)

    assert job.status == HarvestStatus.FAILED
    assert job.message == message
    assert job.removed_count == 0


def test_a_catalogue_that_does_not_answer_in_time_fails_the_run(csw, source, settings):
    settings.HARVEST_TIMEOUT = (1, 1)
    csw.failure, csw.delay = "timeout", 3

    job = run(source)

    assert (job.status, job.message) == (HarvestStatus.FAILED, "Die Quelle hat nicht rechtzeitig geantwortet.")


def test_an_unreachable_catalogue_fails_the_run(source):
    with running_fake_csw() as gone:
        url = gone.url
    source.url = url  # the server is shut down again: nothing listens there any more
    source.save(update_fields=["url"])
    with override_settings(OUTBOUND_ALLOWED_HOSTS=[urlsplit(url).netloc]):
        job = run(source)

    assert job.status == HarvestStatus.FAILED
    assert job.message == "Die Quelle ist nicht erreichbar (ConnectionError)."


def test_entities_in_an_answer_are_not_resolved(csw, source, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("GEHEIM")
    answer = FIXTURE.read_bytes().replace(
        b"<csw:GetRecordsResponse",
        f'<!DOCTYPE csw:GetRecordsResponse [<!ENTITY secret SYSTEM "file://{secret}">]>\n'
        "<csw:GetRecordsResponse".encode(),
        1,
    )
    csw.answer_with = answer.replace(b"Bebauungspl\xc3\xa4ne der Stadt A<", b"&secret;<", 1)

    job = run(source)

    assert job.status == HarvestStatus.SUCCEEDED, job.message
    assert (PLANS, "Der Titel fehlt.") in report(job, "failed")
    assert not Dataset.objects.filter(title__contains="GEHEIM").exists()


# ---- Licences as geoportals write them ------------------------------------------------------


@pytest.mark.parametrize(
    ("texts", "code"),
    [
        # GDI-DE's JSON, compact and with a text after it
        (['{"id":"dl-zero-de/2.0","name":"Datenlizenz Deutschland – Zero – Version 2.0",'
          '"url":"https://www.govdata.de/dl-de/zero-2-0"}'], "dl-zero-de/2.0"),
        (['{ "id": "cc-by/4.0", "name": "Creative Commons Namensnennung – 4.0 International (CC BY 4.0)", '
          '"url": "https://creativecommons.org/licenses/by/4.0/", "quelle": "Stadt A" }Nutzungsbedingungen: siehe '
          "Lizenz"], "cc-by/4.0"),
        # the licence's name as text, or an address inside a sentence
        (["Datenlizenz Deutschland – Namensnennung – Version 2.0"], "dl-by-de/2.0"),
        (["Es gelten die Bedingungen der Lizenz https://creativecommons.org/licenses/by/4.0/deed.de."], "cc-by/4.0"),
        # an anchor's address wins over a text the catalog does not know
        (["Lizenz", "http://dcat-ap.de/def/licenses/dl-by-de/2.0"], "dl-by-de/2.0"),
    ],
)  # fmt: skip
def test_the_licence_is_found_where_geoportals_write_it(texts, code):
    from catalog.harvest.csw import licence_value

    assert map_licence(licence_value(texts)) == code


def test_a_closed_licence_is_passed_on_as_text_and_refused_by_the_mapper():
    from catalog.harvest.csw import licence_value

    texts = [
        "Nutzungsbedingungen für das amtliche Vermessungswesen Sachsen-Anhalt "
        "https://www.lvermgeo.sachsen-anhalt.de/de/datei/anzeigen/id/3567,501/nutzungsbedingungen_b.pdf"
    ]
    assert licence_value(texts) == texts[0]
    assert licence_value([]) == ""
