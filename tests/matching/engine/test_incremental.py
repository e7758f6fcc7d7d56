"""Appending to and deleting from a capability index, and finding the needs a new
capability changes (issue 13, item 4)."""

import random
from pathlib import Path

import numpy as np
import pytest

from matching.engine import MatchEngine
from matching.engine.ranking import CurrentCandidates, NeedIndex
from matching.engine.retrieval import CapabilityIndex, RetrievalConfig
from matching.engine.scoring import CapabilityDoc, ChainNode, NeedDoc
from matching.engine.text import Analyzer, read_taxonomy_csv
from matching.engine.vectors import WordVectors

TAXONOMY_CSV = Path(__file__).resolve().parents[3] / "reference" / "data" / "industry_chains.csv"
WORDS = [
    "液位计",
    "积水",
    "监测",
    "内涝",
    "预警",
    "平台",
    "固态电池",
    "储能",
    "热失控",
    "无人机",
    "配送",
    "航线",
    "数字孪生",
    "城市大脑",
    "钢铁",
    "轧制",
    "缺陷",
    "检测",
    "激光雷达",
    "传感器",
    "算法",
    "边缘计算",
    "巡检",
    "机器人",
    "光伏",
    "逆变器",
    "氢能",
    "电解槽",
    "芯片",
    "封装",
    "视觉",
    "识别",
    "医疗",
    "影像",
    "康养",
    "护理",
    "冷链",
    "物流",
    "溯源",
    "区块链",
]
CHAINS = ("digital-city", "solid-state-battery", "low-altitude", "steel", "emerging")
# Small pools so that pools fill up and a newcomer can push a candidate out.
TOP_N = 5
CONFIG = RetrievalConfig(chain_union_per_node=4, search_max_df=0.3)


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory) -> Analyzer:
    taxonomy: tuple[ChainNode, ...] = read_taxonomy_csv(TAXONOMY_CSV)
    return Analyzer(taxonomy, WORDS, cache_dir=tmp_path_factory.mktemp("jieba"))


def _text(rng: random.Random) -> tuple[str, tuple[str, ...]]:
    words = rng.sample(WORDS, rng.randint(3, 7))
    return "，".join(words), tuple(words[:2])


def make_cap(rng: random.Random, cap_id: int) -> CapabilityDoc:
    text, keywords = _text(rng)
    return CapabilityDoc(
        id=cap_id,
        ref=f"C{cap_id}",
        org_id=1000 + cap_id % 17,
        region_path=rng.choice(["360000/360100/360102", "440000/440300"]),
        chains=(rng.choice(CHAINS),),
        keywords=keywords,
        text=text,
        tokens=None,
        trl=rng.randint(4, 9),
        validated_pilots=rng.randint(0, 2),
        capacity=2,
    )


def make_need(rng: random.Random, need_id: int) -> NeedDoc:
    text, keywords = _text(rng)
    return NeedDoc(
        id=need_id,
        ref=f"N{need_id}",
        org_id=1 + need_id % 3,
        region_path="360000/360100",
        chains=(rng.choice(CHAINS),),
        keywords=keywords,
        text=text,
        tokens=None,
        min_trl=5,
        validation_type="technology",
    )


def world(seed: int = 7) -> tuple[list[CapabilityDoc], list[NeedDoc]]:
    rng = random.Random(seed)
    caps = [make_cap(rng, i) for i in range(1, 301)]
    needs = [make_need(rng, i) for i in range(1, 41)]
    return caps, needs


def engine_over(analyzer: Analyzer, caps: list[CapabilityDoc]) -> MatchEngine:
    engine = MatchEngine(analyzer, retrieval=CONFIG)
    engine.build_index(caps)
    return engine


def top(engine: MatchEngine, needs: list[NeedDoc]) -> dict[int, list[tuple[int, float]]]:
    out: dict[int, list[tuple[int, float]]] = {n.id: [] for n in needs}
    for c in engine.rank(needs, top_n=TOP_N):
        out[c.need_id].append((c.cap_id, c.score))
    return out


