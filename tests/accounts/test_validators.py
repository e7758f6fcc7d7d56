import pytest
from django.core.exceptions import ValidationError

from accounts.validators import (
    credit_code_problem,
    organization_name_core,
    validate_credit_code,
    within_one_edit,
)

# Published credit codes of real organisations (company registers, annual reports).
REAL_CODES = [
    "91350100M000100Y43",  # the example printed in GB 32100-2015
    "914403001922038216",  # Huawei Technologies Co., Ltd.
    "91440300708461136T",  # Tencent Technology (Shenzhen) Co., Ltd.
    "911100001000128855",
    "91110000100011743X",
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_credit_code_accepts_real_codes(code):
    problem = credit_code_problem(code)

    assert problem is None


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91350100M000100Y44", "校验位"),  # last character changed
        ("914403001922038215", "校验位"),
        ("91350100M000100Y4", "18位"),  # too short
        ("91350100M000100Y433", "18位"),
        ("91350100M0001O0Y43", "非法字符"),  # letter O is not in the charset
        ("91350100m000100y43", "非法字符"),  # lower case
        ("91AB0100M000100Y43", "行政区划"),
    ],
)
def test_credit_code_rejects_invalid_codes(code, reason):
    problem = credit_code_problem(code)

    assert problem is not None
    assert reason in problem


def test_credit_code_rejects_bad_organization_code_check():
    # Valid overall check character, but characters 9-17 fail the GB 11714 check.
    from accounts.validators import credit_code_check_char

    first17 = "91360100" + "12345678" + "0"
    code = first17 + credit_code_check_char(first17)

    problem = credit_code_problem(code)

    assert problem is not None
    assert "组织机构代码" in problem


def test_validate_credit_code_raises_validation_error():
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code("123")

    assert excinfo.value.code == "invalid_credit_code"


@pytest.mark.parametrize(
    ("a", "b", "alike"),
    [
        ("萍乡赣湘工业陶瓷", "萍乡赣湘工业陶瓷", True),
        ("萍乡赣湘工业陶瓷", "萍乡赣相工业陶瓷", True),  # one character changed
        ("萍乡赣湘工业陶瓷", "萍乡赣湘工业新陶瓷", True),  # one added
        ("萍乡赣湘工业陶瓷", "萍乡湘工业陶瓷", True),  # one removed
        ("萍乡赣湘工业陶瓷", "萍乡赣湘工陶", False),  # two removed
        ("萍乡赣湘工业陶瓷", "萍乡相赣工业陶瓷", False),  # two swapped: two changes
        ("", "a", True),
        ("ab", "", False),
    ],
)
def test_within_one_edit(a, b, alike):
    assert within_one_edit(a, b) is alike
    assert within_one_edit(b, a) is alike


def test_the_core_of_a_name_leaves_out_its_organizational_form():
    assert organization_name_core("萍乡贛湘工业陶瓷股份有限公司") == "萍乡赣湘工业陶瓷"
    assert organization_name_core("萍乡赣湘工业陶瓷有限责任公司") == "萍乡赣湘工业陶瓷"
    assert organization_name_core("公司") == "公司"  # nothing but a form stays as it is
