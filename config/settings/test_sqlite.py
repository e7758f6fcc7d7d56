"""The API and exchange tests on the embedded default (SQLite), as ``make run`` has it."""

from .test import *  # noqa: F403
from .test import BASE_DIR, env

DATABASES = {
    "default": env.db("SQLITE_TEST_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'test.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    raise RuntimeError(
        "config.settings.test_sqlite runs on SQLite; set SQLITE_TEST_URL=sqlite://..."
    )
