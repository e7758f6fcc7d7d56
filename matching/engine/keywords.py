"""Vector-neighbour credit for a need's keywords: the paraphrase part of keyword coverage.

Keyword coverage (``scoring.keyword_coverage``) finds a need's keyword in a capability as a
substring, or through a taxonomy synonym. The right capability is often written in its own
trade's words (检测 against 探伤, 计算 against 运算), which exact matching scores 0. Here a
keyword not found that way gets partial credit from the cnsyn word vectors, under rules meant
to keep the credit explainable and hard to game:

* **Only the capability's domain words count**: words of the analyzer's dictionary (the
  taxonomy's names and synonyms and the lists' keywords) with a vector of their own, in at
  most ``search_max_df`` of the capabilities (系统, 平台, 服务 never lend credit), and with a
  non-zero BM25 weight. Words sharing cnsyn's placeholder vector (a third of its vocabulary)
  have no meaning to compare and never count.
* **A keyword with its own vector** gets its best cosine with those words, from
  :data:`NEIGHBOUR_MIN_SIMILARITY` up.
* **A compound without one** (most domain compounds: 无损检测, 票证识读) is split into its
  two- and three-character parts with vectors (:func:`keyword_pieces`); it gets credit only
  when it has at least two such pieces and
  **every** piece is found, verbatim in the capability's text or through a neighbour from the
  same threshold; the credit is the weakest piece's. One shared generic piece (空间 of 受限空间)
  earns nothing.
* **Long word lists are discounted** like BM25 discounts long documents: the credit is scaled
  by ``1 / (1 - b + b × n / avg)`` (at most 1), where ``n`` is the capability's number of
  eligible words and ``avg`` the index's mean, so stuffing a description with every domain
  word of the lists does not buy credit on every need.

:meth:`KeywordNeighbours.explain` returns the words behind each credit, which the explanation
(``matching.concepts``) shows, so every partial hit in a score is named.

One product per need over the distinct eligible words of its candidates, in float64 (the
result does not depend on how many capabilities are scored together, so a pair scores the
same in a full run, alone and in ``explain_pair``).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from matching.engine.retrieval import CapabilityIndex
from matching.engine.scoring import FloatArray, IntArray, KeywordForms, normalize_text
from matching.engine.vectors import WordVectors

NEIGHBOUR_MIN_SIMILARITY: Final = 0.5
# The length discount's strength (BM25's b).
LENGTH_B: Final = 0.75
_MIN_WORD_CHARS: Final = 2
_MIN_PIECES: Final = 2
_DECIMALS: Final = 6


@dataclass(frozen=True, slots=True)
class _KeywordQuery:
    """What one keyword is compared through: its own vector (one row, ``pieces`` empty) or its
    pieces' vectors (rows aligned with ``pieces``)."""

    vectors: npt.NDArray[np.float64]
    pieces: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NeighbourMatch:
    """Why a keyword got partial credit: the capability's word for it (for a compound, one
    per piece, in the pieces' order, the piece itself when found verbatim) and the credit."""

    keyword: str
    pieces: tuple[str, ...]
    capability_words: tuple[str, ...]
    similarity: float


def keyword_pieces(keyword: str, vectors: WordVectors) -> tuple[str, ...]:
    """The pieces a compound keyword without a vector of its own is compared through: its
    distinct two- and three-character parts that have a vector of their own, in order; empty
    (no partial credit) when fewer than two. The explanation uses the same pieces."""
    norm = normalize_text(keyword).strip()
    pieces: dict[str, None] = {}
    for size in (2, 3):
        for start in range(len(norm) - size + 1):
            piece = norm[start : start + size]
            if piece != norm and vectors.own_vector(piece) is not None:
                pieces.setdefault(piece, None)
    return tuple(pieces) if len(pieces) >= _MIN_PIECES else ()


