"""Bulk import and export of needs and capabilities in the exchange format.

The exchange format (DESIGN.md, "Exchange format") is a contract of field names. JSON
carries a list of objects; CSV (UTF-8, with or without BOM) and XLSX carry a header row
that names the fields (XLSX and CSV may also use the Chinese headers the export writes),
with list fields joined by ``;`` (``；`` is accepted on import).

Import first reads and checks every row (types, choices, ranges, dates, booleans,
taxonomy slugs, region codes, credit codes, lengths, duplicate refs in the file and refs
already stored) and collects every problem with the row number a user sees. Only a clean
file is written, through the organization, need and capability services and inside one
transaction: a file is all-or-nothing, and any error (also one that only a service finds)
raises ``ImportRejected`` with the full list, leaving the database unchanged.

Export renders the published lists in the same format; a file exported here imports back
to the same values. Cells a spreadsheet would run as a formula are neutralised: CSV gets a
leading apostrophe (removed again on import), XLSX stores them as text with Excel's quote
prefix, so the value itself stays intact.
"""

import csv
import functools
import io
import json
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import IO, Any, Literal

import openpyxl
from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from scenarios import selectors
from scenarios.choices import (
    CapabilityStatus,
    Certification,
    NeedStatus,
    OrganizationKind,
    ScenarioCategory,
    ValidationType,
)
from scenarios.errors import ActorNotAllowed, DomainError, InvalidInput
from scenarios.models import Capability, IndustryChain, Organization, Region, ScenarioNeed
from scenarios.roles import Actor, is_platform_admin, is_province_committee_member
from scenarios.services import events
from scenarios.services.audit import audit_record
from scenarios.services.capabilities import (
    MAX_PAST_CASES,
    capability_create,
    capability_submit,
)
from scenarios.services.common import MAX_KEYWORD_LENGTH, MAX_KEYWORDS
from scenarios.services.needs import need_create
from scenarios.services.negative_list import negative_list_hits
from scenarios.services.organizations import organization_create, organization_verify
from scenarios.services.reference import home_province
from scenarios.validators import credit_code_problem

FORMATS = ("json", "csv", "xlsx")
Format = Literal["json", "csv", "xlsx"]
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES: dict[str, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": XLSX_CONTENT_TYPE,
}

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 5_000
DEFAULT_MAX_CELL_CHARS = 5_000
DEFAULT_MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_ERRORS = 500
MAX_COLUMNS = 64
MAX_ZIP_ENTRIES = 2_000

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls / .doc
LIST_SEPARATOR = ";"
LIST_SPLIT_RE = re.compile("[;；]")
# A spreadsheet runs a cell starting with one of these as a formula (CSV/formula injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DATE_RE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
REGION_CODE_RE = re.compile(r"[0-9]{6}")
TRUE_WORDS = frozenset({"true", "1", "是"})
FALSE_WORDS = frozenset({"false", "0", "否"})

ColumnType = Literal["str", "text", "list", "int", "bool", "date", "enum"]
ExchangeKind = Literal["need", "capability"]


# --- Limits ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExchangeLimits:
    """Size limits of one file, read from settings when an import runs."""

    max_bytes: int
    max_rows: int
    max_cell_chars: int
    max_unzipped_bytes: int
    max_errors: int

    @classmethod
    def current(cls) -> "ExchangeLimits":
        return cls(
            max_bytes=int(getattr(settings, "EXCHANGE_MAX_BYTES", DEFAULT_MAX_BYTES)),
            max_rows=int(getattr(settings, "EXCHANGE_MAX_ROWS", DEFAULT_MAX_ROWS)),
            max_cell_chars=int(
                getattr(settings, "EXCHANGE_MAX_CELL_CHARS", DEFAULT_MAX_CELL_CHARS)
            ),
            max_unzipped_bytes=int(
                getattr(settings, "EXCHANGE_MAX_UNZIPPED_BYTES", DEFAULT_MAX_UNZIPPED_BYTES)
            ),
            max_errors=int(getattr(settings, "EXCHANGE_MAX_ERRORS", DEFAULT_MAX_ERRORS)),
        )

    @property
    def max_physical_rows(self) -> int:
        """Rows a sheet may span, blank ones included, before it counts as hostile."""
        return 2 * self.max_rows + 100


# --- Errors ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem: the row a user sees (0 = the file as a whole), the field, the reason."""

    row: int
    field: str
    reason: str

    @property
    def key(self) -> str:
        """The key under ``fields`` of the API error: ``file``, ``row 3`` or ``row 3.min_trl``."""
        if self.row == 0:
            return "file"
        return f"row {self.row}.{self.field}" if self.field else f"row {self.row}"

    def __str__(self) -> str:
        if self.row == 0:
            return _("文件：%(reason)s") % {"reason": self.reason}
        if self.field:
            return _("第%(row)s行 %(field)s: %(reason)s") % {
                "row": self.row,
                "field": self.field,
                "reason": self.reason,
            }
        return _("第%(row)s行: %(reason)s") % {"row": self.row, "reason": self.reason}


class ImportRejected(InvalidInput):
    """A file was refused; ``errors`` lists every problem found and nothing was written.

    ``fields`` (the API error body) holds the first ``EXCHANGE_MAX_ERRORS`` problems keyed
    ``row N.field``; ``errors`` keeps them all for the command line.
    """

    def __init__(self, errors: Sequence[RowError], *, max_errors: int | None = None):
        self.errors = list(errors)
        limit = max_errors if max_errors is not None else ExchangeLimits.current().max_errors
        if len(self.errors) == 1 and self.errors[0].row == 0:
            message = _("导入失败：%(reason)s") % {"reason": self.errors[0].reason}
        else:
            message = _("导入失败：发现 %(n)s 处错误，未写入任何数据。") % {"n": len(self.errors)}
        fields: dict[str, list[str]] = {}
        for error in self.errors[:limit]:
            fields.setdefault(error.key, []).append(error.reason)
        hidden = len(self.errors) - limit
        if hidden > 0:
            fields.setdefault("file", []).append(_("另有 %(n)s 处错误未列出。") % {"n": hidden})
        super().__init__(message, fields=fields)

    def lines(self) -> list[str]:
        """The summary and one line per problem, as the management commands print them."""
        return [self.message, *(str(e) for e in self.errors)]


