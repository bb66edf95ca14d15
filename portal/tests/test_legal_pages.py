"""The pages a German public website must have (Impressum, Datenschutzerklärung,
Erklärung zur Barrierefreiheit, Kontakt), maintained by governance admins with versions
and journal, and the human sitemap next to sitemap.xml."""

import re
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_role_holder
from governance.models import AuditEvent, Role
from portal.models import LegalPage, LegalPageKind

pytestmark = pytest.mark.django_db

LEGAL_URLS = {
    "impressum": "/impressum/",
    "datenschutz": "/datenschutz/",
    "barrierefreiheit": "/barrierefreiheit/",
    "kontakt": "/kontakt/",
}


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def footer(html: str) -> str:
    match = re.search(r"<footer\b.*?</footer>", html, re.S)
    assert match, "page without footer"
    return match.group(0)


def edit_url(kind: str) -> str:
    return reverse("portal:legal_page_edit", args=[kind])


# ---------------------------------------------------------------------------
# Public side


def test_every_public_page_links_the_four_legal_pages_and_the_human_sitemap_in_its_footer(client):
    pages = [
        "/", "/suche/", "/nicht-veroeffentlichte-daten/", "/transparenz/", "/datenwuensche/", "/datenwuensche/neu/",
        "/ethik/", "/strategie/", "/konto/anmelden/", "/sitemap/", *LEGAL_URLS.values(),
    ]  # fmt: skip
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        links = footer(body(response))
        for target in [*LEGAL_URLS.values(), "/sitemap/"]:
            assert f'href="{target}"' in links, (url, target)
        assert 'href="/sitemap.xml"' not in links, url
    # The error page has the footer too.
    missing = client.get("/gibt-es-nicht/")
    assert missing.status_code == 404
    assert 'href="/impressum/"' in footer(body(missing))


@pytest.mark.parametrize(
    ("kind", "heading", "placeholder"),
    [
        ("impressum", "Impressum", "[Name der Stadt]"),
        ("datenschutz", "Datenschutzerklärung", "[Datenschutzbeauftragte Person]"),
        ("barrierefreiheit", "Erklärung zur Barrierefreiheit", "[Durchsetzungsstelle des Landes]"),
        ("kontakt", "Kontakt", "[Telefonnummer]"),
    ],
)
def test_without_a_saved_text_the_default_with_its_placeholders_is_shown(client, kind, heading, placeholder):
    assert not LegalPage.objects.exists()
    html = body(client.get(LEGAL_URLS[kind]))
    assert f'<h1 class="kern-heading-large">{heading}</h1>' in html
    assert placeholder in html
    assert "Stand:" in html
    # Citizens see no note meant for staff.
    assert "Platzhalter" not in html


def test_the_privacy_statement_names_what_the_portal_really_stores(client):
    html = body(client.get("/datenschutz/")).replace("&nbsp;", " ")
    for fact in ("sd_voter", "365 Tage", "E-Mail-Adresse", "Kommentar", "Art. 6 Abs. 1 lit. e DSGVO", "Art. 77 DSGVO"):
        assert fact in html, fact
    statement = body(client.get("/barrierefreiheit/")).replace("&nbsp;", " ")
    assert "teilweise barrierefrei" in statement
    assert "§ 16 BGG" in statement


def test_staff_see_that_placeholders_are_still_open_and_where_to_edit(client_for, admin_a):
    html = body(client_for(admin_a).get("/impressum/"))
    assert "Platzhalter" in html
    assert "[Name der Stadt]" in html
    assert f'href="{edit_url("impressum")}"' in html


# ---------------------------------------------------------------------------
# Editing: governance admins only, versioned and journaled, sanitised


