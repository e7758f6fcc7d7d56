"""The portal in Debian's Chromium, driven by Playwright against a live server: the journey
of the portal issues, from an agency's draft through the committees' queues, an expert's
scores, a firm's interest and the agency's shortlist to the committee's approval, the pilot
and its recognition.

On every page of the journey: no console error, no failed request, no serious or critical
axe-core violation, no horizontal scrolling at phone size, and a screenshot at desktop and
phone size under ``var/test-output/portal/`` (``PORTAL_SCREENSHOTS`` moves it).

Celery runs eagerly in this process (the live server is a thread of it), so publishing a
need or a capability runs its matching at once; the worker tests cover the real worker.
"""

import datetime as dt
import json
import os
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import Organization
from config.celery import app as celery_app
from reference.models import Region
from scenarios.models import ScenarioNeed
from scenarios.services.capabilities import capability_submit
from tests import factories
from tests.factories import credit_code_for
from tests.scenarios.helpers import make_capability, make_need

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SHOTS = Path(
    os.environ.get("PORTAL_SCREENSHOTS", Path(settings.BASE_DIR) / "var/test-output/portal")
)
PASSWORD = "pw-for-tests-2026"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    # Skipped where Chromium is missing, except in CI, where a missing browser must fail.
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("CI"),
        reason="Debian chromium is not installed (scripts/browser-deps.sh)",
    ),
]


@pytest.fixture
def eager_celery() -> Iterator[None]:
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium through Playwright's sync API. That API keeps an event loop in this thread,
    which Django takes for async code; the test's own ORM calls are synchronous, so Django's
    guard is lifted for these tests (as Playwright's and Django's docs advise)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            yield chromium
            chromium.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class Visitor:
    """One person's browser: every page it opens is checked and photographed."""

    def __init__(self, browser: Any, base_url: str, name: str) -> None:
        self.base_url = base_url
        self.name = name
        self.context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.checked: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))
        self.page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def open(self, path: str, shot: str) -> Any:
        self.page.goto(self.base_url + path)
        return self.check(shot)

    def check(self, shot: str) -> Any:
        """Axe, overflow and screenshots of the page now shown, at both sizes."""
        page = self.page
        page.wait_for_load_state("networkidle")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        for violation in result["violations"]:
            if violation["impact"] in ("serious", "critical"):
                targets = [n["target"] for n in violation["nodes"][:3]]
                self.problems.append(f"axe {violation['id']} on {shot}: {targets}")
        SHOTS.mkdir(parents=True, exist_ok=True)
        # A loaded machine (the whole suite on two cores) can take long over a long page.
        page.screenshot(path=str(SHOTS / f"{shot}-desktop.png"), full_page=True, timeout=90_000)
        page.set_viewport_size(PHONE)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            self.problems.append(f"{shot}: scrolls sideways by {overflow}px at phone size")
        page.screenshot(path=str(SHOTS / f"{shot}-phone.png"), full_page=True, timeout=90_000)
        page.set_viewport_size(DESKTOP)
        self.checked.append(shot)
        return page

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        self.open("/login/", f"{self.name}-login")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.click("#main form button[type=submit]")
        self.page.wait_for_load_state("networkidle")

    def close(self) -> list[str]:
        self.context.close()
        return self.problems


