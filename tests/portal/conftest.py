"""Fixtures for the pages: signed-in browsers of each role, form data as a person would
type it, and a small province with a finished matching run."""

from typing import Any

import pytest
from django.test import Client

from matching.services import runs
from tests.matching.world import build_province, run_inline


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def agency_client(agency_user) -> Client:
    return signed_in(agency_user)


@pytest.fixture
def firm_client(firm_user) -> Client:
    return signed_in(firm_user)


def need_data(**overrides: Any) -> dict[str, Any]:
    """The need form as an agency fills it in (budget in 万元, keywords joined by ';')."""
    data = {
        "title": "城市内涝积水智能监测预警",
        "description": "在主城区易涝点部署物联网液位监测与预警平台，开放排水管网数据。",
        "category": "social_governance",
        "region": "360102",
        "chains": ["digital-city"],
        "keywords": "物联网;积水监测；预警",
        "validation_type": "technology",
        "min_trl": "5",
        "budget_wan": "80",
        "deadline": "2027-06-30",
        "resources_offered": "开放示范路段",
        "contact_name": "李工",
        "contact_phone": "0791-88888888",
        "confidential_notes": "内部预算口径：含运维三年",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def capability_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "排水管网液位感知与内涝预警系统",
        "description": "基于超声波液位计与水动力模型，实时监测管网运行并提前预警积水风险。",
        "chains": ["digital-city"],
        "keywords": "液位传感;水动力模型;城市内涝",
        "trl": "7",
        "region": "360102",
        "certifications": ["high_tech"],
        "past_cases": "南昌市红谷滩区排水监测项目\n\n  九江市主城区试点  ",
        "capacity": "2",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def matched(db, agency):
    """Three published needs of ``agency``, five capabilities of three firms, matched."""
    world = build_province(agency)
    run_inline(runs.match_run_request(scope="full"))
    return world
