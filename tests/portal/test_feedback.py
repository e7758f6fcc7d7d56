"""Feedback a blind review missed: signing out says so where it lands, the runs page
reached from the committee workspace keeps the workspace's tabs, and dates read one way in
English (no US short form, no 12-hour clock)."""

import datetime as dt
import re

import pytest
from django.utils import timezone, translation

from portal.templatetags.portal import when
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

    assert english == "Dec. 7, 2026 16:26"
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
