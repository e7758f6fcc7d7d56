"""Facet counts of the public lists: how many items of the current selection fall under each
value of each facet, computed in the database (aggregates, never a loop over items).

Chain and region counts are of items *in the subtree* of a node, each item counted once
however many of its chains or regions lie under the node. The database counts items per
region and per *set of chains* (the ``chain_ids`` column, kept equal to the links by
``sync_chain_ids``) in the same scan as the other facets; the few hundred to few thousand
sets are rolled up the taxonomy here. Counts of a selection are cached
under the lists' *generation*, a number that moves on after every committed write of a
need or a capability (``lists_changed``), so a count is never older than the list beside
it; ``FACET_CACHE_SECONDS`` only bounds how long unused selections stay in the cache.

The size of a list's selection (``count_for_lists``, what a page of the API says) is kept
finer: per *segment* of the table (``SEGMENT_ROWS`` consecutive ids or a multiple, at most
``MAX_SEGMENTS`` of them), each segment under a token of its own that a committed write of
one of its rows replaces. After a write only the
segments it touched are counted again (a few thousand rows through the primary key) and
the others' counts are added, so the count stays exact without scanning a whole search's
matches again. A bulk import and a firm's new name name the rows they wrote
(``lists_changed(changed=…)``); a change that cannot say (a chain deleted, links cleared
from a chain's side, ``lists_changed()`` without arguments) replaces the *epoch*, which
every segmented count is kept under with the reference data's token. A kept count is
counted whole again once ``FACET_CACHE_SECONDS`` old (a token write the cache dropped).
docs/design-notes.md has the reasons.
"""

import contextlib
import functools
import hashlib
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    F,
    Max,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.db.models.sql.query import Query
from django.db.models.sql.where import WhereNode

from core.search import without_index
from core.tasks import enqueue_on_commit
from reference.selectors import (
    ChainNode,
    built_from_reference,
    chains_by_id,
    regions_by_code,
)
from reference.services import GENERATION_KEY as REFERENCE_GENERATION_KEY
from scenarios.choices import Certification
from scenarios.filters import certification_q
from scenarios.models import Capability, ScenarioNeed

FACET_CACHE_SECONDS = 600
# For the counting transaction only: the settings it replaces are read first, so that inside
# an outer transaction they are put back afterwards.
PARALLEL_COUNTING = (
    "SELECT current_setting('parallel_setup_cost'), current_setting('parallel_tuple_cost'), "
    "current_setting('max_parallel_workers_per_gather'), "
    "set_config('parallel_setup_cost', '100', true), "
    "set_config('parallel_tuple_cost', '0.01', true), "
    "set_config('max_parallel_workers_per_gather', %s, true)"
)
PARALLEL_RESTORE = (
    "SELECT set_config('parallel_setup_cost', %s, true), "
    "set_config('parallel_tuple_cost', %s, true), "
    "set_config('max_parallel_workers_per_gather', %s, true)"
)
GENERATION_KEY = "scenarios:lists-generation"
# Segmented counts: their epoch, the token of each segment, and the rows of a segment.
EPOCH_KEY = "scenarios:lists-epoch"
SEGMENT_KEY = "scenarios:lists-segment:{label}:{width}:{segment}"
# Segments are SEGMENT_ROWS ids wide, or 4, 16, … times that: the narrowest that cuts the
# table's ids into at most MAX_SEGMENTS (ids are never reused, and rolled-back inserts skip
# some, so the highest id, not the row count, decides). A write replaces its row's token at
# every width, so whichever width a reader uses sees it.
SEGMENT_ROWS = 1024
SEGMENT_WIDTH_STEPS = 8
MAX_SEGMENTS = 256
# A few segments of a selection matching many rows are counted again by reading their rows'
# text through the primary key, without the search index: testing a thousand rows'
# substrings is cheaper than testing their search vectors (kilobytes each) or reading a
# common bigram's whole posting list (16 → 10 ms for 检测 over 4,096 rows). A selection
# matching few rows is counted through the index (a rare word's posting list is short).
TEXT_SEGMENTS = 8
TEXT_DENSITY = 0.02
# For those few segments: their rows are joined to what a filter needs (a chain's links) key
# by key, not by hashing the whole link table (a chain filter's segment 57 → 4 ms).
# Parallel workers are off for it too: they cost more to start than such a count takes, and
# with them the planner read a chain filter's two segments through the whole status index
# (13 ms) instead of the primary key's two id ranges (6 ms).
KEYED_JOINS = (
    "SELECT current_setting('enable_hashjoin'), current_setting('enable_mergejoin'), "
    "current_setting('max_parallel_workers_per_gather'), "
    "set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true), "
    "set_config('max_parallel_workers_per_gather', '0', true)"
)
KEYED_RESTORE = (
    "SELECT set_config('enable_hashjoin', %s, true), set_config('enable_mergejoin', %s, true), "
    "set_config('max_parallel_workers_per_gather', %s, true)"
)
# A kept count holds each token's first characters.
KEPT_TOKEN_CHARS = 8
# Set while a warm-up of the counts waits in the queue; it expires in case the task is lost.
WARM_PENDING_KEY = "scenarios:lists-warm-pending"
WARM_PENDING_SECONDS = 300
# Budget buckets of the opportunity list, in yuan: [lower, upper) with None open-ended.
BUDGET_BUCKETS: tuple[tuple[int | None, int | None], ...] = (
    (None, 500_000),
    (500_000, 2_000_000),
    (2_000_000, 5_000_000),
    (5_000_000, None),
)


