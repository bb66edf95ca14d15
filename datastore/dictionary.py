"""The data dictionary of a table: the columns as the load found them (name, type) with
what the steward wrote about them (ColumnDescription: title, description, unit, allowed
values), for the API, CKAN's datastore fields, the dataset page and the Table Schema
(frictionless) document that DCAT's dct:conformsTo names."""

from __future__ import annotations

from .models import ColumnDescription, DataTable
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


def table_schema(table: DataTable) -> dict:
    """The Table Schema (frictionless) of the table."""
    schema_fields = []
    for entry in fields(table):
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


def count_query(table: DataTable) -> None:
    """One query of the table for the usage statistics (portal.usage listens)."""
    table_queried.send(sender=DataTable, dataset_id=table.distribution.dataset_id)
