"""Atom feeds of new and changed datasets (issue 24): for the whole portal (also at CKAN's
/feeds/dataset.atom), per organisation, per theme and per search. Only published
datasets, newest change first, bounded, absolute URLs on SITE_URL, well-formed XML
whatever the text holds, linked from the pages' heads, a constant number of queries."""

import html
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import Dataset
from portal import feeds

from .conftest import SECRET, fresh

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SITE = "https://daten.example.org"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def atom(response) -> ET.Element:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)  # noqa: S314 – our own response
    assert root.tag == f"{ATOM}feed"
    return root


def entries(root) -> list[dict]:
    found = []
    for entry in root.findall(f"{ATOM}entry"):
        found.append(
            {
                "title": entry.findtext(f"{ATOM}title"),
                "link": entry.find(f"{ATOM}link[@rel='alternate']").get("href"),
                "id": entry.findtext(f"{ATOM}id"),
                "updated": entry.findtext(f"{ATOM}updated"),
                "published": entry.findtext(f"{ATOM}published"),
                "author": entry.findtext(f"{ATOM}author/{ATOM}name"),
                # type="html": the text is HTML, so plain text arrives escaped once more
                "summary": html.unescape(entry.findtext(f"{ATOM}summary") or ""),
                "categories": [category.get("term") for category in entry.findall(f"{ATOM}category")],
            }
        )
    return found


def titles(root) -> list[str]:
    return [entry["title"] for entry in entries(root)]


def feed(client, url, **params):
    return atom(client.get(url, params))


@pytest.fixture
def draft(flow_a, org_a):
    return flow_a.create(org_a, "baumschnitt-entwurf", title="Baumschnitt (Entwurf)", themes=["ENVI"])


@pytest.fixture
def traffic(flow_b, org_b):
    """A published dataset of Stadt B on another theme, published after `published`."""
    return flow_b.publish(
        flow_b.create(
            org_b, "radwegenetz", title="Radwegenetz", description="Alle Radwege der Stadt.", keywords=["Rad"],
            themes=["TRAN"],
        )
    )  # fmt: skip


# ---------------------------------------------------------------------------
# The whole portal


def test_the_portal_feed_is_atom_with_the_published_datasets_only(client, published, draft):
    root = feed(client, "/feeds/datensaetze.atom")
    assert root.findtext(f"{ATOM}title") == "Neue und geänderte Datensätze – Stadtdaten"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "de"
    self_link = root.find(f"{ATOM}link[@rel='self']").get("href")
    assert self_link == f"{SITE}/feeds/datensaetze.atom"
    assert root.findtext(f"{ATOM}id") == self_link
    assert root.find(f"{ATOM}link[@rel='alternate']").get("href") == f"{SITE}/"
    [entry] = entries(root)
    dataset = fresh(published)
    assert entry == {
        "title": "Baumkataster",
        "link": f"{SITE}/datensatz/baumkataster/",
        "id": f"urn:uuid:{dataset.identifier}",
        "updated": dataset.modified.isoformat(),
        "published": dataset.issued.isoformat(),
        "author": "Stadt A",
        "summary": "Alle Straßen- und Parkbäume mit Art, Höhe und Standort.",
        "categories": ["Umwelt", "Bäume"],
    }
    # The feed's own change is its newest entry's.
    assert root.findtext(f"{ATOM}updated") == dataset.modified.isoformat()


def test_ckan_s_feed_address_is_the_portal_feed(client, published):
    assert client.get("/feeds/dataset.atom").content == client.get("/feeds/datensaetze.atom").content


def test_nothing_unpublished_reaches_any_feed(client, published, unpublished, org_b):
    urls = [
        "/feeds/datensaetze.atom",
        "/feeds/dataset.atom",
        f"/feeds/organisation/{org_b.slug}.atom",
        "/feeds/thema/HEAL.atom",
        f"/feeds/suche.atom?q={SECRET}",
        f"/feeds/suche.atom?schlagwort={SECRET}-entwurf",
    ]
    for url in urls:
        found = entries(atom(client.get(url)))
        assert [entry["title"] for entry in found] in (["Baumkataster"], []), url
        assert SECRET not in repr(found), url  # (a search feed's own title repeats the search)


def test_the_newest_change_comes_first_and_the_feed_is_bounded(client, published, traffic, monkeypatch):
    assert titles(feed(client, "/feeds/datensaetze.atom")) == ["Radwegenetz", "Baumkataster"]
    # A change of the older one brings it to the top.
    Dataset.objects.filter(pk=published.pk).update(modified=timezone.now() + timedelta(minutes=1))
    assert titles(feed(client, "/feeds/datensaetze.atom")) == ["Baumkataster", "Radwegenetz"]
    monkeypatch.setattr(feeds, "FEED_LENGTH", 1)
    assert titles(feed(client, "/feeds/datensaetze.atom")) == ["Baumkataster"]


