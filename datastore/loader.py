"""Loading tables into the store and keeping the store in step with what is public.

`sync_dataset` (after every change of a dataset's state or distributions, on commit)
decides per distribution: a public table that passed its checks and is not loaded in its
current version gets a load (`load_table` on the worker); a table that is no longer public
leaves the store at once. `load_table` is idempotent per checksum: the version already
loaded is not loaded again. It reads the file twice through core.tables (within the
TABLE_MAX_* caps): once to infer each column's type from all its cells, once to copy the
rows in chunks, writing its progress in between; the new table is indexed before it
replaces the old one in one short transaction, so a query sees either version whole.
"""

from __future__ import annotations

import logging
from itertools import islice

from celery import shared_task
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Dataset, DatasetState, Distribution, DistributionReport, DistributionStatus, ReportKind
from catalog.renditions import decimal_hint
from core import tables
from core.tabletypes import ColumnTypes

from . import engine
from .models import DataTable, TableStatus

logger = logging.getLogger(__name__)

TABULAR_FORMATS = ("CSV", "XLSX")


def eligible(distribution: Distribution) -> bool:
    """A table that may be queried by anyone: an uploaded CSV or XLSX, public (current, its
    dataset published) and checked in its current version, with the disclosure check
    passed where it ran."""
    if not (distribution.is_upload and distribution.format in TABULAR_FORMATS and distribution.checksum_sha256):
        return False
    if distribution.status != DistributionStatus.CURRENT or distribution.dataset.state != DatasetState.PUBLISHED:
        return False
    reports = dict(
        DistributionReport.objects.filter(
            distribution=distribution, checksum_sha256=distribution.checksum_sha256
        ).values_list("kind", "valid")
    )
    return ReportKind.TABULAR in reports and reports.get(ReportKind.DISCLOSURE, True)


def sync_dataset(dataset_id: int) -> None:
    """Bring the dataset's tables in step with what is public now."""
    dataset = Dataset.objects.filter(pk=dataset_id).first()
    distributions = (
        list(Distribution.objects.filter(dataset_id=dataset_id).select_related("dataset")) if dataset else []
    )
    for distribution in distributions:
        if eligible(distribution):
            table, _created = DataTable.objects.get_or_create(distribution=distribution)
            if table.loaded_checksum != distribution.checksum_sha256 and not (
                table.status == TableStatus.LOADING and table.checksum_sha256 == distribution.checksum_sha256
            ):
                DataTable.objects.filter(pk=table.pk).update(
                    status=TableStatus.WAITING, checksum_sha256=distribution.checksum_sha256, message=""
                )
                load_table.delay_on_commit(distribution.pk)
        else:
            withdraw(distribution.pk)


def withdraw(distribution_id: int) -> None:
    """The table leaves the store (it is no longer public): not queryable from this
    transaction on, its rows dropped with it."""
    with transaction.atomic():
        table = DataTable.objects.select_for_update().filter(distribution_id=distribution_id).first()
        if table is None:
            return
        if table.table_name:
            engine.drop(table.table_name)
        table.delete()


def _rows(distribution, limits):
    with distribution.file.open("rb") as binary:
        yield from tables.read_rows(binary, distribution.format, limits)


def unique_names(header: list) -> list[str]:
    """The columns' names from the header: empty ones named by their position, repeated
    ones numbered, so that each is a field of its own in the API."""
    names, seen = [], set()
    for position, value in enumerate(header, start=1):
        name = str(value).strip() if value is not None else ""
        name = (name or _("Spalte %(n)s") % {"n": position})[:300]
        candidate, number = name, 2
        while candidate.lower() in seen:
            candidate, number = f"{name}_{number}", number + 1
        seen.add(candidate.lower())
        names.append(candidate)
    return names


