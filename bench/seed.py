"""Fill PostgreSQL with N realistic datasets for the performance benchmark (issue 12).

Fast on purpose: rows go in with COPY, one transaction per batch, without model
signals. So the bench rows have no history rows, no audit events and no files; the
database is for measuring only, never for real use. The search documents are written
at the end by the app's own index writer (portal.services.index_datasets, two statements).

What is seeded for dataset i of N depends only on i, N and the random seed, and its
workflow state only on i and N (`state_of`), so the load runner can pick names without
asking the database.
"""

from __future__ import annotations

import io
import json
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

from catalog import engine
from catalog.models import (
    Classification,
    Confidentiality,
    Dataset,
    DatasetState,
    Distribution,
    DistributionKind,
    DistributionStatus,
    Keyword,
    PersonalDataStatus,
    ProtectionNeed,
    SpatialGranularity,
    TemporalGranularity,
    Theme,
)
from catalog.vocabularies import FILE_TYPES_BY_CODE, LICENCES_BY_CODE, Frequency, HVDCategory, Language
from governance import audit
from governance import services as governance
from governance.models import (
    DataProtectionRegime,
    Decision,
    DecisionKind,
    DecisionPolicyVersion,
    DecisionRuleVersion,
    DNGRole,
    Organisation,
    OrgType,
    PolicyVersion,
    Role,
)
from governance.reference_data import ensure_vocabularies, install_default_rule_set
from portal.services import index_datasets

from . import vocabulary as V

NAME_PREFIX = "bench-"
PASSWORD = "Bench-Stadtdaten-2026"
BATCH_SIZE = 5000
S = DatasetState

# Planned share of each workflow state; the rest of the workflow is spread thinly.
STATE_PLAN = [
    (S.PUBLISHED, 0.60),
    (S.DRAFT, 0.12),
    (S.IN_REVIEW, 0.06),
    (S.ETHICS_REVIEW, 0.04),
    (S.LEGAL_REVIEW, 0.06),
    (S.APPROVED, 0.04),
    (S.RETURNED, 0.04),
    (S.WITHDRAWN, 0.04),
]
# States that went through a final decision: their classification is open and their
# basis is recorded. Withdrawn ones were published before.
DECIDED_STATES = (S.PUBLISHED, S.APPROVED, S.WITHDRAWN)

# slug suffix, name, org type (the city itself is the legal entity of all but the GmbH)
UNITS = [
    ("kaemmerei", "Kämmerei", OrgType.KERNVERWALTUNG),
    ("stadtplanung", "Amt für Stadtplanung", OrgType.KERNVERWALTUNG),
    ("umwelt", "Umweltamt", OrgType.KERNVERWALTUNG),
    ("ordnungsamt", "Ordnungsamt", OrgType.KERNVERWALTUNG),
    ("tiefbau", "Tiefbauamt", OrgType.KERNVERWALTUNG),
    ("statistik", "Amt für Statistik und Wahlen", OrgType.KERNVERWALTUNG),
    ("stadtwerke", "Stadtwerke (Eigenbetrieb)", OrgType.EIGENBETRIEB),
    ("verkehrsbetriebe", "Verkehrsbetriebe GmbH", OrgType.EIGENGESELLSCHAFT),
]


@dataclass(frozen=True)
class City:
    number: int
    name: str
    state: str
    municipality_key: str
    regime: str
    contributor: str

    @property
    def slug(self) -> str:
        return f"bench-stadt-{self.number}"

    @property
    def domain(self) -> str:
        return f"{self.name.lower().replace('ü', 'ue').replace('ö', 'oe')}.example"


CITIES = [
    City(1, "Rosenfeld", "TH", "16077011", DataProtectionRegime.THUERDSG, "stadtRosenfeld"),
    City(2, "Wiesental", "BW", "08337120", DataProtectionRegime.LDSG_BW, "stadtWiesental"),
    City(3, "Seeburg", "NI", "03159020", DataProtectionRegime.OTHER, "stadtSeeburg"),
    City(4, "Falkenau", "SN", "14522140", DataProtectionRegime.OTHER, "stadtFalkenau"),
]

