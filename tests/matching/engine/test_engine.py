"""Unit tests for matching.engine: ranking, explanations, hard filters, pairing. No database."""

import itertools
from collections import Counter
from pathlib import Path

import pytest

from matching.engine import Candidate, MatchEngine
from matching.engine.scoring import (
    FEATURES,
    CapabilityDoc,
    ChainNode,
    NeedDoc,
    NegativeList,
    Weights,
    score_from_breakdown,
)
from matching.engine.text import Analyzer, read_taxonomy_csv

TAXONOMY_CSV = Path(__file__).resolve().parents[3] / "reference" / "data" / "industry_chains.csv"
AGENCY, OTHER_AGENCY = 1, 2


@pytest.fixture(scope="module")
def taxonomy() -> tuple[ChainNode, ...]:
    return read_taxonomy_csv(TAXONOMY_CSV)


@pytest.fixture(scope="module")
def analyzer(taxonomy: tuple[ChainNode, ...], tmp_path_factory: pytest.TempPathFactory) -> Analyzer:
    return Analyzer(taxonomy, ["热失控", "积水监测"], cache_dir=tmp_path_factory.mktemp("jieba"))


def cap(
    cap_id: int, firm: int, text: str, chains: tuple[str, ...], **extra: object
) -> CapabilityDoc:
    fields: dict[str, object] = {
        "id": cap_id,
        "ref": f"C{cap_id}",
        "org_id": firm,
        "region_path": "360000/360100/360102",
        "chains": chains,
        "keywords": (),
        "text": text,
        "tokens": None,
        "trl": 7,
    }
    return CapabilityDoc(**(fields | extra))  # type: ignore[arg-type]


def need(need_id: int, text: str, chains: tuple[str, ...], **extra: object) -> NeedDoc:
    fields: dict[str, object] = {
        "id": need_id,
        "ref": f"N{need_id}",
        "org_id": AGENCY,
        "region_path": "360000/360100/360102",
        "chains": chains,
        "keywords": (),
        "text": text,
        "tokens": None,
        "min_trl": 5,
        "validation_type": "technology",
    }
    return NeedDoc(**(fields | extra))  # type: ignore[arg-type]


CAPS = [
    cap(1, 101, "全固态电池储能系统与热失控防护", ("solid-state-battery",), keywords=("固态电池",)),
    cap(2, 102, "半固态电池电芯中试线", ("solid-state-battery",)),
    cap(3, 103, "排水管网液位监测与内涝积水预警", ("digital-city",)),
    cap(4, 104, "钢铁轧制表面缺陷在线检测", ("steel",)),
    cap(5, 105, "多旋翼无人机即时配送", ("low-altitude",)),
    cap(6, AGENCY, "储能电站固态电池安全评估", ("solid-state-battery",)),
    cap(7, 107, "固态电池储能电站热失控预警与燃煤掺烧", ("solid-state-battery",)),
    cap(8, 108, "高安全储能电池簇与电站运维", ("future-energy",)),
]
NEEDS = [
    need(
        10,
        "储能电站固态电池热失控防护验证",
        ("solid-state-battery",),
        keywords=("固态电池", "热失控"),
    ),
    need(11, "中心城区积水监测与内涝预警", ("digital-city",), keywords=("积水监测",)),
    need(12, "山区无人机配送试点", ("low-altitude",), org_id=OTHER_AGENCY),
]


@pytest.fixture(scope="module")
def engine(analyzer: Analyzer) -> MatchEngine:
    engine = MatchEngine(analyzer)
    engine.build_index(CAPS)
    return engine


def by_need(candidates: list[Candidate]) -> dict[int, list[Candidate]]:
    out: dict[int, list[Candidate]] = {}
    for c in candidates:
        out.setdefault(c.need_id, []).append(c)
    return out


def test_rank_puts_a_pair_sharing_the_chain_above_an_unrelated_one(engine: MatchEngine) -> None:
    ranked = by_need(engine.rank(NEEDS, top_n=10))[10]

    ids = [c.cap_id for c in ranked]

    assert ids[0] == 1
    assert 4 not in ids or ids.index(1) < ids.index(4)
    assert ranked[0].features["chain"] == 1.0
    assert ranked[0].matched_keywords == ["固态电池", "热失控"]


def test_rank_breakdown_reproduces_the_score_exactly(analyzer: Analyzer) -> None:
    weights = Weights(
        text=0.5, chain=0.2, keywords=0.1, trl=0.05, region=0.07, track_record=0.03, capacity=0.05
    )
    engine = MatchEngine(analyzer, weights=weights)
    engine.build_index(CAPS)

    candidates = engine.rank(NEEDS, top_n=10)

    assert candidates
    for c in candidates:
        assert list(c.features) == list(FEATURES)
        assert all(0.0 <= v <= 1.0 for v in c.features.values())
        assert score_from_breakdown(c.features, weights) == c.score


