from django import template

from governance.policytext import render_markdown

register = template.Library()


@register.filter
def markdown(text):
    """Markdown of a strategy, field, goal or measure, sanitised like policy texts."""
    return render_markdown(text)
