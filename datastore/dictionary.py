"""The data dictionary of a table: the columns as the load found them (name, type) with
what the steward wrote about them (ColumnDescription: title, description, unit, allowed
values), for the API, CKAN's datastore fields, the dataset page and the Table Schema
(frictionless) document that DCAT's dct:conformsTo names."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from catalog import changes, services
from catalog.errors import ConflictError
from catalog.models import Dataset, Distribution, DistributionReport, DistributionStatus, ReportKind
from core import transitions

from .loader import TABULAR_FORMATS, unique_names
from .models import COLUMN_TYPES, ColumnDescription, DataTable
from .permissions import queryable_tables
from .signals import table_queried

# Table Schema's names of our types (https://specs.frictionlessdata.io/table-schema/).
TABLE_SCHEMA_TYPES = {"integer": "integer", "number": "number", "date": "date", "datetime": "datetime",
                      "boolean": "boolean", "string": "string"}  # fmt: skip
# CKAN DataStore's names of our types.
CKAN_TYPES = {"integer": "int8", "number": "numeric", "date": "date", "datetime": "timestamp", "boolean": "bool",
              "string": "text"}  # fmt: skip


def descriptions(table: DataTable) -> dict[str, ColumnDescription]:
    return {description.name: description for description in ColumnDescription.objects.filter(
        distribution_id=table.distribution_id)}  # fmt: skip


def fields(table: DataTable, columns: list[dict] | None = None, *, described: dict | None = None) -> list[dict]:
    """The columns (all, or `columns` of an answer) with their dictionary entries."""
    described = descriptions(table) if described is None else described
    result = []
    for column in table.columns if columns is None else columns:
        entry = {"id": column["id"], "type": column["type"]}
        description = described.get(column["id"])
        entry.update({
            "title": description.title if description else "",
            "description": description.description if description else "",
            "unit": description.unit if description else "",
            "values": description.allowed_values if description else [],
        })  # fmt: skip
        result.append(entry)
    return result


def label(entry: dict) -> str:
    """A column's heading for people: its title, else its name."""
    return entry.get("title") or entry["id"]


def table_schema(table: DataTable, *, described: dict | None = None) -> dict:
    """The Table Schema (frictionless) of the table."""
    schema_fields = []
    for entry in fields(table, described=described):
        field = {"name": entry["id"], "type": TABLE_SCHEMA_TYPES[entry["type"]]}
        if entry["title"]:
            field["title"] = entry["title"]
        if entry["description"]:
            field["description"] = entry["description"]
        if entry["unit"]:
            field["unit"] = entry["unit"]
        if entry["values"]:
            field["constraints"] = {"enum": entry["values"]}
        schema_fields.append(field)
    return {"fields": schema_fields}


def table_schemas(identifiers) -> dict:
    """The Table Schemas of the loaded tables of these distributions (by identifier, as
    given), in two queries: CKAN's resource `schema` of a page of packages."""
    tables = list(
        DataTable.objects.filter(distribution__identifier__in=list(identifiers))
        .exclude(table_name="")
        .values_list("distribution__identifier", "distribution_id", "columns")
    )
    own = _own([distribution_id for _identifier, distribution_id, _columns in tables])
    return {
        identifier: table_schema(DataTable(distribution_id=distribution_id, columns=columns),
                                 described=own[distribution_id])
        for identifier, distribution_id, columns in tables
    }  # fmt: skip


def count_query(table: DataTable) -> None:
    """One query of the table for the usage statistics (portal.usage listens)."""
    table_queried.send(sender=DataTable, dataset_id=table.distribution.dataset_id)


# ---------------------------------------------------------------------------
# The steward's side: the dictionary as part of the dataset's reviewed metadata.
#
# A draft's dictionary is written at once ("datastore.dictionary.changed"). An approved or
# published dataset is not changed: the edit goes into its pending change, as
# proposed["dictionary"] = {"<distribution identifier>": {"distribution": title,
# "columns": [{name, title, unit, description, values, before: {...}}]}} (only the columns
# that differ, with what they were, for the reviewers), and is written when the change is
# applied ("datastore.dictionary.applied", catalog.signals.change_applying). A new file
# version (a replacement in the change) starts from the entries of the file it replaces for
# the columns of the same name: shown so in the editor, and copied when the change is
# applied, before the old file goes.

