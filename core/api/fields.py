"""Serializer fields the apps' input serializers share."""

from typing import Any

from rest_framework import serializers

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