def api(base_url: str, method: str, path: str, token: str | None = None, body: Any = None) -> Any:
    """A REST call to the live server, as another system would make it."""
    request = urllib.request.Request(  # noqa: S310 - the test's own live server
        base_url + path,
        method=method,
        data=json.dumps(body or {}).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    if token:
        request.add_header("Authorization", f"Token {token}")
    with urllib.request.urlopen(request) as response:  # noqa: S310
        return json.loads(response.read() or b"{}")


def token_of(base_url: str, username: str) -> str:
    body = api(
        base_url, "POST", "/api/v1/auth/token/", body={"username": username, "password": PASSWORD}
    )
    return str(body["token"])


def test_journey_from_an_agency_draft_to_a_recognised_pilot(
    live_server, browser, reference, eager_celery
):
    base = live_server.url
    agency = factories.AgencyFactory.create(
        name="南昌市东湖区数据局", region=Region.objects.get(code="360102")
    )
    agency_user = factories.member(agency, "agency_editor", username="donghu-agency")
    county = factories.member(
        Organization.objects.get(committee__region_id="360102"), "committee_member"
    )
    city = factories.member(
        Organization.objects.get(committee__region_id="360100"), "committee_member"
    )
    province = factories.member(
        Organization.objects.get(committee__region_id="360000"), "committee_member"
    )
    expert = factories.member(factories.ExpertInstitutionFactory.create(), "expert")
    admin_user = factories.UserFactory.create(username="platform-admin")
    from accounts.services.organizations import membership_grant

    membership_grant(
        actor=None,
        user=admin_user,
        organization=Organization.objects.get(kind="platform"),
        role="platform_admin",
    )
    problems: dict[str, list[str]] = {}

    # 1. The agency drafts a need through the form and submits it.
    staff = Visitor(browser, base, "agency")
    staff.sign_in(agency_user.username)
    page = staff.open("/workspace/agency/", "agency-home-empty")
    page.get_by_role("link", name="发布新需求").click()
    page = staff.check("agency-need-new")
    page.fill("#id_title", "城市内涝积水智能监测预警平台")
    page.fill(
        "#id_description",
        "在东湖区易涝点部署物联网液位传感器，建设内涝积水监测预警平台，开放排水管网数据与示范路段。",
    )
    page.select_option("#id_category", "social_governance")
    page.check("input[name=chains][value=digital-city]")
    tags = page.locator("#id_keywords-entry")
    for word in ("液位传感", "内涝预警", "物联网"):
        tags.fill(word)
        tags.press("Enter")
    page.select_option("#id_validation_type", "technology")
    page.select_option("#id_min_trl", "5")
    page.fill("#id_budget_wan", "80")
    page.click("#main form button[type=submit]")
    page.wait_for_url(re.compile(r"/workspace/agency/needs/[^/]+/$"))
    staff.check("agency-need-draft")
    need = ScenarioNeed.objects.get(agency=agency)
    assert need.keywords == ["液位传感", "内涝预警", "物联网"]
    assert need.budget_cny == 800_000
    with page.expect_navigation():
        page.get_by_role("button", name="提交审核").click()
    assert "已提交审核" in page.content()
    staff.check("agency-need-in-review")

    # 2. The county and then the city member approve it in their review queues.
    reviewers = {}
    for member, tier in ((county, "county"), (city, "city")):
        reviewer = reviewers[tier] = Visitor(browser, base, tier)
        reviewer.sign_in(member.username)
        page = reviewer.open("/workspace/committee/", f"{tier}-queue")
        card = page.locator("article", has_text="城市内涝积水智能监测预警平台")
        assert "已等待 0 天" in card.inner_text()
        if tier == "city":  # the county's comment is in the trail of earlier tiers
            card.get_by_role("link", name="城市内涝积水智能监测预警平台").click()
            page = reviewer.check("city-need")
            assert "材料齐全，同意" in page.content()
            card = page.locator("#main")
        card.get_by_label("通过", exact=True).check()
        card.get_by_label("意见（退回或不予通过时必填）").fill("材料齐全，同意")
        with page.expect_navigation():
            card.get_by_role("button", name="提交审核结论").click()
        assert "已通过" in page.content()
        reviewer.check(f"{tier}-queue-done")
    need.refresh_from_db()
    assert need.status == "published"
    problems["county"] = reviewers["county"].close()
    # The dashboard's funnel, read from the page, moves by one at each step from here on.
    watcher = Visitor(browser, base, "dashboard")
    stages = ("published", "recommended", "interest", "shortlisted", "piloting", "validated")

    def funnel(shot: str) -> tuple[int, ...]:
        page = watcher.open("/dashboard/", shot)
        return tuple(int(page.inner_text(f'td[data-funnel="{k}"]')) for k in stages)

    assert funnel("dashboard-published") == (1, 0, 0, 0, 0, 0)

    # 2b. An expert scores it, then sees the panel beside the scores.
    expert_browser = Visitor(browser, base, "expert")
    expert_browser.sign_in(expert.username)
    page = expert_browser.open("/workspace/expert/", "expert-home")
    page.get_by_role("link", name="城市内涝积水智能监测预警平台").click()
    page = expert_browser.check("expert-need")
    assert "专家组评分对照" not in page.content()
    for label, value in (
        ("技术先进性", "85"),
        ("示范带动性", "90"),
        ("产业牵引力", "80"),
        ("可复制推广性", "88"),
        ("实施可行性", "92"),
    ):
        page.get_by_label(label).fill(value)
    with page.expect_navigation():
        page.get_by_role("button", name="提交评分").click()
    assert "专家组评分对照" in page.content()
    expert_browser.check("expert-need-scored")
    problems["expert"] = expert_browser.close()
    need.refresh_from_db()
    assert need.value_score == pytest.approx(86.65)  # 0.25×85 + 0.2×(90+80+88) + 0.15×92

    # 3. The public finds it on the opportunity list, with facets and its detail page.
    public = Visitor(browser, base, "public")
    page = public.open("/", "home")
    assert "城市内涝积水智能监测预警平台" in page.content()
    page = public.open("/opportunities/", "opportunities")
    page.fill("#id_q", "内涝")
    page.click("#list-body button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "共 1 项" in page.content()
    public.check("opportunities-search")
    page.get_by_role("link", name="城市内涝积水智能监测预警平台").click()
    page = public.check("opportunity-detail")
    assert "80 万元" in page.content()
    problems["public"] = public.close()

    # 4. A firm signs up, is verified by the platform admin, registers a capability.
    firm_browser = Visitor(browser, base, "firm")
    page = firm_browser.open("/signup/firm/", "signup-firm")
    page.fill("#id_firm_name", "江西感知物联科技有限公司")
    page.fill("#id_credit_code", credit_code_for(7001, "360111"))
    # The registering authority's region, read from the code, is picked for the firm.
    assert page.input_value("#id_region") == "360111"
    page.fill("#id_username", "sensing-firm")
    page.fill("#id_email", "sensing@example.cn")
    page.fill("#id_password1", "Sturdy-pass-2026")
    page.fill("#id_password2", "Sturdy-pass-2026")
    page.click("#main form button[type=submit]")
    page.wait_for_url(re.compile(r"/workspace/firm/$"))
    assert "企业待认证" in page.content()
    firm_browser.check("firm-home-unverified")
    firm = Organization.objects.get(name="江西感知物联科技有限公司")
    api(
        base,
        "POST",
        f"/api/v1/organizations/{firm.pk}/verify/",
        token_of(base, admin_user.username),
    )
    page = firm_browser.open("/workspace/firm/", "firm-home-verified")
    assert "企业已认证" in page.content()
    page.get_by_role("link", name="登记新能力").click()
    page = firm_browser.check("firm-capability-new")
    page.fill("#id_title", "排水管网液位感知与内涝预警系统")
    page.fill(
        "#id_description",
        "超声波液位传感器与水动力模型实时监测排水管网，提前预警城市内涝积水，已在南昌多个城区部署。",
    )
    page.check("input[name=chains][value=digital-city]")
    tags = page.locator("#id_keywords-entry")
    for word in ("液位传感", "内涝预警", "水动力模型"):
        tags.fill(word)
        tags.press("Enter")
    page.select_option("#id_trl", "7")
    page.fill("#id_capacity", "2")
    page.click("#main form button[type=submit]")
    page.wait_for_url(re.compile(r"/workspace/firm/capabilities/[^/]+/$"))
    firm_browser.check("firm-capability-draft")
    with page.expect_navigation():
        page.get_by_role("button", name="提交发布").click()
    assert "已发布到能力清单" in page.content()
    firm_browser.check("firm-capability-published")

    # 5. The firm reads the need among its recommendations and says it is interested.
    page = firm_browser.open("/workspace/firm/recommendations/", "firm-recommendations")
    assert "城市内涝积水智能监测预警平台" in page.content()
    assert "匹配得分" in page.content()
    page.get_by_role("link", name="城市内涝积水智能监测预警平台").first.click()
    page = firm_browser.check("firm-recommendation")
    content = page.content()
    assert "关键词“液位传感”“内涝预警”相符" in content or "“液位传感”" in content
    assert "同属产业链“数字空间+智慧城市”" in content
    assert "技术成熟度 7 级，高于要求的 5 级" in content
    assert "<mark>液位传感</mark>" in content
    page.check("input[name=interested][value='1']")
    page.fill("#id_note", "可在两周内进场安装")
    with page.expect_navigation():
        page.get_by_role("button", name="提交答复").click()
    assert "已答复" in page.content()
    firm_browser.check("firm-recommendation-answered")
    problems["firm"] = firm_browser.close()
    assert funnel("dashboard-interest") == (1, 1, 1, 0, 0, 0)

    # 6. The agency sees the interest and shortlists the firm (an htmx swap).
    page = staff.open(f"/workspace/agency/needs/{need.ref}/", "agency-need-published")
    assert "可在两周内进场安装" in page.content()
    assert "排水管网液位感知与内涝预警系统" in page.content()
    page.get_by_role("button", name="加入入围名单").first.click()
    page.get_by_text("已入围").first.wait_for()
    staff.check("agency-need-shortlisted")
    page = staff.open("/notifications/", "notifications")
    assert "企业回应" in page.content()
    assert funnel("dashboard-shortlisted") == (1, 1, 1, 1, 0, 0)

    # 7. The city member approves the shortlisted pair: the pilot starts.
    city_browser = reviewers["city"]
    page = city_browser.open("/workspace/committee/recommendations/", "city-recommendations")
    card = page.locator("article", has_text="排水管网液位感知与内涝预警系统")
    assert "可在两周内进场安装" in card.inner_text()
    card.get_by_label("批准试点").check()
    card.get_by_label("包容期截止日期").fill(
        (timezone.localdate() + dt.timedelta(days=180)).isoformat()
    )
    with page.expect_navigation():
        card.get_by_role("button", name="提交审批").click()
    assert "试点已开始" in page.content()
    city_browser.check("city-recommendation-approved")
    problems["city"] = city_browser.close()
    need.refresh_from_db()
    assert need.status == "in_validation"
    assert funnel("dashboard-piloting") == (1, 1, 1, 1, 1, 0)

    # 8. The agency records a milestone and concludes the pilot as validated.
    page = staff.open(f"/workspace/agency/needs/{need.ref}/", "agency-need-in-validation")
    page.get_by_role("link", name="记录里程碑与结论").click()
    page = staff.check("agency-pilot")
    page.get_by_label("第 1 个里程碑", exact=True).fill("液位传感器安装完成")
    page.get_by_label("第 1 个里程碑已完成").check()
    with page.expect_navigation():
        page.get_by_role("button", name="保存里程碑").click()
    assert "里程碑已保存" in page.content()
    page.get_by_label("验证成功").check()
    page.get_by_label("验证后技术成熟度").select_option("8")
    page.get_by_label("结论说明").fill("预警准确率 95%，达到验收指标")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="提交验证结论").click()
    assert "已记录验证结论" in page.content()
    staff.check("agency-pilot-validated")
    problems["agency"] = staff.close()
    need.refresh_from_db()
    assert need.status == "validated"
    assert funnel("dashboard-validated") == (1, 1, 1, 1, 1, 1)
    problems["dashboard"] = watcher.close()

    # 9. The province confirms the agency's outcome (only then is it the firm's track record)
    #    and recognises the validated pilot as 首台（套）.
    province_browser = Visitor(browser, base, "province")
    province_browser.sign_in(province.username)
    page = province_browser.open("/workspace/committee/pilots/?status=validated", "province-pilots")
    card = page.locator("article", has_text="城市内涝积水智能监测预警平台")
    with page.expect_navigation():
        card.get_by_role("button", name="确认验证结论").click()
    assert "已确认验证结论" in page.content()
    card = page.locator("article", has_text="城市内涝积水智能监测预警平台")
    card.get_by_label("推荐为首台（套）").check()
    asked: list[str] = []

    def accept(dialog: Any) -> None:  # a recognition cannot be undone: the page asks first
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    with page.expect_navigation():
        card.get_by_role("button", name="提交推荐").click()
    assert asked == ["确定提交推荐吗？推荐提交后不能撤销，企业和需求单位会收到通知。"]
    assert "已推荐首台（套）" in page.content()
    province_browser.check("province-pilot-recognised")

    # 10. The province weighs chain fit more: the shares follow as it types, the preview
    #     ranks the needs under the draft without saving, and saving starts a full run
    #     whose page shows its progress bar through to the end.
    page = province_browser.open("/workspace/committee/policy/", "province-policy")
    page.fill("#id_w_chain", "0.23")
    assert page.inner_text('[data-share-of="id_w_chain"]') == "18.9%"  # 0.23 / 1.22
    with page.expect_navigation():
        page.get_by_role("button", name="预览（不保存）").click()
    assert "预览：今天的排序与草稿权重下的排序" in page.content()
    province_browser.check("province-policy-preview")
    page.fill("#id_note", "加强产业链契合度")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="保存为新版本").click()
    assert "已保存为第 2 版政策" in page.content()
    assert re.search(r"/workspace/runs/\d+/$", page.url)
    page.locator(".run-progress", has_text="已完成").wait_for()
    assert page.locator(".progress").get_attribute("aria-valuenow") == "100"
    province_browser.check("province-run-done")
    problems["province"] = province_browser.close()

    assert {who: found for who, found in problems.items() if found} == {}


