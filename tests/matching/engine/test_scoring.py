"""Unit tests for matching.engine.scoring: features, weights, reproducibility, hard filters."""

from pathlib import Path

import numpy as np
import pytest

from matching.engine.scoring import (
    DEFAULT_REGION_WEIGHTS,
    DEFAULT_WEIGHTS,
    FEATURES,
    CapabilityArrays,
    CapabilityDoc,
    NeedArrays,
    NeedDoc,
    NegativeList,
    RegionWeights,
    Taxonomy,
    Weights,
    capacity_feature,
    chain_feature,
    conflict_mask,
    keyword_coverage,
    negative_list_mask,
    pair_features,
    region_codes,
    region_feature,
    score_from_breakdown,
    track_record_feature,
    trl_feature,
    weighted_scores,
)
from matching.engine.text import read_taxonomy_csv

TAXONOMY_CSV = Path(__file__).resolve().parents[3] / "reference" / "data" / "industry_chains.csv"


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy(read_taxonomy_csv(TAXONOMY_CSV))


def need(**overrides: object) -> NeedDoc:
    fields: dict[str, object] = {
        "id": 1,
        "ref": "N1",
        "org_id": 100,
        "region_path": "360000/360100/360102",
        "chains": ("solid-state-battery",),
        "keywords": ("固态电池", "热失控"),
        "text": "储能电站固态电池安全验证",
        "tokens": None,
        "min_trl": 5,
        "validation_type": "technology",
    }
    return NeedDoc(**(fields | overrides))  # type: ignore[arg-type]


def cap(**overrides: object) -> CapabilityDoc:
    fields: dict[str, object] = {
        "id": 10,
        "ref": "C10",
        "org_id": 200,
        "region_path": "360000/360100/360102",
        "chains": ("solid-state-battery",),
        "keywords": ("固态电解质",),
        "text": "全固态电池热失控防护",
        "tokens": None,
        "trl": 7,
    }
    return CapabilityDoc(**(fields | overrides))  # type: ignore[arg-type]


def test_weights_normalise_to_one_and_round_trip_a_policy_record() -> None:
    weights = Weights.from_mapping({"text": 2.0, "chain": 1.0, "keywords": 1.0})

    normalized = weights.normalized()

    assert sum(normalized) == pytest.approx(1.0)
    assert Weights.from_mapping(weights.as_dict()) == weights
    assert list(weights.as_dict()) == list(FEATURES)
    assert sum(DEFAULT_WEIGHTS.normalized()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "mapping",
    [{"txt": 1.0}, {"text": -0.1}, {"text": float("nan")}, dict.fromkeys(FEATURES, 0.0)],
)
def test_weights_reject_bad_policy_records(mapping: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"weight|feature"):
        Weights.from_mapping(mapping)


def test_region_weights_reject_values_outside_unit_interval() -> None:
    with pytest.raises(ValueError, match="region"):
        RegionWeights.from_mapping({"outside": 1.5})

    assert RegionWeights.from_mapping({"outside": 0.1}).outside == 0.1


def test_score_from_breakdown_equals_the_vectorised_score_exactly() -> None:
    rng = np.random.default_rng(7)
    values = np.round(rng.random((200, len(FEATURES))), 6)
    weights = Weights(
        text=0.37, chain=0.11, keywords=0.2, trl=0.07, region=0.13, track_record=0.05, capacity=0.3
    )

    scores = weighted_scores(values, weights)

    for row, score in zip(values, scores, strict=True):
        breakdown = dict(zip(FEATURES, row.tolist(), strict=True))
        assert score_from_breakdown(breakdown, weights) == float(score)


def test_score_from_breakdown_requires_every_feature() -> None:
    with pytest.raises(ValueError, match="misses"):
        score_from_breakdown({"text": 1.0}, DEFAULT_WEIGHTS)


def test_chain_fit_orders_same_node_parent_related_root_and_unrelated(taxonomy: Taxonomy) -> None:
    need_best = taxonomy.fit[taxonomy.index["solid-state-battery"]][None, :]
    others = [
        "solid-state-battery",  # same node
        "future-energy",  # parent
        "hydrogen-fusion",  # sibling under future-energy
        "bci",  # another future track
        "steel",  # another root
    ]

    fits = [chain_feature(need_best, taxonomy.multi_hot([[slug]]))[0] for slug in others]

    assert fits == [1.0, 0.7, 0.5, 0.2, 0.0]


def test_chain_fit_relates_nodes_that_share_a_term_across_branches(taxonomy: Taxonomy) -> None:
    fit = taxonomy.fit

    related = fit[taxonomy.index["low-altitude"], taxonomy.index["unmanned-low-altitude"]]
    siblings_under_root = fit[taxonomy.index["aviation"], taxonomy.index["tcm"]]

    assert related == 0.5
    assert siblings_under_root == 0.2
    assert np.array_equal(fit, fit.T)


