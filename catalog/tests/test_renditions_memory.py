"""Issue 21: rendering the preview and the formats of a 1-million-row CSV and of the XLSX
row bomb stays under 300 MB peak RSS in the process that does it (measured from its own
/proc VmHWM, core.testing.measured) and ends within its caps. No database: the targets
render an unsaved Distribution whose file lies under MEDIA_ROOT.

The 1-million-row conversion is measured once (it writes CSV, the German CSV, JSON and XLSX). The row
bomb has 2 million empty rows, more than the default cap (1,048,576): the streaming reader
stops there, whatever the sheet holds."""

import pytest

from core.testing import measured, write_large_csv, write_row_bomb

LIMIT = 300 * 2**20
ROWS = 1_000_000
BOMB_ROWS = 2_000_000
BOMB_CAP = 1_048_576  # settings.TABLE_MAX_ROWS by default


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    directory = tmp_path_factory.mktemp("media")
    write_large_csv(directory / "large.csv", ROWS)
    write_row_bomb(directory / "bomb.xlsx", BOMB_ROWS)
    return {"MEDIA_ROOT": str(directory)}


def test_a_million_row_csv_is_previewed_and_converted_within_300_mb(media):
    result, peak = measured("catalog.tests.rendition_targets:render", "large.csv", "CSV", env=media, timeout=1500)
    outcomes = result["outcomes"]
    assert {kind: outcome["status"] for kind, outcome in outcomes.items()} == {
        "preview": "ready", "csv": "ready", "csv_de": "ready", "json": "ready", "xlsx": "ready",
    }  # fmt: skip
    assert outcomes["preview"]["preview_rows"] == 10
    assert outcomes["json"]["bytes"] > outcomes["csv"]["bytes"] > 30 * 2**20
    assert peak < LIMIT, f"{peak / 2**20:.0f} MB"


def test_the_row_bomb_is_previewed_within_300_mb_and_stops_at_the_row_cap(media):
    result, peak = measured("catalog.tests.rendition_targets:preview", "bomb.xlsx", "XLSX", env=media)
    assert result == {"rows": 10, "data_rows": BOMB_CAP - 1, "too_large": "rows"}
    assert peak < LIMIT, f"{peak / 2**20:.0f} MB"


def test_the_row_bomb_is_too_large_to_convert_within_300_mb(media):
    result, peak = measured("catalog.tests.rendition_targets:render", "bomb.xlsx", "XLSX", env=media)
    statuses = {kind: (outcome["status"], outcome["limit"]) for kind, outcome in result["outcomes"].items()}
    assert statuses == {
        "preview": ("ready", ""),
        "csv": ("too_large", "rows"),
        "csv_de": ("too_large", "rows"),
        "json": ("too_large", "rows"),
        "xlsx": ("too_large", "rows"),
    }
    assert peak < LIMIT, f"{peak / 2**20:.0f} MB"
