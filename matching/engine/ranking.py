"""The matching engine: one pure entry point for the service, the tasks and the evaluation.

``MatchEngine.rank`` turns needs into ranked, explained candidates: retrieve candidates from
the capability index, drop the pairs the hard filters forbid, compute the named features,
score them with the policy weights and keep the best ``top_n`` per need. ``recommend`` then
picks the recommended pairs under the per-need and per-firm quotas.

Nothing here touches Django or settings; the caller supplies documents and policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from matching.engine.batch import collector_paused
from matching.engine.keywords import KeywordNeighbours, for_index
from matching.engine.pairing import PairingResult, pair
from matching.engine.retrieval import Candidates, CapabilityIndex, RetrievalConfig
from matching.engine.scoring import (
    DEFAULT_REGION_WEIGHTS,
    DEFAULT_WEIGHTS,
    FEATURES,
    BoolArray,
    CapabilityArrays,
    CapabilityDoc,
    ChainNode,
    FloatArray,
    IntArray,
    KeywordForms,
    KeywordNeighbourFn,
    NeedArrays,
    NeedDoc,
    NegativeList,
    PairFeatures,
    RegionWeights,
    Weights,
    conflict_mask,
    negative_list_mask,
    pair_features,
    weighted_scores,
)
from matching.engine.terms import Query
from matching.engine.text import Analyzer
from matching.engine.vectors import WordVectors


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ranked (need, capability) pair with its explanation.

    ``score`` equals ``score_from_breakdown(features, weights)`` exactly; ``rank`` starts at
    1 per need; ``matched_keywords`` are the need's keywords found in the capability.
    """

    need_id: int
    cap_id: int
    score: float
    rank: int
    features: dict[str, float]
    matched_keywords: list[str]


@dataclass(frozen=True, slots=True)
class PairReport:
    """One (need, capability) pair as the engine sees it now, ranked or not.

    ``features`` and ``score`` are what :meth:`MatchEngine.rank` gives the pair (equal to
    the last bit when it ranks it), also for a capability outside the index (scored as if
    indexed). ``indexed``: the capability is in the index (matching may rank it at all);
    ``retrieved``: retrieval put it in the need's pool; ``conflict``/``banned``: the hard
    filters remove it; ``rank``: its place among the need's allowed, scored pool (None
    when it is not there); ``pool``: that pool's size. The need's candidates are the pool's
    first ``top_n``.
    """

    need_id: int
    cap_id: int
    score: float
    features: dict[str, float]
    matched_keywords: list[str]
    indexed: bool
    retrieved: bool
    conflict: bool
    banned: bool
    rank: int | None
    pool: int
    top_n: int

    @property
    def candidate(self) -> bool:
        """Among the need's ``top_n`` candidates (what a run stores)."""
        return self.rank is not None and self.rank <= self.top_n


@dataclass(frozen=True, slots=True)
class NeedIndex:
    """Needs encoded once for the engine's index (its frozen vocabulary and idf): the query
    side of finding the needs a new capability reaches. ``query.sparse`` times a
    capability's row is the search similarity of every need with it."""

    docs: tuple[NeedDoc, ...]
    ids: IntArray
    query: Query
    arrays: NeedArrays
    row_of: dict[int, int]

    def __len__(self) -> int:
        return len(self.docs)


@dataclass(frozen=True, slots=True)
class CurrentCandidates:
    """A need's stored candidates: capability ids and scores (what its current run kept)."""

    cap_ids: IntArray
    scores: FloatArray


@dataclass(frozen=True, slots=True)
class CutOffs:
    """Per need (rows of a :class:`NeedIndex`): ``score``, what a newcomer must score to
    enter its top n (-inf when it holds fewer), and ``floor``, the lowest search similarity
    among its current candidates (+inf when none is indexed); ``pool``/``node_pool`` and
    ``entry``/``node_entry`` (needs × chain nodes), what ``CapabilityIndex.pool_minimums``
    says of its retrieval pool; ``deleted``, how many rows of the index were deleted when
    they were computed (a deletion since may let a newcomer into a pool below ``entry``)."""

    score: FloatArray
    floor: FloatArray
    pool: FloatArray
    node_pool: FloatArray
    entry: FloatArray
    node_entry: FloatArray
    deleted: IntArray

    def rows(self, rows: IntArray) -> CutOffs:
        """The cut-offs of some needs only."""
        return CutOffs(
            score=self.score[rows],
            floor=self.floor[rows],
            pool=self.pool[rows],
            node_pool=self.node_pool[rows],
            entry=self.entry[rows],
            node_entry=self.node_entry[rows],
            deleted=self.deleted[rows],
        )


