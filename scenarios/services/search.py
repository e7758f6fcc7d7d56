"""The lists' search index: each need's and capability's ``search_vector`` (PostgreSQL).

The vector holds the distinct bigrams of the upper-cased text of the fields a search of the
lists reads (title, description, ref, keywords as JSON text and as plain elements, and a
capability's firm's name), each field ending in a separator so that every character starts
a bigram; the SQL functions ``scenarios_search_grams`` (text → ``tsvector``) and
``scenarios_search_query`` (a word → ``tsquery``) of migration ``0014_search_vectors`` build
both sides the same way, so a text holding a word holds all its bigrams and the index never
misses a row the substring search (``core.search``) finds. Case follows the database's
``upper()``, as the substring search's case-insensitive match does.

The services index a row after every change of its text (``need_create``/``need_update``,
``capability_create``/``capability_update``: imports and copies go through them), and a
rename of an organization indexes its capabilities again (``organization_saved``, a
receiver: the organization's services are the accounts app's, which cannot call this one).
A ``save()`` that writes text clears the vector (``scenarios.models.common``), so no row is
hidden by a stale one. Rows written around all of these (a bulk load, ``QuerySet.update``
of a text) may leave the vector NULL or stale: a NULL row is still found by its text, and
``index_pending`` (or ``manage.py search_index [--all]``) fills them in, in batches. On
SQLite there is no index and these functions do nothing.
"""

from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction

from scenarios.facets import lists_changed
from scenarios.models import Capability, ScenarioNeed

BATCH = 2000
# The text of a row of either list, from its own columns, and a capability's with its firm's
# name (``{text}``: where further text goes).
TEXT_SQL = (
    "concat_ws(chr(1), title, description, ref, keywords::text, "
    "array_to_string(ARRAY(SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(keywords) "
    "= 'array' THEN keywords ELSE '[]'::jsonb END)), chr(1)){text}, '')"
)
FIRM_NAME_SQL = ", (SELECT firm.name FROM scenarios_organization firm WHERE firm.id = firm_id)"
VECTOR_SQL = {
    ScenarioNeed: f"scenarios_search_grams({TEXT_SQL.format(text='')})",
    Capability: f"scenarios_search_grams({TEXT_SQL.format(text=FIRM_NAME_SQL)})",
}
ListModel = type[ScenarioNeed] | type[Capability]


def _update(model: ListModel, ids: list[int], where: str = "id = ANY(%s)") -> int:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        # The table name is the model's own; the ids are a parameter.
        cursor.execute(
            f"UPDATE {table} SET search_vector = {VECTOR_SQL[model]} WHERE {where}",  # noqa: S608
            [ids],
        )
        return int(cursor.rowcount)


def _index(model: ListModel, ids: Iterable[int]) -> int:
    """Index the rows ``ids`` of ``model``, ``BATCH`` rows per statement; how many."""
    if connection.vendor != "postgresql":
        return 0
    wanted = sorted(set(ids))
    done = 0
    for start in range(0, len(wanted), BATCH):
        with transaction.atomic():
            done += _update(model, wanted[start : start + BATCH])
    return done


def index_needs(*, ids: Iterable[int]) -> int:
    """Write the search vectors of the needs ``ids`` from their text (set-based: one
    ``UPDATE`` per ``BATCH`` rows); how many rows were indexed."""
    return _index(ScenarioNeed, ids)


def index_capabilities(*, ids: Iterable[int]) -> int:
    """Write the search vectors of the capabilities ``ids`` from their text."""
    return _index(Capability, ids)


def index_firm_capabilities(*, firm_ids: Iterable[int]) -> int:
    """Write the search vectors of the capabilities of the firms ``firm_ids`` (their vectors
    hold the firm's name: after a rename); how many rows were indexed."""
    if connection.vendor != "postgresql":
        return 0
    return _update(Capability, sorted(set(firm_ids)), where="firm_id = ANY(%s)")


def organization_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """Receiver of every save of an organization: a name written again (a full save or one
    naming ``name``) is indexed again in its capabilities' vectors, in the same transaction.
    A new organization has no capabilities yet. The lists' cached counts move on too."""
    fields = kwargs.get("update_fields")
    if not created and (fields is None or "name" in fields):
        index_firm_capabilities(firm_ids=[instance.pk])
        # Searches match the firm's name: the counts of its capabilities' segments are
        # stale too (a stale 0 would cut the page of the new name's matches to nothing).
        mine = Capability._base_manager.filter(firm_id=instance.pk).values_list("pk", flat=True)
        lists_changed(changed=(Capability, list(mine)))


def _pending(model: ListModel, *, everything: bool) -> int:
    if connection.vendor != "postgresql":
        return 0
    done, after = 0, 0
    rows = model._base_manager.order_by("pk")
    if not everything:
        rows = rows.filter(search_vector__isnull=True)
    while True:
        ids = list(rows.filter(pk__gt=after).values_list("pk", flat=True)[:BATCH])
        if not ids:
            return done
        with transaction.atomic():
            done += _update(model, ids)
        after = ids[-1]


def index_pending(*, everything: bool = False) -> dict[str, int]:
    """Index the needs and capabilities whose vector is NULL (``everything``: every row,
    after a change of the vector's definition); rows per list."""
    return {
        "needs": _pending(ScenarioNeed, everything=everything),
        "capabilities": _pending(Capability, everything=everything),
    }
