"""Atom feeds of new and changed datasets (issue 24), as CKAN offers /feeds/dataset.atom:
for the whole portal, per organisation (publisher), per EU data theme and per search
(the parameters of the search page /suche/, text and facets).

Built on Django's syndication framework. A feed reads published datasets only: the
portal's door `Dataset.objects.published()`, and for a search `portal.search.matching`,
which starts from it. The newest change comes first and a feed holds FEED_LENGTH
entries; the order (-modified, pk) is that of the DCAT catalog and of its partial index
of published datasets.

An entry's `updated` is the dataset's `modified`: it is what the dataset page shows as
"geändert am" and what DCAT publishes as dct:modified, and it moves with every change of
the metadata, so a changed dataset comes back to the top of the feed as its readers
expect; `published` is its `issued` (publication). URLs and ids are absolute on SITE_URL,
as in the DCAT documents, whichever host the request came by; an entry's id is the
dataset's UUID, which survives any change of the portal's address."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.syndication.views import Feed, FeedDoesNotExist
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from catalog.models import Dataset
from catalog.vocabularies import DataTheme
from governance.models import Organisation

from . import search as portal_search

FEED_LENGTH = 50
SUMMARY_LENGTH = 500

# Control characters XML 1.0 forbids (Django's XML writer refuses them with an error);
# a pasted or harvested description may carry one. Dropped from every text of a feed.
_XML_FORBIDDEN = dict.fromkeys([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_SPACES = re.compile(r"\s+")


def _text(value: str) -> str:
    return _SPACES.sub(" ", value.translate(_XML_FORBIDDEN)).strip()


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


# ---------------------------------------------------------------------------
# What a feed shows, and how the pages name it


@dataclass(frozen=True)
class FeedLink:
    title: str
    url: str  # path and query on this site


def portal_link() -> FeedLink:
    title = _("Neue und geänderte Datensätze – %(portal)s") % {"portal": settings.SITE_NAME}
    return FeedLink(title, reverse("portal:feed"))


def organisation_link(slug: str, name: str) -> FeedLink:
    title = _("Neue und geänderte Datensätze von %(organisation)s – %(portal)s") % {
        "organisation": name,
        "portal": settings.SITE_NAME,
    }
    return FeedLink(title, reverse("portal:feed_organisation", args=[slug]))


def theme_link(code: str) -> FeedLink:
    title = _("Neue und geänderte Datensätze zum Thema %(theme)s – %(portal)s") % {
        "theme": portal_search.value_label(portal_search.FACETS_BY_PARAM["thema"], code),
        "portal": settings.SITE_NAME,
    }
    return FeedLink(title, reverse("portal:feed_theme", args=[code]))


def _with_query(path: str, query: str, selected: dict[str, list[str]]) -> str:
    """`path` with the search as its parameters in a fixed order: the text, then the facets
    in the order of portal.search.FACETS (as parse_selected returns them); no sort, no cursor."""
    pairs = ([("q", query)] if query else []) + [
        (param, value) for param, values in selected.items() for value in values
    ]
    return f"{path}?{urlencode(pairs)}" if pairs else path


def search_link(query: str, selected: dict[str, list[str]], names: dict[str, str]) -> FeedLink:
    """The feed of a search; `names` names the selected organisations by slug (an unknown
    slug is shown as it is, as on the search page)."""
    if not query and not selected:
        return portal_link()
    parts = [f"„{query}“"] if query else []
    for param, values in selected.items():
        facet = portal_search.FACETS_BY_PARAM[param]
        labels = [portal_search.value_label(facet, value, names.get(value, "")) for value in values]
        either = f" {_('oder')} "
        parts.append(f"{facet.label}: {either.join(labels)}")
    title = _("Neue und geänderte Datensätze zur Suche %(search)s – %(portal)s") % {
        "search": ", ".join(parts),
        "portal": settings.SITE_NAME,
    }
    return FeedLink(title, _with_query(reverse("portal:feed_search"), query, selected))


def search_page_links(result: portal_search.SearchResult) -> list[FeedLink]:
    """The feeds a search page offers: its own search's first, then one per chosen
    organisation and theme that has published datasets in it (their names come from
    the page's facets, so this costs no query). A search for one theme or one
    organisation alone is that theme's or organisation's feed."""
    known = {
        facet.param: {value.value: value.label for value in facet.values if value.selected}
        for facet in result.facets
        if facet.param in ("thema", "organisation")
    }
    own = [theme_link(code) for code in known.get("thema", {})]
    own += [organisation_link(slug, name) for slug, name in known.get("organisation", {}).items()]
    chosen = [(param, value) for param, values in result.selected.items() for value in values]
    if not result.query and len(chosen) == 1 and len(own) == 1:
        return own
    return [search_link(result.query, result.selected, known.get("organisation", {})), *own]


@dataclass(frozen=True)
class Scope:
    """One feed: its link and title, the page it follows and its published datasets."""

    link: FeedLink
    page: str  # path and query of the portal page with the same datasets
    datasets: QuerySet


# ---------------------------------------------------------------------------
# The feeds


class DatasetFeed(Feed):
    feed_type = Atom1Feed
    item_guid_is_permalink = False

    def get_object(self, request, *args, **kwargs) -> Scope:
        raise NotImplementedError

    def title(self, scope: Scope) -> str:
        return scope.link.title

    def subtitle(self, scope: Scope) -> str:
        text = _(
            "Die zuletzt veröffentlichten oder geänderten Datensätze, die neueste Änderung zuerst "
            "(höchstens %(count)s)."
        )
        return text % {"count": FEED_LENGTH}

    def link(self, scope: Scope) -> str:
        return _absolute(scope.page)

    def feed_url(self, scope: Scope) -> str:
        return _absolute(scope.link.url)

    def feed_guid(self, scope: Scope) -> str:
        return _absolute(scope.link.url)

    def items(self, scope: Scope):
        return (
            scope.datasets.select_related("publisher")
            .prefetch_related("themes", "keywords")
            .only("identifier", "name", "title", "description", "issued", "modified", "publisher__name")
            .order_by("-modified", "pk")[:FEED_LENGTH]
        )

    def item_title(self, dataset: Dataset) -> str:
        return _text(dataset.title)  # Atom's title is text: no escaping for HTML

    def item_link(self, dataset: Dataset) -> str:
        return _absolute(reverse("portal:dataset_detail", args=[dataset.name]))

    def item_guid(self, dataset: Dataset) -> str:
        return f"urn:uuid:{dataset.identifier}"

    def item_description(self, dataset: Dataset) -> str:
        # Django writes the summary as type="html": plain text is escaped to stay text.
        return escape(Truncator(_text(dataset.description)).chars(SUMMARY_LENGTH))

    def item_author_name(self, dataset: Dataset) -> str:
        return _text(dataset.publisher.name)

    def item_pubdate(self, dataset: Dataset):
        return dataset.issued

    def item_updateddate(self, dataset: Dataset):
        return dataset.modified

    def item_categories(self, dataset: Dataset) -> list[str]:
        """The themes' labels, then the keywords (prefetched)."""
        terms = [str(theme) for theme in dataset.themes.all()] + [keyword.name for keyword in dataset.keywords.all()]
        return list(dict.fromkeys(_text(term) for term in terms if term.strip()))


class PortalFeed(DatasetFeed):
    def get_object(self, request, *args, **kwargs) -> Scope:
        return Scope(portal_link(), reverse("portal:home"), Dataset.objects.published())


class OrganisationFeed(DatasetFeed):
    """The datasets the organisation publishes itself, like the search's organisation
    filter (its departments have feeds of their own)."""

    def get_object(self, request, *args, slug: str, **kwargs) -> Scope:
        organisation = Organisation.objects.only("slug", "name").get(slug=slug)  # unknown: 404
        return Scope(
            organisation_link(organisation.slug, organisation.name),
            _with_query(reverse("portal:search"), "", {"organisation": [organisation.slug]}),
            Dataset.objects.published().filter(publisher=organisation),
        )


class ThemeFeed(DatasetFeed):
    def get_object(self, request, *args, code: str, **kwargs) -> Scope:
        if code not in DataTheme.values:
            raise FeedDoesNotExist  # the syndication view answers 404
        return Scope(
            theme_link(code),
            _with_query(reverse("portal:search"), "", {"thema": [code]}),
            Dataset.objects.published().filter(themes__code=code),
        )


class SearchFeed(DatasetFeed):
    """The search page's parameters, read and bounded as the search reads them; the sort
    and the cursor do not apply (a feed is always newest change first)."""

    def get_object(self, request, *args, **kwargs) -> Scope:
        query = request.GET.get("q", "").strip()[: portal_search.MAX_QUERY_LENGTH]
        selected = portal_search.parse_selected(request.GET)
        names = {}
        if selected.get("organisation"):
            names = dict(Organisation.objects.filter(slug__in=selected["organisation"]).values_list("slug", "name"))
        # The self link and id are this address's, also without any parameter (where the
        # title is the whole portal's).
        link = FeedLink(
            search_link(query, selected, names).title, _with_query(reverse("portal:feed_search"), query, selected)
        )
        page = _with_query(reverse("portal:search"), query, selected)
        return Scope(link, page, portal_search.matching(query, selected))


# Read-only like every public page: anything but GET is a 405.
portal_feed = require_GET(PortalFeed())
organisation_feed = require_GET(OrganisationFeed())
theme_feed = require_GET(ThemeFeed())
search_feed = require_GET(SearchFeed())
