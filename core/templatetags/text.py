"""Filters that turn rendered text into plain text for places where markup has no
meaning: attributes, `<meta>` and short teasers."""

import html

from django import template
from django.utils.html import strip_tags

register = template.Library()


@register.filter
def plaintext(value) -> str:
    """The text of HTML (e.g. a `|markdown` rendering): tags removed, entities decoded,
    whitespace collapsed. The result is an ordinary string, so autoescaping escapes it
    again where it is written. `striptags` alone keeps its input's "safe" mark: quotes
    in Markdown text (which the sanitizer leaves as they are) then broke out of
    `<meta name="description" content="…">`."""
    return " ".join(html.unescape(strip_tags(str(value))).split())
