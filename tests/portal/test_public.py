"""The public pages: home, the two lists with their filters and facets, detail pages and the
download of a selection. Anyone may read them; nothing unpublished or confidential shows."""

import datetime as dt
import io
import re

import openpyxl
import pytest
from django import forms
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from portal import lists as lists_module
from portal.templatetags.portal import lang_zh
from reference.models import Region
from scenarios.models import ScenarioNeed
from scenarios.services.capabilities import capability_submit, capability_withdraw
from scenarios.services.firms import organization_certify
from tests import factories
from tests.scenarios.helpers import make_capability, make_need

pytestmark = pytest.mark.django_db


def published(agency, **values):
    values.setdefault("region", "360102")
    return make_need(agency, status="published", **values)


@pytest.fixture
def lists(agency, firm, firm_user):
    """Three published needs, a draft, two published capabilities and a withdrawn one."""
    needs = [
        published(agency, title="城市内涝积水智能监测预警", budget_cny=800_000),
        published(
            agency,
            title="政务大模型智能问答",
            category="government_service",
            chains=["llm-digital-human"],
            keywords=["大模型", "智能问答"],
            budget_cny=3_000_000,
            min_trl=7,
        ),
        published(
            factories.AgencyFactory.create(region=Region.objects.get(code="360702")),
            title="赣州稀土尾矿智能分选",
            region="360702",
            category="industrial_upgrade",
            chains=["nonferrous-metals"],
            keywords=["稀土", "分选"],
            budget_cny=None,
        ),
    ]
    draft = make_need(agency, title="尚未提交的草稿需求")
    caps = [
        capability_submit(actor=None, capability=make_capability(firm)),
        capability_submit(
            actor=None,
            capability=make_capability(
                firm,
                title="政务大模型私有化部署",
                chains=["llm-digital-human"],
                keywords=["大模型"],
                certifications=["specialized_sme"],
                trl=8,
            ),
        ),
    ]
    gone = capability_submit(actor=None, capability=make_capability(firm, title="已撤回的能力"))
    capability_withdraw(actor=firm_user, capability=gone)
    return {"needs": needs, "draft": draft, "caps": caps, "gone": gone}


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def listed_refs(client, url, query) -> list[str]:
    """The refs of the items a list page shows, in its order."""
    return re.findall(rf'href="{url}([^/"?]+)/"', text(client.get(url, query)))


def exported_refs(client, url, query) -> list[str]:
    """The refs in the list's download (``编号``, its first column), in its order."""
    response = client.get(f"{url}export.xlsx", query)
    assert response.status_code == 200, (url, query, response.status_code)
    assert "attachment" in response["Content-Disposition"]
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0][0] == "编号"
    return [str(row[0]) for row in rows[1:]]


def test_home_shows_counts_newest_items_and_the_way_in(client, lists):
    page = text(client.get("/"))

    assert "技术突破" in page
    assert "场景验证" in page
    assert "产业应用" in page
    assert "城市内涝积水智能监测预警" in page
    assert "政务大模型私有化部署" in page
    assert "尚未提交的草稿需求" not in page
    assert "已撤回的能力" not in page
    assert 'href="/opportunities/"' in page
    assert 'href="/capabilities/"' in page
    assert 'href="/login/"' in page
    assert 'href="/signup/firm/"' in page


def test_need_list_filters_by_category_budget_and_search(client, lists):
    page = text(client.get("/opportunities/", {"category": "government_service"}))
    assert "政务大模型智能问答" in page
    assert "城市内涝积水智能监测预警" not in page
    assert "共 1 项" in page

    page = text(client.get("/opportunities/", {"budget_min": "50", "budget_max": "100"}))
    assert "城市内涝积水智能监测预警" in page  # 80 万元
    assert "政务大模型智能问答" not in page  # 300 万元

    page = text(client.get("/opportunities/", {"q": "稀土"}))
    assert "赣州稀土尾矿智能分选" in page
    assert "共 1 项" in page


