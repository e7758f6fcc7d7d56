"""Documents to terms for the capability index (``matching.engine.retrieval``): the term
blocks (BM25 over words, TF-IDF over chain pseudo-tokens) and the encoder that turns needs
and capabilities into term counts with sparse products instead of per-term Python."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from matching.engine.scoring import CapabilityDoc, FloatArray, IntArray, NeedDoc, normalize_text
from matching.engine.text import Analyzer
from matching.engine.vectors import Float32Array


def l2_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Rows scaled to unit L2 norm (zero rows stay zero; empty matrices are fine)."""
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1), dtype=np.float64).ravel())
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return sp.csr_matrix(sp.diags(scale) @ matrix)


def row_of_entries(matrix: sp.csr_matrix) -> IntArray:
    return np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))


def indicator(rows: list[int], cols: list[int], shape: tuple[int, int]) -> sp.csr_matrix:
    """A 0/1-count matrix from coordinate lists (repeated coordinates add up)."""
    return sp.csr_matrix(
        (
            np.ones(len(rows), dtype=np.float64),
            (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)),
        ),
        shape=shape,
    )


@dataclass(slots=True)
class Vocabulary:
    """Sorted terms (so columns do not depend on document order) with a lookup table."""

    terms: list[str]
    lookup: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.lookup:
            self.lookup = {term: col for col, term in enumerate(self.terms)}


@dataclass(slots=True)
class Bm25Block:
    """BM25 weights over a vocabulary; idf 0 marks terms ignored for their document frequency."""

    vocab: Vocabulary
    idf: FloatArray
    avgdl: float
    k1: float
    b: float

    @classmethod
    def fit(
        cls, vocab: Vocabulary, counts: sp.csr_matrix, *, k1: float, b: float, max_df: float
    ) -> Bm25Block:
        """BM25 idf and average length from the capabilities' term counts."""
        df = np.bincount(counts.indices, minlength=len(vocab.terms)).astype(np.float64)
        n_docs = max(counts.shape[0], 1)
        idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        idf[df > max(max_df * n_docs, 1.0)] = 0.0
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        avgdl = float(lengths.mean()) if len(lengths) else 1.0
        return cls(vocab=vocab, idf=idf, avgdl=max(avgdl, 1e-9), k1=k1, b=b)

    def documents(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Capability rows: idf × tf (k1 + 1) / (tf + k1 (1 - b + b dl / avgdl))."""
        matrix = counts.astype(np.float64)
        lengths = np.asarray(matrix.sum(axis=1)).ravel()
        norm = self.k1 * (1.0 - self.b + self.b * lengths / self.avgdl)
        tf, row_norm = matrix.data, norm[row_of_entries(matrix)]
        matrix.data = self.idf[matrix.indices] * tf * (self.k1 + 1.0) / (tf + row_norm)
        matrix.eliminate_zeros()
        return matrix.astype(np.float32)

    def queries(self, counts: sp.csr_matrix, weight: float) -> sp.csr_matrix:
        """Need rows: ``weight / Σ (k1 + 1) idf`` on each distinct useful term.

        A capability's row · this row is then at most ``weight`` (each capability weight is
        below ``(k1 + 1) idf``), reached only by a capability that saturates every term.
        """
        matrix = counts.astype(np.float64)
        matrix.data = np.where(self.idf[matrix.indices] > 0, 1.0, 0.0)
        matrix.eliminate_zeros()
        rows = row_of_entries(matrix)
        mass = np.zeros(matrix.shape[0], dtype=np.float64)
        np.add.at(mass, rows, (self.k1 + 1.0) * self.idf[matrix.indices])
        matrix.data = matrix.data * weight / np.maximum(mass[rows], 1e-12)
        return matrix.astype(np.float32)


@dataclass(slots=True)
class TfidfBlock:
    """Cosine TF-IDF over fixed columns (sublinear tf, smooth idf as in scikit-learn)."""

    idf: FloatArray

    @classmethod
    def fit(cls, counts: sp.csr_matrix) -> TfidfBlock:
        """Smooth idf from the capabilities' counts."""
        df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
        return cls(idf=np.log((1.0 + counts.shape[0]) / (1.0 + df)) + 1.0)

    def weigh(self, counts: sp.csr_matrix, scale: float) -> sp.csr_matrix:
        """L2-normalised sublinear tf × idf rows, times ``scale``."""
        matrix = counts.astype(np.float64)
        matrix.data = (1.0 + np.log(matrix.data)) * self.idf[matrix.indices]
        matrix = l2_rows(matrix)
        matrix.data *= scale
        return matrix.astype(np.float32)