# Role holders on the first city (the runner logs in as bench.steward) and one steward per other city.
FIRST_CITY_USERS = {
    Role.STEWARD: "bench.steward",
    Role.OWNER: "bench.owner",
    Role.LEGAL_REVIEWER: "bench.legal",
    Role.GOVERNANCE_ADMIN: "bench.admin",
}


def other_city_steward(city: City) -> str:
    return f"bench.steward.{city.slug}"


def dataset_name(i: int) -> str:
    return f"{NAME_PREFIX}{i:06d}"


def _spread(i: int, multiplier: int) -> float:
    """A well spread number in [0, 1) for i (Fibonacci hashing): consecutive numbers land
    far apart, so every prefix 1..N has close to the planned shares."""
    return ((i * multiplier) & 0xFFFFFFFF) / 2**32


def state_of(i: int, n: int) -> str:
    """The workflow state of dataset bench-i in a catalog of n (pure, no database)."""
    if not 1 <= i <= n:
        raise ValueError(f"dataset number {i} is outside 1..{n}")
    position = _spread(i, 0x9E3779B1)
    total = 0.0
    for state, share in STATE_PLAN:
        total += share
        if position < total:
            return state
    return STATE_PLAN[0][0]


def city_of(i: int, n: int) -> int:
    """The number (1–4) of the city that publishes dataset bench-i (pure, no database);
    bench.steward may act on the datasets of city 1."""
    if not 1 <= i <= n:
        raise ValueError(f"dataset number {i} is outside 1..{n}")
    return (i - 1) % len(CITIES) + 1


def names_in_state(state: str, n: int, *, city: int | None = None) -> list[str]:
    """The names of the datasets in `state` (of one city if given), in number order."""
    return [
        dataset_name(i) for i in range(1, n + 1) if state_of(i, n) == state and (city is None or city_of(i, n) == city)
    ]


# ---------------------------------------------------------------------------
# COPY


def _copy_value(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, (datetime, date)):
        value = value.isoformat()
    elif isinstance(value, (int, float, Decimal, uuid.UUID)):
        return str(value)
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_rows(cursor, model, rows: list[dict]) -> None:
    """COPY rows (dicts keyed by field attname, all with the same keys) into model's table."""
    if not rows:
        return
    attnames = list(rows[0])
    fields = {field.attname: field for field in model._meta.concrete_fields}
    column_names = ", ".join(connection.ops.quote_name(fields[attname].column) for attname in attnames)
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_copy_value(row[attname]) for attname in attnames))
        buffer.write("\n")
    buffer.seek(0)
    table = connection.ops.quote_name(model._meta.db_table)
    cursor.copy_expert(f"COPY {table} ({column_names}) FROM STDIN", buffer)


def allocate_ids(cursor, model, count: int) -> list[int]:
    """Take `count` ids from the table's sequence, so rows can name each other before COPY."""
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [model._meta.db_table, count]
    )
    return [row[0] for row in cursor.fetchall()]


# ---------------------------------------------------------------------------
# Organisations, people, reference data


class BenchDataExists(Exception):
    pass


def bench_data_exists() -> bool:
    return (
        Organisation.objects.filter(slug__startswith="bench-stadt-").exists()
        or Dataset.objects.filter(name__startswith=NAME_PREFIX).exists()
    )


@dataclass
class Network:
    cities: dict[int, Organisation]
    units: dict[int, list[Organisation]]
    stewards: dict[int, int]  # city number → user id
    owner_id: int
    legal_id: int