def test_rank_uses_the_policy_weights(analyzer: Analyzer) -> None:
    chain_only = Weights(text=0, chain=1, keywords=0, trl=0, region=0, track_record=0, capacity=0)
    engine = MatchEngine(analyzer, weights=chain_only)
    engine.build_index(CAPS)

    ranked = by_need(engine.rank(NEEDS, top_n=10))[10]

    assert all(c.score == c.features["chain"] for c in ranked)


def test_rank_orders_by_score_then_capability_id(analyzer: Analyzer) -> None:
    twins = [cap(i, 200 + i, "固态电池热失控防护", ("solid-state-battery",)) for i in (31, 30, 32)]
    engine = MatchEngine(analyzer)
    engine.build_index(twins)

    ranked = engine.rank([NEEDS[0]], top_n=3)

    assert [c.cap_id for c in ranked] == [30, 31, 32]
    assert [c.rank for c in ranked] == [1, 2, 3]
    assert len({c.score for c in ranked}) == 1


def test_rank_keeps_at_most_top_n_per_need_with_consecutive_ranks(engine: MatchEngine) -> None:
    candidates = engine.rank(NEEDS, top_n=2)

    grouped = by_need(candidates)

    assert all(len(group) <= 2 for group in grouped.values())
    for group in grouped.values():
        assert [c.rank for c in group] == list(range(1, len(group) + 1))
        assert all(a.score >= b.score for a, b in itertools.pairwise(group))


def test_rank_never_returns_conflict_of_interest_pairs(engine: MatchEngine) -> None:
    related = {(AGENCY, 102), (OTHER_AGENCY, 105)}

    candidates = engine.rank(NEEDS, top_n=10, related_pairs=related)

    pairs = {(c.need_id, c.cap_id) for c in candidates}
    assert (10, 6) not in pairs  # the agency's own capability
    assert (10, 2) not in pairs  # a declared relation
    assert (12, 5) not in pairs
    assert (10, 1) in pairs


def test_rank_never_returns_negative_list_pairs(engine: MatchEngine) -> None:
    negative = NegativeList(keywords=("燃煤",), chain_slugs=("future-energy",))

    candidates = engine.rank(NEEDS, top_n=10, negative_list=negative)

    cap_ids = {c.cap_id for c in candidates}
    assert 7 not in cap_ids  # banned keyword
    assert 1 not in cap_ids  # solid-state-battery lies under the banned future-energy
    assert 8 not in cap_ids
    assert 3 in cap_ids


def test_rank_is_the_same_alone_in_a_batch_and_after_reloading(
    engine: MatchEngine, analyzer: Analyzer, tmp_path: Path
) -> None:
    path = tmp_path / "index.npz"
    assert engine.index is not None
    engine.index.save(path)
    reloaded = MatchEngine(analyzer)
    reloaded.load_index(path)

    batch = engine.rank(NEEDS, top_n=5)
    alone = [c for n in NEEDS for c in engine.rank([n], top_n=5)]
    again = reloaded.rank(NEEDS, top_n=5)

    assert batch == alone
    assert batch == again


def test_rank_handles_an_empty_index_and_no_needs(analyzer: Analyzer, tmp_path: Path) -> None:
    engine = MatchEngine(analyzer)
    index = engine.build_index([])
    index.save(tmp_path / "empty.npz")

    engine.load_index(tmp_path / "empty.npz")

    assert engine.rank(NEEDS) == []
    assert engine.rank([]) == []


def test_rank_requires_an_index(analyzer: Analyzer) -> None:
    with pytest.raises(RuntimeError, match="index"):
        MatchEngine(analyzer).rank(NEEDS)


def test_engine_rejects_a_taxonomy_that_differs_from_the_analyzer(
    analyzer: Analyzer, taxonomy: tuple[ChainNode, ...]
) -> None:
    MatchEngine(analyzer, taxonomy)

    with pytest.raises(ValueError, match="taxonomy"):
        MatchEngine(analyzer, taxonomy[:3])


def test_recommend_respects_k_and_firm_capacity(engine: MatchEngine) -> None:
    candidates = engine.rank(NEEDS, top_n=10)
    quota = {c.org_id: 1 for c in CAPS}

    result = engine.recommend(candidates, k=2, firm_capacity=quota, all_need_ids=[10, 11, 12, 13])

    firm_of = {c.id: c.org_id for c in CAPS}
    assert max(Counter(n for n, _, _ in result.pairs).values()) <= 2
    assert max(Counter(firm_of[c] for _, c, _ in result.pairs).values()) <= 1
    assert result.shortfall[13] == "no_candidates"
    assert result.chosen() <= {(c.need_id, c.cap_id) for c in candidates}
