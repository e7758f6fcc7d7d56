"""Settings shared by every environment; every deploy-specific value comes from the environment."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))

SECRET_KEY = env("SECRET_KEY", default="insecure-local-only-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    # The project's apps, lowest first: each imports only apps above it in this list.
    "core",
    "activity",
    "reference",
    "accounts",
    "scenarios",
    "matching",
    "portal",
]

MIDDLEWARE = [
    "config.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # CommonMiddleware, with a 308 (not a 301 that drops the body) for API writes.
    "core.api.middleware.AppendSlashMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.middleware.MethodNotAllowedPage",
    "portal.middleware.PrivatePagesNotStored",
    "portal.middleware.HtmxSignInRedirect",
    # Last: turns a sign-in refused for a locked account or address into its 429 page.
    "axes.middleware.AxesMiddleware",
]
CSRF_FAILURE_VIEW = "portal.middleware.csrf_failure"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context.portal",
            ],
        },
    },
]

# SQLite is the embedded default for a first run; PostgreSQL whenever DATABASE_URL is set.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# A connection is kept for CONN_MAX_AGE seconds and checked before its first use in each
# request or task, so a restarted database costs no request: a dead connection is replaced
# (docs/operations.md, "PostgreSQL restarted").
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable server is a 503 within seconds, not a request held until the worker's
    # timeout kills it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves pages while tasks write in the same process: a write
    # transaction takes the lock when it begins (no "database is locked" when a reader
    # upgrades), waits up to 20 s for it, and readers do not block the writer (WAL).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Signing in checks the lockout (axes, first: see AXES_* below) and the password (model
# backend); platform admins' permissions come from their role (accounts.backends).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "accounts.backends.PlatformAdminBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env("LANGUAGE_CODE", default="zh-hans")
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:workspace"
LOGOUT_REDIRECT_URL = "portal:home"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English dates day first (8 Dec 2026); Chinese keeps Django's (2026年12月8日).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="noreply@scenarios.example.cn")

# Redis: Celery broker and result backend, and the Django cache. Unset means tasks run
# in-process (a first run needs no server) and the cache is local memory.
REDIS_URL = env("REDIS_URL", default="")


def redis_cache(url: str) -> dict[str, Any]:
    """The cache on Redis, which the site can do without: an unreachable server is a miss
    (``core.cache.FailSoftRedisCache``), found out within the short timeouts and then left
    alone for ``CACHE_RETRY_SECONDS`` (docs/operations.md: what degrades)."""
    return {
        "BACKEND": "core.cache.FailSoftRedisCache",
        "LOCATION": url,
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": env.float("CACHE_CONNECT_TIMEOUT", default=0.3),
            "SOCKET_TIMEOUT": env.float("CACHE_TIMEOUT", default=1.0),
            "RETRY_SECONDS": env.float("CACHE_RETRY_SECONDS", default=5.0),
        },
    }


if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request that sends a task while the broker is down waits at most about two connect
# timeouts (one retry), then core.tasks.enqueue_on_commit logs the failure; the default
# (four tries, 4 s connect timeout) held a request for seconds before its 500.
BROKER_CONNECT_TIMEOUT = env.float("BROKER_CONNECT_TIMEOUT", default=1.0)
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_CONNECT_TIMEOUT
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an unauthenticated request gets 401 with WWW-Authenticate.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # ActorChecks: a verb endpoint's role check comes before its body is read (403, not 400).
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "core.api.permissions.ActorChecks",
    ],
    # JSON bodies only; the import endpoints declare multipart themselves.
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.SafeJSONParser"],
    # ?format= the endpoint has no renderer for is a 400 on format (DRF's is a 404).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.api.negotiation.StrictContentNegotiation",
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.filters.KnownParametersFilter",
        "core.api.filters.StrictFilterBackend",
        "core.api.filters.WordSearchFilter",
        "core.api.filters.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.DefaultPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    # Rate limits count the client's address: REMOTE_ADDR unless NUM_PROXIES reverse proxies
    # (that append to X-Forwarded-For) stand in front; a client-sent header is never trusted.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    # Every endpoint counts signed-in callers per user ("user" rate; anonymous callers of a
    # non-public endpoint per address); public lists and sign-in set their own classes.
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON", default="120/min"),
        "user": env("THROTTLE_USER", default="2000/min"),
        "login": env("THROTTLE_LOGIN", default="10/min"),
    },
}

# Lockout after repeated failed sign-ins (django-axes), on top of the per-address "login"
# rate: AXES_FAILURE_LIMIT failures for one account lock that account (whatever address
# guesses), AXES_ADDRESS_FAILURE_LIMIT failures from one client address (for any accounts)
# lock that address, for AXES_COOLOFF_MINUTES, on the API's token, the portal and /admin/
# alike. The address limit is the larger one: an office signs in through one address, and
# one person mistyping their own password must not lock out their colleagues. A success
# resets the account's count.
AXES_HANDLER = "core.lockout.AccountFirstHandler"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=50)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# A sign-in refused by a lockout is not another failure: the right password tried from a
# locked address must not count against the account, nor stretch the cool-off.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "core.api.throttles.client_address"
AXES_LOCKOUT_CALLABLE = "core.lockout.locked_out"
AXES_VERBOSE = False

# The fonts on the reader's machine, those of the portal's stylesheet.
API_DOCS_FONTS = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", system-ui, '
    "sans-serif"
)
SPECTACULAR_SETTINGS = {
    "TITLE": "场景机会撮合平台 API",
    "DESCRIPTION": "机会清单（场景需求）、能力清单（场景能力）、三级联动评审、专家遴选与智能撮合。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Nothing of the API docs loads from elsewhere: Swagger UI sends no schema address to
    # validator.swagger.io, ReDoc's theme uses the fonts on the reader's machine (its page,
    # portal/templates/api/redoc.html, drops the Google Fonts links; config.views also
    # sends both pages a same-origin Content-Security-Policy, which stops the bundle's logo).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": API_DOCS_FONTS,
                "headings": {"fontFamily": API_DOCS_FONTS},
            }
        }
    },
    # The first path segment after /api/v1/ is an operation's tag (needs, public, auth...),
    # which generated clients turn into modules; estimated, the prefix was /api/ and all but
    # the explicitly tagged operations fell under "v1".
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    # Client generators name types after titles: English names for query enums and wrappers.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.postprocess_client_type_names",
    ],
    "ENUM_NAME_OVERRIDES": {
        "NeedStatusEnum": "scenarios.choices.NeedStatus",
        "CapabilityStatusEnum": "scenarios.choices.CapabilityStatus",
        "PilotStatusEnum": "scenarios.choices.PilotStatus",
        "OrganizationKindEnum": "accounts.choices.OrganizationKind",
        "NegativeListKindEnum": "scenarios.choices.NegativeListKind",
        "RegionLevelEnum": "reference.choices.RegionLevel",
        "ReviewDecisionEnum": "scenarios.choices.ReviewDecision",
        "RoleEnum": "accounts.choices.Role",
        "FeatureNameEnum": "matching.engine.scoring.FEATURES",
        "ConceptHowEnum": "matching.engine.concepts.HOWS",
        "ExplainReasonCodeEnum": "matching.services.explain.REASON_CODES",
        "QuotaHolderEnum": "matching.services.explain.QUOTA_HOLDERS",
        "NotificationVerbEnum": "activity.messages.VERBS",
    },
}

# Domain settings.
HOME_PROVINCE_CODE = env("HOME_PROVINCE_CODE", default="360000")
INVITATION_TTL_DAYS = env.int("INVITATION_TTL_DAYS", default=7)
# Bulk import limits (exchange format files).
EXCHANGE_MAX_BYTES = env.int("EXCHANGE_MAX_BYTES", default=10 * 1024 * 1024)
EXCHANGE_MAX_ROWS = env.int("EXCHANGE_MAX_ROWS", default=5000)
EXCHANGE_MAX_CELL_CHARS = env.int("EXCHANGE_MAX_CELL_CHARS", default=5000)
EXCHANGE_MAX_UNZIPPED_BYTES = env.int("EXCHANGE_MAX_UNZIPPED_BYTES", default=50 * 1024 * 1024)
EXCHANGE_MAX_ERRORS = env.int("EXCHANGE_MAX_ERRORS", default=500)
# Django's request body limit must admit the largest import file plus form overhead.
DATA_UPLOAD_MAX_MEMORY_SIZE = EXCHANGE_MAX_BYTES + 1024 * 1024
# Where e-mailed links (invitations, password reset) point.
FRONTEND_BASE_URL = env("FRONTEND_BASE_URL", default="http://localhost:8000")
DEMO_PASSWORD = env("DEMO_PASSWORD", default="demo-pass-2026")

# Matching: where runs share the capability index between workers (a shared volume), how
# many needs one chunk task scores, and whether the dense word-vector block (cnsyn, from
# the installed wheel) joins text relevance (docs/matching-quality.md measures both).
# After every change of the lists, a task counts the unfiltered lists' facets for the cache.
LISTS_WARM_COUNTS = env.bool("LISTS_WARM_COUNTS", default=True)
# Parallel workers PostgreSQL may use for one count of a list (besides the process serving
# it). 1 suits the default deployment, where web, worker and PostgreSQL share two cores.
LISTS_COUNT_WORKERS = env.int("LISTS_COUNT_WORKERS", default=1)
MATCHING_INDEX_DIR = env("MATCHING_INDEX_DIR", default=str(BASE_DIR / "var" / "matching"))
MATCHING_CHUNK_SIZE = env.int("MATCHING_CHUNK_SIZE", default=1000)
MATCHING_WORD_VECTORS = env.bool("MATCHING_WORD_VECTORS", default=True)
# Compaction: the capability index is rebuilt in the background once the rows appended
# (or deleted) since its last build exceed this share of it, and at least this many rows.
MATCHING_COMPACT_SHARE = env.float("MATCHING_COMPACT_SHARE", default=0.02)
MATCHING_COMPACT_MIN_ROWS = env.int("MATCHING_COMPACT_MIN_ROWS", default=50)
# Superseded match rows (their need has been rescored since) are kept this many days as
# history, then deleted by the nightly prune task; 0 keeps them forever.
MATCHING_HISTORY_DAYS = env.int("MATCHING_HISTORY_DAYS", default=30)
# The outbox of Celery tasks (core.outbox): how often beat sends what a broker outage left
# pending, and how long sent rows are kept for inspection before they are pruned.
OUTBOX_DRAIN_SECONDS = env.float("OUTBOX_DRAIN_SECONDS", default=30.0)
OUTBOX_KEEP_SENT_HOURS = env.int("OUTBOX_KEEP_SENT_HOURS", default=24)
# Domain events (core.events): a failing receiver is logged; tests set this to re-raise.
DOMAIN_EVENTS_RAISE = env.bool("DOMAIN_EVENTS_RAISE", default=False)

# Every periodic task, in one place (celery beat reads it).
CELERY_BEAT_SCHEDULE = {
    "matching-full-run-nightly": {
        "task": "matching.start_full_run",
        "schedule": crontab(hour=env.int("MATCHING_FULL_RUN_HOUR", default=2), minute=0),
    },
    "matching-prune-history": {
        "task": "matching.prune_history",
        "schedule": crontab(hour=env.int("MATCHING_PRUNE_HOUR", default=4), minute=30),
    },
    "matching-resume-stalled": {
        "task": "matching.resume_stalled",
        "schedule": 600.0,
    },
    "scenarios-resume-stalled-imports": {
        "task": "scenarios.resume_stalled_imports",
        "schedule": 300.0,
    },
    "core-drain-outbox": {
        "task": "core.drain_outbox",
        "schedule": OUTBOX_DRAIN_SECONDS,
        # A drain that waited behind long tasks is stale by the next one: drop it.
        "options": {"expires": OUTBOX_DRAIN_SECONDS},
    },
    "dashboard-list-figures": {
        "task": "scenarios.refresh_list_figures",
        "schedule": 60.0,
    },
}
# Redis redelivers a task whose worker died (acks_late) after this many seconds; it must
# exceed the longest task's hard time limit.
# socket_timeout stays above the workers' 1 s blocking reads of the queue.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2400),
    "socket_connect_timeout": BROKER_CONNECT_TIMEOUT,
    "socket_timeout": env.float("BROKER_TIMEOUT", default=5.0),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # Every failed sign-in is a row of axes' access failure log already; the console gets
    # the lockouts (warnings), not each attempt.
    "loggers": {"axes": {"level": env("AXES_LOG_LEVEL", default="WARNING")}},
}
