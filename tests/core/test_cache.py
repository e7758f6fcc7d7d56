"""The cache on Redis is a speed-up: with Redis unreachable the API still answers."""

import logging
import socket
import threading
import time

import pytest

from config.settings.base import redis_cache
from core.cache import FailSoftRedisCache
from tests import factories

CLOSED_PORT = "redis://127.0.0.1:6390/0"  # nothing listens there


@pytest.fixture
def cache_unreachable(settings):
    """The deployed cache configuration, pointed at a port nothing listens on."""
    settings.CACHES = {"default": redis_cache(CLOSED_PORT)}


@pytest.mark.django_db
def test_public_lists_and_sign_in_answer_with_the_cache_unreachable(api, cache_unreachable, caplog):
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


@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never answers (a hung Redis)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0", accepted
    server.close()
    for connection in accepted:
        connection.close()


def test_an_unresponsive_cache_costs_one_timeout_then_is_left_alone(silent_server):
    # given: a cache on a server that never answers, timing out after 0.2 s
    url, accepted = silent_server
    cache = FailSoftRedisCache(
        url, {"OPTIONS": {"SOCKET_TIMEOUT": 0.2, "SOCKET_CONNECT_TIMEOUT": 0.2}}
    )

    # when
    first = cache.get("counts", "miss")
    started = time.monotonic()
    later = [cache.get("counts", "miss"), cache.set("counts", 1), cache.add("token", "x")]
    elapsed = time.monotonic() - started

    # then: misses, and after the first failure no more round trips for a while
    assert first == "miss"
    assert later == ["miss", None, None]
    assert len(accepted) == 1
    assert elapsed < 0.1


def test_the_cache_is_tried_again_after_the_pause_and_recovery_is_logged(settings, caplog):
    # given: a cache marked down after a failure, with a pause that has passed
    cache = FailSoftRedisCache(settings.REDIS_URL, {"OPTIONS": {"RETRY_SECONDS": 0}})
    cache._down, cache._down_until = True, time.monotonic()

    # when
    with caplog.at_level(logging.INFO, logger="core.cache"):
        cache.set("fail-soft-probe", 7, 5)
        value = cache.get("fail-soft-probe")

    # then
    assert value == 7
    assert "reachable again" in caplog.text
