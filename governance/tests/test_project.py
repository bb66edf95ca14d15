import subprocess
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from governance.models import Organisation, RoleAssignment

ROOT = Path(__file__).resolve().parents[2]


def test_models_and_migrations_agree(db):
    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())


def test_the_code_is_ruff_clean():
    ruff = ROOT / ".venv" / "bin" / "ruff"
    lint = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)  # noqa: S603
    assert lint.returncode == 0, lint.stdout
    formatting = subprocess.run([ruff, "format", "--check", "."], cwd=ROOT, capture_output=True, text=True)  # noqa: S603
    assert formatting.returncode == 0, formatting.stdout


def test_demo_data_can_be_loaded_twice(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the demo catalog stores files
    out = StringIO()
    call_command("seed_demo", stdout=out)
    counts = (Organisation.objects.count(), RoleAssignment.objects.count())

    call_command("seed_demo", stdout=StringIO())

    assert (Organisation.objects.count(), RoleAssignment.objects.count()) == counts
    assert counts == (10, 52)  # a role per role and organisation, plus two second ethics board members
    assert "steward.lindenau-umwelt" in out.getvalue()