def test_an_empty_portal_has_an_empty_feed(client, db):
    root = feed(client, "/feeds/datensaetze.atom")
    assert root.findall(f"{ATOM}entry") == []
    assert root.findtext(f"{ATOM}updated")


def test_the_summary_is_plain_text_shortened_and_hostile_text_stays_text(client, published):
    hostile = '<script>alert("x")</script> & Bäume\x0b\x1f ' + "lang " * 200
    Dataset.objects.filter(pk=published.pk).update(title="Bäume <b>fett</b>\x0c", description=hostile)
    response = client.get("/feeds/datensaetze.atom")
    [entry] = entries(atom(response))  # control characters XML forbids are dropped, not a 500
    assert entry["title"] == "Bäume <b>fett</b>"
    assert entry["summary"].startswith('<script>alert("x")</script> & Bäume ')
    assert len(entry["summary"]) <= feeds.SUMMARY_LENGTH
    assert entry["summary"].endswith("…")
    assert b"<script>" not in response.content


def test_feeds_are_read_only(client, published):
    assert client.post("/feeds/datensaetze.atom").status_code == 405


def test_the_feed_says_when_it_changed_last(client, published):
    response = client.get("/feeds/datensaetze.atom")
    assert response["Last-Modified"]
    assert response["Last-Modified"].endswith("GMT")


# ---------------------------------------------------------------------------
# Per organisation, per theme


def test_the_organisation_feed_has_its_datasets_only(client, published, traffic, org_a, org_b):
    root = feed(client, f"/feeds/organisation/{org_a.slug}.atom")
    assert titles(root) == ["Baumkataster"]
    assert root.findtext(f"{ATOM}title") == "Neue und geänderte Datensätze von Stadt A – Stadtdaten"
    assert root.find(f"{ATOM}link[@rel='alternate']").get("href") == f"{SITE}/suche/?organisation={org_a.slug}"
    assert titles(feed(client, f"/feeds/organisation/{org_b.slug}.atom")) == ["Radwegenetz"]


def test_an_organisation_without_published_datasets_has_an_empty_feed(client, published, org_a_department):
    assert titles(feed(client, f"/feeds/organisation/{org_a_department.slug}.atom")) == []


def test_an_unknown_organisation_or_theme_is_404(client, published):
    assert client.get("/feeds/organisation/gibt-es-nicht.atom").status_code == 404
    assert client.get("/feeds/thema/XXXX.atom").status_code == 404
    assert client.get("/feeds/thema/envi.atom").status_code == 404


def test_the_theme_feed_has_the_theme_s_datasets_only(client, published, traffic):
    root = feed(client, "/feeds/thema/TRAN.atom")
    assert titles(root) == ["Radwegenetz"]
    assert root.findtext(f"{ATOM}title") == "Neue und geänderte Datensätze zum Thema Verkehr – Stadtdaten"
    assert root.find(f"{ATOM}link[@rel='alternate']").get("href") == f"{SITE}/suche/?thema=TRAN"
    assert titles(feed(client, "/feeds/thema/ENVI.atom")) == ["Baumkataster"]
    assert titles(feed(client, "/feeds/thema/ECON.atom")) == []


# ---------------------------------------------------------------------------
# Per search


def test_the_search_feed_follows_the_query_and_the_facets(client, published, traffic, org_a):
    assert titles(feed(client, "/feeds/suche.atom", q="Baum")) == ["Baumkataster"]
    assert titles(feed(client, "/feeds/suche.atom", q="Radwege")) == ["Radwegenetz"]
    assert titles(feed(client, "/feeds/suche.atom", thema="TRAN")) == ["Radwegenetz"]
    assert titles(feed(client, "/feeds/suche.atom", schlagwort="Bäume")) == ["Baumkataster"]
    assert titles(feed(client, "/feeds/suche.atom", organisation=org_a.slug, thema="TRAN")) == []
    assert titles(feed(client, "/feeds/suche.atom")) == ["Radwegenetz", "Baumkataster"]
    root = feed(client, "/feeds/suche.atom", q="Baum", thema="ENVI", organisation=org_a.slug, sortierung="title")
    assert root.findtext(f"{ATOM}title") == (
        "Neue und geänderte Datensätze zur Suche „Baum“, Thema: Umwelt, Organisation: Stadt A – Stadtdaten"
    )
    # Self and page links name the search canonically (the order of the facets; no sorting or paging).
    self_link = root.find(f"{ATOM}link[@rel='self']").get("href")
    assert self_link == f"{SITE}/feeds/suche.atom?q=Baum&thema=ENVI&organisation={org_a.slug}"
    page = root.find(f"{ATOM}link[@rel='alternate']").get("href")
    assert page == f"{SITE}/suche/?q=Baum&thema=ENVI&organisation={org_a.slug}"


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 10_000},
        {"q": "\"'<>&|!:*()-- or -"},
        {"q": "a:* & ! b"},
        {"thema": ["ENVI"] * 50 + [f"T{i}" for i in range(50)]},
        {"organisation": "x" * 5000},
        {"lizenz": "<script>", "format": "%", "hvd": "'", "aktualisierung": "\\"},
        {"sortierung": "drop table", "weiter": "kaputt", "unbekannt": "1"},
    ],
)
def test_bad_search_parameters_are_bounded_and_no_server_error(client, published, params):
    feed(client, "/feeds/suche.atom", **params)


