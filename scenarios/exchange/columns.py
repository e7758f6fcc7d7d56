"""The columns of the exchange format (a contract of field names and Chinese headers)."""

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.validators import credit_code_problem
from scenarios.choices import (
    BUDGET_MAX_CNY,
    CapabilityStatus,
    Certification,
    NeedStatus,
    ScenarioCategory,
    ValidationType,
)
from scenarios.services.capabilities import MAX_PAST_CASES
from scenarios.services.common import MAX_KEYWORD_LENGTH, MAX_KEYWORDS

REGION_CODE_RE = re.compile(r"[0-9]{6}")

ColumnType = Literal["str", "text", "list", "int", "bool", "date", "enum"]

# What the Chinese names beside a coded column are read from: the choices' labels, the
# taxonomy's names, the regions' names.
NamesOf = Literal["choices", "chains", "regions"]


def _ref_problem(value: str) -> str | None:
    if any(ch.isspace() for ch in value):
        return _("编号不能包含空白字符。")
    if value and not any(ch.isalnum() for ch in value):
        return _("编号须含字母或数字。")
    return None


def _region_code_problem(value: str) -> str | None:
    if not REGION_CODE_RE.fullmatch(value):
        return _("应为6位数字的行政区划代码。")
    return None


@dataclass(frozen=True)
class Column:
    """One field of the exchange format and how a cell of it is read and written."""

    name: str
    header: str  # the Chinese header of the XLSX export (a contract too)
    kind: ColumnType
    required: bool = False
    max_length: int = 200
    max_items: int = 0
    min_value: int | None = None
    max_value: int | None = None
    choices: type[models.TextChoices] | None = None
    many: bool = False  # enum: a list of choices
    default: Any = None
    upper: bool = False
    check: Callable[[str], str | None] | None = None
    width: int = 16  # XLSX column width cap
    note: str = ""
    # CSV and XLSX exports write a column of the values' Chinese names beside this one, under
    # this header; people read it, an import ignores it (the codes are what it reads).
    label: str = ""
    names: NamesOf | None = None
    # Written by the export, never read by an import (the status, set by the workflow).
    read_only: bool = False
    # A list of free text (past cases, where "；" is punctuation): one item per line of the
    # CSV/XLSX cell; a cell without a line break is split at ASCII ";" only (older files).
    one_per_line: bool = False


def _common_columns(title: str, description: str) -> list[Column]:
    return [
        Column(
            "ref",
            "编号",
            "str",
            max_length=64,
            check=_ref_problem,
            note="留空则自动生成；与已有编号仅大小写或全角/半角不同的编号不予接受",
        ),
        Column("title", title, "str", required=True, max_length=200, width=36),
        Column("description", description, "text", required=True, max_length=5000, width=60),
    ]


CHAINS = Column(
    "chains",
    "产业链/赛道",
    "list",
    required=True,
    max_items=10,
    max_length=64,
    width=24,
    note="产业链/赛道的标识（slug）或名称，多个用 ; 分隔",
    label="产业链（名称）",
    names="chains",
)

KEYWORDS = Column(
    "keywords",
    "技术关键词",
    "list",
    max_items=MAX_KEYWORDS,
    max_length=MAX_KEYWORD_LENGTH,
    width=28,
    note="多个用 ; 分隔",
)

REGION = Column(
    "region_code",
    "行政区划代码",
    "str",
    required=True,
    max_length=6,
    check=_region_code_problem,
    width=12,
    note="GB/T 2260 六位代码",
    label="所在地（名称）",
    names="regions",
)

TRL_NOTE = "1–9 的整数"

# The version an item had when it was exported: an update by ref from an older file is
# refused instead of undoing what was saved since (a stale write is never silent).
VERSION = Column(
    "version",
    "版本",
    "int",
    min_value=1,
    max_value=2**63 - 1,
    width=8,
    note=(
        "导出时条目的版本，按编号更新时读取：该行有改动而条目已不是这个版本（导出后有人修改过）"
        "时报错，以免覆盖别人的修改；新建的行留空"
    ),
)

