"""Rate-limit scopes shared by the apps' endpoints (rates live in settings)."""

from typing import Any

from rest_framework.throttling import SimpleRateThrottle


class LoginThrottle(SimpleRateThrottle):
    """Endpoints that guess secrets or send mail: sign-in, sign-up, resets. Counted per
    client address for every caller: a guesser who sends any valid ``Authorization``
    header is counted like anyone else (DRF's anonymous throttle skips signed-in callers)."""

    scope = "login"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
