"""OpenAPI generation: the shared error shape, the error responses each kind of operation
really gives, and the strict filter parameters as the server checks them."""

from collections import defaultdict
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
        # Any request body over the upload limit is refused before the view runs
        # (core.api.errors: 413 in the shared shape), whatever the view declares; so is a
        # body of a media type the operation does not parse (415).
        too_large = [413, 415] if self.method in ("POST", "PATCH", "PUT") else []
        for code in [*self._error_codes(), *too_large]:
            if str(code) not in bodies:
                bodies[str(code)] = self._get_response_for_code(
                    ErrorSerializer, str(code), direction=direction
                )
        return bodies

    def _is_create(self) -> bool:
        return self.method == "POST" and getattr(self.view, "action", None) == "create"

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        # A change's body (the Patched… component) does not list the fields only a create
        # takes (``StrictInputMixin.create_only_fields``): the server refuses them there.
        result: dict[str, Any] = super()._map_basic_serializer(serializer, direction)  # type: ignore[arg-type]
        if direction != "request":
            return result
        # And a create's body does not list the fields only a change takes (``version``).
        if self.method in ("PATCH", "PUT"):
            refused = getattr(serializer, "create_only_fields", ())
        else:
            refused = getattr(serializer, "update_only_fields", ())
        if refused:
            for name in refused:
                result.get("properties", {}).pop(name, None)
            if "required" in result:
                result["required"] = [n for n in result["required"] if n not in refused]
                if not result["required"]:
                    del result["required"]
        return result


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


COMPOSED = ("allOf", "oneOf", "anyOf")
# What the enum component states for a parameter; anything else (a default) stays beside it.
ENUM_OWN_KEYS = {"type", "enum", "title", "minLength"}


def postprocess_client_type_names(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Gives client generators English type names (after drf-spectacular's enum hook).

    Generators (openapi-python-client, openapi-generator) name a type after its schema's
    ``title`` when it has one, and the titles here are the models' Chinese verbose names
    (``v1_needs_list_场景类型``). So a query parameter's enum becomes a reference to the enum
    component with the same values, one client type for the value in a body and in a filter
    (drf-spectacular leaves it inline); without exactly one such component it loses its
    title, and generators name it after the operation and parameter. A property that wraps a
    type (``allOf`` around an enum's reference, a nullable ``oneOf``, an inline enum) keeps
    its Chinese label as the description instead of the title.
    """
    schemas: dict[str, Any] = result.get("components", {}).get("schemas", {})
    enums: defaultdict[frozenset[Any], list[str]] = defaultdict(list)
    for name, schema in schemas.items():
        if "enum" in schema:
            enums[frozenset(schema["enum"])].append(name)
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                holder, key = parameter, "schema"
                if parameter["schema"].get("type") == "array":
                    holder, key = parameter["schema"], "items"
                schema = holder[key]
                if "enum" not in schema:
                    continue
                same = enums.get(frozenset(schema["enum"]), [])
                if len(same) == 1:
                    ref = {"$ref": f"#/components/schemas/{same[0]}"}
                    # A $ref's siblings are ignored in OpenAPI 3.0: a default needs a wrapper.
                    rest = {k: v for k, v in schema.items() if k not in ENUM_OWN_KEYS}
                    holder[key] = {"allOf": [ref], **rest} if rest else ref
                else:
                    schema.pop("title", None)
    for schema in schemas.values():
        _untitle_wrapped_types(schema)
    return result


def _untitle_wrapped_types(schema: Any) -> None:
    """Moves the title of each type-wrapping property below ``schema`` to its description."""
    if isinstance(schema, list):
        for item in schema:
            _untitle_wrapped_types(item)
        return
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        if key in ("properties", "additionalProperties"):
            values = value.values() if key == "properties" else [value]
            for prop in values:
                if (
                    isinstance(prop, dict)
                    and "title" in prop
                    and ("enum" in prop or "properties" in prop or any(k in prop for k in COMPOSED))
                ):
                    title = prop.pop("title")
                    prop.setdefault("description", title)
                _untitle_wrapped_types(prop)
        elif key in ("items", *COMPOSED):
            _untitle_wrapped_types(value)