def test_need_list_finds_the_needs_without_a_budget(client, lists):
    everything = text(client.get("/opportunities/"))
    assert "只看预算未定 (1)" in " ".join(re.sub(r"<[^>]+>", "", everything).split())

    page = text(client.get("/opportunities/", {"budget_unset": "on"}))
    assert "赣州稀土尾矿智能分选" in page  # 未定
    assert "共 1 项" in page
    api = client.get("/api/v1/public/needs/", {"has_budget": "false"}).json()
    assert [n["title"] for n in api["results"]] == ["赣州稀土尾矿智能分选"]
    assert client.get("/api/v1/public/needs/", {"has_budget": "true"}).json()["count"] == 2


def test_need_list_finds_the_major_scenarios(client, agency, lists):
    published(agency, title="全省低空物流干线示范", is_major=True)

    everything = text(client.get("/opportunities/"))
    page = text(client.get("/opportunities/", {"major": "on"}))

    assert "只看重大场景 (1)" in " ".join(re.sub(r"<[^>]+>", "", everything).split())
    assert "全省低空物流干线示范" in page
    assert "共 1 项" in page


def test_no_budget_and_a_budget_range_together_say_why_instead_of_listing_nothing(client, lists):
    page = text(client.get("/opportunities/", {"budget_unset": "on", "budget_min": "50"}))

    assert "不能同时按预算范围筛选" in page
    assert "城市内涝积水智能监测预警" in page  # the range still applies
    assert "赣州稀土尾矿智能分选" not in page


@pytest.mark.parametrize("q", ["稀土", '"稀土"', "稀土,", "'稀土' 稀"])
def test_the_search_box_reads_words_as_the_api_does(client, lists, q):
    page = text(client.get("/opportunities/", {"q": q}))
    api = client.get("/api/v1/public/needs/", {"search": q}).json()

    assert "共 1 项" in page
    assert [n["title"] for n in api["results"]] == ["赣州稀土尾矿智能分选"]


def test_need_list_region_subtree_and_chain_tree(client, lists):
    page = text(client.get("/opportunities/", {"region": "360700"}))  # 赣州市 and its counties
    assert "赣州稀土尾矿智能分选" in page
    assert "共 1 项" in page

    page = text(client.get("/opportunities/"))
    # The region tree names places, with subtree counts; codes never show as labels.
    assert "南昌市" in page
    assert "赣州市" in page
    assert ">360700<" not in page


def test_need_list_bad_filters_keep_the_good_ones_and_say_what_is_wrong(client, lists):
    response = client.get(
        "/opportunities/",
        {"category": "government_service", "budget_min": "abc", "trl_min": "7", "trl_max": "3"},
    )

    page = text(response)
    assert "政务大模型智能问答" in page  # the category filter still applies
    assert "城市内涝积水智能监测预警" not in page
    assert "上限不能小于下限" in page
    assert 'value="abc"' in page  # what was typed stays in the box
    # The sort form resends what the list applies: not the reversed range's lower end,
    # which, sent alone, would filter the sorted list by TRL ≥ 7.
    html = response.content.decode()
    select = html.index('id="id_sort"')
    sort_form = html[html.rindex("<form", 0, select) : select]
    assert 'name="category" value="government_service"' in sort_form
    assert 'name="trl_min"' not in sort_form


@pytest.mark.parametrize("amount", ["2000000", "1000000.01", "999999999999"])
def test_a_budget_beyond_the_largest_is_refused_in_place_and_the_other_filters_apply(
    client, lists, amount
):
    # Given a category filter and a budget upper bound above 100 亿元 (1,000,000 万元)
    query = {"category": "government_service", "budget_max": amount}

    # When the list is asked for it
    body = text(client.get("/opportunities/", query))

    # Then the budget is refused beside its box and in the list of filters not applied,
    # and the category still filters
    assert "共 1 项" in body
    assert "政务大模型智能问答" in body
    assert "城市内涝积水智能监测预警" not in body
    results = body[body.index('id="results-title"') :]
    assert "以下筛选条件无效" in results
    assert "预算到（万元）：预算最多 100 亿元。" in results
    assert exported_refs(client, "/opportunities/", query) == listed_refs(
        client, "/opportunities/", query
    )


