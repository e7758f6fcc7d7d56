"""Candidate retrieval: sparse vectors over capabilities and top-N per need by chunked products.

The text similarity of a (need, capability) pair is ``Σ weight × block similarity`` over
three blocks whose weights are normalised to sum to 1, so it lies in [0, 1]:

* ``word``: BM25 (k1, b) over the analyzer's tokens, the item's keywords as whole tokens and
  the dictionary sub-words of long tokens (固态电池 also yields 固态 and 电池, so partial
  matches count). Capabilities carry the BM25 term weights; a need carries
  ``1 / Σ (k1 + 1) × idf`` over its terms, so the dot product is the share of the need's
  best possible BM25 score that the capability reaches.
* ``chain``: cosine of TF-IDF vectors over taxonomy pseudo-tokens: the declared chains
  (``=slug``), the chains the text names through a name or synonym (``~slug``) and the
  ancestors of the declared chains (``^slug``).
* ``dense`` (optional): cosine of idf-weighted mean word vectors from the ``cnsyn`` wheel.
  It is not part of the sparse product; it rescores the candidates the sparse blocks find.

Measured on the labelled set (docs/matching-quality.md): BM25 beat sublinear TF-IDF cosine
for the word block; sub-words, the chain block and the dense block each helped; character
2-3-grams did not (and doubled the index), so they are not used.

Candidates for a need are its top ``n`` capabilities by the sparse similarity united with,
for each chain the need declares, the ``chain_union_per_node`` capabilities of that chain
most similar to it: a capability in the need's own chain is not crowded out by textually
similar ones from other chains. The search runs sparse_dot_topn over ``chunk_size`` needs at
a time, which keeps only ``n`` values per need (never a needs × capabilities matrix), so
memory is the index (about 80 MB per 100,000 capabilities per copy; three copies: scoring,
search, per-chain slices) plus one chunk. Only the final candidates' similarities are
recomputed exactly (:meth:`CapabilityIndex.pair_similarity`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final, cast

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sparse_dot_topn import sp_matmul_topn

from matching.engine.scoring import (
    CapabilityArrays,
    CapabilityDoc,
    FloatArray,
    IntArray,
    NeedDoc,
    Taxonomy,
)
from matching.engine.terms import (
    Bm25Block,
    Query,
    TermEncoder,
    TfidfBlock,
    Vocabulary,
    row_of_entries,
)
from matching.engine.text import Analyzer
from matching.engine.vectors import Float32Array, WordVectors, atomic_save, dense_rows

INDEX_FORMAT: Final = 3
# Up to this many needs per call take the small-batch path (incremental runs).
SMALL_BATCH: Final = 16
Triplets = tuple[IntArray, IntArray, FloatArray]


@dataclass(frozen=True, slots=True)
class RetrievalConfig:
    """How the index weighs its signals and bounds its work.

    Block weights are relative and normalised to sum to 1 (the dense one included only when
    word vectors are supplied), so the text similarity stays in [0, 1].
    """

    word_weight: float = 1.0
    chain_weight: float = 0.05
    dense_weight: float = 0.3
    bm25_k1: float = 0.8
    bm25_b: float = 0.3
    # Terms in more than this share of capabilities are ignored (BM25 stop words).
    word_max_df: float = 0.5
    # Terms in more than this share are left out of the candidate search only (their long
    # posting lists dominate the cost of the products); they still count in the similarity
    # of the candidates found, so this trades a little recall for speed, not precision.
    search_max_df: float = 0.05
    subwords: bool = True
    chain_union_per_node: int = 100
    chunk_size: int = 1024
    n_threads: int | None = None

    def block_weights(self, *, dense: bool) -> tuple[float, float, float]:
        """(word, chain, dense) divided by their sum; dense is 0 when ``dense`` is False."""
        raw = (self.word_weight, self.chain_weight, self.dense_weight if dense else 0.0)
        if min(raw) < 0 or sum(raw) <= 0:
            raise ValueError("retrieval weights must be >= 0 and not all zero")
        total = sum(raw)
        return (raw[0] / total, raw[1] / total, raw[2] / total)

    def threads(self) -> int:
        """Threads for sparse_dot_topn: the configured number, else every core."""
        return self.n_threads if self.n_threads is not None else max(os.cpu_count() or 1, 1)

    def key(self) -> str:
        """A stable text of what changes an index's contents (not how its work is split),
        so that an index saved under other settings is not taken for this one."""
        data = asdict(self)
        for work_only in ("chunk_size", "n_threads"):
            data.pop(work_only)
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RetrievalConfig:
        """Inverse of ``dataclasses.asdict``; unknown keys fail."""
        return cls(**data)


@dataclass(frozen=True, slots=True)
class Candidates:
    """Candidate pairs: need ``need_rows[p]`` (index in the queried needs) and index row
    ``cap_rows[p]`` with sparse text ``similarity[p]``; grouped by need in order, best first
    (ties by row, i.e. capability id), one entry per pair.
    """

    need_rows: IntArray
    cap_rows: IntArray
    similarity: FloatArray

    def __len__(self) -> int:
        return len(self.need_rows)


# ---------------------------------------------------------------------------------------------
# The index
# ---------------------------------------------------------------------------------------------


class CapabilityIndex:
    """Sparse (and optionally dense) vectors over capabilities, rows sorted by capability id.

    Built once per run and saved to one ``.npz`` file (numeric arrays only, no pickle) that
    the run's chunk tasks load. Queries must use an analyzer with the same fingerprint.
    """

    def __init__(
        self,
        *,
        analyzer: Analyzer,
        config: RetrievalConfig,
        caps: CapabilityArrays,
        matrix: sp.csr_matrix,
        word: Bm25Block,
        chain: TfidfBlock,
        term_vectors: Float32Array | None,
        dense: Float32Array | None,
    ) -> None:
        self.analyzer = analyzer
        self.config = config
        self.caps = caps
        self.matrix = matrix  # capabilities × (word | chain) columns, float32
        self.word, self.chain = word, chain
        self.term_vectors = term_vectors
        self.dense = dense
        self._encoder = TermEncoder(analyzer, subwords=config.subwords)
        self._transposed: sp.csr_matrix | None = None
        self._search: sp.csr_matrix = matrix
        self._node_t: dict[int, sp.csr_matrix] = {}
        self._node_rows = [np.flatnonzero(caps.chain_hot[:, j]) for j in range(len(self.taxonomy))]
        self._row_of_id = {int(cap_id): row for row, cap_id in enumerate(caps.id.tolist())}
        # Rows below ``base_rows`` were fitted together (the compacted part); rows from there
        # on were appended with the frozen statistics (:meth:`append`). ``dead`` marks rows
        # of capabilities deleted since (they are never retrieved nor looked up by id).
        self.base_rows = int(matrix.shape[0])
        self.dead = np.zeros(self.base_rows, dtype=np.bool_)
        self.version = 0  # bumped by every append or delete (callers' caches key on it)
        self._keep_columns: Float32Array | None = None
        self._tail_t: sp.csr_matrix | None = None
        self._node_tail_t: dict[int, sp.csr_matrix] = {}

    @property
    def taxonomy(self) -> Taxonomy:
        return self.analyzer.taxonomy

    @property
    def weights(self) -> tuple[float, float, float]:
        """Normalised (word, chain, dense) block weights of this index."""
        return self.config.block_weights(dense=self.dense is not None)

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def appended(self) -> int:
        """Rows changed since the last compaction: appended rows plus deleted base rows
        (what :meth:`append` and :meth:`delete` left to the next full build)."""
        return len(self) - self.base_rows + int(self.dead[: self.base_rows].sum())

    @property
    def live_count(self) -> int:
        """Capabilities the index retrieves (rows not deleted)."""
        return len(self) - int(self.dead.sum())

    def row_of(self, cap_id: int) -> int:
        """The index row of a capability id (KeyError when not indexed)."""
        return self._row_of_id[cap_id]

    def contains(self, cap_id: int) -> bool:
        """Whether the capability is indexed (published, of a verified firm, when built)."""
        return cap_id in self._row_of_id

    # -- building -----------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        cap_docs: Sequence[CapabilityDoc],
        analyzer: Analyzer,
        *,
        config: RetrievalConfig | None = None,
        vectors: WordVectors | None = None,
    ) -> CapabilityIndex:
        """Fit the blocks on ``cap_docs``; only documents with ``tokens=None`` are segmented.

        The dense block exists only when ``vectors`` is given and ``dense_weight > 0``.
        """
        config = config or RetrievalConfig()
        docs = sorted(cap_docs, key=lambda d: d.id)
        if len({d.id for d in docs}) != len(docs):
            raise ValueError("duplicate capability ids")
        encoder = TermEncoder(analyzer, subwords=config.subwords)
        encoded, vocab = encoder.encode(docs)
        word = Bm25Block.fit(
            vocab, encoded.words, k1=config.bm25_k1, b=config.bm25_b, max_df=config.word_max_df
        )
        chain = TfidfBlock.fit(encoded.chains)
        use_dense = vectors is not None and config.dense_weight > 0
        _, w_chain, _ = config.block_weights(dense=use_dense)
        matrix = sp.hstack(
            [word.documents(encoded.words), chain.weigh(encoded.chains, np.sqrt(w_chain))],
            format="csr",
        )
        term_vectors = dense = None
        if use_dense and vectors is not None:
            term_vectors = vectors.term_matrix(vocab.terms)
            dense = dense_rows(encoded.words, word.idf, term_vectors)
        return cls(
            analyzer=analyzer,
            config=config,
            caps=CapabilityArrays.from_docs(docs, analyzer.taxonomy),
            matrix=matrix,
            word=word,
            chain=chain,
            term_vectors=term_vectors,
            dense=dense,
        )

    # -- querying -----------------------------------------------------------------------------

    def encode(self, need_docs: Sequence[NeedDoc]) -> Query:
        """Needs in the index's space: sparse rows, dense vectors, and the chains to union."""
        encoded, _ = self._encoder.encode(need_docs, self.word.vocab)
        w_word, w_chain, _ = self.weights
        sparse = sp.hstack(
            [
                self.word.queries(encoded.words, w_word),
                self.chain.weigh(encoded.chains, np.sqrt(w_chain)),
            ],
            format="csr",
        )
        dense = None
        if self.term_vectors is not None:
            dense = dense_rows(encoded.words, self.word.idf, self.term_vectors)
        # A need that declares no chain is unioned with the chains its text names.
        has_declared = np.asarray(encoded.declared.any(axis=1), dtype=np.bool_).reshape(-1, 1)
        nodes = np.where(has_declared, encoded.declared, encoded.named)
        return Query(sparse=sparse, dense=dense, nodes=nodes)

    def _search_columns(self) -> Float32Array:
        """1 for the columns the candidate search uses, 0 for the word columns above
        ``search_max_df`` of the compacted rows (frozen until the next compaction, like the
        idf); chain columns stay."""
        if self._keep_columns is None:
            base = self.matrix.indices[: self.matrix.indptr[self.base_rows]]
            df = np.bincount(base, minlength=self.matrix.shape[1])
            keep = np.ones(self.matrix.shape[1], dtype=np.float32)
            n_words = len(self.word.vocab.terms)
            limit = max(self.config.search_max_df * self.base_rows, 1.0)
            keep[:n_words][df[:n_words] > limit] = 0.0
            self._keep_columns = keep
        return self._keep_columns

    def _search_matrix(self, rows: slice | IntArray | None = None) -> sp.csr_matrix:
        """The matrix (or ``rows`` of it) without the columns the search leaves out."""
        part = self.matrix if rows is None else self.matrix[rows]
        pruned = sp.csr_matrix(part @ sp.diags(self._search_columns()))
        pruned.eliminate_zeros()
        return pruned

    def _matrix_t(self) -> sp.csr_matrix:
        """The compacted rows' search matrix transposed (terms × capabilities), built on
        first use."""
        if self._transposed is None:
            rows = None if self.base_rows == len(self) else slice(0, self.base_rows)
            self._search = self._search_matrix(rows)
            self._transposed = self._search.T.tocsr()
        return self._transposed

    def _tail_matrix_t(self) -> sp.csr_matrix:
        """The appended rows' search matrix transposed (columns are rows from ``base_rows``)."""
        if self._tail_t is None:
            self._tail_t = self._search_matrix(slice(self.base_rows, len(self))).T.tocsr()
        return self._tail_t

    @property
    def _exact_layout(self) -> bool:
        """No appended or deleted rows: the search runs exactly as after a full build."""
        return self.base_rows == len(self) and not self.dead.any()

    def top_candidates(
        self, need_docs: Sequence[NeedDoc], n: int = 50, *, query: Query | None = None
    ) -> Candidates:
        """The top ``n`` capabilities of each need united with its chains' best capabilities.

        For each chain a need declares (or, when it declares none, names in its text), the
        ``config.chain_union_per_node`` capabilities of that chain with the highest
        similarity join its candidates, so a need gets at most
        ``n + chain_union_per_node × its chains``. Needs are processed ``chunk_size`` at a
        time: memory is bounded by the chunk, never by needs × capabilities. Pairs with zero
        similarity are not candidates. ``query`` may pass :meth:`encode` of the same needs.
        """
        query = self.encode(need_docs) if query is None else query
        if query.sparse.shape[0] <= SMALL_BATCH:
            return _merge(self._small_batch(query, n))
        return _merge([self._global_top(query.sparse, n), self._chain_union(query)])

    def similarity_rows(self, query: Query) -> FloatArray:
        """The search similarity of each queried need with every row (deleted rows 0)."""
        sims = np.asarray((query.sparse @ self._matrix_t()).toarray(), dtype=np.float64)
        if self.base_rows < len(self):
            tail = np.asarray((query.sparse @ self._tail_matrix_t()).toarray(), dtype=np.float64)
            sims = np.hstack([sims, tail])
        if self.dead.any():
            sims[:, self.dead] = 0.0
        return sims

    def _small_batch(self, query: Query, n: int) -> list[Triplets]:
        """Few needs (an incremental run): full similarity rows, then top-n by selection.

        The fixed costs of a sparse_dot_topn call per chain would dominate for one need; one
        sparse product gives every similarity, and each chain's share is a slice of it.
        """
        sims = self.similarity_rows(query)
        every = np.arange(sims.shape[1], dtype=np.int64)
        out: list[Triplets] = []
        for row in range(sims.shape[0]):
            out.append(_top_of_row(row, every, sims[row], n))
            for node in np.flatnonzero(query.nodes[row]).tolist():
                caps = self._node_rows[node]
                if self.dead.any():
                    caps = caps[~self.dead[caps]]
                out.append(
                    _top_of_row(row, caps, sims[row, caps], self.config.chain_union_per_node)
                )
        return out

    def search_similarity(self, queries: sp.csr_matrix, cap_row: int) -> FloatArray:
        """The search similarity (what retrieval ranks by) of each query row with one row."""
        if self.dead[cap_row]:
            return np.zeros(queries.shape[0], dtype=np.float64)
        column = self._search_matrix(np.array([cap_row], dtype=np.int64)).T
        return np.asarray((queries @ column).toarray(), dtype=np.float64).ravel()

    def pair_search_similarity(
        self, query: Query, need_rows: IntArray, cap_rows: IntArray
    ) -> FloatArray:
        """The search similarity of given pairs (the columns retrieval leaves out dropped)."""
        if len(need_rows) == 0:
            return np.zeros(0, dtype=np.float64)
        keep = sp.diags(self._search_columns())
        products = sp.csr_matrix(query.sparse[need_rows] @ keep).multiply(self.matrix[cap_rows])
        return np.asarray(products.sum(axis=1, dtype=np.float64), dtype=np.float64).ravel()

    def pair_similarity(self, query: Query, need_rows: IntArray, cap_rows: IntArray) -> FloatArray:
        """Sparse similarity of given pairs, recomputed row by row (summed in float64).

        Retrieval computes similarities in float32 along paths that depend on the batch
        (threads, chunking, the small-batch shortcut); recomputing the final pairs one way
        makes a pair's score identical whether its need was ranked alone or in a full run.
        """
        if len(need_rows) == 0:
            return np.zeros(0, dtype=np.float64)
        products = query.sparse[need_rows].multiply(self.matrix[cap_rows])
        return np.asarray(products.sum(axis=1, dtype=np.float64), dtype=np.float64).ravel()

    def outside_similarity(
        self, query: Query, need_row: int, cap_docs: Sequence[CapabilityDoc]
    ) -> FloatArray:
        """Text similarity (sparse blocks plus the dense share) of one queried need with
        capabilities that are not in the index, encoded as the index encodes its own rows
        (its vocabulary, idf, average length and term vectors): what the pair would score
        were the capability indexed. Words the index has never seen carry no weight."""
        if not cap_docs:
            return np.zeros(0, dtype=np.float64)
        matrix, dense = self._encode_capabilities(cap_docs)
        _, _, w_dense = self.weights
        rows = np.full(len(cap_docs), need_row, dtype=np.int64)
        products = query.sparse[rows].multiply(matrix)
        sparse = np.asarray(products.sum(axis=1, dtype=np.float64), dtype=np.float64).ravel()
        if query.dense is None or dense is None:
            return sparse
        cos = np.einsum("ij,ij->i", query.dense[rows], dense, dtype=np.float64)
        return sparse + w_dense * np.clip(cos, 0.0, 1.0)

    def _encode_capabilities(
        self, cap_docs: Sequence[CapabilityDoc]
    ) -> tuple[sp.csr_matrix, Float32Array | None]:
        """Capabilities as index rows under this index's frozen statistics (vocabulary,
        BM25 idf and average length, chain idf, term vectors): the sparse rows and, with a
        dense block, the dense rows."""
        encoded, _ = self._encoder.encode(cap_docs, self.word.vocab)
        _, w_chain, _ = self.weights
        matrix = sp.hstack(
            [
                self.word.documents(encoded.words),
                self.chain.weigh(encoded.chains, np.sqrt(w_chain)),
            ],
            format="csr",
        )
        dense = None
        if self.term_vectors is not None:
            dense = dense_rows(encoded.words, self.word.idf, self.term_vectors)
        return matrix, dense

    # -- incremental changes ------------------------------------------------------------------

    def append(self, cap_docs: Sequence[CapabilityDoc]) -> IntArray:
        """Add capabilities as new rows (an id already indexed is deleted first: an edit),
        encoded with the statistics frozen at the last full build; returns their rows.

        Frozen are the vocabulary, the BM25 idf and average length, the chain idf, the
        search's column pruning and the term vectors. An appended row therefore scores
        exactly as :meth:`outside_similarity` scores the capability, and no other pair's
        similarity moves; a full build over the same capabilities differs slightly (idf
        and average length shift with every document; words first seen in an appended
        capability carry no weight until then). ``appended`` says how far the index is from
        its last build, so the caller can rebuild (compact) in time.
        """
        docs = sorted(cap_docs, key=lambda d: d.id)
        if len({d.id for d in docs}) != len(docs):
            raise ValueError("duplicate capability ids")
        self.delete([d.id for d in docs if d.id in self._row_of_id])
        start = len(self)
        if not docs:
            return np.zeros(0, dtype=np.int64)
        rows, dense = self._encode_capabilities(docs)
        new = CapabilityArrays.from_docs(docs, self.taxonomy)
        caps = self.caps
        self.caps = CapabilityArrays(
            id=np.concatenate([caps.id, new.id]),
            org_id=np.concatenate([caps.org_id, new.org_id]),
            region=np.concatenate([caps.region, new.region]),
            trl=np.concatenate([caps.trl, new.trl]),
            track_record=np.concatenate([caps.track_record, new.track_record]),
            capacity=np.concatenate([caps.capacity, new.capacity]),
            chain_hot=np.concatenate([caps.chain_hot, new.chain_hot]),
            haystack=caps.haystack + new.haystack,
        )
        self.matrix = sp.csr_matrix(sp.vstack([self.matrix, rows], format="csr"))
        if self.dense is not None and dense is not None:
            self.dense = np.concatenate([self.dense, dense])
        self.dead = np.concatenate([self.dead, np.zeros(len(docs), dtype=np.bool_)])
        added = np.arange(start, start + len(docs), dtype=np.int64)
        for offset, doc in enumerate(docs):
            self._row_of_id[doc.id] = start + offset
        for node in np.flatnonzero(new.chain_hot.any(axis=0)).tolist():
            self._node_rows[node] = np.concatenate(
                [self._node_rows[node], added[new.chain_hot[:, node]]]
            )
        self._changed()
        return added

    def delete(self, cap_ids: Sequence[int]) -> int:
        """Mark capabilities deleted: never retrieved again, unknown to :meth:`row_of`.
        Their rows stay (until the next full build), so other rows keep their numbers.
        Returns how many were indexed."""
        rows = [self._row_of_id.pop(int(c)) for c in cap_ids if int(c) in self._row_of_id]
        if rows:
            self.dead[np.array(rows, dtype=np.int64)] = True
            self._changed()
        return len(rows)

    def _changed(self) -> None:
        self.version += 1
        self._tail_t = None
        self._node_tail_t = {}

    def outside_words(self, cap_docs: Sequence[CapabilityDoc]) -> sp.csr_matrix:
        """Word counts of capabilities that are not indexed, over the index's vocabulary
        (the columns their rows would have were they indexed)."""
        encoded, _ = self._encoder.encode(cap_docs, self.word.vocab)
        return sp.csr_matrix(encoded.words)

    def _global_top(self, q: sp.csr_matrix, n: int) -> Triplets:
        matrix_t = self._matrix_t()
        size = self.config.chunk_size
        threads = self.config.threads()
        if self._exact_layout:
            return _concat(
                [
                    _topn_triplets(q[start : start + size], matrix_t, n, threads, start)
                    for start in range(0, q.shape[0], size)
                ]
            )
        # Appended or deleted rows: the best n of the compacted part (asking for as many
        # more as it has deleted rows, which are then dropped) and of the appended part,
        # cut to n per need.
        base_dead = int(self.dead[: self.base_rows].sum())
        tail_t, tail_rows = self._tail_matrix_t(), np.arange(self.base_rows, len(self))
        out: list[Triplets] = []
        for start in range(0, q.shape[0], size):
            chunk = q[start : start + size]
            out.append(_topn_triplets(chunk, matrix_t, n + base_dead, threads, start))
            need_idx, col, sims = _topn_triplets(chunk, tail_t, n, threads, start)
            out.append((need_idx, tail_rows[col], sims))
        return _cut_top(self._drop_dead(_concat(out)), n)

    def _drop_dead(self, triplets: Triplets) -> Triplets:
        need, cap, sim = triplets
        if not self.dead.any() or len(cap) == 0:
            return triplets
        keep = ~self.dead[cap]
        return need[keep], cap[keep], sim[keep]

    def _node_matrix_t(self, node: int) -> sp.csr_matrix:
        """The search matrix of one chain's compacted capabilities, transposed; kept for
        later calls.

        Together these hold each capability once per chain it declares (about 1.5 times the
        search matrix), which a warm worker trades for not slicing on every chunk.
        """
        cached = self._node_t.get(node)
        if cached is None:
            self._matrix_t()
            rows = self._node_rows[node]
            rows = rows[rows < self.base_rows]
            cached = self._node_t[node] = self._search[rows].T.tocsr()
        return cached

    def _node_tail_matrix_t(self, node: int) -> tuple[sp.csr_matrix, IntArray]:
        """The appended capabilities of one chain (search matrix transposed) and their rows."""
        rows = self._node_rows[node]
        rows = rows[rows >= self.base_rows]
        cached = self._node_tail_t.get(node)
        if cached is None:
            cached = self._node_tail_t[node] = self._search_matrix(rows).T.tocsr()
        return cached, rows

    def pool_minimums(
        self, query: Query, n: int
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """The lowest search similarity in each part of each queried need's retrieval pool
        as :meth:`top_candidates` builds it: its global top ``n`` (per need), and each of
        its chains' best ``chain_union_per_node`` (needs × chain nodes); +inf where a part
        is empty. A capability added later can push a member out of a part only if its
        similarity reaches that part's lowest. Then the same two as entry thresholds: the
        lowest where the part is full, 0 where it is not (anything similar at all enters);
        while no row is deleted, a capability added later enters a part only above it."""
        size = query.sparse.shape[0]
        lowest = np.full(size, np.inf)
        need, _cap, sim = self._global_top(query.sparse, n)
        np.minimum.at(lowest, need, sim)
        entry = np.where(np.bincount(need, minlength=size) >= n, lowest, 0.0)
        per_node = self.config.chain_union_per_node
        by_node = np.full((size, len(self.taxonomy)), np.inf)
        node_entry = np.zeros((size, len(self.taxonomy)))
        for node, (need, _cap, sim) in self._chain_union_parts(query):
            column = np.full(size, np.inf)
            np.minimum.at(column, need, sim)
            by_node[:, node] = column
            full = np.bincount(need, minlength=size) >= per_node
            node_entry[:, node] = np.where(full, column, 0.0)
        return lowest, by_node, entry, node_entry

    def _chain_union(self, query: Query) -> Triplets:
        return _concat([part for _node, part in self._chain_union_parts(query)])

    def _chain_union_parts(self, query: Query) -> list[tuple[int, Triplets]]:
        """Each chain's best capabilities for the needs that query it, by chain node."""
        per_node = self.config.chain_union_per_node
        if per_node <= 0:
            return []
        exact = self._exact_layout
        out: list[tuple[int, Triplets]] = []
        for node in np.flatnonzero(query.nodes.any(axis=0)).tolist():
            needs, caps = np.flatnonzero(query.nodes[:, node]), self._node_rows[node]
            if len(caps) == 0:
                continue
            base_caps = caps if exact else caps[caps < self.base_rows]
            sub_t = self._node_matrix_t(node)
            extra = 0 if exact else int(self.dead[base_caps].sum())
            tail_t, tail_caps = (None, caps[:0]) if exact else self._node_tail_matrix_t(node)
            for start in range(0, len(needs), self.config.chunk_size):
                rows = needs[start : start + self.config.chunk_size]
                q = query.sparse[rows]
                need_idx, cap_idx, sims = _topn_triplets(
                    q, sub_t, per_node + extra, self.config.threads(), 0
                )
                part = [(rows[need_idx], base_caps[cap_idx], sims)]
                if tail_t is not None and len(tail_caps):
                    need_idx, cap_idx, sims = _topn_triplets(
                        q, tail_t, per_node, self.config.threads(), 0
                    )
                    part.append((rows[need_idx], tail_caps[cap_idx], sims))
                found = _concat(part)
                out.append((node, found if exact else _cut_top(self._drop_dead(found), per_node)))
        return out

    def pair_dense(
        self, need_vectors: Float32Array | None, need_rows: IntArray, cap_rows: IntArray
    ) -> FloatArray:
        """Dense cosine of each pair clipped to [0, 1] (zeros without a dense block)."""
        if need_vectors is None or self.dense is None:
            return np.zeros(len(need_rows), dtype=np.float64)
        cos = np.einsum("ij,ij->i", need_vectors[need_rows], self.dense[cap_rows], dtype=np.float64)
        return np.clip(cos, 0.0, 1.0)

    # -- persistence --------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write the index to one ``.npz`` file atomically (readers never see half a file)."""
        caps = self.caps
        meta = {
            "fingerprint": self.analyzer.fingerprint,
            "config": asdict(self.config),
            "avgdl": self.word.avgdl,
            "base_rows": self.base_rows,
        }
        arrays: dict[str, npt.NDArray[Any]] = {
            "format": np.array([INDEX_FORMAT]),
            "meta": _text_array(json.dumps(meta, ensure_ascii=False)),
            "m_data": self.matrix.data,
            "m_indices": self.matrix.indices,
            "m_indptr": self.matrix.indptr,
            "m_shape": np.array(self.matrix.shape, dtype=np.int64),
            "word_terms": _text_array("\x1f".join(self.word.vocab.terms)),
            "word_idf": self.word.idf,
            "chain_idf": self.chain.idf,
            "cap_id": caps.id,
            "cap_org_id": caps.org_id,
            "cap_region": caps.region,
            "cap_trl": caps.trl,
            "cap_track_record": caps.track_record,
            "cap_capacity": caps.capacity,
            "cap_chain_hot": caps.chain_hot,
            "cap_haystack": _text_array("\x1e".join(caps.haystack)),
            "dead": self.dead,
        }
        if self.term_vectors is not None and self.dense is not None:
            arrays["term_vectors"] = self.term_vectors
            arrays["dense"] = self.dense
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_save(
            target,
            lambda handle: np.savez(handle, allow_pickle=False, **cast(dict[str, Any], arrays)),
        )

    @classmethod
    def load(cls, path: str | Path, analyzer: Analyzer) -> CapabilityIndex:
        """Read an index saved by :meth:`save`; the analyzer must have the same fingerprint."""
        with np.load(Path(path), allow_pickle=False) as data:
            if int(data["format"][0]) != INDEX_FORMAT:
                raise ValueError(f"unsupported index format {int(data['format'][0])}")
            meta = json.loads(_from_text_array(data["meta"]))
            if meta["fingerprint"] != analyzer.fingerprint:
                raise ValueError("the index was built with a different analyzer fingerprint")
            config = RetrievalConfig.from_dict(meta["config"])
            matrix = sp.csr_matrix(
                (data["m_data"], data["m_indices"], data["m_indptr"]),
                shape=tuple(int(x) for x in data["m_shape"]),
            )
            n_caps = len(data["cap_id"])
            haystack = _from_text_array(data["cap_haystack"])
            caps = CapabilityArrays(
                id=data["cap_id"],
                org_id=data["cap_org_id"],
                region=data["cap_region"],
                trl=data["cap_trl"],
                track_record=data["cap_track_record"],
                capacity=data["cap_capacity"],
                chain_hot=data["cap_chain_hot"],
                haystack=tuple(haystack.split("\x1e")) if n_caps else (),
            )
            word = Bm25Block(
                vocab=Vocabulary(_split_text(_from_text_array(data["word_terms"]), "\x1f")),
                idf=data["word_idf"],
                avgdl=float(meta["avgdl"]),
                k1=config.bm25_k1,
                b=config.bm25_b,
            )
            chain = TfidfBlock(idf=data["chain_idf"])
            if len(chain.idf) != 3 * len(analyzer.taxonomy):
                raise ValueError("the index was built with a different taxonomy")
            has_dense = "dense" in data.files
            index = cls(
                analyzer=analyzer,
                config=config,
                caps=caps,
                matrix=matrix,
                word=word,
                chain=chain,
                term_vectors=data["term_vectors"] if has_dense else None,
                dense=data["dense"] if has_dense else None,
            )
            index.base_rows = int(meta["base_rows"])
            index.dead = np.asarray(data["dead"], dtype=np.bool_)
            for row in np.flatnonzero(index.dead).tolist():
                if index._row_of_id.get(int(caps.id[row])) == row:  # not appended again
                    del index._row_of_id[int(caps.id[row])]
            return index


def _text_array(text: str) -> npt.NDArray[np.uint8]:
    # Strings are stored as UTF-8 bytes: numpy's fixed-width unicode arrays would pad every
    # haystack to the longest one, and object arrays would need pickle.
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _from_text_array(array: npt.NDArray[np.uint8]) -> str:
    return bytes(array).decode("utf-8")


def _split_text(text: str, sep: str) -> list[str]:
    return text.split(sep) if text else []


def _topn_triplets(
    left: sp.csr_matrix, right_t: sp.csr_matrix, n: int, threads: int, offset: int
) -> Triplets:
    """(row + offset, column, value) of the top ``n`` entries of each row of left @ right_t."""
    if left.shape[0] == 0 or right_t.shape[1] == 0 or n <= 0:
        return _empty()
    product = sp_matmul_topn(
        left, right_t, top_n=n, threshold=0.0, n_threads=threads if threads > 1 else None
    )
    product = sp.csr_matrix(product)
    return (
        row_of_entries(product) + offset,
        product.indices.astype(np.int64),
        product.data.astype(np.float64),
    )


def _top_of_row(row: int, cols: IntArray, values: FloatArray, n: int) -> Triplets:
    """The ``n`` best positive ``values`` (ties by column) as triplets for need ``row``."""
    positive = np.flatnonzero(values > 0)
    if len(positive) > n > 0:
        kth = np.partition(values[positive], len(positive) - n)[len(positive) - n]
        positive = positive[values[positive] >= kth]
    order = np.lexsort((cols[positive], -values[positive]))[: max(n, 0)]
    chosen = positive[order]
    return (np.full(len(chosen), row, dtype=np.int64), cols[chosen], values[chosen])


def _empty() -> Triplets:
    return (
        np.zeros(0, dtype=np.int64),
        np.zeros(0, dtype=np.int64),
        np.zeros(0, dtype=np.float64),
    )


def _concat(parts: Sequence[Triplets]) -> Triplets:
    if not parts:
        return _empty()
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
    )


