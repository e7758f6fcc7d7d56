"""Feedback a blind review missed: signing out says so where it lands, and the runs page
reached from the committee workspace keeps the workspace's tabs."""

import pytest

from tests.portal.conftest import signed_in

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
