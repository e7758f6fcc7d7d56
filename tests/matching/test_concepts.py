"""matching.concepts: the concepts of shown pairs from cached (or fresh) tokens, and one
sentence per concept in Chinese and English."""

import pytest
from django.utils import translation

from matching.concepts import concept_sentence, concepts_of_pairs
from matching.engine.concepts import (
    CHAIN,
    CHILD,
    EXACT,
    PARENT,
    RELATED,
    SYNONYM,
    VECTOR,
    ConceptMatch,
)
from matching.models import DocumentTokens
from tests.scenarios.helpers import make_capability, make_need


@pytest.mark.parametrize(
    ("concept", "chinese", "english"),
    [
        (
            ConceptMatch("无人机", "无人机", EXACT, 1.0),
            "需求与能力都提到“无人机”",
            "Both the need and the capability mention “无人机”",
        ),
        (
            ConceptMatch("直升机", "无人机", VECTOR, 0.8165),
            "需求的“直升机”与能力的“无人机”意思相近",
            "The need's “直升机” is close in meaning to the capability's “无人机”",
        ),
        (
            ConceptMatch("复合材料", "钢材", VECTOR, 0.59),
            "需求的“复合材料”与能力的“钢材”有一定关联",
            "The need's “复合材料” is loosely related to the capability's “钢材”",
        ),
        (
            ConceptMatch("机器视觉", "机器+视觉", VECTOR, 1.0),
            "需求的“机器视觉”拆开后的“机器”、“视觉”都出现在能力中",
            "The parts of the need's “机器视觉” (“机器”, “视觉”) all appear in the capability",
        ),
        (
            ConceptMatch("能耗优化", "高炉+优化", VECTOR, 0.55),
            "需求的“能耗优化”拆开后与能力的“高炉”、“优化”有一定关联",
            "The parts of the need's “能耗优化” are loosely related to the capability's "
            "“高炉”, “优化”",
        ),
        (
            ConceptMatch("无人机调度", "无人+调度+无人机", VECTOR, 1.0),
            "需求的“无人机调度”拆开后的“调度”、“无人机”都出现在能力中",
            "The parts of the need's “无人机调度” (“调度”, “无人机”) all appear in the capability",
        ),
        (
            ConceptMatch("探伤成像", "探伤+显像", VECTOR, 0.74),
            "需求的“探伤成像”拆开后与能力的“探伤”、“显像”意思相近",
            "The parts of the need's “探伤成像” are close in meaning to the capability's "
            "“探伤”, “显像”",
        ),
        (
            ConceptMatch("锂电池", "新能源", CHAIN, 0.7, PARENT),
            "能力的“新能源”涵盖需求的“锂电池”（上级产业链）",
            "The capability's “新能源” covers the need's “锂电池” (parent chain)",
        ),
        (
            ConceptMatch("新能源", "动力电池", CHAIN, 0.7, CHILD),
            "需求的“新能源”涵盖能力的“动力电池”（下级产业链）",
            "The need's “新能源” covers the capability's “动力电池” (sub-chain)",
        ),
        (
            ConceptMatch("陶瓷", "宣纸", CHAIN, 0.5, RELATED),
            "需求的“陶瓷”与能力的“宣纸”属于相关产业链",
            "The need's “陶瓷” and the capability's “宣纸” belong to related chains",
        ),
    ],
)
def test_concept_sentence_in_both_languages(concept, chinese, english):
    with translation.override("zh-hans"):
        assert concept_sentence(concept) == chinese
    with translation.override("en"):
        assert concept_sentence(concept) == english


@pytest.mark.parametrize(
    ("concept", "chinese"),
    [
        (
            ConceptMatch("Micro-LED", "mi+ic+cr+led", VECTOR, 1.0),
            "需求的“Micro-LED”拆开后的“LED”等都出现在能力中",
        ),
        (
            ConceptMatch("Micro-LED巨量转移", "mi+ic+cr+转移+led", VECTOR, 1.0),
            "需求的“Micro-LED巨量转移”拆开后的“转移”、“LED”等都出现在能力中",
        ),
        (
            ConceptMatch("LiDAR点云", "li+激光雷达+ar", VECTOR, 0.74),
            "需求的“LiDAR点云”拆开后与能力的“激光雷达”等意思相近",
        ),
        (ConceptMatch("Micro-LED", "mi+ic+cr", VECTOR, 1.0), "需求的“Micro-LED”部分出现在能力中"),
        (  # a Latin word kept whole, a capability's own Latin word kept
            ConceptMatch("5G专网", "5g+Mesh", VECTOR, 0.8),
            "需求的“5G专网”拆开后与能力的“5G”、“Mesh”意思相近",
        ),
    ],
)
def test_a_sentence_names_no_letters_cut_out_of_a_latin_word(concept, chinese):
    """需求的“Micro-LED”拆开后的“mi”、“ic”、“cr”、“led”都出现在能力中 read as nonsense."""
    with translation.override("zh-hans"):
        assert concept_sentence(concept) == chinese


METALS = ("nonferrous-metals",)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("concept", "chinese", "english"),
    [
        (  # two words one chain lists are kinds of it, not synonyms of each other
            ConceptMatch("钨", "铜", SYNONYM, 1.0, "", METALS, METALS),
            "需求的“钨”与能力的“铜”同属“有色金属”",
            "The need's “钨” and the capability's “铜” both belong to “Non-ferrous metals”",
        ),
        (  # the chain's own name covers a word it lists
            ConceptMatch("有色金属", "稀土", SYNONYM, 1.0, "", METALS, METALS),
            "能力的“稀土”属于需求的“有色金属”",
            "The capability's “稀土” falls under the need's “有色金属”",
        ),
        (
            ConceptMatch("钨", "有色金属", SYNONYM, 1.0, "", METALS, METALS),
            "需求的“钨”属于能力的“有色金属”",
            "The need's “钨” falls under the capability's “有色金属”",
        ),
    ],
)
def test_a_synonym_sentence_says_how_the_words_belong_to_their_chain(concept, chinese, english):
    with translation.override("zh-hans"):
        assert concept_sentence(concept) == chinese
    with translation.override("en"):
        assert concept_sentence(concept) == english


@pytest.mark.django_db
def test_concepts_of_pairs_segments_texts_never_cached(agency, firm):
    need = make_need(
        agency, region="360102", title="低空无人机配送", keywords=["无人机"], description="山区"
    )
    cap = make_capability(firm, title="eVTOL城市物流", keywords=["eVTOL"], description="配送")

    found = concepts_of_pairs(pairs=[(need, cap)])

    assert [(c.need_word, c.capability_word, c.how) for c in found[(need.pk, cap.pk)]] == [
        ("无人机", "eVTOL", "synonym")
    ]
    assert DocumentTokens.objects.filter(kind="need", object_id=need.pk).exists()
    assert concepts_of_pairs(pairs=[]) == {}