class KeywordNeighbours:
    """Best word-vector credit of each need keyword in each candidate capability.

    Built once per index (about 0.2 s and a few MB at 100,000 capabilities) and shared by
    every engine using that index (:func:`for_index`).
    """

    def __init__(self, index: CapabilityIndex, vectors: WordVectors) -> None:
        self.index = index
        self.vectors = vectors
        terms = index.word.vocab.terms
        self.terms = terms
        self.n_words = len(terms)
        domain = set(index.analyzer.dictionary)
        n_caps = max(len(index), 1)
        df = np.bincount(index.matrix.indices, minlength=index.matrix.shape[1])[: self.n_words]
        common = df > max(index.config.search_max_df * n_caps, 1.0)
        compact = np.full(self.n_words, -1, dtype=np.int64)
        rows: list[npt.NDArray[np.float32]] = []
        for col, term in enumerate(terms):
            if len(term) < _MIN_WORD_CHARS or term not in domain or common[col]:
                continue
            if index.word.idf[col] <= 0:
                continue
            vec = vectors.own_vector(term)
            if vec is not None:
                compact[col] = len(rows)
                rows.append(vec)
        self.compact = compact
        self.compact_terms = [terms[col] for col in np.flatnonzero(compact >= 0).tolist()]
        self.own = (
            np.vstack(rows).astype(np.float64)
            if rows
            else np.zeros((0, vectors.dim), dtype=np.float64)
        )
        # The mean number of eligible words per capability (those that have any).
        matrix = index.matrix
        owner = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        ok = matrix.indices < self.n_words
        ok[ok] = compact[matrix.indices[ok]] >= 0
        per_cap = np.bincount(owner[ok], minlength=matrix.shape[0])
        used = per_cap[per_cap > 0]
        self.avg_words = float(used.mean()) if len(used) else 1.0
        self._queries: dict[str, _KeywordQuery | None] = {}

    # -- the need's side ------------------------------------------------------------------

    def keyword_query(self, keyword: str) -> _KeywordQuery | None:
        """How ``keyword`` is compared, or None when it can only match verbatim."""
        norm = normalize_text(keyword).strip()
        if norm in self._queries:
            return self._queries[norm]
        query: _KeywordQuery | None = None
        own = self.vectors.own_vector(norm)
        if own is not None:
            query = _KeywordQuery(own.reshape(1, -1).astype(np.float64), ())
        else:
            pieces = keyword_pieces(norm, self.vectors)
            if pieces:
                rows = [self.vectors.own_vector(piece) for piece in pieces]
                query = _KeywordQuery(
                    np.vstack([r for r in rows if r is not None]).astype(np.float64), pieces
                )
        if len(self._queries) < 100_000:  # keywords repeat across needs; bounded anyway
            self._queries[norm] = query
        return query

    # -- credit -----------------------------------------------------------------------------

    def similarities(self, alternatives: Sequence[KeywordForms], cap_rows: IntArray) -> FloatArray:
        """candidates × keywords credit (``cap_rows`` are rows of the index)."""
        haystack = self.index.caps.haystack
        hays = [haystack[r] for r in cap_rows.tolist()]
        return self._credit(alternatives, _csr_rows(self.index.matrix, cap_rows), hays)[0]

    def similarities_of_words(
        self, alternatives: Sequence[KeywordForms], words: sp.csr_matrix, haystacks: Sequence[str]
    ) -> FloatArray:
        """The same for capabilities given as word counts over the index vocabulary and their
        haystacks (one that is not indexed, encoded as the index would encode it)."""
        words = sp.csr_matrix(words)
        return self._credit(alternatives, (words.indices, words.indptr), haystacks)[0]

    def of_one(self, cap_row: int) -> OneCapability:
        """:meth:`similarities` for pairs that all have the capability at ``cap_row`` (one
        capability scored against many needs): each keyword's value is computed once."""
        return OneCapability(
            self, sp.csr_matrix(self.index.matrix[[cap_row]]), self.index.caps.haystack[cap_row]
        )

    def explain(self, alternatives: Sequence[KeywordForms], cap_row: int) -> list[NeighbourMatch]:
        """The partial hits of one indexed capability with the words behind each."""
        hay = self.index.caps.haystack[cap_row]
        credit, words = self._credit(
            alternatives,
            _csr_rows(self.index.matrix, np.array([cap_row], dtype=np.int64)),
            [hay],
            explain=True,
        )
        out = []
        for k, (name, _forms) in enumerate(alternatives):
            if credit[0, k] > 0 and words[k]:
                query = self.keyword_query(name)
                out.append(
                    NeighbourMatch(
                        keyword=name,
                        pieces=query.pieces if query is not None else (),
                        capability_words=words[k],
                        similarity=float(credit[0, k]),
                    )
                )
        return out

    def _credit(
        self,
        alternatives: Sequence[KeywordForms],
        rows: tuple[IntArray, IntArray],
        haystacks: Sequence[str],
        *,
        explain: bool = False,
    ) -> tuple[FloatArray, list[tuple[str, ...]]]:
        """``rows``: the capabilities' words over the index vocabulary, as a CSR matrix's
        (indices, indptr); ``haystacks``: their texts, in the same order."""
        indices, indptr = rows
        n_caps = len(indptr) - 1
        out = np.zeros((n_caps, len(alternatives)), dtype=np.float64)
        named: list[tuple[str, ...]] = [() for _ in alternatives]
        queries = [self.keyword_query(name) for name, _forms in alternatives]
        if n_caps == 0 or all(q is None for q in queries):
            return out, named
        owner = np.repeat(np.arange(n_caps), np.diff(indptr))
        valid = indices < self.n_words
        compact = np.full(len(indices), -1, dtype=np.int64)
        compact[valid] = self.compact[indices[valid]]
        keep = compact >= 0
        words, owners = compact[keep], owner[keep]
        n_eligible = np.bincount(owners, minlength=n_caps)
        discount = 1.0 / (1.0 - LENGTH_B + LENGTH_B * n_eligible / self.avg_words)
        discount = np.minimum(discount, 1.0)
        # Distinct words once: (query rows × distinct words), then per capability the best.
        distinct, where = np.unique(words, return_inverse=True)
        stacked = [q.vectors for q in queries if q is not None]
        query_rows = np.vstack(stacked)
        sims = np.round(query_rows @ self.own[distinct].T, _DECIMALS) if len(distinct) else None
        best = np.zeros((query_rows.shape[0], n_caps), dtype=np.float64)
        arg = np.full((query_rows.shape[0], n_caps), -1, dtype=np.int64)
        if sims is not None:
            per_entry = sims[:, where]  # query rows × entries (entries grouped by capability)
            present = np.unique(owners)
            starts = np.searchsorted(owners, present)
            best[:, present] = np.maximum.reduceat(per_entry, starts, axis=1)
            if explain:
                for cap in present.tolist():
                    span = np.flatnonzero(owners == cap)
                    arg[:, cap] = words[span[np.argmax(per_entry[:, span], axis=1)]]
        below = best < NEIGHBOUR_MIN_SIMILARITY
        start = 0
        for k, query in enumerate(queries):
            if query is None:
                continue
            stop = start + query.vectors.shape[0]
            block = best[start:stop].copy()
            if query.pieces:
                found = np.array(
                    [[piece in hay for hay in haystacks] for piece in query.pieces], dtype=bool
                )
                block[found] = 1.0
                block[~found & below[start:stop]] = 0.0
                value = block.min(axis=0)
            else:
                block[below[start:stop]] = 0.0
                value = block[0]
            out[:, k] = np.round(value * discount, _DECIMALS)
            if explain and out[0, k] > 0:
                if query.pieces:
                    named[k] = tuple(
                        piece if piece in haystacks[0] else self._word(arg[start + i, 0])
                        for i, piece in enumerate(query.pieces)
                    )
                else:
                    named[k] = (self._word(arg[start, 0]),)
            start = stop
        return np.clip(out, 0.0, 1.0), named

    def _word(self, compact_row: int) -> str:
        return self.compact_terms[compact_row] if compact_row >= 0 else ""


