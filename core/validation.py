"""Model validation as the services report it."""

import unicodedata
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

from core.errors import InvalidInput


def full_clean_or_raise(obj: models.Model, *, exclude: Iterable[str] = ()) -> None:
    """Run model validation and turn Django's ValidationError into InvalidInput (400)."""
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=True)
    except ValidationError as exc:
        raise InvalidInput(
            _("数据校验失败。"),
            fields={
                field: [_message(error) for error in errors]
                for field, errors in exc.error_dict.items()
            },
        ) from exc


def _message(error: ValidationError) -> str:
    """One field error as a reader should see it. A value another row holds already reads
    "该编号已被使用。", not Django's "具有 编号 的 场景需求 已存在。" (with its stray spaces)."""
    if error.code == "unique" and error.params and "field_label" in error.params:
        return _("该%(field)s已被使用。") % {"field": error.params["field_label"]}
    return " ".join(error.messages)


# Bidirectional embedding, override and isolate controls: they reorder what follows them on
# screen (a title that reads differently from what it says), and no one types them.
# (The directional marks U+200E, U+200F and U+061C are not among them: they affect one
# neighbouring character, and text pasted from other software carries them.)
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Line breaks and tabs are text in a description; every other C0/C1 control is not.
TEXT_WHITESPACE = frozenset("\t\n\r")


# Characters that render as nothing though they are not format characters (Cf): the Hangul
# fillers, which fonts draw blank, besides the combining marks and variation selectors (Mn,
# Me), which attach to the character before them and show nothing on their own in names.
FILLERS = frozenset("\u115f\u1160\u3164\uffa0")


def invisible(ch: str) -> bool:
    """Whether ``ch`` shows nothing by itself: a control or format character (zero-width
    spaces and joiners, direction marks), a combining mark or variation selector, a filler."""
    return unicodedata.category(ch) in ("Cc", "Cf", "Mn", "Me") or ch in FILLERS


def text_problem(text: str, *, single_line: bool = False) -> str | None:
    """Why ``text`` cannot be stored as people's text, or None: control characters (escape,
    bell, NUL…), bidirectional overrides, line breaks in a one-line field, or nothing
    visible at all (only spaces and zero-width characters)."""
    for ch in text:
        if ch in BIDI_CONTROLS:
            return _("不能含文字方向控制字符（如 U+202E）。")
        if unicodedata.category(ch) == "Cc" and (single_line or ch not in TEXT_WHITESPACE):
            if ch in TEXT_WHITESPACE:
                return _("不能含换行或制表符。")
            return _("不能含不可见的控制字符（U+%(code)04X）。") % {"code": ord(ch)}
    if text and not any(not ch.isspace() and not invisible(ch) for ch in text):
        return _("只有空白或不可见字符，请填写内容。")
    return None


def check_text(field: str, text: str, *, single_line: bool = False) -> None:
    """``text_problem`` as an InvalidInput on ``field``: for the words people type that the
    services store beside a decision (a reason, a comment, a note), which others read."""
    if problem := text_problem(text, single_line=single_line):
        raise InvalidInput(_("填写的文字中有不能保存的字符。"), fields={field: [problem]})


def max_length(model: type[models.Model], field: str) -> int:
    """The number of characters ``model.field`` stores."""
    return int(model._meta.get_field(field).max_length)  # type: ignore[union-attr,arg-type]


def check_length(field: str, text: str, *, limit: int) -> None:
    """Refuse ``text`` longer than ``limit`` characters as an InvalidInput on ``field``: what
    people type is stored whole or refused with the reason, never cut short unsaid."""
    if len(text) > limit:
        problem = _("最多 %(max)s 个字符（当前 %(n)s 个）。") % {"max": limit, "n": len(text)}
        raise InvalidInput(_("数据校验失败。"), fields={field: [problem]})


@deconstructible
class VisibleText:
    """A model field validator: ``text_problem`` as a ValidationError."""

    def __init__(self, single_line: bool = False) -> None:
        self.single_line = single_line

    def __call__(self, value: Any) -> None:
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, str):
                problem = text_problem(item, single_line=self.single_line)
                if problem:
                    raise ValidationError(problem, code="invisible")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VisibleText) and other.single_line == self.single_line

    def __hash__(self) -> int:
        return hash(("VisibleText", self.single_line))


one_line_text = VisibleText(single_line=True)
visible_text = VisibleText()