def create_network() -> Network:
    password_hash = make_password(PASSWORD)  # one slow hash for all bench users
    cities, units, stewards = {}, {}, {}
    with transaction.atomic():
        for city in CITIES:
            common = {
                "municipality": city.name,
                "municipality_key": city.municipality_key,
                "state": city.state,
                "dng_role": DNGRole.PUBLIC_BODY,
                "data_protection_regime": city.regime,
                "dpo_contact": f"datenschutz@{city.domain}",
                "contributor_id": f"http://dcat-ap.de/def/contributors/{city.contributor}",
                "website": f"https://www.{city.domain}",
            }
            parent = Organisation.objects.create(
                slug=city.slug,
                name=f"Stadt {city.name}",
                org_type=OrgType.KERNVERWALTUNG,
                email=f"daten@{city.domain}",
                **common,
            )
            cities[city.number] = parent
            units[city.number] = []
            for suffix, label, org_type in UNITS:
                company = org_type == OrgType.EIGENGESELLSCHAFT
                fields = {
                    **common,
                    "dng_role": DNGRole.DASEINSVORSORGE if org_type != OrgType.KERNVERWALTUNG else DNGRole.PUBLIC_BODY,
                }
                if company:
                    fields["data_protection_regime"] = DataProtectionRegime.BDSG_NONPUBLIC
                units[city.number].append(
                    Organisation.objects.create(
                        slug=f"{city.slug}-{suffix}",
                        name=f"{city.name} – {label}" if not company else f"{city.name}er {label}",
                        org_type=org_type,
                        parent=parent,
                        legal_entity=None if company else parent,
                        email=f"{suffix}@{city.domain}",
                        **fields,
                    )
                )

        def person(username, role, organisation):
            user = governance.create_account(
                username,
                home=organisation,
                by=None,
                hashed_password=password_hash,
                first_name=str(Role(role).label),
                last_name=organisation.name,
                email=f"{username}@bench.example",
            )
            governance.assign_role(user, role, organisation, by=None, note="Benchmark")
            return user

        first = cities[1]
        held = {role: person(username, role, first) for role, username in FIRST_CITY_USERS.items()}
        stewards[1] = held[Role.STEWARD].pk
        for city in CITIES[1:]:
            stewards[city.number] = person(other_city_steward(city), Role.STEWARD, cities[city.number]).pk
        admin = held[Role.GOVERNANCE_ADMIN]
        ensure_vocabularies(by=admin)
        install_default_rule_set(by=admin)
    return Network(cities, units, stewards, held[Role.OWNER].pk, held[Role.LEGAL_REVIEWER].pk)


def keyword_ids() -> dict[str, int]:
    names = {keyword for _subject, _theme, keyword in V.SUBJECTS} | {subject for subject, _t, _k in V.SUBJECTS}
    names |= set(V.DISTRICTS) | {str(year) for year in YEARS}
    Keyword.objects.bulk_create([Keyword(name=name) for name in sorted(names)], ignore_conflicts=True)
    return dict(Keyword.objects.filter(name__in=names).values_list("name", "id"))


# ---------------------------------------------------------------------------
# One dataset

YEARS = range(2012, 2026)
LICENCE_WEIGHTS = [
    ("dl-by-de/2.0", 45),
    ("dl-zero-de/2.0", 20),
    ("cc-by/4.0", 18),
    ("cc-zero", 8),
    ("cc-by-sa/4.0", 3),
    ("odbl", 2),
    ("other-open", 2),
    ("cc-by-nc/4.0", 1),
    ("other-closed", 1),
]
FREQUENCY_WEIGHTS = [
    (Frequency.ANNUAL, 30),
    (Frequency.IRREG, 14),
    (Frequency.MONTHLY, 12),
    (Frequency.QUARTERLY, 8),
    (Frequency.DAILY, 6),
    (Frequency.UPDATE_CONT, 5),
    (Frequency.NEVER, 10),
    (Frequency.UNKNOWN, 15),
]
# format, kind, weight: mostly downloads, some APIs and map services.
FORMAT_WEIGHTS = [
    ("CSV", DistributionKind.DOWNLOAD, 34),
    ("JSON", DistributionKind.DOWNLOAD, 14),
    ("JSON", DistributionKind.API, 5),
    ("GEOJSON", DistributionKind.DOWNLOAD, 10),
    ("XLSX", DistributionKind.DOWNLOAD, 12),
    ("PDF", DistributionKind.DOWNLOAD, 12),
    ("WMS_SRVC", DistributionKind.SERVICE, 7),
    ("WFS_SRVC", DistributionKind.SERVICE, 2),
    ("XML", DistributionKind.DOWNLOAD, 2),
    ("ZIP", DistributionKind.DOWNLOAD, 2),
]
DISTRIBUTION_COUNT_WEIGHTS = [(1, 30), (2, 30), (3, 20), (4, 12), (5, 8)]
HVD_BY_THEME = {
    "REGI": HVDCategory.GEOSPATIAL,
    "ENVI": HVDCategory.EARTH_OBSERVATION,
    "SOCI": HVDCategory.STATISTICS,
    "ECON": HVDCategory.STATISTICS,
    "TRAN": HVDCategory.MOBILITY,
}
SUBJECT_WEIGHTS = V.subject_weights()
THEME_CODES = [code for code, _label in Theme._meta.get_field("code").choices]


