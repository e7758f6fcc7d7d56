"""Word search: substrings in every field kind, every word required, relations by key."""

import pytest

from core.search import apply_search, search_terms, search_words
from scenarios.models import Capability, ScenarioNeed
from scenarios.services.capabilities import capability_submit
from scenarios.services.search import index_needs
from tests.scenarios.helpers import make_capability, make_need

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(agency, firm):
    needs = [
        make_need(agency, title="政务大模型问答", keywords=["大模型", "OCR识别"]),
        make_need(agency, title="城市内涝监测", keywords=["物联网"], description="液位 123 号"),
    ]
    cap = capability_submit(actor=None, capability=make_capability(firm, keywords=["量子通信"]))
    return needs, cap


def titles(qs):
    return sorted(qs.values_list("title", flat=True))


def test_chinese_and_ascii_words_match_substrings_of_text_and_keyword_lists(items):
    needs = ScenarioNeed.objects.all()

    assert titles(apply_search(needs, ["title", "keywords"], "模型")) == ["政务大模型问答"]
    assert titles(apply_search(needs, ["keywords"], "ocr")) == ["政务大模型问答"]  # any case
    assert titles(apply_search(needs, ["keywords"], "模")) == ["政务大模型问答"]  # inside a keyword
    assert titles(apply_search(needs, ["description"], "123")) == ["城市内涝监测"]


def test_every_word_must_match_somewhere(items):
    needs = ScenarioNeed.objects.all()

    assert titles(apply_search(needs, ["title", "keywords"], "政务 OCR")) == ["政务大模型问答"]
    assert titles(apply_search(needs, ["title", "keywords"], "政务 物联网")) == []


def test_a_relation_field_matches_in_its_own_table(items, firm):
    caps = Capability.objects.all()

    found = apply_search(caps, ["title", "firm__name"], firm.name[-4:])

    assert list(found.values_list("firm_id", flat=True)) == [firm.pk]
    assert "JOIN" not in str(found.query).split("WHERE")[0]


def test_search_words_drop_nul_and_stop_at_ten():
    assert search_words("a\x00b  c") == ["ab", "c"]
    # As DRF reads ?search=: commas split, quotes keep a phrase whole and are dropped.
    assert search_words('"大模型" 政务,OCR') == ["大模型", "政务", "OCR"]
    assert search_words("\"1,000 吨\" 'x'") == ["1,000 吨", "x"]
    assert search_words(' , "" ') == []
    assert len(search_words(" ".join(str(n) for n in range(30)))) == 10


def test_a_word_is_found_as_typed_and_in_its_nfkc_form_without_format_characters(agency):
    # Given texts stored as typed: ASCII letters, full-width letters, Chinese punctuation
    make_need(agency, title="AI 智能问答")
    make_need(agency, title="ＡＩ巡检（试点）")
    make_need(agency, title="城市内涝监测")
    needs = ScenarioNeed.objects.all()

    # When a word is typed full-width, or with a zero-width space inside
    # Then it finds the text in either form, and the invisible character is ignored
    assert titles(apply_search(needs, ["title"], "ＡＩ")) == ["AI 智能问答", "ＡＩ巡检（试点）"]
    assert titles(apply_search(needs, ["title"], "ａｉ")) == ["AI 智能问答", "ＡＩ巡检（试点）"]
    assert titles(apply_search(needs, ["title"], "智\u200b能")) == ["AI 智能问答"]
    assert titles(apply_search(needs, ["title"], "\ufeff内涝\u200d")) == ["城市内涝监测"]
    # And a half-width word finds the text stored full-width (an input method's)
    assert titles(apply_search(needs, ["title"], "AI")) == ["AI 智能问答", "ＡＩ巡检（试点）"]
    assert titles(apply_search(needs, ["title"], "ai巡检")) == ["ＡＩ巡检（试点）"]
    assert titles(apply_search(needs, ["title"], "Ai")) == ["AI 智能问答", "ＡＩ巡检（试点）"]
    # The Chinese parenthesis as stored is still found (NFKC would make it ASCII)
    assert titles(apply_search(needs, ["title"], "（试点）")) == ["ＡＩ巡检（试点）"]
    assert titles(apply_search(needs, ["title"], "\u200b")) == titles(needs)  # no word: no search