def test_a_governance_admin_edits_a_legal_page_with_version_and_journal(client_for, admin_a):
    client = client_for(admin_a)
    form = client.get(edit_url("impressum"))
    assert form.status_code == 200
    assert "[Name der Stadt]" in body(form)  # the default is the starting point

    response = client.post(
        edit_url("impressum"),
        {"body": "## Anbieter\n\nStadt Lindenau, Markt 1, 01234 Lindenau", "note": "Anschrift eingetragen"},
    )
    assert response.status_code == 302
    page = LegalPage.objects.get(kind=LegalPageKind.IMPRESSUM)
    assert page.updated_by == admin_a
    assert page.history.count() == 1
    event = AuditEvent.objects.filter(object_id=str(page.pk), content_type__model="legalpage").get()
    assert event.actor == admin_a
    assert event.person_text == "Anschrift eingetragen"

    client.post(edit_url("impressum"), {"body": "## Anbieter\n\nStadt Lindenau, Markt 2, 01234 Lindenau"})
    assert page.history.count() == 2
    assert AuditEvent.objects.filter(object_id=str(page.pk), content_type__model="legalpage").count() == 2

    public = body(client.get("/impressum/"))
    assert "Markt 2" in public
    assert "[Name der Stadt]" not in public
    assert f">{timezone.localdate(page.updated_at).strftime('%d.%m.%Y')}</time>" in public

    history = body(client.get(reverse("portal:legal_page_history", args=["impressum"])))
    assert "Markt 1" in history
    assert "Markt 2" in history
    assert "Anschrift eingetragen" in history


def test_the_history_of_a_page_never_saved_says_the_default_is_shown(client_for, admin_a):
    response = client_for(admin_a).get(reverse("portal:legal_page_history", args=["kontakt"]))
    assert response.status_code == 200
    assert "noch keine Fassung gespeichert" in body(response)


def test_anonymous_visitors_cannot_reach_the_edit_pages(client):
    for kind in LEGAL_URLS:
        for url in (edit_url(kind), reverse("portal:legal_page_history", args=[kind])):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))
        assert client.post(edit_url(kind), {"body": "gehackt"}).status_code == 302
    assert client.get(reverse("portal:legal_page_list")).status_code == 302
    assert not LegalPage.objects.exists()


def test_only_governance_admins_edit_legal_pages(client_for, org_a, steward_a, outsider):
    legal = make_role_holder("legal-a", Role.LEGAL_REVIEWER, org_a)
    for user in (steward_a, outsider, legal):
        client = client_for(user)
        assert client.get(edit_url("datenschutz")).status_code == 403
        assert client.post(edit_url("datenschutz"), {"body": "gehackt"}).status_code == 403
        assert client.get(reverse("portal:legal_page_list")).status_code == 403
        assert client.get(reverse("portal:legal_page_history", args=["datenschutz"])).status_code == 403
        # and they see no edit link on the public page
        assert f'href="{edit_url("datenschutz")}"' not in body(client.get("/datenschutz/"))
    assert not LegalPage.objects.exists()


def test_the_markdown_of_a_legal_page_is_sanitised(client_for, client, admin_a):
    client_for(admin_a).post(
        edit_url("kontakt"),
        {"body": '# Kontakt\n\n<script>alert("x")</script>\n\n[Klick](javascript:alert(1)) <b onclick="x">fett</b>'},
    )
    client.logout()
    html = body(client.get("/kontakt/"))
    main = re.search(r"<main\b.*?</main>", html, re.S).group(0)
    assert "<script>" not in main
    assert "javascript:" not in main
    assert "onclick" not in main
    assert "<h2>Kontakt</h2>" in main


def test_an_empty_text_is_refused(client_for, admin_a):
    response = client_for(admin_a).post(edit_url("kontakt"), {"body": "   "})
    assert response.status_code == 200
    assert not LegalPage.objects.exists()


# ---------------------------------------------------------------------------
# Sitemaps


def test_the_human_sitemap_lists_the_sections_and_links_the_xml(client):
    html = body(client.get("/sitemap/"))
    for heading in ("Daten finden", "Transparenz", "Mitmachen", "Schnittstellen", "Rechtliches"):
        assert f">{heading}</h2>" in html, heading
    for url in (
        "/suche/", "/nicht-veroeffentlichte-daten/", "/transparenz/", "/ethik/", "/strategie/", "/datenwuensche/",
        "/datenwuensche/neu/", "/api/docs/", "/api/3/action/package_list", "/catalog.ttl", "/sitemap.xml",
        *LEGAL_URLS.values(),
    ):  # fmt: skip
        assert f'href="{url}"' in html, url


def test_the_xml_sitemap_stays_xml_and_lists_the_legal_pages(client):
    response = client.get("/sitemap.xml")
    assert response["Content-Type"].startswith("application/xml")
    root = ElementTree.fromstring(body(response))  # noqa: S314 – our own response
    locations = [element.text for element in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    for url in [*LEGAL_URLS.values(), "/sitemap/"]:
        assert any(location.endswith(url) for location in locations), url
