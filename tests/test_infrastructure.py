"""The suite itself runs where CI says: PostgreSQL and Redis, never a silent SQLite."""

import os

import pytest
import redis
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db


def test_suite_runs_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0]

    assert connection.vendor == "postgresql"
    assert version.startswith("PostgreSQL")


@pytest.mark.skipif(os.environ.get("CI") != "true", reason="CI-only: checks CI's own services")
def test_ci_uses_the_configured_database_and_redis():
    assert os.environ["DATABASE_URL"].startswith("postgres://")
    assert os.environ["REDIS_URL"] == settings.CELERY_BROKER_URL
    assert redis.Redis.from_url(os.environ["REDIS_URL"]).ping() is True


def test_test_settings_refuse_sqlite(monkeypatch):
    import importlib

    import config.settings.test as test_settings

    monkeypatch.setenv("DATABASE_URL", "sqlite:///tmp/x.sqlite3")
    with pytest.raises(RuntimeError, match="PostgreSQL only"):
        importlib.reload(test_settings)
    monkeypatch.undo()
    importlib.reload(test_settings)
