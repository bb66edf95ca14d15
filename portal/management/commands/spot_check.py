"""A spot check of a database and its stored files, as one JSON digest: the audit chain
head, the number of rows of every governed table (datasets per state, decisions per kind
and outcome, policy versions per status, …), every uploaded file against its SHA-256,
and a sample of published datasets read through the public portal and its APIs, the
way a citizen or a harvester reads them.

The restore drill (scripts/restore_drill.sh) writes the digest of the source database
with --output and checks the restored database with --compare: any difference, a
missing file or a file whose checksum no longer matches fails the command."""

import hashlib
import json
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.test import Client

from catalog.models import Classification, Dataset, Distribution
from governance.models import AuditEvent, Decision, PolicyVersion

# Tables that change by using the system, not by governing it: sessions, login
# throttling, the admin's log and the verifier's own log (verify_audit writes a row
# each time it runs, also during the drill).
OPERATIONAL_MODELS = {
    "sessions.Session",
    "admin.LogEntry",
    "axes.AccessAttempt",
    "axes.AccessAttemptExpiration",
    "axes.AccessFailureLog",
    "axes.AccessLog",
    "governance.AuditVerification",
}


def sha256_of(chunks) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def grouped(queryset, *fields) -> dict[str, int]:
    rows = queryset.values_list(*fields).annotate(n=Count("pk")).order_by(*fields)
    return {"/".join(str(value) for value in row[:-1]): row[-1] for row in rows}


def audit_figures() -> dict:
    head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    return {"events": AuditEvent.objects.count(), "head": f"{head[0]}:{head[1]}" if head else ""}


def file_figures() -> dict:
    """Every uploaded distribution file: is it in MEDIA_ROOT, and is it still the file
    whose checksum the catalog recorded?"""
    uploads = Distribution.objects.exclude(file="").order_by("pk")
    present = matching = 0
    problems = []
    for distribution in uploads.iterator():
        storage, name = distribution.file.storage, distribution.file.name
        if not storage.exists(name):
            problems.append(f"fehlt: {name}")
            continue
        present += 1
        with storage.open(name, "rb") as handle:
            checksum = sha256_of(iter(lambda: handle.read(1 << 16), b""))
        if checksum == distribution.checksum_sha256:
            matching += 1
        else:
            problems.append(f"Prüfsumme weicht ab: {name}")
    checksums = sha256_of(c.encode() for c in uploads.values_list("checksum_sha256", flat=True))
    return {
        "uploads": uploads.count(),
        "links": Distribution.objects.filter(file="").count(),
        "files_present": present,
        "files_matching_checksum": matching,
        "recorded_checksums": checksums,
        "problems": problems,
    }


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in sorted(apps.get_models(), key=lambda m: m._meta.label)
        if model._meta.label not in OPERATIONAL_MODELS
    }


def public_host() -> str:
    for host in settings.ALLOWED_HOSTS:
        if host not in ("*", "") and not host.startswith("["):
            return host.lstrip(".")
    return "localhost"


def portal_sample(size: int) -> list[dict]:
    """Published datasets with uploaded files, read anonymously through the portal's
    download, the CKAN Action API, the REST API and DCAT-AP: what the public gets."""
    # A failing view is a finding of the check (status 500), not the end of it.
    # A robot by its name, so that its reads do not count in the usage statistics (which
    # it also compares: portal.usage.is_counted).
    client = Client(
        HTTP_HOST=public_host(), HTTP_USER_AGENT="Stadtdaten-Stichprobe (bot)", raise_request_exception=False
    )
    names = (
        Dataset.objects.published()
        .filter(distributions__file__gt="")
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()[:size]
    )
    sample = []
    for name in names:
        entry = {"name": name}
        for label, url in (
            ("ckan", f"/api/3/action/package_show?id={name}"),
            ("rest", f"/api/v1/datasets/{name}/"),
            ("dcat", f"/dataset/{name}.ttl"),
        ):
            response = client.get(url, secure=True)
            entry[label] = f"{response.status_code} {hashlib.sha256(response.content).hexdigest()}"
        downloads = {}
        for distribution in Distribution.objects.filter(dataset__name=name).exclude(file="").order_by("pk"):
            response = client.get(f"/datensatz/{name}/dateien/{distribution.identifier}/", secure=True)
            body = sha256_of(response.streaming_content) if response.status_code == 200 else ""
            downloads[str(distribution.identifier)] = {
                "status": response.status_code,
                "matches_checksum": body == distribution.checksum_sha256,
            }
        entry["downloads"] = downloads
        sample.append(entry)
    return sample