def test_search_terms_are_the_words_with_their_nfkc_and_full_width_forms():
    assert search_terms("ＡＩ 智能") == [("ＡＩ", "AI"), ("智能",)]
    assert search_terms("5G") == [("5G", "５Ｇ")]
    assert search_terms("5g") == [("5g", "５ｇ", "５Ｇ")]
    assert search_terms("(试点)") == [("(试点)", "（试点）")]
    assert search_terms("智\u200b能 \u200b") == [("智能",)]
    assert search_words("\u200b\ufeff") == []


def test_pattern_characters_are_plain_characters(agency):
    make_need(agency, title="补贴比例 50%", keywords=["a_b"])
    make_need(agency, title="补贴比例 500", keywords=["axb"])
    needs = ScenarioNeed.objects.all()

    assert titles(apply_search(needs, ["title"], "50%")) == ["补贴比例 50%"]
    assert titles(apply_search(needs, ["keywords"], "a_b")) == ["补贴比例 50%"]
    assert titles(apply_search(needs, ["title", "keywords"], "%")) == ["补贴比例 50%"]


def test_a_chinese_word_is_found_in_the_keywords_text_not_by_json_containment(items):
    needs = ScenarioNeed.objects.all()

    # "OCR识" is inside the keyword "OCR识别" (cased), "识" alone is uncased: both substrings.
    assert titles(apply_search(needs, ["keywords"], "OCR识")) == ["政务大模型问答"]
    assert titles(apply_search(needs, ["keywords"], "识")) == ["政务大模型问答"]
    # JSON's own quotes: no (a quote is a word only inside other quotes).
    assert titles(apply_search(needs, ["keywords"], "'\"'")) == []


def test_words_with_json_syntax_find_the_keyword_that_holds_them(agency):
    make_need(agency, title="储能", keywords=["[储能]", "1,000吨", 'say "hi"', "a\\b"])
    make_need(agency, title="其他", keywords=["储能系统", "光伏", "风电"])
    needs = ScenarioNeed.objects.all()

    def found(word: str) -> list[str]:
        return titles(apply_search(needs, ["keywords"], word))

    assert found("[储能]") == ["储能"]
    assert found('"1,000吨"') == ["储能"]  # quoted: one word, comma included
    assert found('","') == ["储能"]  # the comma in "1,000吨", never the list's own
    assert found("'\"hi\"'") == ["储能"]  # quotes kept inside single quotes
    assert found("HI") == ["储能"]  # any case
    assert found("a\\b") == ["储能"]
    assert found("'\",\"'") == []  # would sit between two elements of the stored text
    assert found('"光伏,风电"') == []
    assert found("储能") == sorted(["其他", "储能"])


def test_a_value_that_is_not_a_list_never_matches(agency):
    need = make_need(agency, title="坏数据", keywords=["储能"])
    ScenarioNeed.objects.filter(pk=need.pk).update(keywords={"a": "[储能]"})

    assert titles(apply_search(ScenarioNeed.objects.all(), ["keywords"], "[储能]")) == []


def test_chinese_quotes_keep_a_phrase_and_long_texts_are_cut():
    assert search_words("“大模型 问答” ‘OCR’") == ["大模型 问答", "OCR"]
    assert sum(len(w) for w in search_words("字" * 5000)) == 200


def test_a_quoted_phrase_with_a_control_character_is_matched_per_element(agency):
    need = make_need(agency, title="控制字符", keywords=["储能"])
    # Migration 0007 cleans such rows and new keywords refuse them; the search still looks
    # for such a word element by element, never in the escaped JSON text.
    ScenarioNeed.objects.filter(pk=need.pk).update(keywords=["a\tb", "p\x01q"])
    index_needs(ids=[need.pk])  # a write around the services indexes what it wrote
    needs = ScenarioNeed.objects.all()

    assert titles(apply_search(needs, ["keywords"], '"a\tb"')) == ["控制字符"]
    assert titles(apply_search(needs, ["keywords"], '"\\t"')) == []


def test_new_keywords_refuse_control_characters(agency):
    from core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        make_need(agency, keywords=["储能\t系统"])
    assert "keywords" in refused.value.fields


def test_the_api_refuses_an_over_long_search_with_a_field_error(client):
    response = client.get("/api/v1/public/needs/", {"search": "a" * 201})

    assert response.status_code == 400
    assert "search" in response.json()["fields"]
