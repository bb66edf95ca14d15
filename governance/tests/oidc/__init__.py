"""A real OpenID Connect provider for the tests (provider.mjs beside this file, panva's
oidc-provider on node) started as a subprocess on a free loopback port, and a small
client that walks the authorization code flow through it the way a browser does."""

import re
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from django.core.cache import cache

HERE = Path(__file__).resolve().parent
CLIENT_ID = "stadtdaten"
CLIENT_SECRET = "geheimnis-der-tests-0123456789abcdef"
PASSWORD = "kennwort-beim-anbieter"


class Provider:
    def __init__(self, relying_party: str, *, startup_seconds: float = 20):
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is missing: the OpenID Connect tests start a provider on node (npm ci)")
        # Its log goes to a file: a pipe nobody reads would stall it once full.
        self.log = tempfile.NamedTemporaryFile(prefix="oidc-provider-", suffix=".log", delete=False)  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603 (node and our own script)
            [node, str(HERE / "provider.mjs"), relying_party],
            cwd=HERE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        deadline = time.monotonic() + startup_seconds
        line = ""
        while time.monotonic() < deadline and not line.startswith("READY "):
            ready, _, _ = select.select([self.process.stdout], [], [], 0.5)
            if ready:
                line = self.process.stdout.readline()
                if not line:
                    break
        if not line.startswith("READY "):
            self.stop()
            raise RuntimeError(f"the OpenID Connect provider did not start: {self.messages()}")
        self.issuer = line.split()[1]
        self.host_port = self.issuer.removeprefix("http://")

    def configure(self, *, mode: str = "normal", people: dict | None = None) -> None:
        """The people the provider knows (login name → claims, `sub` among them) and its mode."""
        accounts = {login: {"password": PASSWORD, **claims} for login, claims in (people or {}).items()}
        answer = requests.post(f"{self.issuer}/_test/state", json={"mode": mode, "accounts": accounts}, timeout=5)
        answer.raise_for_status()

    def sign(self, claims: dict) -> str:
        """A token with `claims`, signed with the provider's own key."""
        answer = requests.post(f"{self.issuer}/_test/sign", json=claims, timeout=5)
        answer.raise_for_status()
        return answer.json()["token"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)

    def messages(self) -> str:
        """What the provider logged (its errors, back-channel failures)."""
        return Path(self.log.name).read_text(errors="replace")


def follow(http: requests.Session, response: requests.Response, *, stop_at: str = "") -> requests.Response:
    """Follow redirects one by one (across the relying party and the provider); stop
    before a hop whose address starts with `stop_at`."""
    for _hop in range(20):
        if not response.is_redirect:
            return response
        target = urljoin(response.url, response.headers["Location"])
        if stop_at and target.startswith(stop_at):
            response.stop_target = target
            return response
        response = http.get(target, allow_redirects=False, timeout=15)
    raise AssertionError("too many redirects")


def sign_in_at_provider(http, relying_party: str, login: str, *, password: str = PASSWORD, stop_at_callback=False):
    """Start at our sign-in, sign in on the provider's page, come back. With
    stop_at_callback the callback address is returned instead of being opened."""
    page = follow(http, http.get(f"{relying_party}/oidc/anmelden/?next=/intern/", allow_redirects=False, timeout=15))
    action = re.search(r'action="(/interaction/[^"]+/login)"', page.text)
    assert action, page.text[:500]
    answer = http.post(
        urljoin(page.url, action.group(1)), data={"login": login, "password": password}, allow_redirects=False
    )
    if not answer.is_redirect:
        return answer
    return follow(http, answer, stop_at=f"{relying_party}/oidc/callback/" if stop_at_callback else "")


def signed_in(http, relying_party: str) -> bool:
    """Whether the session of `http` is signed in at the relying party: the internal area
    then answers (a page or 403 without a role), otherwise it sends to the login page."""
    answer = http.get(f"{relying_party}/intern/", allow_redirects=False, timeout=15)
    return not (answer.is_redirect and "/konto/anmelden/" in answer.headers["Location"])


def messages_on(page_html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page_html))


@pytest.fixture(scope="session")
def oidc_provider(live_server):
    provider = Provider(live_server.url)
    yield provider
    provider.stop()


@pytest.fixture
def sso(oidc_provider, settings, live_server):
    """SSO on, pointed at the test provider (discovery), which is reset for the test."""
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_RP_SCOPES = "openid profile email groups organisation"
    settings.OIDC_LOCAL_LOGIN = True
    settings.OIDC_BREAK_GLASS_USERS = []
    settings.OUTBOUND_ALLOWED_HOSTS = [oidc_provider.host_port]
    cache.clear()
    oidc_provider.configure()
    oidc_provider.rp = live_server.url
    yield oidc_provider
    cache.clear()


__all__ = ["CLIENT_ID", "CLIENT_SECRET", "PASSWORD", "Provider", "follow", "sign_in_at_provider"]
