"""The warm engine of a worker process: the capability index under a run's policy.

Building the index of a province's capabilities takes seconds, so each worker process keeps
one warm engine, and processes share the built index as a file in ``MATCHING_INDEX_DIR``.

The file is a *compacted* index (every row fitted together, ``index-<key>.npz``, with the
capabilities' last-change stamps beside it) named by ``head-<variant>.json`` for the
analyzer, the dense setting and the retrieval settings. Between compactions, a published,
edited or withdrawn capability does not rebuild it: each process brings its engine up to
date by comparing the stamps it indexed with the database's (:func:`_sync`, checked on every
task through the capability set key) and appending the new rows or marking the gone ones deleted
(``CapabilityIndex.append``: the statistics stay frozen at the compaction). When the
changed rows exceed ``MATCHING_COMPACT_SHARE`` of the index (at least
``MATCHING_COMPACT_MIN_ROWS``), a background task (``matching.compact_index``) rebuilds the
index and moves the head to it; the other processes load it on their next task. A full run
always scores on a compacted index, so nightly results are those of a fresh build.
"""

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from core.tasks import enqueue_on_commit
from matching import documents
from matching.engine import MatchEngine
from matching.engine.batch import collector_paused
from matching.engine.ranking import CurrentCandidates, CutOffs, NeedIndex
from matching.models import MatchRun
from scenarios import selectors as scenario_selectors

logger = logging.getLogger(__name__)

# Candidates kept per need (the "other strong candidates" beside the recommendations).
TOP_N = 50


@dataclass(slots=True)
class _Warm:
    """This process's engine and what its index reflects."""

    engine: MatchEngine
    variant: str  # analyzer fingerprint, dense and retrieval settings
    policy_version: int
    base: str  # key of the compacted index file the engine started from
    caps_part: str  # the capability part of the set key the engine reflects
    rest_part: str  # the pilots/firms part (a change there needs a full build)
    stamps: dict[int, int]  # capability id -> last change, as indexed
    key: str = ""
    needs: NeedIndex | None = None
    need_stamps: dict[int, int] = field(default_factory=dict)
    cut: "_CutOffCache | None" = None
    compaction_asked: bool = False


@dataclass(slots=True)
class _CutOffCache:
    """The needs' cut-offs (``MatchEngine.cut_offs``) for one index and one ``NeedIndex``,
    with the run each need's values were read from: a need whose current run has changed
    since is read again, the others are kept between capability runs."""

    index: Any
    needs: NeedIndex
    runs: np.ndarray  # current run id per need row the values come from (-1: unknown)
    cut_offs: CutOffs


_WARM: dict[str, _Warm] = {}  # at most one entry: a province index is large


def index_path(key: str) -> Path:
    return Path(settings.MATCHING_INDEX_DIR) / f"index-{key}.npz"


def _stamps_path(key: str) -> Path:
    return Path(settings.MATCHING_INDEX_DIR) / f"index-{key}.stamps.npy"


def _head_path(variant: str) -> Path:
    return Path(settings.MATCHING_INDEX_DIR) / f"head-{variant}.json"


def _state_key(caps_part: str, rest_part: str, fingerprint: str, index_settings: str) -> str:
    raw = f"{caps_part}-{rest_part}|{fingerprint}|{index_settings}"
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def warm_engine(run: MatchRun, *, refresh_dictionary: bool) -> tuple[MatchEngine, str]:
    """An engine over every published capability, under the run's policy, and its state key.

    A full run gets a compacted index (rebuilt if rows were appended since the last build);
    other runs get the warm index brought up to date by appending.
    """
    from matching.models import RunScope

    return warm_engine_for(
        run.policy, refresh_dictionary=refresh_dictionary, compacted=run.scope == RunScope.FULL
    )


