"""axe-core on every public page and the main staff pages of the demo city network:
no WCAG 2.1 A/AA violations and no console errors (CSP) anywhere. One run collects every
problem and reports them together (page → rule → elements).

The public pages come from the URL configuration: a new public route fails this test
until it is added to PUBLIC_ROUTES (with a page to visit) or to NOT_PAGES (with the
reason it is not an HTML page)."""

import io
import time
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.db.models import Count
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from catalog.models import Dataset
from conftest import axe_violations
from datastore.permissions import queryable_tables
from demo.governance import DEMO_PASSWORD
from ethics.models import EthicsReview
from ethics.permissions import visible_reviews
from governance.models import PolicyDocument
from governance.permissions import visible_audit_events
from portal.legal import default_text, save_legal_page
from portal.models import DataRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STAFF_PREFIXES = ("intern/", "api/", "admin/")
NOT_FOUND = "/gibt-es-nicht/"  # the error page
WITHDRAWN_PAGE = "/datensatz/{name}/"  # a withdrawn dataset's old address: 410 Gone (issue 22)

# Public routes that are no HTML page for people, and why.
NOT_PAGES = {
    "sitemap.xml": "XML for search engines",
    "robots.txt": "plain text for crawlers",
    "datensatz/<slug:name>/dateien/<uuid:identifier>/": "file download",
    "datensatz/<slug:name>/dateien/<uuid:identifier>/als-<str:target>/": "file download (converted)",
    "datensatz/<slug:name>/wichtig/": "POST only (vote)",
    "datensatz/<slug:name>/kommentar/": "POST only (comment)",
    "strategie/<slug:slug>/massnahmen/<str:code>/wichtig/": "POST only (vote for a measure)",
    "catalog": "RDF (content negotiation)",
    "catalog.<str:format>": "RDF",
    "catalog/all.<str:format>": "RDF export",
    "dataset/<slug:name>": "RDF (content negotiation)",
    "dataset/<slug:name>.<str:format>": "RDF",
    "konto/abmelden/": "POST only (logout)",
    "konto/api-zugaenge/neu/": "POST only (the form is on the token page)",
    "konto/api-zugaenge/<int:pk>/widerrufen/": "POST only",
    "i18n/setlang/": "POST only (language switch)",
    "oidc/anmelden/": "redirect to the identity provider (404 while single sign-on is off)",
    "oidc/callback/": "the identity provider's answer, a redirect",
    "oidc/backchannel-logout/": "POST only (the identity provider's logout token)",
    "feeds/dataset.atom": "Atom feed",
    "feeds/datensaetze.atom": "Atom feed",
    "feeds/organisation/<slug:slug>.atom": "Atom feed",
    "feeds/suche.atom": "Atom feed",
    "feeds/thema/<slug:code>.atom": "Atom feed",
    "tabellen/<uuid:identifier>/schema.json": "Table Schema (JSON)",
}


def public_routes(resolver=None, prefix="") -> set[str]:
    """Every route of the URL configuration outside the staff area, as written there."""
    routes = set()
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(STAFF_PREFIXES) or "intern/" in route:
            continue
        if isinstance(entry, URLResolver):
            routes |= public_routes(entry, route)
        elif isinstance(entry, URLPattern):
            routes.add(route)
    return routes


