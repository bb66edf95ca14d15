"""The pure parts of bench/run.py, the benchmark of issue 12 (`make bench`): a wrong
cursor, percentile or verdict would print a table that lies without any error."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from rest_framework.pagination import Cursor
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView  # noqa: F401 - first: DRF's settings name parsers of core.api

from bench import run
from core.api import CursorPagination


def test_handmade_cursor_is_the_one_drf_decodes():
    """The runner reaches deep list pages with a cursor it builds itself; DRF must read
    it as "after this name", or the deep-page figures measure page 1."""
    request = Request(APIRequestFactory().get("/api/v1/datasets/", {"cursor": run.drf_cursor("bench-050000")}))
    cursor = CursorPagination().decode_cursor(request)
    assert cursor == Cursor(offset=0, reverse=False, position="bench-050000")


def test_handmade_cursor_equals_drf_encoding():
    paginator = CursorPagination()
    paginator.base_url = "http://testserver/api/v1/datasets/"
    paginator.cursor_query_param = "cursor"
    url = paginator.encode_cursor(Cursor(offset=0, reverse=False, position="bench-000123"))
    assert parse_qs(urlparse(url).query)["cursor"] == [run.drf_cursor("bench-000123")]


@pytest.mark.parametrize(
    ("share", "expected"),
    [(50, 50), (95, 95), (99, 99), (100, 100), (1, 1)],
)
def test_percentile_is_nearest_rank(share, expected):
    assert run.percentile(list(range(100, 0, -1)), share) == expected


def test_spread_covers_the_whole_list_evenly():
    picked = run.spread(list(range(1000)), 10)
    assert picked == [0, 100, 200, 300, 400, 500, 600, 700, 800, 900]
    assert run.spread([1, 2], 10) == [1, 2]


def test_wrk_figures_are_read_from_the_marked_line():
    stdout = 'Running 10s test\n  1 threads\nBENCH_JSON {"rps": 12.5, "p95_ms": 30.1, "non2xx": 3}\n'
    assert run.parse_wrk_output(stdout) == {"rps": 12.5, "p95_ms": 30.1, "non2xx": 3}
    with pytest.raises(RuntimeError):
        run.parse_wrk_output("Running 10s test\n")


def test_verdicts_follow_the_target_direction():
    latency = run.Row("search", p95_ms=151, target=run.Target("p95_ms", 150), value=151)
    ratio = run.Row("list", target=run.Target("ratio", 0.35, at_least=True), value=0.36)
    queries = run.Row("queries", target=run.Target("queries_constant", 0), value=False)
    untested = run.Row("export", target=run.Target("seconds", 60), value=None)
    assert [row.verdict for row in (latency, ratio, queries, untested)] == ["FAIL", "PASS", "FAIL", "n/a"]
    table = run.format_table([latency, ratio])
    assert "p95 ≤ 150 ms" in table
    assert "ratio ≥ 0.35" in table


def harvest_run(**fields):
    run_figures = {"run": "first", "status": "succeeded", "message": "", "seconds": 50.0, "records_per_s": 200.0,
                   "created": 10_000, "updated": 0, "unchanged": 0, "failed": 0, "first_failures": []}  # fmt: skip
    return {**run_figures, **fields}


def test_harvest_rate_is_judged_only_when_every_record_was_taken_over():
    """A run that failed or skipped records is fast for the wrong reason: no verdict then."""
    second = harvest_run(run="second", seconds=5.0, records_per_s=2000.0, created=0, unchanged=10_000)
    runs = {
        "ckan": {"runs": [harvest_run(), second], "exit": 0, "wall_seconds": 60, "process_peak_rss_mb": 310.0},
        "dcat": {
            "runs": [harvest_run(status="failed", message="nicht unterstützt", records_per_s=0.0, created=0)],
            "exit": 0,
            "wall_seconds": 3,
            "process_peak_rss_mb": 100.0,
        },
    }
    rows = run.harvest_rows(runs, 10_000)
    verdicts = {row.scenario: row.verdict for row in rows}
    assert verdicts == {
        "Harvest CKAN 10,000: 1. Lauf": "PASS",
        "Harvest CKAN 10,000: 2. Lauf (unverändert)": "–",
        "Harvest CKAN 10,000: Spitzen-RSS": "FAIL",
        "Harvest DCAT 10,000: 1. Lauf": "n/a",
        "Harvest DCAT 10,000: Spitzen-RSS": "n/a",
    }
    assert "rate ≥ 100 rec/s" in run.format_table(rows)
    partial = run.harvest_rows({"ckan": {**runs["ckan"], "runs": [harvest_run(created=9_990, failed=10)]}}, 10_000)
    assert partial[0].verdict == "n/a"


def test_datastore_table_is_the_same_for_the_same_seed_and_reads_as_german(tmp_path):
    """The load and the raw baseline must see the same rows in every run: the table depends
    on the seed alone, with decimal commas, German dates and postal codes with their zero."""
    from bench import datastore

    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    datastore.write_csv(first, 200, 42)
    datastore.write_csv(second, 200, 42)
    assert first.read_bytes() == second.read_bytes()
    lines = first.read_bytes().decode("utf-8").split("\r\n")
    assert lines[0] == ";".join(datastore.HEADER)
    assert len([line for line in lines[1:] if line]) == 200
    cells = [line.split(";") for line in lines[1:] if line]
    assert all(len(row) == len(datastore.HEADER) for row in cells)
    day, district, category, count, amount, _remark, _postcode = cells[0]
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4}", day)
    assert re.fullmatch(r"\d+,\d\d", amount)
    assert district in datastore.DISTRICTS
    assert category in datastore.CATEGORIES
    assert int(count) >= 3  # above the disclosure check's minimum: the table stays public
    assert all(row[6].startswith("0") and len(row[6]) == 5 for row in cells)


def test_datastore_load_is_judged_only_when_the_whole_table_was_loaded():
    prepared = {"reports": {"tabular": {"valid": True}}, "check_seconds": 12.0, "upload_seconds": 1.0}
    process = {"exit": 0, "wall_seconds": 50.0, "peak_rss_mb": 180.0}
    loaded = {"status": "ready", "rows": 1_000, "seconds": 45.0, "rss_mb_before": 90.0}
    verdicts = [row.verdict for row in run.datastore_load_rows(loaded, process, 1_000, prepared)]
    assert verdicts == ["PASS", "PASS", "–"]
    failed = {**loaded, "status": "failed", "message": "zu groß", "seconds": 3.0}
    verdicts = [row.verdict for row in run.datastore_load_rows(failed, process, 1_000, prepared)]
    assert verdicts == ["n/a", "n/a", "–"]
    assert run.datastore_load_rows({**loaded, "seconds": 61.0}, process, 1_000, prepared)[0].verdict == "FAIL"
