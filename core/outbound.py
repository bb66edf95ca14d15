"""The one guard for every HTTP request this application sends to an address that someone
typed in (a harvest source, a distribution's link): `session()` gives a requests.Session
that

- fetches http:// and https:// only, and never through a proxy from the environment
  (a proxy would connect for us, to wherever it is told, unchecked);
- connects only to public (global) addresses. The name is resolved once, every address
  it gives must be public, and the socket is connected to exactly that checked address;
  the connected socket's peer is checked again. Resolving once and connecting to the
  checked address (rather than checking, then letting the library resolve again) is what
  makes DNS rebinding useless: there is no second answer to exploit. Host header, TLS SNI
  and certificate check keep the name, because only the socket is made here. Every
  redirect is followed by the guard itself (up to a cap) and each hop's connection goes
  through the same check;
- admits an intranet source or a test server only by name: OUTBOUND_ALLOWED_HOSTS lists
  `host:port` pairs (exact host and port as in the URL);
- reads a body while streaming and stops at OUTBOUND_MAX_BODY_BYTES (unpacked bytes, so a
  compressed answer counts at its real size), never more;
- ends a request at its deadline (OUTBOUND_REQUEST_DEADLINE, and a caller's job deadline
  if sooner), whatever phase it is in: a watchdog shuts the socket down, so a server that
  trickles one byte at a time cannot outlast it the way it outlasts a read timeout.

Every refusal is an OutboundError (a requests.RequestException) whose text is a German
sentence for the person who configured the address."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

SCHEMES = {"http": 80, "https": 443}
CHUNK = 64 * 1024
REDIRECTS = {301, 302, 303, 307, 308}


class OutboundError(requests.RequestException):
    """A request the guard refused or cut short; str() is the German reason."""

    def __init__(self, message: str | None = None, **kwargs):
        self.message = message or self.default()
        super().__init__(self.message, **kwargs)

    def default(self) -> str:
        return _("Die Adresse wurde nicht abgerufen.")

    def __str__(self) -> str:
        return self.message


class NotAllowedScheme(OutboundError):
    def default(self):
        return _("Nur Adressen mit http:// oder https:// werden abgerufen.")


class InternalAddress(OutboundError):
    def default(self):
        return _("Die Adresse zeigt in ein internes Netz und wird nicht abgerufen.")


class TooLarge(OutboundError):
    def default(self):
        return _("Die Antwort ist größer als %(size)s MB.") % {"size": megabytes(settings.OUTBOUND_MAX_BODY_BYTES)}


class TooManyRedirects(OutboundError, requests.TooManyRedirects):
    def default(self):
        return _("Die Adresse leitet zu oft weiter.")


class DeadlineExceeded(OutboundError, requests.Timeout):
    def default(self):
        return _("Die Quelle hat nicht rechtzeitig geantwortet.")


def megabytes(size: int) -> str:
    value = size / 2**20
    return str(int(value)) if value == int(value) else f"{value:.1f}".replace(".", ",")


class Deadline:
    """A point in time by which work must be done: one request's, or a whole job's that
    a caller passes to session(deadline=…) so that every request of the job ends by it."""

    def __init__(self, seconds: float, *, message: str | None = None):
        self.expires = time.monotonic() + seconds
        self.message = message

    def remaining(self) -> float:
        return self.expires - time.monotonic()

    def check(self) -> None:
        if self.remaining() <= 0:
            raise DeadlineExceeded(self.message)


# ---------------------------------------------------------------------------
# Addresses


Allowed = frozenset  # of (host, port): names admitted whatever their address


def allowed_hosts() -> Allowed:
    """OUTBOUND_ALLOWED_HOSTS as (host, port) pairs; an entry without a port is ignored
    (admitting every port of a host would admit its database too)."""
    pairs = set()
    for entry in settings.OUTBOUND_ALLOWED_HOSTS:
        parts = urlsplit(f"//{entry.strip()}")
        try:
            port = parts.port
        except ValueError:
            continue
        if parts.hostname and port:
            pairs.add((parts.hostname.lower(), port))
    return frozenset(pairs)


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def host_port(url: str) -> tuple[str, int]:
    """(host, port) of an http(s) URL, the port filled in from the scheme."""
    try:
        parts = urlsplit(url)
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:  # e.g. an open IPv6 bracket or a port out of range
        raise NotAllowedScheme() from None
    if scheme not in SCHEMES or not host:
        raise NotAllowedScheme()
    return host.lower(), port or SCHEMES[scheme]


def check_url(url: str, *, allowed: Allowed | None = None) -> None:
    """Would the guard fetch `url`? Raises NotAllowedScheme or InternalAddress; an
    unresolvable name passes (the connection reports it). For checks when an address is
    saved; the connection checks again, because a name may answer differently later."""
    host, port = host_port(url)
    allowed = allowed_hosts() if allowed is None else allowed
    if (host, port) in allowed:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return
    if not all(is_public(info[4][0]) for info in infos):
        raise InternalAddress()


def verify_peer(sock: socket.socket, host: str, port: int, *, allowed: Allowed) -> None:
    """The check on the connected socket: its actual peer must be public, unless the name
    it was asked for is admitted."""
    if (host.lower(), port) not in allowed and not is_public(sock.getpeername()[0]):
        raise InternalAddress()


# ---------------------------------------------------------------------------
# Connections: the check at connect time


class _Refused(Exception):
    def __init__(self, error: OutboundError):
        self.error = error


@dataclass
class _Call:
    """One guarded request in this thread: what it admits, and its connections (the
    watchdog shuts them down at the deadline)."""

    allowed: Allowed
    connections: list = field(default_factory=list)
    fired: bool = False

    def fire(self) -> None:
        self.fired = True
        for connection in list(self.connections):
            sock = getattr(connection, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


_local = threading.local()


class _GuardedMixin:
    def _new_conn(self):
        call = getattr(_local, "call", None)
        if call is None:  # a pool used outside session().request: nothing says what is admitted
            raise _Refused(InternalAddress())
        host, port = self._dns_host.lower(), self.port
        named = (host, port) in call.allowed
        try:
            infos = socket.getaddrinfo(self._dns_host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error
        if not named and not all(is_public(info[4][0]) for info in infos):
            raise _Refused(InternalAddress())
        last_error = None
        for info in infos:
            try:
                sock = urllib3_connection.create_connection(
                    (info[4][0], port),  # the checked address itself, not the name again
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as error:
                raise ConnectTimeoutError(self, f"Connection to {self.host} timed out.") from error
            except OSError as error:
                last_error = error
                continue
            try:
                verify_peer(sock, host, port, allowed=call.allowed)
            except InternalAddress as error:
                sock.close()
                raise _Refused(error) from None
            return sock
        raise NewConnectionError(self, f"Failed to establish a new connection: {last_error}")

    def request(self, *args, **kwargs):
        # Also a connection reused from the pool: the watchdog of this request must reach it.
        call = getattr(_local, "call", None)
        if call is not None:
            call.connections.append(self)
        return super().request(*args, **kwargs)


class _HTTPConnection(_GuardedMixin, HTTPConnection):
    pass


class _HTTPSConnection(_GuardedMixin, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        raise NotAllowedScheme(_("Abrufe über einen Proxy sind nicht vorgesehen."))


# ---------------------------------------------------------------------------
# The session


# How close to its deadline a failed request counts as ended by it (clock and timer skew).
DEADLINE_SLACK = 0.05


class GuardedSession(requests.Session):
    """See the module's docstring. `stream=True` returns once the headers are in and
    leaves the body unread (the caller closes it: the link checker); otherwise the body
    is read here, within the cap and the deadline, before the caller sees the response
    (ckanapi reads `response.text`)."""

    def __init__(self, *, allowed=None, deadline=None, max_body=None, timeout=None, max_redirects=None):
        super().__init__()
        self.trust_env = False
        adapter = GuardedAdapter()
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        self.allowed = allowed
        self.job_deadline = deadline
        self.max_body = max_body
        self.timeout = timeout
        self.max_redirects = max_redirects if max_redirects is not None else settings.OUTBOUND_MAX_REDIRECTS

    def request(self, method, url, *args, stream=False, allow_redirects=True, timeout=None, **kwargs):
        if args:
            raise TypeError("GuardedSession.request takes keyword arguments only")
        host_port(url)
        if self.job_deadline is not None:
            self.job_deadline.check()
        deadline = Deadline(settings.OUTBOUND_REQUEST_DEADLINE)
        if self.job_deadline is not None and self.job_deadline.expires < deadline.expires:
            deadline = self.job_deadline
        call = _Call(allowed=allowed_hosts() if self.allowed is None else frozenset(self.allowed))
        previous, _local.call = getattr(_local, "call", None), call
        watchdog = threading.Timer(max(deadline.remaining(), 0), call.fire)
        watchdog.daemon = True
        watchdog.start()
        try:
            response = self._follow(method, url, allow_redirects, timeout or self.timeout, deadline, kwargs)
            if not stream:
                self._read(response, call, deadline)
            return response
        except _Refused as refused:
            raise refused.error from None
        except OutboundError:
            raise
        except (requests.RequestException, OSError) as error:
            # The read timeout is the time left (see _timeout): when it ends the request at
            # the deadline, it may do so a moment before the watchdog fires. Either way it
            # was the deadline, and its message says so (not "no answer in time").
            if call.fired or deadline.remaining() <= DEADLINE_SLACK:
                raise DeadlineExceeded(deadline.message) from error
            raise
        finally:
            watchdog.cancel()
            _local.call = previous

    def resolve_redirects(self, *args, **kwargs):
        # requests calls this even when told not to follow (to offer response.next), and
        # reads the redirect's whole body in it; the guard follows redirects itself.
        return iter(())

    def _timeout(self, timeout, deadline: Deadline):
        remaining = deadline.remaining()
        if remaining <= 0:
            raise DeadlineExceeded(deadline.message)
        if timeout is None:
            return (remaining, remaining)
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        return (min(connect or remaining, remaining), min(read or remaining, remaining))

    def _follow(self, method, url, allow_redirects, timeout, deadline, kwargs):
        history = []
        while True:
            response = super().request(
                method, url, allow_redirects=False, stream=True, timeout=self._timeout(timeout, deadline), **kwargs
            )
            target = self.get_redirect_target(response) if response.status_code in REDIRECTS else None
            if not allow_redirects or not target:
                response.history = history
                return response
            # The redirect's own body is not read (requests would read it whole).
            response.close()
            history.append(response)
            if len(history) > self.max_redirects:
                raise TooManyRedirects(
                    _("Die Adresse leitet mehr als %(count)s-mal weiter.") % {"count": self.max_redirects},
                    response=response,
                )
            previous_host = urlsplit(url).hostname
            url = urljoin(response.url, target)
            host_port(url)
            if response.status_code in (301, 302, 303) and method.upper() not in ("GET", "HEAD"):
                method = "GET"
            kwargs = {key: value for key, value in kwargs.items() if key not in ("params", "data", "json", "files")}
            if urlsplit(url).hostname != previous_host and kwargs.get("headers"):
                kwargs["headers"] = {k: v for k, v in kwargs["headers"].items() if k.lower() != "authorization"}

    def _read(self, response: requests.Response, call: _Call, deadline: Deadline) -> None:
        limit = self.max_body if self.max_body is not None else settings.OUTBOUND_MAX_BODY_BYTES
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            response.close()
            raise TooLarge(_("Die Antwort ist größer als %(size)s MB.") % {"size": megabytes(limit)})
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooLarge(_("Die Antwort ist größer als %(size)s MB.") % {"size": megabytes(limit)})
                chunks.append(chunk)
        finally:
            if size > limit or call.fired:
                response.close()
        if call.fired:  # the watchdog ended the body early: what arrived is not the answer
            raise DeadlineExceeded(deadline.message)
        response._content = b"".join(chunks)
        response._content_consumed = True


def session(**options) -> GuardedSession:
    """A guarded session: allowed (None: OUTBOUND_ALLOWED_HOSTS), deadline (a job's
    Deadline), max_body, timeout ((connect, read) per request), max_redirects."""
    return GuardedSession(**options)