class MatchEngine:
    """Scores needs against an indexed set of capabilities under one policy version.

    The taxonomy is the analyzer's; passing ``taxonomy`` only checks that both agree.
    Deterministic: the same documents, policy and index give the same candidates in the
    same order (ties broken by capability id).
    """

    def __init__(
        self,
        analyzer: Analyzer,
        taxonomy: Sequence[ChainNode] | None = None,
        weights: Weights = DEFAULT_WEIGHTS,
        region_weights: RegionWeights = DEFAULT_REGION_WEIGHTS,
        *,
        retrieval: RetrievalConfig | None = None,
        vectors: WordVectors | None = None,
        chunk_size: int = 2000,
        keyword_neighbours: bool = True,
    ) -> None:
        if taxonomy is not None and [n.slug for n in taxonomy] != [
            n.slug for n in analyzer.taxonomy.nodes
        ]:
            raise ValueError("the taxonomy differs from the analyzer's")
        self.analyzer = analyzer
        self.weights = weights
        self.region_weights = region_weights
        self.retrieval = retrieval or RetrievalConfig()
        self.vectors = vectors
        self.chunk_size = chunk_size
        # Keyword coverage counts word-vector neighbours as partial hits (needs vectors).
        self.keyword_neighbours = keyword_neighbours
        self.index: CapabilityIndex | None = None
        self._banned: tuple[NegativeList | None, int, BoolArray] | None = None
        self._neighbours: KeywordNeighbours | None = None

    # -- index --------------------------------------------------------------------------------

    def build_index(self, cap_docs: Sequence[CapabilityDoc]) -> CapabilityIndex:
        """Index ``cap_docs`` (segmenting only those without tokens) and use that index."""
        index = CapabilityIndex.build(
            cap_docs, self.analyzer, config=self.retrieval, vectors=self.vectors
        )
        self.use_index(index)
        return index

    def load_index(self, path: str | Path) -> CapabilityIndex:
        """Load an index saved by ``CapabilityIndex.save`` (e.g. the run's shared file)."""
        index = CapabilityIndex.load(path, self.analyzer)
        self.use_index(index)
        return index

    def use_index(self, index: CapabilityIndex) -> None:
        """Score against ``index`` from now on."""
        self.index = index
        self._banned = None
        self._neighbours = None

    def _require_index(self) -> CapabilityIndex:
        if self.index is None:
            raise RuntimeError("build_index() or load_index() first")
        return self.index

    def _keyword_neighbours(self) -> KeywordNeighbours | None:
        """Vector-neighbour credit for keywords (None without word vectors); per index.

        Appends keep it: they extend the same index object in place and encode new rows
        over the vocabulary frozen at the last full build, which is what it was built on.
        A compaction loads a new index object, and only then is it rebuilt.
        """
        index = self._require_index()
        if self.vectors is None or not self.keyword_neighbours:
            return None
        if self._neighbours is None or self._neighbours.index is not index:
            self._neighbours = for_index(index, self.vectors)
        return self._neighbours

    def _banned_rows(self, negative_list: NegativeList | None) -> BoolArray:
        # The negative list changes rarely; the mask over all capabilities is cached.
        # Appended rows extend the mask (rows never change, deleted ones are not retrieved).
        index = self._require_index()
        size = len(index)
        cached = self._banned
        if cached is None or cached[0] != negative_list or len(cached[2]) > size:
            mask = negative_list_mask(index.caps, negative_list, index.taxonomy)
            self._banned = (negative_list, size, mask)
        elif len(cached[2]) < size:
            start = len(cached[2])
            added = negative_list_mask(_caps_from(index.caps, start), negative_list, index.taxonomy)
            self._banned = (negative_list, size, np.concatenate([cached[2], added]))
        assert self._banned is not None  # noqa: S101 - set above
        return self._banned[2]

    # -- ranking ------------------------------------------------------------------------------

    def rank(
        self,
        need_docs: Sequence[NeedDoc],
        *,
        top_n: int = 50,
        related_pairs: Iterable[tuple[int, int]] = (),
        negative_list: NegativeList | None = None,
        excluded: dict[int, tuple[int, int]] | None = None,
    ) -> list[Candidate]:
        """The best ``top_n`` allowed capabilities of every need, ranked and explained.

        Retrieval fetches ``2 × top_n`` candidates per need plus its chains' best
        capabilities, and the hard filters run on that pool before the cut, so a filtered
        pair leaves its place to the next allowed one: conflict of interest (same
        organisation, or a pair of ``related_pairs`` = (agency_org_id, firm_org_id) in either
        order) and the negative list. Output is grouped by need in input order, rank 1 first
        (score desc, capability id asc). A need's result depends only on that need, the
        index and the policy, not on the other needs in the call.

        ``excluded``, when given, receives for each need whose retrieved pool lost any:
        (candidates removed by the negative list, removed as conflicts of interest) — what
        explains a need that ends with fewer candidates than asked.
        """
        related = list(related_pairs)
        out: list[Candidate] = []
        with collector_paused():
            for start in range(0, len(need_docs), self.chunk_size):
                chunk = need_docs[start : start + self.chunk_size]
                out.extend(self._rank_chunk(chunk, top_n, related, negative_list, excluded))
        return out

    def _rank_chunk(
        self,
        needs: Sequence[NeedDoc],
        top_n: int,
        related: list[tuple[int, int]],
        negative_list: NegativeList | None,
        excluded: dict[int, tuple[int, int]] | None = None,
    ) -> list[Candidate]:
        index = self._require_index()
        query = index.encode(needs)
        cands = index.top_candidates(needs, n=retrieval_depth(top_n), query=query)
        need_arrays = NeedArrays.from_docs(needs, index.taxonomy)
        cands = self._filter(cands, need_arrays, related, negative_list, needs, excluded)
        feats, scores = self._score(query, need_arrays, cands)
        cap_ids = index.caps.id[cands.cap_rows]
        order = np.lexsort((cap_ids, -scores, cands.need_rows))
        ranks = _ranks(cands.need_rows[order])
        kept = order[ranks <= top_n]
        # Columns to Python lists once (half a million candidates in a full run).
        need_ids = [doc.id for doc in needs]
        matched = feats.matched_keywords
        return [
            Candidate(
                need_id=need_ids[need_row],
                cap_id=cap_id,
                score=score,
                rank=rank,
                features=dict(zip(FEATURES, values, strict=True)),
                matched_keywords=matched[pos],
            )
            for pos, need_row, cap_id, score, rank, values in zip(
                kept.tolist(),
                cands.need_rows[kept].tolist(),
                cap_ids[kept].tolist(),
                scores[kept].tolist(),
                ranks[ranks <= top_n].tolist(),
                feats.values[kept].tolist(),
                strict=True,
            )
        ]

    def _text(self, query: Query, need_rows: IntArray, cap_rows: IntArray) -> FloatArray:
        """Text relevance of pairs: sparse similarity (word + chain shares) + the dense
        share, recomputed per pair so a score does not depend on how the need was batched."""
        index = self._require_index()
        sparse = index.pair_similarity(query, need_rows, cap_rows)
        return sparse + index.weights[2] * index.pair_dense(query.dense, need_rows, cap_rows)

    def _score(
        self,
        query: Query,
        need_arrays: NeedArrays,
        cands: Candidates,
        *,
        neighbours: KeywordNeighbourFn | None = None,
    ) -> tuple[PairFeatures, FloatArray]:
        """Features and scores of candidate pairs of the index's capabilities.

        Text relevance = sparse similarity (word + chain shares) + the dense share, both
        recomputed per pair so a score does not depend on how the need was batched.
        """
        index = self._require_index()
        text = self._text(query, cands.need_rows, cands.cap_rows)
        if neighbours is None:
            near = self._keyword_neighbours()
            neighbours = near.similarities if near is not None else None
        feats = pair_features(
            need_arrays,
            index.caps,
            cands.need_rows,
            cands.cap_rows,
            text,
            self.region_weights,
            neighbours,
        )
        return feats, weighted_scores(feats.values, self.weights)

    def _filter(
        self,
        cands: Candidates,
        needs: NeedArrays,
        related: list[tuple[int, int]],
        negative_list: NegativeList | None,
        docs: Sequence[NeedDoc] = (),
        excluded: dict[int, tuple[int, int]] | None = None,
    ) -> Candidates:
        index = self._require_index()
        banned = self._banned_rows(negative_list)[cands.cap_rows]
        conflict = conflict_mask(
            needs.org_id[cands.need_rows], index.caps.org_id[cands.cap_rows], related
        )
        keep = ~(banned | conflict)
        if excluded is not None and len(docs) and not keep.all():
            size = len(docs)
            by_list = np.bincount(cands.need_rows[banned], minlength=size)
            by_conflict = np.bincount(cands.need_rows[conflict & ~banned], minlength=size)
            for row in np.flatnonzero(by_list + by_conflict).tolist():
                excluded[docs[row].id] = (int(by_list[row]), int(by_conflict[row]))
        return Candidates(
            need_rows=cands.need_rows[keep],
            cap_rows=cands.cap_rows[keep],
            similarity=cands.similarity[keep],
        )

    def explain_pair(
        self,
        need: NeedDoc,
        cap: CapabilityDoc,
        *,
        top_n: int = 50,
        related_pairs: Iterable[tuple[int, int]] = (),
        negative_list: NegativeList | None = None,
    ) -> PairReport:
        """What :meth:`rank` makes of one pair: its features and score, whether retrieval
        finds it, whether a hard filter removes it, and its place among the need's
        candidates (the pool :meth:`rank` scores, ranked the same way).

        ``cap`` may be outside the index (unpublished, of an unverified firm): it is then
        scored as the index would score it, and is never retrieved.
        """
        index = self._require_index()
        related = list(related_pairs)
        query = index.encode([need])
        need_arrays = NeedArrays.from_docs([need], index.taxonomy)
        indexed = index.contains(cap.id)
        if indexed:
            row = index.row_of(cap.id)
            feats, scores = self._score(query, need_arrays, _one_pair(row))
            banned = bool(self._banned_rows(negative_list)[row])
        else:
            row = -1
            feats, scores, caps = self._score_outside(query, need_arrays, cap)
            banned = bool(negative_list_mask(caps, negative_list, index.taxonomy)[0])
        conflict = bool(
            conflict_mask(
                np.array([need.org_id], dtype=np.int64),
                np.array([cap.org_id], dtype=np.int64),
                related,
            )[0]
        )
        pool = index.top_candidates([need], n=retrieval_depth(top_n), query=query)
        retrieved = bool(indexed and np.any(pool.cap_rows == row))
        allowed = self._filter(pool, need_arrays, related, negative_list)
        rank = None
        if len(allowed):
            _pool_feats, pool_scores = self._score(query, need_arrays, allowed)
            cap_ids = index.caps.id[allowed.cap_rows]
            ranked = cap_ids[np.lexsort((cap_ids, -pool_scores))]
            found = np.flatnonzero(ranked == cap.id)
            if len(found):
                rank = int(found[0]) + 1
        return PairReport(
            need_id=need.id,
            cap_id=cap.id,
            score=float(scores[0]),
            features=dict(zip(FEATURES, feats.values[0].tolist(), strict=True)),
            matched_keywords=feats.matched_keywords[0],
            indexed=indexed,
            retrieved=retrieved,
            conflict=conflict,
            banned=banned,
            rank=rank,
            pool=len(allowed),
            top_n=top_n,
        )

    def _score_outside(
        self, query: Query, need_arrays: NeedArrays, cap: CapabilityDoc
    ) -> tuple[PairFeatures, FloatArray, CapabilityArrays]:
        """:meth:`_score` of the queried need with a capability that is not indexed."""
        index = self._require_index()
        caps = CapabilityArrays.from_docs([cap], index.taxonomy)
        text = index.outside_similarity(query, 0, [cap])
        zero = np.zeros(1, dtype=np.int64)
        near = self._keyword_neighbours()
        neighbours = None
        if near is not None:
            words = index.outside_words([cap])

            def neighbours(alternatives: Sequence[KeywordForms], _rows: IntArray) -> FloatArray:
                return near.similarities_of_words(alternatives, words, caps.haystack)

        feats = pair_features(
            need_arrays,
            caps,
            zero,
            zero,
            text,
            self.region_weights,
            neighbours,
        )
        return feats, weighted_scores(feats.values, self.weights), caps

    # -- a capability joins or leaves --------------------------------------------------------

    def need_index(self, need_docs: Sequence[NeedDoc]) -> NeedIndex:
        """Encode ``need_docs`` for :meth:`entering_needs` (valid until the index is rebuilt:
        appends keep the statistics the needs were encoded with)."""
        index = self._require_index()
        docs = tuple(need_docs)
        return NeedIndex(
            docs=docs,
            ids=np.array([d.id for d in docs], dtype=np.int64),
            query=index.encode(docs),
            arrays=NeedArrays.from_docs(docs, index.taxonomy),
            row_of={d.id: row for row, d in enumerate(docs)},
        )

    def need_index_update(
        self, old: NeedIndex | None, keep: Sequence[NeedDoc], new_docs: Sequence[NeedDoc]
    ) -> NeedIndex:
        """``old`` reduced to the needs ``keep`` (their rows reused) plus ``new_docs``
        encoded now; a fresh :meth:`need_index` when there is nothing to reuse."""
        if old is None or not keep:
            return self.need_index([*keep, *new_docs])
        rows = np.array([old.row_of[d.id] for d in keep], dtype=np.int64)
        docs = (*keep, *new_docs)
        index = self._require_index()
        if new_docs:
            fresh = index.encode(new_docs)
            sparse = sp.vstack([old.query.sparse[rows], fresh.sparse], format="csr")
            dense = (
                None
                if old.query.dense is None or fresh.dense is None
                else np.concatenate([old.query.dense[rows], fresh.dense])
            )
            nodes = np.concatenate([old.query.nodes[rows], fresh.nodes])
        else:
            sparse, nodes = old.query.sparse[rows], old.query.nodes[rows]
            dense = None if old.query.dense is None else old.query.dense[rows]
        return NeedIndex(
            docs=docs,
            ids=np.array([d.id for d in docs], dtype=np.int64),
            query=Query(sparse=sp.csr_matrix(sparse), dense=dense, nodes=nodes),
            arrays=NeedArrays.from_docs(docs, index.taxonomy),
            row_of={d.id: row for row, d in enumerate(docs)},
        )

    def reaching_needs(self, needs: NeedIndex, cap_id: int) -> IntArray:
        """Rows of ``needs`` whose retrieval can find the indexed capability at all (positive
        search similarity): only their candidate pools can hold it."""
        index = self._require_index()
        if not len(needs):
            return np.zeros(0, dtype=np.int64)
        sims = index.search_similarity(needs.query.sparse, index.row_of(cap_id))
        return np.flatnonzero(sims > 0)

    def cut_offs(
        self,
        needs: NeedIndex,
        current: Mapping[int, CurrentCandidates],
        rows: IntArray | None = None,
        *,
        top_n: int = 50,
    ) -> CutOffs:
        """What a newcomer must reach to change the needs at ``rows`` of ``needs`` (all when
        None), from their stored candidates ``current`` (need id -> candidates): the score
        of the ``top_n``-th (-inf when a need holds fewer) and the lowest search similarity
        among them (+inf when none is indexed). Valid while the index is only appended to:
        appends move no other pair's similarity."""
        index = self._require_index()
        rows = np.arange(len(needs), dtype=np.int64) if rows is None else rows
        score = np.full(len(rows), -np.inf)
        floor = np.full(len(rows), np.inf)
        pair_at: list[IntArray] = []
        pair_caps: list[IntArray] = []
        for pos, need_row in enumerate(rows.tolist()):
            held = current.get(int(needs.ids[need_row]))
            if held is None or len(held.cap_ids) == 0:
                continue
            if len(held.scores) >= top_n:
                score[pos] = float(np.sort(held.scores)[::-1][top_n - 1])
            caps = [index.row_of(int(c)) for c in held.cap_ids.tolist() if index.contains(int(c))]
            if caps:
                pair_caps.append(np.array(caps, dtype=np.int64))
                pair_at.append(np.full(len(caps), pos, dtype=np.int64))
        if pair_caps:
            at = np.concatenate(pair_at)
            sims = index.pair_search_similarity(needs.query, rows[at], np.concatenate(pair_caps))
            np.minimum.at(floor, at, sims)
        query = Query(
            sparse=needs.query.sparse[rows],
            dense=None if needs.query.dense is None else needs.query.dense[rows],
            nodes=needs.query.nodes[rows],
        )
        pool, node_pool, entry, node_entry = index.pool_minimums(query, retrieval_depth(top_n))
        return CutOffs(
            score=score,
            floor=floor,
            pool=pool,
            node_pool=node_pool,
            entry=entry,
            node_entry=node_entry,
            deleted=np.full(len(rows), int(index.dead.sum()), dtype=np.int64),
        )

    def entering_needs(
        self,
        needs: NeedIndex,
        cap_id: int,
        current: Mapping[int, CurrentCandidates] | None = None,
        *,
        cut_offs: CutOffs | None = None,
        top_n: int = 50,
        related_pairs: Iterable[tuple[int, int]] = (),
        negative_list: NegativeList | None = None,
    ) -> list[int]:
        """Needs whose top ``top_n`` a newly indexed capability can change, without ranking
        them: the capability is the query against the needs.

        A need's ranking changes only if the capability enters its retrieval pool (other
        pairs keep their similarity: appends do not move the statistics), and then only if
        (a) the capability, allowed by the hard filters, scores at least the need's cut-off
        (the score of its ``top_n``-th current candidate; none when it has fewer), or (b) it
        pushes a current candidate out of the pool: the pushed-out one has a lower search
        similarity than the newcomer, so this needs the newcomer's similarity to reach the
        lowest of the current candidates'. Both tests are exact up to a margin kept on the
        side of rescoring (1e-9 for similarities, 1e-6 for scores: a feature is rounded to
        six decimals, and a float32 word-vector cosine may round either way); a need left
        out would rank exactly as before.

        The cut-offs come from ``current`` (need id -> stored candidates) or, kept by the
        caller between capabilities, as ``cut_offs`` for every row of ``needs``
        (:meth:`cut_offs`). Test (b) needs no scoring; only the needs it leaves are scored,
        the newcomer's keyword-vector credit computed once per distinct keyword.
        """
        index = self._require_index()
        if not len(needs):
            return []
        row = index.row_of(cap_id)
        all_search = index.search_similarity(needs.query.sparse, row)
        reach = np.flatnonzero(all_search > 0)
        if len(reach) == 0:
            return []
        search = all_search[reach]
        if cut_offs is None:
            found = self.cut_offs(needs, current or {}, reach, top_n=top_n)
        else:
            found = cut_offs.rows(reach)
        cut_score = found.score
        # (b): the newcomer reaches the lowest search similarity of the current candidates,
        # and that of a part of the pool it enters (the global top, or a chain's best of a
        # chain it shares with the need): only then can it push a current candidate out.
        margin = 1e-5  # retrieval ranks in float32
        shared = needs.query.nodes[reach] & index.caps.chain_hot[row]
        enters = (search >= found.pool - margin) | (
            shared & (search[:, None] >= found.node_pool - margin)
        ).any(axis=1)
        change = (search >= found.floor - 1e-9) & enters
        # (a) only if the newcomer enters the pool at all: above the entry of a full part.
        # A row deleted since the entries were computed may have left room below them.
        pooled = (
            (found.deleted < int(index.dead.sum()))
            | (search >= found.entry - margin)
            | (shared & (search[:, None] >= found.node_entry - margin)).any(axis=1)
        )
        allowed = ~(
            self._banned_rows(negative_list)[row]
            | conflict_mask(
                needs.arrays.org_id[reach],
                np.full(len(reach), index.caps.org_id[row], dtype=np.int64),
                list(related_pairs),
            )
        )
        # (a): an allowed newcomer where a need holds fewer than top_n enters it anyway.
        allowed &= pooled
        change |= allowed & np.isneginf(cut_score)
        todo = np.flatnonzero(~change & allowed)
        if len(todo):
            # Most reached needs share a word or two with the newcomer and hold far better
            # candidates: its score with full keyword coverage already misses their cut-off.
            rows, caps = reach[todo], np.full(len(todo), row, dtype=np.int64)
            bound = weighted_scores(
                pair_features(
                    needs.arrays,
                    index.caps,
                    rows,
                    caps,
                    self._text(needs.query, rows, caps),
                    self.region_weights,
                    keywords=False,
                ).values,
                self.weights,
            )
            todo = todo[bound >= cut_score[todo] - 1e-6]
        if len(todo):
            pairs = Candidates(
                need_rows=reach[todo],
                cap_rows=np.full(len(todo), row, dtype=np.int64),
                similarity=np.zeros(len(todo), dtype=np.float64),
            )
            near = self._keyword_neighbours()
            one = None
            if near is not None:
                one = near.of_one(row)
                one.prime(
                    name
                    for need_row in pairs.need_rows.tolist()
                    for name, _forms in needs.arrays.keyword_alternatives[need_row]
                )
            _feats, scores = self._score(needs.query, needs.arrays, pairs, neighbours=one)
            change[todo] = scores >= cut_score[todo] - 1e-6
        return sorted(int(n) for n in needs.ids[reach[change]].tolist())

    def pool_needs(self, needs: NeedIndex, cap_id: int, *, top_n: int = 50) -> list[int]:
        """Needs whose retrieval pool holds the indexed capability now (found by retrieving
        the pools of the needs it reaches): removing it lets another capability into each
        of these pools, so they are the ones a removal can change."""
        index = self._require_index()
        reach = self.reaching_needs(needs, cap_id)
        if len(reach) == 0:
            return []
        row = index.row_of(cap_id)
        query = Query(
            sparse=needs.query.sparse[reach],
            dense=None if needs.query.dense is None else needs.query.dense[reach],
            nodes=needs.query.nodes[reach],
        )
        docs = [needs.docs[i] for i in reach.tolist()]
        found = index.top_candidates(docs, n=retrieval_depth(top_n), query=query)
        hits = np.unique(found.need_rows[found.cap_rows == row])
        return sorted(int(needs.ids[reach[h]]) for h in hits.tolist())

    # -- pairing ------------------------------------------------------------------------------

    def recommend(
        self,
        candidates: Sequence[Candidate],
        *,
        k: int,
        firm_capacity: Mapping[int, int],
        all_need_ids: Iterable[int] = (),
    ) -> PairingResult:
        """Pick up to ``k`` candidates per need and at most ``firm_capacity[firm]`` per firm
        (firm = the capability's organisation), maximising the total score."""
        index = self._require_index()
        cap_ids = np.array([c.cap_id for c in candidates], dtype=np.int64)
        rows = np.array([index.row_of(int(c)) for c in cap_ids], dtype=np.int64)
        return pair(
            [c.need_id for c in candidates],
            cap_ids,
            index.caps.org_id[rows] if len(rows) else np.zeros(0, dtype=np.int64),
            [c.score for c in candidates],
            k=k,
            firm_capacity=firm_capacity,
            all_need_ids=all_need_ids,
        )