ENTRY_FIELDS = ("title", "unit", "description", "values")
PROPOSAL_KEY = "dictionary"
BLANK = {"title": "", "unit": "", "description": "", "values": []}


def entry_of(description: ColumnDescription | None) -> dict:
    if description is None:
        return dict(BLANK)
    return {"title": description.title, "unit": description.unit, "description": description.description,
            "values": list(description.allowed_values)}  # fmt: skip


def is_tabular(distribution) -> bool:
    return distribution.format in TABULAR_FORMATS and bool(distribution.file)


def columns_of(distribution, table: DataTable | None = None, reports=None) -> list[dict]:
    """The columns the steward describes: [{"name", "type", "loaded"}] of the loaded table,
    else of the tabular check of the file's current version (a table loads only once
    public, the steward describes it before). `reports`: the distribution's reports, if
    fetched already."""
    if table is not None and table.columns:
        return [{"name": column["id"], "type": column["type"], "loaded": True} for column in table.columns]
    if reports is None:
        reports = DistributionReport.objects.filter(distribution=distribution, kind=ReportKind.TABULAR)
    for report in reports:
        if report.kind == ReportKind.TABULAR and report.checksum_sha256 == distribution.checksum_sha256:
            names = [column.get("name") for column in report.report.get("columns", [])]
            types = [column.get("type", "") for column in report.report.get("columns", [])]
            return [{"name": name, "type": kind, "loaded": False} for name, kind in zip(unique_names(names), types,
                                                                                         strict=False)]  # fmt: skip
    return []


def _own(distribution_ids) -> dict[int, dict[str, ColumnDescription]]:
    own: dict[int, dict[str, ColumnDescription]] = {pk: {} for pk in distribution_ids}
    if not own:
        return own
    for description in ColumnDescription.objects.filter(distribution_id__in=distribution_ids):
        own[description.distribution_id][description.name] = description
    return own


def editable_distributions(dataset, change=None, distributions=None) -> list:
    """The tables the steward describes: the dataset's tabular uploads that are part of it
    (current), and those its pending change proposes; from `distributions` (all of the
    dataset's, with their reports prefetched) if the caller has them."""
    if distributions is None:
        scope = Q(status=DistributionStatus.CURRENT)
        if change is not None:
            scope |= Q(status=DistributionStatus.PROPOSED, change=change)
        distributions = (
            Distribution.objects.filter(Q(dataset=dataset) & scope, format__in=TABULAR_FORMATS)
            .exclude(file="")
            .prefetch_related("reports")
            .order_by("created", "pk")
        )
    return [
        distribution
        for distribution in distributions
        if is_tabular(distribution)
        and (
            distribution.status == DistributionStatus.CURRENT
            or (change is not None and distribution.status == DistributionStatus.PROPOSED
                and distribution.change_id == change.pk)
        )
    ]  # fmt: skip


def proposals_of(change) -> dict:
    return dict((change.proposed.get(PROPOSAL_KEY) or {}) if change is not None else {})


def _tables(distribution_ids) -> dict[int, DataTable]:
    if not distribution_ids:
        return {}
    return {table.distribution_id: table for table in DataTable.objects.filter(distribution_id__in=distribution_ids)}


def base_entries(distribution, own: dict[str, ColumnDescription], replaced_own=None, replaced_proposal=None):
    """What the distribution's dictionary says now, by column name: its own entries; a
    replacement's start from the replaced file's (with what the change proposes for it)."""
    entries = {name: entry_of(description) for name, description in own.items()}
    if replaced_own is not None:
        seed = {name: entry_of(description) for name, description in replaced_own.items()}
        for column in (replaced_proposal or {}).get("columns", []):
            seed[column["name"]] = {field: column[field] for field in ENTRY_FIELDS}
        for name, entry in seed.items():
            entries.setdefault(name, entry)
    return entries