def _file_error(reason: str) -> ImportRejected:
    return ImportRejected([RowError(0, "", reason)])


class _CellError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- Columns of the exchange format ------------------------------------------------------


def _ref_problem(value: str) -> str | None:
    if any(ch.isspace() for ch in value):
        return _("编号不能包含空白字符。")
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


def _common_columns(title: str, description: str) -> list[Column]:
    return [
        Column("ref", "编号", "str", max_length=64, check=_ref_problem, note="留空则自动生成"),
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
    note="产业链/赛道标识（slug），多个用 ; 分隔",
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
)
TRL_NOTE = "1–9 的整数"

NEED_COLUMNS: tuple[Column, ...] = (
    *_common_columns("场景名称", "场景描述"),
    Column("category", "场景类型", "enum", required=True, choices=ScenarioCategory),
    CHAINS,
    KEYWORDS,
    REGION,
    Column("validation_type", "验证类型", "enum", required=True, choices=ValidationType),
    Column(
        "min_trl", "最低技术成熟度", "int", required=True, min_value=1, max_value=9, note=TRL_NOTE
    ),
    Column(
        "budget_cny", "预算（元）", "int", min_value=0, max_value=10**13, note="整数（元），可留空"
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
        note="需求单位全称；不存在时在该行所在地新建",
    ),
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
    ),
    Column(
        "past_cases",
        "过往案例",
        "list",
        max_items=MAX_PAST_CASES,
        max_length=200,
        width=40,
        note="多个用 ; 分隔",
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
)

COLUMNS: dict[str, tuple[Column, ...]] = {"need": NEED_COLUMNS, "capability": CAPABILITY_COLUMNS}
# Service field names that differ from the exchange format (for errors a service reports).
FIELD_ALIASES: dict[str, str] = {
    "region": "region_code",
    "agency": "org_name",
    "firm": "firm_name",
    "credit_code": "firm_credit_code",
    "__all__": "",
}


@functools.cache
def _choice_aliases(choices: type[models.TextChoices]) -> dict[str, str]:
    """Codes and their Chinese labels (``政务服务`` → ``government_service``)."""
    with translation.override("zh-hans"):
        aliases = {str(label): value for value, label in choices.choices}
    aliases.update({value: value for value in choices.values})
    return aliases


# --- Cell conversion (pure) --------------------------------------------------------------


def _cell_text(value: Any) -> str:
    """The text of a CSV/XLSX cell (numbers lose a ``.0``, dates become ISO)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _empty(column: Column) -> Any:
    if column.default is not None:
        return column.default
    if column.kind == "list" or column.many:
        return []
    if column.kind in ("str", "text", "enum"):
        return ""
    return None


def _convert(column: Column, value: Any, *, typed: bool, max_cell: int) -> Any:
    """Read one cell; ``typed`` (JSON) means the JSON type must already be right."""
    if isinstance(value, str) and len(value) > max_cell:
        raise _CellError(
            _("单元格内容过长（%(n)s 个字符，上限 %(max)s）。") % {"n": len(value), "max": max_cell}
        )
    if _is_blank(value):
        if column.required:
            raise _CellError(_("必填。"))
        return _empty(column)
    if column.kind == "list" or column.many:
        return _to_list(column, value, typed=typed, max_cell=max_cell)
    if column.kind in ("str", "text"):
        return _to_text(column, value, typed=typed)
    if column.kind == "enum":
        return _to_choice(column, _to_text(column, value, typed=typed))
    if column.kind == "int":
        return _to_int(column, value, typed=typed)
    if column.kind == "bool":
        return _to_bool(value, typed=typed)
    return _to_date(value, typed=typed)


def _to_text(column: Column, value: Any, *, typed: bool) -> str:
    if typed and not isinstance(value, str):
        raise _CellError(_("应为字符串。"))
    text = _cell_text(value).strip()
    if CONTROL_RE.search(text):
        raise _CellError(_("含有不可见的控制字符。"))
    if column.upper:
        text = text.upper()
    if len(text) > column.max_length:
        raise _CellError(
            _("最多 %(max)s 个字符（当前 %(n)s 个）。") % {"max": column.max_length, "n": len(text)}
        )
    if column.check is not None:
        problem = column.check(text)
        if problem:
            raise _CellError(problem)
    return text


def _to_choice(column: Column, text: str) -> str:
    assert column.choices is not None  # noqa: S101 - columns of type enum always have choices
    aliases = _choice_aliases(column.choices)
    value = aliases.get(text) or aliases.get(text.lower())
    if value is None:
        raise _CellError(
            _("无效的选项“%(value)s”；可选：%(choices)s。")
            % {"value": text[:40], "choices": ", ".join(column.choices.values)}
        )
    return value


def _to_list(column: Column, value: Any, *, typed: bool, max_cell: int) -> list[str]:
    if typed:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _CellError(_("应为字符串列表。"))
        items = [v.strip() for v in value]
        if any(len(v) > max_cell for v in items):
            raise _CellError(_("列表项过长。"))
        if any(LIST_SPLIT_RE.search(v) for v in items):
            raise _CellError(_("列表项不能包含分号（; 或 ；）。"))
    else:
        items = [v.strip() for v in LIST_SPLIT_RE.split(_cell_text(value))]
    items = list(dict.fromkeys(v for v in items if v))
    if not items:
        if column.required:
            raise _CellError(_("必填。"))
        return []
    if any(CONTROL_RE.search(v) for v in items):
        raise _CellError(_("含有不可见的控制字符。"))
    if len(items) > column.max_items:
        raise _CellError(
            _("最多 %(max)s 项（当前 %(n)s 项）。") % {"max": column.max_items, "n": len(items)}
        )
    too_long = [v for v in items if len(v) > column.max_length]
    if too_long:
        raise _CellError(
            _("每项最多 %(max)s 个字符：%(items)s。")
            % {"max": column.max_length, "items": "、".join(v[:20] + "…" for v in too_long[:3])}
        )
    if column.choices is not None:
        aliases = _choice_aliases(column.choices)
        bad = [v for v in items if v not in aliases and v.lower() not in aliases]
        if bad:
            raise _CellError(
                _("无效的选项：%(bad)s；可选：%(choices)s。")
                % {"bad": "、".join(bad[:5]), "choices": ", ".join(column.choices.values)}
            )
        items = list(dict.fromkeys(aliases.get(v) or aliases[v.lower()] for v in items))
    return items


def _to_int(column: Column, value: Any, *, typed: bool) -> int:
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if value.is_integer() else None
    elif isinstance(value, str) and not typed:
        text = value.strip().replace(",", "").replace("，", "")
        try:
            decimal = Decimal(text)
        except InvalidOperation:
            decimal = None
        if decimal is not None and decimal.is_finite() and decimal == decimal.to_integral_value():
            number = int(decimal)
    if number is None:
        raise _CellError(_("应为整数。"))
    low, high = column.min_value, column.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        if low is not None and high is not None:
            raise _CellError(_("应为 %(min)s–%(max)s 之间的整数。") % {"min": low, "max": high})
        raise _CellError(_("不能小于 %(min)s。") % {"min": low})
    return number


def _to_bool(value: Any, *, typed: bool) -> bool:
    if isinstance(value, bool):
        return value
    if not typed:
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        text = _cell_text(value).strip().lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
    raise _CellError(_("应为 true/false、是/否 或 1/0。"))


def _to_date(value: Any, *, typed: bool) -> date:
    if isinstance(value, datetime):
        if typed:
            raise _CellError(_("应为日期（YYYY-MM-DD）。"))
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise _CellError(_("应为日期（YYYY-MM-DD）。"))
    match = DATE_RE.fullmatch(value.strip())
    if match is None:
        raise _CellError(_("应为日期（YYYY-MM-DD）。"))
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise _CellError(_("日期不存在：%(value)s。") % {"value": value.strip()}) from None


# --- Readers (pure) ----------------------------------------------------------------------


@dataclass
class _RawRow:
    number: int
    cells: dict[str, Any]
    errors: list[RowError] = field(default_factory=list)


@dataclass
class ParsedRow:
    """One row read from a file: its number, the values that parsed, and its problems."""

    number: int
    values: dict[str, Any]
    errors: list[RowError]


def exchange_format_detect(*, fmt: str | None, filename: str = "") -> Format:
    """The format asked for, or the one the file name's extension names."""
    name = (fmt or PurePath(filename).suffix).lower().lstrip(".")
    if name == "json":
        return "json"
    if name == "csv":
        return "csv"
    if name == "xlsx":
        return "xlsx"
    if name == "xls":
        raise _file_error(_("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 后再导入。"))
    if fmt:
        raise _file_error(_("不支持的格式“%(fmt)s”，可选：json、csv、xlsx。") % {"fmt": fmt[:20]})
    raise _file_error(_("无法从文件名判断格式，请指定 json、csv 或 xlsx。"))


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MiB" if n >= 1024 * 1024 else f"{n} B"


