"""drf-spectacular extensions: the strict filter backend's parameters as the server checks them."""

from typing import Any

from drf_spectacular.contrib.django_filters import DjangoFilterExtension


class StrictFilterExtension(DjangoFilterExtension):
    """Filters reject empty values (400), so string parameters have ``minLength: 1``."""

    target_class = "scenarios.api.filter_fields.StrictFilterBackend"
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
