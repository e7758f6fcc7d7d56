"""OpenAPI generation: the shared error shape, the error responses each kind of operation
really gives, and the strict filter parameters as the server checks them."""

from typing import Any

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

# The one error shape of the API. Built with inline_serializer because a declared field
# called "fields" would shadow Serializer.fields.
ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "code": serializers.CharField(help_text="machine-readable error code"),
        "detail": serializers.CharField(help_text="human-readable message (zh-hans or en)"),
        "fields": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text="field-level messages: {field: [messages]}",
        ),
    },
)


def error_responses(*codes: int) -> dict[int, Any]:
    """``extend_schema(responses=...)`` entries for the error codes a view really gives, in
    the shared error shape (for views that take no versions nor idempotency keys)."""
    return dict.fromkeys(codes, ErrorSerializer)


class ApiAutoSchema(AutoSchema):
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


class DeclaredErrorsSchema(ApiAutoSchema):
    """Documents exactly the error responses each view declares, nothing added.

    The project schema adds a generic set (409, 412, 422...) that some endpoints can never
    return; the declarations on each such view are the truthful list.
    """

    def _error_codes(self) -> list[int]:
        return []


class StrictFilterExtension(DjangoFilterExtension):
    """Filters reject empty values (400), so string parameters have ``minLength: 1``."""

    target_class = "core.api.filters.StrictFilterBackend"
    priority = 1

    def get_schema_operation_parameters(
        self, auto_schema: Any, *args: Any, **kwargs: Any
    ) -> list[dict[str, Any]]:
        params: list[dict[str, Any]] = super().get_schema_operation_parameters(
            auto_schema, *args, **kwargs
        )
        for param in params:
            schema = param.get("schema", {})
            targets = [schema.get("items", {})] if schema.get("type") == "array" else [schema]
            for target in targets:
                if target.get("type") == "string" and "enum" not in target:
                    target.setdefault("minLength", 1)
        return params