def test_pages_of_every_role_pass_the_browser_checks(live_server, browser, reference):
    """The interim homes and the English switch, checked like the journey's pages."""
    agency = factories.AgencyFactory.create(region=Region.objects.get(code="360102"))
    factories.member(agency, "agency_editor", username="agency-en")
    factories.member(
        Organization.objects.get(committee__region_id="360100"),
        "committee_member",
        username="city-member",
    )
    factories.member(factories.ExpertInstitutionFactory.create(), "expert", username="expert-1")
    problems: dict[str, list[str]] = {}

    for username, shot in (("city-member", "committee-home"), ("expert-1", "expert-home")):
        visitor = Visitor(browser, live_server.url, username)
        visitor.sign_in(username)
        visitor.open("/workspace/", shot)
        visitor.open("/notifications/", f"{shot}-notifications")
        problems[username] = visitor.close()

    firm = factories.FirmFactory.create(region=Region.objects.get(code="360111"))
    capability = capability_submit(
        actor=None, capability=make_capability(firm, certifications=["specialized_sme"])
    )
    public = Visitor(browser, live_server.url, "public")
    page = public.open("/capabilities/", "capabilities")
    assert capability.title in page.content()
    page = public.open(f"/capabilities/{capability.ref}/", "capability-detail")
    assert firm.name in page.content()
    public.open("/password-reset/", "password-reset")
    problems["public"] = public.close()

    english = Visitor(browser, live_server.url, "english")
    page = english.open("/", "home-zh")
    page.click("button[name=language][value=en]", force=True)
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    english.check("home-en")
    page = english.open("/opportunities/", "opportunities-en")
    assert "Opportunity list" in page.content() or "opportunit" in page.content().lower()
    english.open("/login/", "login-en")
    english.open("/signup/firm/", "signup-firm-en")
    english.open("/capabilities/", "capabilities-en")
    english.open(f"/capabilities/{capability.ref}/", "capability-detail-en")
    problems["english"] = english.close()

    assert {who: found for who, found in problems.items() if found} == {}