def warm_engine_for(
    policy: Any, *, refresh_dictionary: bool = False, compacted: bool = False
) -> tuple[MatchEngine, str]:
    """``warm_engine`` for a policy version rather than a run (the policy preview)."""
    words = documents.dictionary_words(refresh=refresh_dictionary)
    analyzer = documents.analyzer_for(words)
    dense = "dense" if settings.MATCHING_WORD_VECTORS else "sparse"
    # The retrieval settings are part of the variant: an index saved under other settings
    # (an upgrade that retuned them) is rebuilt, not loaded.
    index_settings = f"{dense}|{documents.retrieval_config().key()}"
    variant = hashlib.sha256(f"{analyzer.fingerprint}|{index_settings}".encode()).hexdigest()[:24]
    set_key = scenario_selectors.matching_capability_set_key_parts()
    caps_part, rest_part = set_key.caps, set_key.rest
    key = _state_key(caps_part, rest_part, analyzer.fingerprint, index_settings)
    warm = _WARM.get(variant)
    if warm is not None and warm.rest_part == rest_part:
        if warm.policy_version != policy.version:
            warm.engine = _engine_over(warm.engine, policy)
            warm.policy_version = policy.version
        head = _read_head(variant)
        if head is not None and head.get("base") not in (None, warm.base):
            loaded = _load_base(head, variant, policy, rest_part)
            warm = loaded if loaded is not None else warm
        synced = warm.caps_part == caps_part or _sync(warm, caps_part, set_key.matchable)
        index = warm.engine.index
        assert index is not None  # noqa: S101 - a warm engine has an index
        if synced and not (compacted and index.appended):
            _WARM.clear()
            _WARM[variant] = warm
            warm.key = key
            _ask_compaction(warm)
            return warm.engine, key
    elif not compacted:
        head = _read_head(variant)
        loaded = _load_base(head, variant, policy, rest_part) if head else None
        if loaded is not None and (
            loaded.caps_part == caps_part or _sync(loaded, caps_part, set_key.matchable)
        ):
            _WARM.clear()
            _WARM[variant] = loaded
            loaded.key = key
            _ask_compaction(loaded)
            return loaded.engine, key
    warm = _build(analyzer, variant, policy, key)
    _WARM.clear()
    _WARM[variant] = warm
    return warm.engine, key


def _engine_over(engine: MatchEngine, policy: Any) -> MatchEngine:
    """An engine under ``policy`` sharing ``engine``'s index."""
    other = documents.engine_for(
        analyzer=engine.analyzer,
        weights=policy.matching_weights,
        region_weights=policy.region_weights,
    )
    assert engine.index is not None  # noqa: S101
    other.use_index(engine.index)
    return other


def _build(analyzer: Any, variant: str, policy: Any, key: str) -> _Warm:
    """A full build of the index over every capability, saved as the new compacted file."""
    caps_part, rest_part, _count = scenario_selectors.matching_capability_set_key_parts()
    # Stamps before documents: a capability changed in between is re-appended next time.
    stamps = scenario_selectors.matching_capability_stamps()
    engine = documents.engine_for(
        analyzer=analyzer, weights=policy.matching_weights, region_weights=policy.region_weights
    )
    path = index_path(key)
    try:
        engine.load_index(path)
        stamps = _read_stamps(key, stamps)
    except (OSError, ValueError, KeyError):
        with collector_paused():
            engine.build_index(documents.capability_docs(analyzer=analyzer))
        assert engine.index is not None  # noqa: S101 - build_index sets it
        try:
            engine.index.save(path)
            ids = np.array(sorted(stamps), dtype=np.int64)
            _atomic_write(
                _stamps_path(key),
                lambda h: np.save(h, np.stack([ids, [stamps[i] for i in ids.tolist()]])),
            )
            _atomic_write(
                _head_path(variant),
                lambda h: h.write(
                    json.dumps({"base": key, "caps": caps_part, "rest": rest_part}).encode()
                ),
            )
        except OSError as exc:
            # The file only spares other workers the build: a full or read-only volume
            # must not fail the run, which goes on with the index in memory.
            logger.warning("capability index not saved to %s: %s", path, exc)
    return _Warm(
        engine=engine,
        variant=variant,
        policy_version=policy.version,
        base=key,
        caps_part=caps_part,
        rest_part=rest_part,
        stamps=stamps,
        key=key,
    )


def _read_stamps(key: str, fallback: dict[int, int]) -> dict[int, int]:
    try:
        pairs = np.load(_stamps_path(key), allow_pickle=False)
    except (OSError, ValueError):
        return fallback
    return dict(zip(pairs[0].tolist(), pairs[1].tolist(), strict=True))


def _read_head(variant: str) -> dict[str, Any] | None:
    try:
        head: dict[str, Any] = json.loads(_head_path(variant).read_text())
    except (OSError, ValueError):
        return None
    return head


def _load_base(head: dict[str, Any], variant: str, policy: Any, rest_part: str) -> _Warm | None:
    """The compacted index the head names, when it is for the current pilots and firms."""
    if head.get("rest") != rest_part:
        return None
    base = str(head.get("base"))
    words = documents.dictionary_words(refresh=False)
    analyzer = documents.analyzer_for(words)
    engine = documents.engine_for(
        analyzer=analyzer, weights=policy.matching_weights, region_weights=policy.region_weights
    )
    try:
        engine.load_index(index_path(base))
        stamps = _read_stamps(base, {})
    except (OSError, ValueError, KeyError):
        return None
    if not stamps:
        return None
    return _Warm(
        engine=engine,
        variant=variant,
        policy_version=policy.version,
        base=base,
        caps_part=str(head.get("caps")),
        rest_part=rest_part,
        stamps=stamps,
    )


