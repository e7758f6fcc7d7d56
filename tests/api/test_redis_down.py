"""With Redis unreachable (cache and broker), the API answers: reads, sign-in and writes that
send tasks (docs/operations.md says what degrades)."""

import logging

import pytest
from celery import current_app

from config.settings.base import redis_cache
from matching.models import MatchRun
from scenarios.models import Capability
from tests import factories
from tests.conftest import committee_member
from tests.scenarios.helpers import CAPABILITY_DEFAULTS, make_need

CLOSED_PORT = "redis://127.0.0.1:6390/0"  # nothing listens there


@pytest.fixture
def redis_down(settings, monkeypatch):
    """The deployed cache configuration and the Celery broker, both on a closed port."""
    settings.CACHES = {"default": redis_cache(CLOSED_PORT)}
    monkeypatch.setattr(current_app.conf, "broker_url", CLOSED_PORT)
    # Connections and producers are pooled per broker: start from none.
    monkeypatch.setattr(current_app, "_pool", None)
    monkeypatch.setattr(current_app.amqp, "_producer_pool", None)


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

    # then: published; the run waits in the database, its task's failure is logged
    assert response.status_code == 200, response.json()
    assert Capability.objects.get(pk=draft.json()["id"]).status == "published"
    assert MatchRun.objects.filter(scope="capability", status="pending").count() == 1
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

    # then: accepted; the run waits in the database
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "pending"
    assert "could not enqueue matching.execute_run" in caplog.text
