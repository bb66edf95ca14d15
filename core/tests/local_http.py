"""Small HTTP servers on 127.0.0.1 for the outbound-request tests: a ThreadingHTTPServer
in a thread whose GET is answered by a function `answer(handler)`, plus what it saw.
Never the internet."""

from __future__ import annotations

import contextlib
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Served:
    url: str
    host_port: str
    paths: list = field(default_factory=list)
    sent: list = field(default_factory=lambda: [0])  # bytes of body written, counted by the answer


@contextmanager
def serving(answer):
    """Serve GET and HEAD with `answer(handler, served)`; yields the Served record."""
    served = Served(url="", host_port="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            served.paths.append(self.path)
            # The client hung up: what the guard is for.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                answer(self, served)

        do_HEAD = do_GET

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    served.url, served.host_port = f"http://127.0.0.1:{port}", f"127.0.0.1:{port}"
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def send(handler, status: int, body: bytes = b"", headers: dict | None = None) -> None:
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


_watching: list[list] = []


def _audit(event, args):
    if event == "socket.connect" and _watching:
        for seen in _watching:
            seen.append(args[1])


_hook_installed = False


@contextmanager
def connection_attempts():
    """Every address a socket of this process tries to connect to inside the block (the
    interpreter's own audit event, so nothing is patched). An audit hook cannot be
    removed; it is installed once and records only while a block is open."""
    global _hook_installed
    if not _hook_installed:
        import sys

        sys.addaudithook(_audit)
        _hook_installed = True
    seen: list = []
    _watching.append(seen)
    try:
        yield seen
    finally:
        _watching.remove(seen)


def endless(handler, served, *, declare=False):
    """A "400 MB" body made lazily; it stops as soon as the client hangs up."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    if declare:
        handler.send_header("Content-Length", str(400 * 2**20))
    else:
        handler.send_header("Connection", "close")
    handler.end_headers()
    chunk = b" " * 65536
    for _ in range(400 * 16):
        handler.wfile.write(chunk)
        served.sent[0] += len(chunk)


def trickle(handler, served, *, in_headers=False):
    """One byte every half second, forty at most (a bounded loop)."""
    if in_headers:
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 40:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(0.5)
        return
    handler.send_response(200)
    handler.send_header("Content-Length", "40")
    handler.end_headers()
    handler.wfile.flush()
    for _ in range(40):
        handler.wfile.write(b"x")
        handler.wfile.flush()
        time.sleep(0.5)
