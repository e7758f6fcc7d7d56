"""Signing in and up: firm sign-up, invitations, password reset."""

import unicodedata
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.services.signup import firm_signup_problems
from accounts.validators import phone_validator
from portal.forms import StyledForm, set_choices
from reference.selectors import RegionNode, home_region_tree, provinces

PASSWORD_HELP = _("至少 8 位，不能全是数字，不能过于常见或与用户名相近。")


def region_choices() -> list[tuple[str, Any]]:
    """Every region of China grouped by province, cities and counties indented; the home
    province (where most firms here are) first."""
    groups: list[tuple[str, Any]] = [("", _("请选择所在地区"))]
    home = home_region_tree().code

    def walk(node: RegionNode, depth: int, options: list[tuple[str, str]]) -> None:
        options.append((node.code, "\u3000" * depth + node.name))
        for child in sorted(node.children, key=lambda n: n.code):
            walk(child, depth + 1, options)

    for province in sorted(provinces(), key=lambda n: (n.code != home, n.code)):
        options: list[tuple[str, str]] = []
        walk(province, 0, options)
        groups.append((province.name, options))
    return groups


class LoginForm(AuthenticationForm, StyledForm):
    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasswordPairMixin(StyledForm):
    password1 = forms.CharField(
        label=_("密码"),
        strip=False,
        max_length=128,
        help_text=PASSWORD_HELP,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("再次输入密码"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") != data.get("password1"):
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data


class CreditCodeField(forms.CharField):
    """A credit code as people copy it: grouped with spaces ("9136 0102 …"), in full-width
    characters from a Chinese document, in lower case; read as the 18 characters it is."""

    def to_python(self, value: Any) -> str:
        text = unicodedata.normalize("NFKC", str(value or ""))
        return "".join(text.split()).upper()


class FirmSignupForm(PasswordPairMixin):
    firm_name = forms.CharField(label=_("企业名称"), max_length=128)
    credit_code = CreditCodeField(
        label=_("统一社会信用代码"),
        min_length=18,
        max_length=18,
        help_text=_("18 位，营业执照上的代码；平台按 GB 32100 校验。"),
        error_messages={
            "min_length": _("统一社会信用代码应为18位。"),
            "max_length": _("统一社会信用代码应为18位。"),
        },
        widget=forms.TextInput(
            # Characters 3-8 of the code are the registering authority's region: the page
            # picks it in the region list as the code is typed (still the firm's to change).
            attrs={
                "autocapitalize": "characters",
                "spellcheck": "false",
                "data-region-field": "id_region",
            }
        ),
    )
    region = forms.ChoiceField(
        label=_("企业所在地"),
        help_text=_("填写信用代码后自动选为登记机关所在地，可以更改。"),
    )
    contact_name = forms.CharField(label=_("联系人"), max_length=64, required=False)
    contact_phone = forms.CharField(
        label=_("联系电话"), max_length=32, required=False, validators=[phone_validator]
    )
    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        help_text=_("登录时使用，英文字母、数字和 @/./+/-/_。"),
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    email = forms.EmailField(
        label=_("邮箱"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    field_order = [
        "firm_name",
        "credit_code",
        "region",
        "contact_name",
        "contact_phone",
        "username",
        "email",
        "password1",
        "password2",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "region", region_choices())
        # A code pasted with spaces in or around it would lose its last characters to an
        # input cut at 18; the spaces are dropped here and the length checked after.
        self.fields["credit_code"].widget.attrs["maxlength"] = "32"

    # The service's names of the fields it checks, by the form's names.
    SERVICE_NAMES = {
        "firm_name": "firm_name",
        "credit_code": "credit_code",
        "region": "region_code",
        "username": "username",
        "email": "email",
        "password1": "password",
    }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            # The sign-up service checks the rest only once the form is valid, which showed
            # the problems in rounds; while some field is refused, check the others now.
            refused = {
                service
                for field, service in self.SERVICE_NAMES.items()
                if field in self.errors or field not in data
            }
            problems = firm_signup_problems(
                username=data.get("username", ""),
                password=data.get("password1", ""),
                email=data.get("email", ""),
                firm_name=data.get("firm_name", ""),
                credit_code=data.get("credit_code", ""),
                region_code=data.get("region", ""),
                skip=refused,
            )
            form_names = {service: field for field, service in self.SERVICE_NAMES.items()}
            for name, messages in problems.items():
                for message in messages:
                    self.add_error(form_names[name], message)
        return data


class InvitationAcceptForm(PasswordPairMixin):
    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    field_order = ["username", "password1", "password2"]


class PasswordResetRequestForm(StyledForm):
    email = forms.EmailField(
        label=_("注册邮箱"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class PasswordResetConfirmForm(PasswordPairMixin):
    pass
