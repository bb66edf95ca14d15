"""The state of the tables of a dataset for the staff page: loading (with progress),
queryable, failed (with the reason). One query for all distributions of the page."""

from django import template

from ..models import DataTable

register = template.Library()


@register.simple_tag
def datastore_tables(distributions) -> dict:
    """{distribution pk: DataTable} of the distributions shown."""
    pks = [distribution.pk for distribution in distributions if distribution.is_upload]
    if not pks:
        return {}
    return {table.distribution_id: table for table in DataTable.objects.filter(distribution_id__in=pks)}


@register.inclusion_tag("datastore/includes/table_status.html")
def table_status(tables: dict, distribution):
    return {"table": tables.get(distribution.pk)}