def weighted(rng: random.Random, pairs):
    return rng.choices([value for value, *_rest in pairs], weights=[pair[-1] for pair in pairs])[0]


OPEN_CLASSIFICATION = {
    "personal_data": PersonalDataStatus.NONE,
    "special_categories": [],
    "vulnerable_subjects": False,
    "confidentiality": Confidentiality.OEFFENTLICH,
    "vs_nfd": False,
    "protection_confidentiality": ProtectionNeed.NORMAL,
    "protection_integrity": ProtectionNeed.NORMAL,
    "protection_availability": ProtectionNeed.NORMAL,
    "trade_secrets": False,
    "third_party_rights": False,
    "critical_infrastructure": False,
    "statistical_confidentiality": False,
    "spatial_granularity": SpatialGranularity.DISTRICT,
    "temporal_granularity": TemporalGranularity.YEAR,
    "legal_bases": [],
    "justification": "Sachdaten ohne Personenbezug; keine Geheimhaltungsgründe.",
}
# Datasets still in the workflow are classified more variously.
OTHER_CLASSIFICATIONS = [
    (OPEN_CLASSIFICATION, 60),
    (
        {
            **OPEN_CLASSIFICATION,
            "personal_data": PersonalDataStatus.AGGREGATED,
            "statistical_confidentiality": True,
            "justification": "Aggregierte Fallzahlen; die Geheimhaltung kleiner Fallzahlen ist geprüft.",
        },
        20,
    ),
    (
        {
            **OPEN_CLASSIFICATION,
            "personal_data": PersonalDataStatus.PSEUDONYMISED,
            "confidentiality": Confidentiality.INTERN,
            "protection_confidentiality": ProtectionNeed.HOCH,
            "spatial_granularity": SpatialGranularity.BLOCK,
            "temporal_granularity": TemporalGranularity.DAY,
            "legal_bases": ["GDPR_6_1_e"],
            "justification": "Pseudonymisierte Einzeldaten; Veröffentlichung nur aggregiert denkbar.",
        },
        12,
    ),
    (
        {
            **OPEN_CLASSIFICATION,
            "third_party_rights": True,
            "confidentiality": Confidentiality.INTERN,
            "justification": "Enthält Daten Dritter; die Nutzungsrechte werden geklärt.",
        },
        8,
    ),
]
ETHICS_CLASSIFICATION = {
    **OPEN_CLASSIFICATION,
    "personal_data": PersonalDataStatus.PERSONAL,
    "vulnerable_subjects": True,
    "confidentiality": Confidentiality.VERTRAULICH,
    "protection_confidentiality": ProtectionNeed.HOCH,
    "spatial_granularity": SpatialGranularity.POINT,
    "temporal_granularity": TemporalGranularity.DAY,
    "legal_bases": ["GDPR_6_1_e"],
    "justification": "Personenbezogene Daten schutzbedürftiger Betroffener; der Ethikbeirat berät.",
}


