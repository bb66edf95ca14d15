"""The dataset page asks which of its distributions have a table anyone may query (one
query for all of them), to link the explorer and show the API address."""

from django import template

from datastore import dictionary

register = template.Library()


@register.simple_tag
def queryable_distributions(dataset) -> set[int]:
    """The pks of the dataset's distributions whose table `queryable_table` allows (read
    with the page's data dictionary, datastore.dictionary.public_view)."""
    return {table["distribution"].pk for table in dictionary.public_view(dataset)}
