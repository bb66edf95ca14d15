"""Running an inventory import: reading the file, checking every row, writing all rows
or none, and the template files (see catalog.imports)."""

import codecs
import copy
import csv
import io
import logging
from dataclasses import dataclass, field, replace
from datetime import date

from celery import shared_task
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core import tables
from core.cells import safe_cell, safe_row
from governance.models import Role
from governance.permissions import has_role

from .. import services
from ..errors import CatalogError, CellError, ConflictError, ImportFileError
from ..models import (
    Classification,
    Dataset,
    ImportStatus,
    InventoryImport,
)
from ..uploads import check_upload
from .columns import (
    CLASSIFICATION_COLUMNS,
    CLASSIFICATION_FIELDS,
    COLUMN_NAMES,
    COLUMNS,
    COLUMNS_BY_NAME,
    DATASET_COLUMNS,
    as_text,
    normalise_header,
    required_label,
)

logger = logging.getLogger(__name__)

IMPORT_REASON = "catalog.dataset.imported"
# How often the validation phase reports progress (a separate, committed UPDATE).
PROGRESS_EVERY = 50
IMPORT_FILE_TYPES = ("CSV", "XLSX")


# ---- Reading the file ----------------------------------------------------------------


@dataclass
class Table:
    columns: list[str]  # normalised header names, in file order
    rows: list[tuple[int, dict]]  # (row number as in the spreadsheet, {column: raw value})


def read_table(binary, file_type: str) -> Table:
    """Parse the file (opened in binary mode) into rows, through core.tables: at most
    IMPORT_MAX_ROWS data rows, empty ones counted, within the reader's other caps. Raises
    ImportFileError for problems of the whole file."""
    limit = min(settings.IMPORT_MAX_ROWS, settings.TABLE_MAX_ROWS - 1)
    limits = replace(tables.TableLimits.from_settings(), rows=limit + 1)  # the header is a row too
    rows = tables.read_rows(binary, file_type, limits)
    try:
        return _read_table(rows, file_type, limit)
    except tables.NoSheetError:
        raise ImportFileError(_("Die Excel-Datei enthält kein Tabellenblatt.")) from None
    except tables.TooLarge as error:
        raise ImportFileError(too_large(error, file_type, limit)) from None
    except tables.TableError as error:
        if error.line is not None:
            raise ImportFileError(
                _("Die CSV-Datei ist ab Zeile %(row)s nicht lesbar (%(error)s).") % {"row": error.line, "error": error}
            ) from None
        raise ImportFileError(
            _("Die Excel-Datei kann nicht gelesen werden (%(error)s).") % {"error": type(error.__cause__).__name__}
        ) from None
    finally:
        rows.close()


