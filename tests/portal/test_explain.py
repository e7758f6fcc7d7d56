"""Explanations and formatting as people read them: sentences from a match's stored
breakdown, bars per feature, amounts in 万元, two-decimal scores, safe highlighting."""

import html
from types import SimpleNamespace

import pytest
from django.utils import translation

from accounts.choices import Role
from matching.models import Match
from portal.explain import explain, explain_all
from portal.templatetags.portal import highlight, percent, score, wan
from reference.models import IndustryChain, Region
from tests import factories
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db


class Chains:
    def __init__(self, slugs):
        self.rows = list(IndustryChain.objects.filter(slug__in=slugs))

    def all(self):
        return self.rows


def item(chains, region, **values):
    values.setdefault("certifications", [])
    values.setdefault("firm", SimpleNamespace(verified_certifications=[]))
    return SimpleNamespace(chains=Chains(chains), region=Region.objects.get(code=region), **values)


def match(need, capability, features, keywords=()):
    weights = dict.fromkeys(features, round(1 / len(features), 4))
    score_value = sum(weights[k] * v for k, v in features.items())
    return SimpleNamespace(
        need=need,
        capability=capability,
        score=score_value,
        breakdown={
            "features": features,
            "weights": weights,
            "matched_keywords": list(keywords),
            "policy_version": 3,
        },
    )


def test_explanation_names_keywords_chain_trl_and_place():
    need = item(["llm-digital-human"], "360100", min_trl=6)
    cap = item(["llm-digital-human"], "360102", trl=8, region_id="360102")

    result = explain(
        match(need, cap, {"text": 0.74, "chain": 1.0, "trl": 1.0}, ["OCR", "智能审核"])
    )

    # the reasons that weigh most in the score come first
    assert result.sentences == [
        "同属产业链“大模型+虚拟数字人”",
        "技术成熟度 8 级，高于要求的 6 级",
        "描述内容相关（文本相关度 0.74）",
        "关键词“OCR”“智能审核”相符",
        "企业位于东湖区（与场景同市）",
    ]
    assert [b.feature for b in result.bars] == ["text", "chain", "trl"]
    assert result.policy_version == 3


def test_explanation_leads_with_what_weighs_most_in_the_score():
    # given: text relevance carrying 88 % of the weight, chain and region 1 % each (the
    # sentence led with chain and place, which barely moved the score)
    need = item(["llm-digital-human"], "360100", min_trl=6)
    cap = item(["llm-digital-human"], "360102", trl=8, region_id="360102")
    m = match(need, cap, {"text": 0.34, "chain": 1.0, "trl": 1.0, "region": 0.3})
    m.breakdown["weights"] = {"text": 0.88, "chain": 0.01, "trl": 0.02, "region": 0.01}

    result = explain(m)

    assert result.sentences[0] == "描述内容相关（文本相关度 0.34）"


def test_explanation_of_a_near_chain_a_low_trl_and_an_outside_firm():
    need = item(["new-materials"], "360100", min_trl=7)
    cap = item(["aviation"], "440305", trl=5, region_id="440305")

    result = explain(match(need, cap, {"text": 0.2, "track_record": 0.5}))

    assert "产业链相近（同属“新兴产业”）" in result.sentences
    assert "技术成熟度 5 级，低于要求的 7 级" in result.sentences
    assert any("省外企业" in s for s in result.sentences)
    assert "有验证成功的试点" in result.sentences  # no certification: the pilots counted


def test_track_record_names_the_checked_certifications_not_the_claims_nor_pilots():
    # Given a firm claiming 专精特新 and 高新技术企业, of which its committee checked one
    need = item(["aviation"], "360100", min_trl=5)
    cap = item(
        ["aviation"],
        "360100",
        trl=6,
        region_id="360100",
        certifications=["specialized_sme", "high_tech"],
        firm=SimpleNamespace(verified_certifications=["specialized_sme", "first_of_kind"]),
    )

    result = explain(match(need, cap, {"text": 0.3, "track_record": 0.25}))

    # Then the explanation names the one matching counted, as checked
    assert "具有经核验的“专精特新”认定" in result.sentences
    assert not any("高新" in s or "试点" in s for s in result.sentences)


