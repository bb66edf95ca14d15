"""The settings module must refuse insecure production configurations loudly."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "k" * 20 + "-a-long-random-production-secret-for-the-test-0123456789",
    "ALLOWED_HOSTS": "daten.lindenau.example",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/stadtdaten",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
}


def run_django(args, **env):
    # Start from this environment without anything that would change the verdict (the browser
    # tests set DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy rightly reports).
    ignored = {*PRODUCTION_ENV, "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {k: v for k, v in os.environ.items() if k not in ignored}
    environment |= {"DJANGO_SETTINGS_MODULE": "config.settings", **env}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_development_defaults_need_no_services():
    result = run_django(
        [
            "shell",
            "-v",
            "0",
            "-c",
            "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'],s.CELERY_TASK_ALWAYS_EAGER)",
        ]
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True"]


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"])
def test_production_refuses_to_start_without_required_settings(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_django(["check"], **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"DEBUG": "true"}, "DEBUG must be off"),
        ({"SECRET_KEY": "django-insecure-stadtdaten-local-development-only"}, "SECRET_KEY must be a random"),
        ({"SECRET_KEY": "kurz"}, "SECRET_KEY must be a random"),
    ],
)
def test_production_refuses_insecure_values(override, message):
    result = run_django(["check"], **{**PRODUCTION_ENV, **override})
    assert result.returncode != 0
    assert message in result.stderr


def test_production_settings_pass_the_deployment_checklist():
    result = run_django(["check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_make_run_migrates_and_seeds_the_embedded_default(tmp_path):
    """`make run` is the newcomer's first command: migrate and seed_demo on the embedded
    SQLite default must work (PostgreSQL-only SQL has broken it before), and the seeded
    portal must answer a search."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "MEDIA_ROOT": str(tmp_path / "media")}
    for args in (["migrate", "--no-input", "-v", "0"], ["seed_demo"]):
        environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env}
        environment.pop("DJANGO_ENV", None)
        result = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=900
        )
        assert result.returncode == 0, result.stderr[-3000:]
    assert "Strategie: 14 Maßnahmen neu angelegt." in result.stdout
    # A summary and the logins, not the task logs and e-mails of the eager tasks (issue 22).
    output = result.stdout + result.stderr
    assert len(output.splitlines()) < 40, output[-3000:]
    assert "ethik2.lindenau" in result.stdout

    probe = (
        "from django.test import Client; from catalog.models import Dataset;"
        "c = Client(HTTP_HOST='localhost');"
        "print(Dataset.objects.published().count(), c.get('/suche/?q=baum').status_code,"
        " c.get('/strategie/datenstrategie-stadtverbund/').status_code)"
    )
    result = run_django(["shell", "-v", "0", "-c", probe], **env)
    assert result.returncode == 0, result.stderr[-3000:]
    published, search_status, strategy_status = map(int, result.stdout.split())
    assert published > 10
    assert (search_status, strategy_status) == (200, 200)
