"""Numbers in request bodies: a whole number is written in ASCII digits and a large one is
told the bound."""

import pytest

from scenarios.choices import BUDGET_MAX_CNY
from scenarios.models import ScenarioNeed
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
