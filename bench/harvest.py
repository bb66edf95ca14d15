"""The harvest scenario of issue 23 (part of every `make bench`; alone:
`python bench/run.py --only harvest`): 10,000 records of another city's portal, harvested
once from its CKAN API and once from its DCAT-AP.de catalog, through the real code path
(catalog.harvest.service.run_job), then once more with nothing changed. Targets: at least
100 records a second, at most 300 MB peak memory of the harvesting process.

Two processes with Django set up, started by bench/run.py:

- `serve` (the source): a threaded http.server on 127.0.0.1 that answers CKAN's
  `package_search` (sorted by id, start/rows, as the CKAN reader pages) and the DCAT-AP.de
  catalog as Turtle pages of 100 datasets with Hydra paging (`/catalog.ttl?page=k`, the
  links pointing back at this server). Both are the same records, written by Stadtdaten's
  own writers (portal.ckan.dictize, portal.dcat) from rows made up here, so they look
  exactly like what a Stadtdaten portal publishes: several resources each, uploads with
  size and checksum, links and map services, tags, themes, the DCAT-AP.de extras. Every
  answer is rendered before the server reports ready: the harvest is measured, not the
  source.
- `harvest` (the harvester): creates the city's organisations, a governance admin and an
  untrusted source (drafts, as for any other city's portal) in the scratch database, then
  runs the job twice and reports times, counts and its own peak RSS after each run. The
  parent also takes the process's peak RSS from wait4, as for the DCAT export.

What is made up for record i depends only on i and the random seed.
"""

from __future__ import annotations

import json
import random
import resource
import signal
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

RECORDS = 10_000
# The source city's portal as its records name it (dataset URIs, download addresses); the
# server itself is on loopback.
SOURCE_BASE = "https://daten.rosenfeld.example"
SOURCE_CITY = "Rosenfeld"
SOURCE_MUNICIPALITY_KEY = "16077011"
SOURCE_CONTRIBUTOR = "http://dcat-ap.de/def/contributors/stadtRosenfeld"
CKAN_MAX_ROWS = 1000  # CKAN's ckan.search.rows_max
DCAT_PER_PAGE = 100  # as Stadtdaten and ckanext-dcat
ADMIN = "harvest.admin"
KINDS = ("ckan", "dcat")
UPLOAD_SHARE = 0.6  # of download distributions: a file on the source portal, with size and checksum


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# ---------------------------------------------------------------------------
# The source's records


def source_organisations() -> dict[int, dict]:
    """The source city and its units as rows of portal.projection (read_organisations)."""
    from bench.seed import UNITS
    from governance.models import OrgType
    from portal.projection import PUBLISHER_TYPE_URIS, spatial_uri

    created = datetime(2019, 3, 1, 9, 0, tzinfo=UTC)
    slug = SOURCE_CITY.lower()
    domain = f"{slug}.example"
    units = [(slug, f"Stadt {SOURCE_CITY}", OrgType.KERNVERWALTUNG, None)]
    units += [(f"{slug}-{suffix}", f"{SOURCE_CITY} – {label}", org_type, 1) for suffix, label, org_type in UNITS]
    organisations = {}
    for pk, (org_slug, name, org_type, parent) in enumerate(units, start=1):
        organisations[pk] = {
            "pk": pk,
            # The CKAN API names organisations by UUID (portal.ckan.dictize); a stable one per unit.
            "uuid": uuid.uuid5(uuid.NAMESPACE_URL, f"{SOURCE_BASE}/organization/{org_slug}"),
            "slug": org_slug,
            "name": name,
            "org_type": org_type,
            "parent_id": parent,
            "contributor_id": SOURCE_CONTRIBUTOR,
            "dataset_contributor_id": SOURCE_CONTRIBUTOR,
            "website": f"https://www.{domain}",
            "email": f"{org_slug.removeprefix(slug + '-') or 'daten'}@{domain}",
            "municipality": SOURCE_CITY,
            "municipality_key": SOURCE_MUNICIPALITY_KEY,
            "created": created,
            "spatial_uri": spatial_uri(SOURCE_MUNICIPALITY_KEY),
            "publisher_type_uri": PUBLISHER_TYPE_URIS.get(org_type),
        }
    return organisations