def current_of(ranked: dict[int, list[tuple[int, float]]]) -> dict[int, CurrentCandidates]:
    return {
        need: CurrentCandidates(
            cap_ids=np.array([c for c, _ in pairs], dtype=np.int64),
            scores=np.array([s for _, s in pairs], dtype=np.float64),
        )
        for need, pairs in ranked.items()
        if pairs
    }


def test_an_appended_row_scores_as_the_frozen_index_scores_an_outside_capability(analyzer):
    caps, needs = world()
    base, new = caps[:290], caps[290:]
    reference = CapabilityIndex.build(base, analyzer, config=CONFIG)
    index = CapabilityIndex.build(base, analyzer, config=CONFIG)
    before = index.pair_similarity(
        index.encode(needs), np.zeros(290, dtype=np.int64), np.arange(290)
    )

    rows = index.append(new)

    query = index.encode(needs)
    for need_row in range(len(needs)):
        appended = index.pair_similarity(query, np.full(len(rows), need_row), rows)
        outside = reference.outside_similarity(query, need_row, new)
        dense = index.pair_dense(query.dense, np.full(len(rows), need_row), rows)
        assert np.array_equal(appended + index.weights[2] * dense, outside)
    after = index.pair_similarity(query, np.zeros(290, dtype=np.int64), np.arange(290))
    assert np.array_equal(before, after)  # nobody else's similarity moved
    assert index.appended == 10
    assert index.base_rows == 290


def test_appending_two_percent_stays_within_the_documented_tolerance(analyzer):
    # docs/benchmarks.md: with ≤ 2 % appended, no pair's text similarity differs from a
    # full build by more than 0.05 (most by far less); the compaction makes them equal.
    caps, needs = world(11)
    base, new = caps[:294], caps[294:]
    index = CapabilityIndex.build(base, analyzer, config=CONFIG)
    index.append(new)
    full = CapabilityIndex.build(caps, analyzer, config=CONFIG)
    q_inc, q_full = index.encode(needs), full.encode(needs)
    need_rows = np.repeat(np.arange(len(needs)), len(caps))
    rows = np.tile(np.arange(len(caps)), len(needs))  # same order: ids ascend in both
    assert list(index.caps.id) == list(full.caps.id)
    delta = np.abs(
        index.pair_similarity(q_inc, need_rows, rows)
        - full.pair_similarity(q_full, need_rows, rows)
    )
    assert delta.max() <= 0.05
    compacted = CapabilityIndex.build(caps, analyzer, config=CONFIG)
    assert np.array_equal(compacted.matrix.toarray(), full.matrix.toarray())


def test_retrieval_over_appended_and_deleted_rows_agrees_between_paths(analyzer, tmp_path):
    caps, needs = world(3)
    index = CapabilityIndex.build(caps[:280], analyzer, config=CONFIG)
    index.append(caps[280:])
    gone = [caps[5].id, caps[100].id, caps[285].id]
    index.delete(gone)
    index.append([caps[7]])  # an edit: its old row deleted, a new one appended

    batch = index.top_candidates(needs, n=2 * TOP_N)  # the chunked, sparse_dot_topn path
    for row, doc in enumerate(needs):
        alone = index.top_candidates([doc], n=2 * TOP_N)  # the small-batch path
        mine = batch.need_rows == row
        assert sorted(index.caps.id[batch.cap_rows[mine]]) == sorted(index.caps.id[alone.cap_rows])
    assert not set(gone) & set(index.caps.id[batch.cap_rows].tolist())
    assert not index.contains(caps[5].id)
    assert index.contains(caps[7].id)

    index.save(tmp_path / "i.npz")
    loaded = CapabilityIndex.load(tmp_path / "i.npz", analyzer)
    again = loaded.top_candidates(needs, n=2 * TOP_N)
    assert np.array_equal(again.cap_rows, batch.cap_rows)
    assert loaded.appended == index.appended
    assert not loaded.contains(caps[5].id)


