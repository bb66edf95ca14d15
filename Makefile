# Stadtdaten: `make run` to try it, `make test` to check it. See README.md.

PYTHON_BIN ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
# make test reuses its test databases between runs; CI passes --create-db.
PYTEST_ARGS ?= --reuse-db
# Two pytest-xdist workers, each with its own test database, halve the run on two cores.
TEST_WORKERS ?= 2

.PHONY: run setup test lint check messages makemessages worker beat clean restore-drill bench

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Translation catalogs are built from locale/*/django.po, never committed as .mo.
messages: $(VENV)/.installed
	@command -v msgfmt >/dev/null || { echo "msgfmt fehlt: apt-get install gettext"; exit 1; }
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules -v 0

makemessages: $(VENV)/.installed
	$(MANAGE) makemessages -l en --ignore=.venv --ignore=node_modules --ignore=staticfiles --no-obsolete

setup: $(VENV)/.installed node_modules/.installed messages

# `make run PORT=8123` serves on another port; SITE_URL (the address in e-mails) follows
# it unless it is set explicitly.
PORT ?= 8000
RUN_ENV = SITE_URL="$${SITE_URL:-http://127.0.0.1:$(PORT)}"

run: setup
	$(MANAGE) migrate --no-input -v 0
	$(RUN_ENV) $(MANAGE) seed_demo
	$(RUN_ENV) $(MANAGE) runserver 127.0.0.1:$(PORT)

# After the suite on PostgreSQL, the smoke tests (marker sqlite_smoke) once more on SQLite in
# memory, the embedded default of `make run` (config/settings_test_sqlite.py; about a minute).
test: setup
	$(PY) scripts/require_postgres.py
	DJANGO_SETTINGS_MODULE=config.settings_test $(MANAGE) check --fail-level WARNING
	# The crawl marked sqlite_smoke seeds the whole demo; it runs once, on SQLite, below.
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadgroup -m "not sqlite_smoke" $(PYTEST_ARGS)
	DJANGO_SETTINGS_MODULE=config.settings_test_sqlite $(VENV)/bin/pytest -m sqlite_smoke

# Backup and restore drill on scratch PostgreSQL databases: pg_dump/pg_restore of the seeded
# demo, then verify_audit and spot_check on the restore (see scripts/restore_drill.sh).
restore-drill: setup
	scripts/restore_drill.sh --tamper-check

# Performance at N datasets (issue 12): seeds stadtdaten_bench_$(N) in the local PostgreSQL, serves it
# with gunicorn on loopback next to a raw psycopg2 baseline and measures with wrk (Debian package);
# needs Redis on 127.0.0.1:6379. Table on stdout, all figures in bench/results/latest.json.
# `make bench N=10000` is the quick run (a few minutes).
N ?= 100000
BENCH_ARGS ?=
bench: setup
	$(PY) bench/run.py --datasets $(N) $(BENCH_ARGS)

# Fast static checks, no database server needed: lint, format, Django's system checks,
# migrations in step with the models, and the import direction of the house (pyproject.toml).
check: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=config.settings_test $(MANAGE) check --fail-level WARNING
	DATABASE_URL=sqlite:///:memory: $(MANAGE) makemigrations --check --dry-run
	$(VENV)/bin/lint-imports --no-cache

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Production-style background processes (need CELERY_BROKER_URL, e.g. redis://127.0.0.1:6379/0).
worker: setup
	$(VENV)/bin/celery -A config worker --loglevel=INFO

beat: setup
	$(VENV)/bin/celery -A config beat --loglevel=INFO

clean:
	rm -rf $(VENV) node_modules staticfiles db.sqlite3 locale/*/LC_MESSAGES/*.mo