def exchange_size_check(*, size: int, limits: ExchangeLimits | None = None) -> None:
    """Refuse a file larger than ``EXCHANGE_MAX_BYTES`` (callers check before reading it)."""
    limits = limits or ExchangeLimits.current()
    if size > limits.max_bytes:
        raise _file_error(
            _("文件过大（%(size)s），上限为 %(max)s。")
            % {"size": _size(size), "max": _size(limits.max_bytes)}
        )


def _check_content(data: bytes, fmt: Format, limits: ExchangeLimits) -> None:
    if not data:
        raise _file_error(_("文件为空。"))
    exchange_size_check(size=len(data), limits=limits)
    if data.startswith(OLE_MAGIC):
        raise _file_error(_("这是旧版 Excel（.xls）文件，请另存为 .xlsx 后再导入。"))
    if fmt != "xlsx" and data.startswith(ZIP_MAGIC):
        raise _file_error(
            _("文件内容是 XLSX/ZIP，与所选格式 %(fmt)s 不符。") % {"fmt": fmt.upper()}
        )
    if fmt == "xlsx" and not data.startswith(ZIP_MAGIC):
        raise _file_error(_("不是有效的 XLSX 文件（文件内容不是 XLSX 压缩包）。"))


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _file_error(
            _(
                "文件不是 UTF-8 编码（第 %(pos)s 个字节无法解码）；"
                "用 Excel 保存时请选择“CSV UTF-8（逗号分隔）”。"
            )
            % {"pos": exc.start + 1}
        ) from None
    if "\x00" in text:
        raise _file_error(_("文件含有二进制内容，不是文本文件。"))
    return text


def _reject_constant(name: str) -> Any:
    raise ValueError(_("不允许 %(name)s。") % {"name": name})


def _read_json(data: bytes, columns: Sequence[Column], limits: ExchangeLimits) -> list[_RawRow]:
    text = _decode(data)
    try:
        payload = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise _file_error(
            _("不是有效的 JSON（第 %(line)s 行第 %(col)s 列：%(msg)s）。")
            % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}
        ) from None
    except (ValueError, RecursionError) as exc:
        raise _file_error(_("不是有效的 JSON：%(msg)s") % {"msg": str(exc)[:200]}) from None
    if not isinstance(payload, list):
        raise _file_error(_("JSON 顶层应为对象列表（[{...}, ...]）。"))
    return _rows_from_objects(payload, columns, limits)


def _rows_from_objects(
    objects: Sequence[Any], columns: Sequence[Column], limits: ExchangeLimits
) -> list[_RawRow]:
    if len(objects) > limits.max_rows:
        raise _too_many_rows(limits)
    names = {c.name for c in columns}
    rows = []
    for number, obj in enumerate(objects, start=1):
        row = _RawRow(number, {})
        if not isinstance(obj, Mapping):
            row.errors.append(RowError(number, "", _("应为对象（{...}）。")))
        else:
            for key, value in obj.items():
                if key in names:
                    row.cells[key] = value
                else:
                    row.errors.append(RowError(number, str(key)[:64], _("未知字段。")))
        rows.append(row)
    return rows