def test_the_largest_budget_is_accepted(client, lists):
    body = text(client.get("/opportunities/", {"budget_max": "1000000"}))

    assert "以下筛选条件无效" not in body
    assert "共 2 项" in body  # the two needs with a budget


def test_a_filter_the_form_passes_but_the_filters_refuse_is_refused_alone(
    client, lists, monkeypatch
):
    # Given a form whose budget box takes more than the filters do
    loose = forms.DecimalField(label="预算到（万元）", required=False, decimal_places=2)
    monkeypatch.setitem(lists_module.NeedQueryForm.base_fields, "budget_max", loose)

    # When a budget beyond the filters' range comes with a category
    body = text(
        client.get("/opportunities/", {"category": "government_service", "budget_max": "9" * 9})
    )

    # Then the list is not the whole list: the category applies, the budget is named as refused
    assert "共 1 项" in body
    assert "政务大模型智能问答" in body
    results = body[body.index('id="results-title"') :]
    assert "以下筛选条件无效" in results
    assert "预算到（万元）：" in results
    assert '筛选条件 <span class="badge text-bg-primary">1</span>' in body  # the category only


HINT = "清单内容为中文，请尝试中文关键词，或使用产业链筛选。"


@pytest.mark.parametrize("url", ["/opportunities/", "/capabilities/"])
def test_a_search_in_latin_letters_that_finds_nothing_suggests_chinese_words(client, lists, url):
    # Given an English reader searching the Chinese lists in English
    client.cookies["django_language"] = "en"

    # When the search finds nothing
    body = text(client.get(url, {"q": "battery"}))

    # Then the empty list says the lists are in Chinese and how else to find items
    assert "0 results" in body
    assert "The lists are written in Chinese: try Chinese keywords" in body


def test_a_chinese_search_that_finds_nothing_gets_no_language_hint(client, lists):
    body = text(client.get("/opportunities/", {"q": "不存在的词"}))

    assert "共 0 项" in body
    assert HINT not in body


def test_a_latin_search_that_finds_items_gets_no_language_hint(client, agency, lists):
    published(agency, title="VLA模型机器人验证")

    body = text(client.get("/opportunities/", {"q": "VLA"}))

    assert "共 1 项" in body
    assert HINT not in body


def test_need_list_sorts_and_pages(client, agency):
    for n in range(23):
        published(agency, title=f"分页测试需求{n:02d}", budget_cny=(n + 1) * 10_000)

    first = text(client.get("/opportunities/", {"sort": "budget"}))
    second = text(client.get("/opportunities/", {"sort": "budget", "page": "2"}))

    assert "分页测试需求22" in first  # the biggest budget first
    assert "分页测试需求00" in second
    assert "第 2 / 2 页" in second
    assert text(client.get("/opportunities/", {"page": "999"}))  # past the end: last page


@pytest.mark.parametrize("number", ["0", "-1", "-99999999999999999999", "abc", ""])
def test_a_page_number_below_one_or_not_a_number_is_the_first_page(client, agency, number):
    # Given two pages of needs
    for n in range(23):
        published(agency, title=f"分页测试需求{n:02d}", budget_cny=(n + 1) * 10_000)

    # When a page before the first is asked for
    page = text(client.get("/opportunities/", {"sort": "budget", "page": number}))

    # Then the first page shows (Django's get_page would give the last)
    assert "第 1 / 2 页" in page
    assert "分页测试需求22" in page


def test_a_page_number_past_the_end_is_the_last_page(client, lists, firm):
    for _n in range(21):
        capability_submit(actor=None, capability=make_capability(firm))

    page = text(client.get("/capabilities/", {"page": "99999999999999999999"}))

    assert "第 2 / 2 页" in page


