"""Text fields take text: a JSON number, boolean, list or object where the schema says
string is a 400 on that field (DRF's ``CharField`` turned ``0`` into ``"0"``; the fuzz
against ``make run`` found a negative-list keyword stored that way)."""

import importlib
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLResolver, get_resolver
from rest_framework import serializers

from core.api.fields import ModelSerializer, RealField, StringField, TextOnly
from scenarios.models import NegativeListEntry, ScenarioNeed
from tests.api.test_needs_api import need_body

pytestmark = pytest.mark.django_db

APPS = ("accounts", "activity", "core", "matching", "reference", "scenarios")


def api_serializers() -> Iterator[type[serializers.Serializer]]:  # type: ignore[type-arg]
    """The serializers the apps' API modules define, and those the routed views name (a
    library's, such as DRF's token serializer)."""
    for app in APPS:
        package = importlib.import_module(f"{app}.api")
        for module_info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{app}.api.{module_info.name}")
            for obj in vars(module).values():
                if (
                    isinstance(obj, type)
                    and issubclass(obj, serializers.Serializer)
                    and obj.__module__ == module.__name__
                    and obj is not ModelSerializer
                ):
                    yield obj
    stack = list(get_resolver().url_patterns)
    while stack:
        entry = stack.pop()
        if isinstance(entry, URLResolver):
            stack.extend(entry.url_patterns)
            continue
        view = getattr(entry.callback, "cls", None)
        found = getattr(view, "serializer_class", None)
        if isinstance(found, type) and issubclass(found, serializers.Serializer):
            yield found


def loose_fields(field: Any, where: str) -> Iterator[str]:
    """Writable fields that coerce another JSON type: text from a number, a real number
    from a boolean."""
    if isinstance(field, serializers.ListField | serializers.DictField):
        yield from loose_fields(field.child, f"{where}[]")
    elif isinstance(field, serializers.Serializer):
        for name, child in field.fields.items():
            yield from loose_fields(child, f"{where}.{name}")
    elif field.read_only:
        return
    elif (isinstance(field, serializers.CharField) and not isinstance(field, TextOnly)) or (
        isinstance(field, serializers.FloatField) and not isinstance(field, RealField)
    ):
        yield where


def test_every_text_or_real_field_a_request_writes_refuses_other_types():
    found = set(api_serializers())
    loose = [
        where
        for cls in found
        for name, field in cls().fields.items()
        for where in loose_fields(field, f"{cls.__module__}.{cls.__name__}.{name}")
    ]

    assert len(found) > 50
    assert loose == []


@pytest.mark.parametrize("value", [0, 1.5, True, ["虚拟货币"], {"k": "v"}])
def test_a_keyword_that_is_not_text_is_a_400_and_nothing_is_stored(api, platform_admin, value):
    response = api.as_user(platform_admin).post(
        "/api/v1/negative-list/",
        {"kind": "keyword", "keyword": value, "reason": "禁止类产业"},
        format="json",
    )

    assert response.status_code == 400
    assert "keyword" in response.json()["fields"]
    assert not NegativeListEntry.objects.filter(keyword=str(value)).exists()


def test_a_need_title_that_is_a_number_is_a_400(api, agency_user):
    response = api.as_user(agency_user).post(
        "/api/v1/needs/", {**need_body(), "title": 123}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"]["title"] == ["必须是文本（字符串）。"]
    assert not ScenarioNeed.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": 10001, "password": "demo-pass-2026"}, "username"),
        ({"username": "someone", "password": 20261207}, "password"),
    ],
)
def test_the_token_endpoint_takes_text_only(api, body, field):
    response = api.post("/api/v1/auth/token/", body, format="json")

    assert response.status_code == 400
    assert response.json()["fields"][field] == ["必须是文本（字符串）。"]


def test_a_policy_weight_that_is_a_boolean_is_a_400(api, province_reviewer):
    response = api.as_user(province_reviewer).post(
        "/api/v1/policy/", {"high_value_threshold": True}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"]["high_value_threshold"] == ["必须是数字。"]


def test_a_number_written_as_text_still_passes(api, agency_user):
    as_json = api.as_user(agency_user).post(
        "/api/v1/needs/", {**need_body(), "title": "123"}, format="json"
    )

    assert as_json.status_code == 201
    assert as_json.json()["title"] == "123"
    assert isinstance(StringField().run_validation("文本"), str)
