"""From database rows to engine documents, with cached tokens.

Tokens are stored per document with the hash of its text and the analyzer fingerprint;
only documents whose text or dictionary changed are segmented again. The analyzer's extra
words (the keywords used in the lists) are frozen in a ``Dictionary`` snapshot that a full
run refreshes, so publishing one item with a new keyword does not invalidate every cached
token.
"""

import hashlib
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from matching.engine import MatchEngine
from matching.engine.retrieval import RetrievalConfig
from matching.engine.scoring import (
    CapabilityDoc,
    ChainNode,
    NeedDoc,
    NegativeList,
    RegionWeights,
    Taxonomy,
    Weights,
)
from matching.engine.text import Analyzer, get_analyzer
from matching.engine.vectors import WordVectors, get_word_vectors
from matching.models import AnalyzerDictionary, DocumentTokens
from scenarios import selectors

TOKEN_SEPARATOR = " "  # noqa: S105 - not a secret
WRITE_BATCH = 5000
# Above this many ids, cached tokens are read by joining an id array, not an IN list.
_ARRAY_JOIN_MIN = 500
# The analyzer of the latest dictionary snapshot, keyed by (taxonomy, words): building the
# fingerprint of a province's dictionary costs ~0.2 s, too much for every incremental run.
_ANALYZERS: dict[tuple[tuple[ChainNode, ...], tuple[str, ...]], Analyzer] = {}
_DICTIONARY: dict[int, list[str]] = {}  # words of the latest snapshot read, by its id
_TAXONOMIES: dict[tuple[ChainNode, ...], Taxonomy] = {}


def text_of(row: dict[str, Any]) -> str:
    return f"{row['title']}\n{row['description']}"


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def taxonomy_nodes() -> tuple[ChainNode, ...]:
    return tuple(
        ChainNode(
            slug=n["slug"],
            parent_slug=n["parent_slug"],
            synonyms=tuple(n["synonyms"]),
            name_zh=n["name_zh"],
        )
        for n in selectors.matching_taxonomy()
    )


def dictionary_words(*, refresh: bool) -> list[str]:
    """The frozen extra words of the analyzer; ``refresh`` snapshots the lists' keywords anew.

    A new snapshot is stored only when the words changed, so cached tokens stay valid.
    """
    if not refresh:
        latest_id = AnalyzerDictionary.objects.order_by("-id").values_list("id", flat=True).first()
        if latest_id is not None and latest_id in _DICTIONARY:
            return list(_DICTIONARY[latest_id])
    latest = AnalyzerDictionary.objects.order_by("-id").first()
    if latest is not None and not refresh:
        _remember_dictionary(latest.pk, list(latest.words))
        return list(latest.words)
    words = selectors.matching_list_keywords()
    if latest is None or list(latest.words) != words:
        latest = AnalyzerDictionary.objects.create(words=words)
    _remember_dictionary(latest.pk, words)
    return words


def _remember_dictionary(pk: int, words: list[str]) -> None:
    _DICTIONARY.clear()
    _DICTIONARY[pk] = list(words)


def latest_dictionary_words() -> list[str]:
    """The words of the latest dictionary snapshot, read only (none before the first run):
    what the analyzer of the runs added to jieba's dictionary."""
    latest_id = AnalyzerDictionary.objects.order_by("-id").values_list("id", flat=True).first()
    if latest_id is None:
        return []
    if latest_id not in _DICTIONARY:
        words = AnalyzerDictionary.objects.values_list("words", flat=True).get(pk=latest_id)
        _remember_dictionary(latest_id, list(words))
    return list(_DICTIONARY[latest_id])


def taxonomy() -> Taxonomy:
    """The taxonomy index of the current chain tree (built once per tree per process)."""
    nodes = taxonomy_nodes()
    found = _TAXONOMIES.get(nodes)
    if found is None:
        found = Taxonomy(nodes)
        _TAXONOMIES.clear()
        _TAXONOMIES[nodes] = found
    return found


def display_tokens(*, kind: str, rows: list[dict[str, Any]]) -> dict[int, tuple[str, ...]]:
    """Tokens of rows (``id``, ``title``, ``description``) to explain them with: the cached
    ones whatever analyzer wrote them, as long as the text is unchanged (the words are the
    same, and a page must not build an analyzer for a dictionary change); the rest are
    segmented by the analyzer of the latest dictionary and cached."""
    stored = _stored_tokens(kind, [r["id"] for r in rows])
    out: dict[int, tuple[str, ...]] = {}
    missing = []
    for row in rows:
        hit = stored.get(row["id"])
        if hit and hit[0] == _hash(text_of(row)):
            out[row["id"]] = tuple(hit[2].split(TOKEN_SEPARATOR)) if hit[2] else ()
        else:
            missing.append(row)
    if missing:
        analyzer = analyzer_for(latest_dictionary_words())
        out.update(cached_tokens(kind=kind, rows=missing, analyzer=analyzer))
    return out


