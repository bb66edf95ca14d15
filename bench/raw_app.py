"""The physical baseline of the benchmark (rel_perf.md B.4): a minimal WSGI app that runs
exactly the SQL the Django app ran for the same request, on one persistent psycopg2
connection per gunicorn worker, and answers with the rows as JSON. No framework, no ORM,
no templates: what is left is what any Python stack must pay for that database work.

bench/run.py captures the statements from the app's own views (CaptureQueriesContext)
and writes them to the file named by BENCH_RAW_SPEC:
    {"search": [[sql, …], …], "list": [[sql, …], …]}
GET /search?i=k runs the statements of search request k (count, facets, page, prefetch),
GET /list?i=k those of REST list page k; k rotates as the app's paths rotate.

The table store (issue 24, bench/datastore.py) uses the same app with its own spec,
    {"rows": [[sql, …], …], "groups": [[sql, …], …]}
where each request is the store's statement from datastore.query (rows_sql, groups_sql,
with the parameters the API parses from the same path) inside engine.read_all's
transaction: BEGIN, the read-only settings (read only, reader role, statement timeout),
the SELECT, ROLLBACK.
"""

import json
import os
from urllib.parse import parse_qs

import psycopg2

try:  # orjson only if it is installed anyway: the baseline adds no dependency
    import orjson

    def dumps(value) -> bytes:
        return orjson.dumps(value, default=str)

except ImportError:

    def dumps(value) -> bytes:
        return json.dumps(value, default=str, separators=(",", ":")).encode()


with open(os.environ["BENCH_RAW_SPEC"], encoding="utf-8") as spec_file:
    SPEC = json.load(spec_file)

_connection = None


def connection():
    """Opened in the worker on first use (after gunicorn forked), then kept."""
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg2.connect(os.environ["BENCH_RAW_DSN"])
        _connection.autocommit = True
    return _connection


def run_statements(statements: list[str]) -> list[list[dict]]:
    answers = []
    with connection().cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            if cursor.description is None:
                answers.append([])
                continue
            columns = [column.name for column in cursor.description]
            answers.append([dict(zip(columns, row, strict=True)) for row in cursor.fetchall()])
    return answers


def application(environ, start_response):
    kind = environ.get("PATH_INFO", "").strip("/")
    requests = SPEC.get(kind)
    if not requests:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    index = int(parse_qs(environ.get("QUERY_STRING", "")).get("i", ["0"])[0])
    body = dumps({"results": run_statements(requests[index % len(requests)])})
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
