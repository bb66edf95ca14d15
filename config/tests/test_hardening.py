"""Hardening checklist (issue 11; ASVS 5.0 controls in /work/shared/reference/rel_perf.md A.1
rows 14 and 20–24, A.2). One test per control, so an auditor can read this module as the
list of what the deployment promises and how it is proven:

1. production settings: `check --deploy` clean, HSTS, TLS redirect, cookies, timeouts
2. security headers and a strict CSP on HTML, JSON, RDF, CKAN, 403, 404 and file responses,
   and no inline script or style in the pages (the CSP would block them)
3. sessions: new key on login, logout flushes, idle and absolute timeout, deactivated accounts
4. login throttling per (username, IP) with a cool-off (the lockout itself: governance/tests/test_auth.py)
5. uploads: stored outside the web root, only ever served as attachments with nosniff
6. Markdown: an allow-list sanitizer against script, event handlers, javascript:/data: URLs, styles
7. redirects: no `next` or Referer leads off the site
8. CSRF: a form or API write without the token is refused
9. errors: the 500 page is generic, without traceback or settings
"""

import json
import re
import time
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from catalog import renditions
from catalog import services as catalog
from catalog.models import Confidentiality, Dataset
from catalog.tests.conftest import dataset_fields
from catalog.tests.test_api import new_dataset
from catalog.tests.test_views import dataset_form_data
from conftest import PASSWORD, make_organisation, make_role_holder
from governance import services as governance
from governance.middleware import SessionTimeoutMiddleware
from governance.models import PolicyKind, Role
from governance.policytext import ALLOWED_TAGS, render_markdown
from governance.tests.test_settings import PRODUCTION_ENV, run_django
from portal.tests.conftest import Flow
from sharing import services as sharing
from sharing.tests.conftest import ask, make_dataset

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/konto/anmelden/"
LOGOUT = "/konto/abmelden/"


def read(response) -> bytes:
    """The body of a response, streamed or not (reading a file response closes the file)."""
    return b"".join(response.streaming_content) if response.streaming else response.content


# ---------------------------------------------------------------------------
# 1. Production settings (ASVS 3.3.x, 3.4.1, 7.3.x, 13.4.2)

PRODUCTION_PROBE = """
import json
from django.conf import settings as s
from django.core.management import call_command
call_command("check", deploy=True, fail_level="WARNING")
print(json.dumps({name: getattr(s, name, None) for name in (
    "DEBUG", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE", "SESSION_COOKIE_NAME", "SESSION_COOKIE_DOMAIN", "SESSION_COOKIE_PATH",
    "CSRF_COOKIE_SECURE", "CSRF_COOKIE_NAME", "CSRF_COOKIE_DOMAIN", "CSRF_COOKIE_PATH",
    "SESSION_COOKIE_AGE", "SESSION_IDLE_TIMEOUT", "MIDDLEWARE",
)}))
"""


