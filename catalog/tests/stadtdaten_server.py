"""A second Stadtdaten on loopback, for the round trip of harvesting (issue 23): its own
SQLite database in a temporary directory, migrated and seeded with the demo city network
(`manage.py seed_demo`, as `make run` does), served by `manage.py runserver` in a
subprocess on a free port, with SITE_URL set to that address (the DCAT pages link their
Hydra pages and dataset URIs from it). Uploaded demo files go to the temporary
directory; links are not checked (no traffic beyond loopback).

Every wait is bounded: migrating and seeding, the server answering, its stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
SETUP_TIMEOUT = 600  # seconds for migrate and for seed_demo, each (about 30 s each on a busy machine)
START_TIMEOUT = 60
STOP_TIMEOUT = 10


@dataclass
class StadtdatenServer:
    url: str
    host_port: str
    log: Path
    seconds: dict = field(default_factory=dict)  # migrate, seed_demo, start


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(directory: Path, url: str) -> dict:
    """Development settings on a SQLite file, not the test settings of this process."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SECURE_", "BEHIND_"))}
    for key in ("CACHE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "ALLOWED_HOSTS", "TEST_DATABASE_NAME"):
        env.pop(key, None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"sqlite:///{directory / 'stadtdaten.sqlite3'}",
        SITE_URL=url,
        MEDIA_ROOT=str(directory / "media"),
        LINKCHECK_ON_CHANGE="False",
        DEBUG="False",
        LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def manage(args: list[str], env: dict, log: Path) -> float:
    started = time.monotonic()
    with open(log, "ab") as out:
        result = subprocess.run(  # noqa: S603 – our interpreter with fixed arguments
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            timeout=SETUP_TIMEOUT, check=False,
        )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)}: Exit {result.returncode}\n{log.read_text()[-3000:]}")
    return round(time.monotonic() - started, 1)


def wait_until_answering(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"runserver ist beendet (Exit {process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/api/3/action/package_search", params={"rows": 0}, timeout=5).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"runserver antwortet nicht:\n{log.read_text()[-3000:]}")


@contextmanager
def running_stadtdaten(directory: Path) -> Iterator[StadtdatenServer]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = StadtdatenServer(url=url, host_port=f"127.0.0.1:{port}", log=directory / "stadtdaten.log")
    env = server_env(directory, url)
    server.seconds["migrate"] = manage(["migrate", "--no-input", "-v", "0"], env, server.log)
    server.seconds["seed_demo"] = manage(["seed_demo"], env, server.log)
    started = time.monotonic()
    with open(server.log, "ab") as out:
        process = subprocess.Popen(  # noqa: S603 – our interpreter with fixed arguments
            [sys.executable, "manage.py", "runserver", server.host_port, "--noreload"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        wait_until_answering(url, process, server.log)
        server.seconds["start"] = round(time.monotonic() - started, 1)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=STOP_TIMEOUT)
