"""Row-lock helpers: always lock in primary-key order to avoid deadlocks."""

import hashlib
from collections.abc import Iterable
from typing import TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


def lock_one(model: type[M], pk: object) -> M:
    """Lock one row FOR UPDATE inside the caller's transaction and return it fresh."""
    return model._default_manager.select_for_update().get(pk=pk)


def lock_many(model: type[M], pks: Iterable[object]) -> list[M]:
    """Lock several rows FOR UPDATE in primary-key order."""
    return list(model._default_manager.select_for_update().filter(pk__in=list(pks)).order_by("pk"))


def lock_name(name: str) -> None:
    """Hold a lock named ``name`` until the caller's transaction ends (PostgreSQL's
    transaction-level advisory lock; SQLite runs one writer at a time anyway): for a check
    no row can be locked for, such as "no other organization reads like this name"."""
    if connection.vendor != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
