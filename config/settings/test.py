"""Test settings: always PostgreSQL (locks and constraints must be real), never SQLite."""

import os

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/scenario_market"),
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise RuntimeError("The test suite runs on PostgreSQL only; set DATABASE_URL=postgres://...")
DATABASES["default"]["CONN_MAX_AGE"] = 0
# A per-process test database name lets several suites run side by side on one server;
# set TEST_DB_SUFFIX to reuse one (e.g. with --reuse-db).
DATABASES["default"]["TEST"] = {
    "NAME": f"test_{DATABASES['default']['NAME']}_{env('TEST_DB_SUFFIX', default=str(os.getpid()))}"
}

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/15")
# Never culled (the default keeps 300 entries): the lists' segment tokens of a long test run
# outnumber that, and a culled token only makes a count start again, which tests assert on.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 1_000_000},
    }
}
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
# No global eager mode: tests assert enqueues with django_capture_on_commit_callbacks and
# run the worker tests against a real Celery worker.
CELERY_TASK_ALWAYS_EAGER = False

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LANGUAGE_CODE = "zh-hans"
# One index directory per pytest-xdist worker: the files are named by policy and variant, not by
# database, so two workers' indexes of different test databases would overwrite each other.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
MATCHING_INDEX_DIR = str(
    BASE_DIR / "var" / ("test-matching" + (f"-{_XDIST_WORKER}" if _XDIST_WORKER else ""))
)
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {  # noqa: F405
    "anon": "10000/min",
    "user": "10000/min",
    "login": "10000/min",
}
WHITENOISE_AUTOREFRESH = True
# A failing event receiver fails the test instead of being logged.
DOMAIN_EVENTS_RAISE = True
# No task per write of a need or capability in tests (tests/portal call the warm-up itself).
LISTS_WARM_COUNTS = False
