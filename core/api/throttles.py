"""Rate-limit scopes shared by the apps' endpoints (rates live in settings)."""

from typing import Any

from rest_framework.throttling import BaseThrottle, SimpleRateThrottle


def client_address(request: Any) -> str | None:
    """The client's address as every rate limit and the sign-in lockout count it:
    ``REMOTE_ADDR``, or the address the configured number of trusted proxies saw
    (``NUM_PROXIES``); a header the client sends itself is never trusted."""
    if not getattr(request, "META", None):
        return None  # a request built without one (e.g. a test client's force_login)
    return BaseThrottle().get_ident(request) or None


class LoginThrottle(SimpleRateThrottle):
    """Endpoints that guess secrets or send mail: sign-in, sign-up, resets. Counted per
    client address for every caller: a guesser who sends any valid ``Authorization``
    header is counted like anyone else (DRF's anonymous throttle skips signed-in callers)."""

    scope = "login"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    @classmethod
    def refund(cls, request: Any) -> None:
        """Give back what a successful sign-in took of its address's budget. The rate is
        there to slow guessing; counting the right passwords too ran an office that signs in
        through one address at nine o'clock out of it (ten colleagues in a minute). A
        guess is still counted: a success takes back one entry, its own."""
        throttle = cls()
        key = throttle.get_cache_key(request, None)
        history = throttle.cache.get(key, [])
        if history:
            _allowed, duration = throttle.parse_rate(throttle.rate)
            throttle.cache.set(key, history[1:], duration)
