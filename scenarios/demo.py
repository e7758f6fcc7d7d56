"""Demo province: organizations and users for every role, built through the services.

Everything is keyed by natural keys (organization kind + name or credit code, username),
so running the builder twice changes nothing.
"""

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.utils import timezone

from accounts.choices import OrganizationKind, Role
from accounts.models import Committee, Organization
from accounts.services.organizations import membership_grant, organization_create
from accounts.services.users import user_create
from accounts.validators import credit_code_check_char, org_code_check_char
from reference.choices import RegionLevel
from reference.models import Region
from reference.services import home_province
from scenarios import events
from scenarios.choices import NeedStatus, ReviewDecision
from scenarios.models import Capability, NegativeListEntry, ScenarioNeed
from scenarios.services.assessments import assessment_submit
from scenarios.services.capabilities import capability_create, capability_submit
from scenarios.services.firms import organization_certify, organization_verify
from scenarios.services.needs import need_create, need_submit
from scenarios.services.negative_list import negative_entry_create
from scenarios.services.policy import policy_current
from scenarios.services.reviews import review_decide

AGENCY_SUFFIXES = ("工业和信息化局", "数据局", "交通运输局")
FIRM_PATTERNS = (
    "{city}智算科技有限公司",
    "{city}新能源装备股份有限公司",
    "{city}低空智联科技有限公司",
)
OUTSIDE_FIRMS = (
    ("440305", "深圳市飞域无人机科技有限公司"),
    ("330106", "杭州数智城市科技有限公司"),
    ("110108", "北京脑联科技有限公司"),
    ("320506", "苏州固能电池材料有限公司"),
)
EXPERT_INSTITUTIONS = ("江西省科学院", "南昌大学场景创新研究院")
# What the demo's verifications say they checked: demo firms are fictional, and some of their
# names are one character apart (verifying a look-alike takes a reason).
DEMO_VERIFIED = "演示数据：虚构企业，无需核对营业执照"
# The demo's deadlines were written on this day; loaded later, each keeps its distance from
# the day it is loaded, so the demo never publishes needs whose deadline has passed (and the
# services, which refuse a past deadline, load it whatever the date).
DEMO_WRITTEN_ON = date(2026, 12, 1)


def demo_deadline(written: str) -> date:
    return timezone.localdate() + (date.fromisoformat(written) - DEMO_WRITTEN_ON)


DEMO_DIR = Path(__file__).resolve().parent / "data" / "demo"
NEGATIVE_KEYWORDS = (
    ("虚拟货币挖矿", "国家明令禁止的虚拟货币“挖矿”活动"),
    ("落后产能", "列入淘汰类的高污染落后产能"),
    ("堆浸", "稀土原地浸矿/堆浸工艺污染严重，已禁止"),
)


@dataclass
class DemoLogin:
    username: str
    role: str
    organization: str


@dataclass
class DemoResult:
    logins: list[DemoLogin] = field(default_factory=list)
    organizations_created: int = 0
    users_created: int = 0
    needs_created: int = 0
    capabilities_created: int = 0


def demo_credit_code(region_code: str, serial: int) -> str:
    """A syntactically valid credit code (both check characters) for demo firm ``serial``."""
    body = f"{70000000 + serial:08d}"
    first17 = "91" + region_code + body + org_code_check_char(body)
    return first17 + credit_code_check_char(first17)


def _short(name: str) -> str:
    return name.removesuffix("市").removesuffix("省")