def demo_pages():
    """(route, url) of the public pages and (persona, url) of the staff pages, from the demo data."""
    published = Dataset.objects.published()
    rich = published.annotate(n=Count("distributions")).order_by("-n", "name").first()
    assert rich.n >= 2, "the demo needs a published dataset with several distributions"
    theme = rich.themes.values_list("code", flat=True).first()
    review = EthicsReview.objects.completed().order_by("pk").first()
    withdrawn = Dataset.objects.filter(state="withdrawn").order_by("name").first()
    # A triaged one: an open request has no public page (issue 22).
    data_request = DataRequest.objects.public().order_by("pk").first()
    # A table of the demo that anyone may query (the demo's CSV files are loaded on publication).
    table = queryable_tables().order_by("pk").first()
    assert table is not None, "the demo needs a queryable table"
    user = get_user_model().objects.get(username="steward.lindenau-umwelt")
    token = f"{urlsafe_base64_encode(force_bytes(user.pk))}/{default_token_generator.make_token(user)}"
    public = [
        ("", "/"),
        ("suche/", "/suche/?q=Baum"),
        ("suche/", f"/suche/?thema={theme}&organisation={rich.publisher.slug}"),
        ("suche/", "/suche/?q=zzzkeintreffer"),
        ("datensatz/<slug:name>/", f"/datensatz/{rich.name}/"),
        (
            "datensatz/<slug:name>/tabellen/<uuid:identifier>/",
            f"/datensatz/{table.distribution.dataset.name}/tabellen/{table.distribution.identifier}/",
        ),
        ("nicht-veroeffentlichte-daten/", "/nicht-veroeffentlichte-daten/"),
        ("nicht-veroeffentlichte-daten/<slug:name>/", f"/nicht-veroeffentlichte-daten/{withdrawn.name}/"),
        (None, WITHDRAWN_PAGE.format(name=withdrawn.name)),
        ("transparenz/", "/transparenz/"),
        ("datenwuensche/", "/datenwuensche/"),
        ("datenwuensche/neu/", "/datenwuensche/neu/"),
        ("datenwuensche/danke/", "/datenwuensche/danke/"),
        ("datenwuensche/<int:pk>/", f"/datenwuensche/{data_request.pk}/"),
        ("ethik/", "/ethik/"),
        ("ethik/<int:pk>/", f"/ethik/{review.pk}/"),
        ("strategie/", "/strategie/"),
        ("strategie/<slug:slug>/", "/strategie/datenstrategie-stadtverbund/"),
        ("strategie/<slug:slug>/", "/strategie/datenstrategie-stadtverbund/?status=delayed"),
        ("strategie/<slug:slug>/massnahmen/<str:code>/", "/strategie/datenstrategie-stadtverbund/massnahmen/HF1-M10/"),
        ("konto/anmelden/", "/konto/anmelden/"),
        ("konto/passwort-vergessen/", "/konto/passwort-vergessen/"),
        ("konto/passwort-vergessen/gesendet/", "/konto/passwort-vergessen/gesendet/"),
        ("konto/passwort-neu/<uidb64>/<token>/", f"/konto/passwort-neu/{token}/"),
        ("konto/passwort-neu/fertig/", "/konto/passwort-neu/fertig/"),
        ("impressum/", "/impressum/"),
        ("datenschutz/", "/datenschutz/"),
        ("barrierefreiheit/", "/barrierefreiheit/"),
        ("kontakt/", "/kontakt/"),
        ("sitemap/", "/sitemap/"),
        (None, NOT_FOUND),
    ]
    # Pages of the account area that need a login, visited as the steward.
    account = [
        ("konto/passwort/", "/konto/passwort/"),
        ("konto/passwort/geaendert/", "/konto/passwort/geaendert/"),
        ("konto/api-zugaenge/", "/konto/api-zugaenge/"),
    ]

    own = Dataset.objects.filter(publisher__slug="lindenau-umwelt").order_by("name").first()
    policy = PolicyDocument.objects.annotate(n=Count("versions")).order_by("-n", "slug").first()
    numbers = sorted(policy.versions.values_list("number", flat=True))
    board_reviews = visible_reviews(get_user_model().objects.get(username="ethics.lindenau")).order_by("pk")
    open_review = board_reviews.exclude(status="completed").first()
    closed_review = board_reviews.filter(status="completed").first()
    admin = get_user_model().objects.get(username="admin.lindenau")
    event = visible_audit_events(admin).order_by("-seq").first()
    to_publish = approved_for_publishing()
    staff = [
        ("steward.lindenau-umwelt", "/intern/"),
        ("steward.lindenau-umwelt", "/intern/datensaetze/"),
        ("steward.lindenau-umwelt", f"/intern/datensaetze/{own.name}/"),
        ("steward.lindenau-umwelt", "/intern/datensaetze/neu/"),
        ("steward.lindenau-umwelt", f"/intern/datensaetze/{own.name}/bearbeiten/"),
        ("steward.lindenau-umwelt", f"/intern/datensaetze/{own.name}/klassifizieren/"),
        ("steward.lindenau-umwelt", f"/intern/datensaetze/{own.name}/verlauf/"),
        ("steward.lindenau-umwelt", f"/intern/datensaetze/{to_publish.name}/veroeffentlichen/"),
        ("steward.lindenau-umwelt", "/intern/datensaetze/import/"),
        ("steward.lindenau-umwelt", "/intern/teilen/"),
        ("steward.lindenau-umwelt", "/intern/teilen/katalog/"),
        ("steward.lindenau-umwelt", "/intern/teilen/antraege/"),
        ("legal.lindenau", "/intern/"),
        ("ethics.lindenau", "/intern/ethik/"),
        ("ethics.lindenau", f"/intern/ethik/pruefungen/{open_review.pk}/"),
        ("ethics.lindenau", f"/intern/ethik/pruefungen/{closed_review.pk}/"),
        ("admin.lindenau", "/intern/datensaetze/harvesting/"),
        ("admin.lindenau", "/intern/richtlinien/"),
        ("admin.lindenau", f"/intern/richtlinien/{policy.slug}/"),
        ("admin.lindenau", f"/intern/richtlinien/{policy.slug}/fassungen/{numbers[-1]}/"),
        ("admin.lindenau", f"/intern/richtlinien/{policy.slug}/vergleich/?von={numbers[0]}&bis={numbers[-1]}"),
        ("admin.lindenau", "/intern/"),  # the start page with the state of the organisations
        ("admin.lindenau", "/intern/lage/links/"),
        ("admin.lindenau", "/intern/audit/"),
        ("admin.lindenau", f"/intern/audit/{event.seq}/"),
        ("admin.lindenau", "/intern/organisationen/"),
        ("admin.lindenau", "/intern/organisationen/lindenau/"),
        ("admin.lindenau", "/intern/portal/datenwuensche/"),
        ("admin.lindenau", f"/intern/portal/datenwuensche/{data_request.pk}/"),
        ("admin.lindenau", "/intern/portal/kommentare/"),
        ("admin.lindenau", "/datenschutz/"),  # with the staff's note on open placeholders
        ("admin.lindenau", "/intern/portal/pflichtseiten/"),
        ("admin.lindenau", "/intern/portal/pflichtseiten/datenschutz/"),
        ("admin.lindenau", "/intern/portal/pflichtseiten/datenschutz/verlauf/"),
        ("admin.lindenau", "/intern/anmeldung/gruppen/"),
    ]
    return public, account, staff