def test_facets_tick_and_untick_without_piling_up_the_address(live_server, browser, reference):
    """Ticking a box filters; unticking removes it again; the address names each value once,
    also after the sort changes (htmx swaps the list, the address follows)."""
    agency = factories.AgencyFactory.create(region=Region.objects.get(code="360102"))
    for title, category in (
        ("城市内涝积水智能监测预警", "social_governance"),
        ("政务大模型智能问答", "government_service"),
        ("工业园区智能巡检", "industrial_upgrade"),
    ):
        make_need(agency, region="360102", status="published", title=title, category=category)
    visitor = Visitor(browser, live_server.url, "facets")
    page = visitor.open("/opportunities/", "facets-none")
    results = page.locator("#results-title")
    assert "共 3 项" in results.inner_text()

    expect = pytest.importorskip("playwright.sync_api").expect

    def toggle(selector: str, count: int) -> None:
        page.uncheck(selector) if page.is_checked(selector) else page.check(selector)
        expect(results).to_contain_text(f"共 {count} 项")
        # htmx wires the new list's controls once it has settled (20 ms after the swap).
        expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)

    toggle("#cat-social_governance", 1)
    toggle("#cat-government_service", 2)
    toggle("#cat-social_governance", 1)
    assert page.is_checked("#cat-government_service")
    assert not page.is_checked("#cat-social_governance")
    page.select_option("#id_sort", "budget")
    expect(page).to_have_url(re.compile(r"sort=budget"))
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    toggle("#cat-government_service", 3)

    query = page.url.split("?", 1)[1] if "?" in page.url else ""
    keys = [pair.split("=")[0] for pair in query.split("&") if pair]
    assert "category" not in keys, page.url
    assert keys.count("sort") == 1, page.url
    visitor.check("facets-unticked")
    assert visitor.close() == []