def _too_many_rows(limits: ExchangeLimits) -> ImportRejected:
    return _file_error(_("数据行过多，上限为 %(max)s 行。") % {"max": limits.max_rows})


def _too_many_lines(limits: ExchangeLimits) -> ImportRejected:
    return _file_error(
        _("表格超过 %(max)s 行（含空行），请删除多余的空行后再导入。")
        % {"max": limits.max_physical_rows}
    )


def _normalise_header(text: str) -> str:
    return re.sub(r"\s+", "", text).lower().replace("（", "(").replace("）", ")")


def _map_header(cells: Sequence[Any], columns: Sequence[Column]) -> list[str | None]:
    """Column index → field name, from English names (``chains`` or ``chains[]``) or headers."""
    lookup: dict[str, str] = {}
    for column in columns:
        for alias in (column.name, f"{column.name}[]", column.header):
            lookup[_normalise_header(alias)] = column.name
    texts = [_cell_text(c).strip() if c is not None else "" for c in cells]
    filled = [t for t in texts if t]
    if not filled:
        raise _file_error(_("第1行应为表头（字段名），但它是空的。"))
    if len(filled) == 1 and (";" in filled[0] or "\t" in filled[0]):
        raise _file_error(_("表头只有一列：CSV 应以英文逗号分隔。"))
    names: list[str | None] = []
    unknown: list[str] = []
    duplicate: list[str] = []
    for text in texts:
        name = lookup.get(_normalise_header(text)) if text else None
        if text and name is None:
            unknown.append(text[:40])
        if name is not None and name in names:
            duplicate.append(text[:40])
            name = None
        names.append(name)
    problems = []
    if unknown:
        problems.append(RowError(1, "", _("未知的列：%(cols)s。") % {"cols": "、".join(unknown)}))
    if duplicate:
        problems.append(RowError(1, "", _("重复的列：%(cols)s。") % {"cols": "、".join(duplicate)}))
    missing = [c.name for c in columns if c.required and c.name not in names]
    if missing:
        problems.append(RowError(1, "", _("缺少必填列：%(cols)s。") % {"cols": "、".join(missing)}))
    if problems:
        raise ImportRejected(problems)
    return names


def _row_from_cells(number: int, cells: Sequence[Any], names: Sequence[str | None]) -> _RawRow:
    row = _RawRow(number, {})
    for index, value in enumerate(cells):
        name = names[index] if index < len(names) else None
        if name is not None:
            row.cells[name] = value
        elif index >= len(names) and not _is_blank(value):
            row.errors.append(RowError(number, "", _("本行的列数多于表头。")))
            break
    return row


def _read_csv(data: bytes, columns: Sequence[Column], limits: ExchangeLimits) -> list[_RawRow]:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[_RawRow] = []
    try:
        header = next(reader, None)
        if header is None:
            raise _file_error(_("文件为空。"))
        if len(header) > MAX_COLUMNS:
            raise _file_error(_("列数过多（%(n)s 列）。") % {"n": len(header)})
        names = _map_header([_csv_unescape(c) for c in header], columns)
        for number, cells in enumerate(reader, start=2):
            if number > limits.max_physical_rows:
                raise _too_many_lines(limits)
            if all(not c.strip() for c in cells):
                continue
            if len(rows) >= limits.max_rows:
                raise _too_many_rows(limits)
            rows.append(_row_from_cells(number, [_csv_unescape(c) for c in cells], names))
    except csv.Error as exc:
        reason = str(exc)
        if "field larger than field limit" in reason:
            reason = _("单元格过长")
        raise _file_error(
            _("CSV 格式错误（第 %(line)s 行）：%(reason)s。")
            % {"line": reader.line_num, "reason": reason}
        ) from None
    return rows


