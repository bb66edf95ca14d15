"""The benchmark of issue 12: `python bench/run.py --datasets N` (what `make bench` runs).

1. Database stadtdaten_bench_<N>: dropped, created, migrated and seeded with
   `manage.py seed_bench --datasets N` (timed), unless --reuse finds it seeded with N.
2. A probe in a subprocess (this file, `_probe`, through Django's setup) picks common and
   rare search terms from the index, creates an API token for bench.steward, reads the
   versions of drafts to submit, counts queries per view and captures the SQL of the
   search and list requests for the raw baseline.
3. gunicorn serves config.wsgi with production settings and bench/raw_app.py (the same
   SQL over raw psycopg2) on two loopback ports, both with 2 sync workers.
4. wrk (bench/rotate.lua) measures each scenario, rotating through many paths; the DCAT
   export runs as a subprocess (wall time, peak RSS); the submit step runs sequentially.
5. Harvesting (issue 23, bench/harvest.py): a source process serves 10,000 records as a
   CKAN API and as DCAT-AP.de Turtle pages; a harvester process per kind runs a first and
   an unchanged second run into the scratch database stadtdaten_bench_harvest (time,
   records/s, peak RSS). `--only harvest` runs just this step.
6. The table store (issue 24, bench/datastore.py): a CSV of 1,000,000 rows uploaded,
   checked and published in the scratch database stadtdaten_bench_datastore, loaded by
   datastore.loader.load in its own process (time, peak RSS), then a filtered and sorted
   rows query and an aggregate under 8 clients, each beside the same SQL in raw_app.py.
   `--only datastore` runs just this step.
7. A table on stdout and every figure with machine information in a JSON file. Exit 0
   even if a target fails, unless --strict.

Measurement protocol: app, baseline, database and load generator share this machine;
latency at -c2 (closed loop, little queueing), throughput at -c8; each scenario after a
warm-up. Absolute figures vary between runs by 30–50 % (rel_perf.md B.3); ratios less.
"""

# Every subprocess here runs our own interpreter, gunicorn, wrk or git with fixed arguments.
# ruff: noqa: S603, S607

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
PG = "postgres://postgres@127.0.0.1:5432"
CACHE_URL = "redis://127.0.0.1:6379/14"
BROKER_URL = "redis://127.0.0.1:6379/15"
WORKERS = 2
PAGE = 20
TRANSITIONS = 100
# Sent with every request: production settings trust it from the (here absent) TLS proxy,
# so Django treats the loopback requests as https, as behind the real proxy.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


# ---------------------------------------------------------------------------
# Pure helpers (config/tests/test_bench_runner.py)


def database_name(datasets: int) -> str:
    return f"stadtdaten_bench_{datasets}"


def drf_cursor(position: str) -> str:
    """DRF CursorPagination's cursor for "the rows after `position`" (its encode_cursor)."""
    return base64.b64encode(urlencode({"p": position}).encode("ascii")).decode("ascii")


def spread(items: list, count: int) -> list:
    """`count` items spread evenly over the list (all of them if it is shorter)."""
    if len(items) <= count:
        return list(items)
    step = len(items) / count
    return [items[int(k * step)] for k in range(count)]


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 100))
    return ordered[int(rank) - 1]


@dataclass
class Target:
    """A goal of issue 12 (or 23): `metric` (p95_ms, ratio, seconds, rss_mb, records_per_s,
    queries_constant) ≤ or ≥ `limit`."""

    metric: str
    limit: float
    at_least: bool = False

    def text(self) -> str:
        names = {"p95_ms": "p95", "ratio": "ratio", "seconds": "time", "rss_mb": "RSS", "records_per_s": "rate"}
        unit = {"p95_ms": " ms", "seconds": " s", "rss_mb": " MB", "records_per_s": " rec/s"}.get(self.metric, "")
        if self.metric == "queries_constant":
            return "constant"
        return f"{names.get(self.metric, self.metric)} {'≥' if self.at_least else '≤'} {self.limit:g}{unit}"

    def met(self, value) -> bool | None:
        if value is None:
            return None
        if self.metric == "queries_constant":
            return bool(value)
        return value >= self.limit if self.at_least else value <= self.limit


@dataclass
class Row:
    scenario: str
    p50_ms: float | None = None
    p95_ms: float | None = None
    rps: float | None = None
    ratio: float | None = None
    note: str = ""
    target: Target | None = None
    value: float | bool | None = None  # what the target is checked against
    details: dict = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "–"
        met = self.target.met(self.value)
        return "n/a" if met is None else ("PASS" if met else "FAIL")


def format_table(rows: list[Row]) -> str:
    def number(value, digits=1):
        return "–" if value is None else f"{value:,.{digits}f}"

    header = ("scenario", "p50 ms", "p95 ms", "req/s", "ratio raw", "target", "result", "note")
    lines = [
        (
            row.scenario,
            number(row.p50_ms),
            number(row.p95_ms),
            number(row.rps),
            number(row.ratio, 2),
            row.target.text() if row.target else "–",
            row.verdict,
            row.note,
        )
        for row in rows
    ]
    widths = [max(len(str(line[k])) for line in [header, *lines]) for k in range(len(header))]
    out = []
    for k, line in enumerate([header, *lines]):
        cells = [
            str(cell).ljust(widths[i]) if i in (0, 5, 6, 7) else str(cell).rjust(widths[i])
            for i, cell in enumerate(line)
        ]
        out.append("  ".join(cells).rstrip())
        if k == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


def parse_wrk_output(stdout: str) -> dict:
    for line in stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line[len("BENCH_JSON ") :])
    raise RuntimeError(f"wrk printed no figures:\n{stdout}")


# ---------------------------------------------------------------------------
# Processes


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def django_env(database: str, **extra) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SECURE_", "BEHIND_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"{PG}/{database}",
        DEBUG="False",
        LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    for key in ("CACHE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "ALLOWED_HOSTS"):
        env.pop(key, None)
    env.update(extra)
    return env


def production_env(database: str, secret_key: str) -> dict:
    return django_env(
        database,
        DJANGO_ENV="production",
        SECRET_KEY=secret_key,
        ALLOWED_HOSTS="127.0.0.1",
        CACHE_URL=CACHE_URL,
        CELERY_BROKER_URL=BROKER_URL,
        # No TLS on loopback: no redirect to https; the proxy header above marks requests secure.
        SECURE_SSL_REDIRECT="False",
        BEHIND_TLS_PROXY="True",
    )


def manage(args: list[str], env: dict, *, capture: bool = False) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, text=True, capture_output=capture, check=False
    )
    if result.returncode != 0:
        if capture:
            sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"manage.py {' '.join(args)} ist fehlgeschlagen (Exit {result.returncode})")
    return result


def pg_connect(database: str):
    import psycopg2

    connection = psycopg2.connect(f"{PG}/{database}")
    connection.autocommit = True
    return connection


def seeded_count(database: str) -> int | None:
    """How many bench datasets the database holds, or None if it does not exist or is not migrated."""
    with pg_connect("postgres") as admin, admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        if cursor.fetchone() is None:
            return None
    connection = pg_connect(database)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('catalog_dataset') IS NOT NULL")
            if not cursor.fetchone()[0]:
                return None
            cursor.execute("SELECT count(*) FROM catalog_dataset WHERE name LIKE 'bench-%%'")
            return cursor.fetchone()[0]
    finally:
        connection.close()


def recreate_database(database: str) -> None:
    connection = pg_connect("postgres")
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{database}"')
    finally:
        connection.close()


def flush_redis() -> None:
    import redis

    for url in (CACHE_URL, BROKER_URL):
        redis.Redis.from_url(url).flushdb()