def load(distribution: Distribution) -> DataTable | None:
    """Load the distribution's current version (see the module). None if it is not
    eligible; the table as it is if this version is loaded already."""
    checksum = distribution.checksum_sha256
    table, _created = DataTable.objects.get_or_create(distribution=distribution)
    if not eligible(distribution):
        return None
    if table.loaded_checksum == checksum and table.table_name:
        return table
    DataTable.objects.filter(pk=table.pk).update(
        status=TableStatus.LOADING, checksum_sha256=checksum, progress_rows=0, message="", started_at=timezone.now()
    )
    limits = tables.TableLimits.from_settings()
    name = engine.table_name(distribution.pk, checksum)
    try:
        survey, header = ColumnTypes(decimal=decimal_hint(distribution)), None
        for row in _rows(distribution, limits):
            if header is None:
                header = list(row)
                continue
            survey.see(row)
        if header is None:
            raise tables.TableError(_("Die Datei enthält keine Kopfzeile."))
        types = survey.columns(width=len(header))
        header += [None] * (len(types) - len(header))
        columns = [
            {"id": column_id, "column": f"c{position}", "type": column_type.kind}
            for position, (column_id, column_type) in enumerate(zip(unique_names(header), types, strict=True), start=1)
        ]
        converters = [column_type.converter() for column_type in types]
        engine.drop(name)  # what a crashed load of this version left
        engine.create(name, columns)
        long_text: set[str] = set()
        loaded, width = 0, len(columns)
        texts = [position for position, column in enumerate(columns) if column["type"] == "string"]
        empty = [False] * width  # whether the column has an empty cell (a null in the store)
        rows = islice(_rows(distribution, limits), 1, None)
        while True:
            chunk = []
            # The hot loop of the load (a million rows: seven million cells): one pass per row.
            for number, row in enumerate(islice(rows, engine.CHUNK_ROWS), start=loaded + 1):
                if len(row) < width:
                    row = [*row, *([None] * (width - len(row)))]
                values = [convert(value) for convert, value in zip(converters, row, strict=False)]
                for position in texts:
                    value = values[position]
                    if value is not None and len(value) > engine.MAX_INDEXED_TEXT:
                        long_text.add(columns[position]["column"])
                if None in values:
                    for position, value in enumerate(values):
                        if value is None:
                            empty[position] = True
                chunk.append((number, *values))
            if not chunk:
                break
            loaded += engine.append(name, columns, chunk)
            DataTable.objects.filter(pk=table.pk).update(progress_rows=loaded)
        # datastore.query sorts a column without nulls so that its index serves both directions.
        for column, has_empty in zip(columns, empty, strict=True):
            column["nulls"] = has_empty
        engine.finish(name, columns, long_text=long_text)
    except (tables.TableError, tables.TooLarge, ValueError, DatabaseError) as error:
        logger.warning("Loading table of distribution %s failed: %s", distribution.pk, error)
        try:
            engine.drop(name)
        except DatabaseError:
            logger.exception("Dropping the half-loaded table %s failed", name)
        message = str(error) if isinstance(error, tables.TableError | tables.TooLarge) else ""
        DataTable.objects.filter(pk=table.pk).update(
            status=TableStatus.FAILED,
            message=message
            or _("Die Tabelle konnte nicht geladen werden (%(error)s).") % {"error": type(error).__name__},
        )
        return DataTable.objects.get(pk=table.pk)
    return _replace(distribution, table.pk, name, columns, loaded)


def _replace(distribution, table_pk: int, name: str, columns: list[dict], rows: int) -> DataTable:
    """The new version replaces the old one in one transaction, if the file is still public
    and still this version; otherwise it goes."""
    with transaction.atomic():
        table = DataTable.objects.select_for_update().get(pk=table_pk)
        current = Distribution.objects.select_related("dataset").get(pk=distribution.pk)
        if not eligible(current) or current.checksum_sha256 != distribution.checksum_sha256:
            engine.drop(name)
            return table
        old = table.table_name
        table.table_name, table.columns, table.rows = name, columns, rows
        table.loaded_checksum, table.loaded_at = distribution.checksum_sha256, timezone.now()
        table.status, table.progress_rows, table.message = TableStatus.READY, rows, ""
        table.save()
        if old and old != name:
            engine.drop(old)
    return table


def drop_orphans() -> int:
    """Drop the store's tables no DataTable points at (a load that crashed half-way, a
    distribution deleted); a table being loaded now is kept."""
    known = set(DataTable.objects.exclude(table_name="").values_list("table_name", flat=True))
    loading = {
        engine.table_name(distribution_id, checksum)
        for distribution_id, checksum in DataTable.objects.filter(status__in=[TableStatus.LOADING, TableStatus.WAITING])
        .values_list("distribution_id", "checksum_sha256")
    }  # fmt: skip
    orphans = engine.existing_tables() - known - loading
    for name in orphans:
        engine.drop(name)
    return len(orphans)


# A table of up to TABLE_MAX_ROWS rows: the time limits of the "files" kind (settings.TASK_KINDS).
@shared_task(name="datastore.load_table", acks_late=True)
def load_table(distribution_id: int) -> str | None:
    distribution = Distribution.objects.select_related("dataset").filter(pk=distribution_id).first()
    if distribution is None:
        return None
    table = load(distribution)
    return table.status if table is not None else None


@shared_task(name="datastore.sync_datasets", acks_late=True)
def sync_datasets(dataset_ids: list[int]) -> None:
    for dataset_id in dataset_ids:
        sync_dataset(dataset_id)


@shared_task(name="datastore.sync_all", acks_late=True)
def sync_all() -> int:
    """The safety net (daily, celery beat): every dataset with tables or tabular uploads
    in step, orphaned tables dropped."""
    ids = set(DataTable.objects.values_list("distribution__dataset_id", flat=True))
    ids |= set(
        Distribution.objects.filter(format__in=TABULAR_FORMATS).exclude(file="").values_list("dataset_id", flat=True)
    )
    for dataset_id in sorted(ids):
        sync_dataset(dataset_id)
    return drop_orphans()