def _check_xlsx_archive(data: bytes, limits: ExchangeLimits) -> None:
    """Refuse archives that are broken or unpack to far more than they weigh (zip bombs)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _file_error(_("不是有效的 XLSX 文件（压缩包已损坏）。")) from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise _file_error(_("XLSX 文件结构异常（压缩包内文件过多）。"))
    unpacked = sum(info.file_size for info in infos)
    if unpacked > limits.max_unzipped_bytes:
        raise _file_error(
            _("XLSX 解压后过大（%(size)s，上限 %(max)s），疑似压缩炸弹，已拒绝。")
            % {"size": _size(unpacked), "max": _size(limits.max_unzipped_bytes)}
        )
    if not any(info.filename == "xl/workbook.xml" for info in infos):
        raise _file_error(_("不是有效的 XLSX 文件（缺少工作簿）。"))


def _read_xlsx(data: bytes, columns: Sequence[Column], limits: ExchangeLimits) -> list[_RawRow]:
    _check_xlsx_archive(data, limits)
    broken = _("XLSX 文件已损坏或无法读取。")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors for a damaged file
        raise _file_error(broken) from None
    rows: list[_RawRow] = []
    try:
        if not workbook.worksheets:
            raise _file_error(_("XLSX 文件中没有工作表。"))
        sheet = workbook.worksheets[0]
        # max_col/max_row are explicit: a sheet's declared dimension may be hostile.
        cells = sheet.iter_rows(
            min_row=1,
            max_row=limits.max_physical_rows + 1,
            max_col=MAX_COLUMNS,
            values_only=True,
        )
        header = next(cells, None)
        if header is None:
            raise _file_error(_("工作表为空。"))
        names = _map_header(header, columns)
        for number, values in enumerate(cells, start=2):
            if number > limits.max_physical_rows:
                raise _too_many_lines(limits)
            if all(_is_blank(v) for v in values):
                continue
            if len(rows) >= limits.max_rows:
                raise _too_many_rows(limits)
            rows.append(_row_from_cells(number, values[: len(names)], names))
    except ImportRejected:
        raise
    except Exception:  # damaged sheet XML surfaces while iterating
        raise _file_error(broken) from None
    finally:
        workbook.close()
    return rows


READERS: dict[str, Callable[[bytes, Sequence[Column], ExchangeLimits], list[_RawRow]]] = {
    "json": _read_json,
    "csv": _read_csv,
    "xlsx": _read_xlsx,
}


def _parse_row(
    columns: Sequence[Column], raw: _RawRow, *, typed: bool, limits: ExchangeLimits
) -> ParsedRow:
    values: dict[str, Any] = {}
    errors = list(raw.errors)
    for column in columns:
        try:
            values[column.name] = _convert(
                column, raw.cells.get(column.name), typed=typed, max_cell=limits.max_cell_chars
            )
        except _CellError as exc:
            errors.append(RowError(raw.number, column.name, exc.reason))
    return ParsedRow(raw.number, values, errors)


def _parse_input(
    columns: Sequence[Column],
    *,
    data: bytes | None,
    rows: Sequence[Any] | None,
    fmt: str | None,
    filename: str,
    limits: ExchangeLimits,
) -> tuple[Format, list[ParsedRow]]:
    if rows is not None:
        detected: Format = "json"
        raw = _rows_from_objects(rows, columns, limits)
    else:
        if data is None:
            raise TypeError("pass data or rows")
        detected = exchange_format_detect(fmt=fmt, filename=filename)
        _check_content(data, detected, limits)
        raw = READERS[detected](data, columns, limits)
    if not raw:
        raise _file_error(_("文件中没有数据行。"))
    typed = detected == "json"
    return detected, [_parse_row(columns, r, typed=typed, limits=limits) for r in raw]


def _sorted(errors: Iterable[RowError], columns: Sequence[Column]) -> list[RowError]:
    order = {c.name: i for i, c in enumerate(columns)}
    return sorted(errors, key=lambda e: (e.row, order.get(e.field, -1 if not e.field else 99)))


def exchange_parse(
    *, kind: ExchangeKind, data: bytes, fmt: str | None = None, filename: str = ""
) -> list[dict[str, Any]]:
    """Read a file into exchange-format values, without the database; raise on any bad row.

    This is the pure first half of an import (the database checks come after it).
    """
    columns = COLUMNS[kind]
    limits = ExchangeLimits.current()
    _fmt, parsed = _parse_input(
        columns, data=data, rows=None, fmt=fmt, filename=filename, limits=limits
    )
    errors = [e for row in parsed for e in row.errors]
    if errors:
        raise ImportRejected(_sorted(errors, columns), max_errors=limits.max_errors)
    return [row.values for row in parsed]


def read_limited(stream: IO[bytes], *, limit: int | None = None) -> bytes:
    """Read at most one byte more than the size limit, so an oversized file is detected."""
    limit = limit if limit is not None else ExchangeLimits.current().max_bytes
    return stream.read(limit + 1)


# --- Import (database) -------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote (or, for a dry run, would write)."""

    kind: ExchangeKind
    format: Format
    created: int
    refs: list[str]
    published: bool
    organizations_created: list[str]
    batch: str
    dry_run: bool


@dataclass(frozen=True)
class _NewOrg:
    row: int
    name: str
    region: Region


@dataclass
class _Plan:
    rows: list[ParsedRow]
    regions: dict[str, Region]
    orgs: dict[str, Organization]  # key (agency name / credit code) → existing organization
    new_orgs: dict[str, _NewOrg]  # key → the organization to create


def _check_importer(actor: Actor | None, *, publish: bool) -> None:
    """The operator (actor None), a platform admin, or a province committee member."""
    if actor is None:
        return
    if publish:
        if not is_platform_admin(actor):
            raise ActorNotAllowed(_("只有平台管理员可以导入并直接发布。"))
        return
    if not (is_platform_admin(actor) or is_province_committee_member(actor)):
        raise ActorNotAllowed(_("只有平台管理员或省级工作委员会成员可以批量导入。"))


def _check_refs(
    rows: Sequence[ParsedRow], model: type[ScenarioNeed] | type[Capability], errors: list[RowError]
) -> None:
    first: dict[str, int] = {}
    for row in rows:
        ref = row.values.get("ref")
        if not ref:
            continue
        if ref in first:
            errors.append(
                RowError(row.number, "ref", _("与第 %(row)s 行的编号重复。") % {"row": first[ref]})
            )
        else:
            first[ref] = row.number
    taken = model._default_manager.filter(ref__in=list(first)).values_list("ref", flat=True)
    for ref in taken:
        errors.append(RowError(first[ref], "ref", _("编号已存在：%(ref)s。") % {"ref": ref}))


def _check_chains(rows: Sequence[ParsedRow], errors: list[RowError]) -> dict[str, str]:
    """Report unknown slugs; return slug → taxonomy path for the known ones."""
    slugs = {s for row in rows for s in row.values.get("chains") or []}
    paths = dict(IndustryChain.objects.filter(slug__in=slugs).values_list("slug", "path"))
    for row in rows:
        unknown = [s for s in row.values.get("chains") or [] if s not in paths]
        if unknown:
            errors.append(
                RowError(
                    row.number,
                    "chains",
                    _("未知的产业链/赛道标识：%(slugs)s。") % {"slugs": "、".join(unknown[:5])},
                )
            )
    return paths


def _check_regions(rows: Sequence[ParsedRow], errors: list[RowError]) -> dict[str, Region]:
    codes = {row.values["region_code"] for row in rows if row.values.get("region_code")}
    regions = {r.code: r for r in Region.objects.filter(code__in=codes)}
    for row in rows:
        code = row.values.get("region_code")
        if code and code not in regions:
            errors.append(
                RowError(
                    row.number, "region_code", _("未知的行政区划代码：%(code)s。") % {"code": code}
                )
            )
    return regions


def _raise_if_errors(
    errors: list[RowError], columns: Sequence[Column], limits: ExchangeLimits
) -> None:
    if errors:
        raise ImportRejected(_sorted(errors, columns), max_errors=limits.max_errors)


