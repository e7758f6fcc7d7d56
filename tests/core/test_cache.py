"""The cache on Redis is a speed-up: an unreachable server is a miss, tried again later."""

import logging
import socket
import threading
import time

import pytest

from core.cache import FailSoftRedisCache


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