def test_a_refused_form_puts_the_focus_on_what_to_fix(live_server, browser, reference):
    """After a refused sign-up the reader lands on the first field to correct (read with its
    error), and after a refused sign-in, which no one field caused, on the error summary:
    not at the top of the page with nothing focused."""
    visitor = Visitor(browser, live_server.url, "refused")
    page = visitor.open("/signup/firm/", "signup-firm")
    # A region the firm chose is not overwritten by the one its credit code names.
    page.select_option("#id_region", "360402")
    page.fill("#id_credit_code", credit_code_for(7002, "360111"))
    assert page.input_value("#id_region") == "360402"
    page.fill("#id_credit_code", "")
    page.fill("#id_firm_name", "测试科技有限公司")
    with page.expect_navigation():
        page.get_by_role("button", name="注册").click()

    focused = page.evaluate("document.activeElement.id")
    assert focused == "id_credit_code"  # the first invalid field, the name was kept
    assert page.get_attribute("#id_credit_code", "aria-invalid") == "true"
    assert "id_credit_code_error" in (
        page.get_attribute("#id_credit_code", "aria-describedby") or ""
    )
    visitor.check("signup-firm-refused")

    page = visitor.open("/login/", "login")
    page.fill("#id_username", "nobody")
    page.fill("#id_password", "not-the-password")
    with page.expect_navigation():
        page.click("#main form button[type=submit]")

    summary = page.evaluate(
        "[document.activeElement.getAttribute('role'), document.activeElement.textContent]"
    )
    assert summary[0] == "alert"
    assert summary[1].strip()
    visitor.check("login-refused")
    assert visitor.close() == []


