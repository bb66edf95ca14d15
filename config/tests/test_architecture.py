"""The house keeps one shape (README „Aufbau“): imports point one way through the layers
core ← governance ← catalog ← ethics/sharing/strategy ← portal ← config, no package has an
import circle between its files (imports inside functions count: they are circles too), and
nobody imports the demo data or the benchmark. The contracts live in pyproject.toml
([tool.importlinter]); import-linter builds the real import graph of the tree."""

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]


def test_imports_point_one_way_and_no_package_has_an_import_circle(capsys):
    exit_code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)

    assert exit_code == 0, capsys.readouterr().out