def analyzer_for(words: Sequence[str]) -> Analyzer:
    """The process-wide analyzer for the taxonomy plus ``words`` (built once per worker)."""
    key = (taxonomy_nodes(), tuple(words))
    analyzer = _ANALYZERS.get(key)
    if analyzer is None:
        analyzer = get_analyzer(key[0], key[1], cache_dir=settings.MATCHING_INDEX_DIR)
        _ANALYZERS.clear()
        _ANALYZERS[key] = analyzer
    return analyzer


def cached_tokens(
    *, kind: str, rows: list[dict[str, Any]], analyzer: Analyzer
) -> dict[int, tuple[str, ...]]:
    """Tokens for every row: read from the cache, segmenting and storing only what changed.

    Tokens are interned: a province's 100k documents repeat a vocabulary of a few ten
    thousand words, so the token tuples share their strings instead of holding millions.
    """
    stored = _stored_tokens(kind, [r["id"] for r in rows])
    out: dict[int, tuple[str, ...]] = {}
    stale: list[tuple[int, str, str]] = []
    fingerprint = analyzer.fingerprint
    intern = sys.intern
    for row in rows:
        text = text_of(row)
        digest = _hash(text)
        hit = stored.get(row["id"])
        if hit and hit[0] == digest and hit[1] == fingerprint:
            out[row["id"]] = tuple(map(intern, hit[2].split(TOKEN_SEPARATOR))) if hit[2] else ()
        else:
            stale.append((row["id"], digest, text))
    if stale:
        tokenized = analyzer.tokenize_many([t for _, _, t in stale])
        items = []
        for (oid, digest, _text), toks in zip(stale, tokenized, strict=True):
            out[oid] = tuple(map(intern, toks))
            items.append((oid, digest, toks))
        _store_tokens(kind, fingerprint, items)
    return out


def _stored_tokens(kind: str, ids: list[int]) -> dict[int, tuple[str, str, str]]:
    """object_id -> (text hash, fingerprint, tokens) of the cached rows among ``ids``."""
    if not ids:
        return {}
    if connection.vendor != "postgresql" or len(ids) < _ARRAY_JOIN_MIN:
        rows: Iterable[tuple[int, str, str, str]] = (
            DocumentTokens.objects.filter(kind=kind, object_id__in=ids)
            .values_list("object_id", "text_hash", "fingerprint", "tokens")
            .iterator(chunk_size=10000)
        )
        return {oid: (h, fp, toks) for oid, h, fp, toks in rows}
    # One array parameter joined in the database instead of an IN list of 100k parameters.
    sql = (
        f"SELECT t.object_id, t.text_hash, t.fingerprint, t.tokens "  # noqa: S608 - fixed names
        f"FROM {DocumentTokens._meta.db_table} AS t "
        "JOIN unnest(%s::bigint[]) AS wanted(id) ON t.object_id = wanted.id "
        "WHERE t.kind = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids, kind])
        return {oid: (h, fp, toks) for oid, h, fp, toks in cursor.fetchall()}


def _store_tokens(
    kind: str, fingerprint: str, items: list[tuple[int, str, tuple[str, ...]]]
) -> None:
    # Tokens never contain spaces (the analyzer strips whitespace), so a space joins them.
    items = sorted(items)  # a fixed order: concurrent writers of the same rows do not deadlock
    if connection.vendor == "postgresql":
        _upsert_tokens(kind, fingerprint, items)
        return
    objs = [
        DocumentTokens(
            kind=kind,
            object_id=oid,
            text_hash=digest,
            fingerprint=fingerprint,
            tokens=TOKEN_SEPARATOR.join(toks),
        )
        for oid, digest, toks in items
    ]
    with transaction.atomic():
        DocumentTokens.objects.bulk_create(
            objs,
            batch_size=WRITE_BATCH,
            update_conflicts=True,
            unique_fields=["kind", "object_id"],
            update_fields=["text_hash", "fingerprint", "tokens", "updated_at"],
        )


def _upsert_tokens(
    kind: str, fingerprint: str, items: list[tuple[int, str, tuple[str, ...]]]
) -> None:
    """COPY into a temporary table, then one INSERT ... ON CONFLICT into the cache."""
    table = DocumentTokens._meta.db_table
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS matching_tokens_in "
            "(object_id bigint, text_hash text, tokens text) ON COMMIT DROP"
        )
        cursor.execute("TRUNCATE matching_tokens_in")
        with cursor.copy(
            "COPY matching_tokens_in (object_id, text_hash, tokens) FROM STDIN"
        ) as copy:
            for oid, digest, toks in items:
                copy.write_row((oid, digest, TOKEN_SEPARATOR.join(toks)))
        cursor.execute(
            f"INSERT INTO {table} (kind, object_id, text_hash, fingerprint, tokens, updated_at) "  # noqa: S608
            "SELECT %s, object_id, text_hash, %s, tokens, %s FROM matching_tokens_in "
            "ON CONFLICT (kind, object_id) DO UPDATE SET text_hash = EXCLUDED.text_hash, "
            "fingerprint = EXCLUDED.fingerprint, tokens = EXCLUDED.tokens, "
            "updated_at = EXCLUDED.updated_at",
            [kind, fingerprint, now],
        )
        cursor.execute("TRUNCATE matching_tokens_in")


