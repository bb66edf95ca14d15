"""The one guard for outbound HTTP requests (core.outbound), against small servers on
127.0.0.1 that the tests start: schemes, addresses (also after a redirect and on the
connected socket), the body cap while streaming, and the deadlines."""

import gzip
import socket

import pytest

from core import outbound
from core.tests.local_http import connection_attempts, endless, send, serving, trickle


def ok(handler, served):
    send(handler, 200, b'{"ok": true}', {"Content-Type": "application/json"})


@pytest.fixture
def server():
    with serving(ok) as served:
        yield served


@pytest.fixture(autouse=True)
def nothing_allowed(settings):
    settings.OUTBOUND_ALLOWED_HOSTS = []
    settings.OUTBOUND_MAX_BODY_BYTES = 2**20
    settings.OUTBOUND_REQUEST_DEADLINE = 10


def test_an_allow_listed_test_server_answers(server, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = [server.host_port]

    with outbound.session() as session:
        response = session.get(f"{server.url}/api", params={"q": "x"})

    assert (response.status_code, response.json()) == (200, {"ok": True})
    assert server.paths == ["/api?q=x"]


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/", "gopher://127.0.0.1:6379/_INFO"])
def test_only_http_and_https_are_fetched(url):
    with outbound.session() as session, pytest.raises(outbound.NotAllowedScheme) as error:
        session.get(url)

    assert str(error.value) == "Nur Adressen mit http:// oder https:// werden abgerufen."


def test_loopback_is_refused_without_the_allow_list_and_never_connected(server):
    with (
        connection_attempts() as attempts,
        outbound.session() as session,
        pytest.raises(outbound.InternalAddress) as error,
    ):
        session.get(f"{server.url}/")

    assert str(error.value) == "Die Adresse zeigt in ein internes Netz und wird nicht abgerufen."
    assert (attempts, server.paths) == ([], [])


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/api/3/action/package_search",
        "http://192.168.178.1:8080/",
        "http://172.16.0.5/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://0.0.0.0:5432/",
        "http://[::1]:6379/",
        "http://[fd00::1]/",
        "http://[::ffff:127.0.0.1]:6379/",
    ],
)
def test_private_addresses_are_refused_without_a_connection(url):
    with connection_attempts() as attempts, outbound.session() as session, pytest.raises(outbound.InternalAddress):
        session.get(url)

    assert attempts == []


def test_the_allow_list_admits_exactly_host_and_port(server, settings):
    port = int(server.host_port.rsplit(":", 1)[1])
    settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{port + 1}", f"localhost:{port}"]

    with outbound.session() as session:
        with pytest.raises(outbound.InternalAddress):
            session.get(f"{server.url}/")  # the same address, another port on the list
        assert session.get(f"http://localhost:{port}/").status_code == 200  # admitted by its name

    assert server.paths == ["/"]


def test_a_name_that_resolves_to_loopback_is_refused(server):
    port = server.host_port.rsplit(":", 1)[1]

    with connection_attempts() as attempts, outbound.session() as session, pytest.raises(outbound.InternalAddress):
        session.get(f"http://localhost:{port}/")

    assert (attempts, server.paths) == ([], [])


def test_a_public_looking_name_is_judged_by_its_address(server, monkeypatch):
    """DNS is simulated here (the tests never ask the internet): the name answers with the
    loopback address, as a rebinding attacker's name does on its second lookup."""
    port = int(server.host_port.rsplit(":", 1)[1])
    real = socket.getaddrinfo
    lookups = []

    def resolver(host, *args, **kwargs):
        if host == "daten.stadt-b.example":
            lookups.append(host)
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    with connection_attempts() as attempts, outbound.session() as session, pytest.raises(outbound.InternalAddress):
        session.get(f"http://daten.stadt-b.example:{port}/")

    assert (attempts, server.paths) == ([], [])
    assert lookups == ["daten.stadt-b.example"]  # resolved once, and that answer is what would be connected to


def test_the_connected_socket_is_checked_too(server, settings):
    """The check at connect time looks at the socket's actual peer, whatever the name said."""
    host, port = server.host_port.rsplit(":", 1)
    with socket.create_connection((host, int(port))) as sock:
        with pytest.raises(outbound.InternalAddress):
            outbound.verify_peer(sock, "daten.stadt-b.example", int(port), allowed=frozenset())
        outbound.verify_peer(sock, host, int(port), allowed=frozenset({(host, int(port))}))  # admitted by name


def test_a_redirect_to_a_port_not_on_the_list_is_refused(settings):
    with serving(ok) as inner:

        def redirect(handler, served):
            send(handler, 302, headers={"Location": f"{inner.url}/secret"})

        with serving(redirect) as outer:
            settings.OUTBOUND_ALLOWED_HOSTS = [outer.host_port]
            with (
                connection_attempts() as attempts,
                outbound.session() as session,
                pytest.raises(outbound.InternalAddress),
            ):
                session.get(f"{outer.url}/start")

    assert outer.paths == ["/start"]
    assert inner.paths == []
    assert [address[1] for address in attempts] == [int(outer.host_port.rsplit(":", 1)[1])]