def test_production_settings_pass_check_deploy_and_harden_transport_cookies_and_sessions():
    # check --deploy and the values in one production process; SESSION_IDLE_TIMEOUT comes from the environment.
    result = run_django(["shell", "-v", "0", "-c", PRODUCTION_PROBE], **PRODUCTION_ENV, SESSION_IDLE_TIMEOUT="900")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    production = json.loads(result.stdout.strip().splitlines()[-1])

    assert production["DEBUG"] is False
    assert production["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    # __Host- cookies: Secure, Path=/ and no Domain, or the browser refuses them.
    for cookie in ("SESSION", "CSRF"):
        assert production[f"{cookie}_COOKIE_NAME"].startswith("__Host-"), cookie
        assert production[f"{cookie}_COOKIE_SECURE"] is True, cookie
        assert production[f"{cookie}_COOKIE_DOMAIN"] is None, cookie
        assert production[f"{cookie}_COOKIE_PATH"] == "/", cookie
    assert production["SESSION_COOKIE_HTTPONLY"] is True
    assert production["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert production["SESSION_IDLE_TIMEOUT"] == 900
    assert production["SESSION_COOKIE_AGE"] <= 12 * 3600
    middleware = production["MIDDLEWARE"]
    assert middleware.index("governance.middleware.SessionTimeoutMiddleware") > middleware.index(
        "django.contrib.auth.middleware.AuthenticationMiddleware"
    )
    assert "csp.middleware.CSPMiddleware" in middleware


# ---------------------------------------------------------------------------
# 2. Security headers (ASVS 3.4.x) on representative responses


class InlineCodeFinder(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block: inline scripts, <style>
    blocks, style attributes, event handler attributes and javascript: URLs."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _value in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> block")
        for name, value in attrs:
            if name == "style":
                self.found.append(f'style="" on <{tag}>')
            elif name.startswith("on"):
                self.found.append(f"{name}= on <{tag}>")
            elif name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"javascript: URL on <{tag}>")


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        if part.strip():
            name, *values = part.split()
            directives[name.lower()] = values
    return directives


ERROR_PAGES = {"404 page": 404, "403 page": 403, "403 CSRF refusal page": 403}


@pytest.fixture
def representative_responses(settings, tmp_path, default_rules, org_a, steward_a, owner_a, outsider):
    """One response of every kind the app sends: public and staff HTML, login, REST JSON,
    DCAT Turtle, CKAN action, a file download, 403 (no role and CSRF) and 404."""
    settings.MEDIA_ROOT = tmp_path
    flow = Flow(steward_a, owner_a, make_role_holder("legal-a", Role.LEGAL_REVIEWER, org_a))
    dataset = flow.publish(flow.create(org_a, "baumkataster", title="Baumkataster"))
    file = dataset.distributions.get()
    anonymous, staff, no_role, forged = Client(), Client(), Client(), Client(enforce_csrf_checks=True)
    staff.force_login(steward_a)
    no_role.force_login(outsider)
    forged.force_login(steward_a)
    responses = {
        "portal home (HTML)": anonymous.get("/"),
        "portal dataset page (HTML)": anonymous.get(reverse("portal:dataset_detail", args=[dataset.name])),
        "login page (HTML)": anonymous.get(LOGIN),
        "API docs (HTML)": anonymous.get("/api/docs/"),
        "staff task list (HTML)": staff.get("/intern/"),
        "staff dataset page (HTML)": staff.get(reverse("catalog:dataset_detail", args=[dataset.name])),
        "staff form (HTML)": staff.get(reverse("catalog:dataset_create")),
        "REST API (JSON)": anonymous.get("/api/v1/datasets/"),
        "DCAT-AP (Turtle)": anonymous.get(f"/dataset/{dataset.name}.ttl"),
        "CKAN action (JSON)": anonymous.get(f"/api/3/action/package_show?id={dataset.name}"),
        "file download": anonymous.get(reverse("portal:download", args=[dataset.name, file.identifier])),
        "404 page": anonymous.get("/gibt-es-nicht/"),
        "403 page": no_role.get("/intern/teilen/"),
        "403 CSRF refusal page": forged.post(reverse("catalog:dataset_create"), {}),
    }
    for name, response in responses.items():
        read(response)
        assert response.status_code == ERROR_PAGES.get(name, 200), name
    return responses


def assert_strict_csp(response, name):
    csp = csp_directives(response)
    sources = [source for values in csp.values() for source in values]
    assert "'unsafe-inline'" not in sources, name
    assert "'unsafe-eval'" not in sources, name
    assert "*" not in sources, name
    assert csp.get("default-src") == ["'self'"], name
    assert csp.get("script-src") == ["'self'"], name
    assert csp.get("object-src") == ["'none'"], name
    assert csp.get("base-uri") == ["'none'"], name
    assert csp.get("frame-ancestors") == ["'none'"], name
    assert csp.get("form-action") == ["'self'"], name


def assert_security_headers(response, name):
    assert response.headers.get("X-Frame-Options") == "DENY", name
    assert response.headers.get("X-Content-Type-Options") == "nosniff", name
    assert response.headers.get("Referrer-Policy") == "same-origin", name
    assert response.headers.get("Cross-Origin-Opener-Policy") == "same-origin", name


def assert_no_inline_code(html, name):
    finder = InlineCodeFinder()
    finder.feed(html)
    assert finder.found == [], name


def test_every_kind_of_response_sends_a_strict_csp_and_the_security_headers(representative_responses):
    """One test for all three checks: building the responses (a published dataset) is the cost."""
    html_pages = 0
    for name, response in representative_responses.items():
        assert_strict_csp(response, name)
        assert_security_headers(response, name)
        if response.headers["Content-Type"].startswith("text/html"):
            assert_no_inline_code(response.content.decode(), name)
            html_pages += 1
    assert html_pages == 10


# ---------------------------------------------------------------------------
# 3. Sessions (ASVS 7.2.4, 7.3.1, 7.3.2, 7.4.1, 7.4.2)


def log_in(client, username="steward-a"):
    response = client.post(LOGIN, {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def age_session(client, **seconds_back):
    """Time travel: move the session's stored clocks back instead of waiting."""
    session = client.session
    for key, seconds in seconds_back.items():
        session[key] -= seconds
    session.save()


def test_login_issues_a_new_session_key_against_session_fixation(client, steward_a):
    planted = client.session  # a session an attacker could have planted in the browser
    planted["planted"] = True
    planted.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key

    session_key = log_in(client)

    assert session_key != planted.session_key
    assert not Session.objects.filter(session_key=planted.session_key).exists()
    assert client.get("/intern/").status_code == 200


def test_logout_deletes_the_session_on_the_server(client, steward_a):
    session_key = log_in(client)
    client.post(LOGOUT)

    assert not Session.objects.filter(session_key=session_key).exists()
    replay = Client()  # someone who copied the cookie before the logout
    replay.cookies[settings.SESSION_COOKIE_NAME] = session_key
    assert replay.get("/intern/").url.startswith(LOGIN)


def test_a_session_ends_after_30_minutes_without_a_request(client, steward_a):
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60
    log_in(client)
    age_session(client, last_activity=29 * 60)
    assert client.get("/intern/").status_code == 200  # still inside, and this request counts as activity
    age_session(client, last_activity=29 * 60)
    assert client.get("/intern/").status_code == 200
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value

    age_session(client, last_activity=30 * 60 + 1)
    response = client.get("/intern/", follow=True)

    assert response.redirect_chain[0][0].startswith(LOGIN)
    assert "Ihre Sitzung ist abgelaufen" in response.content.decode()
    assert not Session.objects.filter(session_key=session_key).exists()


def test_a_session_ends_after_session_cookie_age_however_active(client, steward_a):
    log_in(client)
    age_session(client, session_started=settings.SESSION_COOKIE_AGE - 60)
    assert client.get("/intern/").status_code == 200

    age_session(client, session_started=61)  # activity a second ago, but logged in too long
    assert client.get("/intern/").url.startswith(LOGIN)


def test_the_session_store_expires_a_session_after_session_cookie_age(client, steward_a):
    session_key = log_in(client)
    expiry = Session.objects.get(session_key=session_key).expire_date
    assert abs((expiry - timezone.now()).total_seconds() - settings.SESSION_COOKIE_AGE) < 60
    Session.objects.filter(session_key=session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/intern/").url.startswith(LOGIN)


def test_activity_is_written_at_most_once_a_minute(client, steward_a):
    log_in(client)
    client.get("/intern/")
    before = client.session[SessionTimeoutMiddleware.LAST_ACTIVITY_KEY]
    client.get("/intern/")
    assert client.session[SessionTimeoutMiddleware.LAST_ACTIVITY_KEY] == before
    age_session(client, last_activity=SessionTimeoutMiddleware.REFRESH_SECONDS)
    client.get("/intern/")
    assert client.session[SessionTimeoutMiddleware.LAST_ACTIVITY_KEY] >= int(time.time()) - 1


def test_a_deactivated_account_is_logged_out_on_its_next_request(client, steward_a):
    session_key = log_in(client)
    assert client.get("/intern/").status_code == 200

    steward_a.is_active = False
    steward_a.save()

    assert client.get("/intern/").url.startswith(LOGIN)
    assert not Session.objects.filter(session_key=session_key).exists()
    assert SESSION_KEY not in client.session


# ---------------------------------------------------------------------------
# 4. Login throttling (ASVS 6.3.1). governance/tests/test_auth.py proves the lockout after
# five failures (429, German page, even with the right password) and that another
# person at the same address can still log in; this proves the limit comes from the
# setting and that the lock ends after the cool-off.


def fail_until_locked(client, username):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(LOGIN, {"username": username, "password": "falsch"}).status_code == 200
    assert client.post(LOGIN, {"username": username, "password": "falsch"}).status_code == 429


def test_a_locked_login_opens_again_after_the_cool_off(client, steward_a):
    fail_until_locked(client, "steward-a")
    cool_off = timedelta(hours=settings.AXES_COOLOFF_TIME)
    assert cool_off == timedelta(minutes=15)

    # A minute before the end still locked; this try counts as a failure and restarts the cool-off.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - (cool_off - timedelta(minutes=1)))
    assert Client().post(LOGIN, {"username": "steward-a", "password": PASSWORD}).status_code == 429

    AccessAttempt.objects.update(attempt_time=F("attempt_time") - (cool_off + timedelta(seconds=1)))
    assert Client().post(LOGIN, {"username": "steward-a", "password": PASSWORD}).status_code == 302


def test_the_lock_is_per_username_and_address_not_per_office(client, steward_a):
    fail_until_locked(client, "steward-a")
    # The same account from another address (another office of the same city) still gets in.
    elsewhere = Client(REMOTE_ADDR="10.20.30.40")
    assert elsewhere.post(LOGIN, {"username": "steward-a", "password": PASSWORD}).status_code == 302


# ---------------------------------------------------------------------------
# 5. Uploads (ASVS 5.2.x, 5.3.2, 5.4.1): outside the web root, served only as attachments


def test_uploads_are_stored_outside_the_static_files_and_no_url_serves_them():
    media = Path(settings.MEDIA_ROOT).resolve()
    static_dirs = [Path(settings.STATIC_ROOT)] + [
        Path(entry[1] if isinstance(entry, tuple) else entry) for entry in settings.STATICFILES_DIRS
    ]
    for static in static_dirs:
        static = static.resolve()
        assert not media.is_relative_to(static), static
        assert not static.is_relative_to(media), static
    with pytest.raises(Resolver404):
        resolve(f"/{settings.MEDIA_URL.strip('/')}/distributions/datei.csv")


def test_a_stored_upload_is_not_reachable_under_media_url(settings, tmp_path, org_a, steward_a):
    settings.MEDIA_ROOT = tmp_path
    dataset = catalog.create_dataset(by=steward_a, fields=dataset_fields(org_a))
    catalog.add_distribution(dataset, by=steward_a, title="CSV", upload=SimpleUploadedFile("baeume.csv", b"a;b\n1;2\n"))
    stored = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert len(stored) == 1
    relative = stored[0].relative_to(tmp_path).as_posix()
    staff = Client()
    staff.force_login(steward_a)  # not for staff either: only the download views serve files
    for client in (Client(), staff):
        assert client.get(f"/{settings.MEDIA_URL.strip('/')}/{relative}").status_code == 404


HTML_AS_CSV = b"<html><body><script>alert(document.cookie)</script>Baum;Art</body></html>\n"
XHTML_AS_XML = (
    b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><script>alert(document.cookie)</script></html>\n'
)


@pytest.fixture
def file_downloads(settings, tmp_path, default_rules, org_a, steward_a, owner_a):
    """Every view that sends an uploaded file, each with the client allowed to read it:
    the catalog (staff), the portal (download and conversion), data sharing (grant)."""
    settings.MEDIA_ROOT = tmp_path
    flow = Flow(steward_a, owner_a, make_role_holder("legal-a", Role.LEGAL_REVIEWER, org_a))
    public = flow.publish(flow.create(org_a, "baumkataster", title="Baumkataster"))
    upload = public.distributions.get()
    renditions.render(upload)  # as the worker does after the commit

    internal = make_dataset(
        org_a, steward_a, "kanalnetz", confidentiality=Confidentiality.VERTRAULICH,
        critical_infrastructure=True, justification="KRITIS.",
    )  # fmt: skip
    html_file = catalog.add_distribution(
        internal, by=steward_a, title="HTML", upload=SimpleUploadedFile("seite.csv", HTML_AS_CSV)
    )
    xhtml_file = catalog.add_distribution(
        internal, by=steward_a, title="XHTML", upload=SimpleUploadedFile("seite.xml", XHTML_AS_XML)
    )
    department = make_organisation("stadt-a-umweltamt", parent=org_a, legal_entity=org_a)
    reader = make_role_holder("steward-umwelt", Role.STEWARD, department)
    sharing.approve_access_request(ask(reader, internal, department), by=owner_a)

    staff, recipient = Client(), Client()
    staff.force_login(steward_a)
    recipient.force_login(reader)
    return {
        "catalog distribution_file (HTML in .csv)": (
            staff,
            reverse("catalog:distribution_file", args=[internal.name, html_file.pk]),
            HTML_AS_CSV,
        ),
        "catalog distribution_file (XHTML in .xml)": (
            staff,
            reverse("catalog:distribution_file", args=[internal.name, xhtml_file.pk]),
            XHTML_AS_XML,
        ),
        "portal download": (
            Client(),
            reverse("portal:download", args=[public.name, upload.identifier]),
            None,
        ),
        "portal convert (csv)": (
            Client(),
            reverse("portal:convert", args=[public.name, upload.identifier, "csv"]),
            None,
        ),
        "portal convert (json)": (
            Client(),
            reverse("portal:convert", args=[public.name, upload.identifier, "json"]),
            None,
        ),
        "portal convert (xlsx)": (
            Client(),
            reverse("portal:convert", args=[public.name, upload.identifier, "xlsx"]),
            None,
        ),
        "sharing shared_file (HTML in .csv)": (
            recipient,
            reverse("sharing:shared_file", args=[internal.name, html_file.pk]),
            HTML_AS_CSV,
        ),
    }


def test_every_file_download_is_an_attachment_with_nosniff(file_downloads):
    for name, (client, path, content) in file_downloads.items():
        response = client.get(path)
        body = read(response)
        assert response.status_code == 200, name
        assert response.headers["Content-Disposition"].startswith("attachment;"), name
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        content_type = response.headers["Content-Type"].split(";")[0].strip().lower()
        assert content_type not in ("text/html", "application/xhtml+xml", "image/svg+xml"), name
        assert_strict_csp(response, name)
        if content is not None:
            assert body == content, name  # served unchanged, only never rendered inline


@pytest.mark.parametrize("filename", ["seite.html", "seite.htm", "bild.svg", "seite.xhtml", "skript.js"])
def test_web_page_files_are_refused_at_upload(settings, tmp_path, org_a, steward_a, filename):
    settings.MEDIA_ROOT = tmp_path
    dataset = catalog.create_dataset(by=steward_a, fields=dataset_fields(org_a))
    with pytest.raises(ValidationError, match="Dateityp wird nicht angenommen"):
        catalog.add_distribution(dataset, by=steward_a, title="x", upload=SimpleUploadedFile(filename, HTML_AS_CSV))
    assert not Dataset.objects.get(pk=dataset.pk).distributions.exists()


# ---------------------------------------------------------------------------
# 6. Markdown (ASVS 1.3.x): policy texts are the only user Markdown; everything else is
# escaped text (|linebreaks). The sanitizer is an allow-list.

MARKDOWN_PAYLOADS = {
    "script tag": "<script>alert(1)</script>",
    "script in a list": "- Punkt\n- <script src=https://evil.example/x.js></script>",
    "img onerror": "<img src=x onerror=alert(1)>",
    "svg onload": "<svg onload=alert(1)><circle r=1></svg>",
    "event handler on allowed tag": '<a href="https://ok.example" onclick="alert(1)">Link</a>',
    "details ontoggle": "<details open ontoggle=alert(1)><summary>x</summary></details>",
    "javascript: link": "[klicken](javascript:alert(1))",
    "javascript: mixed case": "[klicken](JaVaScRiPt:alert(1))",
    "javascript: with entity": '<a href="jav&#x09;ascript:alert(1)">klicken</a>',
    "javascript: autolink": "<javascript:alert(1)>",
    "vbscript: link": "[klicken](vbscript:msgbox(1))",
    "data: link": "[klicken](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "data: image": "![Bild](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "javascript: image": "![Bild](javascript:alert(1))",
    "style attribute": '<p style="background:url(javascript:alert(1))">Text</p>',
    "style block": "<style>body{display:none}</style>",
    "iframe": '<iframe src="https://evil.example"></iframe>',
    "object and embed": '<object data="x.swf"></object><embed src="x.swf">',
    "form": '<form action="https://evil.example"><input name="pw"><button>OK</button></form>',
    "base and meta refresh": '<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=https://evil.example">',
    "title attribute breakout": '[x](https://ok.example "a\\" onmouseover=\\"alert(1)")',
    "mutation XSS": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext>",
}
SAFE_SCHEMES = {"http", "https", "mailto", ""}


class RenderedHtml(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attributes, self.urls = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            self.attributes.append((tag, name))
            if name in ("href", "src"):
                self.urls.append(value or "")


def parsed(html: str) -> RenderedHtml:
    parser = RenderedHtml()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("payload", MARKDOWN_PAYLOADS.values(), ids=MARKDOWN_PAYLOADS.keys())
def test_markdown_sanitizer_removes_active_content(payload):
    html = parsed(render_markdown(f"## Abschnitt\n\n{payload}\n\nEnde"))
    assert set(html.tags) <= ALLOWED_TAGS
    for tag, attribute in html.attributes:
        assert not attribute.startswith("on"), (tag, attribute)
        assert attribute not in ("style", "src", "srcdoc", "formaction", "action"), (tag, attribute)
    for url in html.urls:
        # Browsers drop whitespace and control characters inside the scheme.
        scheme = urlsplit(re.sub(r"[\x00-\x20]", "", unescape(url))).scheme.lower()
        assert scheme in SAFE_SCHEMES, url


def test_markdown_keeps_the_allowed_formatting():
    html = render_markdown(
        "# Datenstrategie\n\n## § 1 Grundsatz\n\n*offen* und **frei**, `Code`\n\n"
        "- eins\n- zwei\n\n1. erstens\n\n> Zitat\n\n"
        "[Portal](https://daten.lindenau.example/) [Mail](mailto:daten@lindenau.example) [alt](http://x.example)\n\n"
        "| A | B |\n|---|---|\n| 1 | 2 |\n"
    )
    for fragment in (
        "<h2>Datenstrategie</h2>",  # one level down: the page's h1 is the version title
        "<h3>§ 1 Grundsatz</h3>",
        "<em>offen</em>",
        "<strong>frei</strong>",
        "<code>Code</code>",
        "<li>eins</li>",
        "<ol>",
        "<blockquote>",
        '<a href="https://daten.lindenau.example/" rel="noopener noreferrer">Portal</a>',
        '<a href="mailto:daten@lindenau.example" rel="noopener noreferrer">Mail</a>',
        '<a href="http://x.example" rel="noopener noreferrer">alt</a>',
        "<td>1</td>",
    ):
        assert fragment in html, fragment


def test_a_policy_page_shows_hostile_markdown_inert(client_for, admin_a):
    document = governance.create_document(
        by=admin_a, kind=PolicyKind.DATA_STRATEGY, title="Strategie", slug="strategie"
    )
    version = governance.create_draft(
        document, by=admin_a, body="## § 1 Ziel\n\n(1) Offen.<script>alert(1)</script><img src=x onerror=alert(2)>\n"
    )
    response = client_for(admin_a).get(version.get_absolute_url())
    assert response.status_code == 200
    assert_no_inline_code(response.content.decode(), "policy version page")
    assert "onerror" not in response.content.decode()


# ---------------------------------------------------------------------------
# 7. Redirects (ASVS 5.0 3.5.x / 4.0 5.1.5): no user-controlled redirect leaves the site

EXTERNAL_TARGETS = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "https:evil.example",
    "http://testserver@evil.example/",
    "javascript:alert(1)",
    " https://evil.example/",
]


def assert_local(location: str):
    """A redirect target the browser resolves on this site."""
    parts = urlsplit(location.strip().replace("\\", "/"))
    assert not parts.scheme, location
    assert not parts.netloc, location
    assert location.startswith("/"), location
    assert not location.startswith(("//", "/\\")), location


@pytest.mark.parametrize("target", EXTERNAL_TARGETS)
def test_login_ignores_an_external_next(client, steward_a, target):
    assert client.get(LOGIN, {"next": target}).context["next"] == ""  # the form does not carry it on
    response = client.post(f"{LOGIN}?next={target}", {"username": "steward-a", "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert_local(response.url)
    assert response.url == reverse(settings.LOGIN_REDIRECT_URL)


@pytest.mark.parametrize("target", EXTERNAL_TARGETS)
def test_logout_ignores_an_external_next(client_for, steward_a, target):
    response = client_for(steward_a).post(LOGOUT, {"next": target})
    if response.status_code == 302:
        assert_local(response.url)
    else:
        assert response.status_code == 200
        assert "evil.example" not in response.content.decode()


@pytest.mark.parametrize("target", EXTERNAL_TARGETS)
def test_language_switch_ignores_an_external_next_and_referer(client, target):
    response = client.post("/i18n/setlang/", {"language": "en", "next": target}, HTTP_REFERER=target)
    assert response.status_code == 302
    assert_local(response.url)


def test_local_next_targets_still_work(client, steward_a):
    response = client.post(LOGIN, {"username": "steward-a", "password": PASSWORD, "next": "/intern/datensaetze/"})
    assert response.url == "/intern/datensaetze/"
    assert client.post("/i18n/setlang/", {"language": "de", "next": "/suche/"}).url == "/suche/"


APP_PACKAGES = ["config", "governance", "catalog", "ethics", "portal", "sharing"]
UNCHECKED_REDIRECT_SOURCES = re.compile(
    r"HTTP_REFERER|headers\.get\([\"']referer|redirect\(\s*request\.|HttpResponseRedirect\(\s*request\.",
    re.IGNORECASE,
)


def test_no_view_redirects_to_the_referer_or_a_raw_request_value():
    """Any redirect to a value from the request must go through url_has_allowed_host_and_scheme,
    as Django's login, logout and set_language do; the app's own views redirect to URLs they build."""
    offenders = []
    for package in APP_PACKAGES:
        for source in (ROOT / package).rglob("*.py"):
            if "tests" in source.parts or "migrations" in source.parts:
                continue
            for number, line in enumerate(source.read_text().splitlines(), 1):
                if UNCHECKED_REDIRECT_SOURCES.search(line):
                    offenders.append(f"{source.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


# ---------------------------------------------------------------------------
# 8. CSRF (ASVS 3.5.1)


def csrf_client(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/intern/")  # the page sets the CSRF cookie a browser would have
    return client, client.cookies[settings.CSRF_COOKIE_NAME].value


def test_a_staff_form_post_without_csrf_token_is_refused(vocabularies, steward_a, org_a):
    client, token = csrf_client(steward_a)
    form = dataset_form_data(org_a)

    response = client.post(reverse("catalog:dataset_create"), form)

    assert response.status_code == 403
    assert "Anfrage abgelehnt" in response.content.decode()
    assert not Dataset.objects.exists()
    # The same POST with the token goes through: the refusal was the missing token.
    assert client.post(reverse("catalog:dataset_create"), {**form, "csrfmiddlewaretoken": token}).status_code == 302
    assert Dataset.objects.filter(name="baumkataster").exists()


def test_an_api_write_with_the_session_but_without_csrf_token_is_refused(vocabularies, steward_a, org_a):
    client, token = csrf_client(steward_a)
    body = new_dataset(org_a)

    response = client.post("/api/v1/datasets/", body, content_type="application/json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Dataset.objects.exists()
    accepted = client.post("/api/v1/datasets/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


def test_a_logout_without_csrf_token_is_refused(steward_a):
    client, _token = csrf_client(steward_a)
    assert client.post(LOGOUT).status_code == 403
    assert client.get("/intern/").status_code == 200


# ---------------------------------------------------------------------------
# 9. Errors (ASVS 16.5.1): generic 500 page, no traceback, no settings


def test_a_server_error_shows_the_generic_page_without_internals(client, db, monkeypatch):
    assert settings.DEBUG is False

    def broken(*args, **kwargs):
        raise RuntimeError(f"interner Zustand {settings.DATABASES['default']['NAME']} {settings.SECRET_KEY}")

    monkeypatch.setattr("portal.transparency.register_queryset", broken)
    client.raise_request_exception = False

    response = client.get(reverse("portal:register"))

    body = response.content.decode()
    assert response.status_code == 500
    assert "Ein Fehler ist aufgetreten" in body
    for leak in ("Traceback", "RuntimeError", "interner Zustand", settings.SECRET_KEY, str(ROOT), "DATABASES"):
        assert leak not in body, leak
    assert_strict_csp(response, "500 page")
    assert_security_headers(response, "500 page")
    assert_no_inline_code(body, "500 page")


def test_an_api_server_error_is_generic_too(client, db, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError(f"interner Zustand {settings.SECRET_KEY}")

    monkeypatch.setattr("catalog.api.views.list_rows", broken)
    client.raise_request_exception = False

    response = client.get("/api/v1/datasets/")

    assert response.status_code == 500
    body = response.content.decode()
    for leak in ("Traceback", "RuntimeError", "interner Zustand", settings.SECRET_KEY, str(ROOT)):
        assert leak not in body, leak
