"""The warm engine of a worker process: the capability index under a run's policy.

Building the index of a province's capabilities takes seconds, so each worker process keeps
one warm engine, and processes share the built index as a file in ``MATCHING_INDEX_DIR``.
Both are keyed by the capability set, the analyzer, whether word vectors are on, and (for
the engine) the policy version.
"""

import hashlib
import logging
from pathlib import Path
from typing import Any

from django.conf import settings

from matching import documents
from matching.engine import MatchEngine
from matching.models import MatchRun
from scenarios import selectors as scenario_selectors

logger = logging.getLogger(__name__)

# Candidates kept per need (the "other strong candidates" beside the recommendations).
TOP_N = 50
_ENGINES: dict[str, MatchEngine] = {}  # warm engines of this worker process, by index key


def index_path(key: str) -> Path:
    return Path(settings.MATCHING_INDEX_DIR) / f"index-{key}.npz"


def warm_engine(run: MatchRun, *, refresh_dictionary: bool) -> tuple[MatchEngine, str]:
    """An engine over every published capability, under the run's policy, and its index key.

    The index is cached per worker process and shared between processes as a file, both
    keyed by the capability set, the analyzer, whether word vectors are on, and the policy
    version.
    """
    return warm_engine_for(run.policy, refresh_dictionary=refresh_dictionary)


def warm_engine_for(policy: Any, *, refresh_dictionary: bool = False) -> tuple[MatchEngine, str]:
    """``warm_engine`` for a policy version rather than a run (the policy preview)."""
    words = documents.dictionary_words(refresh=refresh_dictionary)
    analyzer = documents.analyzer_for(words)
    dense = "dense" if settings.MATCHING_WORD_VECTORS else "sparse"
    raw = f"{scenario_selectors.matching_capability_set_key()}|{analyzer.fingerprint}|{dense}"
    key = hashlib.sha256(raw.encode()).hexdigest()[:24]
    engine_key = f"{key}|{policy.version}"
    if engine_key in _ENGINES:
        return _ENGINES[engine_key], key
    engine = documents.engine_for(
        analyzer=analyzer, weights=policy.matching_weights, region_weights=policy.region_weights
    )
    path = index_path(key)
    try:
        engine.load_index(path)
    except (OSError, ValueError, KeyError):
        engine.build_index(documents.capability_docs(analyzer=analyzer))
        assert engine.index is not None  # noqa: S101 - build_index sets it
        try:
            engine.index.save(path)
        except OSError as exc:
            # The file only spares other workers the build: a full or read-only volume
            # must not fail the run, which goes on with the index in memory.
            logger.warning("capability index not saved to %s: %s", path, exc)
    _ENGINES.clear()  # keep one warm engine: a province index is large
    _ENGINES[engine_key] = engine
    return engine, key


def run_engine(run: MatchRun) -> MatchEngine:
    """The engine a chunk scores with: the one its run planned, if this process holds it.

    A worker that planned the run (or scored an earlier chunk) skips recomputing the
    capability-set key and the analyzer; any other process warms up as before.
    """
    key = run.params.get("index_key")
    if key:
        engine = _ENGINES.get(f"{key}|{run.policy.version}")
        if engine is not None:
            return engine
    return warm_engine(run, refresh_dictionary=False)[0]
