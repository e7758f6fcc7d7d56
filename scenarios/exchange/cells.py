"""Reading one cell (pure): types, choices, ranges, dates, lists; and spreadsheet escaping."""

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from core.validation import text_problem
from core.words import listing
from scenarios.exchange.columns import Column, choice_aliases

LIST_SEPARATOR = ";"

LIST_SPLIT_RE = re.compile("[;；]")

LINE_SPLIT_RE = re.compile(r"\r\n|[\r\n]")


def join_list(column: Column, items: list[str]) -> str:
    """A list cell as the CSV and XLSX exports write it, read back as the same items."""
    if not column.one_per_line:
        return LIST_SEPARATOR.join(items)
    text = "\n".join(items)
    # One item with an ASCII ";" would be split by the older rule: a line break says "lines".
    return text + "\n" if len(items) == 1 and ";" in text else text


def split_list(column: Column, text: str) -> list[str]:
    if not column.one_per_line:
        return LIST_SPLIT_RE.split(text)
    return LINE_SPLIT_RE.split(text) if LINE_SPLIT_RE.search(text) else text.split(";")


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# Line breaks and tabs, with the spaces around them, inside a one-line cell.
LINE_BREAKS_RE = re.compile(r"\s*[\t\r\n]+\s*")


DATE_RE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")

TRUE_WORDS = frozenset({"true", "1", "是"})

FALSE_WORDS = frozenset({"false", "0", "否"})


class CellError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def cell_text(value: Any) -> str:
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


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _empty(column: Column) -> Any:
    if column.default is not None:
        return column.default
    if column.kind == "list" or column.many:
        return []
    if column.kind in ("str", "text", "enum"):
        return ""
    return None


def _cell_too_long(column: Column, value: str, max_cell: int) -> str:
    """Why a cell over the file's cell limit is refused: a text field with a limit of its
    own below that one names its own (a title of 10,000 characters is over 200, not 5000)."""
    if column.kind in ("str", "text") and not column.many and column.max_length < max_cell:
        return _("最多 %(max)s 个字符（当前 %(n)s 个）。") % {
            "max": column.max_length,
            "n": len(value),
        }
    return _("单元格内容过长（%(n)s 个字符，上限 %(max)s）。") % {"n": len(value), "max": max_cell}


def convert_cell(column: Column, value: Any, *, typed: bool, max_cell: int) -> Any:
    """Read one cell; ``typed`` (JSON) means the JSON type must already be right."""
    if isinstance(value, str) and len(value) > max_cell:
        raise CellError(_cell_too_long(column, value, max_cell))
    if is_blank(value):
        if column.required:
            raise CellError(_("必填。"))
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
        raise CellError(_("应为字符串。"))
    text = cell_text(value).strip()
    if column.kind == "str":
        # A one-line field: a line break typed in the cell (Alt+Enter) or a tab reads as a
        # space, rather than refusing the row.
        text = LINE_BREAKS_RE.sub(" ", text)
    problem = text_problem(text)
    if problem:
        raise CellError(problem)
    if column.upper:
        text = text.upper()
    if len(text) > column.max_length:
        raise CellError(
            _("最多 %(max)s 个字符（当前 %(n)s 个）。") % {"max": column.max_length, "n": len(text)}
        )
    if column.check is not None:
        problem = column.check(text)
        if problem:
            raise CellError(problem)
    return text


def _to_choice(column: Column, text: str) -> str:
    assert column.choices is not None  # noqa: S101 - columns of type enum always have choices
    aliases = choice_aliases(column.choices)
    value = aliases.get(text) or aliases.get(text.lower())
    if value is None:
        raise CellError(
            _("无效的选项“%(value)s”；可选：%(choices)s。")
            % {"value": text[:40], "choices": ", ".join(column.choices.values)}
        )
    return value


def _to_list(column: Column, value: Any, *, typed: bool, max_cell: int) -> list[str]:
    if typed:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise CellError(_("应为字符串列表。"))
        items = [v.strip() for v in value]
        too_long = [v for v in items if len(v) > max_cell]
        if too_long:
            if column.max_length < max_cell:
                raise CellError(_list_items_too_long(column, too_long))
            raise CellError(_("列表项过长。"))
        if column.one_per_line:
            if any(LINE_SPLIT_RE.search(v) for v in items):
                raise CellError(_("列表项不能包含换行。"))
        elif any(LIST_SPLIT_RE.search(v) for v in items):
            raise CellError(_("列表项不能包含分号（; 或 ；）。"))
    else:
        items = [v.strip() for v in split_list(column, cell_text(value))]
    items = list(dict.fromkeys(v for v in items if v))
    if not items:
        if column.required:
            raise CellError(_("必填。"))
        return []
    problem = next((p for p in map(text_problem, items) if p), None)
    if problem:
        raise CellError(problem)
    if len(items) > column.max_items:
        raise CellError(
            _("最多 %(max)s 项（当前 %(n)s 项）。") % {"max": column.max_items, "n": len(items)}
        )
    too_long = [v for v in items if len(v) > column.max_length]
    if too_long:
        raise CellError(_list_items_too_long(column, too_long))
    if column.choices is not None:
        aliases = choice_aliases(column.choices)
        bad = [v for v in items if v not in aliases and v.lower() not in aliases]
        if bad:
            raise CellError(
                _("无效的选项：%(bad)s；可选：%(choices)s。")
                % {"bad": listing(bad[:5]), "choices": ", ".join(column.choices.values)}
            )
        items = list(dict.fromkeys(aliases.get(v) or aliases[v.lower()] for v in items))
    return items


def _list_items_too_long(column: Column, too_long: list[str]) -> str:
    return _("每项最多 %(max)s 个字符：%(items)s。") % {
        "max": column.max_length,
        "items": listing(v[:20] + "…" for v in too_long[:3]),
    }


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
            # Decimal reads "1_000" as 1000 and "5__0" as 50: no page or API takes them.
            decimal = None if "_" in text else Decimal(text)
        except InvalidOperation:
            decimal = None
        if decimal is not None and decimal.is_finite() and decimal == decimal.to_integral_value():
            number = int(decimal)
    if number is None:
        raise CellError(_("应为整数。"))
    low, high = column.min_value, column.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        if low is not None and high is not None:
            raise CellError(_("应为 %(min)s–%(max)s 之间的整数。") % {"min": low, "max": high})
        raise CellError(_("不能小于 %(min)s。") % {"min": low})
    return number


def _to_bool(value: Any, *, typed: bool) -> bool:
    if isinstance(value, bool):
        return value
    if not typed:
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        text = cell_text(value).strip().lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
    raise CellError(_("应为 true/false、是/否 或 1/0。"))


def _to_date(value: Any, *, typed: bool) -> date:
    if isinstance(value, datetime):
        if typed:
            raise CellError(_("应为日期（YYYY-MM-DD）。"))
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise CellError(_("应为日期（YYYY-MM-DD）。"))
    match = DATE_RE.fullmatch(value.strip())
    if match is None:
        raise CellError(_("应为日期（YYYY-MM-DD）。"))
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise CellError(_("日期不存在：%(value)s。") % {"value": value.strip()}) from None


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def csv_neutralise(text: str) -> str:
    """Prefix text a spreadsheet would run as a formula with an apostrophe.

    Text that already starts with apostrophes before such a character gets one more, so
    ``csv_unescape`` restores every value exactly.
    """
    if is_formula_like(text.lstrip("'")):
        return "'" + text
    return text


def csv_unescape(text: str) -> str:
    if text.startswith("'") and is_formula_like(text.lstrip("'")):
        return text[1:]
    return text