def staff_view(dataset, change=None, distributions=None) -> list[dict]:
    """For the internal dataset page and the editor: per table its distribution, columns
    and entries as they stand with the pending change; two queries (none without a table)
    besides reading the distributions if the caller has not (`distributions`: all of the
    dataset's, reports prefetched)."""
    distributions = editable_distributions(dataset, change, distributions)
    if not distributions:
        return []
    replaced_ids = [d.replaces_id for d in distributions if d.replaces_id]
    by_pk = {d.pk: d for d in distributions}
    missing = [pk for pk in replaced_ids if pk not in by_pk]
    if missing:  # a replaced file is current, so normally among the distributions already
        by_pk.update({d.pk: d for d in Distribution.objects.filter(pk__in=missing)})
    own = _own([d.pk for d in distributions] + replaced_ids)
    tables = _tables([d.pk for d in distributions])
    proposals = proposals_of(change)
    result = []
    for distribution in distributions:
        replaced = by_pk[distribution.replaces_id] if distribution.replaces_id else None
        base = base_entries(
            distribution, own[distribution.pk],
            replaced_own=own.get(replaced.pk) if replaced else None,
            replaced_proposal=proposals.get(str(replaced.identifier)) if replaced else None,
        )  # fmt: skip
        proposal = proposals.get(str(distribution.identifier))
        pending = {column["name"] for column in (proposal or {}).get("columns", [])}
        entries = dict(base)
        for column in (proposal or {}).get("columns", []):
            entries[column["name"]] = {field: column[field] for field in ENTRY_FIELDS}
        columns = columns_of(distribution, tables.get(distribution.pk), distribution.reports.all())
        rows = []
        for column in columns:
            entry = entries.get(column["name"], dict(BLANK))
            label = COLUMN_TYPES.get(column["type"], column["type"]) if column["type"] else ""
            rows.append({**column, **entry, "type_label": label, "pending": column["name"] in pending})
        result.append({"distribution": distribution, "replaces": replaced, "columns": rows, "base": base,
                       "pending": bool(pending)})  # fmt: skip
    return result


def _write(distribution, entries: dict[str, dict], *, by, reason: str) -> int:
    """Write the entries (by column name) as the distribution's dictionary, a version each
    that changed; a blank entry removes the column's. Returns how many changed."""
    own = {d.name: d for d in ColumnDescription.objects.filter(distribution=distribution)}
    changed = 0
    for name, entry in entries.items():
        description = own.get(name)
        blank = not any(entry[field] for field in ENTRY_FIELDS)
        if entry_of(description) == {**BLANK, **{field: entry[field] for field in ENTRY_FIELDS}}:
            continue
        if description is None:
            if blank:
                continue
            description = ColumnDescription(distribution=distribution, name=name)
        description._history_user, description._change_reason = by, reason
        if blank:
            description.delete()
        else:
            description.title, description.unit = entry["title"], entry["unit"]
            description.description, description.allowed_values = entry["description"], list(entry["values"])
            description.full_clean()
            description.save()
        changed += 1
    return changed