class Seeder:
    def __init__(self, n: int, *, seed: int = 42, batch_size: int = BATCH_SIZE, log=print):
        self.n, self.seed, self.batch_size, self.log = n, seed, batch_size, log
        self.timings: dict[str, float] = {}
        self.published_seen = 0
        self.evaluations: dict[tuple, object] = {}

    # -- phases

    def run(self) -> dict:
        if bench_data_exists():
            raise BenchDataExists("Benchmark data already exists in this database; seed a fresh one.")
        started = time.monotonic()
        self._phase("organisations", self._setup)
        self._phase("datasets", self._datasets)
        self._phase("search_documents", self._search_documents)
        self._phase("analyze", self._analyze)
        counts = {
            "datasets": Dataset.objects.filter(name__startswith=NAME_PREFIX).count(),
            "distributions": Distribution.objects.filter(dataset__name__startswith=NAME_PREFIX).count(),
            "published": Dataset.objects.published().filter(name__startswith=NAME_PREFIX).count(),
        }
        return {**counts, "seconds": round(time.monotonic() - started, 1), "phases": self.timings}

    def _phase(self, name, function):
        started = time.monotonic()
        detail = function()
        self.timings[name] = round(time.monotonic() - started, 1)
        self.log(f"{name}: {self.timings[name]} s{f' ({detail})' if detail else ''}")

    def _setup(self):
        self.network = create_network()
        self.keywords = keyword_ids()
        self.themes = dict(Theme.objects.values_list("code", "id"))
        self.dataset_type = ContentType.objects.get_for_model(Dataset).pk
        self.classification_type = ContentType.objects.get_for_model(Classification).pk
        self.now = datetime.now(UTC).replace(microsecond=0)
        return f"{len(CITIES)} Städte, {sum(len(u) for u in self.network.units.values())} Einheiten"

    def _datasets(self):
        for first in range(1, self.n + 1, self.batch_size):
            numbers = range(first, min(first + self.batch_size, self.n + 1))
            with transaction.atomic(), connection.cursor() as cursor:
                self._batch(cursor, numbers)
        return f"{self.n} in Stapeln zu {self.batch_size}"

    def _search_documents(self):
        # The app's own statement, one for all: text, vector, facet values, published flag.
        with transaction.atomic():
            return index_datasets(Dataset.objects.filter(name__startswith=NAME_PREFIX))

    def _analyze(self):
        # VACUUM as well, for the visibility map (index-only scans) and the statistics.
        # VACUUM cannot run inside a transaction (the tests seed inside one), so there
        # only ANALYZE.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")

    # -- one batch

    def _batch(self, cursor, numbers):
        count = len(numbers)
        dataset_ids = allocate_ids(cursor, Dataset, count)
        classification_ids = allocate_ids(cursor, Classification, count)
        rows = {name: [] for name in ("datasets", "classifications", "distributions", "keywords", "themes")}
        decisions = []
        for i, dataset_id, classification_id in zip(numbers, dataset_ids, classification_ids, strict=True):
            self._dataset(i, dataset_id, classification_id, rows, decisions)
        # Foreign keys are deferred (Django creates them so): order does not matter in the transaction.
        copy_rows(cursor, Dataset, rows["datasets"])
        copy_rows(cursor, Classification, rows["classifications"])
        copy_rows(cursor, Distribution, rows["distributions"])
        copy_rows(cursor, Dataset.keywords.through, rows["keywords"])
        copy_rows(cursor, Dataset.themes.through, rows["themes"])
        self._decisions(cursor, decisions)

    def _dataset(self, i, dataset_id, classification_id, rows, decisions):
        rng = random.Random(self.seed * 10_000_000 + i)  # noqa: S311 – reproducible test data, no secrets
        state = state_of(i, self.n)
        city = CITIES[city_of(i, self.n) - 1]
        publisher = rng.choice(self.network.units[city.number])
        steward_id = self.network.stewards[city.number]
        published = state == S.PUBLISHED
        # Every fourth published dataset takes the next subject, rarest first, until each
        # occurred once: even a small catalog has rare words to search for.
        covered, rest = divmod(self.published_seen, 4)
        if published and rest == 3 and covered < len(V.SUBJECTS):
            subject, theme, extra_keyword = V.SUBJECTS[-1 - covered]
        else:
            subject, theme, extra_keyword = rng.choices(V.SUBJECTS, weights=SUBJECT_WEIGHTS)[0]
        self.published_seen += published
        district = rng.choice(V.DISTRICTS)
        year = rng.choice(YEARS)
        qualifier = rng.choice(V.QUALIFIERS)
        form = rng.choice(V.FORMS)
        title = rng.choice(
            [
                f"{subject} {district} {year}",
                f"{subject}: {form} {district} {year}",
                f"{form} {subject} {city.name} {year}",
                f"{subject} – {form} {year}",
            ]
        )
        if qualifier:
            title = f"{qualifier} {title}"
        values = {"subject": subject, "district": district, "city": city.name, "year": year, "unit": publisher.name}
        sentences = [V.DESCRIPTION_SENTENCES[0], *rng.sample(V.DESCRIPTION_SENTENCES[1:], rng.randint(2, 5))]
        description = " ".join(sentence.format(**values) for sentence in sentences)

        licence = weighted(rng, LICENCE_WEIGHTS)
        if published:  # a closed licence never gets through the rules
            licence = licence if LICENCES_BY_CODE[licence].is_open else "dl-by-de/2.0"
        hvd = HVD_BY_THEME.get(theme, "") if rng.random() < 0.04 and LICENCES_BY_CODE[licence].is_open else ""
        created = self.now - timedelta(days=rng.randint(30, 11 * 365), seconds=rng.randint(0, 86399))
        issued = created + timedelta(days=rng.randint(1, 20)) if state in (S.PUBLISHED, S.WITHDRAWN) else None
        modified = min(self.now, (issued or created) + timedelta(days=rng.randint(0, 400)))
        temporal = rng.random() < 0.75
        keyword_names = {subject, extra_keyword, district} | ({str(year)} if rng.random() < 0.5 else set())

        if state in DECIDED_STATES:
            classification = OPEN_CLASSIFICATION
        elif state == S.ETHICS_REVIEW:
            classification = ETHICS_CLASSIFICATION
        else:
            classification = weighted(rng, OTHER_CLASSIFICATIONS)
        decided = state != S.DRAFT
        evaluation = self._evaluation(classification, licence, hvd, publisher) if decided else None
        outcome = engine.final_outcome(evaluation) if state in DECIDED_STATES else (evaluation and evaluation.outcome)

        rows["datasets"].append(
            {
                "id": dataset_id,
                "identifier": uuid.UUID(int=rng.getrandbits(128), version=4),
                "name": dataset_name(i),
                "title": title,
                "description": description,
                "publisher_id": publisher.pk,
                "owner_id": self.network.owner_id if city.number == 1 else None,
                "steward_id": steward_id,
                "contact_name": publisher.name,
                "contact_email": publisher.email,
                "contact_url": f"https://www.{city.domain}/verwaltung",
                "licence": licence,
                "attribution_text": f"Stadt {city.name}, {publisher.name.split(' – ')[-1]}",
                "geocoding_level": "municipality",
                "municipality_key": city.municipality_key,
                "spatial_label": f"{city.name}, {district}",
                "spatial_resolution_m": None,
                "temporal_start": date(year, 1, 1) if temporal else None,
                "temporal_end": date(year, 12, 31) if temporal else None,
                "update_frequency": weighted(rng, FREQUENCY_WEIGHTS),
                "language": Language.DEU if rng.random() < 0.95 else rng.choice([Language.ENG, Language.MUL]),
                "hvd_category": hvd,
                "landing_page": f"https://www.{city.domain}/daten/{dataset_name(i)}" if rng.random() < 0.3 else "",
                "state": state,
                "issued": issued,
                "modified": modified,
                "created": created,
                "created_by_id": steward_id,
                "current_classification_id": classification_id,
                "version": 1,
                "publication_outcome": outcome or "",
                "publication_basis": engine.basis_of(evaluation) if state in DECIDED_STATES else {},
                "ethics_outcome": "",
                "submitted_by_id": steward_id if decided else None,
                "state_changed_at": modified,
                "rereview_on": None,
                "rereview_requested_at": None,
                "rereview_reason": "",
            }
        )
        rows["classifications"].append(
            {
                "id": classification_id,
                "dataset_id": dataset_id,
                "number": 1,
                **classification,
                "classified_by_id": steward_id,
                "classified_at": created,
            }
        )
        for position in range(weighted(rng, DISTRIBUTION_COUNT_WEIGHTS)):
            code, kind, _weight = rng.choices(FORMAT_WEIGHTS, weights=[w for *_x, w in FORMAT_WEIGHTS])[0]
            file_type = FILE_TYPES_BY_CODE[code]
            service = kind == DistributionKind.SERVICE
            extension = file_type.extensions[0] if file_type.extensions else ""
            rows["distributions"].append(
                {
                    "identifier": uuid.UUID(int=rng.getrandbits(128), version=4),
                    "dataset_id": dataset_id,
                    "title": f"{subject} {year} ({file_type.label})",
                    "description": "Kartendienst" if service else f"{form} als {file_type.label}",
                    "kind": kind,
                    "file": "",
                    "access_url": (
                        f"https://geo.{city.domain}/{code.lower()}/{dataset_name(i)}?SERVICE={code[:3]}"
                        if service
                        else f"https://daten.{city.domain}/{dataset_name(i)}/{position + 1}{extension}"
                    ),
                    "format": code,
                    "media_type": file_type.media_type,
                    "byte_size": None if service or kind == DistributionKind.API else rng.randint(2_000, 50_000_000),
                    "checksum_sha256": "",
                    "licence": "",
                    "status": DistributionStatus.CURRENT,
                    "created": created + timedelta(minutes=position),
                    "modified": modified,
                }
            )
        rows["keywords"] += [{"dataset_id": dataset_id, "keyword_id": self.keywords[k]} for k in sorted(keyword_names)]
        themes = {theme} | ({rng.choice(THEME_CODES)} if rng.random() < 0.2 else set())
        rows["themes"] += [{"dataset_id": dataset_id, "theme_id": self.themes[code]} for code in sorted(themes)]
        if published:
            decisions.append((dataset_id, title, publisher.pk, classification_id, issued, evaluation, outcome))

    def _evaluation(self, classification, licence, hvd, publisher):
        """The decision engine's verdict, computed once per distinct set of facts."""
        key = (id(classification), LICENCES_BY_CODE[licence].is_open, bool(hvd), publisher.dng_role)
        if key not in self.evaluations:
            dataset = Dataset(licence=licence, hvd_category=hvd, publisher=publisher)
            dataset.current_classification = Classification(**classification)
            self.evaluations[key] = engine.decide(dataset, on=self.now.date())
        return self.evaluations[key]

    def _decisions(self, cursor, decisions):
        """The publication decision the portal page shows, one per published dataset."""
        if not decisions:
            return
        ids = allocate_ids(cursor, Decision, len(decisions))
        policy_ids = list(PolicyVersion.objects.in_force(self.now.date()).values_list("pk", flat=True))
        rows, rule_links, policy_links = [], [], []
        for decision_id, (dataset_id, title, org_id, classification_id, issued, evaluation, outcome) in zip(
            ids, decisions, strict=True
        ):
            rows.append(
                {
                    "id": decision_id,
                    "kind": DecisionKind.PUBLICATION,
                    "subject_type_id": self.dataset_type,
                    "subject_id": str(dataset_id),
                    "subject_repr": title[:300],
                    "subject_version_type_id": None,
                    "subject_version_id": None,
                    "classification_type_id": self.classification_type,
                    "classification_id": classification_id,
                    "organisation_id": org_id,
                    "outcome": outcome,
                    "reasons": "Rechtlich freigegeben.",
                    "exclusion_grounds": list(evaluation.grounds),
                    "required_reviews": list(evaluation.required_reviews),
                    "conditions": [text for _code, text in evaluation.conditions],
                    "rereview_on": evaluation.rereview_on,
                    "evaluation": audit.to_jsonable(evaluation.as_dict()),
                    "actor_id": self.network.legal_id,
                    "decided_at": issued,
                }
            )
            rule_links += [{"decision_id": decision_id, "rule_version_id": pk} for pk in evaluation.rule_version_ids]
            policy_links += [{"decision_id": decision_id, "policy_version_id": pk} for pk in policy_ids]
        copy_rows(cursor, Decision, rows)
        copy_rows(cursor, DecisionRuleVersion, rule_links)
        copy_rows(cursor, DecisionPolicyVersion, policy_links)


def seed(n: int, *, seed: int = 42, log=print) -> dict:
    return Seeder(n, seed=seed, log=log).run()