def test_withdrawing_asks_first_and_an_ended_need_is_copied_as_a_draft(
    live_server, browser, reference
):
    agency = factories.AgencyFactory.create(region=Region.objects.get(code="360102"))
    staff_user = factories.member(agency, "agency_editor", username="agency-withdraw")
    need = make_need(agency, region="360102", status="published", title="智慧停车诱导试点")
    staff = Visitor(browser, live_server.url, "withdraw")
    staff.sign_in(staff_user.username)
    page = staff.open(f"/workspace/agency/needs/{need.ref}/", "agency-need-withdraw")
    asked: list[str] = []

    def answer(accept: bool) -> Any:
        def handler(dialog: Any) -> None:
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return handler

    page.once("dialog", answer(False))
    page.get_by_role("button", name="撤回").click()
    page.wait_for_timeout(300)
    need.refresh_from_db()
    assert need.status == "published"  # cancelled: nothing sent
    page.once("dialog", answer(True))
    with page.expect_navigation():
        page.get_by_role("button", name="撤回").click()
    need.refresh_from_db()
    assert need.status == "withdrawn"
    assert asked == ["确定撤回这个需求吗？撤回后不能再提交。"] * 2

    with page.expect_navigation():
        page.get_by_role("button", name="复制为新草稿").click()
    page = staff.check("agency-need-copied")
    assert page.input_value("#id_title") == "智慧停车诱导试点"
    # A keyword longer than 32 characters stays in the entry with a message naming it.
    tags = page.locator("#id_keywords-entry")
    tags.fill("超" * 33)
    tags.press("Enter")
    assert "超过 32 个字" in page.inner_text("#id_keywords-entry-note")
    assert tags.input_value() == "超" * 33
    assert ("超" * 33) not in page.input_value("#id_keywords")
    page.click("#main form button[type=submit]")  # refused: the word is still too long
    page.wait_for_timeout(300)
    assert "/edit/" in page.url
    # A pasted list becomes one chip per item.
    tags.fill("储能，液冷；热管理、 氢能")
    tags.press("Enter")
    kept = page.input_value("#id_keywords").split(";")
    assert kept[-4:] == ["储能", "液冷", "热管理", "氢能"]
    assert page.inner_text("#id_keywords-entry-note") == ""
    # Words past the 20th stay in the entry with a message (the save refused them later).
    tags.fill("；".join(f"词{n}" for n in range(25)))
    tags.press("Enter")
    assert len(page.input_value("#id_keywords").split(";")) == 20
    assert "最多 20 个关键词" in page.inner_text("#id_keywords-entry-note")
    assert tags.input_value() != ""
    copy = ScenarioNeed.objects.exclude(pk=need.pk).get(agency=agency)
    assert (copy.status, copy.title) == ("draft", "智慧停车诱导试点")
    assert staff.close() == []


