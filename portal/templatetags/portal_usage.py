"""The usage figures of a dataset on the internal catalog page (catalog/dataset_detail.html).

A template tag, because the catalog may not import the portal (the layers in
pyproject.toml): the catalog's view knows nothing of usage statistics, its template asks
the portal for this one box. One query (portal.usage.dataset_report)."""

from django import template

from portal import usage

register = template.Library()


@register.inclusion_tag("portal/includes/usage_internal.html")
def dataset_usage(dataset):
    return {"dataset": dataset, "report": usage.dataset_report(dataset.pk)}
