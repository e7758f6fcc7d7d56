"""Feedback a blind review missed: signing out says so where it lands, the runs page
reached from the committee workspace keeps the workspace's tabs, and dates read one way in
English (no US short form, no 12-hour clock)."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone, translation

from portal.templatetags.portal import messages_line, when
from scenarios.services.needs import need_submit
from tests.portal.conftest import signed_in
from tests.scenarios.helpers import make_need

pytestmark = pytest.mark.django_db


def test_signing_out_says_so_on_the_page_it_lands_on(agency_user):
    client = signed_in(agency_user)

    r = client.post("/logout/", follow=True)

    html = r.content.decode()
    assert r.redirect_chain[-1][0] == "/"
    assert "已退出登录。" in html
    assert "登录" in html


def test_runs_page_keeps_the_committee_tabs_for_a_member(matched, city_reviewer):
    html = signed_in(city_reviewer).get("/workspace/runs/").content.decode()

    assert "工作委员会工作台" in html
    assert 'aria-current="page" href="/workspace/runs/"' in html
    assert 'href="/workspace/committee/"' in html  # the way back to the queue


def test_runs_page_of_a_platform_admin_has_no_committee_tabs(matched, platform_admin):
    html = signed_in(platform_admin).get("/workspace/runs/").content.decode()

    assert "工作委员会工作台" not in html


def test_dates_and_times_read_one_way_in_english_with_a_24_hour_clock():
    at = dt.datetime(2026, 12, 7, 16, 26, tzinfo=timezone.get_current_timezone())

    with translation.override("en"):
        english = when(at)
    with translation.override("zh-hans"):
        chinese = when(at)

    assert english == "7 Dec 2026 16:26"
    assert chinese == "2026年12月7日 16:26"


def test_runs_list_in_english_has_no_us_short_date_or_12_hour_time(matched, city_reviewer):
    client = signed_in(city_reviewer)
    client.cookies["django_language"] = "en"

    html = client.get("/workspace/runs/").content.decode()

    assert 'lang="en"' in html
    assert not re.search(r"\d\d/\d\d/\d{4}", html)
    assert "p.m." not in html
    assert "a.m." not in html


def test_need_page_reviews_table_dates_are_not_the_us_short_form(
    county_reviewer, agency, agency_user
):
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    client = signed_in(county_reviewer)
    client.cookies["django_language"] = "en"

    html = client.get(f"/workspace/committee/needs/{need.ref}/").content.decode()

    assert not re.search(r"\d\d/\d\d/\d{4}", html)


# -- phone layout: tables that split words or pushed their useful column off the screen ----


def test_funnel_table_lists_one_stage_per_row(matched):
    html = Client().get("/dashboard/").content.decode()

    table = html[html.index('class="table table-sm small mb-0 funnel-table"') :]
    table = table[: table.index("</table>")]
    assert table.count('<th scope="row"') == table.count("data-funnel=") == 7


def test_runs_table_leaves_the_policy_version_off_a_phone_and_keeps_the_status(
    matched, city_reviewer
):
    html = signed_in(city_reviewer).get("/workspace/runs/").content.decode()

    head = html[html.index("<thead>", html.index("runs-table")) :]
    head = head[: head.index("</thead>")]
    assert 'class="text-nowrap d-none d-sm-table-cell">政策版本' in head
    assert 'style="min-width: 9rem">状态与进度' in head  # always shown


def test_table_cells_do_not_split_words_on_a_phone():
    css = (Path(__file__).parents[2] / "portal/static/portal/css/portal.css").read_text()

    assert ".table th, .table td { overflow-wrap: break-word; }" in css
    assert ".col-label { min-width: 7em; }" in css


@pytest.mark.parametrize(
    ("language", "messages", "line"),
    [
        (
            "zh-hans",
            ["最多 200 个字（现有 306 个）。", "请填写名称。"],
            "最多 200 个字（现有 306 个）；请填写名称。",
        ),
        ("zh-hans", ["不能为空。"], "不能为空。"),
        ("zh-hans", ["没有句号"], "没有句号。"),
        ("en", ["Too long", "Fill in a name."], "Too long. Fill in a name."),
        (
            "en",
            ["At most 200 characters (306 now).", "Fill in a name."],
            "At most 200 characters (306 now). Fill in a name.",
        ),
    ],
)
def test_messages_of_one_field_read_as_one_sentence(language, messages, line):
    with translation.override(language):
        assert messages_line(messages) == line


def test_no_template_joins_messages_with_a_bare_semicolon():
    # "。" of one message then "；" read "。；": every page joins a field's messages one way
    templates = Path(__file__).parents[2] / "portal" / "templates"

    joined = [
        f"{path.name}: {match}"
        for path in templates.rglob("*.html")
        for match in re.findall(r"errors\|join:[^ }]*", path.read_text())
    ]

    assert joined == []
