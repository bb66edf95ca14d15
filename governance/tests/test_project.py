import subprocess
from io import StringIO
from pathlib import Path

from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def test_models_and_migrations_agree(db):
    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())


def test_the_code_is_ruff_clean():
    ruff = ROOT / ".venv" / "bin" / "ruff"
    lint = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)  # noqa: S603
    assert lint.returncode == 0, lint.stdout
    formatting = subprocess.run([ruff, "format", "--check", "."], cwd=ROOT, capture_output=True, text=True)  # noqa: S603
    assert formatting.returncode == 0, formatting.stdout
