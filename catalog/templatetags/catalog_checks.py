"""Template filters for the catalog's checks."""

from django import template

from catalog.disclosure import applies_to

register = template.Library()


@register.filter
def disclosure_applies(distribution) -> bool:
    """Whether small counts in this table can point at persons (catalog.disclosure.applies_to):
    asked only for a table whose check flagged cells."""
    return applies_to(distribution.dataset.current_classification)
