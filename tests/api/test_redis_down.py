"""With Redis unreachable (cache and broker), the API answers: reads, sign-in and writes that
send tasks, whose tasks wait in the outbox until the broker is back and a drain sends them,
once each (docs/operations.md says what degrades)."""

import base64
import json
import logging
import os

import pytest
import redis
from celery import current_app
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from config.settings.base import redis_cache
from core.models import OutboxMessage
from matching.models import MatchRun
from scenarios.models import Capability, ImportJob
from tests import factories
from tests.conftest import committee_member
from tests.portal.conftest import signed_in
from tests.scenarios.helpers import CAPABILITY_DEFAULTS, make_need
from tests.scenarios.test_exchange import as_csv, need_row

CLOSED_PORT = "redis://127.0.0.1:6390/0"  # nothing listens there
QUEUE = f"test-outbox-{os.getpid()}"


def use_broker(monkeypatch, url: str) -> None:
    monkeypatch.setattr(current_app.conf, "broker_url", url)
    # Connections and producers are pooled per broker: start from none.
    monkeypatch.setattr(current_app, "_pool", None)
    monkeypatch.setattr(current_app.amqp, "_producer_pool", None)


@pytest.fixture
def redis_down(settings, monkeypatch):
    """The deployed cache configuration and the Celery broker, both on a closed port."""
    settings.CACHES = {"default": redis_cache(CLOSED_PORT)}
    use_broker(monkeypatch, CLOSED_PORT)


def pending_tasks() -> list[tuple[str, dict]]:
    return [
        (row.task_name, row.kwargs)
        for row in OutboxMessage.objects.filter(sent_at__isnull=True).order_by("pk")
    ]


def queued(client: redis.Redis) -> list[tuple[str, dict]]:
    """The task name and kwargs of every message waiting in ``QUEUE``, oldest first."""
    messages = []
    for raw in reversed(client.lrange(QUEUE, 0, -1)):  # kombu pushes on the left
        message = json.loads(raw)
        _args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        messages.append((message["headers"]["task"], kwargs))
    return messages


@pytest.mark.django_db
def test_public_lists_and_sign_in_answer_with_redis_down(api, redis_down, caplog):
    # given: a user, and rate limits whose counters live in the unreachable cache
    user = factories.UserFactory.create()

    # when
    with caplog.at_level(logging.WARNING, logger="core.cache"):
        needs = api.get("/api/v1/public/needs/")
        capabilities = api.get("/api/v1/public/capabilities/")
        token = api.post(
            "/api/v1/auth/token/",
            {"username": user.username, "password": "pw-for-tests-2026"},
            format="json",
        )

    # then: the throttles let the requests through, and the outage is said once
    assert (needs.status_code, capabilities.status_code) == (200, 200)
    assert token.status_code == 200
    assert token.json()["token"]
    warnings = [r for r in caplog.records if r.name == "core.cache"]
    assert len(warnings) == 1
    assert "rate limits are not enforced" in warnings[0].getMessage()


@pytest.mark.django_db
def test_portal_pages_answer_with_redis_down(client, redis_down):
    # given: a published need, whose list counts would come from the cache
    make_need(factories.AgencyFactory.create(region_id="360102"), status="published")

    # when
    pages = [client.get(url) for url in ("/", "/opportunities/", "/capabilities/", "/login/")]

    # then
    assert [p.status_code for p in pages] == [200, 200, 200, 200]


# Transactional: the commit really happens inside the request, and with it the after-commit
# work (the publication's event, matching's run, its task), as in production.
@pytest.mark.django_db(transaction=True)
def test_publishing_a_capability_with_redis_down_answers_and_logs_the_unsent_task(
    api, reference, redis_down, caplog
):
    # given: a verified firm's draft capability
    firm = factories.FirmFactory.create(region_id="360102")
    editor = factories.member(firm, "firm_editor")
    draft = api.as_user(editor).post(
        "/api/v1/capabilities/", {**CAPABILITY_DEFAULTS, "region_code": "360102"}, format="json"
    )
    assert draft.status_code == 201, draft.json()

    # when: submitting publishes it, and matching asks for a run of the needs it enters
    with caplog.at_level(logging.ERROR, logger="core.tasks"):
        response = api.post(f"/api/v1/capabilities/{draft.json()['id']}/submit/", {}, format="json")

    # then: published; the run and its task wait in the database, the failure is logged
    assert response.status_code == 200, response.json()
    assert Capability.objects.get(pk=draft.json()["id"]).status == "published"
    run = MatchRun.objects.get(scope="capability", status="pending")
    assert pending_tasks() == [("matching.execute_run", {"run_id": run.pk})]
    assert "could not enqueue matching.execute_run" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_starting_a_match_run_with_redis_down_answers_202(api, reference, redis_down, caplog):
    # given: a member of the province committee, which starts full runs
    province = committee_member("360000")

    # when
    with caplog.at_level(logging.ERROR, logger="core.tasks"):
        response = api.as_user(province).post(
            "/api/v1/match-runs/", {"scope": "full"}, format="json"
        )

    # then: accepted; the run and its task wait in the database
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "pending"
    assert pending_tasks() == [("matching.execute_run", {"run_id": response.json()["id"]})]
    assert "could not enqueue matching.execute_run" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_starting_an_import_with_redis_down_keeps_the_job_and_its_task(reference, redis_down):
    # given: a province committee member on the import page
    client = signed_in(committee_member("360000"))
    upload = SimpleUploadedFile("机会清单.csv", as_csv([need_row()]))

    # when
    response = client.post("/workspace/imports/", {"kind": "needs", "file": upload})

    # then: the job is stored and waits (排队中) with its task
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/workspace/imports/{job.pk}/"
    assert job.status == "pending"
    assert pending_tasks() == [("scenarios.run_import", {"job_id": job.pk})]


@pytest.mark.django_db(transaction=True)
def test_tasks_left_by_an_outage_are_sent_once_when_the_broker_is_back(
    api, reference, redis_down, monkeypatch
):
    # given: during the outage, a published capability and a started import
    firm = factories.FirmFactory.create(region_id="360102")
    editor = factories.member(firm, "firm_editor")
    draft = api.as_user(editor).post(
        "/api/v1/capabilities/", {**CAPABILITY_DEFAULTS, "region_code": "360102"}, format="json"
    )
    published = api.post(f"/api/v1/capabilities/{draft.json()['id']}/submit/", {}, format="json")
    client = signed_in(committee_member("360000"))
    upload = SimpleUploadedFile("机会清单.csv", as_csv([need_row()]))
    started = client.post("/workspace/imports/", {"kind": "needs", "file": upload})
    assert (published.status_code, started.status_code) == (200, 302)
    waiting = pending_tasks()
    assert [name for name, _kwargs in waiting] == ["matching.execute_run", "scenarios.run_import"]

    # when: Redis is back (on a queue of this test's own) and the drain runs twice
    monkeypatch.setitem(current_app.conf, "task_default_queue", QUEUE)
    use_broker(monkeypatch, django_settings.CELERY_BROKER_URL)
    broker = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    broker.delete(QUEUE)
    try:
        call_command("drain_outbox")
        call_command("drain_outbox")
        messages = queued(broker)
    finally:
        broker.delete(QUEUE)

    # then: each waiting task is in the queue once, in the order of the changes
    assert messages == waiting
    assert pending_tasks() == []
    assert OutboxMessage.objects.filter(sent_at__isnull=False).count() == len(waiting)