def test_a_nul_byte_in_the_search_feed_is_a_400(client, published):
    assert client.get("/feeds/suche.atom?q=a%00b").status_code == 400


# ---------------------------------------------------------------------------
# Queries: constant in the number of entries


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_entries(client, published, traffic, flow_a, org_a):
    urls = ["/feeds/datensaetze.atom", f"/feeds/organisation/{org_a.slug}.atom", "/feeds/thema/ENVI.atom"]
    urls.append(f"/feeds/suche.atom?q=Baum&thema=ENVI&organisation={org_a.slug}&schlagwort=Bäume")
    before = {url: count_queries(client, url) for url in urls}
    for name in ("baumpflanzungen", "baumfaellungen"):
        flow_a.publish(flow_a.create(org_a, name, title=f"Baum {name}", keywords=["Bäume", name], themes=["ENVI"]))
    after = {url: count_queries(client, url) for url in urls}
    assert after == before
    # The entries with their publisher, their themes, their keywords; and the organisation
    # (of the organisation feed) or the names of the search's organisations.
    assert list(after.values()) == [3, 4, 3, 4]


# ---------------------------------------------------------------------------
# Links to the feeds


def alternate_links(page: str) -> list[tuple[str, str]]:
    links = re.findall(r'<link rel="alternate" type="application/atom\+xml" title="([^"]+)" href="([^"]+)">', page)
    return [(html.unescape(title), html.unescape(href)) for title, href in links]


def test_the_home_page_links_the_portal_feed(client, published):
    page = client.get(reverse("portal:home")).content.decode()
    assert alternate_links(page) == [("Neue und geänderte Datensätze – Stadtdaten", "/feeds/datensaetze.atom")]


def test_the_search_page_links_the_feed_of_its_search_and_of_its_organisation_and_theme(client, published, org_a):
    page = client.get("/suche/", {"q": "Baum", "thema": "ENVI", "organisation": org_a.slug}).content.decode()
    links = alternate_links(page)
    search_feed = f"/feeds/suche.atom?q=Baum&thema=ENVI&organisation={org_a.slug}"
    assert links == [
        (
            "Neue und geänderte Datensätze zur Suche „Baum“, Thema: Umwelt, Organisation: Stadt A – Stadtdaten",
            search_feed,
        ),
        ("Neue und geänderte Datensätze zum Thema Umwelt – Stadtdaten", "/feeds/thema/ENVI.atom"),
        ("Neue und geänderte Datensätze von Stadt A – Stadtdaten", f"/feeds/organisation/{org_a.slug}.atom"),
    ]
    # And a visible link to the search's feed.
    visible = re.search(r'<a class="kern-link" href="([^"]+)" type="application/atom\+xml">([^<]+)', page)
    assert html.unescape(visible.group(1)) == search_feed
    assert visible.group(2).strip() == "Als Atom-Feed abonnieren"


def test_the_search_page_without_a_search_links_the_portal_feed(client, published):
    page = client.get("/suche/").content.decode()
    assert alternate_links(page) == [("Neue und geänderte Datensätze – Stadtdaten", "/feeds/datensaetze.atom")]


def test_the_links_of_a_search_page_lead_to_feeds_that_answer(client, published, org_a):
    page = client.get("/suche/", {"thema": "ENVI", "organisation": [org_a.slug, "gibt-es-nicht"]}).content.decode()
    links = alternate_links(page)
    assert len(links) == 3  # the search, its theme and its one known organisation
    for _title, href in links:
        assert titles(atom(client.get(href))) == ["Baumkataster"], href


def test_a_search_for_one_theme_or_organisation_links_that_feed_once(client, published, org_a):
    page = client.get("/suche/", {"thema": "ENVI"}).content.decode()
    assert alternate_links(page) == [
        ("Neue und geänderte Datensätze zum Thema Umwelt – Stadtdaten", "/feeds/thema/ENVI.atom")
    ]
    page = client.get("/suche/", {"organisation": org_a.slug}).content.decode()
    assert alternate_links(page) == [
        ("Neue und geänderte Datensätze von Stadt A – Stadtdaten", f"/feeds/organisation/{org_a.slug}.atom")
    ]


def test_the_feed_speaks_the_visitor_s_language(client, published):
    root = atom(client.get("/feeds/datensaetze.atom", headers={"accept-language": "en"}))
    assert root.findtext(f"{ATOM}title") == "New and changed datasets – Stadtdaten"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
