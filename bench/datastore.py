"""The table-store scenario of issue 24 (part of every `make bench`; alone:
`python bench/run.py --only datastore`): a table of 1,000,000 rows goes the real way into
the store and is queried under load.

Steps, each in its own process with Django set up (bench/run.py `_datastore <step>`),
against the scratch database stadtdaten_bench_datastore:

- `prepare`: an organisation with steward, owner and legal reviewer; a dataset with the
  CSV written by `write_csv` uploaded through catalog.services.add_distribution (within
  the normal upload caps), checked by catalog.tabular_validation.check_distribution
  (validation and disclosure check, timed: not part of the load target) and published
  through the workflow (submit, sign off, approve, publish). Tasks go to Redis and are
  not consumed: the load is measured on its own.
- `load`: datastore.loader.load(distribution), as the worker runs it; the parent takes
  wall time and peak RSS of this process from wait4 (targets ≤ 60 s, ≤ 300 MB).
- `probe`: the query paths of the two load scenarios and, for the raw baseline, the very
  SQL the store runs for them (datastore.query.rows_sql / groups_sql with the parameters
  as the API parses them, in engine.read_all's read-only transaction), checked against
  what the app really ran for one request of each kind.

What is written for row i depends only on the random seed.
"""

from __future__ import annotations

import json
import os
import random
import resource
import time
from datetime import date, timedelta
from urllib.parse import urlencode

ROWS = 1_000_000
DATABASE = "stadtdaten_bench_datastore"
HEADER = ("Stichtag", "Stadtteil", "Kategorie", "Anzahl", "Betrag", "Bemerkung", "PLZ")
DISTRICT, CATEGORY, AMOUNT = "Stadtteil", "Kategorie", "Betrag"
DISTRICTS = (
    "Altstadt", "Neustadt", "Nordvorstadt", "Südvorstadt", "Lindenau", "Gohlis", "Connewitz", "Plagwitz",
    "Schleußig", "Reudnitz", "Stötteritz", "Paunsdorf", "Grünau", "Mockau", "Eutritzsch", "Möckern",
    "Anger-Crottendorf", "Sellerhausen", "Volkmarsdorf", "Zentrum-Ost",
)  # fmt: skip
CATEGORIES = tuple(
    f"{area} {kind}"
    for area in ("Straßenbau", "Grünpflege", "Schulen", "Kitas", "Sport", "Kultur", "Verkehr", "Umwelt", "Soziales",
                 "Feuerwehr")
    for kind in ("Betrieb", "Investition", "Personal", "Sachmittel", "Zuschuss")
)  # fmt: skip
WORDS = (
    "Antrag", "Prüfung", "Zahlung", "Rechnung", "Vertrag", "Nachtrag", "Abschlag", "Förderung", "Wartung",
    "Reparatur", "Sanierung", "Neubau", "Anschaffung", "Miete", "Pacht", "Gebühr", "Erstattung", "Zuschuss",
    "Straße", "Brücke", "Schule", "Spielplatz", "Sporthalle", "Bibliothek", "Friedhof", "Park", "Radweg",
    "Beleuchtung", "Kanal", "Fahrzeug", "Software", "Möbel", "Reinigung", "Winterdienst", "Baumschnitt",
    "Quartal", "Jahresabschluss", "Nachweis", "geprüft", "offen", "erledigt", "dringend", "verschoben",
)  # fmt: skip
FIRST_DAY = date(2015, 1, 1)
DAYS = 3652  # ten years
# Districts each load scenario rotates over (as many paths as the other scenarios use per kind).
ROTATION = 10


def write_csv(path, rows: int, seed: int) -> int:
    """Write the table: `;`-separated, UTF-8, German dates and decimal commas, a postal
    code with its leading zero, a remark of one to three words (a fifth empty). Returns
    the file's size in bytes."""
    pick = random.Random(seed)  # noqa: S311 - made-up rows, the same for the same seed
    days = [(FIRST_DAY + timedelta(days=k)).strftime("%d.%m.%Y") for k in range(DAYS)]
    postcodes = [f"0{pick.randint(1000, 9999)}" for _ in range(60)]
    with open(path, "w", encoding="utf-8", newline="") as target:
        target.write(";".join(HEADER) + "\r\n")
        lines = []
        for _number in range(rows):
            words = pick.randint(0, 3) if pick.random() >= 0.2 else 0
            remark = " ".join(pick.choice(WORDS) for _ in range(words))
            cents = int(pick.lognormvariate(9, 1.5)) % 100_000_000
            lines.append(
                f"{pick.choice(days)};{pick.choice(DISTRICTS)};{pick.choice(CATEGORIES)};{pick.randint(3, 5000)};"
                f"{cents // 100},{cents % 100:02d};{remark};{pick.choice(postcodes)}\r\n"
            )
            if len(lines) == 10_000:
                target.write("".join(lines))
                lines = []
        target.write("".join(lines))
    return os.path.getsize(path)


