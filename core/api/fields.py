"""Serializer fields the apps' input serializers share."""

import math
from collections.abc import Collection, Mapping
from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from core.validation import text_problem
from core.words import listing

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


class WholeNumberField(serializers.IntegerField):
    """A whole number of a request, written in ASCII digits.

    DRF's ``IntegerField`` reads a string with Python's ``int()``, which takes "1_000" and
    other scripts' digits ("１０００", "٣٠٠"): here those are a 400 saying how to write it.
    A JSON number with no fraction (``1e20``) is that whole number, so a large one gets the
    bound's message, as its 21 digits do, not "not a valid integer"."""

    default_error_messages = {
        "ascii_digits": _("请只用半角数字 0–9 书写，不含下划线等分隔符。"),
    }

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, str) and (not data.isascii() or "_" in data):
            self.fail("ascii_digits")
        if isinstance(data, float) and math.isfinite(data) and data.is_integer():
            data = int(data)
        return int(super().to_internal_value(data))


class Int64Field(WholeNumberField):
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


class StrictBooleanField(serializers.BooleanField):
    """A yes/no of a JSON body: ``true`` or ``false`` only, as the schema says. DRF's
    ``BooleanField`` also reads ``1``, ``"yes"``, ``"on"`` as true and ``0``, ``"no"`` as
    false, so a client sending the wrong type was never told."""

    default_error_messages = {"not_boolean": _("必须是 true 或 false。")}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("not_boolean")
        return data


# At most this many unknown or read-only keys are named in one error, each cut to this
# length: a body of 10,000 made-up keys gets a short answer.
MAX_NAMED_KEYS = 20
MAX_KEY_LENGTH = 64


def _names(values: Collection[str]) -> str:
    return listing(sorted(values))


# Refuses what a body sends that the serializer does not take, instead of dropping it: a key
# the serializer has no field for ("未知字段", naming the ones it takes), a key that is a
# read-only field, a field of the resource's representation (``output_serializer``) or a
# field only a create takes (``create_only_fields``, when an ``instance`` is being changed)
# ("只读字段"), and a field only a change takes (``update_only_fields``) on a create. Nested
# serializers (list items) check their own keys. All errors of a body come back together,
# with the fields' own. (Comments, not docstrings: the schema would describe every
# serializer deriving from these with it.)
class StrictInputMixin:
    # The serializer that renders the resource this body creates or changes: its fields that
    # this body does not take are refused as read-only rather than unknown.
    output_serializer: ClassVar[type[serializers.Serializer[Any]] | None] = None
    # Fields a create takes that a change of an existing ``instance`` does not (the
    # organization it belongs to, its ref): refused as read-only there.
    create_only_fields: ClassVar[tuple[str, ...]] = ()
    # Fields a change takes that a create does not (the version the change was written
    # against): refused when no ``instance`` is being changed.
    update_only_fields: ClassVar[tuple[str, ...]] = ()

    fields: Any
    instance: Any

    def _read_only_names(self, writable: Collection[str]) -> set[str]:
        names = {name for name, field in self.fields.items() if field.read_only}
        if self.output_serializer is not None:
            names |= set(self.output_serializer().fields) - set(writable)
        return names

    def key_errors(self, data: Mapping[Any, Any]) -> dict[str, list[str]]:
        """The errors of the keys of ``data`` this serializer does not take."""
        writable = {name for name, field in self.fields.items() if not field.read_only}
        if self.instance is not None:
            writable -= set(self.create_only_fields)
        else:
            writable -= set(self.update_only_fields)
        extra = [str(key) for key in data if key not in writable]
        if not extra:
            return {}
        read_only = self._read_only_names(writable) | set(self.create_only_fields)
        if writable:
            unknown = gettext("未知字段。可用：%(known)s。") % {"known": _names(writable)}
        else:
            unknown = gettext("未知字段。此处不接受任何字段。")
        return {
            key[:MAX_KEY_LENGTH]: [
                gettext("只在修改时提供，新建时不接受。")
                if self.instance is None and key in self.update_only_fields
                else gettext("只读字段，不能在此修改。")
                if key in read_only
                else unknown
            ]
            for key in sorted(extra)[:MAX_NAMED_KEYS]
        }

    def to_internal_value(self, data: Any) -> Any:
        errors = self.key_errors(data) if isinstance(data, Mapping) else {}
        try:
            value = super().to_internal_value(data)  # type: ignore[misc]
        except ValidationError as exc:
            if errors and isinstance(exc.detail, dict):
                raise ValidationError({**exc.detail, **errors}) from None
            raise
        if errors:
            raise ValidationError(errors)
        return value


# DRF's Serializer for request bodies, strict about their keys (StrictInputMixin).
class Serializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    pass


# The body of a write that takes no fields: an empty object (or no body at all).
class NoInputSerializer(Serializer):
    pass


def reject_body_fields(data: Any) -> None:
    """Refuse a body with fields where the endpoint takes none (400 naming each)."""
    NoInputSerializer(data=data if data else {}).is_valid(raise_exception=True)


# DRF's ModelSerializer, with the model's text columns read by StringField, strict about a
# body's keys like Serializer. (A comment, not a docstring: the schema would describe every
# serializer deriving from it with it.)
class ModelSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StringField,
        models.TextField: StringField,
        models.SlugField: SlugStringField,
        models.EmailField: EmailStringField,
        models.FloatField: RealField,
    }
