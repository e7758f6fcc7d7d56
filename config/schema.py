"""OpenAPI generation: every operation documents the error responses it can really give."""

from typing import Any

from drf_spectacular.openapi import AutoSchema

from scenarios.api.serializers import ErrorSerializer


def error_responses(*codes: int) -> dict[int, Any]:
    """``extend_schema(responses=...)`` entries for the error codes a view really gives, in
    the shared error shape (for views that take no versions nor idempotency keys)."""
    return dict.fromkeys(codes, ErrorSerializer)


class ScenarioAutoSchema(AutoSchema):
    """Adds the shared error shape under the status codes each kind of operation returns.

    Applied after ``extend_schema`` overrides, so declared responses stay and only missing
    error codes are added. A view can narrow the list by overriding ``_error_codes``.
    """

    def _error_codes(self) -> list[int]:
        detail = "{" in self.path
        authenticators = getattr(self.view, "authentication_classes", None)
        codes = {429, 400} if self.method != "GET" or not detail else {429}
        if authenticators is None or authenticators:
            codes |= {401, 403}
        if detail or self.method == "GET":
            codes.add(404)  # unknown object, or a page number past the end of a list
        if self.method in ("POST", "PATCH", "PUT"):
            codes.add(409)  # a business rule or the object's state forbids it
            if detail:
                codes.add(412)  # stale version (If-Match / version)
        if self.method == "PATCH":
            codes.add(428)  # no version given
        if self._is_create() and hasattr(self.view, "create_response"):
            codes.add(422)  # Idempotency-Key reused with another body
        return sorted(codes)

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        bodies: dict[str, Any] = super()._get_response_bodies(direction)  # type: ignore[arg-type]
        if direction != "response":
            return bodies
        for code in self._error_codes():
            if str(code) not in bodies:
                bodies[str(code)] = self._get_response_for_code(
                    ErrorSerializer, str(code), direction=direction
                )
        return bodies

    def _is_create(self) -> bool:
        return self.method == "POST" and getattr(self.view, "action", None) == "create"
