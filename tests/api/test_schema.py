"""The committed schema.yml as client generators read it: one body media type per operation,
English type names, and operations grouped by resource."""

from typing import Any

import pytest
import yaml
from django.conf import settings

COMPOSED = ("allOf", "oneOf", "anyOf")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return yaml.safe_load((settings.BASE_DIR / "schema.yml").read_text(encoding="utf-8"))


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]


def titled_types(node: Any, where: str = "") -> list[str]:
    """Where a schema a generator turns into a type (an enum, an object, a composition) has a
    title: generators take that title for the type's name."""
    found = []
    if isinstance(node, dict):
        is_type = "enum" in node or "properties" in node or any(k in node for k in COMPOSED)
        if is_type and "title" in node:
            found.append(f"{where}: {node['title']}")
        for key, value in node.items():
            found += titled_types(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += titled_types(value, f"{where}/{index}")
    return found


def test_schema_request_bodies_have_one_media_type(schema):
    # when
    media = {
        f"{method} {path}": sorted(operation["requestBody"]["content"])
        for path, method, operation in operations(schema)
        if "requestBody" in operation
    }

    # then: JSON everywhere, multipart only where a file is uploaded
    uploads = {k for k, v in media.items() if v == ["multipart/form-data"]}
    assert uploads == {"post /api/v1/needs/import/", "post /api/v1/capabilities/import/"}
    assert {k: v for k, v in media.items() if k not in uploads and v != ["application/json"]} == {}
    assert media["post /api/v1/auth/token/"] == ["application/json"]


def test_schema_query_enums_are_named_components(schema):
    # when
    enums = {}
    for _path, _method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            value = parameter["schema"]
            value = value["items"] if value.get("type") == "array" else value
            if {"enum", "$ref", "allOf"} & value.keys():
                enums[f"{operation['operationId']} {parameter['name']}"] = value

    # then: each refers to the enum component a body uses for the same values
    assert len(enums) == 21
    assert {k: v for k, v in enums.items() if "enum" in v} == {}
    refs = {k: v.get("$ref") or v["allOf"][0]["$ref"] for k, v in enums.items()}
    assert refs["needs_list category"] == "#/components/schemas/CategoryEnum"
    assert refs["public_needs_list status"] == "#/components/schemas/NeedStatusEnum"
    assert refs["public_needs_export_retrieve format"] == "#/components/schemas/FormatEnum"
    assert (
        refs["public_capabilities_export_retrieve format"] == refs["needs_export_retrieve format"]
    )
    assert refs["needs_export_retrieve format"] == "#/components/schemas/FormatEnum"
    assert refs["regions_list level"] == "#/components/schemas/RegionLevelEnum"
    assert refs["notifications_list verb"] == "#/components/schemas/NotificationVerbEnum"


def test_schema_names_no_type_after_a_title(schema):
    assert titled_types(schema["paths"], "paths") == []
    assert titled_types(schema["components"], "components") == []


def test_schema_tags_operations_by_resource(schema):
    # when
    tags = {f"{method} {path}": operation["tags"] for path, method, operation in operations(schema)}

    # then: one tag per operation, the first path segment after /api/v1/
    assert {k: v for k, v in tags.items() if len(v) != 1} == {}
    assert {k: v for k, v in tags.items() if v[0] != k.split("/")[3]} == {}
    assert sorted({v[0] for v in tags.values()}) == [
        "auth",
        "capabilities",
        "chains",
        "invitations",
        "match-runs",
        "matches",
        "needs",
        "negative-list",
        "notifications",
        "organizations",
        "pilots",
        "policy",
        "public",
        "recommendations",
        "regions",
        "reviews",
    ]
    assert tags["get /api/v1/public/needs/"] == ["public"]
    assert tags["post /api/v1/auth/token/"] == ["auth"]