# Changes are read from this long before the last stamp the index holds: a transaction
# stamps its rows when it writes them, not when it commits, so one that commits late has
# an earlier stamp than rows already seen (the count check below catches the rest).
_SYNC_OVERLAP_US = 300 * 1_000_000


def _sync(warm: _Warm, caps_part: str, count: int) -> bool:
    """Bring the warm index to the database's capabilities: delete the rows of the ones
    gone, append the new and changed ones (from cached tokens). False (nothing changed)
    when that would take the index past twice the compaction limit (the background
    compaction, asked for once past the limit, is late): a full build is due now.

    Only capabilities changed since shortly before the last stamp held are read; every
    stamp is read again when the result disagrees with ``count``, the number of
    capabilities matching scores now (a row deleted outside the services)."""
    index = warm.engine.index
    assert index is not None  # noqa: S101
    since = max(warm.stamps.values(), default=0) - _SYNC_OVERLAP_US
    seen = scenario_selectors.matching_capability_changes(since=since)
    gone = [cap for cap, at in seen.items() if at is None and cap in warm.stamps]
    changed = sorted(
        cap for cap, at in seen.items() if at is not None and warm.stamps.get(cap) != at
    )
    now = dict(warm.stamps)
    for cap in gone:
        del now[cap]
    now.update((cap, at) for cap, at in seen.items() if at is not None)
    if len(now) != count:
        now = scenario_selectors.matching_capability_stamps()
        gone = [cap for cap in warm.stamps if cap not in now]
        changed = sorted(cap for cap, at in now.items() if warm.stamps.get(cap) != at)
    if 2 * _limit(index) < index.appended + len(gone) + len(changed):
        return False
    if gone:
        index.delete(gone)
    if changed:
        docs = documents.capability_docs(analyzer=warm.engine.analyzer, capability_ids=changed)
        index.append(docs)
    warm.stamps = now
    warm.caps_part = caps_part
    return True


def _limit(index: Any) -> float:
    return float(
        max(settings.MATCHING_COMPACT_MIN_ROWS, settings.MATCHING_COMPACT_SHARE * index.base_rows)
    )


def compaction_due(index: Any) -> bool:
    """Whether the appended part has outgrown the compacted one."""
    return bool(index.appended > _limit(index))


def _ask_compaction(warm: _Warm) -> None:
    index = warm.engine.index
    if index is None or warm.compaction_asked or not compaction_due(index):
        return
    warm.compaction_asked = True
    enqueue_on_commit("matching.compact_index")


def compact() -> str | None:
    """Rebuild the index over every capability and make it the shared compacted file, when
    the current one has more appended rows than allowed; returns the new key or None."""
    from scenarios.services.policy import policy_current

    policy = policy_current()
    engine, key = warm_engine_for(policy)
    index = engine.index
    if index is None or not compaction_due(index):
        return None
    t0 = time.perf_counter()
    warm_engine_for(policy, compacted=True)
    logger.info("capability index compacted in %.1f s", time.perf_counter() - t0)
    return key