class DemoBuilder:
    def __init__(self) -> None:
        self.result = DemoResult()
        self.password = settings.DEMO_PASSWORD
        self.encoded_password = make_password(self.password)

    def user(
        self, username: str, org: Organization | None, role: str, *, superuser: bool = False
    ) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(
                username=username,
                password=self.password,
                email=f"{username}@demo.example.cn",
                validate=False,
                is_staff=superuser,
                is_superuser=superuser,
                encoded_password=self.encoded_password,
            )
            self.result.users_created += 1
        if org is not None:
            membership_grant(actor=None, user=user, organization=org, role=role)
            self.result.logins.append(DemoLogin(username, role, org.name))
        return user

    def org(
        self, kind: str, name: str, region: Region, credit_code: str | None = None
    ) -> Organization:
        existing = Organization.objects.filter(kind=kind, name=name).first()
        if existing is not None:
            return existing
        self.result.organizations_created += 1
        return organization_create(
            actor=None, kind=kind, name=name, region=region, credit_code=credit_code
        )

    def build(self) -> DemoResult:
        province = home_province()
        platform = Organization.objects.get(kind=OrganizationKind.PLATFORM)
        admin = self.user("admin", platform, Role.PLATFORM_ADMIN, superuser=True)
        province_committee = Committee.objects.select_related("organization").get(region=province)
        self.user("province", province_committee.organization, Role.COMMITTEE_MEMBER)
        cities = list(
            Region.objects.filter(parent=province, level=RegionLevel.CITY).order_by("code")
        )
        serial = 0
        for city in cities:
            committee = Committee.objects.select_related("organization").get(region=city)
            self.user(f"city{city.code}", committee.organization, Role.COMMITTEE_MEMBER)
            county = city.children.order_by("code").first()
            if county is not None:
                county_committee = Committee.objects.select_related("organization").get(
                    region=county
                )
                self.user(
                    f"county{county.code}", county_committee.organization, Role.COMMITTEE_MEMBER
                )
                agency = self.org(
                    OrganizationKind.AGENCY, f"{city.name}{county.name}人民政府", county
                )
                self.user(f"agency{county.code}", agency, Role.AGENCY_EDITOR)
            for index, suffix in enumerate(AGENCY_SUFFIXES, start=1):
                agency = self.org(OrganizationKind.AGENCY, f"{city.name}{suffix}", city)
                self.user(f"agency{city.code}-{index}", agency, Role.AGENCY_EDITOR)
            for index, pattern in enumerate(FIRM_PATTERNS, start=1):
                serial += 1
                firm = self.org(
                    OrganizationKind.FIRM,
                    pattern.format(city=_short(city.name)),
                    city,
                    demo_credit_code(city.code, serial),
                )
                self.user(f"firm{city.code}-{index}", firm, Role.FIRM_EDITOR)
                if index < len(FIRM_PATTERNS):  # the last firm of each city awaits verification
                    organization_verify(actor=admin, organization=firm, reason=DEMO_VERIFIED)
        for code, name in OUTSIDE_FIRMS:
            serial += 1
            region = Region.objects.get(code=code)
            firm = self.org(OrganizationKind.FIRM, name, region, demo_credit_code(code, serial))
            self.user(f"firm{code}", firm, Role.FIRM_EDITOR)
            organization_verify(actor=admin, organization=firm, reason=DEMO_VERIFIED)
        for index, name in enumerate(EXPERT_INSTITUTIONS, start=1):
            institution = self.org(OrganizationKind.EXPERT_INSTITUTION, name, province)
            for n in (1, 2):
                self.user(f"expert{index}-{n}", institution, Role.EXPERT)
        province_agency = self.org(
            OrganizationKind.AGENCY, f"{province.name}工业和信息化厅", province
        )
        self.user("agency-province", province_agency, Role.AGENCY_EDITOR)
        with events.bulk_publishing():
            self.build_lists(admin)
        return self.result

    def build_lists(self, admin: User) -> None:
        """The demo 机会清单 and 能力清单, through the real services and review path.

        Most needs are reviewed by the demo committee members and published; every
        eighth stays in review and every fifteenth stays a draft, so queues are not empty.
        Four demo capabilities run into the negative list and come back returned.
        """
        province_user = User.objects.get(username="province")
        for keyword, reason in NEGATIVE_KEYWORDS:
            if not NegativeListEntry.objects.filter(keyword=keyword).exists():
                negative_entry_create(
                    actor=province_user, kind="keyword", keyword=keyword, reason=reason
                )
        caps = json.loads((DEMO_DIR / "capabilities.json").read_text(encoding="utf-8"))
        list_firms: dict[str, Organization] = {}
        for row in caps:
            firm = list_firms.get(row["firm_credit_code"])
            if firm is None:
                firm = self.list_firm(row, admin, serial=len(list_firms) + 1)
                list_firms[row["firm_credit_code"]] = firm
            if Capability.objects.filter(ref=row["ref"]).exists():
                continue
            cap = capability_create(
                actor=None,
                firm=firm,
                ref=row["ref"],
                title=row["title"],
                description=row["description"],
                chains=row["chains"],
                keywords=row["keywords"],
                region=Region.objects.get(code=row["region_code"]),
                trl=row["trl"],
                certifications=row["certifications"],
                past_cases=row["past_cases"],
                capacity=row["capacity"],
            )
            if firm.is_verified:  # the demo committee checked the claims of verified firms
                firm = organization_certify(
                    actor=admin,
                    organization=firm,
                    certifications=row["certifications"],
                    capacity=row["capacity"],
                    merge=True,
                )
            capability_submit(actor=None, capability=cap)
            self.result.capabilities_created += 1
        needs = json.loads((DEMO_DIR / "needs.json").read_text(encoding="utf-8"))
        experts = list(User.objects.filter(username__startswith="expert").order_by("username"))
        for index, row in enumerate(needs, start=1):
            if ScenarioNeed.objects.filter(ref=row["ref"]).exists():
                continue
            agency = Organization.objects.get(kind=OrganizationKind.AGENCY, name=row["org_name"])
            editor = User.objects.filter(memberships__organization=agency).first()
            need = need_create(
                actor=editor,
                agency=agency,
                ref=row["ref"],
                title=row["title"],
                description=row["description"],
                category=row["category"],
                chains=row["chains"],
                keywords=row["keywords"],
                region=Region.objects.get(code=row["region_code"]),
                validation_type=row["validation_type"],
                min_trl=row["min_trl"],
                budget_cny=row["budget_cny"],
                deadline=demo_deadline(row["deadline"]),
                is_major=row["is_major"],
            )
            self.result.needs_created += 1
            if editor is None or index % 15 == 0:
                continue
            need = need_submit(actor=editor, need=need)
            stop_in_review = index % 8 == 0
            while need.status == NeedStatus.IN_REVIEW and not stop_in_review:
                need = review_decide(
                    actor=self.reviewer_for(need),
                    need=need,
                    decision=ReviewDecision.APPROVED,
                    comment="同意发布",
                )
            if need.status == NeedStatus.PUBLISHED and index % 4 == 1 and experts:
                # Two experts each, as the policy's panel needs before a mean counts.
                for turn in range(min(2, len(experts))):
                    scores = {
                        c["key"]: 70 + (index * 7 + n * 5 + turn * 3) % 30
                        for n, c in enumerate(policy_current().selection_criteria)
                    }
                    expert = experts[(index + turn) % len(experts)]
                    assessment_submit(actor=expert, need=need, scores=scores)

    def list_firm(self, row: dict[str, Any], admin: User, *, serial: int) -> Organization:
        """The firm of a demo capability, with its own login (``listfirm01`` … in file order)
        so that the firm workspace can be tried with real recommendations."""
        firm = Organization.objects.filter(credit_code=row["firm_credit_code"]).first()
        if firm is None:
            firm = self.org(
                OrganizationKind.FIRM,
                row["firm_name"],
                Region.objects.get(code=row["region_code"]),
                row["firm_credit_code"],
            )
            if sum(map(ord, firm.name)) % 13:  # a few firms still await verification
                organization_verify(actor=admin, organization=firm, reason=DEMO_VERIFIED)
        self.user(f"listfirm{serial:02d}", firm, Role.FIRM_EDITOR)
        return firm

    def reviewer_for(self, need: ScenarioNeed) -> User:
        """The demo member of the committee that holds the need's pending review."""
        review = need.reviews.select_related("committee__region").get(decision="pending")
        region = review.committee.region
        username = (
            "province" if region.level == RegionLevel.PROVINCE else f"{region.level}{region.code}"
        )
        user = User.objects.filter(username=username).first()
        if user is None:
            user = self.user(username, review.committee.organization, Role.COMMITTEE_MEMBER)
        return user