def _csr_rows(matrix: sp.csr_matrix, rows: IntArray) -> tuple[IntArray, IntArray]:
    """(indices, indptr) of ``matrix[rows]``, gathered with a few array operations (scipy's
    row indexing costs more than the rest of a need's credit)."""
    starts = matrix.indptr[rows].astype(np.int64)
    lengths = matrix.indptr[rows + 1].astype(np.int64) - starts
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    take = np.repeat(starts - indptr[:-1], lengths) + np.arange(indptr[-1], dtype=np.int64)
    return matrix.indices[take], indptr


class OneCapability:
    """A keyword-neighbour function (``KeywordNeighbourFn``) for one capability's pairs:
    a keyword's credit in the capability does not depend on the need, so it is computed
    once per distinct keyword (together, by :meth:`prime`)."""

    def __init__(self, near: KeywordNeighbours, words: sp.csr_matrix, haystack: str) -> None:
        self.near = near
        self.words = words
        self.haystack = haystack
        self.known: dict[str, float] = {}

    def prime(self, names: Iterable[str]) -> None:
        """Compute the keywords ``names`` not known yet, together."""
        todo = sorted({n for n in names if n not in self.known})
        if todo:
            values = self.near.similarities_of_words(
                [(n, ()) for n in todo], self.words, [self.haystack]
            )[0]
            self.known.update(zip(todo, values.tolist(), strict=True))

    def __call__(self, alternatives: Sequence[KeywordForms], cap_rows: IntArray) -> FloatArray:
        self.prime(name for name, _forms in alternatives)
        row = np.array([self.known[name] for name, _forms in alternatives], dtype=np.float64)
        return np.tile(row, (len(cap_rows), 1))


_BY_INDEX: weakref.WeakKeyDictionary[CapabilityIndex, KeywordNeighbours] = (
    weakref.WeakKeyDictionary()
)


def for_index(index: CapabilityIndex, vectors: WordVectors) -> KeywordNeighbours:
    """The neighbours of ``index`` (built on first use, then shared by every engine that
    scores against that index object, e.g. a policy preview's draft engine)."""
    found = _BY_INDEX.get(index)
    if found is None or found.vectors is not vectors:
        found = _BY_INDEX[index] = KeywordNeighbours(index, vectors)
    return found
