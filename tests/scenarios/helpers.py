"""Builders for needs and capabilities through the services (the rules always apply)."""

from typing import Any

from accounts.models import Organization
from reference.models import Region
from scenarios.models import Capability, ScenarioNeed
from scenarios.services.capabilities import capability_create
from scenarios.services.needs import need_create

NEED_DEFAULTS: dict[str, Any] = {
    "title": "城市内涝积水智能监测预警",
    "description": "在主城区易涝点部署物联网液位监测与预警平台，开放排水管网数据与示范路段。",
    "category": "social_governance",
    "chains": ["digital-city"],
    "keywords": ["物联网", "积水监测", "预警"],
    "validation_type": "technology",
    "min_trl": 5,
    "budget_cny": 800_000,
    "contact_name": "李工",
    "contact_phone": "0791-88888888",
    "confidential_notes": "内部预算口径：含运维三年",
}
CAPABILITY_DEFAULTS: dict[str, Any] = {
    "title": "排水管网液位感知与内涝预警系统",
    "description": "基于超声波液位计与水动力模型，实时监测管网运行并提前预警积水风险。",
    "chains": ["digital-city"],
    "keywords": ["液位传感", "水动力模型", "城市内涝"],
    "trl": 7,
    "certifications": ["high_tech"],
    "past_cases": ["南昌市红谷滩区排水监测项目"],
    "capacity": 2,
}


def make_need(agency: Organization, *, region: str | None = None, **overrides: Any) -> ScenarioNeed:
    values = {**NEED_DEFAULTS, **overrides}
    if region is not None:
        values["region"] = Region.objects.get(code=region)
    return need_create(actor=None, agency=agency, **values)


def make_capability(firm: Organization, **overrides: Any) -> Capability:
    return capability_create(actor=None, firm=firm, **{**CAPABILITY_DEFAULTS, **overrides})