def _plan_needs(rows: list[ParsedRow], limits: ExchangeLimits) -> _Plan:
    errors = [e for row in rows for e in row.errors]
    _check_refs(rows, ScenarioNeed, errors)
    _check_chains(rows, errors)
    regions = _check_regions(rows, errors)
    home = home_province()
    names = {row.values["org_name"] for row in rows if row.values.get("org_name")}
    existing = {
        org.name: org
        for org in Organization.objects.filter(
            kind=OrganizationKind.AGENCY, name__in=names
        ).select_related("region")
    }
    new_orgs: dict[str, _NewOrg] = {}
    for row in rows:
        region = regions.get(row.values.get("region_code") or "")
        if region is None:
            continue
        if not home.contains(region):
            errors.append(
                RowError(
                    row.number,
                    "region_code",
                    _("场景所在地必须在本省（%(home)s）。") % {"home": home.name},
                )
            )
            continue
        name = row.values.get("org_name")
        if not name:
            continue
        agency = existing.get(name)
        agency_region = (
            agency.region
            if agency
            else new_orgs.setdefault(name, _NewOrg(row.number, name, region)).region
        )
        if not (agency_region.contains(region) or region.contains(agency_region)):
            errors.append(
                RowError(
                    row.number,
                    "region_code",
                    _("不在发布单位“%(org)s”（%(region)s）的辖区内。")
                    % {"org": name, "region": agency_region.name},
                )
            )
    _raise_if_errors(errors, NEED_COLUMNS, limits)
    return _Plan(rows=rows, regions=regions, orgs=existing, new_orgs=new_orgs)


def _plan_capabilities(rows: list[ParsedRow], limits: ExchangeLimits, *, publish: bool) -> _Plan:
    errors = [e for row in rows for e in row.errors]
    _check_refs(rows, Capability, errors)
    chain_paths = _check_chains(rows, errors)
    regions = _check_regions(rows, errors)
    codes = {row.values["firm_credit_code"] for row in rows if row.values.get("firm_credit_code")}
    existing = {
        org.credit_code or "": org
        for org in Organization.objects.filter(credit_code__in=codes).select_related("region")
    }
    new_orgs: dict[str, _NewOrg] = {}
    for row in rows:
        code = row.values.get("firm_credit_code")
        if not code:
            continue
        org = existing.get(code)
        region = regions.get(row.values.get("region_code") or "")
        if org is not None and org.kind != OrganizationKind.FIRM:
            errors.append(
                RowError(
                    row.number,
                    "firm_credit_code",
                    _("该信用代码属于非企业组织“%(name)s”。") % {"name": org.name},
                )
            )
        elif org is None and region is not None and row.values.get("firm_name"):
            new_orgs.setdefault(code, _NewOrg(row.number, row.values["firm_name"], region))
    if publish:
        for row in rows:
            values = row.values
            if not (values.get("title") and values.get("description")):
                continue
            hits = negative_list_hits(
                title=values["title"],
                description=values["description"],
                keywords=values.get("keywords") or [],
                chain_paths=[
                    chain_paths[s] for s in values.get("chains") or [] if s in chain_paths
                ],
            )
            if hits:
                errors.append(
                    RowError(
                        row.number,
                        "",
                        _("命中负面清单，不能直接发布：%(entries)s。")
                        % {"entries": "；".join(f"{h}（{h.reason}）" for h in hits)},
                    )
                )
    _raise_if_errors(errors, CAPABILITY_COLUMNS, limits)
    return _Plan(rows=rows, regions=regions, orgs=existing, new_orgs=new_orgs)


def _service_errors(row: int, exc: Exception) -> list[RowError]:
    """Errors a service raised while writing a row, in the exchange format's field names."""
    if isinstance(exc, IntegrityError):
        return [RowError(row, "", _("与已有数据冲突（编号或名称重复），请检查后重试。"))]
    if not isinstance(exc, DomainError) or not exc.fields:
        return [RowError(row, "", getattr(exc, "message", str(exc)))]
    return [
        RowError(row, FIELD_ALIASES.get(name, name), "；".join(messages))
        for name, messages in exc.fields.items()
    ]


def _import_audit(
    *,
    actor: Actor | None,
    kind: ExchangeKind,
    target: ScenarioNeed | Capability,
    row: int,
    publish: bool,
    batch: str,
    fmt: Format,
    filename: str,
) -> None:
    audit_record(
        actor=actor,
        action=f"{kind}.import",
        target=target,
        to_state=target.status,
        reason=(
            _("批量导入：已在其他渠道审批，作为已发布导入。") if publish else _("批量导入为草稿。")
        ),
        data={
            "ref": target.ref,
            "batch": batch,
            "format": fmt,
            "file": filename[:200],
            "row": row,
            "imported_as_published": publish,
        },
    )


def _firm_verify_for_import(*, actor: Actor | None, firm: Organization, batch: str) -> Organization:
    """Verify a firm whose capabilities an approved list publishes (audited as the import)."""
    if firm.is_verified:
        return firm
    return organization_verify(
        actor=actor,
        organization=firm,
        reason=_("导入已审批的能力清单时认证（批次 %(b)s）。") % {"b": batch},
    )


def _new_batch() -> str:
    return uuid.uuid4().hex[:12]