@dataclass(frozen=True, slots=True)
class Query:
    """Needs encoded for an index: sparse rows, dense vectors (or None), chain nodes to union."""

    sparse: sp.csr_matrix
    dense: Float32Array | None
    nodes: npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Encoded:
    """Documents as the index sees them: word counts over the index vocabulary and chain
    columns (declared ``=``, named in the text ``~``, ancestors of declared ``^``)."""

    words: sp.csr_matrix
    chains: sp.csr_matrix
    declared: npt.NDArray[np.bool_]
    named: npt.NDArray[np.bool_]


class TermEncoder:
    """Turns documents into term counts with sparse products instead of per-term Python.

    Each distinct token is looked up once: its sub-words and the chains it names become
    rows of small expansion matrices, and a document's counts are its token counts times
    those matrices. Sub-words are cached per token for the life of the encoder.
    """

    def __init__(self, analyzer: Analyzer, *, subwords: bool) -> None:
        self.analyzer = analyzer
        self.subwords = subwords
        self._pieces: dict[str, tuple[str, ...]] = {}
        taxonomy = analyzer.taxonomy
        size = len(taxonomy)
        self._ancestors = np.zeros((size, size), dtype=np.float64)
        for node in taxonomy.nodes:
            for parent in taxonomy.ancestors(node.slug):
                self._ancestors[taxonomy.index[node.slug], taxonomy.index[parent]] = 1.0

    def _pieces_of(self, term: str) -> tuple[str, ...]:
        if not self.subwords:
            return ()
        pieces = self._pieces.get(term)
        if pieces is None:
            pieces = self._pieces[term] = self.analyzer.subwords(term)
        return pieces

    def token_counts(
        self, docs: Sequence[NeedDoc | CapabilityDoc]
    ) -> tuple[sp.csr_matrix, list[str]]:
        """Documents × distinct tokens counts (tokens plus whole keywords), and those tokens.

        Cached tokens are used as they are; only documents without tokens are segmented.
        """
        flat: list[str] = []
        lengths = np.zeros(len(docs), dtype=np.int64)
        for row, doc in enumerate(docs):
            before = len(flat)
            flat.extend(doc.tokens if doc.tokens is not None else self.analyzer.tokenize(doc.text))
            flat.extend(normalize_text(k).strip() for k in doc.keywords if k.strip())
            lengths[row] = len(flat) - before
        index = {term: i for i, term in enumerate(dict.fromkeys(flat))}
        cols = np.fromiter(map(index.__getitem__, flat), dtype=np.int64, count=len(flat))
        rows = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
        counts = sp.csr_matrix(
            (np.ones(len(cols), dtype=np.float64), (rows, cols)), shape=(len(docs), len(index))
        )
        return counts, list(index)

    def vocabulary(self, tokens: Sequence[str]) -> Vocabulary:
        """Every token and every sub-word of one, sorted."""
        terms = set(tokens)
        for token in tokens:
            terms.update(self._pieces_of(token))
        return Vocabulary(sorted(terms))

    def encode(
        self, docs: Sequence[NeedDoc | CapabilityDoc], vocab: Vocabulary | None = None
    ) -> tuple[Encoded, Vocabulary]:
        """Encode ``docs`` over ``vocab`` (fitted from the documents when None)."""
        counts, tokens = self.token_counts(docs)
        vocab = vocab if vocab is not None else self.vocabulary(tokens)
        expand_rows: list[int] = []
        expand_cols: list[int] = []
        name_rows: list[int] = []
        name_cols: list[int] = []
        term_map, node_index = self.analyzer.taxonomy.term_map, self.analyzer.taxonomy.index
        for row, token in enumerate(tokens):
            for term in (token, *self._pieces_of(token)):
                col = vocab.lookup.get(term)
                if col is not None:
                    expand_rows.append(row)
                    expand_cols.append(col)
                for slug in term_map.get(term, ()):
                    name_rows.append(row)
                    name_cols.append(node_index[slug])
        words = counts @ indicator(expand_rows, expand_cols, (len(tokens), len(vocab.terms)))
        size = len(self.analyzer.taxonomy)
        named = (counts @ indicator(name_rows, name_cols, (len(tokens), size))).toarray() > 0
        declared = self.analyzer.taxonomy.multi_hot([d.chains for d in docs])
        declared_m = sp.csr_matrix(declared, dtype=np.float64)
        chains = sp.hstack(
            [declared_m, sp.csr_matrix(named, dtype=np.float64), declared_m @ self._ancestors],
            format="csr",
        )
        encoded = Encoded(words=sp.csr_matrix(words), chains=chains, declared=declared, named=named)
        return encoded, vocab