def _caps_from(caps: CapabilityArrays, start: int) -> CapabilityArrays:
    """The capability columns from row ``start`` on."""
    return CapabilityArrays(
        id=caps.id[start:],
        org_id=caps.org_id[start:],
        region=caps.region[start:],
        trl=caps.trl[start:],
        track_record=caps.track_record[start:],
        capacity=caps.capacity[start:],
        chain_hot=caps.chain_hot[start:],
        haystack=caps.haystack[start:],
    )


def _one_pair(cap_row: int) -> Candidates:
    """The pair (queried need 0, index row ``cap_row``) as candidates."""
    return Candidates(
        need_rows=np.zeros(1, dtype=np.int64),
        cap_rows=np.array([cap_row], dtype=np.int64),
        similarity=np.zeros(1, dtype=np.float64),
    )


def retrieval_depth(top_n: int) -> int:
    """How many candidates retrieval fetches per need (before its chains' best are added):
    twice the kept ``top_n``, so the hard filters and the re-scoring have room."""
    return max(2 * top_n, top_n + 20)


def _ranks(sorted_need_rows: IntArray) -> IntArray:
    """1-based position of each element within its run of equal need rows."""
    if len(sorted_need_rows) == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[True, sorted_need_rows[1:] != sorted_need_rows[:-1]]
    start_pos = np.maximum.accumulate(np.where(starts, np.arange(len(starts)), 0))
    return np.arange(len(starts)) - start_pos + 1