def _merge(parts: Sequence[Triplets]) -> Candidates:
    """Unite candidate triplets: one entry per pair, sorted by need, similarity desc, row."""
    need, cap, sim = _concat(parts)
    keep = sim > 0
    need, cap, sim = need[keep], cap[keep], sim[keep]
    order = np.lexsort((cap, -sim, need))
    need, cap, sim = need[order], cap[order], sim[order]
    # After sorting, the first occurrence of a (need, cap) pair carries its highest value.
    first = np.ones(len(need), dtype=np.bool_)
    if len(need):
        key = need * (int(cap.max()) + 1) + cap
        _, idx = np.unique(key, return_index=True)
        first[:] = False
        first[idx] = True
    return Candidates(need_rows=need[first], cap_rows=cap[first], similarity=sim[first])


def _cut_top(triplets: Triplets, n: int) -> Triplets:
    """The best ``n`` entries of each need (similarity desc, then row), positives only."""
    need, cap, sim = triplets
    keep = sim > 0
    need, cap, sim = need[keep], cap[keep], sim[keep]
    order = np.lexsort((cap, -sim, need))
    need, cap, sim = need[order], cap[order], sim[order]
    if len(need) == 0:
        return need, cap, sim
    starts = np.r_[True, need[1:] != need[:-1]]
    start_pos = np.maximum.accumulate(np.where(starts, np.arange(len(need)), 0))
    kept = (np.arange(len(need)) - start_pos) < n
    return need[kept], cap[kept], sim[kept]