def test_a_published_needs_forms_are_one_tap_away_on_a_phone(
    live_server, browser, reference, eager_celery
):
    """The recommendation cards lead the page; its navigation reaches the need's details
    and its withdraw and close forms without scrolling past them."""
    from matching.services import runs
    from tests.matching.world import build_province, run_inline

    agency = factories.AgencyFactory.create(region=Region.objects.get(code="360102"))
    staff_user = factories.member(agency, "agency_editor", username="agency-phone")
    need = build_province(agency)["needs"][0]
    run_inline(runs.match_run_request(scope="full"))
    staff = Visitor(browser, live_server.url, "phone")
    staff.sign_in(staff_user.username)
    staff.open(f"/workspace/agency/needs/{need.ref}/", "agency-need-page-nav")
    page = staff.page
    page.set_viewport_size(PHONE)
    page.evaluate("window.scrollTo(0, 0)")
    nav = page.get_by_role("navigation", name="本页内容")
    box = nav.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= PHONE["height"]  # in the first screen

    in_view = (
        "e => e.getBoundingClientRect().top >= 0 && e.getBoundingClientRect().bottom <= innerHeight"
    )
    for link, button in (("撤回需求", "撤回"), ("需求内容", None), ("关闭需求", "关闭")):
        page.evaluate("window.scrollTo(0, 0)")
        nav.get_by_role("link", name=link).click()
        # (the page scrolls smoothly: wait until it has arrived)
        heading = page.get_by_role("heading", name=link, exact=True)
        page.wait_for_function(in_view, arg=heading.element_handle(), timeout=5000)
        if button:
            target = page.get_by_role("button", name=button, exact=True).element_handle()
            page.wait_for_function(in_view, arg=target, timeout=5000)
    assert staff.close() == []