@dataclass
class Facets:
    """Counts of one selection: ``values`` per plain facet, ``chains`` by chain id and
    ``regions`` by region code, both counting the subtree."""

    total: int
    values: dict[str, dict[Any, int]] = field(default_factory=dict)
    chains: dict[int, int] = field(default_factory=dict)
    regions: dict[str, int] = field(default_factory=dict)


def _token(key: str) -> str:
    """The token under ``key``; a cache that lost it starts a new one, so no count kept
    under an older token can be mistaken for it."""
    token = cache.get(key)
    if token is None:
        cache.add(key, uuid.uuid4().hex, None)
        token = cache.get(key)
    return str(token)


def lists_generation() -> str:
    """The current generation of the public lists: a token, replaced after every write."""
    return _token(GENERATION_KEY)


def _bump() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)
    # The unfiltered lists are what most visitors open: count them now, not on a visit.
    # One warm-up waits at a time: it counts the generation current when it starts, so the
    # changes made while it waits need no task of their own. (One task per change piled up
    # hundreds of counts ahead of matching in the worker's queue under a stream of writes.)
    if settings.LISTS_WARM_COUNTS and cache.add(WARM_PENDING_KEY, 1, WARM_PENDING_SECONDS):
        enqueue_on_commit("scenarios.warm_list_counts")


class _Stale:
    """The after-commit work of one transaction's writes: the generation moves on once, and
    each segment written (or the epoch) gets a new token."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.done = False

    def __call__(self) -> None:
        self.done = True
        cache.set_many({key: uuid.uuid4().hex for key in self.keys}, None)
        _bump()


def _segment_widths() -> list[int]:
    return [SEGMENT_ROWS * 4**step for step in range(SEGMENT_WIDTH_STEPS)]


def _segment_keys(model: Any, pk: Any) -> set[str]:
    """The token keys of the segments holding row ``pk``, one per width."""
    label = model._meta.label_lower
    return {
        SEGMENT_KEY.format(label=label, width=width, segment=int(pk) // width)
        for width in _segment_widths()
    }


def _stale_keys(instance: Any, kwargs: dict[str, Any]) -> set[str]:
    """The token keys a signal's change makes stale: the segments of the rows it names (the
    saved or deleted row; the items whose links a chain's side changed), else the epoch."""
    if kwargs.get("reverse"):  # links changed from a chain: the items are ``pk_set``
        items, ids = kwargs.get("model"), kwargs.get("pk_set")
        if items in (ScenarioNeed, Capability) and ids:
            return {key for pk in ids for key in _segment_keys(items, pk)}
        return {EPOCH_KEY}
    if isinstance(instance, ScenarioNeed | Capability) and instance.pk is not None:
        return _segment_keys(type(instance), instance.pk)
    return {EPOCH_KEY}