@pytest.mark.parametrize(
    ("cap_trl", "min_trl", "validation", "expected"),
    [
        (7, 5, "product", 1.0),
        (6, 5, "product", 0.5),
        (5, 5, "product", 0.0),
        (2, 1, "concept", 1.0),
        (5, 8, "concept", 0.25),
        (4, 4, "technology", 1.0),
        (9, 3, "demand", 1.0),
    ],
)
def test_trl_fit_depends_on_minimum_and_validation_type(
    cap_trl: int, min_trl: int, validation: str, expected: float
) -> None:
    docs = [need(min_trl=min_trl, validation_type=validation)]
    arrays = NeedArrays.from_docs(docs, Taxonomy([]))

    fit = trl_feature(np.array([cap_trl]), arrays.min_trl, arrays.trl_floor, arrays.trl_tolerance)

    assert fit[0] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("need_path", "cap_path", "expected"),
    [
        ("360000/360100/360102", "360000/360100/360102", 1.0),
        ("360000/360100/360102", "360000/360100/360111", 0.8),
        ("360000/360100/360102", "360000/360700/360702", 0.6),
        ("360000/360100/360102", "440000/440300/440305", 0.3),
        ("360000", "360000/360700/360702", 1.0),
        ("360000/360100", "360000/360100/360111", 1.0),
        ("360000/360100/360102", "360000", 0.6),
        ("360000/360100/360102", "", 0.3),
    ],
)
def test_region_proximity_by_level(need_path: str, cap_path: str, expected: float) -> None:
    need_region = np.array([region_codes(need_path)])
    cap_region = np.array([region_codes(cap_path)])

    value = region_feature(need_region, cap_region, DEFAULT_REGION_WEIGHTS)

    assert value[0] == expected


def test_region_weights_come_from_the_policy() -> None:
    policy = RegionWeights(same_county=0.9, same_city=0.5, same_province=0.2, outside=0.0)

    values = region_feature(
        np.array([region_codes("360000/360100/360102")] * 2),
        np.array([region_codes("360000/360100/360111"), region_codes("110000/110101")]),
        policy,
    )

    assert values.tolist() == [0.5, 0.0]


def test_track_record_grows_with_pilots_and_first_of_kind_and_saturates() -> None:
    pilots = np.array([0, 1, 2, 0, 30])
    certs = [(), (), (), ("first_of_kind",), ("first_of_kind", "high_tech")]

    values = track_record_feature(pilots, certs)

    assert values[0] == 0.0
    assert values[0] < values[1] < values[2] < 1.0
    assert values[3] == pytest.approx(0.5)
    assert 0.99 < values[4] <= 1.0


def test_open_capacity_is_zero_when_full() -> None:
    values = capacity_feature(np.array([4, 4, 4, 0, 2]), np.array([0, 2, 4, 0, 5]))

    assert values.tolist() == [1.0, 0.5, 0.0, 0.0, 0.0]


def test_keyword_coverage_reports_matches_including_synonyms(taxonomy: Taxonomy) -> None:
    keywords = ("固态电池", "低空经济", "热失控", "eVTOL")
    alternatives = [(k, taxonomy.synonyms_of(k)) for k in keywords]
    haystacks = ["全固态电池模组热失控防护", "多旋翼无人机即时配送，evtol", "钢铁轧制"]

    coverage, matched = keyword_coverage(alternatives, haystacks)

    assert matched == [["固态电池", "热失控"], ["低空经济", "eVTOL"], []]
    assert coverage.tolist() == pytest.approx([0.5, 0.5, 0.0])


def test_pair_features_stay_in_unit_interval(taxonomy: Taxonomy) -> None:
    needs = NeedArrays.from_docs([need(), need(id=2, chains=(), keywords=())], taxonomy)
    caps = CapabilityArrays.from_docs(
        [cap(), cap(id=11, chains=("steel",), trl=1, open_load=9, capacity=3)], taxonomy
    )

    feats = pair_features(
        needs,
        caps,
        np.array([0, 0, 1, 1]),
        np.array([0, 1, 0, 1]),
        np.array([0.4, 1.7, -0.2, 0.0]),
        DEFAULT_REGION_WEIGHTS,
    )

    assert feats.values.shape == (4, len(FEATURES))
    assert feats.values.min() >= 0.0
    assert feats.values.max() <= 1.0
    assert feats.values[0].tolist() == [0.4, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0]
    assert feats.matched_keywords[0] == ["固态电池", "热失控"]


def test_conflict_mask_catches_same_org_and_declared_relations() -> None:
    need_org = np.array([1, 1, 1, 2])
    cap_org = np.array([1, 5, 6, 5])

    mask = conflict_mask(need_org, cap_org, {(1, 5), (6, 1)})

    assert mask.tolist() == [True, True, True, False]


def test_negative_list_bans_keywords_and_chain_subtrees(taxonomy: Taxonomy) -> None:
    caps = CapabilityArrays.from_docs(
        [
            cap(id=1, text="高能耗燃煤锅炉改造", chains=("equipment",)),
            cap(id=2, text="宣纸生产", chains=("four-treasures",)),
            cap(id=3, text="固态电池", chains=("solid-state-battery",), keywords=("燃煤",)),
            cap(id=4, text="量子通信", chains=("quantum",)),
        ],
        taxonomy,
    )

    banned = negative_list_mask(
        caps, NegativeList(keywords=("燃煤",), chain_slugs=("classic-crafts",)), taxonomy
    )

    assert banned.tolist() == [True, True, True, False]
    assert not negative_list_mask(caps, None, taxonomy).any()


def test_policy_v1_weights_are_the_engine_defaults():
    from matching.engine.scoring import DEFAULT_REGION_WEIGHTS, DEFAULT_WEIGHTS
    from scenarios import policy_defaults

    policy = policy_defaults.DEFAULT_MATCHING_WEIGHTS

    assert policy == DEFAULT_WEIGHTS.as_dict()
    assert DEFAULT_REGION_WEIGHTS.as_dict() == policy_defaults.DEFAULT_REGION_WEIGHTS