@pytest.mark.parametrize("q", ["ＡＩ", "ａｉ", "A\u200bI", "\u200bAI\ufeff"])
def test_the_search_box_finds_full_width_and_zero_width_words(client, agency, lists, q):
    # Given a need whose title holds "AI" typed in ASCII
    published(agency, title="AI 辅助审批")

    # When the word is typed full-width or with invisible characters
    page = text(client.get("/opportunities/", {"q": q}))
    api = client.get("/api/v1/public/needs/", {"search": q}).json()

    # Then the page and the API find it as they find "AI"
    assert "共 1 项" in page
    assert [n["title"] for n in api["results"]] == ["AI 辅助审批"]


@pytest.mark.parametrize("url", ["/opportunities/", "/capabilities/"])
def test_a_list_offers_a_skip_to_its_results_and_announces_its_count(client, lists, url):
    page = text(client.get(url))

    # The skip link comes before the filters' links and boxes and leads to the results.
    skip = page.index('href="#results"')
    assert "跳到结果" in page[skip : skip + 100]
    assert skip < page.index("facet-tree") < page.index('id="results"')
    assert re.search(r'<section[^>]* id="results" tabindex="-1"', page)
    # The count is a live region, on an element allowed to be one (a heading is not: axe
    # aria-allowed-role; tests/portal/test_browser.py runs axe over the lists).
    assert re.search(r'<div role="status"><h2 id="results-title"[^>]*>共 \d+ 项</h2></div>', page)
    assert not re.search(r'<h\d[^>]*role="status"', page)


def test_need_list_htmx_request_gets_only_the_list_body(client, lists):
    response = client.get("/opportunities/", {"q": "大模型"}, HTTP_HX_REQUEST="true")

    page = text(response)
    assert page.lstrip().startswith('<div id="list-body"')
    assert "<html" not in page
    assert "政务大模型智能问答" in page


def test_need_detail_shows_the_public_need_never_its_confidential_fields(client, lists):
    need = lists["needs"][0]

    page = text(client.get(f"/opportunities/{need.ref}/"))

    assert need.title in page
    assert "80 万元" in page
    assert "社会治理服务综合性" in page  # the category's label, not its code
    assert "social_governance" not in page
    assert "内部预算口径" not in page
    assert "0791-88888888" not in page


def test_a_description_shows_with_its_line_breaks_and_indentation(client, agency, firm):
    # given: a need and a capability whose descriptions have indented lines
    text_typed = "识别要求：\n  • 准确率不低于95%\n  • 响应时间小于1秒"
    need = published(agency, description=text_typed)
    cap = capability_submit(actor=None, capability=make_capability(firm, description=text_typed))

    # when: their public pages are read
    pages = [
        text(client.get(f"/opportunities/{need.ref}/")),
        text(client.get(f"/capabilities/{cap.ref}/")),
    ]

    # then: each shows the text as typed, in the class that keeps line breaks and indentation
    for body in pages:
        assert f'<p class="user-text">{text_typed}</p>' in body
    css = (settings.BASE_DIR / "portal/static/portal/css/portal.css").read_text()
    assert ".user-text { white-space: pre-wrap; }" in css


def test_need_detail_of_a_draft_or_unknown_ref_is_not_found(client, lists):
    assert client.get(f"/opportunities/{lists['draft'].ref}/").status_code == 404
    assert client.get("/opportunities/NO-SUCH-REF/").status_code == 404
    assert client.get("/opportunities/%3Cscript%3E/").status_code == 404