@pytest.mark.parametrize("seed", [1, 2, 5])
def test_entering_needs_are_exactly_the_ones_whose_top_n_can_change(analyzer, seed):
    caps, needs = world(seed)
    rng = random.Random(seed)
    engine = engine_over(analyzer, caps)
    ranked = top(engine, needs)
    needs_index: NeedIndex = engine.need_index(needs)
    found_total = changed_total = 0
    for serial in range(12):
        new = make_cap(rng, 1000 + serial)
        assert engine.index is not None
        engine.index.append([new])
        found = set(engine.entering_needs(needs_index, new.id, current_of(ranked), top_n=TOP_N))
        after = top(engine, needs)
        changed = {n for n in ranked if ranked[n] != after[n]}
        # Every need whose top-n changed was found; the ones left out rank as before.
        assert changed <= found
        # Rescoring the found needs alone gives what ranking everything gives them.
        alone = top(engine, [d for d in needs if d.id in found])
        assert all(alone[n] == after[n] for n in found)
        found_total, changed_total = found_total + len(found), changed_total + len(changed)
        ranked = after
    assert changed_total > 0  # the world is one where capabilities do enter rankings
    assert found_total < 12 * len(needs)  # and not every need is rescored each time


def toy_vectors(seed: int) -> WordVectors:
    """Random 6-d vectors for WORDS, where each pair of neighbours in the list points the
    same way (cosine well above the neighbour threshold), so keyword coverage gets partial
    hits from words the capability does not share."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(len(WORDS) // 2 + 1, 6))
    rows = np.array(
        [base[i // 2] + 0.3 * rng.normal(size=6) for i in range(len(WORDS))], dtype=np.float32
    )
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return WordVectors(WORDS, rows)


@pytest.mark.parametrize("seed", [3, 4])
def test_kept_cut_offs_with_keyword_neighbours_find_every_changing_need(analyzer, seed):
    # As the service runs it: word vectors on (keyword neighbours, dense block), the cut-offs
    # computed once and then re-read only for the needs a capability run rescored.
    caps, needs = world(seed)
    rng = random.Random(seed)
    engine = MatchEngine(analyzer, retrieval=CONFIG, vectors=toy_vectors(seed))
    engine.build_index(caps)
    neighbours = engine._keyword_neighbours()
    assert neighbours is not None
    ranked = top(engine, needs)
    needs_index = engine.need_index(needs)
    cut_offs = engine.cut_offs(needs_index, current_of(ranked), top_n=TOP_N)
    credited = found_total = 0
    for serial in range(12):
        new = make_cap(rng, 2000 + serial)
        assert engine.index is not None
        engine.index.append([new])
        assert engine._keyword_neighbours() is neighbours  # appends keep it
        found = set(engine.entering_needs(needs_index, new.id, cut_offs=cut_offs, top_n=TOP_N))
        after = top(engine, needs)
        changed = {n for n in ranked if ranked[n] != after[n]}
        assert changed <= found
        assert found == set(
            engine.entering_needs(needs_index, new.id, current_of(ranked), top_n=TOP_N)
        )
        # The service re-reads the cut-offs of the rescored needs only.
        rows = np.array(sorted(needs_index.row_of[n] for n in found), dtype=np.int64)
        if len(rows):
            fresh = engine.cut_offs(needs_index, current_of(after), rows, top_n=TOP_N)
            for name in ("score", "floor", "pool", "node_pool", "entry", "node_entry"):
                getattr(cut_offs, name)[rows] = getattr(fresh, name)
            cut_offs.deleted[rows] = fresh.deleted
        # Needs have two keywords: coverage above the exact hits' share is neighbour credit.
        credited += sum(
            1
            for c in engine.rank(needs, top_n=TOP_N)
            if c.features["keywords"] > len(c.matched_keywords) / 2 + 1e-9
        )
        found_total += len(found)
        ranked = after
    assert credited > 0  # keyword-vector neighbours took part
    assert found_total < 12 * len(needs)