def source_rows(count: int, seed: int, projection) -> list[dict]:
    """`count` published datasets as rows of portal.projection, resolved by `projection`
    (whose organisations are source_organisations()), in the mix of bench.seed."""
    from bench import vocabulary as V
    from bench.seed import (
        DISTRIBUTION_COUNT_WEIGHTS,
        FORMAT_WEIGHTS,
        FREQUENCY_WEIGHTS,
        HVD_BY_THEME,
        LICENCE_WEIGHTS,
        SUBJECT_WEIGHTS,
        THEME_CODES,
        YEARS,
        weighted,
    )
    from catalog.models import DistributionKind
    from catalog.vocabularies import FILE_TYPES_BY_CODE, LICENCES_BY_CODE, Language

    organisations = projection.organisations
    units = [organisation for organisation in organisations.values() if organisation["parent_id"] is not None]
    now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    domain = f"{SOURCE_CITY.lower()}.example"
    keyword_ids: dict[str, int] = {}
    rows = []
    for i in range(1, count + 1):
        rng = random.Random(seed * 10_000_000 + i)  # noqa: S311 – reproducible test data, no secrets
        name = f"{SOURCE_CITY.lower()}-{i:06d}"
        publisher = rng.choice(units)
        subject, theme, extra_keyword = rng.choices(V.SUBJECTS, weights=SUBJECT_WEIGHTS)[0]
        district, year, form = rng.choice(V.DISTRICTS), rng.choice(YEARS), rng.choice(V.FORMS)
        qualifier = rng.choice(V.QUALIFIERS)
        title = rng.choice(
            [f"{subject} {district} {year}", f"{subject}: {form} {district} {year}", f"{subject} – {form} {year}"]
        )
        title = f"{qualifier} {title}" if qualifier else title
        values = {"subject": subject, "district": district, "city": SOURCE_CITY, "year": year,
                  "unit": publisher["name"]}  # fmt: skip
        sentences = [V.DESCRIPTION_SENTENCES[0], *rng.sample(V.DESCRIPTION_SENTENCES[1:], rng.randint(2, 5))]
        licence = weighted(rng, LICENCE_WEIGHTS)
        licence = licence if LICENCES_BY_CODE[licence].is_open else "dl-by-de/2.0"  # published: open only
        hvd = HVD_BY_THEME.get(theme, "") if rng.random() < 0.05 else ""
        created = now - timedelta(days=rng.randint(30, 11 * 365), seconds=rng.randint(0, 86399))
        issued = created + timedelta(days=rng.randint(1, 20), microseconds=rng.randint(0, 999_999))
        modified = min(now, issued + timedelta(days=rng.randint(0, 400)))
        temporal = rng.random() < 0.75
        keywords = sorted({subject, extra_keyword, district} | ({str(year)} if rng.random() < 0.5 else set()))
        themes = sorted({theme} | ({rng.choice(THEME_CODES)} if rng.random() < 0.2 else set()))
        distributions = []
        for position in range(weighted(rng, DISTRIBUTION_COUNT_WEIGHTS)):
            code, kind, _weight = rng.choices(FORMAT_WEIGHTS, weights=[w for *_x, w in FORMAT_WEIGHTS])[0]
            file_type = FILE_TYPES_BY_CODE[code]
            upload = kind == DistributionKind.DOWNLOAD and rng.random() < UPLOAD_SHARE
            service = kind == DistributionKind.SERVICE
            extension = file_type.extensions[0] if file_type.extensions else ""
            if service:
                access_url = f"https://geo.{domain}/{code.lower()}/{name}?SERVICE={code[:3]}"
            elif kind == DistributionKind.API:
                access_url = f"https://api.{domain}/v1/{name}"
            else:
                access_url = "" if upload else f"https://www.{domain}/daten/{name}/{position + 1}{extension}"
            distributions.append(
                {
                    "identifier": uuid.UUID(int=rng.getrandbits(128), version=4),
                    "title": f"{subject} {year} ({file_type.label})",
                    "description": "Kartendienst" if service else f"{form} als {file_type.label}",
                    "kind": kind,
                    "file": f"distributions/{name}/{position + 1}{extension}" if upload else "",
                    "access_url": access_url,
                    "format": code,
                    "media_type": file_type.media_type,
                    "byte_size": rng.randint(2_000, 50_000_000) if upload else None,
                    "checksum_sha256": f"{rng.getrandbits(256):064x}" if upload else "",
                    "licence": "cc-by/4.0" if rng.random() < 0.05 and licence != "cc-by/4.0" else "",
                    "created": created + timedelta(minutes=position),
                    "modified": modified,
                }
            )
        row = {
            "pk": i,
            "identifier": uuid.UUID(int=rng.getrandbits(128), version=4),
            "name": name,
            "title": title,
            "description": " ".join(sentence.format(**values) for sentence in sentences),
            "publisher_id": publisher["pk"],
            "contact_name": publisher["name"],
            "contact_email": publisher["email"],
            "contact_url": f"https://www.{domain}/verwaltung",
            "licence": licence,
            "attribution_text": f"Stadt {SOURCE_CITY}, {publisher['name'].split(' – ')[-1]}",
            "geocoding_level": "municipality",
            "municipality_key": SOURCE_MUNICIPALITY_KEY,
            "spatial_label": f"{SOURCE_CITY}, {district}",
            "spatial_resolution_m": Decimal(rng.choice(["1", "5", "10", "25"])) if theme == "REGI" else None,
            "temporal_start": date(year, 1, 1) if temporal else None,
            "temporal_end": date(year, 12, 31) if temporal else None,
            "update_frequency": weighted(rng, FREQUENCY_WEIGHTS),
            "language": Language.DEU if rng.random() < 0.95 else rng.choice([Language.ENG, Language.MUL]),
            "hvd_category": hvd,
            "landing_page": f"https://www.{domain}/daten/{name}" if rng.random() < 0.3 else "",
            "issued": issued,
            "modified": modified,
            "created": created,
            "keywords": keywords,
            "keyword_ids": [keyword_ids.setdefault(keyword, len(keyword_ids) + 1) for keyword in keywords],
            "themes": themes,
            "distributions": distributions,
        }
        # The projection's own resolution (URIs, download addresses, licences, media types),
        # so that the records are what a Stadtdaten portal publishes; no database needed.
        projection._resolve(row, organisations[row["publisher_id"]])
        rows.append(row)
    return rows