def query_params(kind: str, district: str) -> list[tuple[str, str]]:
    """The parameters of one request of the `rows` or `groups` scenario."""
    if kind == "rows":
        return [(DISTRICT, district), ("sort", f"-{AMOUNT}"), ("limit", "100")]
    return [("group_by", CATEGORY), ("agg", f"sum:{AMOUNT}"), ("agg", "count"), (DISTRICT, district)]


def api_path(identifier: str, kind: str, district: str) -> str:
    return f"/api/v1/tables/{identifier}/{kind}/?{urlencode(query_params(kind, district))}"


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# ---------------------------------------------------------------------------
# Steps with Django set up


def prepare(request: dict) -> dict:
    """The published dataset with the uploaded, checked table (see the module)."""
    from django.core.files.uploadedfile import UploadedFile

    from catalog import services, workflow
    from catalog.models import Confidentiality, Dataset, DistributionReport, PersonalDataStatus, ProtectionNeed
    from catalog.tabular_validation import check_distribution
    from governance import services as governance
    from governance.models import DataProtectionRegime, DNGRole, Organisation, Role
    from governance.reference_data import ensure_vocabularies, install_default_rule_set

    ensure_vocabularies()
    install_default_rule_set()
    organisation = Organisation.objects.create(
        slug="stadt-tabellen", name="Stadt Tabellen", municipality="Tabellenstadt", state="SN",
        dng_role=DNGRole.PUBLIC_BODY, data_protection_regime=DataProtectionRegime.THUERDSG,
    )  # fmt: skip
    people = {}
    for username, role in (("bench.steward", Role.STEWARD), ("bench.owner", Role.OWNER),
                           ("bench.legal", Role.LEGAL_REVIEWER)):  # fmt: skip
        people[role] = governance.create_account(username, home=organisation, by=None, password=None)
        governance.assign_role(people[role], role, organisation, by=None, note="Benchmark")
    steward = people[Role.STEWARD]
    dataset = services.create_dataset(
        by=steward,
        fields={
            "name": "haushalt-buchungen", "title": "Buchungen des Haushalts",
            "description": "Alle Buchungen nach Stadtteil und Kategorie, eine Million Zeilen (Leistungsmessung).",
            "publisher": organisation, "contact_name": "Kämmerei", "contact_email": "kaemmerei@tabellen.example",
        },
        keywords=["Haushalt"], themes=["GOVE"],
    )  # fmt: skip
    services.classify_dataset(dataset, by=steward, fields={
        "personal_data": PersonalDataStatus.NONE, "confidentiality": Confidentiality.OEFFENTLICH,
        "protection_confidentiality": ProtectionNeed.NORMAL, "protection_integrity": ProtectionNeed.NORMAL,
        "protection_availability": ProtectionNeed.NORMAL, "spatial_granularity": "point",
        "temporal_granularity": "year", "justification": "Sachdaten ohne Personenbezug.",
    })  # fmt: skip
    figures = {}
    started = time.monotonic()
    path = request["csv"]
    with open(path, "rb") as source:
        upload = UploadedFile(source, name="buchungen.csv", content_type="text/csv", size=os.path.getsize(path))
        distribution = services.add_distribution(dataset, by=steward, title="Buchungen (CSV)", upload=upload)
    figures["upload_seconds"] = round(time.monotonic() - started, 1)
    started = time.monotonic()
    check_distribution(distribution.pk)
    figures["check_seconds"] = round(time.monotonic() - started, 1)
    figures["reports"] = {
        kind: {"valid": valid, "summary": summary}
        for kind, valid, summary in DistributionReport.objects.filter(distribution=distribution).values_list(
            "kind", "valid", "summary"
        )
    }

    def step(action, by, **data):
        current = Dataset.objects.get(pk=dataset.pk)
        workflow.perform(action, current, by=by, data={"expected_version": current.version, **data})

    started = time.monotonic()
    step("submit", steward)
    step("sign_off", people[Role.OWNER])
    step("approve", people[Role.LEGAL_REVIEWER], confirmed=True)
    step("publish", steward, confirm_alternative=True)
    figures["publish_seconds"] = round(time.monotonic() - started, 1)
    distribution.refresh_from_db()
    dataset.refresh_from_db()
    return {
        **figures,
        "dataset": dataset.name,
        "state": dataset.state,
        "distribution": distribution.pk,
        "identifier": str(distribution.identifier),
        "status": distribution.status,
        "byte_size": distribution.byte_size,
        "peak_rss_mb": peak_rss_mb(),
    }


