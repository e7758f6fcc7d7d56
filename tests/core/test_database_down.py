"""PostgreSQL unreachable or restarted: the API answers a JSON 503 with Retry-After, pages a
plain 503 page, and the same web or worker process serves again once it is back (the real
restart under gunicorn and a worker: scripts/drills/postgres_restart.sh)."""

import re

import psycopg
import pytest
from celery import current_app
from celery.fixups.django import DjangoWorkerFixup  # type: ignore[attr-defined]  # not in the stubs
from django.db import OperationalError, close_old_connections, connection
from django.db.backends.utils import CursorWrapper
from django.test import Client, RequestFactory

from config.views import server_failure

DOWN = {
    "OperationalError": psycopg.OperationalError(
        'connection to server at "127.0.0.1", port 5432 failed: Connection refused'
    ),
    "InterfaceError": psycopg.InterfaceError("the connection is closed"),
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def database_down(monkeypatch, error: Exception):
    """Every statement fails the way the driver fails with the server gone, raised inside
    Django's error wrapper (which turns it into ``django.db``'s error and marks the
    connection as failed), as a real outage would."""

    def fail(self, *args, **kwargs):
        with self.db.wrap_database_errors:
            raise error

    monkeypatch.setattr(CursorWrapper, "_execute", fail)
    monkeypatch.setattr(CursorWrapper, "_executemany", fail)


@pytest.mark.django_db
@pytest.mark.parametrize("error", DOWN, ids=str)
def test_api_answers_json_503_with_retry_after_while_the_database_is_down(api, monkeypatch, error):
    # when
    with monkeypatch.context() as patch:
        database_down(patch, DOWN[error])
        response = api.get("/api/v1/public/needs/")
        english = api.get("/api/v1/public/needs/", HTTP_ACCEPT_LANGUAGE="en")

    # then
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert response.json() == {
        "code": "database_unavailable",
        "detail": "数据库暂时不可用，请稍后重试。",
        "fields": {},
    }
    assert english.json()["detail"] == (
        "The database is temporarily unavailable; please try again later."
    )


@pytest.mark.django_db
@pytest.mark.parametrize("error", DOWN, ids=str)
def test_pages_answer_a_plain_503_page_while_the_database_is_down(monkeypatch, error):
    # given: a browser; Django's 500 handler answers (no exception re-raised into the test)
    browser = Client(raise_request_exception=False)

    # when
    with monkeypatch.context() as patch:
        database_down(patch, DOWN[error])
        page = browser.get("/opportunities/")
        english = browser.get("/opportunities/", HTTP_ACCEPT_LANGUAGE="en")

    # then
    assert page.status_code == 503
    assert page["Retry-After"] == "10"
    assert page["Content-Type"].startswith("text/html")
    assert "服务暂时不可用" in page.content.decode()
    assert english.status_code == 503
    assert "Service temporarily unavailable" in english.content.decode()
    assert not CJK.search(english.content.decode())


def test_server_failure_is_503_only_for_an_unreachable_database():
    # given
    factory = RequestFactory()

    # when: Django's 500 handler, called while each exception is being handled
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        api = server_failure(factory.get("/api/v1/needs/"))
    try:
        raise ValueError("a bug")
    except ValueError:
        bug = server_failure(factory.get("/api/v1/needs/"))

    # then
    assert (api.status_code, api["Retry-After"]) == (503, "10")
    assert b'"database_unavailable"' in api.content
    assert bug.status_code == 500
    assert not bug.has_header("Retry-After")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("health_checks", "first_after"), [(True, 200), (False, 503)])
def test_the_same_process_serves_again_after_a_database_restart(
    api, monkeypatch, health_checks, first_after
):
    # given: a persistent connection, as deployed (CONN_MAX_AGE), that served a request
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 600)
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", health_checks)
    connection.close()

    def request():
        close_old_connections()  # what the WSGI handler does at each request's start and end
        # a list read from the database on every request (the public lists' counts are
        # cached, so an empty one may be answered without a query)
        response = api.get("/api/v1/regions/")
        close_old_connections()
        return response.status_code

    assert request() == 200
    backend = connection.connection.info.backend_pid

    # when: the server drops the connection (a restart) and requests go on
    db = connection.settings_dict
    with psycopg.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"], autocommit=True
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [backend])
    after = [request(), request()]

    # then: with health checks the first request already reconnects; without them it is
    # a 503 and the broken connection is dropped for the next one
    assert after == [first_after, 200]
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_worker_task_after_a_database_restart_gets_a_fresh_connection():
    # given: the worker process's connection, dropped by the server (a restart)
    connection.ensure_connection()
    db = connection.settings_dict
    with psycopg.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"], autocommit=True
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
    assert not connection.is_usable()

    # when: the next task starts (Celery's Django fix-up runs before each task)
    DjangoWorkerFixup(current_app).on_task_prerun(sender=current_app.tasks["core.drain_outbox"])

    # then: it works on a new connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
