"""Forms of the pages. They check the shape of what people type; every rule is the service's,
and a service's refusal is shown on the form's fields (``apply_service_errors``)."""

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, cast

from django import forms
from django.utils.datastructures import MultiValueDict
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from core.errors import DomainError, StaleVersion

T = TypeVar("T")


def service_message(exc: DomainError) -> str:
    """A service's refusal as a page says it: a stale version in words, not version numbers
    (the API's message names them for clients; a person sees the page drawn afresh)."""
    if isinstance(exc, StaleVersion):
        return _(
            "这一条在您打开页面之后已被修改（同事或您在另一个窗口所改），"
            "页面已显示最新内容，请核对后再操作。"
        )
    return str(exc.message)


def apply_service_errors(
    form: forms.Form, exc: DomainError, aliases: Mapping[str, str] | None = None
) -> None:
    """Show a service's refusal in place: each field message on the form's field of that
    name (through ``aliases`` where the names differ), anything else above the form."""
    aliases = aliases or {}
    unplaced: list[str] = []
    for name, messages in exc.fields.items():
        field = aliases.get(name, name)
        for message in messages:
            if field in form.fields:
                form.add_error(field, message)
            else:
                unplaced.append(message)
    if unplaced or not exc.fields:
        # The summary once, then the field messages it does not already say.
        summary = service_message(exc)
        said = [m for m in dict.fromkeys(unplaced) if str(m).rstrip("。；") not in summary]
        form.add_error(None, messages_line([summary, *said]))


def messages_line(messages: Iterable[Any]) -> str:
    """Messages of one place (a field, a form) as one line. In Chinese one sentence: each
    message's own closing 。 or ； dropped, joined by ；, one 。 at the end (joined as they
    are, they read "。；"). In English the sentences one after the other."""
    texts = [str(m).strip() for m in messages if str(m).strip()]
    if not texts:
        return ""
    if (get_language() or "").startswith("en"):
        return " ".join(t if t[-1] in ".!?。" else f"{t}." for t in texts)
    return "；".join(t.rstrip("。；;.") for t in texts) + "。"


def service_check(field: str, check: Callable[[], T]) -> T:
    """Run a service's check of one field's value from the form's ``clean_<field>``: its
    refusal becomes that field's error. The service itself runs only once the whole form is
    valid, so a rule checked there alone showed in a second round, after the other fields'
    errors were fixed."""
    try:
        return check()
    except DomainError as exc:
        raise forms.ValidationError(list(exc.fields.get(field) or [exc.message])) from exc


def set_choices(form: forms.Form, name: str, choices: Iterable[tuple[Any, Any]]) -> None:
    """Fill a choice field's options when the form is made (they come from cached trees)."""
    cast(forms.ChoiceField, form.fields[name]).choices = list(choices)


# An input method's full-width digits and point are the same number typed another way.
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９．", "0123456789.")
_PLAIN_DECIMAL = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


class PlainDecimalField(forms.DecimalField):
    """A number typed on a page: digits and a point, ASCII or full-width (０–９ and ．).

    Django's ``DecimalField`` reads what Python's ``Decimal`` reads: "1_000" as 1000, "5__0"
    as 50, "1e3" and other scripts' digits, while it refused "１０．５". A comma or an
    underscore is refused saying to write the digits without separators (is "1,5" 1.5 or 15?);
    anything else that is not digits and a point is the field's "invalid" message."""

    default_error_messages = {
        "separator": gettext_lazy("请直接写数字，不加逗号、下划线等分隔符（如 1000）。")
    }

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().translate(_FULL_WIDTH_DIGITS)
            if value and not _PLAIN_DECIMAL.fullmatch(value):
                code = "separator" if any(ch in value for ch in ",，_") else "invalid"
                raise forms.ValidationError(self.error_messages[code], code=code)
        return super().to_python(value)


class StyledBoundField(forms.BoundField):
    """A field with errors is drawn red (``is-invalid``) besides Django's aria-invalid."""

    def build_widget_attrs(self, attrs: Any, widget: Any = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors and not (widget or self.field.widget).is_hidden:
            css = (widget or self.field.widget).attrs.get("class", "")
            attrs["class"] = f"{attrs.get('class', css)} is-invalid".strip()
        return attrs


def lf_line_breaks(data: Any) -> Any:
    """Submitted text with each line break one LF. A browser sends a textarea's line breaks
    as CRLF but counts each as one character against its ``maxlength``; counted as sent, a
    text the browser let through was refused as too long by as many characters as it has
    lines, and what is stored differed from what the API stores for the same text."""
    if isinstance(data, MultiValueDict):  # a request's QueryDict
        normalised = data.copy()
        for key, values in data.lists():
            normalised.setlist(key, [_lf(value) for value in values])
        return normalised
    if isinstance(data, Mapping):
        return {key: _lf(value) for key, value in data.items()}
    return data


def _lf(value: Any) -> Any:
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


class StyledForm(forms.Form):
    """Bootstrap classes on every widget (Django adds aria-invalid and aria-describedby for
    errors and help texts itself; fields with errors are drawn red). Line breaks in what is
    submitted are one LF each (``lf_line_breaks``), so lengths count as the browser counts."""

    bound_field_class = StyledBoundField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound:
            self.data = lf_line_breaks(self.data)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.CheckboxSelectMultiple):
                css = ""
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            if css:
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
