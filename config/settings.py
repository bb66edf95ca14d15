"""
Django settings for Stadtdaten.

Every setting comes from the environment with a local default that works without
any service (SQLite, tasks run eagerly). With DJANGO_ENV=production the insecure
defaults are refused: the process stops with ImproperlyConfigured instead.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: str = "False") -> bool:
    value = env(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DJANGO_ENV = env("DJANGO_ENV", "development")
if DJANGO_ENV not in ("development", "production"):
    raise ImproperlyConfigured(f"DJANGO_ENV must be development or production, not {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"

# The development key is public on purpose: it only ever signs local sessions.
INSECURE_DEV_SECRET_KEY = "django-insecure-stadtdaten-local-development-only"
SECRET_KEY = env("SECRET_KEY", "" if PRODUCTION else INSECURE_DEV_SECRET_KEY)
DEBUG = envbool("DEBUG", "False" if PRODUCTION else "True")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

# Public base URL, used in e-mails and machine-readable exports.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env("SITE_NAME", "Stadtdaten")

INSTALLED_APPS = [
    "config.admin.StadtdatenAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI from our own static files (no CDN)
    "guardian",
    "simple_history",
    "axes",
    "csp",
    "governance",
    "catalog",
    "datastore",
    "ethics",
    "portal",
    "sharing",
    "strategy",
    "demo",  # the demo network and the seed commands; no models
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # NUL in path, query or form: a 400 in the interface's shape (see the module).
    "core.middleware.BadInputMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: it turns a lockout into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "governance.context_processors.navigation",
            ],
            # core is no app (no models); its template filters are registered by name.
            "libraries": {"text": "core.templatetags.text"},
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache holds the portal's rate limits and dashboard figures. Several gunicorn
# processes must share it, so production points CACHE_URL at Redis.
CACHE_URL = env("CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTHENTICATION_BACKENDS = [
    # Axes first, so a locked-out login is refused before a password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "governance:tasks"

# Login throttling (ASVS 6.1.1): lock the pair (username, IP) after five failures for
# 15 minutes, so an attacker can neither guess on nor lock a whole office out for good.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("AXES_COOLOFF_MINUTES", "15")) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_IPWARE_PROXY_COUNT = int(env("PROXY_COUNT", "0"))

# Guardian: no anonymous user object; the public portal never asks for object permissions.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = True

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("Deutsch")), ("en", _("Englisch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Front-end packages installed by `npm ci` (KERN-UX, htmx), served by whitenoise.
    ("vendor/kern", BASE_DIR / "node_modules" / "@kern-ux" / "native" / "dist"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "False")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Stadtdaten <noreply@stadtdaten.localhost>")

# Celery. Without a broker (the embedded default) tasks run eagerly in-process.
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# Redis hands an unacknowledged task to another worker after this many seconds. It must
# exceed the longest task (a harvest may run 3 h) or a running task is started twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(env("CELERY_VISIBILITY_TIMEOUT", str(4 * 3600)))}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Without the broker a running task cannot be acknowledged any more: stop it, it comes again.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TIMEZONE = TIME_ZONE
# Seconds between two looks for datasets whose release time (Sperrfrist) has come.
RELEASE_DUE_INTERVAL = float(env("RELEASE_DUE_INTERVAL", "60"))
CELERY_BEAT_SCHEDULE = {
    # Deputies and time-limited roles start and end on their own: this applies them.
    "sync-role-permissions": {
        "task": "governance.tasks.sync_role_permissions",
        "schedule": 300.0,
    },
    # Publication workflow: re-review dates reached and rule changes in force re-open
    # review; overdue tasks get a reminder.
    "workflow-rereview-triggers": {"task": "catalog.tasks.run_rereview_triggers", "schedule": 6 * 3600.0},
    "workflow-overdue-reminders": {"task": "catalog.tasks.send_overdue_reminders", "schedule": 24 * 3600.0},
    # Timed release (Sperrfrist): datasets whose release time has come are published. A run
    # not taken up before the next one is due is dropped (the next one does the same).
    "release-due": {
        "task": "catalog.tasks.release_due",
        "schedule": RELEASE_DUE_INTERVAL,
        "options": {"expires": RELEASE_DUE_INTERVAL},
    },
    # Ethics board: owners of overdue conditions get a reminder.
    "ethics-condition-reminders": {"task": "ethics.tasks.send_condition_reminders", "schedule": 24 * 3600.0},
    # Data sharing: agreements take effect and expire, ended grants lose their permission.
    "sharing-periods": {"task": "sharing.tasks.apply_sharing_periods", "schedule": 300.0},
}
# Statistical disclosure check of uploaded tables (catalog.disclosure, ethics_legal.md § 7.7):
# counts below the minimum are flagged; use 5 for sensitive topics (health, benefits, crime).
DISCLOSURE_MIN_COUNT = int(env("DISCLOSURE_MIN_COUNT", "3"))
DISCLOSURE_FLAG_ZEROS = envbool("DISCLOSURE_FLAG_ZEROS", "False")
# Columns that hold counts even when not every cell is a number (e.g. "." for suppressed cells).
DISCLOSURE_COUNT_COLUMNS = envlist("DISCLOSURE_COUNT_COLUMNS", "Anzahl,Fallzahl,Fälle,Personen,Einwohner,count")
# Integer columns that are keys, numbers or years, not counts.
DISCLOSURE_IGNORE_COLUMNS = env(
    "DISCLOSURE_IGNORE_COLUMNS", r"(^|[^a-zäöü])(id|nr|nummer|jahr|year|plz|schlüssel|schluessel|code|kennziffer)"
)
# A review task is due this many working days (Mon–Fri) after it was assigned.
WORKFLOW_DUE_WORKING_DAYS = int(env("WORKFLOW_DUE_WORKING_DAYS", "10"))
# How many counted (not recused) votes of the data-ethics board close a review.
ETHICS_QUORUM = int(env("ETHICS_QUORUM", "2"))
# The longest period, in days, a deputy (Vertretung) is appointed for (about six months).
DEPUTY_MAX_DAYS = int(env("DEPUTY_MAX_DAYS", "183"))

REST_FRAMEWORK = {
    # A personal API token first (it also makes anonymous requests get 401, not 403),
    # then the web UI's session (with CSRF protection for writes).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "governance.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Deny by default: every public endpoint says so explicitly.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "core.api_schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.api.CursorPagination",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # JSON with a depth limit and without NUL (core.safejson); forms as DRF reads them.
    "DEFAULT_PARSER_CLASSES": [
        "core.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
# Nesting levels a JSON request body may have (REST and CKAN API); real requests need
# fewer than ten, Python's parser would recurse into thousands.
JSON_MAX_DEPTH = int(env("JSON_MAX_DEPTH", "64"))
SPECTACULAR_SETTINGS = {
    "TITLE": "Stadtdaten API",
    "DESCRIPTION": (
        "Datenkatalog und Data Governance des Stadtverbunds. Öffentliche Endpunkte (veröffentlichte "
        "Datensätze, Organisationen) lesen Sie ohne Anmeldung; alles andere verlangt eine Anmeldung "
        "im Browser oder ein persönliches API-Token (`Authorization: Bearer <token>`), das Sie im "
        "Benutzerkonto unter „API-Zugänge“ erstellen. Listen sind mit einem Cursor seitenweise "
        "abrufbar (`next`, `previous`, `limit`). Fehler in Eingaben kommen als 400 mit den Feldern, "
        "Konflikte mit dem aktuellen Stand (z. B. hat jemand anderes das Objekt inzwischen geändert) "
        "als 409."
    ),
    "VERSION": "1.0.0",
    # Separate request and response components: read-only fields stay out of request bodies.
    "COMPONENT_SPLIT_REQUEST": True,
    # Tags (the groups in Swagger UI) from the first path segment after /api/v1/.
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "displayRequestDuration": True},
    # Choice sets that share a field name get names of their own instead of numbered ones.
    "ENUM_NAME_OVERRIDES": {
        "DecisionKindEnum": "governance.models.DecisionKind",
        "PolicyKindEnum": "governance.models.PolicyKind",
        "PolicyStatusEnum": "governance.models.PolicyStatus",
        "DecisionOutcomeEnum": "governance.models.DecisionOutcome",
        "DistributionKindEnum": "catalog.models.DistributionKind",
        "ProtectionNeedEnum": "catalog.models.ProtectionNeed",
        "EthicsOutcomeEnum": "catalog.models.EthicsOutcome",
        "EthicsReviewStatusEnum": "ethics.models.ReviewStatus",
        "DataRequestStatusEnum": "portal.models.DataRequestStatus",
    },
}

# Content Security Policy: no inline script or style anywhere, so the policy needs no
# 'unsafe-inline'. Templates load static files only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(env("SESSION_COOKIE_AGE", str(8 * 3600)))  # one working day
# Idle timeout (ASVS 7.3.1): a session without a request for this many seconds ends.
# SESSION_COOKIE_AGE stays the absolute limit from the login, however active the session
# (governance.middleware.SessionTimeoutMiddleware enforces both; it needs the user).
SESSION_IDLE_TIMEOUT = int(env("SESSION_IDLE_TIMEOUT", str(30 * 60)))
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "governance.middleware.SessionTimeoutMiddleware",
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

if PRODUCTION:
    missing = [
        name
        for name, value in (
            ("SECRET_KEY", SECRET_KEY),
            ("ALLOWED_HOSTS", ALLOWED_HOSTS),
            ("DATABASE_URL", env("DATABASE_URL")),
            ("CELERY_BROKER_URL", CELERY_BROKER_URL),
            ("CACHE_URL", CACHE_URL),
        )
        if not value
    ]
    if missing:
        raise ImproperlyConfigured("Production settings need these environment variables: " + ", ".join(missing))
    if SECRET_KEY == INSECURE_DEV_SECRET_KEY or SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be a random value of at least 50 characters in production")
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off in production")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "True")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host- cookies are bound to this exact host and path, and need Secure.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    # Only behind a reverse proxy that sets or strips X-Forwarded-Proto (ASVS 4.1.3).
    if envbool("BEHIND_TLS_PROXY", "True"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Uploaded distribution files: the limit applies per file, checked before storing.
MAX_UPLOAD_SIZE = int(env("MAX_UPLOAD_SIZE_MB", "100")) * 2**20
# Inventory imports with more rows than this run as a background task with progress.
IMPORT_BACKGROUND_ROWS = int(env("IMPORT_BACKGROUND_ROWS", "200"))

# An inventory import refuses files with more data rows than this: its background task has a
# time limit (catalog.imports).
IMPORT_MAX_ROWS = int(env("IMPORT_MAX_ROWS", "5000"))

# Caps on reading one table (core.tables), for the validation, the disclosure check, the
# preview, the conversions and the inventory import alike: the first cap reached stops the
# reading with a German message instead of letting one file exhaust a worker. Rows count
# empty rows too; the unpacked bytes are per member of an XLSX archive (one worksheet, the
# shared strings); seconds are wall-clock time for one pass.
TABLE_MAX_ROWS = int(env("TABLE_MAX_ROWS", "1048576"))
TABLE_MAX_CELLS = int(env("TABLE_MAX_CELLS", "20000000"))
TABLE_MAX_UNPACKED_BYTES = int(env("TABLE_MAX_UNPACKED_MB", "500")) * 2**20
TABLE_MAX_SECONDS = int(env("TABLE_MAX_SECONDS", "600"))

# Public participation (portal.views): at most N submissions per client IP in so many seconds.
PORTAL_DATA_REQUEST_LIMIT = (5, 3600)
PORTAL_COMMENT_LIMIT = (5, 3600)
PORTAL_VOTE_LIMIT = (30, 3600)
# Full DCAT-AP exports (portal.dcat_views) per client IP in so many seconds.
PORTAL_DCAT_EXPORT_LIMIT = (10, 3600)
# The organisation (slug) that publishes the DCAT-AP catalog; empty: the one organisation at
# the top of the network, or the portal itself for a network of several cities.
DCAT_CATALOG_PUBLISHER = env("DCAT_CATALOG_PUBLISHER", "")

# ---------------------------------------------------------------------------
# Governance: audit journal and request ids (governance/audit.py, governance/middleware.py)
# Every request gets an id that the audit journal records; the middleware needs the
# authenticated user, so it runs after AuthenticationMiddleware.
MIDDLEWARE.insert(
    MIDDLEWARE.index("simple_history.middleware.HistoryRequestMiddleware"),
    "governance.middleware.RequestContextMiddleware",
)
# Keep an X-Request-ID set by the reverse proxy (only if the proxy sets or strips it).
REQUEST_ID_FROM_PROXY = envbool("REQUEST_ID_FROM_PROXY", "False")
# On PostgreSQL, triggers refuse UPDATE, DELETE and TRUNCATE on the audit journal and the
# decisions. Only the test settings allow TRUNCATE (the test runner empties tables with it).
AUDIT_ALLOW_TRUNCATE = False
# Write the head of the audit chain (last number and hash) to the log once a day, so a
# copy outside the database can prove that the journal was not cut or rewritten.
CELERY_BEAT_SCHEDULE["audit-chain-anchor"] = {"task": "governance.tasks.log_audit_anchor", "schedule": 24 * 3600.0}
# Harvesting (catalog.harvest): rows per package_search page, as ckanext-harvest asks, and
# the (connect, read) timeout in seconds of every request to a source.
HARVEST_PAGE_SIZE = int(env("HARVEST_PAGE_SIZE", "100"))
HARVEST_TIMEOUT = (int(env("HARVEST_CONNECT_TIMEOUT", "10")), int(env("HARVEST_READ_TIMEOUT", "60")))
# Harvesting (catalog.harvest): every active CKAN source is fetched once a day, completely
# once a week and otherwise only what changed.
CELERY_BEAT_SCHEDULE["harvest-active-sources"] = {
    "task": "catalog.tasks.harvest_active_sources",
    "schedule": 24 * 3600.0,
}
# Data quality (catalog.quality, catalog.linkcheck): external distribution links are
# checked after each change and again once they are LINKCHECK_INTERVAL_DAYS old, a few at
# a time; stewards of datasets overdue for an update are reminded once per due date.
LINKCHECK_ON_CHANGE = envbool("LINKCHECK_ON_CHANGE", "True")
LINKCHECK_INTERVAL_DAYS = int(env("LINKCHECK_INTERVAL_DAYS", "7"))
LINKCHECK_BATCH_SIZE = int(env("LINKCHECK_BATCH_SIZE", "200"))
LINKCHECK_MAX_WORKERS = int(env("LINKCHECK_MAX_WORKERS", "4"))
LINKCHECK_CONNECT_TIMEOUT = float(env("LINKCHECK_CONNECT_TIMEOUT", "5"))
LINKCHECK_READ_TIMEOUT = float(env("LINKCHECK_READ_TIMEOUT", "10"))
LINKCHECK_MAX_REDIRECTS = int(env("LINKCHECK_MAX_REDIRECTS", "5"))
CELERY_BEAT_SCHEDULE["check-due-links"] = {"task": "catalog.tasks.check_due_links", "schedule": 24 * 3600.0}

# Tables that can be queried (datastore): each query runs read-only within this timeout and
# answers at most this many rows (CKAN's ckan.datastore.search.rows_max); the daily sync
# is the safety net that keeps the store in step with what is public.
DATASTORE_TIMEOUT_MS = int(env("DATASTORE_TIMEOUT_MS", "5000"))
DATASTORE_MAX_ROWS = int(env("DATASTORE_MAX_ROWS", "32000"))
CELERY_BEAT_SCHEDULE["datastore-sync"] = {"task": "datastore.sync_all", "schedule": 24 * 3600.0}

# Usage statistics (portal.usage): counted in this Redis (default: the cache's) and written
# to the database every minute, so that the requests of a popular dataset do not queue for
# one row; empty: counted in the database at once (make run).
USAGE_BUFFER_URL = env("USAGE_BUFFER_URL", CACHE_URL)
CELERY_BEAT_SCHEDULE["usage-flush"] = {"task": "portal.tasks.flush_usage", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["freshness-reminders"] = {
    "task": "catalog.tasks.send_freshness_reminders",
    "schedule": 24 * 3600.0,
}
# Strategy (strategy.indicators): the computed indicators' values are recorded once a day,
# which is their history on the public and staff charts.
CELERY_BEAT_SCHEDULE["strategy-indicator-snapshots"] = {
    "task": "strategy.tasks.record_indicator_snapshots",
    "schedule": 24 * 3600.0,
}
# Outbound requests (core.outbound: the harvester, the link checker, anything that fetches
# an address someone typed in). Only public addresses are fetched; an intranet source or a
# test server is admitted by name: OUTBOUND_ALLOWED_HOSTS lists exact `host:port` pairs.
# A body is read up to OUTBOUND_MAX_BODY_MB, a request ends after OUTBOUND_REQUEST_DEADLINE
# seconds in all (however slowly the server sends), a harvest run after HARVEST_JOB_DEADLINE
# seconds (below the task's time limit of 3 h, so the run records why it ended).
OUTBOUND_ALLOWED_HOSTS = envlist("OUTBOUND_ALLOWED_HOSTS")
OUTBOUND_MAX_BODY_BYTES = int(env("OUTBOUND_MAX_BODY_MB", "50")) * 2**20
OUTBOUND_REQUEST_DEADLINE = float(env("OUTBOUND_REQUEST_DEADLINE", "120"))
OUTBOUND_MAX_REDIRECTS = int(env("OUTBOUND_MAX_REDIRECTS", "5"))
HARVEST_JOB_DEADLINE = float(env("HARVEST_JOB_DEADLINE", str(2 * 3600)))


# ---------------------------------------------------------------------------
# Mail that anyone can trigger without an account (governance.password_reset,
# portal.services.create_data_request): sent by the worker after the commit, never in the
# request, and at most N mails per address in so many seconds, whoever asks. The address
# is counted by its keyed hash, never in clear. A client over its limit is told so.
PASSWORD_RESET_ADDRESS_LIMIT = (int(env("PASSWORD_RESET_PER_ADDRESS", "3")), 3600)
PASSWORD_RESET_CLIENT_LIMIT = (int(env("PASSWORD_RESET_PER_CLIENT", "10")), 3600)
# A data request is received in any case; only its confirmation stops at the limit.
DATA_REQUEST_MAIL_ADDRESS_LIMIT = (int(env("DATA_REQUEST_MAILS_PER_ADDRESS", "3")), 3600)

# ---------------------------------------------------------------------------
# Workers are bounded (config/celery.py). A worker process that has grown past this many KiB
# (its peak resident memory) is replaced after its task, so one huge file cannot leave a
# worker holding gigabytes; the task that grew it finishes first.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = int(env("CELERY_WORKER_MAX_MEMORY_PER_CHILD", str(400 * 1024)))
# Fresh worker processes now and then, against slow leaks (0: never).
CELERY_WORKER_MAX_TASKS_PER_CHILD = int(env("CELERY_WORKER_MAX_TASKS_PER_CHILD", "1000")) or None


def envlimits(name: str, default: str) -> tuple[int, int]:
    """A task kind's "soft,hard" time limit in seconds from the environment."""
    try:
        soft, hard = (int(part) for part in env(name, default).split(","))
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be two whole numbers of seconds, soft,hard") from None
    if not 0 < soft < hard:
        raise ImproperlyConfigured(f"{name}: the soft limit must be above 0 and below the hard limit")
    return soft, hard


