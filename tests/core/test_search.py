"""Word search: substrings in every field kind, every word required, relations by key."""

import pytest

from core.search import apply_search, search_words
from scenarios.models import Capability, ScenarioNeed
from scenarios.services.capabilities import capability_submit
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
    assert len(search_words(" ".join(str(n) for n in range(30)))) == 10


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
    assert titles(apply_search(needs, ["keywords"], '"')) == []  # JSON's own quotes: no