def too_large(error: tables.TooLarge, file_type: str, limit: int) -> str:
    if error.limit == "rows":
        return _(
            "Die Datei hat mehr als %(limit)s Datenzeilen (leere Zeilen zählen mit). Bitte teilen Sie sie auf "
            "mehrere Dateien auf."
        ) % {"limit": limit}
    if error.limit == "cells":
        return _("Die Datei hat mehr als %(limit)s Zellen. Bitte teilen Sie sie auf mehrere Dateien auf.") % {
            "limit": error.cap
        }
    if error.limit == "bytes" and file_type == "CSV":
        return _("Eine Zeile der Datei ist länger als %(limit)s Zeichen. Bitte prüfen Sie die Anführungszeichen.") % {
            "limit": error.cap
        }
    if error.limit == "bytes":
        return _(
            "Die Excel-Datei ist entpackt größer als %(limit)s MB. Bitte teilen Sie sie auf mehrere Dateien auf."
        ) % {"limit": error.cap // 2**20}
    return _("Das Lesen der Datei dauerte länger als %(limit)s Sekunden.") % {"limit": error.cap}


def _read_table(rows, file_type: str, limit: int) -> Table:
    try:
        header = next(rows)
    except StopIteration:
        raise ImportFileError(_("Die Datei ist leer.")) from None
    names = [normalise_header(cell) for cell in header]

    errors = []
    unknown = sorted({name for name in names if name and name not in COLUMNS_BY_NAME})
    if unknown:
        errors.append(
            _("Unbekannte Spalten: %(columns)s. Erlaubt sind nur die Spalten der Spaltenübersicht.")
            % {"columns": ", ".join(unknown)}
        )
    duplicates = sorted({name for name in names if name and names.count(name) > 1})
    if duplicates:
        errors.append(_("Diese Spalten kommen mehrfach vor: %(columns)s.") % {"columns": ", ".join(duplicates)})
    missing = [column.name for column in COLUMNS if column.required == "file" and column.name not in names]
    if missing:
        errors.append(_("Die Pflichtspalte „%(column)s“ fehlt.") % {"column": ", ".join(missing)})

    table_rows = []
    try:
        for number, cells in enumerate(rows, start=2):
            if not any(as_text(cell) for cell in cells):
                continue  # empty lines are not checked, but count toward the limit (the reader's cap)
            for position, cell in enumerate(cells):
                if as_text(cell) and (position >= len(names) or not names[position]):
                    errors.append(
                        _("Zeile %(row)s hat einen Wert in Spalte %(position)s, die keine Überschrift hat.")
                        % {"row": number, "position": position + 1}
                    )
                    break
            table_rows.append(
                (number, {name: cells[i] if i < len(cells) else None for i, name in enumerate(names) if name})
            )
    except tables.TooLarge as error:
        # Reported with the file's other errors; nothing after the cap is read.
        errors.append(too_large(error, file_type, limit))
    if not table_rows and not errors:
        errors.append(_("Die Datei enthält keine Datenzeilen, nur die Überschriften."))
    if errors:
        # Cells without a header are a mistake of the same kind on many rows: report a few.
        raise ImportFileError(errors[:20])
    return Table(columns=[name for name in names if name], rows=table_rows)


# ---- Checking rows -------------------------------------------------------------------


@dataclass
class RowPlan:
    """What one valid row will do when the import is written."""

    row: int
    name: str
    dataset: Dataset | None  # the existing dataset, or None for a new one
    version: int = 0  # the version the row was checked against
    fields: dict = field(default_factory=dict)  # all fields (new) or the changed ones
    keywords: list | None = None  # None: leave as they are
    themes: list | None = None
    classification: dict | None = None  # None: no new classification version

    @property
    def changes_something(self) -> bool:
        return (
            self.dataset is None
            or bool(self.fields)
            or self.keywords is not None
            or self.themes is not None
            or self.classification is not None
        )


def empty_value(model_field: models.Field):
    if model_field.has_default():
        return model_field.get_default()
    return None if model_field.null else ""


def error_dict(error: ValidationError, columns: dict[str, str]) -> dict[str, list[str]]:
    """A model's ValidationError with the field names replaced by the file's columns."""
    result: dict[str, list[str]] = {}
    for name, messages in error.message_dict.items():
        column = columns.get(name, "") if name != NON_FIELD_ERRORS else ""
        result.setdefault(column, []).extend(str(message) for message in messages)
    return result


class RowChecker:
    """Checks rows of one import against the database and builds their plans."""

    def __init__(self, inventory_import: InventoryImport, table: Table):
        self.organisation = inventory_import.organisation
        self.user = inventory_import.created_by
        self.columns = set(table.columns)
        names = {as_text(cells.get("kennung")) for _number, cells in table.rows}
        self.existing: dict[str, Dataset] = {}
        names = sorted(name for name in names if name)
        for start in range(0, len(names), 500):
            for dataset in (
                Dataset.objects.filter(name__in=names[start : start + 500])
                .select_related("current_classification")
                .prefetch_related("keywords", "themes")
            ):
                self.existing[dataset.name] = dataset
        rows_by_name: dict[str, list[int]] = {}
        for number, cells in table.rows:
            rows_by_name.setdefault(as_text(cells.get("kennung")), []).append(number)
        self.duplicates = {name: rows for name, rows in rows_by_name.items() if name and len(rows) > 1}

    def check(self, number: int, cells: dict) -> tuple[RowPlan | None, dict[str, list[str]]]:
        errors: dict[str, list[str]] = {}

        def add(column, message):
            errors.setdefault(column, []).append(str(message))

        parsed = {}
        for name, raw in cells.items():
            try:
                parsed[name] = COLUMNS_BY_NAME[name].parse(raw)
            except CellError as error:
                add(name, error)

        name = parsed.get("kennung") or ""
        if name in self.duplicates:
            add(
                "kennung",
                _("Die Kennung „%(name)s“ steht mehrfach in der Datei (Zeilen %(rows)s).")
                % {"name": name, "rows": ", ".join(str(row) for row in self.duplicates[name])},
            )
        existing = self.existing.get(name)
        if existing is not None and existing.publisher_id != self.organisation.pk:
            add("kennung", _("Die Kennung „%(name)s“ gehört zu einer anderen Organisation.") % {"name": name})
            existing = None

        plan = RowPlan(row=number, name=name, dataset=existing, version=existing.version if existing else 0)
        self.check_dataset(plan, parsed, errors, add)
        self.check_keywords_and_themes(plan, parsed)
        self.check_classification(plan, parsed, cells, errors, add)
        return (None if errors else plan), errors

    def check_dataset(self, plan, parsed, errors, add):
        values = {}
        for column_name in self.columns & set(DATASET_COLUMNS.values()):
            column = COLUMNS_BY_NAME[column_name]
            if column_name in errors:
                continue
            value = parsed.get(column_name)
            values[column.field] = empty_value(Dataset._meta.get_field(column.field)) if value is None else value
        if plan.dataset is None:
            candidate = Dataset(publisher=self.organisation, created_by=self.user, **values)
        else:
            candidate = copy.copy(plan.dataset)
            for name, value in values.items():
                setattr(candidate, name, value)
            plan.fields = {
                name: value for name, value in values.items() if getattr(plan.dataset, name) != value and name != "name"
            }
        failed = [field for field, column in DATASET_COLUMNS.items() if column in errors]
        try:
            # Uniqueness of the name is decided above (existing datasets are looked up);
            # the foreign keys are set by the import itself. Both would cost a query per row.
            candidate.full_clean(
                exclude=[*failed, "publisher", "created_by", "owner", "steward", "current_classification"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as error:
            for column, messages in error_dict(error, DATASET_COLUMNS).items():
                for message in messages:
                    add(column, message)
        if plan.dataset is None:
            plan.fields = {name: getattr(candidate, name) for name in values}
            plan.fields["publisher"] = self.organisation

    def check_keywords_and_themes(self, plan, parsed):
        if "schlagwoerter" in parsed:
            keywords = parsed["schlagwoerter"]
            current = set() if plan.dataset is None else {keyword.name for keyword in plan.dataset.keywords.all()}
            if plan.dataset is None or set(keywords) != current:
                plan.keywords = keywords
        if "themen" in parsed:
            themes = parsed["themen"]
            current = set() if plan.dataset is None else {theme.code for theme in plan.dataset.themes.all()}
            if plan.dataset is None or set(themes) != current:
                plan.themes = themes

    def check_classification(self, plan, parsed, cells, errors, add):
        present = [name for name in CLASSIFICATION_COLUMNS.values() if name in cells and as_text(cells[name])]
        if not present:
            return
        base = plan.dataset.current_classification if plan.dataset else None
        values = {}
        for field_name, column_name in CLASSIFICATION_COLUMNS.items():
            model_field = Classification._meta.get_field(field_name)
            column = COLUMNS_BY_NAME[column_name]
            if column_name in errors:
                continue
            if column_name in self.columns:
                value = parsed.get(column_name)
            else:
                value = getattr(base, field_name) if base else None
            if value is None and column.required == "classification":
                add(
                    column_name,
                    _("Pflichtangabe, sobald eine Spalte der Klassifizierung ausgefüllt ist (hier: %(columns)s).")
                    % {"columns": ", ".join(present)},
                )
                continue
            values[field_name] = empty_value(model_field) if value is None else value
        candidate = Classification(classified_by=self.user, **values)
        # Fields already reported (unreadable or missing) are not checked a second time.
        unchecked = [name for name in CLASSIFICATION_FIELDS if name not in values]
        try:
            candidate.full_clean(
                exclude=[*unchecked, "dataset", "number", "classified_by"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as error:
            for column, messages in error_dict(error, CLASSIFICATION_COLUMNS).items():
                for message in messages:
                    add(column, message)
        if base is None or any(not same_value(getattr(base, name), values.get(name)) for name in CLASSIFICATION_FIELDS):
            plan.classification = values


def same_value(old, new) -> bool:
    if isinstance(old, list) or isinstance(new, list):
        return set(old or ()) == set(new or ())
    if isinstance(old, str) or isinstance(new, str):
        return (old or "").strip() == (new or "").strip()
    return old == new


# ---- Running an import ---------------------------------------------------------------


def validate_file(uploaded) -> str:
    """Check an uploaded inventory before it is stored: a CSV or XLSX file within the
    size limit whose content is what its name says. Returns the file type code."""
    name = uploaded.name.lower()
    if not name.endswith((".csv", ".xlsx")):
        raise ValidationError(
            _("Bitte laden Sie eine CSV- oder XLSX-Datei hoch (Excel: „Speichern unter“ → Excel-Arbeitsmappe)."),
            code="type",
        )
    checked = check_upload(uploaded)
    if checked.file_type.code not in IMPORT_FILE_TYPES:
        raise ValidationError(_("Bitte laden Sie eine CSV- oder XLSX-Datei hoch."), code="type")
    return checked.file_type.code


def file_type_of(inventory_import: InventoryImport) -> str:
    return "XLSX" if inventory_import.file.name.lower().endswith(".xlsx") else "CSV"


def read_stored_table(inventory_import: InventoryImport) -> Table:
    try:
        with inventory_import.file.open("rb") as stored:
            return read_table(stored, file_type_of(inventory_import))
    except ImportFileError:
        raise
    except Exception as error:
        # A damaged file can fail deep inside the CSV or XLSX reader.
        logger.warning("Inventory import %s: unreadable file", inventory_import.pk, exc_info=True)
        raise ImportFileError(
            _("Die Datei kann nicht gelesen werden (%(error)s).") % {"error": type(error).__name__}
        ) from error


def start_import(*, organisation, upload, by) -> InventoryImport:
    """Store the checked upload as an import and run it: here and now for small files,
    as a background task for large ones (above IMPORT_BACKGROUND_BYTES, unread, or above
    IMPORT_BACKGROUND_ROWS). The upload must have passed validate_file."""
    inventory_import = InventoryImport(
        organisation=organisation, original_name=upload.name.rsplit("/", 1)[-1][:255], created_by=by
    )
    # Stored under a name of our own: the uploaded one may be longer than the file system
    # allows (255 bytes), and original_name keeps it for the pages.
    extension = "xlsx" if upload.name.lower().endswith(".xlsx") else "csv"
    inventory_import.file.save(f"bestandsverzeichnis.{extension}", upload, save=False)
    inventory_import.save()
    if inventory_import.file.size > settings.IMPORT_BACKGROUND_BYTES:
        # Decided on the size alone: the request does not parse a large file at all (a small
        # archive may unpack to millions of rows); the worker reads it within the caps.
        run_inventory_import.delay_on_commit(inventory_import.pk)
        return inventory_import
    with translation.override(settings.LANGUAGE_CODE):
        try:
            table = read_stored_table(inventory_import)
        except ImportFileError as error:
            fail_with(inventory_import, *error.messages)
            return inventory_import
    inventory_import.total_rows = len(table.rows)
    inventory_import.save(update_fields=["total_rows"])
    if inventory_import.total_rows > settings.IMPORT_BACKGROUND_ROWS:
        run_inventory_import.delay_on_commit(inventory_import.pk)
    else:
        run_import(inventory_import, table=table)
    return inventory_import


def run_import(inventory_import: InventoryImport, *, table: Table | None = None) -> InventoryImport:
    """Check every row, then write all of them or none. Safe to call again: a finished
    import is left as it is. Messages are stored in the site's language."""
    inventory_import.refresh_from_db()
    if inventory_import.is_finished:
        return inventory_import
    with translation.override(settings.LANGUAGE_CODE):
        try:
            _run(inventory_import, table)
        except ConflictError:
            fail_with(
                inventory_import,
                _(
                    "Ein Datensatz wurde während des Imports von jemand anderem geändert; es wurde nichts "
                    "übernommen. Bitte laden Sie die Datei erneut hoch."
                ),
            )
        except (CatalogError, ValidationError) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            fail_with(
                inventory_import,
                _("Beim Übernehmen wurde ein Datensatz abgelehnt; es wurde nichts übernommen: %(reason)s")
                % {"reason": " ".join(messages)},
            )
        except Exception as error:
            logger.exception("Inventory import %s failed", inventory_import.pk)
            fail_with(
                inventory_import,
                _("Beim Übernehmen ist ein unerwarteter Fehler aufgetreten (%(error)s); es wurde nichts übernommen.")
                % {"error": type(error).__name__},
            )
    inventory_import.refresh_from_db()
    return inventory_import


def fail_with(inventory_import: InventoryImport, *messages) -> None:
    """Fail for a reason that concerns the file or the import as a whole."""
    fail(inventory_import, [{"row": None, "errors": {"": [str(message) for message in messages]}}])


UNFINISHED = (ImportStatus.PENDING, ImportStatus.RUNNING)


def fail(inventory_import: InventoryImport, errors: list[dict]) -> None:
    # A finished import keeps its result, even if a duplicate delivery of the task fails later.
    InventoryImport.objects.filter(pk=inventory_import.pk, status__in=UNFINISHED).update(
        status=ImportStatus.FAILED, errors=errors, finished=timezone.now()
    )
    inventory_import.refresh_from_db()


def report_progress(inventory_import: InventoryImport, **counts) -> None:
    # A plain UPDATE outside any transaction: committed at once, so the progress page sees it.
    InventoryImport.objects.filter(pk=inventory_import.pk, status__in=UNFINISHED).update(**counts)


def _run(inventory_import: InventoryImport, table: Table | None) -> None:
    report_progress(inventory_import, status=ImportStatus.RUNNING, processed_rows=0)
    if not has_role(inventory_import.created_by, Role.STEWARD, inventory_import.organisation):
        fail_with(inventory_import, _("Sie sind nicht (mehr) Datenverantwortliche:r dieser Organisation."))
        return
    if table is None:
        try:
            table = read_stored_table(inventory_import)
        except ImportFileError as error:
            fail_with(inventory_import, *error.messages)
            return
    total = len(table.rows)
    report_progress(inventory_import, total_rows=total)

    checker = RowChecker(inventory_import, table)
    new_rows = [number for number, cells in table.rows if as_text(cells.get("kennung")) not in checker.existing]
    missing = [column.name for column in COLUMNS if column.required == "new" and column.name not in checker.columns]
    if new_rows and missing:
        fail_with(
            inventory_import,
            _("Für neue Datensätze fehlen die Pflichtspalten: %(columns)s.") % {"columns": ", ".join(missing)},
        )
        return

    plans, errors = [], []
    for index, (number, cells) in enumerate(table.rows, start=1):
        plan, row_errors = checker.check(number, cells)
        if row_errors:
            errors.append({"row": number, "errors": row_errors})
        elif plan.changes_something:
            plans.append(plan)
        if index % PROGRESS_EVERY == 0:
            report_progress(inventory_import, processed_rows=index)
    report_progress(inventory_import, processed_rows=total)
    if errors:
        fail(inventory_import, errors)
        return
    write(inventory_import, plans)


def write(inventory_import: InventoryImport, plans: list[RowPlan]) -> None:
    by = inventory_import.created_by
    created = updated = 0
    with transaction.atomic():
        # Locking the import makes a second worker on the same import wait, then see it finished.
        locked = InventoryImport.objects.select_for_update().get(pk=inventory_import.pk)
        if locked.is_finished:
            return
        for plan in plans:
            if plan.dataset is None:
                dataset = services.create_dataset(
                    by=by,
                    fields=plan.fields,
                    keywords=plan.keywords or (),
                    themes=plan.themes or (),
                    code=IMPORT_REASON,
                )
                created += 1
            else:
                dataset = plan.dataset
                if plan.fields or plan.keywords is not None or plan.themes is not None:
                    dataset = services.update_dataset(
                        dataset,
                        by=by,
                        fields=plan.fields,
                        expected_version=plan.version,
                        keywords=plan.keywords,
                        themes=plan.themes,
                        code=IMPORT_REASON,
                    )
                updated += 1
            if plan.classification is not None:
                services.classify_dataset(dataset, by=by, fields=plan.classification)
        locked.status = ImportStatus.SUCCEEDED
        locked.created_count = created
        locked.updated_count = updated
        locked.processed_rows = locked.total_rows
        locked.errors = []
        locked.finished = timezone.now()
        locked.save()
    inventory_import.refresh_from_db()


# ---- Templates -----------------------------------------------------------------------


def template_rows() -> tuple[list[str], list]:
    return COLUMN_NAMES, [column.example for column in COLUMNS]


def template_csv() -> bytes:
    """Header and one example row, with ';' and a BOM so that Excel opens it correctly."""
    header, example = template_rows()
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(safe_row(header))
    writer.writerow(safe_row(value.strftime("%d.%m.%Y") if isinstance(value, date) else value for value in example))
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def template_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Bestand"
    header, example = template_rows()
    sheet.append(header)
    sheet.append(example)
    for position, column in enumerate(COLUMNS, start=1):
        sheet.cell(row=1, column=position).font = Font(bold=True)
        cell = sheet.cell(row=2, column=position)
        if isinstance(column.example, date):
            cell.number_format = "DD.MM.YYYY"
        elif column.name == "gemeindeschluessel":
            cell.number_format = "@"  # text, so leading zeros stay
        sheet.column_dimensions[get_column_letter(position)].width = max(14, len(column.name) + 2)
    sheet.freeze_panes = "A2"

    guide = workbook.create_sheet("Spalten")
    guide.append([_("Spalte"), _("Bedeutung"), _("Pflicht"), _("Werte")])
    for column in COLUMNS:
        guide.append([column.name, str(column.label), str(required_label(column)), str(column.values)])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCD", (30, 60, 30, 70), strict=True):
        guide.column_dimensions[letter].width = width

    # Spreadsheet-safe text written as string cells (openpyxl would make "=…" a formula).
    for written in workbook.worksheets:
        for row in written.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.value = safe_cell(cell.value)
                    cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---- Celery task (named as when it lived in catalog.tasks) ---------------------------


@shared_task(name="catalog.tasks.run_inventory_import", acks_late=True)
def run_inventory_import(import_id: int) -> str | None:
    """Run a large inventory import in the background. Safe to deliver twice: a finished
    import is left as it is, and the write phase locks the import row."""
    inventory_import = InventoryImport.objects.filter(pk=import_id).first()
    if inventory_import is None or inventory_import.is_finished:
        return None
    return run_import(inventory_import).status