def source_projection():
    """portal.projection.Projection on SOURCE_BASE, with the made-up organisations in place
    of those of the database."""
    from portal.projection import Projection

    projection = Projection(SOURCE_BASE)
    projection._organisations = source_organisations()
    return projection


class SourceDocuments:
    """Every answer of the source, rendered once: the package dicts as JSON (sorted by id,
    as package_search sorts them) and the Turtle catalog pages."""

    def __init__(self, count: int, seed: int, base_url: str):
        from portal import dcat
        from portal.ckan.dictize import Dictizer

        started = time.monotonic()
        projection = source_projection()
        rows = source_rows(count, seed, projection)
        dictizer = Dictizer()
        packages = sorted((dictizer.package(row) for row in rows), key=lambda package: package["id"])
        self.packages = [json.dumps(package, ensure_ascii=False, separators=(",", ":")) for package in packages]
        rows.sort(key=lambda row: (-row["modified"].timestamp(), row["pk"]))  # the catalog's order
        newest = rows[0]["modified"] if rows else None
        self.pages: list[bytes] = []
        page_url = f"{base_url}/catalog.ttl?page={{}}".format
        ttl = dcat.FORMATS["ttl"]
        for number, start in enumerate(range(0, max(1, len(rows)), DCAT_PER_PAGE), start=1):
            export = dcat.DcatExport(SOURCE_BASE)
            export.projection = projection
            page = dcat.CatalogPage(number, DCAT_PER_PAGE, len(rows), newest, rows[start : start + DCAT_PER_PAGE])
            self.pages.append(dcat.render(dcat.catalog_page_triples(export, page, page_url), ttl))
        beyond = dcat.CatalogPage(len(self.pages) + 1, DCAT_PER_PAGE, len(rows), newest, [])
        export = dcat.DcatExport(SOURCE_BASE)
        export.projection = projection
        self.empty_page = dcat.render(dcat.catalog_page_triples(export, beyond, page_url), ttl)
        self.seconds = round(time.monotonic() - started, 1)

    def summary(self) -> dict:
        return {
            "records": len(self.packages),
            "ckan_bytes": sum(len(package.encode()) for package in self.packages),
            "dcat_pages": len(self.pages),
            "dcat_bytes": sum(len(page) for page in self.pages),
            "render_seconds": self.seconds,
        }

    def package_search(self, params: dict) -> tuple[int, bytes]:
        if params.get("sort", "id asc") != "id asc":
            return 409, json.dumps({"success": False, "error": {"message": "sort: nur id asc"}}).encode()
        try:
            start = max(0, int(params.get("start", 0)))
            rows = min(CKAN_MAX_ROWS, max(0, int(params.get("rows", 10))))
        except ValueError:
            return 409, json.dumps({"success": False, "error": {"message": "start/rows"}}).encode()
        results = ",".join(self.packages[start : start + rows])
        body = (
            f'{{"help":"{SOURCE_BASE}/api/3/action/help_show?name=package_search","success":true,'
            f'"result":{{"count":{len(self.packages)},"sort":"id asc","facets":{{}},"search_facets":{{}},'
            f'"results":[{results}]}}}}'
        )
        return 200, body.encode()

    def catalog_page(self, params: dict) -> bytes:
        number = int(params.get("page") or 1) if str(params.get("page") or "1").isdecimal() else 1
        return self.pages[number - 1] if 1 <= number <= len(self.pages) else self.empty_page


