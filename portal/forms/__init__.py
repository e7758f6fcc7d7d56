"""Forms of the pages. They check the shape of what people type; every rule is the service's,
and a service's refusal is shown on the form's fields (``apply_service_errors``)."""

from collections.abc import Iterable, Mapping
from typing import Any, cast

from django import forms

from core.errors import DomainError


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
        form.add_error(None, "；".join([exc.message, *unplaced]) if unplaced else exc.message)


def set_choices(form: forms.Form, name: str, choices: Iterable[tuple[Any, Any]]) -> None:
    """Fill a choice field's options when the form is made (they come from cached trees)."""
    cast(forms.ChoiceField, form.fields[name]).choices = list(choices)


class StyledForm(forms.Form):
    """Bootstrap classes on every widget (Django adds aria-invalid and aria-describedby for
    errors and help texts itself)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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
