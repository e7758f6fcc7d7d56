"""The Django cache on Redis as a speed-up the site can do without: a server that cannot be
reached is an empty cache, not a 500 (docs/operations.md says what degrades)."""

import logging
import time
from collections.abc import Callable
from typing import Any

from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5.0


class FailSoftRedisCache(RedisCache):  # type: ignore[type-arg]
    """django-redis, on which a failing server (refused, timed out) is a miss.

    ``get`` answers its default and writes do nothing (django-redis's ``IGNORE_EXCEPTIONS``,
    always on here). After a failure the process leaves the server alone for
    ``OPTIONS["RETRY_SECONDS"]`` (5 s), so an unroutable Redis costs one connect timeout
    per pause, not one per call. An outage is logged once as a warning, the recovery once.
    Rate limits keep their counters here: while the cache is down they let every request
    through (fail open) rather than refuse every one.
    """

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS", {}))
        self._retry_seconds = float(options.pop("RETRY_SECONDS", RETRY_SECONDS))
        options["IGNORE_EXCEPTIONS"] = True
        super().__init__(server, {**params, "OPTIONS": options})
        self._down_until = 0.0
        self._down = False

    @property
    def client(self) -> Any:
        if self._down and time.monotonic() < self._down_until:
            # django-redis turns this into a miss, without touching the network.
            raise ConnectionInterrupted(connection=None)
        return _Watched(super().client, self)

    def _failed(self, error: ConnectionInterrupted) -> None:
        self._down_until = time.monotonic() + self._retry_seconds
        if not self._down:
            self._down = True
            logger.warning(
                "cache unreachable (%s): serving without it, trying again every %.0f s; "
                "cached counts are recomputed and rate limits are not enforced meanwhile",
                error,
                self._retry_seconds,
            )

    def _succeeded(self) -> None:
        if self._down:
            self._down = False
            logger.info("cache reachable again")


class _Watched:
    """The django-redis client, reporting each call's failure or success to its cache."""

    def __init__(self, client: Any, cache: FailSoftRedisCache) -> None:
        self._client = client
        self._cache = cache

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute
        return self._watch(attribute)

    def _watch(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                result = method(*args, **kwargs)
            except ConnectionInterrupted as error:
                self._cache._failed(error)
                raise
            self._cache._succeeded()
            return result

        return call
