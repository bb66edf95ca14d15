"""Test settings: the real PostgreSQL server, fast hashing, mail kept in memory."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/stadtdaten")

from .settings import *
from .settings import DATABASES, env

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("The tests run on PostgreSQL only; set DATABASE_URL to a postgres:// URL")

DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", "test_stadtdaten")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
LANGUAGE_CODE = "de"
# Serve static files from the finders, as in development: tests don't run collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# The test runner empties tables with TRUNCATE between transactional tests; the audit
# journal's trigger allows that only for sessions that say so (governance/signals.py).
AUDIT_ALLOW_TRUNCATE = True
# Tests never reach the internet: links are checked only where a test asks for it
# (against a local server).
LINKCHECK_ON_CHANGE = False
