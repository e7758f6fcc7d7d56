import pytest
from django.db import OperationalError

pytestmark = pytest.mark.django_db


def test_healthz_ok_with_database_and_broker(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_503_when_broker_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"] == "down"
    assert response.json()["database"] == "ok"


def test_healthz_503_when_database_unreachable(client, settings, monkeypatch):
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    from django.db import connection

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    monkeypatch.undo()

    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_healthz_in_process_broker_when_redis_unset(client, settings):
    settings.REDIS_URL = ""

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["broker"] == "in-process"


def test_healthz_answers_any_host_over_plain_http(client, settings):
    settings.ALLOWED_HOSTS = ["scenarios.example.gov.cn"]
    settings.SECURE_SSL_REDIRECT = True
    settings.REDIS_URL = ""

    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")

    assert response.status_code == 200
    assert client.get("/admin/", HTTP_HOST="10.0.0.7:8000").status_code == 400


def test_healthz_503_when_the_broker_url_is_malformed(client, settings):
    settings.REDIS_URL = "not-a-url"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"] == "down"


def test_healthz_answers_head_for_load_balancers_and_refuses_post(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"

    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