def needs_import(
    *,
    actor: Actor | None,
    data: bytes | None = None,
    rows: Sequence[Any] | None = None,
    fmt: str | None = None,
    filename: str = "",
    publish: bool = False,
    dry_run: bool = False,
) -> ImportResult:
    """Import scenario needs (机会清单) from an exchange-format file, all or nothing.

    ``data`` is the file (format from ``fmt`` or ``filename``); ``rows`` a list of objects
    as in JSON. ``actor`` None is the trusted operator (management command); otherwise a
    platform admin or a province committee member. An agency named in ``org_name`` is
    found by kind and exact name, or created in the first row's region. Needs start as
    drafts; ``publish`` (operator or platform admin) creates them published for a list
    already approved elsewhere, audits each as such and starts matching after commit.
    Raises ``ImportRejected`` listing every problem; nothing is written then, nor on a
    ``dry_run``.
    """
    _check_importer(actor, publish=publish)
    limits = ExchangeLimits.current()
    detected, parsed = _parse_input(
        NEED_COLUMNS, data=data, rows=rows, fmt=fmt, filename=filename, limits=limits
    )
    plan = _plan_needs(parsed, limits)
    batch = _new_batch()
    status = NeedStatus.PUBLISHED if publish else NeedStatus.DRAFT
    agencies = dict(plan.orgs)
    errors: list[RowError] = []
    refs: list[str] = []
    created_orgs: list[str] = []
    with transaction.atomic(), events.bulk_publishing():
        for row in plan.rows:
            v = row.values
            try:
                with transaction.atomic():
                    agency = agencies.get(v["org_name"])
                    new_agency = agency is None
                    if agency is None:
                        planned = plan.new_orgs[v["org_name"]]
                        agency = organization_create(
                            actor=None,
                            kind=OrganizationKind.AGENCY,
                            name=planned.name,
                            region=planned.region,
                        )
                    need = need_create(
                        actor=None,
                        agency=agency,
                        ref=v["ref"] or None,
                        status=status,
                        title=v["title"],
                        description=v["description"],
                        category=v["category"],
                        chains=v["chains"],
                        keywords=v["keywords"],
                        region=plan.regions[v["region_code"]],
                        validation_type=v["validation_type"],
                        min_trl=v["min_trl"],
                        budget_cny=v["budget_cny"],
                        deadline=v["deadline"],
                        is_major=v["is_major"],
                    )
                    _import_audit(
                        actor=actor,
                        kind="need",
                        target=need,
                        row=row.number,
                        publish=publish,
                        batch=batch,
                        fmt=detected,
                        filename=filename,
                    )
            except (DomainError, IntegrityError) as exc:
                errors.extend(_service_errors(row.number, exc))
                continue
            if new_agency:
                agencies[agency.name] = agency
                created_orgs.append(agency.name)
            refs.append(need.ref)
        _raise_if_errors(errors, NEED_COLUMNS, limits)
        if dry_run:
            transaction.set_rollback(True)
    return ImportResult(
        kind="need",
        format=detected,
        created=len(refs),
        refs=refs,
        published=publish,
        organizations_created=created_orgs,
        batch=batch,
        dry_run=dry_run,
    )


def capabilities_import(
    *,
    actor: Actor | None,
    data: bytes | None = None,
    rows: Sequence[Any] | None = None,
    fmt: str | None = None,
    filename: str = "",
    publish: bool = False,
    dry_run: bool = False,
) -> ImportResult:
    """Import capabilities (能力清单) from an exchange-format file, all or nothing.

    Firms are found by credit code (any name) or created, unverified, in the first row's
    region. Capabilities start as drafts; ``publish`` (operator or platform admin) loads
    a list approved elsewhere: the firm is verified if needed, each capability is
    submitted and published through the capability service (a negative-list hit is a row
    error) and audited as imported published. Arguments and errors as ``needs_import``.
    """
    _check_importer(actor, publish=publish)
    limits = ExchangeLimits.current()
    detected, parsed = _parse_input(
        CAPABILITY_COLUMNS, data=data, rows=rows, fmt=fmt, filename=filename, limits=limits
    )
    plan = _plan_capabilities(parsed, limits, publish=publish)
    batch = _new_batch()
    firms = dict(plan.orgs)
    errors: list[RowError] = []
    refs: list[str] = []
    created_orgs: list[str] = []
    with transaction.atomic(), events.bulk_publishing():
        for row in plan.rows:
            v = row.values
            code = v["firm_credit_code"]
            try:
                with transaction.atomic():
                    firm = firms.get(code)
                    new_firm = firm is None
                    if firm is None:
                        planned = plan.new_orgs[code]
                        firm = organization_create(
                            actor=None,
                            kind=OrganizationKind.FIRM,
                            name=planned.name,
                            region=planned.region,
                            credit_code=code,
                        )
                    cap = capability_create(
                        actor=None,
                        firm=firm,
                        ref=v["ref"] or None,
                        title=v["title"],
                        description=v["description"],
                        chains=v["chains"],
                        keywords=v["keywords"],
                        region=plan.regions[v["region_code"]],
                        trl=v["trl"],
                        certifications=v["certifications"],
                        past_cases=v["past_cases"],
                        capacity=v["capacity"],
                    )
                    if publish:
                        firm = _firm_verify_for_import(actor=actor, firm=firm, batch=batch)
                        cap = capability_submit(actor=None, capability=cap)
                        if cap.status != CapabilityStatus.PUBLISHED:
                            raise InvalidInput(
                                _("未能发布（当前状态：%(status)s）。")
                                % {"status": cap.get_status_display()}
                            )
                    _import_audit(
                        actor=actor,
                        kind="capability",
                        target=cap,
                        row=row.number,
                        publish=publish,
                        batch=batch,
                        fmt=detected,
                        filename=filename,
                    )
            except (DomainError, IntegrityError) as exc:
                errors.extend(_service_errors(row.number, exc))
                continue
            firms[code] = firm
            if new_firm:
                created_orgs.append(firm.name)
            refs.append(cap.ref)
        _raise_if_errors(errors, CAPABILITY_COLUMNS, limits)
        if dry_run:
            transaction.set_rollback(True)
    return ImportResult(
        kind="capability",
        format=detected,
        created=len(refs),
        refs=refs,
        published=publish,
        organizations_created=created_orgs,
        batch=batch,
        dry_run=dry_run,
    )


# --- Export ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    """A rendered list: its bytes, media type, a download name and the number of rows."""

    content: bytes
    content_type: str
    filename: str
    rows: int


def need_exchange_record(need: ScenarioNeed) -> dict[str, Any]:
    """A need in the exchange format (``deadline`` stays a date until a writer renders it)."""
    return {
        "ref": need.ref,
        "title": need.title,
        "description": need.description,
        "category": need.category,
        "chains": [c.slug for c in need.chains.all()],
        "keywords": list(need.keywords),
        "region_code": need.region_id,
        "validation_type": need.validation_type,
        "min_trl": need.min_trl,
        "budget_cny": need.budget_cny,
        "deadline": need.deadline,
        "is_major": need.is_major,
        "org_name": need.agency.name,
    }