NEED_COLUMNS: tuple[Column, ...] = (
    *_common_columns("场景名称", "场景描述"),
    Column(
        "category",
        "场景类型",
        "enum",
        required=True,
        choices=ScenarioCategory,
        label="场景类型（名称）",
        names="choices",
    ),
    CHAINS,
    KEYWORDS,
    REGION,
    Column(
        "validation_type",
        "验证类型",
        "enum",
        required=True,
        choices=ValidationType,
        label="验证类型（名称）",
        names="choices",
    ),
    Column(
        "min_trl", "最低技术成熟度", "int", required=True, min_value=1, max_value=9, note=TRL_NOTE
    ),
    Column(
        "budget_cny",
        "预算（元）",
        "int",
        min_value=0,
        max_value=BUDGET_MAX_CNY,
        note="整数，单位为元（不是万元），最多 100 亿元；可留空",
    ),
    Column("deadline", "截止日期", "date", width=12, note="YYYY-MM-DD，可留空"),
    Column("is_major", "重大场景", "bool", default=False, width=10, note="是/否（true/false）"),
    Column(
        "org_name",
        "发布单位",
        "str",
        required=True,
        max_length=128,
        width=28,
        note="需求单位全称；不存在时新建",
    ),
    Column(
        "org_region_code",
        "发布单位所在地代码",
        "str",
        max_length=6,
        check=_region_code_problem,
        width=12,
        note="新建发布单位时的辖区（六位代码）；留空则取该单位全部行所在地的最低共同上级",
        label="发布单位所在地（名称）",
        names="regions",
    ),
    VERSION,
)

CAPABILITY_COLUMNS: tuple[Column, ...] = (
    *_common_columns("能力名称", "能力描述"),
    CHAINS,
    KEYWORDS,
    REGION,
    Column("trl", "技术成熟度", "int", required=True, min_value=1, max_value=9, note=TRL_NOTE),
    Column(
        "certifications",
        "资质认定",
        "enum",
        choices=Certification,
        many=True,
        max_items=len(Certification.values),
        width=24,
        label="资质认定（名称）",
        names="choices",
    ),
    Column(
        "past_cases",
        "过往案例",
        "list",
        max_items=MAX_PAST_CASES,
        max_length=200,
        width=40,
        note="每行一个（单元格内换行）；不换行时用英文 ; 分隔",
        one_per_line=True,
    ),
    Column(
        "capacity",
        "可同时承接试点数",
        "int",
        min_value=1,
        max_value=1000,
        default=1,
        note="正整数，留空为 1",
    ),
    Column("firm_name", "企业名称", "str", required=True, max_length=128, width=28),
    Column(
        "firm_credit_code",
        "统一社会信用代码",
        "str",
        required=True,
        max_length=18,
        upper=True,
        check=credit_code_problem,
        width=22,
        note="18位，按此查找企业，不存在时新建",
    ),
    VERSION,
)

COLUMNS: dict[str, tuple[Column, ...]] = {"need": NEED_COLUMNS, "capability": CAPABILITY_COLUMNS}


def _status(choices: type[models.TextChoices]) -> Column:
    return Column(
        "status",
        "状态",
        "enum",
        choices=choices,
        width=10,
        note="只读：当前状态，由审核流程决定；导入时忽略",
        label="状态（名称）",
        names="choices",
        read_only=True,
    )


def _with_status(columns: tuple[Column, ...], status: Column) -> tuple[Column, ...]:
    """The export's columns: the import's, with the status after the title."""
    at = [c.name for c in columns].index("title") + 1
    return (*columns[:at], status, *columns[at:])


# The columns the CSV and XLSX exports write, each coded one followed by its label column
# (JSON writes the import's columns only).
EXPORT_COLUMNS: dict[str, tuple[Column, ...]] = {
    "need": _with_status(NEED_COLUMNS, _status(NeedStatus)),
    "capability": _with_status(CAPABILITY_COLUMNS, _status(CapabilityStatus)),
}


def ignored_names(kind: str) -> frozenset[str]:
    """The CSV/XLSX headers an import of ``kind`` skips: the columns the export writes for
    people only (the label columns, the status). JSON has none of them."""
    names: set[str] = set()
    for column in EXPORT_COLUMNS[kind]:
        if column.label:
            names.add(column.label)
        if column.read_only:
            names.update((column.name, column.header))
    return frozenset(names)


FIELD_ALIASES: dict[str, str] = {
    "region": "region_code",
    "agency": "org_name",
    "firm": "firm_name",
    "credit_code": "firm_credit_code",
    "__all__": "",
}


@functools.cache
def choice_aliases(choices: type[models.TextChoices]) -> dict[str, str]:
    """Codes and their Chinese labels (``政务服务`` → ``government_service``)."""
    with translation.override("zh-hans"):
        aliases = {str(label): value for value, label in choices.choices}
    aliases.update({value: value for value in choices.values})
    return aliases


@functools.cache
def choice_labels(choices: type[models.TextChoices]) -> dict[str, str]:
    """Codes and their Chinese labels (``government_service`` → ``政务服务``)."""
    with translation.override("zh-hans"):
        return {value: str(label) for value, label in choices.choices}
