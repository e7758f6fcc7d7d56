"""The world the authorization table is read against: one of every object in every state
an operation acts on, "ours" under Nanchang's Donghu district (360102), and a second
agency, firm and need under Ganzhou's Zhanggong district (360702), out of reach of the
Nanchang committees.

Built through the services, so every rule that shapes access (review tiers, publication,
matching, pilots, suspension) has applied to it.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from accounts.choices import Role
from accounts.models import Committee, Organization
from accounts.services.invitations import invitation_create
from accounts.services.organizations import membership_grant
from activity.models import Notification
from matching.models import Match, RunStatus
from matching.services import runs
from matching.services.recommendations import pair_respond, pair_shortlist
from reference.models import Region
from scenarios.models import Capability, ScenarioNeed
from scenarios.services.assessments import assessment_submit
from scenarios.services.capabilities import (
    capability_return,
    capability_submit,
    capability_suspend,
)
from scenarios.services.firms import organization_suspend
from scenarios.services.needs import need_create, need_submit
from scenarios.services.negative_list import negative_entry_create
from scenarios.services.pilots import pilot_conclude, pilot_start
from tests import factories
from tests.matching.world import run_inline
from tests.scenarios.helpers import make_capability, make_need

# The roles of the table, in its column order.
ROLES = (
    "anonymous",
    "agency",  # an editor of the agency that owns "our" needs
    "other_agency",  # an editor of an agency in another city
    "firm",  # an editor of the firm that owns "our" capabilities
    "other_firm",  # an editor of a firm in another city
    "county",  # a member of the Donghu (360102) committee: ours, first tier
    "city",  # a member of the Nanchang (360100) committee: ours, second tier
    "other_city",  # a member of the Ganzhou (360700) committee: not ours
    "province",  # a member of the province (360000) committee: every need in Jiangxi
    "expert",  # a member of an expert institution
    "admin",  # a platform admin
)
SCORES = {
    "tech_advancement": 90,
    "demonstration": 85,
    "industry_pull": 80,
    "replicability": 88,
    "feasibility": 92,
}


@dataclass
class World:
    users: dict[str, User | None] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)

    def user(self, role: str) -> User:
        user = self.users[role]
        assert user is not None, role
        return user

    def id(self, name: str) -> Any:
        obj = self.objects[name]
        return getattr(obj, "pk", obj)


def _committee_member(code: str) -> User:
    committee = Committee.objects.select_related("organization").get(region_id=code)
    return factories.member(committee.organization, Role.COMMITTEE_MEMBER)


def _published_need(agency: Organization, region: str, title: str) -> ScenarioNeed:
    return need_create(
        actor=None,
        agency=agency,
        status="published",
        title=title,
        description="在示范区域部署液位监测与预警平台，开放排水管网数据与示范路段。",
        category="social_governance",
        chains=["digital-city"],
        keywords=["积水监测", "物联网"],
        region=Region.objects.get(code=region),
        validation_type="technology",
        min_trl=5,
    )


def _published_capability(firm: Organization, title: str, **overrides: Any) -> Capability:
    description = f"{title}：面向城市排水与内涝防治，实时感知并预警积水风险。"
    capability = make_capability(firm, title=title, description=description, **overrides)
    return capability_submit(actor=None, capability=capability)


def build_world() -> World:
    donghu, zhanggong = Region.objects.get(code="360102"), Region.objects.get(code="360702")
    agency = factories.AgencyFactory.create(region=donghu, name="南昌市东湖区数据局")
    other_agency = factories.AgencyFactory.create(region=zhanggong, name="赣州市章贡区数据局")
    firm = factories.FirmFactory.create(region=donghu, name="东湖感知科技有限公司")
    other_firm = factories.FirmFactory.create(
        region=zhanggong,
        name="章贡智能装备有限公司",
        credit_code=factories.credit_code_for(7001, "360702"),
    )
    expert_institution = factories.ExpertInstitutionFactory.create()
    platform = Organization.objects.get(kind="platform")
    admin = factories.UserFactory.create()
    membership_grant(actor=None, user=admin, organization=platform, role=Role.PLATFORM_ADMIN)
    u: dict[str, User] = {
        "agency": factories.member(agency, Role.AGENCY_EDITOR),
        "other_agency": factories.member(other_agency, Role.AGENCY_EDITOR),
        "firm": factories.member(firm, Role.FIRM_EDITOR),
        "other_firm": factories.member(other_firm, Role.FIRM_EDITOR),
        "county": _committee_member("360102"),
        "city": _committee_member("360100"),
        "other_city": _committee_member("360700"),
        "province": _committee_member("360000"),
        "expert": factories.member(expert_institution, Role.EXPERT),
        "admin": admin,
    }
    w = World(users={"anonymous": None, **u})
    o = w.objects
    o.update(agency=agency, other_agency=other_agency, firm=firm, other_firm=other_firm)
    o["region"] = "360102"
    o["chain"] = "digital-city"

    # Needs: a draft, one in the county's review, published ones (one for matching and
    # closing, two carrying pilots), and the other city's published need.
    o["need_draft"] = make_need(agency, region="360102", title="东湖区草稿需求")
    o["need_review"] = need_submit(
        actor=u["agency"], need=make_need(agency, region="360102", title="东湖区审核中需求")
    )
    o["need_published"] = _published_need(agency, "360102", "东湖区易涝点积水监测预警")
    assessment_submit(actor=u["expert"], need=o["need_published"], scores=SCORES)

    # Capabilities: a draft, published ones, a suspended and a returned one; the other
    # firm's published one.
    o["capability_draft"] = make_capability(firm, title="草稿：管网液位感知终端")
    o["capability_published"] = _published_capability(firm, "排水管网液位感知与内涝预警系统")
    o["capability_suspended"] = capability_suspend(
        actor=u["province"],
        capability=_published_capability(firm, "下穿通道水深感知与拦挡警示系统"),
        reason="资质存疑",
    )
    o["capability_returned"] = capability_return(
        actor=u["province"],
        capability=_published_capability(firm, "城市排水数字孪生平台"),
        reason="描述不清",
    )
    pilot_caps = [
        _published_capability(firm, title)
        for title in ("管网液位监测终端", "积水深度雷达", "内涝预测模型", "暴雨积水推演平台")
    ]
    o["other_capability"] = _published_capability(other_firm, "易涝点积水视频识别系统")

    # Matching over what is published so far, then the pair states the decisions act on:
    # our firm's pair with our published need awaits every answer;
    # the other firm's pair is shortlisted by the agency and wanted by its firm, so the
    # committee can approve it.
    o["run"] = run_inline(runs.match_run_request(scope="full"))
    recommended = Match.objects.current().filter(need=o["need_published"], recommended=True)
    o["match"] = recommended.filter(capability__firm=firm).earliest("rank")
    o["match_ready"] = recommended.get(capability__firm=other_firm)
    pair_shortlist(actor=u["agency"], match=o["match_ready"], shortlisted=True)
    pair_respond(actor=u["other_firm"], match=o["match_ready"], interested=True)
    o["need_pilots"] = _published_need(agency, "360102", "东湖区排水管网液位监测试点")
    o["need_outcomes"] = _published_need(agency, "360102", "东湖区下穿通道积水预警验证")
    o["other_need"] = _published_need(other_agency, "360702", "章贡区易涝点积水监测预警")
    o["pending_run"] = runs.match_run_request(
        scope="need", object_id=o["need_published"].pk, actor=u["city"], enqueue=False
    )

    # Pilots: proposed by the agency, running, concluded by the agency (awaiting the
    # committee's confirmation), concluded by the committee (confirmed: recognisable).
    until = timezone.localdate() + dt.timedelta(days=90)
    need_pilots, need_outcomes = o["need_pilots"], o["need_outcomes"]
    factories.shortlisted_pair(need_pilots, pilot_caps[0])
    o["pilot_proposed"] = pilot_start(
        actor=u["agency"], need=need_pilots, capability=pilot_caps[0], tolerance_until=until
    )
    o["pilot_running"] = pilot_start(
        actor=u["city"], need=need_pilots, capability=pilot_caps[1], tolerance_until=until
    )
    concluded = [
        pilot_start(actor=u["city"], need=need_outcomes, capability=cap, tolerance_until=until)
        for cap in pilot_caps[2:]
    ]
    o["pilot_unconfirmed"] = pilot_conclude(
        actor=u["agency"], pilot=concluded[0], outcome="validated", trl_after=8, note="通过"
    )
    o["pilot_confirmed"] = pilot_conclude(
        actor=u["city"], pilot=concluded[1], outcome="validated", trl_after=8, note="通过"
    )

    # Firms for the supervision operations: an unverified sign-up and a suspended firm,
    # both ours (Donghu).
    o["firm_unverified"] = factories.FirmFactory.create(
        region=donghu, name="东湖新注册科技有限公司", verified_at=None
    )
    o["firm_suspended"] = organization_suspend(
        actor=u["province"],
        organization=factories.FirmFactory.create(region=donghu, name="东湖暂停科技有限公司"),
        reason="资质存疑",
    )

    o["negative_entry"] = negative_entry_create(
        actor=u["province"], kind="keyword", keyword="虚拟货币挖矿", reason="禁止类产业"
    )
    o["notification"] = Notification.objects.filter(user=u["firm"]).earliest("pk")
    _, o["invitation_token"] = invitation_create(
        actor=u["admin"], email="new.member@example.cn", organization=agency, role="agency_editor"
    )
    assert o["pending_run"].status == RunStatus.PENDING
    return w