def approved_for_publishing() -> Dataset:
    """A draft of the Umweltamt Lindenau taken through review to approval as open data,
    so that the steward sees the publish confirmation (the demo has none waiting)."""
    from catalog import workflow

    people = {name: get_user_model().objects.get(username=name) for name in
              ("steward.lindenau-umwelt", "owner.lindenau-umwelt", "legal.lindenau")}  # fmt: skip
    for dataset in Dataset.objects.filter(publisher__slug="lindenau-umwelt", state="draft").order_by("name"):
        if dataset.current_classification_id is None:
            continue
        workflow.submit(dataset, by=people["steward.lindenau-umwelt"], expected_version=dataset.version)
        dataset.refresh_from_db()
        workflow.sign_off(dataset, by=people["owner.lindenau-umwelt"], expected_version=dataset.version)
        dataset.refresh_from_db()
        if dataset.state != "legal_review":
            continue
        workflow.approve(dataset, by=people["legal.lindenau"], expected_version=dataset.version, confirmed=True)
        dataset.refresh_from_db()
        if dataset.state == "approved" and dataset.publication_outcome in ("open", "aggregated", "redacted"):
            return dataset
    raise AssertionError("the demo needs a classified draft of the Umweltamt Lindenau that may be published")


def log_in(context, username):
    page = context.new_page()
    page.goto("/konto/anmelden/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/intern/")
    return page


def test_every_public_page_and_the_main_staff_pages_have_no_accessibility_violations(browser, live_server):
    started = time.monotonic()
    call_command("seed_demo", stdout=io.StringIO())
    seeded = time.monotonic()
    public, account, staff = demo_pages()
    gone = {url for route, url in public if route is None and url != NOT_FOUND}

    covered = {route for route, _url in public + account if route is not None}
    missing = public_routes() - covered - set(NOT_PAGES)
    assert missing == set(), f"Öffentliche Seiten ohne Barrierefreiheitsprüfung: {sorted(missing)}"

    problems, console, checked = [], [], {"public": 0, "staff": 0, "english": 0}

    def check(page, url, kind):
        response = page.goto(url)
        expected = 404 if url == NOT_FOUND else 410 if url in gone else 200
        if response.status != expected:
            problems.append(f"{url} → HTTP {response.status}")
        landed = urlsplit(page.url).path
        # Django hides a valid reset token behind …/set-password/; any other redirect (to
        # the login page, say) means the page was not checked.
        if landed != urlsplit(url).path and not landed.endswith("/set-password/"):
            problems.append(f"{url} → weitergeleitet nach {page.url}")
        for violation in axe_violations(page):
            problems.append(f"{url} → {violation['id']} ({violation['impact']}): {violation['nodes'][:5]}")
        checked[kind] += 1

    def new_context(language="de-DE"):
        context = browser.new_context(
            base_url=live_server.url, locale=language, viewport={"width": 1280, "height": 900}
        )
        context.on(
            "console",
            lambda message: (
                message.type == "error"
                and "404" not in message.text  # the 404 page itself
                and "410 (Gone)" not in message.text  # and the withdrawn dataset's 410 page
                and console.append(f"{message.page.url if message.page else ''}: {message.text}")
            ),
        )
        return context

    citizen = new_context()
    page = citizen.new_page()
    for _route, url in public:
        check(page, url, "public")

    # The English variant of key public pages, switched as a visitor does.
    page.goto("/")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    for url in ("/", "/suche/?q=Baum", public[4][1], "/nicht-veroeffentlichte-daten/", "/transparenz/"):
        check(page, url, "english")
    citizen.close()

    # A saved version of the privacy statement, so its history page shows one.
    admin = get_user_model().objects.get(username="admin.lindenau")
    save_legal_page("datenschutz", body=default_text("datenschutz") + "\n\nErgänzt.", by=admin, note="Zur Prüfung")
    pages = {}
    for username, url in [("steward.lindenau-umwelt", u) for _r, u in account] + staff:
        if username not in pages:
            pages[username] = log_in(new_context(), username)
        check(pages[username], url, "staff")
    for staff_page in pages.values():
        staff_page.context.close()

    print(
        f"\naxe-core: {checked['public']} öffentliche, {checked['staff']} interne, {checked['english']} englische "
        f"Seiten in {time.monotonic() - seeded:.0f} s (Demodaten: {seeded - started:.0f} s)"
    )
    assert problems == [], "WCAG-Verstöße:\n" + "\n".join(problems)
    assert console == [], "Konsolenfehler:\n" + "\n".join(console)