def collect(sample_size: int) -> dict:
    # Counts first: the portal requests below must not be able to change them.
    return {
        "audit": audit_figures(),
        "datasets_by_state": grouped(Dataset.objects, "state"),
        "published": Dataset.objects.published().count(),
        "decisions_by_kind_outcome": grouped(Decision.objects, "kind", "outcome"),
        "decision_rule_versions": Decision.rule_versions.through.objects.count(),
        "decision_policy_versions": Decision.policy_versions.through.objects.count(),
        "policy_versions_by_status": grouped(PolicyVersion.objects, "status"),
        "classifications": Classification.objects.count(),
        "distributions": file_figures(),
        "rows": row_counts(),
        "portal_sample": portal_sample(sample_size),
    }


def flatten(value, path="") -> dict[str, object]:
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((str(index), item) for index, item in enumerate(value))
    else:
        return {path: value}
    flat = {}
    for key, item in items:
        flat.update(flatten(item, f"{path}.{key}" if path else str(key)))
    return flat


def differences(expected: dict, actual: dict) -> list[str]:
    left, right = flatten(expected), flatten(actual)
    return [
        f"{path}: erwartet {left.get(path, '–')!r}, gefunden {right.get(path, '–')!r}"
        for path in sorted(left.keys() | right.keys())
        if left.get(path, "–") != right.get(path, "–")
    ]


def integrity_problems(digest: dict) -> list[str]:
    problems = list(digest["distributions"]["problems"])
    for entry in digest["portal_sample"]:
        for label in ("ckan", "rest", "dcat"):
            if not entry[label].startswith("200 "):
                problems.append(f"{entry['name']}: {label} antwortet {entry[label].split()[0]}")
        for identifier, download in entry["downloads"].items():
            if download["status"] != 200 or not download["matches_checksum"]:
                problems.append(f"{entry['name']}: Download {identifier} fehlerhaft ({download['status']})")
    return problems


class Command(BaseCommand):
    help = (
        "Print a JSON digest of the database and its files (row counts of the governed tables, audit chain "
        "head, file checksums, a sample of published datasets through the public portal and APIs). Fails if "
        "a file is missing or changed, or with --compare if the digest differs from a saved one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="Also write the digest to this file.")
        parser.add_argument("--compare", type=Path, help="A digest saved before (e.g. of the source database).")
        parser.add_argument("--sample", type=int, default=5, help="How many published datasets to read (5).")

    def handle(self, *args, output=None, compare=None, sample=5, **options):
        digest = collect(sample)
        text = json.dumps(digest, indent=2, sort_keys=True, ensure_ascii=False)
        if output:
            output.write_text(text + "\n", encoding="utf-8")
        self.stdout.write(text)
        problems = integrity_problems(digest)
        if compare:
            problems += differences(json.loads(compare.read_text(encoding="utf-8")), digest)
        if problems:
            raise CommandError("Stichprobe fehlgeschlagen:\n  " + "\n  ".join(problems))
        self.stdout.write(
            self.style.SUCCESS(
                f"Stichprobe in Ordnung: {digest['audit']['events']} Audit-Ereignisse, "
                f"{sum(digest['datasets_by_state'].values())} Datensätze, "
                f"{digest['distributions']['files_matching_checksum']} Dateien mit passender Prüfsumme, "
                f"{len(digest['portal_sample'])} veröffentlichte Datensätze über Portal und APIs gelesen"
                + (", identisch mit der Vorlage." if compare else ".")
            )
        )