def load(request: dict) -> dict:
    """datastore.loader.load as the worker runs it (optionally under cProfile)."""
    from catalog.models import Distribution
    from datastore import loader

    distribution = Distribution.objects.select_related("dataset").get(pk=request["distribution"])
    before = peak_rss_mb()
    profiler = None
    if request.get("profile"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.monotonic()
    table = loader.load(distribution)
    seconds = time.monotonic() - started
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(request["profile"])
    if table is None:
        return {"status": "not eligible", "seconds": round(seconds, 2), "rss_mb_before": before}
    return {
        "status": table.status,
        "message": table.message,
        "seconds": round(seconds, 2),
        "rows": table.rows,
        "table": table.table_name,
        "columns": table.columns,
        "rss_mb_before": before,
        "peak_rss_mb": peak_rss_mb(),
    }


def probe(request: dict) -> dict:
    """The paths of both load scenarios and the statements of the raw baseline."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from datastore import engine, query
    from datastore.permissions import queryable_table

    table = queryable_table(request["identifier"])
    if table is None:
        raise SystemExit("Die Tabelle ist nicht abfragbar")
    districts = list(DISTRICTS[:ROTATION])
    # engine.read_all's transaction, word for word.
    role = f"SET LOCAL ROLE {engine.READER_ROLE}; " if engine.reader_role_usable() else ""
    settings_sql = (
        f"SET LOCAL transaction_read_only = on; {role}SET LOCAL statement_timeout = {int(request['timeout_ms'])}"
    )
    paths, raw = {}, {}
    with connection.cursor() as cursor:
        for kind in ("rows", "groups"):
            paths[kind], raw[kind] = [], []
            for district in districts:
                built = query.Query(columns=table.columns)
                for name, value in query_params(kind, district):
                    if name not in ("sort", "limit", "group_by", "agg"):
                        query.add_condition(built, name, "", [value], name)
                if kind == "rows":
                    query.set_sort(built, f"-{AMOUNT}")
                    query.set_limit(built, 100)
                    sql, params = query.rows_sql(built, table.table_name)
                else:
                    query.set_groups(built, [CATEGORY], [f"sum:{AMOUNT}", "count"])
                    query.set_limit(built, query.DEFAULT_LIMIT)
                    sql, params = query.groups_sql(built, table.table_name)
                statement = cursor.cursor.mogrify(sql, params).decode()
                paths[kind].append(api_path(request["identifier"], kind, district))
                raw[kind].append(["BEGIN", settings_sql, statement, "ROLLBACK"])
    # The same statements as the app's: one request of each kind, its SQL captured.
    client = Client(HTTP_HOST="127.0.0.1", headers=request.get("headers") or {})
    checked = {}
    for kind in ("rows", "groups"):
        with CaptureQueriesContext(connection) as context:
            response = client.get(paths[kind][0])
        if response.status_code != 200:
            raise SystemExit(f"{paths[kind][0]} antwortet {response.status_code}: {response.content[:300]!r}")
        captured = [entry["sql"] for entry in context.captured_queries]
        if raw[kind][0][2] not in captured or settings_sql not in captured:
            raise SystemExit(f"Die Rohbasis weicht von der App ab ({kind}):\n{json.dumps(captured, indent=1)}")
        checked[kind] = {"app_queries": len(captured), "records": len(response.json()["records"])}
    explain = {}
    with connection.cursor() as cursor:
        for kind in ("rows", "groups"):
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {raw[kind][0][2]}")  # our own captured statement
            explain[kind] = [line for (line,) in cursor.fetchall()]
    return {"paths": paths, "raw": raw, "checked": checked, "explain": explain, "table": table.table_name,
            "rows": table.rows, "columns": table.columns}  # fmt: skip
