"""Numbers in request bodies: a whole number is written in ASCII digits and a large one is
told the bound; the policy's decimals are as many as its editor takes."""

import pytest

from scenarios.choices import BUDGET_MAX_CNY
from scenarios.models import PolicyVersion, ScenarioNeed
from tests.api.test_needs_api import need_body

pytestmark = pytest.mark.django_db

ASCII_DIGITS = "请只用半角数字 0–9 书写，不含下划线等分隔符。"


@pytest.mark.parametrize("budget", ["1_000", "5__0", "１０００", "٣٠٠"])
def test_a_budget_in_other_digits_or_with_underscores_is_refused(api, agency_user, budget):
    # when: Python's int() reads each of them as a number
    response = api.as_user(agency_user).post(
        "/api/v1/needs/", need_body(budget_cny=budget), format="json"
    )

    # then
    assert response.status_code == 400
    assert response.json()["fields"]["budget_cny"] == [ASCII_DIGITS]
    assert not ScenarioNeed.objects.exists()


def test_a_budget_as_a_string_of_ascii_digits_is_still_taken(api, agency_user):
    response = api.as_user(agency_user).post(
        "/api/v1/needs/", need_body(budget_cny="1000"), format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["budget_cny"] == 1000


@pytest.mark.parametrize("budget", [1e20, 10**25])
def test_a_budget_too_large_is_told_the_bound_however_it_is_written(api, agency_user, budget):
    # when: 1e20 was "not a valid integer", 26 digits were told the range
    response = api.as_user(agency_user).post(
        "/api/v1/needs/", need_body(budget_cny=budget), format="json"
    )

    # then
    assert response.status_code == 400
    (message,) = response.json()["fields"]["budget_cny"]
    assert str(BUDGET_MAX_CNY) in message
    assert not ScenarioNeed.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"high_value_threshold": 1e-320}, "high_value_threshold"),
        ({"high_value_threshold": 85.555}, "high_value_threshold"),
        ({"matching_weights": {"text": 1e-320}}, "matching_weights"),
        ({"region_weights": {"outside": 0.12345}}, "region_weights"),
        ({"selection_criteria": [{"weight": 1e-320}]}, "selection_criteria"),
    ],
)
def test_policy_decimals_beyond_what_the_editor_takes_are_refused(
    api, province_reviewer, changes, field
):
    # given: the current values, one of them changed to more decimals than shown
    api.as_user(province_reviewer)
    current = api.get("/api/v1/policy/current/").json()
    value = changes[field]
    if field == "selection_criteria":
        value = [{**current[field][0], **value[0]}, *current[field][1:]]
    elif isinstance(value, dict):
        value = {**current[field], **value}

    # when
    response = api.post(
        "/api/v1/policy/", {field: value, "version": current["version"]}, format="json"
    )

    # then: experts read "平均分达到 1e-320 分" from the first
    assert response.status_code == 400, response.json()
    assert list(response.json()["fields"]) == [field]
    assert "小数" in response.json()["fields"][field][0]
    assert PolicyVersion.objects.count() == 1


def test_a_policy_threshold_with_two_decimals_is_taken(api, province_reviewer):
    api.as_user(province_reviewer)

    response = api.post(
        "/api/v1/policy/", {"high_value_threshold": 85.55, "version": 1}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["high_value_threshold"] == 85.55
