"""Numbers typed on the pages (budgets in 万元, policy values, scores): ASCII or full-width
digits and point; a comma or an underscore is refused saying to write plain digits."""

from decimal import Decimal

import pytest
from django import forms

from portal.forms import PlainDecimalField
from scenarios.models import ScenarioNeed
from tests.portal.conftest import need_data

pytestmark = pytest.mark.django_db

SEPARATOR = "请直接写数字，不加逗号、下划线等分隔符（如 1000）。"


class AmountForm(forms.Form):
    amount = PlainDecimalField(required=False, min_value=0, decimal_places=2)


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("80", Decimal(80)),
        (" 12.5 ", Decimal("12.5")),
        ("１０００", Decimal(1000)),
        ("１２．５", Decimal("12.5")),
        ("１2.５0", Decimal("12.50")),
        ("", None),
    ],
)
def test_plain_decimal_reads_ascii_and_full_width_digits_and_point(typed, value):
    form = AmountForm({"amount": typed})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == value


@pytest.mark.parametrize("typed", ["1_000", "5__0", "1,000", "１，０００", "1,5"])
def test_plain_decimal_refuses_separators_saying_to_write_plain_digits(typed):
    form = AmountForm({"amount": typed})

    assert not form.is_valid()
    assert form.errors["amount"] == [SEPARATOR]


@pytest.mark.parametrize("typed", ["٣٠٠", "1e3", "一千", "12.5.1"])
def test_plain_decimal_refuses_what_is_not_digits_and_a_point(typed):
    form = AmountForm({"amount": typed})

    assert not form.is_valid()
    assert form.errors["amount"] == [str(form.fields["amount"].error_messages["invalid"])]


@pytest.mark.parametrize("typed", ["1_000", "5__0", "1,000"])
def test_the_need_form_refuses_a_budget_with_separators(agency_client, agency, typed):
    # when: "1_000" was saved as 1,000 万元 and "5__0" as 50 万元
    response = agency_client.post("/workspace/agency/needs/new/", need_data(budget_wan=typed))

    # then
    assert response.status_code == 200
    assert SEPARATOR in response.content.decode()
    assert not ScenarioNeed.objects.filter(agency=agency).exists()


def test_the_need_form_reads_a_full_width_budget(agency_client, agency):
    response = agency_client.post("/workspace/agency/needs/new/", need_data(budget_wan="１２．５"))

    assert response.status_code == 302
    assert ScenarioNeed.objects.get(agency=agency).budget_cny == 125_000


def test_the_policy_form_refuses_a_budget_line_with_an_underscore():
    from portal.forms.policy import PolicyForm
    from scenarios.services.policy import policy_current

    # given: the editor's current values, the major line typed with an underscore
    policy = policy_current()
    data = {k: str(v) for k, v in PolicyForm.initial_from(policy).items()}
    data["major_budget_wan"] = "5_00"

    # when
    form = PolicyForm(data, criteria=policy.selection_criteria)

    # then: the line alone is refused
    assert not form.is_valid()
    assert dict(form.errors) == {"major_budget_wan": [SEPARATOR]}