def capability_exchange_record(cap: Capability) -> dict[str, Any]:
    """A capability in the exchange format."""
    return {
        "ref": cap.ref,
        "title": cap.title,
        "description": cap.description,
        "chains": [c.slug for c in cap.chains.all()],
        "keywords": list(cap.keywords),
        "region_code": cap.region_id,
        "trl": cap.trl,
        "certifications": list(cap.certifications),
        "past_cases": list(cap.past_cases),
        "capacity": cap.capacity,
        "firm_name": cap.firm.name,
        "firm_credit_code": cap.firm.credit_code or "",
    }


def _export_format(fmt: str) -> Format:
    try:
        return exchange_format_detect(fmt=fmt or "json")
    except ImportRejected as exc:
        raise InvalidInput(
            exc.errors[0].reason, fields={"format": [exc.errors[0].reason]}
        ) from None


def opportunity_list_export(*, fmt: str) -> ExportFile:
    """The published opportunity list (机会清单) as JSON, CSV or XLSX in the exchange format.

    Only public needs (published and later stages) are listed, without confidential fields.
    """
    chosen = _export_format(fmt)
    records = [
        need_exchange_record(n) for n in selectors.need_public_list().iterator(chunk_size=500)
    ]
    return _render(NEED_COLUMNS, records, fmt=chosen, stem="opportunity-list", sheet="机会清单")


def capabilities_export(*, fmt: str) -> ExportFile:
    """The published capability list (能力清单) as JSON, CSV or XLSX in the exchange format."""
    chosen = _export_format(fmt)
    records = [
        capability_exchange_record(c)
        for c in selectors.capability_public_list().iterator(chunk_size=500)
    ]
    return _render(
        CAPABILITY_COLUMNS, records, fmt=chosen, stem="capability-list", sheet="能力清单"
    )


def _render(
    columns: Sequence[Column], records: list[dict[str, Any]], *, fmt: Format, stem: str, sheet: str
) -> ExportFile:
    if fmt == "json":
        content = _json_bytes(records)
    elif fmt == "csv":
        content = _csv_bytes(columns, records)
    else:
        content = _xlsx_bytes(columns, records, sheet=sheet)
    return ExportFile(
        content=content,
        content_type=CONTENT_TYPES[fmt],
        filename=f"{stem}-{timezone.localdate():%Y%m%d}.{fmt}",
        rows=len(records),
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _json_bytes(records: list[dict[str, Any]]) -> bytes:
    return (
        json.dumps(records, ensure_ascii=False, indent=2, default=_json_default) + "\n"
    ).encode()


def _is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def csv_neutralise(text: str) -> str:
    """Prefix text a spreadsheet would run as a formula with an apostrophe.

    Text that already starts with apostrophes before such a character gets one more, so
    ``csv_unescape`` restores every value exactly.
    """
    if _is_formula_like(text.lstrip("'")):
        return "'" + text
    return text


def _csv_unescape(text: str) -> str:
    if text.startswith("'") and _is_formula_like(text.lstrip("'")):
        return text[1:]
    return text


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return csv_neutralise(LIST_SEPARATOR.join(value))
    return csv_neutralise(str(value))


def _csv_bytes(columns: Sequence[Column], records: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.name for c in columns])
    for record in records:
        writer.writerow([_csv_cell(record[c.name]) for c in columns])
    # The BOM makes Excel read the file as UTF-8; the reader accepts it.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP_ALIGNMENT = Alignment(vertical="top", wrap_text=True)
TOP_ALIGNMENT = Alignment(vertical="top")


def _xlsx_cell(cell: Any, column: Column, value: Any) -> None:
    """Write one value; text is always stored as text, never as a formula."""
    if value is None:
        return
    if isinstance(value, bool):
        cell.value = "是" if value else "否"
    elif isinstance(value, int):
        cell.value = value
        if column.name == "budget_cny":
            cell.number_format = "#,##0"
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    else:
        text = LIST_SEPARATOR.join(value) if isinstance(value, list) else str(value)
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
        cell.value = text
        cell.data_type = "s"  # openpyxl turns "=..." into a formula unless told otherwise
        if _is_formula_like(text):
            cell.quotePrefix = True
    cell.alignment = WRAP_ALIGNMENT if column.width >= 24 else TOP_ALIGNMENT


def _column_width(column: Column, records: Sequence[dict[str, Any]]) -> float:
    widest = _display_width(column.header)
    for record in records[:1000]:
        value = record[column.name]
        if isinstance(value, list):
            value = LIST_SEPARATOR.join(value)
        text = "是" if value is True else "否" if value is False else _cell_text(value or "")
        widest = max(widest, _display_width(text.split("\n", 1)[0][:200]))
    return min(widest, column.width) + 2


def _xlsx_bytes(columns: Sequence[Column], records: list[dict[str, Any]], *, sheet: str) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.properties.creator = "场景机会撮合平台"
    workbook.properties.title = sheet
    ws = workbook.active
    ws.title = sheet
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=index, value=column.header)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
        ws.column_dimensions[get_column_letter(index)].width = _column_width(column, records)
    for row_index, record in enumerate(records, start=2):
        for index, column in enumerate(columns, start=1):
            _xlsx_cell(ws.cell(row=row_index, column=index), column, record[column.name])
    last = get_column_letter(len(columns))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{last}{len(records) + 1}"
    ws.row_dimensions[1].height = 24
    # Printed for leaders: landscape, one page wide, the header repeated on every page.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    _legend_sheet(workbook, columns)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _column_note(column: Column) -> str:
    if column.choices is not None:
        with translation.override("zh-hans"):
            options = "；".join(f"{v}（{label}）" for v, label in column.choices.choices)
        return options + ("；多个用 ; 分隔" if column.many else "")
    return column.note


def _legend_sheet(workbook: Any, columns: Sequence[Column]) -> None:
    """A second sheet explaining every column: field name, header, required, values."""
    ws = workbook.create_sheet("填写说明")
    ws.append(["字段名", "中文表头", "必填", "填写说明"])
    for column in columns:
        ws.append(
            [column.name, column.header, "是" if column.required else "否", _column_note(column)]
        )
    for cell in ws[1]:
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
    for letter, width in zip("ABCD", (18, 20, 8, 80), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2):
        row[3].alignment = WRAP_ALIGNMENT
    ws.freeze_panes = "A2"
