"""Serializer fields the apps' input serializers share."""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.validation import text_problem

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


class Int64Field(serializers.IntegerField):
    """A whole number a PostgreSQL ``bigint`` (and SQLite's integer) holds.

    DRF's ``IntegerField`` takes any size; a larger number reached the database, where
    SQLite raises ``OverflowError`` (a 500). Here it is a 400 naming the bound, and the
    schema states the bounds. Tighter ``min_value``/``max_value`` may be given.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", INT64_MIN)
        kwargs.setdefault("max_value", INT64_MAX)
        super().__init__(**kwargs)


class IdField(Int64Field):
    """The id of a row (a ``BigAutoField``): 1 to 2**63 - 1."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        super().__init__(**kwargs)


class TextOnly(serializers.CharField):
    """Text, as the schema says: DRF's ``CharField`` (and its slug and e-mail fields) also
    take a JSON number (``0`` became ``"0"``), so a client sending the wrong type never heard
    of it. Here any other JSON type is a 400 on the field."""

    default_error_messages = {"not_text": _("必须是文本（字符串）。")}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_text")
        text = str(super().to_internal_value(data))
        # Escape, bell, bidirectional overrides: what the importer refuses, every write
        # refuses, so a list exported from the service imports again.
        problem = text_problem(text)
        if problem:
            raise serializers.ValidationError(problem, code="invisible")
        return text


class StringField(TextOnly):
    """A text field of a request (DRF's ``CharField``, text only)."""


class SlugStringField(TextOnly, serializers.SlugField):
    """A slug of a request (DRF's ``SlugField``, text only)."""


class EmailStringField(TextOnly, serializers.EmailField):
    """An e-mail address of a request (DRF's ``EmailField``, text only)."""


class RealField(serializers.FloatField):
    """A real number of a request: DRF's ``FloatField`` also takes ``true`` as 1.0."""

    default_error_messages = {"not_number": _("必须是数字。")}

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool):
            self.fail("not_number")
        return float(super().to_internal_value(data))


# DRF's ModelSerializer, with the model's text columns read by StringField. (A comment, not a
# docstring: the schema would describe every serializer deriving from it with it.)
class ModelSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StringField,
        models.TextField: StringField,
        models.SlugField: SlugStringField,
        models.EmailField: EmailStringField,
        models.FloatField: RealField,
    }
