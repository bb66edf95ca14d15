"""Runs matrix cells: one request by one role on one object, inside a savepoint that is
rolled back, and judges the answer against the allow-list."""

import copy
from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.core.cache import cache as django_cache
from django.db import connection, transaction
from django.urls import reverse

# Every table an unauthorised request could write to: our apps (their history tables
# included), object permissions, accounts and groups.
WATCHED_APPS = {"governance", "catalog", "datastore", "ethics", "portal", "sharing", "strategy", "guardian", "auth"}
LOGIN_PATHS = ("/konto/anmelden/", "/admin/login/")
DENIED = {403, 404, 405}


@cache
def _watched_tables() -> list[str]:
    return sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.app_label in WATCHED_APPS and model._meta.managed and not model._meta.proxy
        }
    )


def fingerprint() -> int:
    """How many rows of the watched tables this transaction has inserted, updated or
    deleted so far (PostgreSQL's per-transaction statistics): any write moves it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables "
            "WHERE relname = ANY(%s)",
            [_watched_tables()],
        )
        return cursor.fetchone()[0]


@dataclass
class Cell:
    route: str
    role: str
    label: str
    method: str
    url: str

    def __str__(self):
        on = "" if self.label == "-" else f" on {self.label}"
        return f"{self.method} {self.url} as {self.role}{on}"


def request(client, method: str, url: str, data, *, json: bool = False):
    if method == "GET":
        return client.get(url)
    call = getattr(client, method.lower())
    if json:
        return call(url, data=data, content_type="application/json")
    return call(url, data) if method == "POST" else call(url, data=data)


def run(
    cell: Cell, client, data, allowed: bool, ok_statuses, *, json: bool = False, also_denied=frozenset()
) -> str | None:
    """Make the request and return what is wrong with the answer, or None.

    `also_denied`: statuses that count as a denial for this cell besides 401/403/404/405
    (e.g. the API's 409 when the object's state refuses a role that may otherwise act);
    such a denial must not write either."""
    django_cache.clear()  # rate limits count per client address: one cell must not throttle the next
    cookies = copy.deepcopy(client.cookies)  # a logout or language switch must not outlive the cell
    with transaction.atomic():
        before = None if allowed else fingerprint()
        try:
            response = request(client, cell.method, cell.url, data, json=json)
        except Exception as error:  # a crash is a finding of its own, never an answer
            transaction.set_rollback(True)
            client.cookies = cookies
            return f"{cell}: raised {type(error).__name__}: {error}"
        if response.streaming:
            # Read to the end: the test client then closes the file or generator behind it
            # (response.close() itself would also close the database connection).
            b"".join(response.streaming_content)
        wrote = not allowed and fingerprint() != before
        transaction.set_rollback(True)
    client.cookies = cookies
    status = response.status_code
    location = response.get("Location", "")
    to_login = status == 302 and location.startswith(LOGIN_PATHS)
    if allowed:
        if status not in ok_statuses or to_login:
            return f"{cell}: should be allowed ({sorted(ok_statuses)}), got {status} {location}".rstrip()
        return None
    problems = []
    if not (status in DENIED or status == 401 or to_login or status in also_denied):
        problems.append(f"should be denied, got {status} {location}".rstrip())
    if wrote:
        problems.append(f"answered {status} and changed the database")
    return f"{cell}: {'; '.join(problems)}" if problems else None


def url_for(name: str, kwargs: dict | tuple, query: str = "") -> str:
    # A tuple fills a pattern's unnamed groups (simple-history's admin version URL has no names).
    if isinstance(kwargs, tuple):
        return reverse(name, args=kwargs) + query
    return reverse(name, kwargs=kwargs) + query
