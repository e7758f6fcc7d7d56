"""People's text holds what people can see: escape, bell and other controls, bidirectional
overrides, and a title of nothing but zero-width spaces are a 400 on the field, through the
API, the services (so the portal) and the importer alike, so what the service exports
imports again (a review stored ESC [2J, BEL and U+202E in a published title, and the firm's
own export then failed to import)."""

import pytest

from core.errors import InvalidInput
from core.validation import text_problem
from scenarios.models import ScenarioNeed
from scenarios.services.needs import need_update
from tests.api.test_exchange_api import CAPABILITIES_EXPORT, CAPABILITIES_IMPORT, post, upload
from tests.api.test_needs_api import need_body
from tests.scenarios.helpers import make_capability, make_need
from tests.scenarios.test_exchange import as_json, capability_row

pytestmark = pytest.mark.django_db

BAD = {
    "escape and bell": "低空巡检\x1b[2J\x07服务",
    "right-to-left override": "低空\u202e巡检",
    "isolate": "低空\u2066巡检",
    "nul": "低空\x00巡检",
    "only zero-width spaces": "\u200b\u200b\u200b",
}


@pytest.mark.parametrize("text", BAD.values(), ids=BAD.keys())
def test_the_api_refuses_invisible_controls_in_a_title_on_the_field(api, agency_user, text):
    before = ScenarioNeed.objects.count()

    r = api.as_user(agency_user).post("/api/v1/needs/", need_body(title=text), format="json")

    assert r.status_code == 400, r.json()
    assert list(r.json()["fields"]) == ["title"]
    assert ScenarioNeed.objects.count() == before


def test_the_api_refuses_them_in_lists_and_long_text_too(api, firm_user):
    body = {
        "title": "低空巡检服务",
        "description": "面向电网与管线的无人机自动巡检服务。\u202e",
        "chains": ["low-altitude"],
        "keywords": ["巡检"],
        "trl": 7,
        "past_cases": ["南昌\x07供电"],
    }

    r = api.as_user(firm_user).post("/api/v1/capabilities/", body, format="json")

    assert r.status_code == 400
    fields = r.json()["fields"]
    assert "description" in fields
    assert any(name.startswith("past_cases") for name in fields), fields


def test_line_breaks_and_tabs_stay_text_in_a_description_not_in_a_title(agency, agency_user):
    need = make_need(agency)
    need_update(
        actor=agency_user,
        need=need,
        description="第一段：现状。\n\n第二段：\t需求。",
        expected_version=None,
    )
    with pytest.raises(InvalidInput) as refused:
        need_update(actor=agency_user, need=need, title="第一行\n第二行", expected_version=None)

    assert "title" in refused.value.fields
    need.refresh_from_db()
    assert need.description == "第一段：现状。\n\n第二段：\t需求。"


def test_the_english_message_names_the_character(api, agency_user):
    r = api.as_user(agency_user).post(
        "/api/v1/needs/", need_body(title="a\x1bb"), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert r.json()["fields"]["title"] == [
        "Must not contain invisible control characters (U+001B)."
    ]


def test_what_the_service_exports_the_importer_takes_back(api, firm, firm_user):
    make_capability(firm, ref="VIS-C-001", title="低空巡检服务", past_cases=["南昌供电公司"])
    api.as_user(firm_user)
    export = api.get(CAPABILITIES_EXPORT, {"format": "json"}).content

    r = post(api, CAPABILITIES_IMPORT, upload("caps.json", export, update="true", dry_run="true"))

    assert r.status_code in (200, 201), r.json()


def test_the_importer_refuses_what_the_api_refuses():
    for text in BAD.values():
        assert text_problem(text), text
    assert text_problem("普通的标题 Normal title（含括号）") is None
    assert text_problem("第一行\n第二行") is None
    assert text_problem("第一行\n第二行", single_line=True)


def test_the_importer_refuses_a_right_to_left_override_on_its_row_and_field(api, platform_admin):
    rows = [capability_row(title="排水管网\u202e液位感知")]

    r = post(api.as_user(platform_admin), CAPABILITIES_IMPORT, upload("caps.json", as_json(rows)))

    assert r.status_code == 400
    assert list(r.json()["fields"]) == ["row 1.title"]
