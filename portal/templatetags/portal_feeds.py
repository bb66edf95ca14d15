"""The Atom feeds a portal page links (portal/feeds.py)."""

from django import template

from portal import feeds

register = template.Library()


@register.simple_tag
def portal_feed_link() -> feeds.FeedLink:
    return feeds.portal_link()


@register.simple_tag
def search_feed_links(result) -> list[feeds.FeedLink]:
    return feeds.search_page_links(result)
