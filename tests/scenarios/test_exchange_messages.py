"""Import messages a person can act on: the JSON decoder's reason in the user's language,
and a field's own length limit rather than the file's cell limit."""

import pytest
from django.utils import translation

from scenarios.exchange import capabilities_import, needs_import
from tests.scenarios.test_exchange import (
    as_csv,
    as_json,
    capability_row,
    file_reason,
    need_row,
    rejection,
    where,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b'[{"ref":', "不是有效的 JSON（第 1 行第 9 列：此处应有一个值）。"),
        (b"[{'ref': 1}]", "第 1 行第 3 列：此处应为用双引号括起的字段名"),
        (b'[{"ref" 1}]', "第 1 行第 9 列：此处缺少冒号（:）"),
        (b'[{"ref": "A" "title": "B"}]', "第 1 行第 14 列：此处缺少逗号（,）"),
        (b'[{"ref": "A', "第 1 行第 10 列：字符串从此处开始，但没有结束的双引号"),
        (b'[{"ref": "A\nB"}]', "第 1 行第 12 列：字符串中含有未转义的控制字符（如换行）"),
        (b'[{"ref": "A\\qB"}]', "第 1 行第 12 列：无效的转义序列"),
        (b"[] []", "第 1 行第 4 列：JSON 数据结束后还有多余内容"),
        (b"[" + b"9" * 5000 + b"]", "不是有效的 JSON：整数位数过多。"),
    ],
    ids=[
        "truncated",
        "single-quotes",
        "colon",
        "comma",
        "unterminated",
        "control",
        "escape",
        "extra",
        "digits",
    ],
)
def test_needs_import_json_syntax_error_reason_in_chinese(payload, expected):
    # given: a JSON file with a syntax error

    # when: it is imported in Chinese
    with translation.override("zh-hans"):
        reason = file_reason(lambda: needs_import(actor=None, data=payload, fmt="json"))

    # then: the reason is Chinese, still saying where the error is
    assert expected in reason
    assert "Expecting" not in reason
    assert "Exceeds" not in reason


def test_needs_import_json_too_deep_is_said_in_chinese():
    # given: a JSON file nested deeper than the decoder follows
    payload = b"[" * 100_000 + b"]" * 100_000

    # when: it is imported in Chinese
    with translation.override("zh-hans"):
        reason = file_reason(lambda: needs_import(actor=None, data=payload, fmt="json"))

    # then: the nesting is named, not Python's "maximum recursion depth exceeded"
    assert reason == "JSON 嵌套层级过深。"


@pytest.mark.parametrize(("to_bytes", "fmt", "row"), [(as_json, "json", 1), (as_csv, "csv", 2)])
def test_needs_import_title_over_the_cell_limit_names_the_title_limit(to_bytes, fmt, row):
    # given: a need whose title is longer than the file's cell limit (5000)
    data = to_bytes([need_row(title="长" * 10_000)])

    # when: it is imported
    with translation.override("zh-hans"):
        exc = rejection(lambda: needs_import(actor=None, data=data, fmt=fmt))

    # then: the title's own limit (200) is named, as for a title of 300 characters
    assert where(exc) == [(row, "title")]
    assert exc.errors[0].reason == "最多 200 个字符（当前 10000 个）。"


def test_needs_import_description_over_the_cell_limit_keeps_the_cell_limit(settings):
    # given: a cell limit below the description's own limit (5000)
    settings.EXCHANGE_MAX_CELL_CHARS = 100
    data = as_json([need_row(description="长" * 101)])

    # when: it is imported
    with translation.override("zh-hans"):
        exc = rejection(lambda: needs_import(actor=None, data=data, fmt="json"))

    # then: the cell limit is the one that applies, and is named
    assert exc.errors[0].reason == "单元格内容过长（101 个字符，上限 100）。"


def test_capabilities_import_json_list_item_over_the_cell_limit_names_the_item_limit():
    # given: a capability with a keyword longer than the file's cell limit
    data = as_json([capability_row(keywords=["长" * 6000])])

    # when: it is imported
    with translation.override("zh-hans"):
        exc = rejection(lambda: capabilities_import(actor=None, data=data, fmt="json"))

    # then: the item limit of the list is named
    assert where(exc) == [(1, "keywords")]
    assert exc.errors[0].reason.startswith("每项最多 ")