def test_redirects_are_followed_up_to_the_cap_and_recorded(settings):
    def loop(handler, served):
        if handler.path == "/end":
            return send(handler, 200, b"done")
        send(handler, 301, headers={"Location": "/end" if len(served.paths) > 2 else "/again"})

    with serving(loop) as served:
        settings.OUTBOUND_ALLOWED_HOSTS = [served.host_port]
        with outbound.session(max_redirects=3) as session:
            response = session.get(f"{served.url}/start")
        assert (response.status_code, response.content, response.url) == (200, b"done", f"{served.url}/end")
        assert [hop.status_code for hop in response.history] == [301, 301, 301]

        served.paths.clear()
        with outbound.session(max_redirects=1) as session, pytest.raises(outbound.TooManyRedirects):
            session.get(f"{served.url}/start")
        assert len(served.paths) == 2


@pytest.mark.parametrize("declare", [False, True], ids=["streamed", "declared"])
def test_a_body_over_the_cap_is_cut_while_streaming(settings, declare):
    with serving(lambda handler, served: endless(handler, served, declare=declare)) as served:
        settings.OUTBOUND_ALLOWED_HOSTS = [served.host_port]
        with outbound.session() as session, pytest.raises(outbound.TooLarge) as error:
            session.get(f"{served.url}/")

    assert str(error.value) == "Die Antwort ist größer als 1 MB."
    # What the server managed to send before the guard hung up: the cap and the sockets' buffers.
    assert served.sent[0] < 32 * 2**20


def test_a_compressed_body_counts_unpacked(settings):
    bomb = gzip.compress(b"0" * 20 * 2**20)

    def answer(handler, served):
        send(handler, 200, bomb, {"Content-Encoding": "gzip"})

    with serving(answer) as served:
        settings.OUTBOUND_ALLOWED_HOSTS = [served.host_port]
        with outbound.session() as session, pytest.raises(outbound.TooLarge):
            session.get(f"{served.url}/")


@pytest.mark.parametrize("in_headers", [False, True], ids=["body", "headers"])
def test_a_trickling_server_is_cut_at_the_deadline(settings, in_headers):
    settings.OUTBOUND_REQUEST_DEADLINE = 2
    with serving(lambda handler, served: trickle(handler, served, in_headers=in_headers)) as served:
        settings.OUTBOUND_ALLOWED_HOSTS = [served.host_port]
        # Each byte comes well within the read timeout: only an overall deadline ends this.
        with outbound.session(timeout=(5, 5)) as session, pytest.raises(outbound.DeadlineExceeded) as error:
            session.get(f"{served.url}/")

    assert str(error.value) == "Die Quelle hat nicht rechtzeitig geantwortet."


def test_a_job_deadline_bounds_every_request_of_the_job(server, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = [server.host_port]
    job = outbound.Deadline(0, message="Der Abruf hat seine Höchstdauer erreicht.")

    with outbound.session(deadline=job) as session, pytest.raises(outbound.DeadlineExceeded) as error:
        session.get(f"{server.url}/")

    assert str(error.value) == "Der Abruf hat seine Höchstdauer erreicht."
    assert server.paths == []


def test_a_request_cut_by_the_job_deadline_says_so_even_before_the_watchdog_fires(settings, monkeypatch):
    """The read timeout is the time left to the deadline; under load it may end the
    request a moment before the watchdog thread runs. It was still the deadline (CI saw
    "no answer in time" instead)."""

    class LateTimer:  # a watchdog that has not run yet when the read times out
        def __init__(self, interval, function):
            self.daemon = False

        def start(self):
            pass

        def cancel(self):
            pass

    monkeypatch.setattr(outbound.threading, "Timer", LateTimer)
    with serving(lambda handler, served: trickle(handler, served, in_headers=True)) as served:
        settings.OUTBOUND_ALLOWED_HOSTS = [served.host_port]
        job = outbound.Deadline(0.6, message="Der Abruf hat seine Höchstdauer erreicht.")
        with (
            outbound.session(deadline=job, timeout=(5, 5)) as session,
            pytest.raises(outbound.DeadlineExceeded) as error,
        ):
            session.get(f"{served.url}/")

    assert str(error.value) == "Der Abruf hat seine Höchstdauer erreicht."


def test_the_pre_check_says_what_the_connection_would(server, settings):
    with pytest.raises(outbound.InternalAddress):
        outbound.check_url(f"{server.url}/")
    with pytest.raises(outbound.NotAllowedScheme):
        outbound.check_url("file:///etc/passwd")
    settings.OUTBOUND_ALLOWED_HOSTS = [server.host_port]
    outbound.check_url(f"{server.url}/")
    with pytest.raises(outbound.InternalAddress):
        outbound.check_url(f"{server.url}/", allowed=frozenset())  # a caller that admits nothing by name
    outbound.check_url("https://nirgends.invalid/")  # unresolvable: the connection will say so


def test_a_redirect_body_is_never_read(settings):
    """requests reads a redirect's body whole to release the connection, even when told
    not to follow it; the guard hangs up instead."""

    def answer(handler, served):
        if handler.path == "/end":
            return send(handler, 200, b"done")
        handler.send_response(302)
        handler.send_header("Location", "/end")
        handler.send_header("Connection", "close")
        handler.end_headers()
        for _ in range(400 * 16):
            handler.wfile.write(b" " * 65536)
            served.sent[0] += 65536

    with serving(answer) as served:
        settings.OUTBOUND_ALLOWED_HOSTS = [served.host_port]
        with outbound.session() as session:
            response = session.get(f"{served.url}/start")

    assert (response.status_code, response.content) == (200, b"done")
    assert served.sent[0] < 32 * 2**20
