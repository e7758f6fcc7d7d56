"""Fixtures for the pages: signed-in browsers of each role, form data as a person would
type it, and a small province with a finished matching run."""

from html.parser import HTMLParser
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


class _FormReader(HTMLParser):
    """Reads the named fields of one form the way a browser would submit them unchanged."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.fields: dict[str, list[str]] = {}
        self._select: str | None = None
        self._option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            # the fragment only scrolls the answer to the card; it is not posted
            action = a.get("action", "")
            self.inside = self.action in (action, action.split("#", 1)[0])
            return
        if not self.inside or (tag != "option" and "name" not in a):
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button"):
                self.fields.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields.setdefault(self._select, []).append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields.setdefault(a["name"], []).append("")

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_values(html: str, action: str = "") -> dict[str, list[str]]:
    """The values a browser would post, untouched, from the form with ``action`` (by default
    the form that posts back to its own page)."""
    reader = _FormReader(action)
    reader.feed(html)
    assert reader.fields, f"no form posting to {action}"
    # A textarea's first newline is not part of its value.
    return {k: [v.removeprefix("\n") for v in vs] for k, vs in reader.fields.items()}