# Time limits per kind of task, in seconds (config.celery.TaskKindLimits applies them, over
# any limit a task's decorator names). At the soft limit the task gets SoftTimeLimitExceeded
# and may clean up; at the hard limit its worker process is killed and replaced, and the
# worker goes on with the next task. Names may be glob patterns; the first kind that names
# a task wins. A task of no kind gets the default (CELERY_TASK_SOFT_TIME_LIMIT and
# CELERY_TASK_TIME_LIMIT above). Kinds with a queue run there (CELERY_TASK_ROUTES): long
# work on "heavy", so a mail is not stuck behind a conversion; a worker started without -Q
# serves both queues.
TASK_KINDS = {
    # One mail or a handful: only a slow mail server takes longer than a second.
    "mail": {
        "tasks": (
            "governance.tasks.send_password_reset_mail",
            "portal.tasks.send_data_request_confirmation",
            "catalog.tasks.notify_assignment",
            "portal.tasks.send_data_request_answer",
            "portal.tasks.send_data_request_assignment",
        ),
        "limits": envlimits("TASK_LIMITS_MAIL", "50,60"),
    },
    # One link: connect and read timeouts over at most LINKCHECK_MAX_REDIRECTS hops.
    "link": {"tasks": ("catalog.tasks.check_link",), "limits": envlimits("TASK_LIMITS_LINK", "100,120")},
    # Validation, disclosure check, preview and conversions of one uploaded table: each
    # reading pass stops itself at TABLE_MAX_SECONDS; this is the backstop.
    "files": {
        "tasks": ("catalog.tasks.validate_distribution", "catalog.tasks.render_distribution", "datastore.load_table"),
        "limits": envlimits("TASK_LIMITS_FILES", "1700,1800"),
        "queue": "heavy",
    },
    # An inventory import in the background: reading, checking and writing every row.
    "import": {
        "tasks": ("catalog.tasks.run_inventory_import",),
        "limits": envlimits("TASK_LIMITS_IMPORT", "1700,1800"),
        "queue": "heavy",
    },
    # One harvest job (a source of many thousand records may take hours); under the
    # broker's visibility timeout, or a running job is started twice.
    "harvest": {
        "tasks": ("catalog.tasks.run_harvest",),
        "limits": envlimits("TASK_LIMITS_HARVEST", f"{3 * 3600 - 300},{3 * 3600}"),
        "queue": "heavy",
    },
    # Batches: the daily link check of up to LINKCHECK_BATCH_SIZE links, the links one
    # transaction added (a harvested page, at most 200), walking the whole audit chain.
    "batch": {
        "tasks": ("catalog.tasks.check_due_links", "catalog.tasks.check_links", "governance.tasks.verify_audit_chain"),
        "limits": envlimits("TASK_LIMITS_BATCH", "1700,1800"),
        "queue": "heavy",
    },
}
CELERY_TASK_ANNOTATIONS = ("config.celery.TaskKindLimits",)
# "celery" is Celery's own default queue, declared as Celery declares it.
CELERY_TASK_QUEUES = tuple(Queue(name, Exchange(name), routing_key=name) for name in ("celery", "heavy"))
CELERY_TASK_ROUTES = {
    pattern: {"queue": kind["queue"]} for kind in TASK_KINDS.values() if "queue" in kind for pattern in kind["tasks"]
}