def test_capability_list_and_detail_show_the_firm_and_certifications(
    client, lists, firm, django_capture_on_commit_callbacks
):
    page = text(client.get("/capabilities/"))
    # the list says nobody checked the claim, the mark kept whole when the badge wraps
    assert '专精特新<span class="text-nowrap">（自报）</span>' in page
    assert "已撤回的能力" not in page
    assert "资质认定（已核验）" in page  # the filter goes by checked certifications

    cap = lists["caps"][1]
    page = text(client.get(f"/capabilities/{cap.ref}/"))
    assert firm.name in page
    assert '专精特新<span class="text-nowrap">（企业自报）</span>' in page  # nobody checked it yet
    assert "specialized_sme" not in page
    assert client.get(f"/capabilities/{lists['gone'].ref}/").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):  # the lists' counts move on
        organization_certify(
            actor=None, organization=firm, certifications=["specialized_sme"], capacity=None
        )
    checked = '专精特新<span class="text-nowrap">（已核验）</span>'
    assert checked in text(client.get(f"/capabilities/{cap.ref}/"))
    listed = text(client.get("/capabilities/", {"certification": "specialized_sme"}))
    assert "政务大模型私有化部署" in listed
    assert "排水管网液位感知与内涝预警系统" not in listed
    assert "✓ 专精特新" in listed
    assert "（自报）" not in listed


def test_wrapping_badges_and_description_rows_keep_their_lines_apart():
    # The certification badges wrap in English; a label of two lines in a detail page's rows
    # ran into the next label.
    css = (settings.BASE_DIR / "portal/static/portal/css/portal.css").read_text()

    assert ".badge { white-space: normal; text-align: start; line-height: 1.3; }" in css
    assert "@media (min-width: 576px) { dl.row > dt { margin-bottom: .5rem; } }" in css


def test_a_capacity_in_thousands_has_a_thousands_separator_in_english(client, firm):
    # Given a capability that can run 1000 pilots at a time, read in English
    cap = capability_submit(
        actor=None, capability=make_capability(firm, title="大容量能力", capacity=1000)
    )
    client.cookies["django_language"] = "en"

    listed = text(client.get("/capabilities/"))
    detail = text(client.get(f"/capabilities/{cap.ref}/"))

    # Then the number reads 1,000 in the card and on the detail page
    assert re.search(r"<span>[^<]*1,000[^<]*</span>", listed)
    assert '<dd class="col-sm-9">1,000' in detail
    assert ">1000" not in listed + detail


def test_export_downloads_the_filtered_selection_as_xlsx(client, lists):
    response = client.get("/opportunities/export.xlsx", {"category": "government_service"})

    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    assert "attachment" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    titles = [row[1] for row in rows[1:]]
    assert "政务大模型智能问答" in titles
    assert len(rows) == 2  # the header and the one need of the selection


def test_capability_export_leaves_out_withdrawn_items(client, lists):
    response = client.get("/capabilities/export.xlsx")

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    flat = " ".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v)
    assert "政务大模型私有化部署" in flat
    assert "已撤回的能力" not in flat


def test_capability_export_marks_self_declared_certifications_as_the_list_does(client, lists, firm):
    # Given a capability claiming two certifications, one of them verified for its firm
    capability_submit(
        actor=None,
        capability=make_capability(
            firm, title="双资质能力", certifications=["specialized_sme", "high_tech"]
        ),
    )
    firm.verified_certifications = ["high_tech"]
    firm.save(update_fields=["verified_certifications"])

    # When the list is downloaded
    response = client.get("/capabilities/export.xlsx", {"q": "双资质能力"})

    # Then the names column says which claim nobody checked, and the codes stay importable
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["资质认定（名称）"] == "专精特新（自报）；高新技术企业"
    assert "（自报）" not in str(row["资质认定"])
    listed = text(client.get("/capabilities/", {"q": "双资质能力"}))
    assert '专精特新<span class="text-nowrap">（自报）</span>' in listed


def test_public_pages_refuse_writes(client, lists):
    assert client.post("/opportunities/").status_code == 405
    assert client.post(f"/opportunities/{lists['needs'][0].ref}/").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_facet_counts_follow_a_new_publication(client, reference):
    """Counts are cached; a committed publication moves the lists' generation on."""
    agency = factories.AgencyFactory.create(region=Region.objects.get(code="360102"))
    published(agency, title="第一个需求", category="industrial_upgrade")
    assert '产业转型升级新业态 <span class="text-muted small">(1)' in text(
        client.get("/opportunities/")
    )

    published(agency, title="第二个需求", category="industrial_upgrade")

    assert '产业转型升级新业态 <span class="text-muted small">(2)' in text(
        client.get("/opportunities/")
    )


