"""A CKAN portal for the harvesting tests: an http.server on 127.0.0.1 (port 0) in a
thread, answering /api/action/package_search (and /api/3/action/…) from the recorded
responses in data/ckan/. It pages like CKAN (rows, start, sort=id asc), applies the
metadata_modified range of an incremental fq, records every request, and can be told
to fail the ways real portals do. Never the internet.

The outbound guard (core.outbound) fetches nothing on loopback unless its host:port is
on OUTBOUND_ALLOWED_HOSTS: `running_fake_ckan()` puts the fake's own there for as long as
it runs (allow_listed=False leaves it off, for the tests of that refusal)."""

import copy
import json
import re
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from django.test import override_settings

DATA = Path(__file__).resolve().parent / "data" / "ckan"
RECORDED_PAGES = ("package_search_start_0.json", "package_search_start_3.json")


def recorded(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def recorded_packages() -> list[dict]:
    return [package for name in RECORDED_PAGES for package in recorded(name)["result"]["results"]]


class FakeCKAN:
    def __init__(self):
        self.packages = recorded_packages()
        self.help = recorded(RECORDED_PAGES[0])["help"]
        self.requests: list[dict] = []
        # None, "html500", "not_json", "success_false", "timeout", "same_page", "empty"
        self.failure = None
        self.fail_from_start = 0
        self.delay = 0.0
        self.url = ""
        self.host_port = ""

    def package(self, name: str) -> dict:
        return next(package for package in self.packages if package["name"] == name)

    def remove(self, name: str) -> dict:
        package = self.package(name)
        self.packages.remove(package)
        return package

    def answer(self, params: dict) -> tuple[int, str, bytes]:
        start, rows = int(params.get("start", 0)), int(params.get("rows", 10))
        failure = self.failure if start >= self.fail_from_start else None
        if failure == "timeout":
            time.sleep(self.delay)
        if failure == "html500":
            return 500, "text/html", b"<html><body><h1>Internal Server Error</h1></body></html>"
        if failure == "not_json":
            return 200, "text/html", b"<!doctype html><title>Wartungsarbeiten</title><p>Bitte versuchen Sie es spaeter."
        if failure == "success_false":
            return 409, "application/json", json.dumps(recorded("package_search_error.json")).encode()
        packages = sorted(self.packages, key=lambda package: package["id"])
        match = re.search(r"metadata_modified:\[(\S+?)Z? TO \*\]", params.get("fq", ""))
        if match:
            packages = [package for package in packages if package["metadata_modified"] >= match.group(1)]
        if failure == "empty":
            packages = []
        page = packages[:rows] if failure == "same_page" else packages[start : start + rows]
        body = {
            "help": self.help,
            "success": True,
            "result": {"count": len(packages), "facets": {}, "results": copy.deepcopy(page), "sort": "id asc",
                       "search_facets": {}},
        }  # fmt: skip
        return 200, "application/json;charset=utf-8", json.dumps(body, ensure_ascii=False).encode()


def handler_for(fake: FakeCKAN):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            parts = urlsplit(self.path)
            params = {key: values[-1] for key, values in parse_qs(parts.query).items()}
            fake.requests.append({"method": "GET", "path": parts.path, "params": params, "headers": dict(self.headers)})
            if not re.fullmatch(r"/api(/3)?/action/package_search", parts.path):
                status, content_type, body = 404, "text/plain", b"Not found"
            else:
                status, content_type, body = fake.answer(params)
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (timeout tests)

        def log_message(self, format, *args):
            pass

    return Handler


@contextmanager
def running_fake_ckan(*, allow_listed: bool = True):
    fake = FakeCKAN()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    fake.host_port = f"127.0.0.1:{server.server_address[1]}"
    allowed = override_settings(OUTBOUND_ALLOWED_HOSTS=[fake.host_port] if allow_listed else [])
    try:
        with allowed:
            yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def trusted_sources_on_loopback(monkeypatch) -> None:
    """A trusted source must be on a public address, allow-list or not (tested in
    test_harvest_outbound). The tests of what a trusted source does run against the fake
    on loopback, so for them the trusted source is admitted like any other."""
    from catalog.harvest import client

    monkeypatch.setattr(client, "allowed_for", lambda trusted: None)