def save(distribution, entries: dict[str, dict], *, by, expected_version: int) -> str:
    """The steward's edit of a table's dictionary (entries by column name, made on the
    dataset's `expected_version`, catalog.services.edit_version): written at once on a
    draft, into the pending change on an approved or published dataset. Returns
    "changed", "proposed" or "unchanged"; a ConflictError if the dataset moved on, a
    CatalogError while it is in review."""
    dataset = distribution.dataset
    if services.under_change_control(dataset):
        change = services.active_change(dataset)
        proposals = proposals_of(change)
        key = str(distribution.identifier)
        view = next((item for item in staff_view(dataset, change) if item["distribution"].pk == distribution.pk), None)
        base = view["base"] if view else {}
        columns = []
        for name, entry in entries.items():
            before = base.get(name, dict(BLANK))
            if entry != before:
                columns.append({"name": name, **entry, "before": before})
        if columns:
            proposals[key] = {"distribution": distribution.title, "columns": columns}
        else:
            proposals.pop(key, None)
        if proposals == proposals_of(change):
            return "unchanged"
        changes.propose_other(dataset, PROPOSAL_KEY, proposals, by=by, expected_version=expected_version,
                              reason="datastore.dictionary.proposed")  # fmt: skip
        return "proposed"
    with transaction.atomic():
        locked = transitions.lock(Dataset.objects.all(), dataset.pk, expected_version=expected_version,
                                  message=services.STALE_EDIT, conflict=ConflictError)  # fmt: skip
        services.refuse_while_in_review(locked)
        if services.under_change_control(locked):
            raise ConflictError(services.STALE_EDIT)  # approved meanwhile
        if not _write(distribution, entries, by=by, reason="datastore.dictionary.changed"):
            return "unchanged"
        services.touch_dataset(locked, by=by, reason="datastore.dictionary.changed")
    return "changed"


def apply_proposed(change, *, by) -> None:
    """Write what the change proposes for the dictionaries (catalog.signals.change_applying,
    before its files replace the current ones); then every replacement takes the replaced
    file's entries (as now written) for its columns of the same name that it has no entry
    of its own for and the change did not propose one, as its editor showed them."""
    proposals = proposals_of(change)
    for distribution in Distribution.objects.filter(dataset=change.dataset_id, identifier__in=list(proposals)):
        proposal = proposals[str(distribution.identifier)]
        entries = {column["name"]: {field: column[field] for field in ENTRY_FIELDS} for column in proposal["columns"]}
        _write(distribution, entries, by=by, reason="datastore.dictionary.applied")
    replacements = [
        distribution
        for distribution in change.added_distributions.filter(status=DistributionStatus.PROPOSED)
        .exclude(replaces=None)
        .prefetch_related("reports")
        if is_tabular(distribution)
    ]
    if not replacements:
        return
    own = _own([d.pk for d in replacements] + [d.replaces_id for d in replacements])
    tables = _tables([d.pk for d in replacements])
    for distribution in replacements:
        proposed = {column["name"] for column in proposals.get(str(distribution.identifier), {}).get("columns", [])}
        names = {column["name"] for column in columns_of(distribution, tables.get(distribution.pk),
                                                         distribution.reports.all())}  # fmt: skip
        seed = {name: entry_of(description) for name, description in own[distribution.replaces_id].items()
                if name in names and name not in own[distribution.pk] and name not in proposed}  # fmt: skip
        _write(distribution, seed, by=by, reason="datastore.dictionary.copied")


def public_view(dataset) -> list[dict]:
    """The dictionaries of the dataset's queryable tables for its public page:
    [{"distribution", "fields": fields() with "type_label"}]. The page has the current
    distributions prefetched: no query without a table, two with any number of them; kept
    on the dataset, so the page's explorer links (datastore_tables) ask nothing more."""
    if hasattr(dataset, "_public_dictionary"):
        return dataset._public_dictionary
    dataset._public_dictionary = _public_view(dataset)
    return dataset._public_dictionary


def _public_view(dataset) -> list[dict]:
    candidates = [distribution.pk for distribution in dataset.distributions.all() if is_tabular(distribution)]
    if not candidates:
        return []
    tables = list(queryable_tables().filter(distribution_id__in=candidates).order_by("distribution__created",
                                                                                      "distribution__pk"))  # fmt: skip
    own = _own([table.distribution_id for table in tables])
    result = []
    for table in tables:
        entries = fields(table, described=own[table.distribution_id])
        for entry in entries:
            entry["type_label"] = COLUMN_TYPES.get(entry["type"], entry["type"])
        result.append({"distribution": table.distribution, "table": table, "fields": entries})
    return result
