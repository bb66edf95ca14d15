"""Test settings on SQLite, the embedded default of `make run`: like config.settings_test
(fast hashing, mail kept in memory, eager tasks), with an in-memory SQLite database.
Only the tests marked sqlite_smoke run here (`make test` runs them after the PostgreSQL
suite): they check that every page and endpoint answers without the PostgreSQL server."""

import os

# settings_test refuses any database but PostgreSQL; it gets its default URL while it
# loads, and the database is replaced right after.
_database_url = os.environ.pop("DATABASE_URL", None)
try:
    from .settings_test import *
finally:
    if _database_url is not None:
        os.environ["DATABASE_URL"] = _database_url

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "TEST": {"NAME": ":memory:"},
    }
}
