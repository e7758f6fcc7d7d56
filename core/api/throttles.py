"""Rate-limit scopes shared by the apps' endpoints (rates live in settings)."""

from rest_framework.throttling import AnonRateThrottle


class LoginThrottle(AnonRateThrottle):
    """Anonymous endpoints that guess secrets or send mail: sign-in, sign-up, resets."""

    scope = "login"