# --- a constant number of queries per page ------------------------------------------------


def queries(url: str) -> int:
    from django.core.cache import cache

    from reference.selectors import forget_built

    cache.clear()  # both measurements start cold: trees and counts are computed again
    forget_built()
    with CaptureQueriesContext(connection) as ctx:
        response = Client().get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def grow(agency, firm, n):
    for i in range(n):
        published(agency, title=f"需求{i}", chains=["digital-city", "bci"])
        capability_submit(
            actor=None,
            capability=make_capability(
                firm,
                title=f"能力{i}",
                chains=["digital-city", "bci"],
                certifications=["first_of_kind"],
            ),
        )


@pytest.mark.parametrize("url", ["/", "/opportunities/", "/capabilities/"])
def test_list_pages_cost_the_same_queries_for_2_and_20_rows(url, agency, firm):
    grow(agency, firm, 2)
    small = queries(url)

    grow(agency, firm, 18)
    large = queries(url)

    assert large == small, f"{url}: {small} queries for 2 rows, {large} for 20"


def test_detail_pages_cost_the_same_queries_for_small_and_large_items(agency, firm):
    small_need = published(agency, chains=["digital-city"], keywords=["a"])
    large_need = published(
        agency,
        chains=["digital-city", "bci", "llm-digital-human"],
        keywords=[f"词{i}" for i in range(20)],
    )
    small_cap = capability_submit(actor=None, capability=make_capability(firm))
    other_firm = factories.FirmFactory.create()
    for i in range(5):
        capability_submit(actor=None, capability=make_capability(other_firm, title=f"其他{i}"))
    large_cap = capability_submit(
        actor=None,
        capability=make_capability(other_firm, chains=["digital-city", "bci", "llm-digital-human"]),
    )

    assert queries(f"/opportunities/{small_need.ref}/") == queries(
        f"/opportunities/{large_need.ref}/"
    )
    assert queries(f"/capabilities/{small_cap.ref}/") == queries(f"/capabilities/{large_cap.ref}/")


def test_warmed_counts_serve_the_unfiltered_lists_without_counting_again(lists):
    from scenarios.tasks import warm_list_counts

    warm_list_counts()

    for url in ("/", "/opportunities/", "/capabilities/"):
        with CaptureQueriesContext(connection) as ctx:
            assert Client().get(url).status_code == 200
        counting = [q["sql"] for q in ctx.captured_queries if "GROUP BY" in q["sql"]]
        assert counting == [], url
    # A filtered selection is counted on its first visit.
    with CaptureQueriesContext(connection) as ctx:
        Client().get("/capabilities/", {"certification": "high_tech"})
    assert any("GROUP BY" in q["sql"] for q in ctx.captured_queries)


