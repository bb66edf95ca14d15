"""Link checks of external distribution addresses (catalog.linkcheck) against a local
HTTP server in a thread: never the internet."""

import contextlib
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from catalog import linkcheck, services
from catalog.models import Distribution, LinkCheck, QualityScore
from catalog.quality import store


class Handler(BaseHTTPRequestHandler):
    requests: list = []  # (method, path), shared by the test server

    def log_message(self, *args):
        pass

    def _answer(self, *, body: bool):
        self.requests.append((self.command, self.path))
        if self.path == "/ok":
            status, headers = 200, {"Content-Type": "text/csv"}
        elif self.path == "/moved":
            status, headers = 301, {"Location": "/ok"}
        elif self.path == "/inside":
            status, headers = 302, {"Location": "http://127.0.0.1:1/admin"}
        elif self.path == "/loop":
            status, headers = 302, {"Location": "/loop"}
        elif self.path == "/slow":
            time.sleep(1)
            status, headers = 200, {}
        elif self.path == "/no-head" and self.command == "HEAD":
            status, headers = 405, {"Allow": "GET"}
        elif self.path == "/no-head":
            status, headers = 200, {}
        else:
            status, headers = 404, {}
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        payload = b"a;b\n1;2\n" * 1000 if body and status == 200 else b""
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the checker reads nothing
            self.wfile.write(payload)

    def do_HEAD(self):
        self._answer(body=False)

    def do_GET(self):
        self._answer(body=True)


@pytest.fixture
def server(settings):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # The server is on loopback: the outbound guard (core.outbound) fetches it only by name.
    settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{httpd.server_address[1]}"]
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Handler.requests = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture(autouse=True)
def short_timeouts(settings):
    settings.LINKCHECK_CONNECT_TIMEOUT = 1
    settings.LINKCHECK_READ_TIMEOUT = 0.2
    settings.LINKCHECK_MAX_REDIRECTS = 3


def test_a_reachable_link_is_ok_with_head_alone(server):
    result = linkcheck.probe(f"{server}/ok")

    assert (result.ok, result.status_code, result.method, result.error) == (True, 200, "HEAD", "")
    assert Handler.requests == [("HEAD", "/ok")]
    assert result.duration_ms >= 0


def test_addresses_in_the_internal_network_are_never_asked(server, settings):
    """A steward's or a harvested link must not make the checker probe the city's own
    network (SSRF), neither directly nor through a redirect."""
    settings.OUTBOUND_ALLOWED_HOSTS = []

    for url in (f"{server}/ok", "http://10.0.0.8/", "http://169.254.169.254/latest/meta-data/", f"{server}/moved"):
        result = linkcheck.probe(url)
        assert (result.ok, result.status_code, result.error) == (False, None, "Adresse im internen Netz, nicht geprüft")
    assert Handler.requests == []


def test_a_redirect_from_an_admitted_server_into_the_internal_network_is_not_followed(server):
    result = linkcheck.probe(f"{server}/inside")  # to another loopback port, not on OUTBOUND_ALLOWED_HOSTS

    assert (result.ok, result.status_code, result.error) == (False, None, "Adresse im internen Netz, nicht geprüft")
    assert Handler.requests == [("HEAD", "/inside")]


def test_a_missing_page_is_broken(server):
    result = linkcheck.probe(f"{server}/missing")

    assert (result.ok, result.status_code, result.error) == (False, 404, "HTTP 404 Not Found")


def test_a_server_slower_than_the_timeout_is_broken_and_asked_once(server):
    started = time.monotonic()
    result = linkcheck.probe(f"{server}/slow")

    assert (result.ok, result.status_code, result.error) == (False, None, "Zeitüberschreitung")
    assert time.monotonic() - started < 1
    assert Handler.requests == [("HEAD", "/slow")]


def test_redirects_are_followed_and_recorded(server):
    result = linkcheck.probe(f"{server}/moved")

    assert (result.ok, result.status_code) == (True, 200)
    assert result.redirect_url == f"{server}/ok"
    assert result.redirects == [{"url": f"{server}/moved", "status_code": 301}]


def test_too_many_redirects_are_broken(server):
    result = linkcheck.probe(f"{server}/loop")

    assert (result.ok, result.error) == (False, "Mehr als 3 Weiterleitungen")
    assert len(Handler.requests) == 4  # the first request and three redirects


def test_a_refused_head_falls_back_to_a_streamed_get(server):
    result = linkcheck.probe(f"{server}/no-head")

    assert (result.ok, result.status_code, result.method) == (True, 200, "GET")
    assert Handler.requests == [("HEAD", "/no-head"), ("GET", "/no-head")]


