"""The dataset page asks which of its distributions have a table anyone may query (one
query for all of them), to link the explorer and show the API address."""

from django import template

from datastore.permissions import queryable_tables

register = template.Library()


@register.simple_tag
def queryable_distributions(dataset) -> set[int]:
    """The pks of the dataset's distributions whose table `queryable_table` allows."""
    return set(queryable_tables().filter(distribution__dataset=dataset).values_list("distribution_id", flat=True))
