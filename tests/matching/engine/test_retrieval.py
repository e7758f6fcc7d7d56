"""Unit tests for matching.engine.retrieval: candidates, chain union, persistence."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from matching.engine.retrieval import SMALL_BATCH, CapabilityIndex, RetrievalConfig
from matching.engine.scoring import CapabilityDoc, ChainNode, NeedDoc
from matching.engine.text import Analyzer, read_taxonomy_csv
from matching.engine.vectors import WordVectors, get_word_vectors
from tests.disk import fill_disk

TAXONOMY_CSV = Path(__file__).resolve().parents[3] / "reference" / "data" / "industry_chains.csv"


@pytest.fixture(scope="module")
def taxonomy() -> tuple[ChainNode, ...]:
    return read_taxonomy_csv(TAXONOMY_CSV)


@pytest.fixture(scope="module")
def analyzer(taxonomy: tuple[ChainNode, ...], tmp_path_factory: pytest.TempPathFactory) -> Analyzer:
    return Analyzer(taxonomy, ["液位计", "积水监测"], cache_dir=tmp_path_factory.mktemp("jieba"))


def cap(
    cap_id: int, text: str, chains: tuple[str, ...], keywords: tuple[str, ...] = ()
) -> CapabilityDoc:
    return CapabilityDoc(
        id=cap_id,
        ref=f"C{cap_id}",
        org_id=1000 + cap_id,
        region_path="360000/360100/360102",
        chains=chains,
        keywords=keywords,
        text=text,
        tokens=None,
        trl=7,
    )


def need(
    need_id: int, text: str, chains: tuple[str, ...], keywords: tuple[str, ...] = ()
) -> NeedDoc:
    return NeedDoc(
        id=need_id,
        ref=f"N{need_id}",
        org_id=1,
        region_path="360000/360100",
        chains=chains,
        keywords=keywords,
        text=text,
        tokens=None,
        min_trl=5,
        validation_type="technology",
    )


CAPS = [
    cap(1, "排水管网液位计与内涝预警平台，实时监测积水", ("digital-city",), ("液位计",)),
    cap(2, "全固态电池储能系统，热失控防护", ("solid-state-battery",), ("固态电池",)),
    cap(3, "多旋翼无人机即时配送与航线规划", ("low-altitude",), ("无人机",)),
    cap(4, "城市大脑数字孪生底座", ("digital-city",)),
    cap(5, "钢铁轧制表面缺陷检测", ("steel",)),
    cap(6, "暴雨积水预警短信平台与城市积水监测", ("emerging",)),
]


@pytest.fixture(scope="module")
def index(analyzer: Analyzer) -> CapabilityIndex:
    return CapabilityIndex.build(CAPS, analyzer)


def candidate_ids(index: CapabilityIndex, needs: list[NeedDoc], n: int) -> list[list[int]]:
    cands = index.top_candidates(needs, n=n)
    out: list[list[int]] = [[] for _ in needs]
    for need_row, cap_row in zip(cands.need_rows, cands.cap_rows, strict=True):
        out[int(need_row)].append(int(index.caps.id[cap_row]))
    return out


def test_top_candidates_puts_the_textual_matches_first(index: CapabilityIndex) -> None:
    needs = [need(1, "易涝点积水监测与内涝预警", ("digital-city",), ("积水监测",))]

    ranked = candidate_ids(index, needs, n=3)[0]

    # The two waterlogging capabilities: one shares the chain and 内涝预警, the other the
    # keyword 积水监测 verbatim; which leads is the block weights' call.
    assert set(ranked[:2]) == {1, 6}
    assert 2 not in ranked
    assert 5 not in ranked


def test_top_candidates_similarity_is_in_unit_interval_and_sorted(index: CapabilityIndex) -> None:
    needs = [need(1, "易涝点积水监测与内涝预警", ("digital-city",)), need(2, "无人机配送", ())]

    cands = index.top_candidates(needs, n=5)

    assert len(cands) > 0
    assert cands.similarity.min() > 0.0
    assert cands.similarity.max() <= 1.0
    for row in (0, 1):
        sims = cands.similarity[cands.need_rows == row]
        assert np.all(np.diff(sims) <= 0)


def test_top_candidates_unites_capabilities_of_the_needs_chain(index: CapabilityIndex) -> None:
    # Cap 6 shares the words (积水, 预警, 监测); cap 4 shares only the chain. With n=1 the
    # global top keeps cap 6 or cap 1, and the chain union must still bring in cap 4.
    needs = [need(1, "积水监测预警", ("digital-city",))]

    ranked = candidate_ids(index, needs, n=1)[0]

    assert {1, 4}.issubset(ranked)
    assert 5 not in ranked


def test_top_candidates_chain_union_can_be_switched_off(analyzer: Analyzer) -> None:
    index = CapabilityIndex.build(CAPS, analyzer, config=RetrievalConfig(chain_union_per_node=0))

    ranked = candidate_ids(index, [need(1, "积水监测预警", ("digital-city",))], n=1)[0]

    assert len(ranked) == 1


def test_small_and_large_batches_give_the_same_candidates(index: CapabilityIndex) -> None:
    texts = ["积水监测", "固态电池储能", "无人机航线", "数字孪生城市", "缺陷检测"]
    needs = [need(i, texts[i % len(texts)], ()) for i in range(SMALL_BATCH + 4)]

    together = candidate_ids(index, needs, n=3)
    alone = [candidate_ids(index, [n], n=3)[0] for n in needs]

    assert together == alone


def test_chunk_size_does_not_change_candidates(analyzer: Analyzer) -> None:
    small = CapabilityIndex.build(CAPS, analyzer, config=RetrievalConfig(chunk_size=2))
    large = CapabilityIndex.build(CAPS, analyzer)
    needs = [need(i, "积水监测与固态电池", ("digital-city",)) for i in range(SMALL_BATCH + 3)]

    assert candidate_ids(small, needs, n=2) == candidate_ids(large, needs, n=2)


def test_index_uses_cached_tokens_and_segments_only_the_rest(
    analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = analyzer.tokenize

    def spy(text: str) -> tuple[str, ...]:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(analyzer, "tokenize", spy)
    cached = dataclasses.replace(CAPS[1], tokens=("量子计算",))

    index = CapabilityIndex.build([CAPS[0], cached], analyzer)
    found = candidate_ids(index, [need(1, "量子计算", ())], n=5)[0]

    assert calls == [CAPS[0].text, "量子计算"]
    assert found == [2]


def test_index_round_trips_through_a_file(
    analyzer: Analyzer, index: CapabilityIndex, tmp_path: Path
) -> None:
    needs = [need(1, "积水监测预警", ("digital-city",)), need(2, "固态电池热失控", ())]
    path = tmp_path / "run-42.npz"

    index.save(path)
    loaded = CapabilityIndex.load(path, analyzer)

    before, after = index.top_candidates(needs, n=3), loaded.top_candidates(needs, n=3)
    assert np.array_equal(before.cap_rows, after.cap_rows)
    assert np.array_equal(before.similarity, after.similarity)
    assert loaded.caps.haystack == index.caps.haystack
    assert loaded.row_of(3) == index.row_of(3)
    assert loaded.contains(3)
    assert not loaded.contains(999_999)


def test_index_save_on_a_full_disk_leaves_no_file(
    index: CapabilityIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a volume with 4 KiB left
    fill_disk(monkeypatch, tmp_path, budget=4096)

    # when / then: the error reaches the caller, and no half index (nor its temporary) stays
    with pytest.raises(OSError, match="No space left"):
        index.save(tmp_path / "index.npz")
    assert list(tmp_path.iterdir()) == []


def test_index_load_rejects_another_analyzer(
    taxonomy: tuple[ChainNode, ...], index: CapabilityIndex, tmp_path: Path
) -> None:
    path = tmp_path / "index.npz"
    index.save(path)
    other = Analyzer(taxonomy, ["别的词"], cache_dir=tmp_path)

    with pytest.raises(ValueError, match="fingerprint"):
        CapabilityIndex.load(path, other)


def test_index_rows_follow_capability_ids(analyzer: Analyzer) -> None:
    shuffled = [CAPS[3], CAPS[0], CAPS[5], CAPS[1]]

    index = CapabilityIndex.build(shuffled, analyzer)

    assert index.caps.id.tolist() == [1, 2, 4, 6]
    with pytest.raises(ValueError, match="duplicate"):
        CapabilityIndex.build([CAPS[0], CAPS[0]], analyzer)


def test_word_vectors_load_from_the_wheel_and_cache_as_npy(tmp_path: Path) -> None:
    vectors = WordVectors.load(tmp_path)

    again = WordVectors.load(tmp_path)

    assert len(list(tmp_path.glob("cnsyn-*.npy"))) == 2
    assert again.vectors.shape == vectors.vectors.shape
    assert vectors.vectors.shape[1] == 75
    fall, tumble, steel = (vectors.token_vector(w) for w in ("跌倒", "摔倒", "钢铁"))
    assert fall is not None
    assert tumble is not None
    assert steel is not None
    assert float(fall @ tumble) > float(fall @ steel) + 0.2
    assert get_word_vectors(tmp_path) is get_word_vectors(tmp_path)


def test_dense_block_adds_a_semantic_similarity(analyzer: Analyzer, tmp_path: Path) -> None:
    vectors = WordVectors.load(tmp_path)
    index = CapabilityIndex.build(CAPS, analyzer, vectors=vectors)
    query = index.encode([need(1, "老人摔倒报警", ())])

    dense = index.pair_dense(query.dense, np.array([0, 0]), np.array([0, 4]))

    assert index.dense is not None
    assert index.weights[2] > 0
    assert ((dense >= 0) & (dense <= 1)).all()
