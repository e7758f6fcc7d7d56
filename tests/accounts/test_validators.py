import pytest
from django.core.exceptions import ValidationError

from accounts.validators import credit_code_problem, validate_credit_code

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
