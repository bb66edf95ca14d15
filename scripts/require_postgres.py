"""Stop `make test` with a clear message when PostgreSQL is not reachable.

The tests run on PostgreSQL only; there is no silent fallback to SQLite.
"""

import os
import sys

import dj_database_url
import psycopg2

url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/stadtdaten")
config = dj_database_url.parse(url)
if config["ENGINE"] != "django.db.backends.postgresql":
    sys.exit(f"make test needs PostgreSQL; DATABASE_URL is {url!r}.")
try:
    psycopg2.connect(
        dbname="postgres",
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        connect_timeout=5,
    ).close()
except psycopg2.OperationalError as error:
    sys.exit(
        f"PostgreSQL is not reachable at {config['HOST']}:{config['PORT']} ({error}).\n"
        "Start the local server (as root):\n"
        "    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
        "or point DATABASE_URL at a running server, e.g. postgres://user@host:5432/stadtdaten"
    )
