"""Row-lock helpers: always lock in primary-key order to avoid deadlocks."""

from collections.abc import Iterable
from typing import TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def lock_one(model: type[M], pk: object) -> M:
    """Lock one row FOR UPDATE inside the caller's transaction and return it fresh."""
    return model._default_manager.select_for_update().get(pk=pk)


def lock_many(model: type[M], pks: Iterable[object]) -> list[M]:
    """Lock several rows FOR UPDATE in primary-key order."""
    return list(model._default_manager.select_for_update().filter(pk__in=list(pks)).order_by("pk"))