class Server:
    """A gunicorn process group on a free loopback port, stopped by stop()."""

    def __init__(self, name: str, app: str, env: dict, chdir: Path, logdir: Path, *, threads: int = 0):
        self.name = name
        self.port = free_port()
        self.log = logdir / f"{name}.log"
        command = [
            GUNICORN,
            app,
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={WORKERS}",
            *(["--worker-class=gthread", f"--threads={threads}"] if threads else ["--worker-class=sync"]),
            f"--chdir={chdir}",
            "--timeout=120",
            "--log-level=warning",
        ]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=chdir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn ({self.name}) ist beendet:\n{self.log.read_text()[-3000:]}")
            try:
                status, _ = http_get(self.port, path)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"gunicorn ({self.name}) antwortet nicht auf {path}:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def http_get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=PROXY_HEADERS)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# ---------------------------------------------------------------------------
# Measurements


def wrk(port: int, paths: list[str], *, connections: int, duration: int, workdir: Path) -> dict:
    path_file = workdir / "paths.txt"
    path_file.write_text("\n".join(paths) + "\n")
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout=10s",
        f"--script={BENCH / 'rotate.lua'}",
        *[arg for name, value in PROXY_HEADERS.items() for arg in ("-H", f"{name}: {value}")],
        f"http://127.0.0.1:{port}",
    ]
    result = subprocess.run(
        command, env={**os.environ, "BENCH_PATHS": str(path_file)}, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed: {result.stderr}")
    return parse_wrk_output(result.stdout)


def check_paths(port: int, paths: list[str]) -> str:
    """'' if a sample of the paths answers 200 (no redirect, no error), else what came."""
    for path in spread(paths, 3):
        status, body = http_get(port, path)
        if status != 200:
            return f"{path} → {status} {body[:200]!r}"
    return ""


def measure_export(env: dict, fmt: str, workdir: Path) -> dict:
    """manage.py export_dcat as a child process: wall time and peak RSS (wait4's ru_maxrss)."""
    target = workdir / f"catalog.{fmt}"
    started = time.monotonic()
    process = subprocess.Popen(
        [PYTHON, "manage.py", "export_dcat", "--format", fmt, "-o", str(target)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read().decode(errors="replace")[-2000:]
    process.stderr.close()
    size = target.stat().st_size if target.exists() else 0
    with open(target, "rb") if target.exists() else open(os.devnull, "rb") as file:
        triples = sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b"")) if fmt == "nt" else None
    if target.exists():
        target.unlink()
    return {
        "format": fmt,
        "exit": process.returncode,
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "bytes": size,
        "triples": triples,
        "error": error if process.returncode else "",
    }


def run_transitions(port: int, token: str, drafts: list[list]) -> dict:
    """POST …/transitions/submit/ for each draft, one after the other on one connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    timings, statuses, refusals = [], {}, []
    try:
        for name, version in drafts:
            body = json.dumps({"expected_version": version})
            headers = {**PROXY_HEADERS, "Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            started = time.perf_counter()
            connection.request("POST", f"/api/v1/datasets/{name}/transitions/submit/", body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            timings.append((time.perf_counter() - started) * 1000)
            statuses[response.status] = statuses.get(response.status, 0) + 1
            if response.status != 201 and len(refusals) < 5:
                refusals.append(
                    {"dataset": name, "status": response.status, "body": answer[:300].decode(errors="replace")}
                )
    finally:
        connection.close()
    return {
        "requests": len(timings),
        "statuses": {str(key): value for key, value in statuses.items()},
        "p50_ms": round(percentile(timings, 50), 2) if timings else None,
        "p95_ms": round(percentile(timings, 95), 2) if timings else None,
        "refusals": refusals,
    }


def row_dicts(rows) -> list[dict]:
    """The result rows as results/*.json stores them: target in words, verdict, details flat."""
    return [
        {
            **{k: v for k, v in asdict(row).items() if k not in ("target", "details")},
            "target": row.target.text() if row.target else None,
            "result": row.verdict,
            **row.details,
        }
        for row in rows
    ]


def machine_info(database: str) -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory_gb = round(kb / 2**20, 1)
    except (OSError, AttributeError):
        pass
    settings = {}
    connection = pg_connect(database)
    try:
        with connection.cursor() as cursor:
            for name in ("server_version", "shared_buffers", "work_mem", "effective_cache_size", "max_connections"):
                cursor.execute(f"SHOW {name}")
                settings[name] = cursor.fetchone()[0]
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            settings["database_size"] = cursor.fetchone()[0]
    finally:
        connection.close()

    def git(*args):
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return result.stdout.strip()

    # `--only harvest` runs without wrk.
    wrk_version = (
        subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
        if shutil.which("wrk")
        else subprocess.CompletedProcess([], 0, "", "")
    )
    gunicorn_version = subprocess.run([GUNICORN, "--version"], capture_output=True, text=True, check=False)
    return {
        "cpu_model": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": settings,
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "wrk": (wrk_version.stdout or wrk_version.stderr).splitlines()[0]
        if (wrk_version.stdout or wrk_version.stderr)
        else "",
        "gunicorn": (gunicorn_version.stdout or gunicorn_version.stderr).strip(),
        "gunicorn_workers": f"{WORKERS} sync",
    }


# ---------------------------------------------------------------------------
# The probe: runs in a subprocess with Django set up against the bench database


def bench_names(datasets: int) -> dict:
    """Published names, and drafts of the first city (bench.steward's), from the seeder's
    pure state_of and city_of: no database. bench.seed imports the models, so this runs in
    the probe, after Django's setup."""
    from bench import seed

    published, drafts = [], []
    for i in range(1, datasets + 1):
        state = seed.state_of(i, datasets)
        if state == "published":
            published.append(seed.dataset_name(i))
        elif state == "draft" and seed.city_of(i, datasets) == 1:
            drafts.append(seed.dataset_name(i))
    return {"published": published, "drafts": drafts}


def probe(request: dict) -> dict:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from catalog.models import Dataset, DatasetState
    from governance import services as governance_services
    from governance.models import ApiToken
    from portal import search as portal_search
    from portal.models import SearchDocument

    client = Client(HTTP_HOST="127.0.0.1", headers=PROXY_HEADERS)

    def captured(path: str, after: str = "") -> tuple[int, list[str]]:
        with CaptureQueriesContext(connection) as context:
            response = client.get(path)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
        if after and response.status_code == 200:
            # The hand-made cursor must really start after `after`, or the deep pages measure page 1.
            first = response.json()["results"][0]["name"]
            if first <= after:
                raise SystemExit(f"{path}: Cursor wirkt nicht ({first} kommt nicht nach {after})")
        return response.status_code, [query["sql"] for query in context.captured_queries]

    if request["from_seeder"]:
        names = bench_names(request["datasets"])
        published, drafts = names["published"], names["drafts"]
    else:  # a database filled otherwise (--database, development): names from the database
        published = list(Dataset.objects.published().order_by("name").values_list("name", flat=True))
        drafts = list(Dataset.objects.filter(state=DatasetState.DRAFT).order_by("name").values_list("name", flat=True))

    # Search terms from the index itself, by the share of published datasets whose vector
    # holds the lexeme: common ≈ 20 % (rel_perf.md B.2's "common term"), rare ≈ 1 %, and
    # the most frequent lexemes (in nearly every dataset: the worst case, no target).
    documents = SearchDocument.objects.filter(dataset__in=Dataset.objects.published()).values("vector")
    sql, params = documents.query.sql_with_params()
    with connection.cursor() as cursor:
        inner = cursor.mogrify(sql, params).decode()
        cursor.execute(
            "SELECT word, ndoc FROM ts_stat(%s) WHERE length(word) >= 5 AND word ~ '^[[:alpha:]]+$'", [inner]
        )
        lexemes = sorted(cursor.fetchall(), key=lambda row: (-row[1], row[0]))

    def near(share: float, taken: set) -> list[str]:
        goal = max(2, len(published) * share)
        ordered = sorted(lexemes, key=lambda row: (abs(row[1] - goal), row[0]))
        return [word for word, ndoc in ordered if ndoc >= 2 and word not in taken][:8]

    very_common = [word for word, _ in lexemes[:4]]
    common = near(0.20, set(very_common))
    rare = near(0.01, set(very_common) | set(common))
    hits = {term: portal_search.matching(term, {}).count() for term in very_common + common + rare}

    search_very_common = [f"/suche/?q={quote(term)}" for term in very_common]
    search_common = [f"/suche/?q={quote(term)}" for term in common]
    search_rare = [f"/suche/?q={quote(term)}" for term in rare]
    positions = spread(published, 10)[1:]
    list_paths = [f"/api/v1/datasets/?limit={PAGE}"] + [
        f"/api/v1/datasets/?limit={PAGE}&cursor={quote(drf_cursor(position))}" for position in positions
    ]
    raw = {"search": [], "list": []}
    for kind, paths, afters in (
        ("search", search_common, [""] * len(search_common)),
        ("list", list_paths, ["", *positions]),
    ):
        for path, after in zip(paths, afters, strict=True):
            status, statements = captured(path, after)
            if status != 200:
                raise SystemExit(f"{path} antwortet {status} statt 200")
            raw[kind].append(statements)

    deep = spread(published, 10)[-1]
    counts = {}
    for key, path in {
        "ckan_package_search_rows_100": "/api/3/action/package_search?rows=100",
        "ckan_package_search_rows_1000": "/api/3/action/package_search?rows=1000",
        "ckan_package_search_rows_1000_deep": (
            f"/api/3/action/package_search?rows=1000&start={max(0, len(published) - 1000)}"
        ),
        "rest_list_page_1": f"/api/v1/datasets/?limit={PAGE}",
        "rest_list_page_1_limit_100": "/api/v1/datasets/?limit=100",
        "rest_list_deep_cursor": f"/api/v1/datasets/?limit={PAGE}&cursor={quote(drf_cursor(deep))}",
        "rest_list_deep_cursor_limit_100": f"/api/v1/datasets/?limit=100&cursor={quote(drf_cursor(deep))}",
        "portal_search_common": search_common[0],
        "portal_dataset_page": f"/datensatz/{published[len(published) // 2]}/",
        "rest_detail": f"/api/v1/datasets/{published[len(published) // 2]}/",
        "dcat_page_1": "/catalog.ttl?page=1",
        "dcat_page_last": f"/catalog.ttl?page={max(1, -(-len(published) // 100))}",
    }.items():
        status, statements = captured(path)
        counts[key] = {"status": status, "queries": len(statements)}

    def found_so_far():
        return {
            "published": published,
            "drafts_total": len(drafts),
            "terms": {"very_common": very_common, "common": common, "rare": rare, "hits": hits},
            "paths": {
                "search_very_common": search_very_common,
                "search_common": search_common,
                "search_rare": search_rare,
                "list": list_paths,
            },
            "raw": raw,
            "query_counts": counts,
        }

    # The workflow step: a token for the steward, the drafts still in draft with their versions.
    steward = get_user_model().objects.filter(username="bench.steward").first()
    if steward is None:  # a database without the seeder's users (development)
        return {**found_so_far(), "token": None, "submit": []}
    for old in ApiToken.objects.active().filter(user=steward, name="bench-run"):
        governance_services.revoke_api_token(old, by=steward)
    _, secret = governance_services.create_api_token(steward, name="bench-run", valid_days=1)
    candidates = drafts[: TRANSITIONS * 5]
    versions = dict(
        Dataset.objects.filter(name__in=candidates, state=DatasetState.DRAFT).values_list("name", "version")
    )
    submit = [[name, versions[name]] for name in candidates if name in versions][:TRANSITIONS]

    return {
        **found_so_far(),
        "token": secret,
        "submit": submit,
    }


# ---------------------------------------------------------------------------
# The run


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Benchmark of issue 12 (see the module docstring).")
    parser.add_argument("--datasets", type=int, default=100_000, help="N (default 100000)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk scenario (default 10)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per scenario (default 3)")
    parser.add_argument("--reuse", action="store_true", help="keep the database if it is already seeded with N")
    parser.add_argument("--random-seed", type=int, default=42)
    parser.add_argument("--out", default=str(BENCH / "results" / "latest.json"))
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target fails")
    parser.add_argument("--database", default="", help="use this database as it is (development; implies --reuse)")
    parser.add_argument(
        "--only",
        choices=("all", "conversions", "harvest", "datastore"),
        default="all",
        help="all: the scenarios of issues 12 and 23; conversions: 20 downloads of converted formats while / is "
        "measured (issue 21; results in bench/results/conversions.json unless --out); harvest: only the harvest "
        "runs of issue 23 (results in bench/results/harvest.json unless --out); datastore: only the table store of "
        "issue 24 (results in bench/results/datastore.json unless --out)",
    )
    parser.add_argument(
        "--datastore-rows", type=int, default=1_000_000, help="rows of the table-store table (default 1000000)"
    )
    parser.add_argument(
        "--datastore-profile",
        action="store_true",
        help="run the table load under cProfile; the hot spots go into the results",
    )
    parser.add_argument(
        "--harvest-records", type=int, default=10_000, help="records of the harvest source (default 10000)"
    )
    parser.add_argument(
        "--harvest-profile",
        action="store_true",
        help="run the first harvest of each kind under cProfile; the hot spots go into the results",
    )
    return parser.parse_args(argv)


def prepare_database(args, database: str, env: dict) -> dict:
    if args.database:
        say(f"Datenbank {database} wird so benutzt, wie sie ist")
        return {"reused": True}
    if args.reuse and seeded_count(database) == args.datasets:
        say(f"Datenbank {database} ist schon mit {args.datasets} Datensätzen befüllt (--reuse)")
        return {"reused": True}
    say(f"Datenbank {database}: neu anlegen, migrieren")
    recreate_database(database)
    started = time.monotonic()
    manage(["migrate", "--no-input", "-v", "0"], env)
    migrate_seconds = time.monotonic() - started
    say(f"seed_bench --datasets {args.datasets}")
    started = time.monotonic()
    process = subprocess.Popen(
        [PYTHON, "manage.py", "seed_bench", "--datasets", str(args.datasets), "--random-seed", str(args.random_seed)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    lines = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        print(f"    {line.rstrip()}", flush=True)
    if process.wait() != 0:
        raise SystemExit(f"seed_bench ist fehlgeschlagen (Exit {process.returncode})")
    seconds = time.monotonic() - started
    summary = json.loads(next(line for line in reversed(lines) if line.strip()))
    return {"reused": False, "migrate_seconds": round(migrate_seconds, 1), "wall_seconds": round(seconds, 1), **summary}


def ensure_wrk() -> None:
    if shutil.which("wrk") is None:
        if os.geteuid() == 0 and shutil.which("apt-get"):
            say("wrk fehlt: apt-get install wrk")
            subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, stdout=subprocess.DEVNULL)
        if shutil.which("wrk") is None:
            raise SystemExit("wrk fehlt. Bitte installieren: sudo apt-get install wrk")


def run_conversions(args) -> int:
    """Issue 21: the home page's p95 while 20 clients download the converted formats of a
    1-million-row table. The app runs as gthread workers (2 × 24 threads): a download
    holds its thread while it is sent, as a buffering proxy (nginx) would hold it in
    production, not a whole worker process."""
    from conversions import DOWNLOADERS, Downloads

    started_run = time.monotonic()
    ensure_wrk()
    database = args.database or database_name(args.datasets)
    results: dict = {"datasets": args.datasets, "database": database, "scenario": "conversions"}
    results["seeding"] = prepare_database(args, database, django_env(database))
    workdir = Path(tempfile.mkdtemp(prefix="stadtdaten-bench-"))
    media = workdir / "media"
    app_env = {**production_env(database, secrets.token_urlsafe(64)), "MEDIA_ROOT": str(media)}
    manage(["collectstatic", "--no-input", "-v", "0"], app_env)
    say("1 Million Zeilen schreiben und einmal umwandeln (wie der Worker)")
    answer = workdir / "conversions.json"
    subprocess.run(
        [PYTHON, __file__, "_conversions", str(media), str(answer)],
        cwd=ROOT,
        env=django_env(database, MEDIA_ROOT=str(media)),
        check=True,
    )
    prepared = json.loads(answer.read_text())
    results["prepared"] = prepared
    say(f"umgewandelt in {prepared['render_seconds']} s: {prepared['statuses']}, Bytes {prepared['bytes']}")
    flush_redis()
    rows: list[Row] = []
    app = Server("app", "config.wsgi:application", app_env, ROOT, workdir, threads=DOWNLOADERS + 4)
    try:
        app.wait_ready("/robots.txt")
        problem = check_paths(app.port, ["/"])
        if problem:
            raise SystemExit(f"Startseite: {problem}")
        if args.warmup:
            wrk(app.port, ["/"], connections=2, duration=args.warmup, workdir=workdir)
        quiet = wrk(app.port, ["/"], connections=2, duration=args.duration, workdir=workdir)
        rows.append(Row("Startseite ohne Downloads (c2)", quiet["p50_ms"], quiet["p95_ms"], quiet["rps"]))
        downloads = Downloads(app.port, prepared["paths"], PROXY_HEADERS)
        downloads.start()
        time.sleep(2)  # all 20 downloads running
        busy = wrk(app.port, ["/"], connections=2, duration=args.duration, workdir=workdir)
        stats = downloads.stop()
        bad = busy["non2xx"] + busy["errors_connect"] + busy["errors_read"] + busy["errors_timeout"]
        note = (
            f"{stats['completed']} Downloads ({stats['megabytes']:,} MB, Median {stats['download_p50_s']} s), "
            f"{stats['failed']} Download-Fehler, {bad} Fehler Startseite"
        )
        rows.append(
            Row(
                f"Startseite während {DOWNLOADERS} Downloads CSV/JSON/XLSX (c2)",
                busy["p50_ms"],
                busy["p95_ms"],
                busy["rps"],
                note=note,
                target=Target("p95_ms", 200),
                value=busy["p95_ms"],
                details={"key": "home_during_conversion_downloads", **busy, "downloads": stats},
            )
        )
    finally:
        app.stop()
        flush_redis()
    results["rows"] = row_dicts(rows)
    results["machine"] = machine_info(database)
    results["wall_seconds"] = round(time.monotonic() - started_run, 1)
    out = Path(
        args.out if args.out != str(BENCH / "results" / "latest.json") else BENCH / "results" / "conversions.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(format_table(rows))
    print(f"\nErgebnisse: {out} (Gesamtdauer {results['wall_seconds']:.0f} s)")
    return 1 if args.strict and any(row.verdict == "FAIL" for row in rows) else 0


# ---------------------------------------------------------------------------
# Harvesting (issue 23, bench/harvest.py)

HARVEST_DATABASE = "stadtdaten_bench_harvest"
# The harvesting portal's own address (SITE_URL): not the source's, so it is not refused as "this portal".
HARVESTER_HOST = "stadtdaten-harvester.example"


class HarvestSource:
    """The source process of bench/harvest.py (`_harvest_source`): a loopback server with
    the CKAN API and the DCAT-AP.de catalog of the same records, stopped by stop()."""

    def __init__(self, records: int, seed: int, env: dict, workdir: Path):
        self.ready = workdir / "harvest-source.json"
        self.log = workdir / "harvest-source.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [PYTHON, __file__, "_harvest_source", str(records), str(seed), str(self.ready)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def wait_ready(self, timeout: float = 600) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"Die Harvest-Quelle ist beendet:\n{self.log.read_text()[-3000:]}")
            if self.ready.exists() and self.ready.stat().st_size:
                self.info = json.loads(self.ready.read_text())
                self.port = self.info["port"]
                return self.info
            time.sleep(0.3)
        raise SystemExit(f"Die Harvest-Quelle ist nicht bereit:\n{self.log.read_text()[-3000:]}")

    def url(self, kind: str) -> str:
        return f"http://127.0.0.1:{self.port}" + ("/catalog.ttl" if kind == "dcat" else "")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


class Autoanalyze:
    """ANALYZE of a database every `every` seconds in a thread, in place of autovacuum where
    the server runs without it (this bench machine's does). A harvest grows its tables from
    nothing; without statistics the planner misjudges the search index's statement
    (portal.services.index_datasets) and compiles it with JIT, some 50 ms on every call.
    Production runs autovacuum, which analyses a table after 10 % of its rows changed."""

    def __init__(self, database: str, every: float = 30):
        self.database, self.every = database, every
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    @staticmethod
    def needed() -> bool:
        with pg_connect("postgres") as connection, connection.cursor() as cursor:
            cursor.execute("SHOW autovacuum")
            return cursor.fetchone()[0] == "off"

    def loop(self) -> None:
        while not self.stopped.wait(self.every):
            connection = pg_connect(self.database)
            try:
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            finally:
                connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join(timeout=120)


def harvester_env(source: HarvestSource) -> dict:
    """The harvesting process: production's queueing (tasks such as scoring and link checks go
    to Redis, as to the workers; nobody consumes them here), the source on the allow-list
    of the outbound guard, a SITE_URL that is not the source's."""
    return django_env(
        HARVEST_DATABASE,
        CELERY_BROKER_URL=BROKER_URL,
        SITE_URL=f"https://{HARVESTER_HOST}",
        ALLOWED_HOSTS=HARVESTER_HOST,
        OUTBOUND_ALLOWED_HOSTS=f"127.0.0.1:{source.port}",
        HARVEST_JOB_DEADLINE="3600",
    )


def measure_harvest(kind: str, source: HarvestSource, workdir: Path, *, profile: bool) -> dict:
    """One harvester process (bench/harvest.py `_harvest`): a first run and an unchanged
    second run of a source of `kind`; its peak RSS from wait4, as for the export."""
    request, answer = workdir / f"harvest-{kind}-in.json", workdir / f"harvest-{kind}-out.json"
    profile_path = workdir / f"harvest-{kind}.pstats" if profile else None
    request.write_text(
        json.dumps({"kind": kind, "url": source.url(kind), "profile": str(profile_path) if profile else ""})
    )
    started = time.monotonic()
    process = subprocess.Popen([PYTHON, __file__, "_harvest", str(request), str(answer)], cwd=ROOT,
                               env=harvester_env(source))  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    figures = json.loads(answer.read_text()) if process.returncode == 0 and answer.exists() else {"runs": []}
    figures.update(
        exit=process.returncode,
        wall_seconds=round(time.monotonic() - started, 1),
        process_peak_rss_mb=round(usage.ru_maxrss / 1024, 1),
    )
    if profile_path is not None and profile_path.exists():
        sys.path.insert(0, str(ROOT))
        from bench.harvest import profile_summary

        figures["profile"] = profile_summary(str(profile_path))
        figures["profile_file"] = str(BENCH / "results" / f"harvest-{kind}.pstats")
        Path(figures["profile_file"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(profile_path, figures["profile_file"])
    return figures


def harvest_rows(runs: dict, records: int) -> list[Row]:
    """The table rows of the harvest runs: the first run's rate and the process's peak RSS
    against the targets of issue 23, the unchanged second run for information. A run that
    failed or did not take over every record has no rate to judge (n/a, with the reason)."""
    rows = []
    for kind, figures in runs.items():
        label = f"Harvest {kind.upper()} {records:,}"
        first, second = (figures["runs"] + [None, None])[:2]
        if first is None:
            note = f"Exit {figures['exit']}"
        elif first["status"] != "succeeded":
            note = f"Fehler: {first['message'][:70]}"
        else:
            note = (
                f"{first['seconds']:.0f} s, {first['created']:,} neu"
                + (f", {first['failed']:,} nicht übernommen" if first["failed"] else "")
                + f", Prozess {figures['wall_seconds']:.0f} s mit Start und 2. Lauf"
            )
        complete = first is not None and first["status"] == "succeeded" and first["created"] == records
        if first is not None and first["status"] == "succeeded" and not complete:
            note += f" (nicht alle {records:,} übernommen: {'; '.join(first['first_failures'])[:80]})"
        rows.append(
            Row(
                f"{label}: 1. Lauf",
                note=note,
                target=Target("records_per_s", 100, at_least=True),
                value=first["records_per_s"] if complete else None,
                details={"key": f"harvest_{kind}_first", **(first or {})},
            )
        )
        if second is not None:
            rows.append(
                Row(
                    f"{label}: 2. Lauf (unverändert)",
                    note=f"{second['seconds']:.0f} s, {second['records_per_s']:,.0f}/s, "
                    f"{second['unchanged']:,} unverändert, {second['created'] + second['updated']:,} geschrieben",
                    details={"key": f"harvest_{kind}_second", **second},
                )
            )
        peak = figures["process_peak_rss_mb"]
        rows.append(
            Row(
                f"{label}: Spitzen-RSS",
                note=f"{peak:.0f} MB (nach dem Start {figures.get('rss_mb_before', 0):.0f} MB)",
                target=Target("rss_mb", 300),
                value=peak if first is not None and first["status"] == "succeeded" else None,
                details={"key": f"harvest_{kind}_rss", "peak_rss_mb": peak},
            )
        )
    return rows


def harvest_scenario(args, workdir: Path) -> tuple[list[Row], dict]:
    """Issue 23: a scratch database, the source process, a harvester process per kind."""
    say(f"Harvesting: Datenbank {HARVEST_DATABASE} neu anlegen, migrieren")
    recreate_database(HARVEST_DATABASE)
    started = time.monotonic()
    manage(["migrate", "--no-input", "-v", "0"], django_env(HARVEST_DATABASE))
    results: dict = {"database": HARVEST_DATABASE, "migrate_seconds": round(time.monotonic() - started, 1)}
    say(f"Harvesting: Quelle mit {args.harvest_records:,} Datensätzen (CKAN-API und DCAT-AP.de-Turtle)")
    source = HarvestSource(args.harvest_records, args.random_seed, django_env(HARVEST_DATABASE), workdir)
    runs = {}
    try:
        results["source"] = source.wait_ready()
        say(
            f"Harvest-Quelle auf Port {source.port}: {results['source']['ckan_bytes'] / 2**20:.0f} MB JSON, "
            f"{results['source']['dcat_pages']} Turtle-Seiten ({results['source']['dcat_bytes'] / 2**20:.0f} MB)"
        )
        results["autoanalyze_stand_in"] = Autoanalyze.needed()
        for kind in ("ckan", "dcat"):
            say(f"Harvesting {kind.upper()}: zwei Läufe in einem Prozess (Zeit, Spitzen-RSS)")
            with Autoanalyze(HARVEST_DATABASE) if results["autoanalyze_stand_in"] else contextlib.nullcontext():
                runs[kind] = measure_harvest(kind, source, workdir, profile=args.harvest_profile)
    finally:
        source.stop()
        flush_redis()
    results["runs"] = runs
    results["protocol"] = (
        "bench/harvest.py: untrusted source (drafts), run_job in its own process against a scratch database, "
        "tasks queued to Redis and not consumed; peak RSS = os.wait4 ru_maxrss of that process; where the server "
        "runs without autovacuum, ANALYZE every 30 s in its place (autoanalyze_stand_in)"
    )
    return harvest_rows(runs, args.harvest_records), results


def run_harvest_only(args) -> int:
    started_run = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="stadtdaten-bench-"))
    rows, harvest = harvest_scenario(args, workdir)
    results = {"scenario": "harvest", "harvest": harvest, "random_seed": args.random_seed}
    results["rows"] = row_dicts(rows)
    results["machine"] = machine_info(HARVEST_DATABASE)
    results["wall_seconds"] = round(time.monotonic() - started_run, 1)
    out = Path(args.out if args.out != str(BENCH / "results" / "latest.json") else BENCH / "results" / "harvest.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(format_table(rows))
    for kind, figures in harvest["runs"].items():
        for entry in figures.get("profile", {}).get("by_own_time", [])[:10]:
            print(f"  {kind} {entry['own_share']:6.1%} eigen  {entry['cumulative_share']:6.1%} kumuliert  "
                  f"{entry['function']}")  # fmt: skip
    print(f"\nErgebnisse: {out} (Gesamtdauer {results['wall_seconds']:.0f} s)")
    return 1 if args.strict and any(row.verdict == "FAIL" for row in rows) else 0


def run(args) -> int:
    if args.only == "conversions":
        return run_conversions(args)
    if args.only == "harvest":
        return run_harvest_only(args)
    if args.only == "datastore":
        return run_datastore_only(args)
    started_run = time.monotonic()
    ensure_wrk()
    database = args.database or database_name(args.datasets)
    seed_env = django_env(database)
    results: dict = {"datasets": args.datasets, "database": database, "random_seed": args.random_seed}
    results["seeding"] = prepare_database(args, database, seed_env)

    secret_key = secrets.token_urlsafe(64)
    app_env = production_env(database, secret_key)
    say("collectstatic (whitenoise, Manifest wie in Produktion)")
    manage(["collectstatic", "--no-input", "-v", "0"], app_env)

    workdir = Path(tempfile.mkdtemp(prefix="stadtdaten-bench-"))
    say("Probe: Suchbegriffe, Token, Abfragezahlen, SQL für die Rohbasis")
    request_file, answer_file = workdir / "probe-in.json", workdir / "probe-out.json"
    request_file.write_text(json.dumps({"datasets": args.datasets, "from_seeder": not args.database}))
    subprocess.run(
        [PYTHON, __file__, "_probe", str(request_file), str(answer_file)],
        cwd=ROOT,
        env=django_env(database, ALLOWED_HOSTS="127.0.0.1"),
        check=True,
    )
    found = json.loads(answer_file.read_text())
    published = found["published"]
    if not published:
        raise SystemExit("Keine veröffentlichten Datensätze in der Datenbank")
    results["terms"] = found["terms"]
    results["query_counts"] = found["query_counts"]
    raw_spec = workdir / "raw-spec.json"
    raw_spec.write_text(json.dumps(found["raw"]))

    flush_redis()

    servers = []
    rows: list[Row] = []
    try:
        app = Server("app", "config.wsgi:application", app_env, ROOT, workdir)
        servers.append(app)
        raw = Server(
            "raw",
            "raw_app:application",
            {**os.environ, "BENCH_RAW_SPEC": str(raw_spec), "BENCH_RAW_DSN": f"{PG}/{database}"},
            BENCH,
            workdir,
        )
        servers.append(raw)
        app.wait_ready("/robots.txt")
        raw.wait_ready("/list?i=0")
        say(f"gunicorn: App auf Port {app.port}, Rohbasis auf Port {raw.port}, je {WORKERS} sync-Worker")

        sample = spread(published, 200)
        pages = max(1, -(-len(published) // 100))
        ckan_100 = [
            f"/api/3/action/package_search?rows=100&start={start}"
            for start in spread(range(0, max(1, len(published) - 100)), 10)
        ]
        ckan_100 += [f"/api/3/action/package_search?q={quote(term)}&rows=100" for term in found["terms"]["common"][:5]]
        ckan_1000 = [
            f"/api/3/action/package_search?rows=1000&start={start}"
            for start in spread(range(0, max(1, len(published) - 1000)), 10)
        ]
        ckan_1000 += [
            f"/api/3/action/package_search?q={quote(term)}&rows=1000" for term in found["terms"]["common"][:5]
        ]
        raw_search = [f"/search?i={k}" for k in range(len(found["paths"]["search_common"]))]
        raw_list = [f"/list?i={k}" for k in range(len(found["paths"]["list"]))]
        # (key, label, server, paths, connections, target)
        scenarios = [
            (
                "search_common",
                "Portal-Suche häufig, Facetten (c2)",
                app,
                found["paths"]["search_common"],
                2,
                Target("p95_ms", 150),
            ),
            ("raw_search_common", "Rohbasis: gleiche Such-SQL (c2)", raw, raw_search, 2, None),
            ("search_rare", "Portal-Suche selten (c2)", app, found["paths"]["search_rare"], 2, Target("p95_ms", 50)),
            (
                "search_very_common",
                "Portal-Suche sehr häufig (c2)",
                app,
                found["paths"]["search_very_common"],
                2,
                None,
            ),
            (
                "dataset_page",
                "Portal-Datensatzseite (c2)",
                app,
                [f"/datensatz/{name}/" for name in sample],
                2,
                Target("p95_ms", 30),
            ),
            (
                "rest_detail",
                "REST-Detail (c2)",
                app,
                [f"/api/v1/datasets/{name}/" for name in sample],
                2,
                Target("p95_ms", 30),
            ),
            ("rest_list_latency", "REST-Liste limit=20 + Cursor (c2)", app, found["paths"]["list"], 2, None),
            (
                "rest_list",
                "REST-Liste limit=20 + Cursor (c8)",
                app,
                found["paths"]["list"],
                8,
                Target("ratio", 0.35, at_least=True),
            ),
            ("raw_list", "Rohbasis: gleiche Listen-SQL (c8)", raw, raw_list, 8, None),
            ("ckan_search_100", "CKAN package_search rows=100 (c1)", app, ckan_100, 1, None),
            ("ckan_search_1000", "CKAN package_search rows=1000 (c1)", app, ckan_1000, 1, Target("p95_ms", 1000)),
            (
                "ckan_show",
                "CKAN package_show (c2)",
                app,
                [f"/api/3/action/package_show?id={name}" for name in sample],
                2,
                None,
            ),
            (
                "dcat_page",
                "DCAT /catalog.ttl?page=k (c2)",
                app,
                [f"/catalog.ttl?page={k}" for k in spread(list(range(1, pages + 1)), 20)],
                2,
                None,
            ),
        ]
        measured = {}
        results["load_average_before"] = os.getloadavg()
        for key, label, server, paths, connections, target in scenarios:
            problem = check_paths(server.port, paths)
            if problem:
                say(f"{label}: FEHLER {problem}")
                rows.append(
                    Row(label, note=f"Fehler: {problem[:60]}", target=target, details={"key": key, "error": problem})
                )
                continue
            if args.warmup:
                wrk(server.port, paths, connections=connections, duration=args.warmup, workdir=workdir)
            figures = wrk(server.port, paths, connections=connections, duration=args.duration, workdir=workdir)
            measured[key] = figures
            bad = figures["non2xx"] + figures["errors_connect"] + figures["errors_read"] + figures["errors_timeout"]
            say(
                f"{label}: p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
                f"{figures['rps']:.1f} req/s, Fehler {bad}"
            )
            rows.append(
                Row(
                    label,
                    figures["p50_ms"],
                    figures["p95_ms"],
                    figures["rps"],
                    note=f"{bad} Fehler/non-2xx" if bad else "",
                    target=target,
                    value=figures["p95_ms"] if target and target.metric == "p95_ms" else None,
                    details={"key": key, "connections": connections, "paths": len(paths), **figures},
                )
            )
        by_key = {row.details.get("key"): row for row in rows}
        hits = found["terms"]["hits"]
        for key in ("very_common", "common", "rare"):
            row = by_key.get(f"search_{key}")
            if row is not None:
                average = statistics.mean(hits[term] for term in found["terms"][key])
                row.note = ", ".join(filter(None, [row.note, f"Ø {average:,.0f} Treffer"]))
        for app_key, raw_key in (("search_common", "raw_search_common"), ("rest_list", "raw_list")):
            if app_key in measured and raw_key in measured:
                ratio = measured[app_key]["rps"] / measured[raw_key]["rps"]
                by_key[app_key].ratio = ratio
                by_key[raw_key].ratio = 1.0
                if by_key[app_key].target and by_key[app_key].target.metric == "ratio":
                    by_key[app_key].value = ratio

        results["load_average_after"] = os.getloadavg()
        say("Workflow: submit über die REST-API")
        transitions = (
            run_transitions(app.port, found["token"], found["submit"])
            if found["token"]
            else {"requests": 0, "statuses": {}, "p50_ms": None, "p95_ms": None, "refusals": []}
        )
        refused = transitions["requests"] - transitions["statuses"].get("201", 0)
        note = f"{transitions['requests']} Entwürfe" + (f", {refused} abgelehnt" if refused else "")
        if transitions["requests"] < TRANSITIONS:
            note += f" (nur {transitions['requests']} Entwürfe gefunden)"
        rows.append(
            Row(
                "Workflow submit (sequenziell)",
                transitions["p50_ms"],
                transitions["p95_ms"],
                note=note,
                details={"key": "transition_submit", **transitions},
            )
        )
    finally:
        for server in servers:
            server.stop()
        flush_redis()

    say("DCAT-Export als Unterprozess (Zeit, Spitzen-RSS)")
    exports = {fmt: measure_export(app_env, fmt, workdir) for fmt in ("nt", "ttl")}
    for fmt, export in exports.items():
        note = f"{export['bytes'] / 2**20:.0f} MB" + (f", {export['triples']:,} Tripel" if export["triples"] else "")
        if export["exit"]:
            note = f"Exit {export['exit']}"
        rows.append(
            Row(
                f"DCAT-Export {fmt}: Zeit",
                note=f"{export['seconds']:.1f} s; {note}",
                target=Target("seconds", 60),
                value=export["seconds"] if not export["exit"] else None,
                details={"key": f"export_{fmt}_seconds", **export},
            )
        )
        rows.append(
            Row(
                f"DCAT-Export {fmt}: Spitzen-RSS",
                note=f"{export['peak_rss_mb']:.0f} MB",
                target=Target("rss_mb", 200),
                value=export["peak_rss_mb"] if not export["exit"] else None,
                details={"key": f"export_{fmt}_rss"},
            )
        )

    harvest_table, harvest = harvest_scenario(args, workdir)
    rows += harvest_table
    datastore_table, datastore = datastore_scenario(args, workdir)
    rows += datastore_table

    counts = found["query_counts"]
    for label, first, second in (
        ("Abfragen package_search rows=100 vs 1000", "ckan_package_search_rows_100", "ckan_package_search_rows_1000"),
        ("Abfragen REST-Liste Seite 1 vs tiefer Cursor", "rest_list_page_1", "rest_list_deep_cursor"),
    ):
        a, b = counts[first]["queries"], counts[second]["queries"]
        rows.append(
            Row(
                label,
                note=f"{a} / {b} Abfragen",
                target=Target("queries_constant", 0),
                value=a == b,
                details={"key": f"queries_{first}"},
            )
        )

    seeding = results["seeding"]
    if not seeding.get("reused"):
        target = Target("seconds", 300) if args.datasets >= 100_000 else None
        rows.append(
            Row(
                f"Befüllen mit {args.datasets:,} Datensätzen",
                note=f"{seeding['wall_seconds']:.0f} s (Befehl selbst: {seeding.get('seconds', '?')} s)",
                target=target,
                value=seeding["wall_seconds"],
                details={"key": "seeding"},
            )
        )

    results["machine"] = machine_info(database)
    results["protocol"] = {
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "load_generator": "wrk -t1, closed loop; latency at -c2 (-c1 for package_search), throughput at -c8",
        "gunicorn": f"{WORKERS} sync workers per server, app with DJANGO_ENV=production",
        "query_counts": "django.test.Client in a subprocess against the bench database, CaptureQueriesContext",
        "peak_rss": "os.wait4 ru_maxrss of the export_dcat process",
        "raw_baseline": (
            "bench/raw_app.py runs the SQL captured from the app's own views (CaptureQueriesContext) "
            "on one persistent psycopg2 connection per worker"
        ),
    }
    results["transition_submit"] = transitions
    results["exports"] = exports
    results["harvest"] = harvest
    results["datastore"] = datastore
    results["rows"] = row_dicts(rows)
    results["wall_seconds"] = round(time.monotonic() - started_run, 1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    shutil.rmtree(workdir, ignore_errors=True)

    machine = results["machine"]
    postgres = machine["postgresql"]
    load = results.get("load_average_before", [0])[0], results.get("load_average_after", [0])[0]
    print()
    print(
        f"N = {args.datasets:,} ({len(published):,} veröffentlicht), {machine['cpu_model']}, "
        f"{machine['cores']} Kerne, PostgreSQL {postgres['server_version']} "
        f"(shared_buffers {postgres['shared_buffers']}, work_mem {postgres['work_mem']}), "
        f"gunicorn {WORKERS} sync-Worker, wrk {args.duration} s je Szenario, "
        f"Last vorher/nachher {load[0]:.1f}/{load[1]:.1f}"
    )
    print(format_table(rows))
    print(f"\nErgebnisse: {out} (Gesamtdauer {results['wall_seconds']:.0f} s)")
    failed = [row.scenario for row in rows if row.verdict == "FAIL"]
    return 1 if failed and args.strict else 0


# ---------------------------------------------------------------------------
# The table store (issue 24, bench/datastore.py)

DATASTORE_DATABASE = "stadtdaten_bench_datastore"


def datastore_step(step: str, request: dict, env: dict, workdir: Path) -> tuple[dict, dict]:
    """One step of bench/datastore.py in its own process: (its answer, the process's exit,
    wall seconds and peak RSS from wait4)."""
    request_file, answer_file = workdir / f"datastore-{step}-in.json", workdir / f"datastore-{step}-out.json"
    request_file.write_text(json.dumps(request))
    answer_file.unlink(missing_ok=True)
    started = time.monotonic()
    process = subprocess.Popen([PYTHON, __file__, "_datastore", step, str(request_file), str(answer_file)], cwd=ROOT,
                               env=env)  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    figures = {
        "exit": process.returncode,
        "wall_seconds": round(time.monotonic() - started, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }
    if process.returncode != 0 or not answer_file.exists():
        raise SystemExit(f"Datastore-Schritt {step} ist fehlgeschlagen (Exit {process.returncode})")
    return json.loads(answer_file.read_text()), figures


def datastore_load_rows(load: dict, process: dict, rows: int, prepared: dict) -> list[Row]:
    """The table rows of the load: time and peak RSS of the loading process against the
    targets of issue 24 (judged only if the whole table was loaded), the checks before it
    for information."""
    complete = load.get("status") == "ready" and load.get("rows") == rows
    note = f"{load.get('seconds', 0):.1f} s in load(), Prozess {process['wall_seconds']:.0f} s mit Start"
    if not complete:
        note = f"nicht geladen: {load.get('status')} {load.get('message', '')}"[:90]
    checks = prepared["reports"]
    return [
        Row(
            f"Datastore: Laden {rows:,} Zeilen: Zeit",
            note=note,
            target=Target("seconds", 60),
            value=load["seconds"] if complete else None,
            details={"key": "datastore_load_seconds", **{k: v for k, v in load.items() if k != "columns"}},
        ),
        Row(
            f"Datastore: Laden {rows:,} Zeilen: Spitzen-RSS",
            note=f"{process['peak_rss_mb']:.0f} MB (nach dem Start {load.get('rss_mb_before', 0):.0f} MB)",
            target=Target("rss_mb", 300),
            value=process["peak_rss_mb"] if complete else None,
            details={"key": "datastore_load_rss", **process},
        ),
        Row(
            "Datastore: Prüfungen vor dem Laden",
            note=f"{prepared['check_seconds']:.0f} s Validierung und Geheimhaltung ("
            + ", ".join(f"{kind}: {'ok' if report['valid'] else 'nicht bestanden'}" for kind, report in checks.items())
            + f"), Hochladen {prepared['upload_seconds']:.0f} s",
            details={
                "key": "datastore_checks",
                "check_seconds": prepared["check_seconds"],
                "upload_seconds": prepared["upload_seconds"],
            },
        ),
    ]


def datastore_scenario(args, workdir: Path) -> tuple[list[Row], dict]:
    """Issue 24: scratch database, the table uploaded, checked, published and loaded, then
    rows and groups under 8 clients beside the raw baseline."""
    sys.path.insert(0, str(ROOT))
    from bench import datastore as scenario

    rows_wanted = args.datastore_rows
    say(f"Datastore: Datenbank {DATASTORE_DATABASE} neu anlegen, migrieren")
    recreate_database(DATASTORE_DATABASE)
    started = time.monotonic()
    manage(["migrate", "--no-input", "-v", "0"], django_env(DATASTORE_DATABASE))
    results: dict = {"database": DATASTORE_DATABASE, "rows": rows_wanted,
                     "migrate_seconds": round(time.monotonic() - started, 1)}  # fmt: skip
    media = workdir / "datastore-media"
    media.mkdir(parents=True, exist_ok=True)
    csv_path = workdir / "buchungen.csv"
    started = time.monotonic()
    size = scenario.write_csv(csv_path, rows_wanted, args.random_seed)
    results["csv"] = {"bytes": size, "write_seconds": round(time.monotonic() - started, 1)}
    say(f"Datastore: {rows_wanted:,} Zeilen geschrieben ({size / 2**20:.0f} MB); hochladen, prüfen, veröffentlichen")
    # Tasks go to Redis and stay there: the load runs below, measured on its own.
    env = django_env(DATASTORE_DATABASE, MEDIA_ROOT=str(media), CELERY_BROKER_URL=BROKER_URL,
                     ALLOWED_HOSTS="127.0.0.1")  # fmt: skip
    rows: list[Row] = []
    try:
        prepared, figures = datastore_step("prepare", {"csv": str(csv_path)}, env, workdir)
        csv_path.unlink()
        results["prepare"] = {**prepared, "process": figures}
        say(f"Datastore: Prüfungen {prepared['check_seconds']} s; {prepared['reports']}; Zustand {prepared['state']}")
        say("Datastore: datastore.loader.load im eigenen Prozess (Zeit, Spitzen-RSS)")
        profile = workdir / "datastore-load.pstats" if args.datastore_profile else None
        load, process = datastore_step(
            "load", {"distribution": prepared["distribution"], "profile": str(profile or "")}, env, workdir
        )
        results["load"] = {**load, "process": process}
        say(f"Datastore: geladen {load.get('status')} in {load.get('seconds')} s, Spitze {process['peak_rss_mb']} MB")
        if profile is not None and profile.exists():
            from bench.harvest import profile_summary

            results["load"]["profile"] = profile_summary(str(profile))
            target = BENCH / "results" / "datastore-load.pstats"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(profile, target)
            results["load"]["profile_file"] = str(target)
        rows += datastore_load_rows(load, process, rows_wanted, prepared)
        if load.get("status") != "ready":
            return rows, results
        timeout_ms = int(os.environ.get("DATASTORE_TIMEOUT_MS", "5000"))
        found, _figures = datastore_step(
            "probe", {"identifier": prepared["identifier"], "timeout_ms": timeout_ms, "headers": PROXY_HEADERS},
            env, workdir,
        )  # fmt: skip
        results["probe"] = {key: found[key] for key in ("checked", "explain", "table", "rows")}
        # In place of autovacuum where the server runs without it (see Autoanalyze): the
        # catalog's tables were filled from nothing; the store's table has its ANALYZE from the load.
        results["analyze_stand_in"] = Autoanalyze.needed()
        if results["analyze_stand_in"]:
            connection = pg_connect(DATASTORE_DATABASE)
            try:
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            finally:
                connection.close()
        rows += datastore_load_scenarios(args, found, workdir, results)
    finally:
        flush_redis()
    return rows, results


def datastore_load_scenarios(args, found: dict, workdir: Path, results: dict) -> list[Row]:
    """App and raw baseline under gunicorn (2 sync workers each), wrk -c8 per scenario."""
    raw_spec = workdir / "datastore-raw-spec.json"
    raw_spec.write_text(json.dumps(found["raw"]))
    app_env = production_env(DATASTORE_DATABASE, secrets.token_urlsafe(64))
    servers, rows, measured = [], [], {}
    try:
        app = Server("datastore-app", "config.wsgi:application", app_env, ROOT, workdir)
        servers.append(app)
        raw = Server(
            "datastore-raw", "raw_app:application",
            {**os.environ, "BENCH_RAW_SPEC": str(raw_spec), "BENCH_RAW_DSN": f"{PG}/{DATASTORE_DATABASE}"},
            BENCH, workdir,
        )  # fmt: skip
        servers.append(raw)
        app.wait_ready(found["paths"]["rows"][0])
        raw.wait_ready("/rows?i=0")
        say(f"Datastore: App auf Port {app.port}, Rohbasis auf Port {raw.port}, je {WORKERS} sync-Worker")
        raw_paths = {kind: [f"/{kind}?i={k}" for k in range(len(found["raw"][kind]))] for kind in ("rows", "groups")}
        scenarios = [
            ("datastore_rows", "Datastore: Zeilen gefiltert+sortiert (c8)", app, found["paths"]["rows"],
             Target("p95_ms", 100)),
            ("raw_datastore_rows", "Rohbasis: gleiche Zeilen-SQL (c8)", raw, raw_paths["rows"], None),
            ("datastore_groups", "Datastore: Aggregat group_by (c8)", app, found["paths"]["groups"],
             Target("p95_ms", 300)),
            ("raw_datastore_groups", "Rohbasis: gleiche Aggregat-SQL (c8)", raw, raw_paths["groups"], None),
        ]  # fmt: skip
        results["load_average_before"] = os.getloadavg()
        for key, label, server, paths, target in scenarios:
            problem = check_paths(server.port, paths)
            if problem:
                say(f"{label}: FEHLER {problem}")
                rows.append(Row(label, note=f"Fehler: {problem[:60]}", target=target,
                                details={"key": key, "error": problem}))  # fmt: skip
                continue
            if args.warmup:
                wrk(server.port, paths, connections=8, duration=args.warmup, workdir=workdir)
            figures = wrk(server.port, paths, connections=8, duration=args.duration, workdir=workdir)
            measured[key] = figures
            bad = figures["non2xx"] + figures["errors_connect"] + figures["errors_read"] + figures["errors_timeout"]
            say(f"{label}: p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
                f"{figures['rps']:.1f} req/s, Fehler {bad}")  # fmt: skip
            rows.append(Row(label, figures["p50_ms"], figures["p95_ms"], figures["rps"],
                            note=f"{bad} Fehler/non-2xx" if bad else "", target=target,
                            value=figures["p95_ms"] if target else None,
                            details={"key": key, "connections": 8, "paths": len(paths), **figures}))  # fmt: skip
        results["load_average_after"] = os.getloadavg()
    finally:
        for server in servers:
            server.stop()
    by_key = {row.details.get("key"): row for row in rows}
    for kind, label in (("rows", "Zeilen"), ("groups", "Aggregat")):
        app_key, raw_key = f"datastore_{kind}", f"raw_datastore_{kind}"
        ratio = measured[app_key]["rps"] / measured[raw_key]["rps"] if {app_key, raw_key} <= measured.keys() else None
        if ratio is not None:
            by_key[app_key].ratio, by_key[raw_key].ratio = ratio, 1.0
        rows.append(Row(f"Datastore: {label}, Durchsatz zur Rohbasis (c8)", ratio=ratio,
                        target=Target("ratio", 0.5, at_least=True), value=ratio,
                        details={"key": f"datastore_{kind}_ratio"}))  # fmt: skip
    return rows


def run_datastore_only(args) -> int:
    started_run = time.monotonic()
    ensure_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="stadtdaten-bench-"))
    load_before = os.getloadavg()
    rows, datastore = datastore_scenario(args, workdir)
    results = {"scenario": "datastore", "datastore": datastore, "random_seed": args.random_seed,
               "load_average_at_start": load_before}  # fmt: skip
    results["rows"] = row_dicts(rows)
    results["machine"] = machine_info(DATASTORE_DATABASE)
    results["protocol"] = (
        "bench/datastore.py: CSV written from the seed, uploaded/checked/published through catalog services and "
        "the workflow, datastore.loader.load in its own process (peak RSS = os.wait4 ru_maxrss); app and "
        "raw_app.py (the store's statements from datastore.query in engine.read_all's read-only transaction) "
        f"under gunicorn with {WORKERS} sync workers each, wrk -t1 -c8 closed loop, warm-up then measurement"
    )
    results["wall_seconds"] = round(time.monotonic() - started_run, 1)
    out = Path(args.out if args.out != str(BENCH / "results" / "latest.json") else BENCH / "results" / "datastore.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    shutil.rmtree(workdir, ignore_errors=True)
    load = datastore.get("load_average_before"), datastore.get("load_average_after")
    print()
    print(
        f"{args.datastore_rows:,} Zeilen, {os.cpu_count()} Kerne, Last beim Start {load_before[0]:.1f}"
        + (f", vor/nach den Lastszenarien {load[0][0]:.1f}/{load[1][0]:.1f}" if load[0] and load[1] else "")
    )
    print(format_table(rows))
    for entry in datastore.get("load", {}).get("profile", {}).get("by_own_time", [])[:12]:
        print(f"  Laden {entry['own_share']:6.1%} eigen  {entry['cumulative_share']:6.1%} kumuliert  "
              f"{entry['function']}")  # fmt: skip
    print(f"\nErgebnisse: {out} (Gesamtdauer {results['wall_seconds']:.0f} s)")
    return 1 if args.strict and any(row.verdict == "FAIL" for row in rows) else 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_probe"]:
        request = json.loads(Path(argv[1]).read_text())
        Path(argv[2]).write_text(json.dumps(probe(request)))
        return 0
    if argv[:1] in (["_harvest_source"], ["_harvest"]):
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from bench import harvest

        if argv[0] == "_harvest_source":
            harvest.serve(int(argv[1]), int(argv[2]), Path(argv[3]))
        else:
            Path(argv[2]).write_text(json.dumps(harvest.harvest(json.loads(Path(argv[1]).read_text()))))
        return 0
    if argv[:1] == ["_datastore"]:
        # The project's root first: `datastore` is the app, bench/datastore.py is bench.datastore.
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from bench import datastore as scenario

        step = {"prepare": scenario.prepare, "load": scenario.load, "probe": scenario.probe}[argv[1]]
        Path(argv[3]).write_text(json.dumps(step(json.loads(Path(argv[2]).read_text())), default=str))
        return 0
    if argv[:1] == ["_conversions"]:
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from conversions import prepare

        Path(argv[2]).write_text(json.dumps(prepare(argv[1])))
        return 0
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