def lists_changed(
    *, instance: Any = None, changed: tuple[Any, Iterable[int]] | None = None, **kwargs: Any
) -> None:
    """Receiver of every save and delete of a need or capability, and of their chain links:
    after commit, the cached counts of the lists are stale (the generation moves on once per
    transaction, and the segments of the rows written or, for a change the signal cannot
    place, the epoch). Code writing around the signals calls it with ``changed`` (the model
    and the ids of the rows it wrote), or without arguments when it cannot say."""
    connection = transaction.get_connection()
    if changed is not None:
        model, ids = changed
        keys = {key for pk in ids for key in _segment_keys(model, pk)}
    else:
        keys = _stale_keys(instance, kwargs)
    if connection.in_atomic_block:
        for entry in connection.run_on_commit:
            if isinstance(entry[1], _Stale) and not entry[1].done:
                entry[1].keys |= keys
                return
    stale = _Stale()
    stale.keys |= keys
    # robust: a cache or broker that fails here must not fail the request whose change is
    # already committed, nor skip the other after-commit work (events, e-mails).
    transaction.on_commit(stale, robust=True)


def cached_for_lists(key: str, compute: Any, timeout: int = FACET_CACHE_SECONDS) -> Any:
    """``compute()`` cached under ``key`` for the current generation of the lists."""
    full_key = f"{key}:g{lists_generation()}"
    found = cache.get(full_key)
    if found is None:
        found = compute()
        cache.set(full_key, found, timeout)
    return found


def _tokens(keys: list[str]) -> list[str]:
    """The tokens under ``keys`` (one round trip when they exist). Missing ones (never
    written, or lost by the cache) are started afresh and read back: a writer's token set
    meanwhile may win over ours, which only makes the next visitor count again."""
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        cache.set_many({key: uuid.uuid4().hex for key in missing}, None)
        found.update(cache.get_many(missing))
    # A cache that refuses writes (down, or pausing after a timeout) keeps nothing: every
    # visitor then counts the whole selection, exact.
    return [str(found.get(key, uuid.uuid4().hex)) for key in keys]


@contextlib.contextmanager
def _planner_settings(change: str, restore: str, params: list[str] | None = None) -> Iterator[None]:
    """Run the block in a transaction (a savepoint inside the caller's) whose planner
    settings ``change`` sets for it only (``set_config(…, true)``, after reading the three
    it replaces). Inside a transaction of the caller's (an atomic block, or autocommit off)
    they would outlive the block, so ``restore`` puts them back; a block that fails rolls
    its savepoint back, and the settings with it."""
    nested = connection.in_atomic_block or not connection.get_autocommit()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(change, params)
        previous = cursor.fetchone()[:3]
        yield
        if nested:  # the caller's transaction goes on: give it back its settings
            cursor.execute(restore, list(previous))


def _segment_counts(
    rows: QuerySet[Any], width: int, segments: list[int] | None, *, dense: bool = True
) -> dict[int, int]:
    """How many of ``rows`` lie in each segment of ``width`` ids (all, or only
    ``segments``): one query."""
    rows = rows.order_by()
    if segments is not None:
        within = Q()
        for s in segments:
            within |= Q(pk__gte=s * width, pk__lt=(s + 1) * width)
        rows = rows.filter(within)
    grouped = (
        rows.annotate(_segment=Cast(F("pk"), BigIntegerField()) / width)
        .values("_segment")
        .annotate(_rows=Count("pk"))
        .values_list("_segment", "_rows")
    )
    if segments is None or len(segments) > TEXT_SEGMENTS:
        return {int(s): int(n) for s, n in grouped}
    by_text = without_index() if dense else contextlib.nullcontext()
    if connection.vendor != "postgresql":
        with by_text:
            return {int(s): int(n) for s, n in grouped}
    with _planner_settings(KEYED_JOINS, KEYED_RESTORE), by_text:
        return {int(s): int(n) for s, n in grouped}


def _reads_other_rows(query: Any) -> bool:
    """Whether a row's place in the selection may depend on other rows: a subquery cut by
    ``LIMIT`` (relevance's window of the first matches) admits a row only while fewer newer
    ones match, so a write of one row moves another in or out of it."""
    stack = [query]
    while stack:
        node = stack.pop()
        if isinstance(node, QuerySet):
            node = node.query
        if isinstance(node, Exists):  # EXISTS (… LIMIT 1): whether the row has a match
            stack.append(node.query.where)
        elif isinstance(node, Query):
            if node.is_sliced:
                return True
            stack.append(node.where)
        elif isinstance(node, WhereNode):
            stack.extend(node.children)
        elif hasattr(node, "get_source_expressions"):
            stack.extend(node.get_source_expressions())
            for side in (getattr(node, "lhs", None), getattr(node, "rhs", None)):
                if side is not None:  # never truth-tested: that would run a queryset
                    stack.append(side)
            inner = getattr(node, "query", None)
            if inner is not None:
                stack.append(inner)
    return False


