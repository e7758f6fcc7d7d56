"""Unit tests for matching.engine.keywords: a need's keyword counts as a partial hit in a
capability that says the same thing in other words (a word-vector neighbour), never through
the placeholder vector many words share; with toy vectors and with cnsyn. No database."""

from pathlib import Path

import numpy as np
import pytest

from matching.engine import MatchEngine
from matching.engine.keywords import LENGTH_B, KeywordNeighbours, keyword_pieces
from matching.engine.retrieval import CapabilityIndex
from matching.engine.scoring import (
    CapabilityDoc,
    NeedDoc,
    capability_haystack,
    keyword_coverage,
)
from matching.engine.text import Analyzer, read_taxonomy_csv
from matching.engine.vectors import WordVectors, get_word_vectors

TAXONOMY_CSV = Path(__file__).resolve().parents[3] / "reference" / "data" / "industry_chains.csv"


def toy_vectors() -> WordVectors:
    """跌倒 and 摔倒 close (0.8), 报警 and 告警 close (0.6 along one axis and more), 钢铁 far;
    ten words share the placeholder vector (like a third of cnsyn's words)."""
    words = ["跌倒", "摔倒", "钢铁", "报警", "告警", *[f"占位{i}" for i in range(10)]]
    rows = [
        [1.0, 0.0, 0.0, 0.0],
        [0.8, 0.6, 0.0, 0.0],
        [0.0, 0.0, 1.0, 0.0],
        [0.0, 0.0, 0.0, 1.0],
        [0.0, 0.0, 0.6, 0.8],
    ] + [[0.0, 1.0, 0.0, 0.0]] * 10
    return WordVectors(words, np.array(rows, dtype=np.float32))


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory) -> Analyzer:
    extra = ["跌倒", "摔倒", "钢铁", "报警", "告警", "占位1", "占位2", "跌倒报警"]
    return Analyzer(
        read_taxonomy_csv(TAXONOMY_CSV), extra, cache_dir=tmp_path_factory.mktemp("jieba")
    )


def cap(cap_id: int, text: str, keywords: tuple[str, ...] = ()) -> CapabilityDoc:
    return CapabilityDoc(
        id=cap_id,
        ref=f"C{cap_id}",
        org_id=100 + cap_id,
        region_path="360000/360100/360102",
        chains=("future-health",),
        keywords=keywords,
        text=text,
        tokens=None,
        trl=7,
    )


def need(keywords: tuple[str, ...], text: str = "养老院老人跌倒报警") -> NeedDoc:
    return NeedDoc(
        id=1,
        ref="N1",
        org_id=1,
        region_path="360000/360100",
        chains=("future-health",),
        keywords=keywords,
        text=text,
        tokens=None,
        min_trl=5,
        validation_type="technology",
    )


CAPS = [
    cap(1, "老人摔倒识别 毫米波雷达", ("摔倒",)),  # a neighbour of 跌倒 (0.8)
    cap(2, "钢铁 轧制", ("钢铁",)),  # unrelated
    cap(3, "老人跌倒识别", ("跌倒",)),  # the keyword itself
    cap(4, "占位1 监测", ("占位1",)),  # only the placeholder vector
    cap(5, "设备告警 平台", ("告警",)),  # a neighbour of 报警 at 0.8
]


@pytest.fixture(scope="module")
def neighbours(analyzer: Analyzer) -> KeywordNeighbours:
    vectors = toy_vectors()
    index = CapabilityIndex.build(CAPS, analyzer, vectors=vectors)
    return KeywordNeighbours(index, vectors)


def _alternatives(*keywords: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(k, (k,)) for k in keywords]


def test_a_neighbour_counts_its_cosine_and_an_unrelated_word_nothing(
    neighbours: KeywordNeighbours,
) -> None:
    rows = np.array([neighbours.index.row_of(i) for i in (1, 2, 3)], dtype=np.int64)

    sims = neighbours.similarities(_alternatives("跌倒"), rows)

    assert sims[:, 0].tolist() == pytest.approx([0.8, 0.0, 1.0])


def test_words_sharing_the_placeholder_vector_are_no_neighbours(
    neighbours: KeywordNeighbours,
) -> None:
    row = np.array([neighbours.index.row_of(4)], dtype=np.int64)

    # 占位2 and 占位1 have identical (placeholder) vectors: cosine 1, but no meaning.
    assert neighbours.similarities(_alternatives("占位2"), row).tolist() == [[0.0]]
    assert neighbours.keyword_query("占位2") is None


def test_a_compound_without_its_own_vector_needs_every_piece_found(
    neighbours: KeywordNeighbours,
) -> None:
    # 跌倒报警 has no vector: its pieces 跌倒 and 报警 do. Capability 1 has a neighbour of
    # 跌倒 (摔倒, 0.8) but nothing like 报警; capability 5 the reverse: neither gets credit.
    assert keyword_pieces("跌倒报警", toy_vectors()) == ("跌倒", "报警")
    rows = np.array([neighbours.index.row_of(i) for i in (1, 5)], dtype=np.int64)

    assert neighbours.similarities(_alternatives("跌倒报警"), rows).tolist() == [[0.0], [0.0]]
    # With both pieces' neighbours the credit is the weaker piece's, discounted for the
    # capability's two words against the index's mean.
    both = cap(9, "摔倒 告警", ("摔倒", "告警"))
    credit = neighbours.similarities_of_words(
        _alternatives("跌倒报警"),
        neighbours.index.outside_words([both]),
        [capability_haystack(both)],
    )
    discount = min(1.0, 1 / (1 - LENGTH_B + LENGTH_B * 2 / neighbours.avg_words))
    assert credit[0, 0] == pytest.approx(0.8 * discount)
    # A piece found verbatim counts fully: 跌倒 in the text, 告警 a neighbour of 报警.
    verbatim = cap(10, "跌倒 告警", ("告警",))
    credit = neighbours.similarities_of_words(
        _alternatives("跌倒报警"),
        neighbours.index.outside_words([verbatim]),
        [capability_haystack(verbatim)],
    )
    assert credit[0, 0] > 0


def test_stuffing_many_domain_words_is_discounted(analyzer: Analyzer) -> None:
    vectors = toy_vectors()
    caps = [
        cap(1, "摔倒", ("摔倒",)),
        cap(2, "摔倒 钢铁 报警 告警", ("摔倒", "钢铁", "报警", "告警")),
        *[cap(10 + i, f"老人{i}") for i in range(40)],
    ]
    near = KeywordNeighbours(CapabilityIndex.build(caps, analyzer, vectors=vectors), vectors)
    rows = np.array([near.index.row_of(1), near.index.row_of(2)], dtype=np.int64)

    plain, stuffed = near.similarities(_alternatives("跌倒"), rows)[:, 0].tolist()

    # Both hold 摔倒 (0.8 to 跌倒); capability 2 also four other words against a mean of
    # 2.5 eligible words a capability, so its credit is discounted like a long document.
    assert near.avg_words == pytest.approx(2.5)
    assert plain == pytest.approx(0.8)
    assert stuffed == pytest.approx(0.8 / (1 - LENGTH_B + LENGTH_B * 4 / 2.5), abs=1e-6)
    assert stuffed < plain


def test_a_word_many_capabilities_use_lends_no_credit(analyzer: Analyzer) -> None:
    vectors = toy_vectors()
    caps = [cap(i, f"摔倒 设备{i}", ("摔倒",)) for i in range(1, 6)]
    near = KeywordNeighbours(CapabilityIndex.build(caps, analyzer, vectors=vectors), vectors)

    # 摔倒 is in every capability (above search_max_df): no capability gets credit from it.
    sims = near.similarities(_alternatives("跌倒"), np.arange(5, dtype=np.int64))
    assert sims.max() == 0.0


def test_explain_names_the_capability_words_behind_each_credit(
    neighbours: KeywordNeighbours,
) -> None:
    found = neighbours.explain(_alternatives("跌倒", "钢铁", "占位2"), neighbours.index.row_of(1))

    assert [(m.keyword, m.capability_words) for m in found] == [("跌倒", ("摔倒",))]
    assert found[0].similarity == pytest.approx(0.8)


def test_keyword_coverage_counts_neighbours_as_partial_hits_and_lists_only_verbatim_ones() -> None:
    alternatives = _alternatives("跌倒", "报警")
    near = np.array([[0.8, 0.0], [1.0, 0.6]])

    coverage, matched = keyword_coverage(alternatives, ["摔倒识别", "跌倒 告警"], near)

    assert coverage.tolist() == pytest.approx([0.4, 0.8])
    assert matched == [[], ["跌倒"]]
    # Without neighbours, the paraphrase is a miss.
    plain, _ = keyword_coverage(alternatives, ["摔倒识别", "跌倒 告警"])
    assert plain.tolist() == [0.0, 0.5]


def test_the_engine_scores_a_paraphrase_as_a_partial_hit_and_explains_it_the_same_way(
    analyzer: Analyzer,
) -> None:
    engine = MatchEngine(analyzer, vectors=toy_vectors())
    engine.build_index(CAPS)

    ranked = {c.cap_id: c for c in engine.rank([need(("跌倒",), text="养老院老人")], top_n=10)}

    assert ranked[1].features["keywords"] == pytest.approx(0.8)
    assert ranked[1].matched_keywords == []
    assert ranked[3].features["keywords"] == 1.0
    assert ranked.get(2) is None or ranked[2].features["keywords"] == 0.0
    # A capability outside the index is scored the same way as an indexed one.
    report = engine.explain_pair(
        need(("跌倒",), text="养老院老人"), cap(42, "老人摔倒识别 毫米波雷达", ("摔倒",))
    )
    assert report.features["keywords"] == pytest.approx(0.8)


def test_real_vectors_give_partial_credit_to_a_trade_word_for_the_same_function(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    cnsyn = get_word_vectors(tmp_path_factory.mktemp("vectors"))
    domain = Analyzer(
        read_taxonomy_csv(TAXONOMY_CSV),
        ["运算", "导诊", "计算"],
        cache_dir=tmp_path_factory.mktemp("jieba2"),
    )
    caps = [cap(1, "数据密态运算平台", ("运算",)), cap(2, "医院导诊机器人", ("导诊",))]
    index = CapabilityIndex.build(caps, domain, vectors=cnsyn)
    near = KeywordNeighbours(index, cnsyn)

    sims = near.similarities(_alternatives("计算"), np.array([0, 1], dtype=np.int64))

    # 计算 / 运算 are neighbours in cnsyn (about 0.72); 导诊机器人 shares nothing with it.
    assert sims[0, 0] > 0.7
    assert sims[1, 0] == 0.0


def test_explain_pair_gives_every_ranked_pair_exactly_the_features_rank_gives(
    analyzer: Analyzer,
) -> None:
    engine = MatchEngine(analyzer, vectors=toy_vectors())
    engine.build_index(CAPS)
    asked = need(("跌倒", "报警", "跌倒报警"), text="养老院老人跌倒报警")
    by_id = {c.id: c for c in CAPS}

    ranked = engine.rank([asked], top_n=10)

    assert ranked
    for candidate in ranked:
        report = engine.explain_pair(asked, by_id[candidate.cap_id])
        assert report.features == candidate.features
        assert report.score == candidate.score