def test_track_record_of_bare_claims_is_the_pilots():
    need = item(["aviation"], "360100", min_trl=5)
    cap = item(["aviation"], "360100", trl=6, region_id="360100", certifications=["high_tech"])

    result = explain(match(need, cap, {"text": 0.3, "track_record": 0.25}))

    assert "有验证成功的试点" in result.sentences
    assert not any("高新" in s for s in result.sentences)


def test_explanation_in_english():
    need = item(["llm-digital-human"], "360100", min_trl=6)
    cap = item(["llm-digital-human"], "360100", trl=6, region_id="360100")

    with translation.override("en"):
        result = explain(match(need, cap, {"text": 0.5, "chain": 1.0}))

    assert all(not any("\u4e00" <= ch <= "\u9fff" for ch in s) for s in result.sentences), (
        result.sentences
    )


def test_amounts_scores_and_bars_are_formatted():
    assert wan(800_000) == "80 万元"
    assert wan(1_234_567) == "123.46 万元"
    assert wan(120_000_000) == "12,000 万元"
    assert wan(None) == "未定"
    assert score(0.7407407407407406) == "0.74"
    assert score(None) == "–"
    assert percent(1.7) == 100
    assert percent(-0.2) == 0
    with translation.override("en"):
        assert wan(800_000) == "CNY 800,000"


def test_highlight_escapes_the_text_and_the_words():
    marked = highlight("<script>alert(1)</script> 使用OCR与ocr识别", ["OCR", "<b>"])

    assert "<script>" not in marked
    assert "&lt;script&gt;" in marked
    assert marked.count("<mark>") == 2  # case-insensitive
    assert highlight("没有关键词", []) == "没有关键词"


def test_highlight_never_cuts_through_an_escaped_entity():
    marked = highlight('a & b "quoted" <gt>', ["amp", "quot", "gt"])

    assert "a &amp; b" in marked  # "amp" is not in the text, only in its escaping
    assert "&quot;<mark>quot</mark>ed&quot;" in marked
    assert "&lt;<mark>gt</mark>&gt;" in marked
    assert marked.count("<mark>") == 2


# -- matched concepts, word by word (computed for the shown candidates) ---------------------


def test_the_agency_page_names_the_matched_concepts(matched, agency_user):
    need = matched["needs"][2]  # 固态电池储能电站安全验证
    client = signed_in(agency_user)

    body = client.get(f"/workspace/agency/needs/{need.ref}/").content.decode()
    client.cookies["django_language"] = "en"
    english = html.unescape(client.get(f"/workspace/agency/needs/{need.ref}/").content.decode())

    assert "匹配概念" in body
    assert "能力的“全固态电池”属于需求的“固态电池”" in body
    assert "需求与能力都提到“热失控”" in body
    assert "Matched concepts" in english
    assert "The capability's “全固态电池” falls under the need's “固态电池”" in english


def test_the_firm_and_the_committee_read_the_same_concepts(matched, county_reviewer):
    match = Match.objects.current().get(need=matched["needs"][2], capability=matched["caps"][2])
    firm = signed_in(factories.member(match.capability.firm, Role.FIRM_EDITOR))
    committee = signed_in(county_reviewer)
    sentence = "能力的“全固态电池”属于需求的“固态电池”"

    listing = firm.get("/workspace/firm/recommendations/").content.decode()
    detail = firm.get(f"/workspace/firm/recommendations/{match.pk}/").content.decode()
    need_page = committee.get(f"/workspace/committee/needs/{match.need.ref}/").content.decode()

    assert sentence in listing
    assert sentence in detail
    assert sentence in need_page


def test_concepts_cost_a_fixed_number_of_queries(
    matched, agency_user, django_assert_max_num_queries
):

    matches = list(
        Match.objects.current()
        .select_related("need", "capability")
        .prefetch_related("need__chains", "capability__chains", "capability__region")
    )
    explain_all(matches)  # warm: the taxonomy and the vectors are read once per process

    with django_assert_max_num_queries(6):
        explanations = explain_all(matches)

    assert len(explanations) == len(matches) > 2
    assert any(e.concepts for e in explanations)