def test_a_refused_connection_is_broken(settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1:9"]
    result = linkcheck.probe("http://127.0.0.1:9/nothing")  # the discard port: nobody listens

    assert not result.ok
    assert result.error.startswith("Keine Verbindung")


# ---------------------------------------------------------------------------
# Rows, score and scheduling


def _external(dataset, url, title="Baumliste"):
    return Distribution.objects.create(dataset=dataset, title=title, access_url=url, format="CSV")


def test_a_check_is_kept_and_lowers_the_score_when_broken(server, dataset_a):
    distribution = _external(dataset_a, f"{server}/missing")

    check = linkcheck.check_distribution(distribution.pk)

    assert (check.url, check.ok, check.status_code) == (f"{server}/missing", False, 404)
    score = QualityScore.objects.get(dataset=dataset_a)
    assert score.broken_links[0]["distribution"] == distribution.pk
    assert {c["code"]: c["score"] for c in score.checks}["access_url"] == 0

    distribution.access_url = f"{server}/ok"
    distribution.save()
    linkcheck.check_distribution(distribution.pk)

    score.refresh_from_db()
    assert score.broken_links == []
    assert {c["code"]: c["score"] for c in score.checks}["access_url"] == 50
    # The history: both checks, newest first.
    assert [c.ok for c in distribution.link_checks.all()] == [True, False]


def test_a_distribution_checked_since_its_last_change_is_not_checked_again(server, dataset_a):
    distribution = _external(dataset_a, f"{server}/ok")
    linkcheck.check_distribution(distribution.pk)

    assert linkcheck.check_distribution(distribution.pk) is None  # e.g. the task delivered twice
    assert linkcheck.check_distribution(distribution.pk, force=True) is not None
    assert distribution.link_checks.count() == 2


def test_uploads_are_not_checked(dataset_a):
    upload = Distribution.objects.create(dataset=dataset_a, title="Datei", file="distributions/x/a.csv", format="CSV")

    assert linkcheck.check_distribution(upload.pk) is None
    assert not LinkCheck.objects.exists()


def test_the_batch_checks_due_links_only(server, settings, dataset_a, dataset_b):
    settings.LINKCHECK_MAX_WORKERS = 2
    fresh = _external(dataset_a, f"{server}/ok", "Frisch geprüft")
    LinkCheck.objects.create(distribution=fresh, url=fresh.access_url, checked_at=timezone.now(), ok=True)
    old = _external(dataset_a, f"{server}/missing", "Lange nicht geprüft")
    LinkCheck.objects.create(
        distribution=old, url=old.access_url, checked_at=timezone.now() - timedelta(days=8), ok=True
    )
    never = [_external(dataset_b, f"{server}/{path}", path) for path in ("ok", "moved", "no-head", "slow")]

    assert linkcheck.check_due() == 5

    latest = store.latest_link_checks([fresh, old, *never])
    assert {distribution.title: latest[distribution.pk].ok for distribution in [old, *never]} == {
        "Lange nicht geprüft": False, "ok": True, "moved": True, "no-head": True, "slow": False,
    }  # fmt: skip
    assert fresh.link_checks.count() == 1
    # Both datasets are rescored with the results.
    assert QualityScore.objects.get(dataset=dataset_a).broken_links[0]["title"] == "Lange nicht geprüft"
    assert len(QualityScore.objects.get(dataset=dataset_b).broken_links) == 1
    assert linkcheck.check_due() == 0


def test_a_new_link_is_checked_after_commit(server, settings, dataset_a, steward_a, django_capture_on_commit_callbacks):
    settings.LINKCHECK_ON_CHANGE = True

    with django_capture_on_commit_callbacks(execute=True):
        distribution = services.add_distribution(
            dataset_a, by=steward_a, title="Baumliste", access_url=f"{server}/ok", format="CSV"
        )

    assert distribution.link_checks.get().ok
    checks = {c["code"]: c["passed"] for c in QualityScore.objects.get(dataset=dataset_a).checks}
    assert checks["access_url"]


def test_the_tests_check_no_links_unless_asked(dataset_a, steward_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.add_distribution(
            dataset_a, by=steward_a, title="Karte", access_url="https://geo.stadt-a.example/wms", format="WMS_SRVC"
        )

    assert not LinkCheck.objects.exists()


def test_a_batch_takes_the_links_checked_longest_ago_first(server, dataset_a):
    checked = _external(dataset_a, f"{server}/ok", "Vor acht Tagen geprüft")
    LinkCheck.objects.create(
        distribution=checked, url=checked.access_url, checked_at=timezone.now() - timedelta(days=8), ok=True
    )
    never = _external(dataset_a, f"{server}/missing", "Nie geprüft")

    assert linkcheck.check_due(limit=1) == 1

    assert never.link_checks.count() == 1
    assert checked.link_checks.count() == 1
    assert list(linkcheck.due_distributions()) == [checked]