def handler_for(documents: SourceDocuments):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real portal behind a proxy

        def do_GET(self):
            parts = urlsplit(self.path)
            params = {key: values[-1] for key, values in parse_qs(parts.query).items()}
            if parts.path in ("/api/action/package_search", "/api/3/action/package_search"):
                status, body = documents.package_search(params)
                content_type = "application/json;charset=utf-8"
            elif parts.path in ("/catalog.ttl", "/catalog"):
                status, body, content_type = 200, documents.catalog_page(params), "text/turtle; charset=utf-8"
            else:
                status, body, content_type = 404, b"Not found", "text/plain"
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            pass

    return Handler


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that closes its keep-alive connection is no error of the source.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def serve(count: int, seed: int, ready_file: Path) -> None:
    """The source process: bind a free loopback port, render everything, write
    {"port": …, …} to `ready_file`, serve until SIGTERM."""
    server = QuietServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    documents = SourceDocuments(count, seed, f"http://127.0.0.1:{port}")
    server.RequestHandlerClass = handler_for(documents)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    ready_file.write_text(json.dumps({"port": port, **documents.summary()}))
    server.serve_forever()
    server.server_close()


# ---------------------------------------------------------------------------
# The harvester


def ensure_network():
    """The harvesting city's organisations (one per unit of the source, mapped by name)
    and its governance admin, made once per scratch database."""
    from django.contrib.auth import get_user_model

    from governance import services as governance
    from governance.models import DataProtectionRegime, DNGRole, Organisation, Role
    from governance.reference_data import ensure_vocabularies

    admin = get_user_model().objects.filter(username=ADMIN).first()
    if admin is not None:
        organisations = {org.slug: org for org in Organisation.objects.filter(slug__startswith=SOURCE_CITY.lower())}
        return admin, organisations
    common = {"municipality": SOURCE_CITY, "municipality_key": SOURCE_MUNICIPALITY_KEY, "state": "TH",
              "dng_role": DNGRole.PUBLIC_BODY, "data_protection_regime": DataProtectionRegime.THUERDSG}  # fmt: skip
    organisations, root = {}, None
    for row in source_organisations().values():
        organisation = Organisation.objects.create(
            slug=row["slug"], name=row["name"], org_type=row["org_type"], email=row["email"], parent=root,
            legal_entity=root, **common,
        )  # fmt: skip
        root = root or organisation
        organisations[row["slug"]] = organisation
    # After the units: a role covers the units that exist when it is given.
    admin = governance.create_account(
        ADMIN, home=root, by=None, password=None, first_name="Harvest", last_name="Admin", email="admin@bench.example"
    )
    governance.assign_role(admin, Role.GOVERNANCE_ADMIN, root, by=None, note="Benchmark")
    ensure_vocabularies(by=admin)
    return admin, organisations


