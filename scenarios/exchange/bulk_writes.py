"""The set-based writes of an import (``scenarios.exchange.bulk``): rows in by COPY on
PostgreSQL (``bulk_create`` elsewhere), the audit rows a service would append, the stored
firms an approved list verified or certified in one statement, and fresh refs for rows
that gave none."""

import itertools
import json
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.utils import timezone
from psycopg.types.json import Jsonb

from accounts.models import Organization
from scenarios.facets import lists_changed
from scenarios.models import Capability

# Rows per INSERT statement.
CHUNK = 1000


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(slots=True)
class AuditRow:
    """One row ``activity.services.audit_record`` would append (inserted in bulk here)."""

    actor_id: int | None
    action: str
    target_type: str
    target_id: str
    from_state: str
    to_state: str
    reason: str
    data: dict[str, Any]


AUDIT_COLUMNS = (
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "from_state",
    "to_state",
    "reason",
    "data",
    "created_at",
)


def audit_row(
    actor: Any,
    action: str,
    target: models.Model,
    *,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditRow:
    return AuditRow(
        actor.pk if actor is not None else None,
        action,
        target._meta.label_lower,
        str(target.pk),
        from_state,
        to_state,
        reason,
        data or {},
    )


def copy_rows(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """PostgreSQL's COPY of ``rows`` (values of ``columns``, attribute names) into the
    model's table: the fastest way in, one statement however many rows."""
    meta = model._meta
    quote = connection.ops.quote_name
    fields = {f.attname: f for f in meta.concrete_fields}
    names = ", ".join(quote(fields[c].column) for c in columns)
    json_at = [isinstance(fields[c], models.JSONField) for c in columns]
    # Django translates a driver's errors for execute and fetch, not for COPY: without this a
    # duplicate key (an overlapping import committed meanwhile) escapes as psycopg's own
    # UniqueViolation instead of the IntegrityError the import reports as a conflict.
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.copy(f"COPY {quote(meta.db_table)} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(
                [Jsonb(v) if is_json else v for v, is_json in zip(row, json_at, strict=True)]
            )


def insert(model: type[models.Model], objs: Sequence[models.Model], *, now: Any) -> None:
    """Insert new model instances and give them their pks: on PostgreSQL the pks are drawn
    from the table's sequence in one query and the rows go in by COPY; elsewhere
    ``bulk_create``. Auto timestamps are ``now``; a generated column is left to the
    database, a nullable one nobody set (a search vector) stays NULL."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        for chunk in chunks(objs):
            model._default_manager.bulk_create(chunk)
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not getattr(f, "generated", False)]
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for obj in objs:
                setattr(obj, f.attname, now)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
    names = [f.attname for f in fields]
    copy_rows(model, names, ([getattr(obj, n) for n in names] for obj in objs))
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert plain rows (values of ``columns``), as they come: COPY on PostgreSQL, else
    ``bulk_create`` in chunks."""
    if connection.vendor == "postgresql":
        copy_rows(model, columns, rows)
        return
    stream = iter(rows)
    while chunk := list(itertools.islice(stream, CHUNK)):
        model._default_manager.bulk_create(
            [model(**dict(zip(columns, r, strict=True))) for r in chunk]
        )


FIRM_FIELDS = (
    "verified_at",
    "verified_by",
    "verified_certifications",
    "verified_capacity",
    "certified_at",
)

# One statement for all the stored firms an approved list verified or certified.
UPDATE_FIRMS = """
UPDATE scenarios_organization AS o
   SET verified_at = v.verified_at, verified_by_id = v.verified_by_id,
       verified_certifications = v.certifications::jsonb,
       verified_capacity = v.capacity, certified_at = v.certified_at
  FROM unnest(%s::bigint[], %s::timestamptz[], %s::bigint[], %s::text[], %s::integer[],
              %s::timestamptz[])
       AS v(id, verified_at, verified_by_id, certifications, capacity, certified_at)
 WHERE o.id = v.id
"""


def update_firms(firms: Sequence[Organization]) -> None:
    """Write the verification and certification of stored firms: one UPDATE from arrays
    on PostgreSQL, ``bulk_update`` elsewhere. The public lists count a certification once it
    is checked, so the counts of the firms' capabilities are stale after it."""
    if not firms:
        return
    held = Capability.objects.filter(firm_id__in=[f.pk for f in firms])
    lists_changed(changed=(Capability, held.values_list("pk", flat=True)))
    if connection.vendor != "postgresql":
        Organization.objects.bulk_update(firms, FIRM_FIELDS, batch_size=CHUNK)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            UPDATE_FIRMS,
            [
                [f.pk for f in firms],
                [f.verified_at for f in firms],
                [f.verified_by_id for f in firms],
                [json.dumps(f.verified_certifications) for f in firms],
                [f.verified_capacity for f in firms],
                [f.certified_at for f in firms],
            ],
        )


def unique_refs(prefix: str, wanted: int, taken: set[str], model: type[models.Model]) -> list[str]:
    """``wanted`` refs as ``services.common.new_ref`` makes them, unused in the file and in
    the database (one query per round; a second round is rare)."""
    day = f"{prefix}-{timezone.localdate():%Y%m%d}-"
    refs: list[str] = []
    while len(refs) < wanted:
        fresh: set[str] = set()
        while len(fresh) < wanted - len(refs):
            ref = day + secrets.token_hex(3).upper()
            if ref not in taken:
                fresh.add(ref)
        stored = set(
            model._default_manager.filter(ref__in=list(fresh)).values_list("ref", flat=True)
        )
        taken |= fresh
        refs.extend(sorted(fresh - stored))
    return refs
