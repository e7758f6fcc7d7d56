"""Match runs through the pages: the list, a live progress fragment that stops when the run
ends, starting and cancelling within each member's remit, and the shortfall explained."""

import re

import pytest

from matching.models import MatchRun
from matching.services import runs
from tests.matching.world import run_inline
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_list_shows_each_run_with_its_scope_policy_status_and_counts(matched, city_reviewer):
    done = MatchRun.objects.get()
    pending = runs.match_run_request(scope="need", object_id=matched["needs"][0].pk)

    r = signed_in(city_reviewer).get("/workspace/runs/")

    html = r.content.decode()
    assert r.status_code == 200
    assert f"#{done.pk}" in html
    assert "全量" in html
    assert "单个需求" in html
    assert matched["needs"][0].ref in html  # the need a single run was about
    assert "第 1 版" in html
    needs, candidates, recommended = (
        done.counts["needs"],
        done.counts["candidates"],
        done.counts["recommended"],
    )
    assert f"{needs} / {candidates} / {recommended}" in html
    # the pending run polls its progress; the finished one does not
    assert f'hx-get="/workspace/runs/{pending.pk}/progress/"' in html
    assert f'hx-get="/workspace/runs/{done.pk}/progress/"' not in html


def test_progress_fragment_polls_while_running_and_stops_with_286_when_done(matched, city_reviewer):
    run = runs.match_run_request(scope="full")
    client = signed_in(city_reviewer)

    waiting = client.get(f"/workspace/runs/{run.pk}/progress/")
    run_inline(run)
    finished = client.get(f"/workspace/runs/{run.pk}/progress/")

    assert waiting.status_code == 200
    assert 'hx-trigger="every 2s"' in waiting.content.decode()
    assert "排队中" in waiting.content.decode()
    assert finished.status_code == 286
    assert finished["HX-Refresh"] == "true"
    assert "100%" in finished.content.decode()


def test_a_city_member_cannot_start_a_full_run_but_reruns_its_need(matched, city_reviewer):
    client = signed_in(city_reviewer)
    before = MatchRun.objects.count()

    page = client.get("/workspace/runs/")
    full = client.post("/workspace/runs/start/", {"scope": "full"}, follow=True)
    unknown = client.post(
        "/workspace/runs/start/", {"scope": "need", "need_ref": "N-不存在\x00"}, follow=True
    )
    need = client.post(
        "/workspace/runs/start/", {"scope": "need", "need_ref": matched["needs"][0].ref}
    )

    assert "发起全量匹配" not in page.content.decode()
    assert "省级工作委员会" in full.content.decode()
    assert "找不到编号为“N-不存在”的需求" in unknown.content.decode()
    assert MatchRun.objects.count() == before + 1
    run = MatchRun.objects.latest("id")
    assert (run.scope, run.target_id) == ("need", matched["needs"][0].pk)
    assert need["Location"] == f"/workspace/runs/{run.pk}/"


def test_the_province_starts_a_full_run_and_cancels_it(matched, province_reviewer, city_reviewer):
    client = signed_in(province_reviewer)

    started = client.post("/workspace/runs/start/", {"scope": "full"})
    run = MatchRun.objects.latest("id")
    city_cancel = signed_in(city_reviewer).post(f"/workspace/runs/{run.pk}/cancel/", follow=True)
    cancelled = client.post(f"/workspace/runs/{run.pk}/cancel/", follow=True)

    assert started["Location"] == f"/workspace/runs/{run.pk}/"
    assert "只能取消本人发起的批次" in city_cancel.content.decode()
    assert "已取消批次" in cancelled.content.decode()
    run.refresh_from_db()
    assert run.status == "cancelled"


def test_detail_explains_the_shortfall_need_by_need(matched, city_reviewer):
    run = MatchRun.objects.get()
    need = matched["needs"][2]
    run.counts = {
        **run.counts,
        "shortfall": {"firms_at_capacity": 1},
        "shortfall_needs": {str(need.pk): "firms_at_capacity"},
    }
    run.save(update_fields=["counts"])

    r = signed_in(city_reviewer).get(f"/workspace/runs/{run.pk}/")

    html = r.content.decode()
    assert "推荐不足的需求" in html
    assert "配额已满" in html
    assert need.ref in html
    assert "1 个需求" in html
    assert "系统（发布、撤下" in html  # who asked for a run nobody requested by hand
    # The steps' timings are there for operators, folded away from the committee's reading.
    folded = html[html.index("各步骤耗时") :]
    assert "<details" in html[: html.index("各步骤耗时")][-200:]
    assert "秒" in folded


