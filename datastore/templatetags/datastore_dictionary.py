"""The data dictionary on the pages of other apps (their templates include ours): the
internal dataset page and the public one. Each tag reads what it shows in a constant
number of queries, whatever the number of tables."""

from django import template

from datastore import dictionary

register = template.Library()


@register.simple_tag
def staff_dictionary(dataset, change=None, distributions=None):
    """The dataset's tables with their columns and entries as the pending change has them
    (`distributions`: the page's, with their reports prefetched)."""
    return dictionary.staff_view(dataset, change, distributions)


@register.simple_tag
def public_dictionary(dataset):
    """The dataset's queryable tables with their dictionaries (no query without a table, two with)."""
    return dictionary.public_view(dataset)
