"""Domain errors raised by services; the API maps them to one JSON error shape."""

from typing import Any


class DomainError(Exception):
    """A business rule forbids the request (HTTP 409 unless a subclass says otherwise)."""

    code = "conflict"
    status_code = 409

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        code: str | None = None,
        **extra: Any,
    ):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = fields or {}
        self.extra = extra


class ActorNotAllowed(DomainError):
    """The actor's roles do not allow this action on this object (HTTP 403)."""

    code = "permission_denied"
    status_code = 403


class InvalidTransition(DomainError):
    """The object's current state does not allow the requested transition."""

    code = "invalid_transition"


class StaleVersion(DomainError):
    """The client wrote against an old version of the object (HTTP 412)."""

    code = "stale_version"
    status_code = 412


class InvalidInput(DomainError):
    """Input that passed the serializer breaks a rule that spans several objects (400)."""

    code = "invalid"
    status_code = 400