def test_operator_pages_pass_the_browser_checks(live_server, browser, reference, eager_celery):
    """The committee's other pages, runs, imports and the dashboard (also in English), checked
    like the journey's pages."""
    from matching.services import runs
    from tests.matching.world import build_province, run_inline
    from tests.scenarios.test_exchange import as_csv, need_row

    agency = factories.AgencyFactory.create(region=Region.objects.get(code="360102"))
    build_province(agency)
    run = run_inline(runs.match_run_request(scope="full"))
    factories.member(
        Organization.objects.get(committee__region_id="360100"), "committee_member", username="c1"
    )
    factories.member(
        Organization.objects.get(committee__region_id="360000"), "committee_member", username="p1"
    )
    problems: dict[str, list[str]] = {}

    city = Visitor(browser, live_server.url, "ops-city")
    city.sign_in("c1")
    for path, shot in (
        ("/workspace/committee/capabilities/", "city-capabilities"),
        ("/workspace/committee/firms/", "city-firms"),
        ("/workspace/committee/pilots/", "city-pilots"),
        ("/workspace/committee/recommendations/", "city-recommendations-empty"),
        ("/workspace/runs/", "runs"),
        (f"/workspace/runs/{run.pk}/", "run-detail"),
        ("/workspace/committee/policy/", "city-policy-read-only"),
        ("/dashboard/", "dashboard-committee"),
    ):
        city.open(path, shot)
    page = city.page
    page.click("button[name=language][value=en]", force=True)
    page.wait_for_load_state("networkidle")
    city.check("dashboard-committee-en")
    assert "Review time per tier (days)" in page.content()
    problems["city"] = city.close()

    province = Visitor(browser, live_server.url, "ops-province")
    province.sign_in("p1")
    page = province.open("/workspace/imports/", "imports")
    page.set_input_files(
        "#id_file",
        {
            "name": "机会清单.csv",
            "mimeType": "text/csv",
            "buffer": as_csv([need_row(), need_row(ref="IMP-N-002", min_trl=12)]),
        },
    )
    with page.expect_navigation():
        page.get_by_role("button", name="上传并检查").click()
    page.get_by_text("未写入任何数据").first.wait_for()
    assert "min_trl" in page.content() or "技术成熟度" in page.content()
    province.check("import-check-errors")
    page = province.open("/workspace/imports/", "imports-again")
    page.set_input_files(
        "#id_file",
        {"name": "机会清单.csv", "mimeType": "text/csv", "buffer": as_csv([need_row()])},
    )
    with page.expect_navigation():
        page.get_by_role("button", name="上传并检查").click()
    page.get_by_text("检查通过").first.wait_for()
    province.check("import-check-passed")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="确认导入").click()
    page.get_by_text("已导入 1 条").first.wait_for()
    province.check("import-done")
    problems["province"] = province.close()
    assert ScenarioNeed.objects.filter(ref="IMP-N-001").exists()

    assert {who: found for who, found in problems.items() if found} == {}
