"""Harvest runs: starting them (also on schedule), running them record by record, and
configuring sources. See catalog.harvest for the rules."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import deferred
from governance.models import Role
from governance.permissions import has_role

from .. import services, workflow
from ..errors import CatalogError, HarvestAborted, HarvestError, RecordError
from ..models import (
    Dataset,
    DatasetState,
    Distribution,
    HarvestJob,
    HarvestOrganisationMapping,
    HarvestRecord,
    HarvestSource,
    HarvestStatus,
)
from . import client, sources
from .mapping import Mapped, Mapper, content_hash, keyword_key, serialise

logger = logging.getLogger(__name__)

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


def reason(action: str, source: HarvestSource) -> str:
    # simple-history keeps 100 characters of a change reason.
    return f"catalog.harvest.{action}: {source.name}"[:100]


def person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else _("Zeitplan")


# ---------------------------------------------------------------------------
# The local side: what the dataset holds now, and link distributions


def distribution_snapshot(remote_id: str, distribution: Distribution) -> dict:
    return {"id": remote_id, **{name: getattr(distribution, name) for name in services.LINK_FIELDS}}


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
        # A kind that cannot ask for changes only (DCAT-AP, without a standard for it) reads everything.
        incremental = incremental and sources.supports_incremental(source.kind)
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
        run = Run(job, page_size=settings.HARVEST_PAGE_SIZE)
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
        problem = client.source_address_problem(self.source.url, trusted=self.source.trusted)
        if problem:
            raise HarvestAborted(problem)
        self.mapper = Mapper(self.source)
        seen: set[str] = set()
        reader = sources.reader_for(
            self.source, page_size=self.page_size, deadline=client.job_deadline(), since=self.job.since
        )
        for page in reader.pages():
            if page.total is not None:
                self.total = max(page.total, self.total)
            self.refuse_own_records(page.packages)
            for label, note in page.notes:
                self.report.add("warning", remote_name=label, reason=note)
            self.process_page(page.packages, seen)
            self.total = max(self.total, self.processed)
            self.save_progress()
        if not self.job.incremental:
            self.mark_removed(seen)
        self.finish(HarvestStatus.SUCCEEDED)

    def refuse_own_records(self, packages: list) -> None:
        """A source that passes on this portal's own datasets (a portal that harvests this
        one, or this portal under another name) would copy them back in on every run: the
        run stops before the page is written. Ours: a package whose id is the identifier
        of a dataset here (harvested datasets get identifiers of their own), or that
        carries an address of this portal (its DCAT URI in an extra, a download link)."""
        ids = set()
        for package in packages:
            try:
                ids.add(uuid.UUID(str(package.get("id"))))
            except (AttributeError, ValueError):
                continue
        identifiers = Dataset.objects.filter(identifier__in=ids).values_list("identifier", flat=True)
        known = {str(identifier) for identifier in identifiers}
        for package in packages:
            if not isinstance(package, dict):
                continue
            if str(package.get("id")) in known or any(client.is_this_portal(url) for url in addresses_in(package)):
                raise HarvestAborted(
                    _(
                        "Die Quelle liefert Datensätze dieses Portals zurück (z. B. „%(name)s“); der Abruf wurde "
                        "abgebrochen. Schließen Sie diese Datensätze mit dem Filter der Quelle aus, oder entfernen "
                        "Sie die Quelle, wenn sie dieses Portal selbst ist."
                    )
                    % {"name": str(package.get("name") or package.get("id"))[:200]}
                )

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
        new: list[Mapped] = []
        for package in packages:
            remote_id = str(package.get("id") or "") if isinstance(package, dict) else ""
            if remote_id and remote_id in seen:
                continue  # the source moved records between pages
            if remote_id:
                seen.add(remote_id)
            self.processed += 1
            self.process(package, records.get(remote_id), new)
        self.create_new(new)

    def process(self, package, record: HarvestRecord | None, new: list[Mapped]) -> None:
        """Map the package; a new record joins `new` (written with the page's other new
        records by create_new), a known one is compared and updated now."""
        label = str(package.get("name") or package.get("id") or "") if isinstance(package, dict) else ""
        remote_id = str(package.get("id") or "") if isinstance(package, dict) else ""

        def work():
            mapped = self.mapper.map(package)
            if record is None:
                new.append(mapped)
                return None
            if self.unchanged(record, mapped):
                self.count("unchanged")
                return None
            # The search document is written once, at the end (core.deferred).
            with transaction.atomic(), deferred.collecting():
                return (*self.update(record, mapped), mapped)

        self.done(self.guarded(label, remote_id, record, work))

    def guarded(self, label: str, remote_id: str, record: HarvestRecord | None, work):
        """What `work()` returns; None if it refused the record, which the report then
        names with the reason (the run goes on)."""
        try:
            return work()
        except RecordError as error:
            self.fail(label, remote_id, str(error), record)
        except ValidationError as error:
            self.fail(label, remote_id, validation_message(error), record)
        except CatalogError as error:
            self.fail(label, remote_id, str(error), record)
        except DatabaseError as error:
            logger.warning("Harvest of %r from source %s: %s", label, self.source.pk, error)
            self.fail(label, remote_id, _("Die Datenbank hat den Datensatz abgelehnt."), record)
        except Exception as error:
            logger.exception("Harvest of %r from source %s failed", label, self.source.pk)
            self.fail(label, remote_id, _("Unerwarteter Fehler (%(error)s).") % {"error": type(error).__name__}, record)
        return None

    def done(self, result) -> None:
        """Count and report what became of a record: `result` is (outcome, dataset,
        notes, mapped), or None when there is nothing more to say."""
        if result is None:
            return
        outcome, dataset, notes, mapped = result
        self.count(outcome)
        if outcome == "unchanged":
            return
        self.report.add(
            outcome, remote_name=mapped.remote_name, remote_id=mapped.remote_id, dataset=dataset.name,
            reason="; ".join(str(note) for note in notes if note),
        )  # fmt: skip
        for warning in mapped.warnings:
            self.report.add("warning", remote_name=mapped.remote_name, remote_id=mapped.remote_id,
                            dataset=dataset.name, reason=warning)  # fmt: skip

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

    def create_new(self, new: list[Mapped]) -> None:
        """Create the new records of a page together (catalog.services.create_datasets: a
        number of statements that does not grow with the page). Should the database refuse
        that, they are created one by one, so that the report names the record it refused."""
        taken = set(Dataset.objects.filter(name__in=[mapped.name for mapped in new]).values_list("name", flat=True))
        ready = []
        for mapped in new:

            def check(mapped=mapped):
                if mapped.name in taken:
                    raise RecordError(
                        _(
                            "Der Kurzname „%(name)s“ gehört schon einem anderen Datensatz. Legen Sie ein Präfix für "
                            "die Quelle fest oder benennen Sie einen der beiden Datensätze um."
                        )
                        % {"name": mapped.name}
                    )
                item = services.NewDataset(
                    fields={**mapped.fields, "name": mapped.name}, keywords=mapped.keywords, themes=mapped.themes,
                    links=mapped.resources,
                )  # fmt: skip
                return mapped, item, services.checked_dataset(item, by=self.by)

            checked = self.guarded(mapped.remote_name, mapped.remote_id, None, check)
            if checked is not None:
                taken.add(mapped.name)
                ready.append(checked)
        if not ready:
            return
        try:
            self.write_new(ready)
            written = ready
        except Exception as error:
            logger.info("Harvest page of source %s written record by record: %r", self.source.pk, error)
            written = [
                item for item in ready
                if self.guarded(item[0].remote_name, item[0].remote_id, None, lambda item=item: self.write_new([item]))
            ]  # fmt: skip
        for mapped, _item, (dataset, _distributions) in written:
            notes = []
            if self.source.trusted:
                self.publish(dataset, mapped, notes)
            self.done(("created", dataset, notes, mapped))

    def write_new(self, ready: list) -> list:
        """Write (mapped, NewDataset, checked) items and their harvest records, all or none."""
        with transaction.atomic():
            services.create_datasets(
                [checked for _mapped, _item, checked in ready], [item for _mapped, item, _checked in ready],
                by=self.by, code=reason("created", self.source), link_code=reason("distribution", self.source),
            )  # fmt: skip
            now = timezone.now()
            records = []
            for mapped, _item, (dataset, distributions) in ready:
                # The distributions were created in the order of the resources.
                resources = {values["id"]: d.pk for values, d in zip(mapped.resources, distributions, strict=True)}
                snapshot = mapped.snapshot()
                records.append(
                    HarvestRecord(
                        source=self.source, remote_id=mapped.remote_id, remote_name=mapped.remote_name,
                        dataset=dataset, remote_modified=mapped.remote_modified, content_hash=content_hash(snapshot),
                        snapshot=snapshot, resources=resources, last_harvested=now, last_seen_job=self.job,
                    )
                )  # fmt: skip
            HarvestRecord.objects.bulk_create(records)
        return ready

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
        # A trusted source changes its published datasets directly (its documented path, the
        # history names the source); any other source's changes become a pending change.
        direct = self.source.trusted
        if "distributions" in changed:
            record.resources = self.sync_distributions(dataset, record, mapped.resources, change_reason)
            if direct or not services.under_change_control(dataset):
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
                code=change_reason,
                direct=direct,
            )

    def sync_distributions(self, dataset: Dataset, record: HarvestRecord, resources: list, change_reason: str):
        direct = self.source.trusted
        existing = {d.pk: d for d in Distribution.objects.filter(dataset=dataset, pk__in=record.resources.values())}
        wanted = {values["id"]: values for values in resources}
        linked = {}
        for remote_id, pk in record.resources.items():
            distribution = existing.get(pk)
            if distribution is None:
                continue  # removed here meanwhile: added again below if the source still has it
            if remote_id not in wanted:
                services.remove_link_distribution(distribution, by=self.by, change_reason=change_reason, direct=direct)
                continue
            values = wanted[remote_id]
            if distribution_snapshot(remote_id, distribution) != values:
                distribution = services.change_link_distribution(
                    distribution, values, by=self.by, change_reason=change_reason, direct=direct
                )
            linked[remote_id] = distribution.pk
        for remote_id, values in wanted.items():
            if remote_id not in linked:
                linked[remote_id] = services.add_link_distribution(
                    dataset, values, by=self.by, change_reason=change_reason, direct=direct
                ).pk
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


def addresses_in(package: dict) -> list[str]:
    """The http(s) addresses a CKAN package carries: its URL, its resources' and those in
    its extras (ckanext-dcat keeps the DCAT URI there)."""

    def dicts(key):
        items = package.get(key)
        return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []

    values = [package.get("url")]
    values += [resource.get("url") for resource in dicts("resources")]
    values += [extra.get("value") for extra in dicts("extras")]
    return [value for value in values if isinstance(value, str) and value.startswith(("http://", "https://"))]


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
        before = (source.url, source.trusted)
        for name, value in fields.items():
            setattr(source, name, value)
        source.full_clean()
        # A source saved before (or a changed allow-list) is refused when it is run; only
        # a new address or trust is checked here, so such a source can still be switched off.
        if source.pk is None or (source.url, source.trusted) != before:
            problem = client.source_address_problem(source.url, trusted=source.trusted)
            if problem:
                raise ValidationError({"url": problem})
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


# ---------------------------------------------------------------------------
# Celery tasks (named as when they lived in catalog.tasks, which the beat schedule and
# queued messages use)


# A harvest may take hours: its time limits are those of the "harvest" kind (settings.TASK_KINDS).
@shared_task(name="catalog.tasks.run_harvest", acks_late=True)
def run_harvest(job_id: int) -> str | None:
    """Run a harvest job. Safe to deliver twice: a finished job is left as it is, a
    running one is taken over only once its heartbeat has stopped, and every record is
    compared with what the last run wrote."""
    job = run_job(job_id)
    return job.status if job is not None else None


@shared_task(name="catalog.tasks.harvest_active_sources", acks_late=True)
def harvest_active_sources() -> int:
    """Start a run of every active harvest source (scheduled nightly by celery beat):
    a complete one once a week, otherwise only what changed."""
    return start_scheduled_runs()