def count_for_lists(
    key: str, rows: QuerySet[Any], timeout: int = FACET_CACHE_SECONDS, *, kept_only: bool = False
) -> int | None:
    """How many rows a selection of a public list holds, exact for the lists as they are
    (see the module's note): counted per segment, and after a write only in the segments
    it touched. A selection that is not plain rows of one segmented table is counted whole
    under the generation. ``kept_only``: None instead of counting the whole selection (the
    caller has a cheaper way when nothing is kept)."""
    model = rows.model
    query = rows.query
    if (
        model not in (ScenarioNeed, Capability)
        or query.distinct
        or query.group_by is not None
        or query.combinator
        or _reads_other_rows(query)
    ):
        return None if kept_only else int(cached_for_lists(key, rows.count, timeout))
    # Tokens first, rows after: a write committed between them is counted and its new
    # token makes the next visitor count its segment again; never the other way round.
    top = int(model._base_manager.order_by().aggregate(top=Max("pk"))["top"] or 0)
    width = next((w for w in _segment_widths() if top // w < MAX_SEGMENTS), None)
    if width is None:
        return None if kept_only else int(cached_for_lists(key, rows.count, timeout))
    label = model._meta.label_lower
    keys = [
        EPOCH_KEY,
        REFERENCE_GENERATION_KEY,  # a division or chain moved changes the region/chain filters
        *(SEGMENT_KEY.format(label=label, width=width, segment=s) for s in range(top // width + 1)),
    ]
    found = _tokens(keys)
    epoch, tokens = found[0] + found[1], [t[:KEPT_TOKEN_CHARS] for t in found[2:]]
    full_key = f"{key}:w{width}:e{epoch}"
    kept = cache.get(full_key)
    now = time.time()
    # A token write the cache dropped (an outage) could leave a segment's count stale until
    # that segment is written again: every kept count is counted whole again after
    # ``timeout`` seconds, however often its segments were counted since.
    if kept is None or now - kept["whole_at"] > timeout:
        if kept_only:
            return None
        whole_at, counts = now, _segment_counts(rows, width, None)
    else:
        before = kept["tokens"]
        stale = [s for s, t in enumerate(tokens) if s >= len(before) or before[s] != t]
        # Segments past the highest id hold no rows now (their rows were deleted).
        counts = {s: n for s, n in kept["counts"].items() if s < len(tokens)}
        if not stale and len(counts) == len(kept["counts"]):
            return sum(counts.values())
        whole_at = kept["whole_at"]
        if 2 * len(stale) > len(tokens):
            if kept_only:
                return None
            whole_at, counts = now, _segment_counts(rows, width, None)
        elif stale:
            fresh = set(stale)
            density = sum(counts.values()) / max(1, (top + 1))
            counts = {s: n for s, n in counts.items() if s not in fresh}
            counts.update(_segment_counts(rows, width, stale, dense=density >= TEXT_DENSITY))
    cache.set(full_key, {"tokens": tokens, "counts": counts, "whole_at": whole_at}, timeout)
    return sum(counts.values())


def _value_counts(qs: QuerySet[Any], field_name: str) -> dict[Any, int]:
    rows = qs.order_by().values(field_name).annotate(n=Count("pk"))
    return {row[field_name]: row["n"] for row in rows if row[field_name] is not None}


def _grouped_counts(
    qs: QuerySet[Any], keys: list[str], totals: dict[str, Q]
) -> tuple[dict[str, dict[Any, int]], dict[str, int]]:
    """Counts of ``qs`` per value of each of ``keys``, and the ``totals`` (conditional
    counts of the whole selection). On PostgreSQL one scan (``GROUPING SETS``); elsewhere
    one query per key."""
    qs = qs.order_by()
    if connection.vendor != "postgresql":
        return _grouped_counts_portable(qs, keys, totals)
    if qs.query.is_empty():
        return {key: {} for key in keys}, {"total": 0, **dict.fromkeys(totals, 0)}
    # The row's id goes along: a selection made DISTINCT (a multiple-choice filter does)
    # otherwise folded items alike in every counted column into one (four needs of one
    # category, region, TRL and chains counted, and so listed, as one).
    annotated = qs.annotate(
        **{f"t_{n}": Case(When(q, then=Value(1)), default=Value(0)) for n, q in totals.items()}
    ).values("pk", *keys, *[f"t_{n}" for n in totals])
    inner, params = annotated.query.sql_with_params()
    quoted = [connection.ops.quote_name(k) for k in keys]
    select = [
        *quoted,
        *[f"GROUPING({k})" for k in quoted],
        "COUNT(*)",
        *[f"SUM({connection.ops.quote_name('t_' + n)})" for n in totals],
    ]
    sets = ", ".join([*[f"({k})" for k in quoted], "()"])
    # Names are quoted by the backend and every value is a parameter.
    sql = f"SELECT {', '.join(select)} FROM ({inner}) facet GROUP BY GROUPING SETS ({sets})"  # noqa: S608
    by_key: dict[str, dict[Any, int]] = {key: {} for key in keys}
    sums: dict[str, int] = dict.fromkeys(totals, 0)
    width = len(keys)
    # A count reads a large share of the table, and a word search tests every row's text:
    # worth splitting over the cores, which PostgreSQL's default costs (blind to what LIKE
    # costs per row) never choose here. For this count only.
    with (
        _planner_settings(PARALLEL_COUNTING, PARALLEL_RESTORE, [str(settings.LISTS_COUNT_WORKERS)]),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for row in rows:
        values, grouping = row[:width], row[width : 2 * width]
        grouped = [i for i, g in enumerate(grouping) if g == 0]
        if not grouped:  # the () set: the whole selection
            sums = {n: int(v or 0) for n, v in zip(totals, row[2 * width + 1 :], strict=True)}
            sums["total"] = int(row[2 * width])
        elif values[grouped[0]] is not None:
            by_key[keys[grouped[0]]][values[grouped[0]]] = int(row[2 * width])
    sums.setdefault("total", sum(by_key[keys[0]].values()) if keys else 0)
    return by_key, sums


def _grouped_counts_portable(
    qs: QuerySet[Any], keys: list[str], totals: dict[str, Q]
) -> tuple[dict[str, dict[Any, int]], dict[str, int]]:
    """``_grouped_counts`` for databases without ``GROUPING SETS`` (SQLite): one query per
    key and one for the totals."""
    sums = qs.aggregate(total=Count("pk"), **{n: Count("pk", filter=q) for n, q in totals.items()})
    return {key: _value_counts(qs, key) for key in keys}, {n: int(v) for n, v in sums.items()}


def _region_counts(direct: dict[str, int]) -> dict[str, int]:
    """Items per region code, each region counting its whole subtree."""
    regions = regions_by_code()
    rolled: dict[str, int] = {}
    for code, n in direct.items():
        node = regions.get(code)
        for ancestor in (node.path if node else f"{code}/").rstrip("/").split("/"):
            rolled[ancestor] = rolled.get(ancestor, 0) + n
    return rolled


def _chain_counts(direct: dict[str, int]) -> dict[int, int]:
    """Items per chain node, counting the node's whole subtree, from the counts of items per
    set of chains (``chain_ids``): each set adds its items once to every node that holds one
    of its chains, so an item with two tracks under one root counts once for the root."""
    by_id = chains_by_id()
    covered = built_from_reference("chain-ids-covered", _covered_nodes)
    rolled: dict[int, int] = dict.fromkeys(by_id, 0)
    for chain_ids, n in direct.items():
        for node_id in covered(chain_ids or ""):
            rolled[node_id] += n
    return {node_id: n for node_id, n in rolled.items() if n}


def _covered_nodes() -> Any:
    """For the taxonomy now loaded: a cached function from a ``chain_ids`` value to the
    nodes it counts for (its chains and their ancestors). The same few thousand sets come
    back on every count, so each is parsed once per process and taxonomy."""
    by_id = chains_by_id()
    up = {cid: tuple(a.id for a in _ancestors(node)) for cid, node in by_id.items()}

    @functools.lru_cache(maxsize=200_000)
    def covered(chain_ids: str) -> tuple[int, ...]:
        # Pieces that are not ids (a hand-edited "15,") are skipped, never a 500.
        ids = [int(p) for p in chain_ids.split(",") if p.strip().isdigit()]
        return tuple(dict.fromkeys(a for cid in ids for a in up.get(cid, ())))

    return covered


def _ancestors(node: ChainNode) -> list[ChainNode]:
    """The node and its ancestors, nearest first."""
    by_id = chains_by_id()
    chain = [node]
    while chain[-1].parent_id is not None and chain[-1].parent_id in by_id:
        chain.append(by_id[chain[-1].parent_id])
    return chain


def _cached(kind: str, qs: QuerySet[Any], compute: Any) -> Facets:
    if qs.query.is_empty():  # e.g. a chain or region that does not exist: nothing to count
        empty: Facets = compute()
        return empty
    sql, params = qs.query.sql_with_params()
    digest = hashlib.sha256(f"{sql}|{params}".encode()).hexdigest()[:32]
    found: Facets = cached_for_lists(f"facets:{kind}:{digest}", compute)
    return found


def need_facets(*, needs: QuerySet[ScenarioNeed]) -> Facets:
    """Facets of a selection of the opportunity list: category, validation type, minimum
    TRL, budget bucket (and no budget), high value, chain and region subtrees."""
    qs = needs.order_by()

    def compute() -> Facets:
        totals = {
            f"budget_{i}": (Q(budget_cny__gte=low) if low is not None else Q())
            & (Q(budget_cny__lt=high) if high is not None else Q())
            & Q(budget_cny__isnull=False)
            for i, (low, high) in enumerate(BUDGET_BUCKETS)
        }
        totals["budget_unset"] = Q(budget_cny__isnull=True)
        totals["high_value"] = Q(is_high_value=True)
        totals["major"] = Q(is_major=True)
        by_key, sums = _grouped_counts(
            qs, ["category", "validation_type", "min_trl", "region_id", "chain_ids"], totals
        )
        return Facets(
            total=sums["total"],
            values={
                "category": by_key["category"],
                "validation_type": by_key["validation_type"],
                "trl": by_key["min_trl"],
                "budget": {i: sums[f"budget_{i}"] for i in range(len(BUDGET_BUCKETS))},
                "budget_unset": {True: sums["budget_unset"]},
                "high_value": {True: sums["high_value"]},
                "major": {True: sums["major"]},
            },
            chains=_chain_counts(by_key["chain_ids"]),
            regions=_region_counts(by_key["region_id"]),
        )

    return _cached("need", qs, compute)


def capability_facets(*, capabilities: QuerySet[Capability]) -> Facets:
    """Facets of a selection of the capability list: TRL, certification, chain and region
    subtrees."""
    qs = capabilities.order_by()

    def compute() -> Facets:
        totals = {value: certification_q(value, checked=True) for value in Certification.values}
        by_key, sums = _grouped_counts(qs, ["trl", "region_id", "chain_ids"], totals)
        total = sums.pop("total")
        return Facets(
            total=total,
            values={"trl": by_key["trl"], "certification": sums},
            chains=_chain_counts(by_key["chain_ids"]),
            regions=_region_counts(by_key["region_id"]),
        )

    return _cached("capability", qs, compute)


def public_counts() -> dict[str, int]:
    """The home page's counts (needs, capabilities, firms, validated pilots), cached for
    the lists' generation."""
    from scenarios.selectors import public_list_counts

    counts: dict[str, int] = cached_for_lists("lists:counts", public_list_counts)
    return counts


def warm_list_counts() -> None:
    """Compute and cache the counts of the unfiltered lists and the home page (the task
    ``scenarios.warm_list_counts`` after every change of the lists)."""
    from scenarios.selectors import capability_public_list, need_public_list

    # From here on a change needs a warm-up of its own: this one may count before it.
    cache.delete(WARM_PENDING_KEY)
    public_counts()
    need_facets(needs=need_public_list())
    capability_facets(capabilities=capability_public_list())


def chain_key(chain_ids: Any) -> str:
    """The ``chain_ids`` column's value for a set of chain ids: sorted, comma-separated."""
    return ",".join(str(i) for i in sorted(chain_ids))


def refresh_chain_ids(item_model: Any, item_ids: Any) -> dict[int, str]:
    """Write ``chain_ids`` of the items ``item_ids`` from their links; their new values.
    The rows are locked before the links are read, so two link changes of one item at once
    are written one after the other, the second seeing the first's links."""
    through = item_model.chains.through
    owner = f"{item_model.chains.field.m2m_field_name()}_id"
    item_ids = sorted(set(item_ids))
    chains_of: dict[int, list[int]] = defaultdict(list)
    with transaction.atomic():
        list(item_model.objects.select_for_update().filter(pk__in=item_ids).values("pk"))
        links = through.objects.filter(**{f"{owner}__in": item_ids}).order_by("industrychain_id")
        for item_id, chain_id in links.values_list(owner, "industrychain_id"):
            chains_of[item_id].append(chain_id)
        keys = {item_id: chain_key(chains_of[item_id]) for item_id in item_ids}
        for item_id, key in keys.items():
            item_model.objects.filter(pk=item_id).update(chain_ids=key)
    return keys


def stale_chain_ids(item_model: Any) -> list[int]:
    """Ids of the items whose ``chain_ids`` differ from their links (rows written around
    the signals: raw SQL, ``bulk_create`` of links); ``check_chain_ids`` reports and fixes."""
    through = item_model.chains.through
    owner = f"{item_model.chains.field.m2m_field_name()}_id"
    chains_of: dict[int, list[int]] = defaultdict(list)
    for item_id, chain_id in through.objects.values_list(owner, "industrychain_id"):
        chains_of[item_id].append(chain_id)
    return [
        pk
        for pk, stored in item_model.objects.order_by("pk")
        .values_list("pk", "chain_ids")
        .iterator(2000)
        if stored != chain_key(chains_of.get(pk, ()))
    ]


def sync_chain_ids(item_model: Any) -> Any:
    """A receiver of ``m2m_changed`` on ``item_model.chains`` that keeps the items'
    ``chain_ids`` equal to their links, whichever side changed them (services, shell): the
    links stay the truth, the column is what the counts group by. Deleting a chain unlinks
    its items without this signal: ``chain_deleted`` covers that."""
    through = item_model.chains.through
    owner = f"{item_model.chains.field.m2m_field_name()}_id"

    def receiver(*, instance: Any, action: str, reverse: bool, pk_set: Any, **_kw: Any) -> None:
        if not reverse:  # item.chains.add/remove/set/clear
            if action in ("post_add", "post_remove", "post_clear"):
                # a later save() of the same object must not undo it
                instance.chain_ids = refresh_chain_ids(item_model, [instance.pk])[instance.pk]
        elif action == "pre_clear":  # chain.<items>.clear(): remember whom it unlinks
            instance._chain_items_cleared = list(
                through.objects.filter(industrychain_id=instance.pk).values_list(owner, flat=True)
            )
        elif action in ("post_add", "post_remove") and pk_set:
            refresh_chain_ids(item_model, pk_set)
        elif action == "post_clear":
            # Also items that name the chain now: a link added after the snapshot above
            # and removed by the clear.
            cleared = getattr(instance, "_chain_items_cleared", [])
            refresh_chain_ids(item_model, [*cleared, *naming_chain(item_model, instance.pk)])

    return receiver


def naming_chain(item_model: Any, chain_id: int) -> list[int]:
    """Items whose ``chain_ids`` name ``chain_id`` (whatever their links say)."""
    key = str(chain_id)
    return list(
        item_model.objects.filter(
            Q(chain_ids=key)
            | Q(chain_ids__startswith=f"{key},")
            | Q(chain_ids__endswith=f",{key}")
            | Q(chain_ids__contains=f",{key},")
        ).values_list("pk", flat=True)
    )


def chain_about_to_go(*, instance: Any, **_kw: Any) -> None:
    """``pre_delete`` of a chain (one without children: ``parent`` protects them): remember
    the items linked to it, whose links the deletion removes without ``m2m_changed``."""
    instance._chain_items_unlinked = {
        model: list(
            model.chains.through.objects.filter(industrychain_id=instance.pk).values_list(
                f"{model.chains.field.m2m_field_name()}_id", flat=True
            )
        )
        for model in (ScenarioNeed, Capability)
    }


def chain_deleted(*, instance: Any, **_kw: Any) -> None:
    """``post_delete`` of a chain: its items' ``chain_ids`` follow the links that are left
    (those remembered before the delete, and any still naming the chain), and the cached
    counts are stale after commit."""
    unlinked = getattr(instance, "_chain_items_unlinked", {})
    for model in (ScenarioNeed, Capability):
        item_ids = [*unlinked.get(model, []), *naming_chain(model, instance.pk)]
        if item_ids:
            refresh_chain_ids(model, item_ids)
    lists_changed()