# Bounded reading of tables (issue 21), in addition to TABLE_MAX_* above. The shared strings
# of an XLSX are held in memory for a whole pass: their count and unpacked size are capped.
# A CSV line (or a file without line breaks) longer than TABLE_MAX_LINE_KB is not read.
TABLE_MAX_SHARED_STRINGS = int(env("TABLE_MAX_SHARED_STRINGS", "1000000"))
TABLE_MAX_SHARED_STRINGS_BYTES = int(env("TABLE_MAX_SHARED_STRINGS_MB", "64")) * 2**20
TABLE_MAX_LINE_CHARS = int(env("TABLE_MAX_LINE_KB", "1024")) * 1024
# Inventory imports of files larger than this go to the worker without being read in the
# web request (a small XLSX may still unpack to many rows; IMPORT_BACKGROUND_ROWS decides
# for the files below).
IMPORT_BACKGROUND_BYTES = int(env("IMPORT_BACKGROUND_KB", "256")) * 1024

# ---------------------------------------------------------------------------
# Single sign-on through OpenID Connect (governance.oidc, README "Anmeldung über Single
# Sign-on"): off while OIDC_ISSUER is empty (local accounts only). The endpoints come from
# <issuer>/.well-known/openid-configuration unless set one by one; every request to the
# provider goes through core.outbound (an intranet provider: OUTBOUND_ALLOWED_HOSTS).
OIDC_ISSUER = env("OIDC_ISSUER").rstrip("/")
OIDC_ENABLED = bool(OIDC_ISSUER)
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT")
OIDC_OP_END_SESSION_ENDPOINT = env("OIDC_OP_END_SESSION_ENDPOINT")
OIDC_RP_CLIENT_ID = env("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env("OIDC_CLIENT_SECRET")
OIDC_RP_SCOPES = env("OIDC_SCOPES", "openid profile email")
OIDC_RP_SIGN_ALGO = env("OIDC_SIGN_ALGO", "RS256")
OIDC_CLAIM_NAME = env("OIDC_CLAIM_NAME", "name")
OIDC_CLAIM_EMAIL = env("OIDC_CLAIM_EMAIL", "email")
OIDC_CLAIM_ORGANISATION = env("OIDC_CLAIM_ORGANISATION", "organisation")
OIDC_CLAIM_GROUPS = env("OIDC_CLAIM_GROUPS", "groups")
OIDC_LEEWAY = int(env("OIDC_LEEWAY_SECONDS", "60"))
OIDC_LOGIN_LABEL = env("OIDC_LOGIN_LABEL", "Mit dem Dienstkonto anmelden")
# Off: password login only for the break-glass accounts named here (usernames), for when
# the provider is down; everyone else signs in through the provider.
OIDC_LOCAL_LOGIN = envbool("OIDC_LOCAL_LOGIN", "True")
OIDC_BREAK_GLASS_USERS = envlist("OIDC_BREAK_GLASS_USERS")
# After this many seconds the session asks the provider again (prompt=none); a person
# removed or disabled there loses the session then.
OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS = int(env("OIDC_REFRESH_SECONDS", "900"))
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the logout at the provider
if OIDC_ENABLED and not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
    raise ImproperlyConfigured("OIDC_ISSUER is set: OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are needed too")
if OIDC_ENABLED and PRODUCTION and not OIDC_ISSUER.startswith("https://"):
    raise ImproperlyConfigured("OIDC_ISSUER must be an https:// address in production")
AUTHENTICATION_BACKENDS.insert(
    AUTHENTICATION_BACKENDS.index("guardian.backends.ObjectPermissionBackend"), "governance.oidc.Backend"
)
MIDDLEWARE.insert(MIDDLEWARE.index("axes.middleware.AxesMiddleware"), "governance.oidc.SessionRefresh")
# Storage limitation (portal.retention, stated in the privacy statement portal.legal): the
# e-mail address of a data request is erased this many days after the answer (and a year
# after receipt at the latest); a rejected comment is deleted with its versions this many
# days after the decision; the staff login log of django-axes after this many days.
DATA_REQUEST_EMAIL_RETENTION_DAYS = int(env("DATA_REQUEST_EMAIL_RETENTION_DAYS", "90"))
DATA_REQUEST_EMAIL_MAX_DAYS = int(env("DATA_REQUEST_EMAIL_MAX_DAYS", "365"))
REJECTED_COMMENT_RETENTION_DAYS = int(env("REJECTED_COMMENT_RETENTION_DAYS", "30"))
LOGIN_LOG_RETENTION_DAYS = int(env("LOGIN_LOG_RETENTION_DAYS", "90"))
CELERY_BEAT_SCHEDULE["purge-personal-data"] = {"task": "portal.tasks.purge_personal_data", "schedule": 24 * 3600.0}
# Data requests are answered within this many days, as the open-data strategy promises (its
# indicator "data_requests_answered_30d_share" measures it): shown on the thanks page, in the
# receipt and in the staff list, where late ones are highlighted.
DATA_REQUEST_RESPONSE_DAYS = int(env("DATA_REQUEST_RESPONSE_DAYS", "30"))