def need_docs(
    *, analyzer: Analyzer, need_ids: list[int] | None = None, any_status: bool = False
) -> list[NeedDoc]:
    rows = selectors.matching_need_rows(need_ids=need_ids, any_status=any_status)
    tokens = cached_tokens(kind="need", rows=rows, analyzer=analyzer)
    return [
        NeedDoc(
            id=r["id"],
            ref=r["ref"],
            org_id=r["agency_id"],
            region_path=r["region__path"].rstrip("/"),
            chains=tuple(r["chains"]),
            keywords=tuple(r["keywords"]),
            text=text_of(r),
            tokens=tokens[r["id"]],
            min_trl=r["min_trl"],
            validation_type=r["validation_type"],
            value_score=r["value_score"],
        )
        for r in rows
    ]


def capability_docs(
    *, analyzer: Analyzer, capability_ids: list[int] | None = None, any_status: bool = False
) -> list[CapabilityDoc]:
    rows = selectors.matching_capability_rows(capability_ids=capability_ids, any_status=any_status)
    tokens = cached_tokens(kind="capability", rows=rows, analyzer=analyzer)
    return [
        CapabilityDoc(
            id=r["id"],
            ref=r["ref"],
            org_id=r["firm_id"],
            region_path=r["region__path"].rstrip("/"),
            chains=tuple(r["chains"]),
            keywords=tuple(r["keywords"]),
            text=text_of(r),
            tokens=tokens[r["id"]],
            trl=r["trl"],
            certifications=tuple(r["certifications"]),
            validated_pilots=r["validated_pilots"],
            open_load=r["running_pilots"],
            capacity=r["capacity"],
        )
        for r in rows
    ]


def negative_list() -> NegativeList:
    keywords, chains = selectors.matching_negative_list()
    return NegativeList(keywords=tuple(sorted(keywords)), chain_slugs=tuple(sorted(chains)))


def word_vectors() -> WordVectors | None:
    """The process's word vectors when ``MATCHING_WORD_VECTORS`` is on (the default).

    They come from the installed cnsyn wheel (nothing is downloaded) and are cached as
    ``.npy`` beside the shared index files, so each worker converts them at most once.
    """
    if not settings.MATCHING_WORD_VECTORS:
        return None
    return get_word_vectors(Path(settings.MATCHING_INDEX_DIR) / "vectors")


def retrieval_config() -> RetrievalConfig:
    """The retrieval settings of every engine the service builds: the defaults that the
    evaluation cross-validated (docs/matching-quality.md)."""
    return RetrievalConfig()


def engine_for(
    *, analyzer: Analyzer, weights: dict[str, float], region_weights: dict[str, float]
) -> MatchEngine:
    """The engine as the evaluation measured it: policy weights, default retrieval, and
    the dense word-vector block when vectors are enabled."""
    return MatchEngine(
        analyzer,
        weights=Weights.from_mapping(weights),
        region_weights=RegionWeights.from_mapping(region_weights),
        retrieval=retrieval_config(),
        vectors=word_vectors(),
    )


def copy_rows(table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Bulk-load rows with PostgreSQL COPY (bulk_create batches elsewhere)."""
    if connection.vendor != "postgresql":
        raise RuntimeError("COPY needs PostgreSQL")
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def copy_text(table: str, columns: Sequence[str], lines: Iterable[str]) -> None:
    """Bulk-load lines already in COPY text format (tab-separated, escaped, ``\\n``-ended).

    Formatting the lines in one pass is several times cheaper than ``write_row`` per row
    for the half million match rows of a full run.
    """
    if connection.vendor != "postgresql":
        raise RuntimeError("COPY needs PostgreSQL")
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        buffer: list[str] = []
        for line in lines:
            buffer.append(line)
            if len(buffer) >= WRITE_BATCH:
                copy.write("".join(buffer))
                buffer.clear()
        if buffer:
            copy.write("".join(buffer))


def copy_escape(text: str) -> str:
    """A value for COPY's text format: backslash, tab, newline and carriage return escaped."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text
