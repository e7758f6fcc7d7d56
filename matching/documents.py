"""From database rows to engine documents, with cached tokens.

Tokens are stored per document with the hash of its text and the analyzer fingerprint;
only documents whose text or dictionary changed are segmented again. The analyzer's extra
words (the keywords used in the lists) are frozen in a ``Dictionary`` snapshot that a full
run refreshes, so publishing one item with a new keyword does not invalidate every cached
token.
"""

import hashlib
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from matching.engine import MatchEngine
from matching.models import AnalyzerDictionary, DocumentTokens
from matching.scoring import (
    CapabilityDoc,
    ChainNode,
    NeedDoc,
    NegativeList,
    RegionWeights,
    Weights,
)
from matching.text import Analyzer, get_analyzer
from scenarios import selectors

TOKEN_SEPARATOR = " "  # noqa: S105 - not a secret
WRITE_BATCH = 5000


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
    latest = AnalyzerDictionary.objects.order_by("-id").first()
    if latest is not None and not refresh:
        return list(latest.words)
    words = selectors.matching_list_keywords()
    if latest is None or list(latest.words) != words:
        AnalyzerDictionary.objects.create(words=words)
    return words


def analyzer_for(words: Sequence[str]) -> Analyzer:
    """The process-wide analyzer for the taxonomy plus ``words`` (built once per worker)."""
    return get_analyzer(taxonomy_nodes(), words, cache_dir=settings.MATCHING_INDEX_DIR)


def cached_tokens(
    *, kind: str, rows: list[dict[str, Any]], analyzer: Analyzer
) -> dict[int, tuple[str, ...]]:
    """Tokens for every row: read from the cache, segmenting and storing only what changed."""
    ids = [r["id"] for r in rows]
    stored = {
        oid: (h, fp, toks)
        for oid, h, fp, toks in DocumentTokens.objects.filter(kind=kind, object_id__in=ids)
        .values_list("object_id", "text_hash", "fingerprint", "tokens")
        .iterator(chunk_size=10000)
    }
    out: dict[int, tuple[str, ...]] = {}
    stale: list[tuple[int, str, str]] = []
    for row in rows:
        text = text_of(row)
        digest = _hash(text)
        hit = stored.get(row["id"])
        if hit and hit[0] == digest and hit[1] == analyzer.fingerprint:
            out[row["id"]] = tuple(hit[2].split(TOKEN_SEPARATOR)) if hit[2] else ()
        else:
            stale.append((row["id"], digest, text))
    if stale:
        tokenized = analyzer.tokenize_many([t for _, _, t in stale])
        for (oid, _digest, _text), toks in zip(stale, tokenized, strict=True):
            out[oid] = toks
        _store_tokens(
            kind,
            analyzer.fingerprint,
            [(oid, d, toks) for (oid, d, _), toks in zip(stale, tokenized, strict=True)],
        )
    return out


def _store_tokens(
    kind: str, fingerprint: str, items: list[tuple[int, str, tuple[str, ...]]]
) -> None:
    # Tokens never contain spaces (the analyzer strips whitespace), so a space joins them.
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


def need_docs(*, analyzer: Analyzer, need_ids: list[int] | None = None) -> list[NeedDoc]:
    rows = selectors.matching_need_rows(need_ids=need_ids)
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


def capability_docs(*, analyzer: Analyzer) -> list[CapabilityDoc]:
    rows = selectors.matching_capability_rows()
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


def engine_for(
    *, analyzer: Analyzer, weights: dict[str, float], region_weights: dict[str, float]
) -> MatchEngine:
    return MatchEngine(
        analyzer,
        weights=Weights.from_mapping(weights),
        region_weights=RegionWeights.from_mapping(region_weights),
    )


def copy_rows(table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Bulk-load rows with PostgreSQL COPY (bulk_create batches elsewhere)."""
    if connection.vendor != "postgresql":
        raise RuntimeError("COPY needs PostgreSQL")
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