def test_firms_and_agencies_do_not_reach_runs(matched, firm_user, agency_user):
    run = MatchRun.objects.get()
    for user in (firm_user, agency_user):
        client = signed_in(user)
        assert client.get("/workspace/runs/")["Location"] == "/workspace/"
        assert client.get(f"/workspace/runs/{run.pk}/progress/").status_code == 302
        assert client.post(f"/workspace/runs/{run.pk}/cancel/").status_code == 302
    run.refresh_from_db()
    assert run.status == "done"


def test_detail_names_the_candidates_the_negative_list_and_conflicts_removed(
    matched, city_reviewer
):
    run = MatchRun.objects.get()
    need = matched["needs"][0]
    run.counts = {
        **run.counts,
        "shortfall": {"no_candidates": 1},
        "shortfall_needs": {str(need.pk): "no_candidates"},
        "shortfall_excluded": {str(need.pk): [2, 1]},
    }
    run.save(update_fields=["counts"])

    html = signed_in(city_reviewer).get(f"/workspace/runs/{run.pk}/").content.decode()

    assert "负面清单排除 2 个候选" in html
    assert "利益冲突排除 1 个候选" in html


CURRENT_TAB = re.compile(r'<a class="nav-link active" aria-current="page" href="([^"]+)"')
HEADING = re.compile(r"<(h[12])[^>]*>(.*?)</\1>", re.S)


def test_a_committee_member_keeps_the_workspace_tabs_on_a_runs_page(matched, city_reviewer):
    run = MatchRun.objects.get()

    html = signed_in(city_reviewer).get(f"/workspace/runs/{run.pk}/").content.decode()

    # the tabs, with 匹配批次 the current one, and one page heading (the workspace's)
    tabs = html.split('class="nav nav-tabs', 1)[1].split("</ul>", 1)[0]
    assert CURRENT_TAB.findall(tabs) == ["/workspace/runs/"]
    headings = [(tag, re.sub(r"<[^>]+>|\s+", "", text)) for tag, text in HEADING.findall(html)]
    assert [text for tag, text in headings if tag == "h1"] == ["工作委员会工作台"]
    assert ("h2", f"匹配批次#{run.pk}{run.get_status_display()}") in headings


def test_the_platform_admin_reads_a_run_without_committee_tabs(matched, platform_admin):
    run = MatchRun.objects.get()

    html = signed_in(platform_admin).get(f"/workspace/runs/{run.pk}/").content.decode()

    assert "nav-tabs" not in html
    h1 = [re.sub(r"<[^>]+>|\s+", "", t) for tag, t in HEADING.findall(html) if tag == "h1"]
    assert h1 == [f"匹配批次#{run.pk}{run.get_status_display()}"]


def test_a_need_run_is_not_shown_to_committees_outside_the_needs_region(
    matched, city_reviewer, other_city_reviewer
):
    """Ganzhou's members opened Nanchang's rerun of a Donghu need, and read who asked."""
    # given
    need_run = runs.match_run_request(
        scope="need", object_id=matched["needs"][0].pk, actor=city_reviewer
    )
    asker = city_reviewer.get_username()
    outsider = signed_in(other_city_reviewer)

    # when
    listed = outsider.get("/workspace/runs/").content.decode()
    detail = outsider.get(f"/workspace/runs/{need_run.pk}/")
    progress = outsider.get(f"/workspace/runs/{need_run.pk}/progress/")
    own = signed_in(city_reviewer).get(f"/workspace/runs/{need_run.pk}/")

    # then
    assert f"#{need_run.pk}" not in listed
    assert asker not in listed
    assert matched["needs"][0].ref not in listed
    assert (detail.status_code, progress.status_code) == (404, 404)
    assert own.status_code == 200
    assert asker in own.content.decode()