def _atomic_write(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def warm_needs(engine: MatchEngine) -> NeedIndex:
    """The matchable needs encoded for the warm index (kept between capability runs; only
    new or changed needs are read and encoded again)."""
    warm = next((w for w in _WARM.values() if w.engine.index is engine.index), None)
    if warm is not None and warm.needs is not None:
        now = _need_stamps_since(warm.need_stamps)
    else:
        now = scenario_selectors.matching_need_stamps()
    if warm is not None and warm.needs is not None and warm.need_stamps == now:
        return warm.needs
    old = warm.needs if warm is not None else None
    keep = (
        []
        if old is None
        else [d for d in old.docs if warm and warm.need_stamps.get(d.id) == now.get(d.id)]
    )
    kept = {d.id for d in keep}
    fresh = sorted(n for n in now if n not in kept)
    docs = documents.need_docs(analyzer=engine.analyzer, need_ids=fresh) if fresh else []
    needs = engine.need_index_update(old, keep, docs)
    if warm is not None:
        warm.needs, warm.need_stamps = needs, now
    return needs


def _need_stamps_since(stamps: dict[int, int]) -> dict[int, int]:
    """``stamps`` brought up to date: unchanged when the database's fingerprint of the
    needs' stamps equals theirs (one aggregate); otherwise the needs changed since shortly
    before the last stamp are read (as ``_sync`` reads capabilities), and every stamp is
    read again when the result's fingerprint still differs (a transaction that committed
    long after it stamped its rows, a status changed without a new stamp)."""
    fingerprint = scenario_selectors.matching_need_fingerprint()
    if fingerprint is None:  # not PostgreSQL: small lists, read them all
        return scenario_selectors.matching_need_stamps()
    if fingerprint == scenario_selectors.need_stamps_fingerprint(stamps):
        return stamps
    since = max(stamps.values(), default=0) - _SYNC_OVERLAP_US
    now = dict(stamps)
    for need, at in scenario_selectors.matching_need_changes(since=since).items():
        if at is None:
            now.pop(need, None)
        else:
            now[need] = at
    if scenario_selectors.need_stamps_fingerprint(now) != fingerprint:
        now = scenario_selectors.matching_need_stamps()
    return now


def run_engine(run: MatchRun) -> MatchEngine:
    """The engine a chunk scores with: the one its run planned, if this process holds it
    in that state; otherwise the warm engine brought up to date."""
    key = run.params.get("index_key")
    if key:
        for warm in _WARM.values():
            if warm.key == key and warm.policy_version == run.policy.version:
                return warm.engine
    return warm_engine(run, refresh_dictionary=False)[0]


def warm_cut_offs(engine: MatchEngine, needs: NeedIndex) -> CutOffs:
    """The cut-offs of every need of ``needs`` under the engine's index, kept in this
    process: only needs whose current run has changed since they were read (rescored), or
    whose document changed, are read from the database again. A new index (a compaction
    moves the statistics) starts over.

    Kept values stay valid while capabilities are appended or deleted: a need none of
    these rescored keeps its candidates, and its pool's lowest similarities can only rise
    (a later capability that pushes one of its candidates out gets it rescored)."""
    from matching import selectors

    warm = next((w for w in _WARM.values() if w.engine.index is engine.index), None)
    now = selectors.current_runs_of_needs()
    runs_now = np.array([now.get(int(n), -1) for n in needs.ids.tolist()], dtype=np.int64)
    cache = warm.cut if warm is not None else None
    size, n_nodes = len(needs), needs.query.nodes.shape[1]
    runs = np.full(size, -2, dtype=np.int64)  # -2: never equal to a run id
    score, floor = np.full(size, -np.inf), np.full(size, np.inf)
    pool, node_pool = np.full(size, np.inf), np.full((size, n_nodes), np.inf)
    entry, node_entry = np.zeros(size), np.zeros((size, n_nodes))
    deleted = np.zeros(size, dtype=np.int64)
    if cache is not None and cache.index is engine.index:
        old, kept = cache.needs, cache.cut_offs
        if old is needs:
            rows = was = np.arange(size)
        else:
            # Rows of needs kept unchanged (the same document object) carry over.
            pairs = [
                (row, old.row_of[doc.id])
                for row, doc in enumerate(needs.docs)
                if doc.id in old.row_of and old.docs[old.row_of[doc.id]] is doc
            ]
            rows = np.array([r for r, _ in pairs], dtype=np.int64)
            was = np.array([w for _, w in pairs], dtype=np.int64)
        runs[rows], score[rows], floor[rows] = cache.runs[was], kept.score[was], kept.floor[was]
        pool[rows], node_pool[rows] = kept.pool[was], kept.node_pool[was]
        entry[rows], node_entry[rows] = kept.entry[was], kept.node_entry[was]
        deleted[rows] = kept.deleted[was]
    stale = np.flatnonzero(runs != runs_now)
    if len(stale):
        ids = [int(n) for n in needs.ids[stale].tolist()]
        held = selectors.current_candidates_of_needs(need_ids=None if len(stale) == size else ids)
        current = {
            need: CurrentCandidates(
                cap_ids=np.array(caps, dtype=np.int64),
                scores=np.array(scores, dtype=np.float64),
            )
            for need, (caps, scores) in held.items()
        }
        fresh = engine.cut_offs(needs, current, stale, top_n=TOP_N)
        score[stale], floor[stale] = fresh.score, fresh.floor
        pool[stale], node_pool[stale] = fresh.pool, fresh.node_pool
        entry[stale], node_entry[stale] = fresh.entry, fresh.node_entry
        deleted[stale] = fresh.deleted
        runs[stale] = runs_now[stale]
    cut_offs = CutOffs(
        score=score,
        floor=floor,
        pool=pool,
        node_pool=node_pool,
        entry=entry,
        node_entry=node_entry,
        deleted=deleted,
    )
    if warm is not None:
        warm.cut = _CutOffCache(index=engine.index, needs=needs, runs=runs, cut_offs=cut_offs)
    return cut_offs