@pytest.mark.parametrize(
    "query",
    [
        {"chain": "no-such-chain"},
        {"region": "999999"},
        {"region": "36010"},
        {"chain": "<script>"},
        {"sort": "drop table"},
        {"trl_min": "99"},
        {"page": "-1"},
        {"q": "x" * 500},
        {"q": "\x00"},
        {"category": "nonsense"},
        {"certification": "nonsense"},
    ],
)
def test_lists_answer_odd_queries_without_error(client, lists, query):
    for url in ("/opportunities/", "/capabilities/"):
        response = client.get(url, query)
        assert response.status_code == 200, (url, query)
        # The download holds what the list shows, a filter it ignored ignored too.
        assert exported_refs(client, url, query) == listed_refs(client, url, query), query


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"chain": "zzz"}, "chain"),
        ({"region": "999999"}, "region"),
        ({"chain": "\x00"}, "chain"),
        ({"trl_min": "7", "trl_max": "3"}, "trl_max"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_a_rejected_filter_says_so_and_is_not_counted_or_echoed(client, lists, query, field):
    body = text(client.get("/opportunities/", {**query, "sort": "budget"}))

    assert "共 3 项" in body  # the other filters (none here) still apply
    assert "筛选条件 <span" not in body  # no active-filter badge for a rejected value
    # Said above the results too (on a phone the filters are folded away).
    results = body[body.index('id="results-title"') :]
    assert "以下筛选条件无效" in results
    assert "\x00" not in body
    for key, value in query.items():
        if key != "trl_min":
            assert f'name="{key}" value="{value}"' not in body
    assert {
        "chain": "未知的产业链/赛道",
        "region": "未知的地区",
        "trl_max": "上限不能小于下限",
        "q": "搜索词最多 100 个字",
    }[field] in results


def test_a_reversed_trl_range_names_the_trl_in_its_reason(client, lists):
    # Given a TRL range whose upper end is below its lower end
    body = text(client.get("/opportunities/", {"trl_min": "7", "trl_max": "3"}))

    # Then the list says it is the TRL's upper limit, not just "到"
    assert "技术成熟度上限：上限不能小于下限。" in body
    assert "<li>到：" not in body


def zh(value: str) -> str:
    return f'<span lang="zh-CN">{value}</span>'


def test_in_english_what_people_wrote_is_marked_as_chinese(client, lists, firm):
    # Given the English interface
    need, capability = lists["needs"][0], lists["caps"][0]
    client.cookies["django_language"] = "en"

    needs = text(client.get("/opportunities/"))
    caps = text(client.get("/capabilities/"))
    need_page = text(client.get(f"/opportunities/{need.ref}/"))
    cap_page = text(client.get(f"/capabilities/{capability.ref}/"))
    home = text(client.get("/"))

    # Then titles, descriptions, keywords, cases and organisations' names carry their
    # language, so a screen reader reads them with a Chinese voice; the interface does not
    assert '<html lang="en">' in needs
    for page in (needs, home):
        assert zh(need.title) in page
        assert zh(need.agency.name) in page
    for page in (caps, home):
        assert zh(capability.title) in page
        assert zh(firm.name) in page
    for value in (need.title, need.agency.name, need.description, "物联网, 积水监测, 预警"):
        assert zh(value) in need_page, value
    assert "Not provided" in need_page or "未填写" in need_page  # no resources: interface text
    assert 'lang="zh-CN">Not provided' not in need_page
    for value in (capability.title, capability.description, "南昌市红谷滩区排水监测项目"):
        assert zh(value) in cap_page, value
    assert cap_page.count(zh(firm.name)) == 2  # beside the title and in the firm's box
    assert 'lang="zh-CN">Digital' not in needs  # chain and region names are English


def test_in_english_dates_read_day_month_year_and_keep_together(client, agency):
    # Given a need with a deadline, published on 8 December 2026, read in English
    deadline = timezone.localdate() + dt.timedelta(days=90)
    need = published(agency, title="日期显示测试需求", deadline=deadline)
    at = dt.datetime(2026, 12, 8, 10, 0, tzinfo=timezone.get_current_timezone())
    ScenarioNeed.objects.filter(pk=need.pk).update(published_at=at)
    client.cookies["django_language"] = "en"

    listed = text(client.get("/opportunities/"))
    detail = text(client.get(f"/opportunities/{need.ref}/"))

    # Then dates read 8 Dec 2026, never Dec. 8, 2026, and do not break inside on a phone
    shown = f"{deadline.day} {deadline:%b} {deadline.year}"
    assert f'Deadline <span class="text-nowrap">{shown}</span>' in listed
    assert 'Published on <span class="text-nowrap">8 Dec 2026</span>' in detail
    assert f'<dd class="col-sm-9">{shown}' in detail
    assert "Dec. 8" not in detail


def test_in_chinese_dates_keep_the_chinese_form(client, agency):
    need = published(agency, title="日期显示测试需求")
    at = dt.datetime(2026, 12, 8, 10, 0, tzinfo=timezone.get_current_timezone())
    ScenarioNeed.objects.filter(pk=need.pk).update(published_at=at)

    detail = text(client.get(f"/opportunities/{need.ref}/"))

    assert '发布于 <span class="text-nowrap">2026年12月8日</span>' in detail


def test_in_chinese_the_page_s_own_language_covers_what_people_wrote(client, lists):
    need = lists["needs"][0]

    page = text(client.get(f"/opportunities/{need.ref}/"))

    assert '<html lang="zh-CN">' in page
    assert 'lang="zh-CN">' not in page.split("<html", 1)[1].split(">", 1)[1]


@pytest.mark.parametrize(
    ("language", "value", "shown"),
    [
        ("en", "智能<监测>", '<span lang="zh-CN">智能&lt;监测&gt;</span>'),
        ("en", "Smart <sensing>", "Smart &lt;sensing&gt;"),  # no Chinese: the page's language
        ("en", "", ""),
        ("en", None, ""),
        ("zh-hans", "智能<监测>", "智能&lt;监测&gt;"),
    ],
)
def test_lang_zh_marks_only_chinese_text_on_a_page_in_another_language(language, value, shown):
    with translation.override(language):
        assert lang_zh(value) == shown


def test_an_english_place_reads_as_an_english_address(client, lists):
    # Given a need in 东湖区, 南昌市, 江西省, read in English
    need = lists["needs"][0]
    client.cookies["django_language"] = "en"

    page = text(client.get(f"/opportunities/{need.ref}/"))

    # Then its place is smallest first and comma-separated, not run together
    assert "Donghu District, Nanchang City, Jiangxi Province" in page
    assert "Jiangxi Province Nanchang City" not in page


def test_a_chinese_place_reads_from_the_province_down(client, lists):
    page = text(client.get(f"/opportunities/{lists['needs'][0].ref}/"))

    assert "江西省 南昌市 东湖区" in page


@pytest.mark.parametrize(
    "url",
    [
        "/opportunities/a%00b/",
        "/capabilities/a%00b/",
        "/workspace/agency/needs/a%00b/",
        "/workspace/firm/capabilities/a%00b/",
        "/notifications/go/need/a%00b/",
    ],
)
def test_a_nul_in_an_address_is_not_found_not_a_server_error(url, agency_user):
    client = Client()
    client.force_login(agency_user)

    assert client.get(url).status_code == 404


def test_a_selected_tree_node_links_to_switching_it_off(client, lists):
    body = text(client.get("/opportunities/", {"region": "360700", "sort": "budget"}))

    current = body[body.index('aria-current="true"') - 200 : body.index('aria-current="true"')]
    assert 'href="?sort=budget"' in current  # the region removed, the rest kept


@pytest.mark.parametrize(
    "query",
    [
        {"region": "999"},
        {"sort": "foo"},
        {"trl_min": "9", "trl_max": "2"},
        {"trl_min": "12", "q": "内涝"},
        {"chain": "zzz", "category": "government_service"},
    ],
)
@pytest.mark.parametrize("url", ["/opportunities/", "/capabilities/"])
def test_a_download_with_a_filter_the_list_ignores_gives_what_the_list_shows(
    client, lists, url, query
):
    # Given a list that ignores one of its filters and says so, offering its download
    page = text(client.get(url, query))
    assert "以下筛选条件无效" in page
    assert f'href="{url}export.xlsx?' in page

    # When the download is taken
    refs = exported_refs(client, url, query)

    # Then the file holds the very items the list shows, in its order
    assert refs == listed_refs(client, url, query)
    assert listed_refs(client, url, query)  # the other filters (or none) still apply


def test_no_results_leave_no_empty_filter_boxes(client, lists):
    body = text(client.get("/opportunities/", {"q": "查无此词"}))

    assert body.count("当前结果中没有可细分的项") == 2  # the chain and the region trees
