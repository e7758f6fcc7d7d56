"""What a 412 says: a version older than the current one was changed elsewhere since; a later
one was never issued, and saying it "was modified elsewhere" sent the client looking for an
edit nobody made."""

import pytest

from scenarios.models import PolicyVersion, ScenarioNeed
from tests.api.test_needs_api import need_body

pytestmark = pytest.mark.django_db


def test_a_need_written_against_a_version_never_issued_says_it_does_not_exist(api, agency_user):
    # given: a need at version 1
    need_id = (
        api.as_user(agency_user).post("/api/v1/needs/", need_body(), format="json").json()["id"]
    )

    # when
    response = api.patch(
        f"/api/v1/needs/{need_id}/",
        {"title": "新标题"},
        format="json",
        HTTP_IF_MATCH='"999999999"',
    )

    # then
    assert response.status_code == 412
    assert response.json()["code"] == "stale_version"
    assert "版本 999999999 不存在（当前为第 1 版）" in response.json()["detail"]
    assert "别处" not in response.json()["detail"]
    assert ScenarioNeed.objects.get(pk=need_id).title != "新标题"


def test_a_need_written_against_an_older_version_still_says_it_was_changed(api, agency_user):
    # given: a need edited once since version 1
    client = api.as_user(agency_user)
    need_id = client.post("/api/v1/needs/", need_body(), format="json").json()["id"]
    client.patch(f"/api/v1/needs/{need_id}/", {"title": "一"}, format="json", HTTP_IF_MATCH='"1"')

    # when
    response = client.patch(
        f"/api/v1/needs/{need_id}/", {"title": "二"}, format="json", HTTP_IF_MATCH='"1"'
    )

    # then
    assert response.status_code == 412
    assert "已在别处被修改（当前版本 2，请求版本 1）" in response.json()["detail"]


def test_a_policy_change_against_a_version_never_issued_says_it_does_not_exist(
    api, province_reviewer
):
    # given
    api.as_user(province_reviewer)
    current = api.get("/api/v1/policy/current/").json()["version"]

    # when
    response = api.post(
        "/api/v1/policy/",
        {"recommendations_per_need": 7, "version": current + 1},
        format="json",
    )

    # then
    assert response.status_code == 412
    detail = response.json()["detail"]
    assert f"政策第 {current + 1} 版不存在（当前为第 {current} 版）" in detail
    assert "已更新为" not in detail
    assert PolicyVersion.objects.count() == 1