def harvest(request: dict) -> dict:
    """Create the source of `request["kind"]` at `request["url"]` and run it twice."""
    from catalog.harvest import service
    from catalog.models import HarvestJob

    admin, organisations = ensure_network()
    root = organisations[SOURCE_CITY.lower()]
    kind = request["kind"]
    source = service.save_source(
        None,
        by=admin,
        fields={
            "name": f"Open-Data-Portal {SOURCE_CITY} ({kind.upper()})",
            "kind": kind,
            "url": request["url"],
            "default_organisation": root,
            "responsible": admin,
            "trusted": False,
            "name_prefix": f"{kind}-",
        },
        mappings=list(organisations.items()),
    )
    figures = {"kind": kind, "url": request["url"], "rss_mb_before": peak_rss_mb(), "runs": []}
    for label in ("first", "second"):
        job = HarvestJob.objects.create(source=source, triggered_by=admin)
        profiler = None
        if request.get("profile") and label == "first":
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.monotonic()
        service.run_job(job.pk)
        seconds = time.monotonic() - started
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(request["profile"])
        job.refresh_from_db()
        failures = [entry["reason"] for entry in job.report if entry["outcome"] == "failed"]
        run = {
            "run": label,
            "status": job.status,
            "message": job.message,
            "seconds": round(seconds, 2),
            "records_per_s": round(job.processed / seconds, 1) if seconds else None,
            "total": job.total,
            "processed": job.processed,
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "removed": job.removed_count,
            "failed": job.failed_count,
            "first_failures": sorted(set(failures))[:5],
            # Without the report's note on entries it left out (no remote name).
            "warnings": sum(1 for entry in job.report if entry["outcome"] == "warning" and entry["remote_name"]),
            "peak_rss_mb": peak_rss_mb(),
        }
        figures["runs"].append(run)
        print(
            f"    {kind} {label}: {run['status']} {run['seconds']} s, {run['processed']} verarbeitet "
            f"({run['created']} neu, {run['unchanged']} unverändert, {run['failed']} nicht übernommen), "
            f"{run['records_per_s']}/s, RSS {run['peak_rss_mb']} MB",
            flush=True,
        )
        if job.status != "succeeded":
            break
    return figures


def profile_summary(path: str, limit: int = 25) -> dict:
    """The functions with the most own time (and their cumulative time) of a cProfile dump,
    as shares of the whole run."""
    import pstats

    stats = pstats.Stats(path)
    total = stats.total_tt or 1
    entries = []
    for (filename, line, function), (_calls, ncalls, own, cumulative, _callers) in stats.stats.items():
        entries.append({
            "function": f"{short_path(filename)}:{line}:{function}", "calls": ncalls,
            "own_s": round(own, 2), "own_share": round(own / total, 3),
            "cumulative_s": round(cumulative, 2), "cumulative_share": round(cumulative / total, 3),
        })  # fmt: skip
    by_own = sorted(entries, key=lambda entry: -entry["own_s"])[:limit]
    by_cumulative = sorted(entries, key=lambda entry: -entry["cumulative_s"])[: limit * 2]
    return {"total_s": round(total, 2), "by_own_time": by_own, "by_cumulative_time": by_cumulative}


def short_path(filename: str) -> str:
    for marker in ("site-packages/", str(Path(__file__).resolve().parent.parent) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename
