"""Unit tests for matching.engine.concepts: the words a need and a capability match on, with
hand-written pairs (exact, a synonym of the taxonomy, a word-vector neighbour, a chain
relation, and an unrelated pair). No database."""

from pathlib import Path

import numpy as np
import pytest

from matching.engine.concepts import (
    CHAIN,
    CHILD,
    EXACT,
    MAX_CONCEPTS,
    PARENT,
    RELATED,
    SYNONYM,
    VECTOR,
    ConceptMatch,
    Words,
    matched_concepts,
)
from matching.engine.scoring import Taxonomy
from matching.engine.text import read_taxonomy_csv
from matching.engine.vectors import WordVectors, get_word_vectors

TAXONOMY_CSV = Path(__file__).resolve().parents[3] / "reference" / "data" / "industry_chains.csv"


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy(read_taxonomy_csv(TAXONOMY_CSV))


@pytest.fixture(scope="module")
def cnsyn(tmp_path_factory: pytest.TempPathFactory) -> WordVectors:
    return get_word_vectors(tmp_path_factory.mktemp("vectors"))


def toy_vectors() -> WordVectors:
    """Four words in three dimensions: 跌倒 and 摔倒 close, 钢铁 far, 甲 and 乙 sharing the
    placeholder vector most words of the toy vocabulary carry."""
    words = ["跌倒", "摔倒", "钢铁", *[f"占位{i}" for i in range(10)]]
    rows = [[1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [0.0, 0.0, 1.0]] + [[0.0, 1.0, 0.0]] * 10
    return WordVectors(words, np.array(rows, dtype=np.float32))


def words(*tokens: str, keywords: tuple[str, ...] = (), text: str = "") -> Words:
    return Words(tokens=tokens, keywords=keywords, text=text or "".join(tokens))


def test_matched_concepts_finds_the_same_word_on_both_sides(taxonomy: Taxonomy) -> None:
    need = words("城市", "内涝", "积水监测", keywords=("积水监测", "OCR"))
    cap = words("ocr", "票证", "识读", "积水监测", keywords=("积水监测",))

    found = matched_concepts(need, cap, taxonomy=taxonomy)

    assert found == [
        ConceptMatch("积水监测", "积水监测", EXACT, 1.0),
        ConceptMatch("OCR", "OCR", EXACT, 1.0),
    ]


def test_matched_concepts_finds_a_keyword_inside_the_other_text(taxonomy: Taxonomy) -> None:
    need = words("储能", keywords=("储能",))
    cap = words("储能电池", "电站", text="储能电池簇与电站运维")

    found = matched_concepts(need, cap, taxonomy=taxonomy)

    assert found[0] == ConceptMatch("储能", "储能", EXACT, 1.0)


def test_a_keyword_the_other_text_negates_is_not_a_match(taxonomy: Taxonomy) -> None:
    # given: a need asking for 非侵入式 interfaces and an implant's keyword 侵入式脑机接口
    # (shown as "both mention 侵入式脑机接口": the opposite requirement read as a match)
    need = words("非侵入式", "脑机接口", text="征集非侵入式脑机接口康复训练系统")
    cap = words("植入式", "电极", keywords=("侵入式脑机接口",), text="侵入式柔性脑机接口电极")

    found = matched_concepts(need, cap, taxonomy=taxonomy)

    assert all(c.capability_word != "侵入式脑机接口" for c in found)


def test_a_keyword_negated_once_but_also_written_plainly_still_matches(taxonomy: Taxonomy) -> None:
    need = words("侵入式", text="比较非侵入式与侵入式脑机接口")
    cap = words("电极", keywords=("侵入式脑机接口",), text="电极")

    found = matched_concepts(need, cap, taxonomy=taxonomy)

    assert ConceptMatch("侵入式脑机接口", "侵入式脑机接口", EXACT, 1.0) in found


def test_matched_concepts_calls_two_names_of_one_chain_synonyms(taxonomy: Taxonomy) -> None:
    need = words("无人机", "配送", keywords=("无人机",))
    cap = words("evtol", "城市", "物流", keywords=("eVTOL",))

    found = matched_concepts(need, cap, taxonomy=taxonomy)

    assert found == [
        ConceptMatch("无人机", "eVTOL", SYNONYM, 1.0, "", ("low-altitude",), ("low-altitude",))
    ]


def test_matched_concepts_names_parent_child_and_related_chains(taxonomy: Taxonomy) -> None:
    need = words("锂电池", "陶瓷", "新能源")
    cap = words("新能源", "宣纸", "锂电")  # 新能源 is taken by the exact pair first

    found = matched_concepts(need, cap, taxonomy=taxonomy)

    assert found == [
        ConceptMatch("新能源", "新能源", EXACT, 1.0),
        ConceptMatch(
            "锂电池", "锂电", SYNONYM, 1.0, "", ("lithium-battery",), ("lithium-battery",)
        ),
        ConceptMatch("陶瓷", "宣纸", CHAIN, 0.5, RELATED, ("ceramics",), ("four-treasures",)),
    ]
    parent = matched_concepts(words("锂电池"), words("新能源"), taxonomy=taxonomy)
    child = matched_concepts(words("新能源"), words("动力电池"), taxonomy=taxonomy)
    assert parent == [
        ConceptMatch("锂电池", "新能源", CHAIN, 0.7, PARENT, ("lithium-battery",), ("new-energy",))
    ]
    assert child == [
        ConceptMatch("新能源", "动力电池", CHAIN, 0.7, CHILD, ("new-energy",), ("lithium-battery",))
    ]


def test_matched_concepts_finds_word_vector_neighbours(taxonomy: Taxonomy) -> None:
    vectors = toy_vectors()

    found = matched_concepts(
        words("跌倒", "占位1"), words("摔倒", "钢铁", "占位2"), taxonomy=taxonomy, vectors=vectors
    )

    # 占位1 and 占位2 share the placeholder vector (cosine 1): never neighbours.
    assert found == [ConceptMatch("跌倒", "摔倒", VECTOR, 0.8)]
    assert matched_concepts(words("跌倒"), words("摔倒"), taxonomy=taxonomy) == []


def test_matched_concepts_uses_the_cnsyn_vectors(taxonomy: Taxonomy, cnsyn: WordVectors) -> None:
    need = words("直升机", "巡检")
    cap = words("无人机", "航拍", keywords=("无人机",))

    found = matched_concepts(need, cap, taxonomy=taxonomy, vectors=cnsyn)

    assert [(c.need_word, c.capability_word, c.how) for c in found] == [
        ("直升机", "无人机", VECTOR)
    ]
    assert 0.7 <= found[0].similarity < 1.0


def test_matched_concepts_of_an_unrelated_pair_is_empty(
    taxonomy: Taxonomy, cnsyn: WordVectors
) -> None:
    need = words("陶瓷", "文创", "设计", keywords=("陶瓷文创",))
    cap = words("量子计算", "芯片", "测控", keywords=("量子计算",))

    assert matched_concepts(need, cap, taxonomy=taxonomy, vectors=cnsyn) == []


def test_matched_concepts_keeps_domain_words_only_when_given_a_dictionary(
    taxonomy: Taxonomy,
) -> None:
    need, cap = words("平台", "积水监测"), words("平台", "积水监测")

    everything = matched_concepts(need, cap, taxonomy=taxonomy)
    domain = matched_concepts(need, cap, taxonomy=taxonomy, dictionary={"积水监测"})

    assert [c.need_word for c in everything] == ["积水监测", "平台"]
    assert [c.need_word for c in domain] == ["积水监测"]


def test_matched_concepts_are_bounded_one_pair_per_word_and_deterministic(
    taxonomy: Taxonomy,
) -> None:
    shared = [f"概念{i:02d}" for i in range(20)]
    need = words(*shared, "无人机", keywords=("概念05",))
    cap = words(*reversed(shared), "无人机", "低空飞行")

    first = matched_concepts(need, cap, taxonomy=taxonomy)
    again = matched_concepts(need, cap, taxonomy=taxonomy)

    assert first == again
    assert len(first) == MAX_CONCEPTS
    assert first[0].need_word == "概念05"  # a keyword first among exact matches
    assert len({c.need_word for c in first}) == len({c.capability_word for c in first}) == 8
    assert all(c.how == EXACT for c in first)


def test_a_keywords_neighbour_is_named_from_the_cosine_keyword_coverage_counts(
    taxonomy: Taxonomy,
) -> None:
    # 报警 and 告警 are 0.6 apart: keyword coverage counts it (from 0.5), so when 报警 is the
    # need's keyword the explanation names the pair; as a plain word of the text it is not.
    vectors = WordVectors(
        ["报警", "告警", *[f"占位{i}" for i in range(10)]],
        np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0]] + [[0.0, 0.0, 1.0]] * 10, dtype=np.float32),
    )
    cap = words("告警", keywords=("告警",))

    as_keyword = matched_concepts(
        words("报警", keywords=("报警",)), cap, taxonomy=taxonomy, vectors=vectors
    )
    as_text = matched_concepts(words("报警"), cap, taxonomy=taxonomy, vectors=vectors)

    assert as_keyword == [ConceptMatch("报警", "告警", VECTOR, 0.6)]
    assert as_text == []


def test_a_compound_keyword_is_named_through_its_pieces_as_keyword_coverage_counts_it(
    taxonomy: Taxonomy,
) -> None:
    vectors = WordVectors(
        ["跌倒", "摔倒", "报警", "告警", *[f"占位{i}" for i in range(10)]],
        np.array(
            [[1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [0.0, 0.0, 1.0], [0.0, 0.6, 0.8]]
            + [[0.0, 1.0, 0.0]] * 10,
            dtype=np.float32,
        ),
    )
    need = words("养老", keywords=("跌倒报警",))

    both = matched_concepts(
        need, words("摔倒", "告警", keywords=("摔倒",)), taxonomy=taxonomy, vectors=vectors
    )
    one = matched_concepts(
        need, words("摔倒", keywords=("摔倒",)), taxonomy=taxonomy, vectors=vectors
    )

    assert both == [ConceptMatch("跌倒报警", "摔倒+告警", VECTOR, 0.8)]
    assert one == []
