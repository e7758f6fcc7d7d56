"""Validators for official codes (GB 32100-2015 unified social credit codes) and phone
numbers."""

import functools
import unicodedata

import opencc
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.validation import invisible

# A phone number as people write one: digits with +, -, brackets, spaces, an extension
# after 转 or "ext"; at least five digits. Letters and markup are a typing slip.
phone_validator = RegexValidator(
    r"^(?=(?:\D*\d){5})[0-9+\-()（） ]+(?:(?:转|ext\.?|x)\s*[0-9]{1,6})?$",
    message=gettext_lazy("请填写电话号码：数字，可含 +、-、括号、空格，分机写在“转”之后。"),
    code="invalid_phone",
)

# GB 32100-2015 character set: digits and capital letters without I, O, Z, S, V.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11714 organization code (characters 9-17 of a credit code).
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def credit_code_check_char(first17: str) -> str:
    """Return the 18th (check) character for the first 17 characters of a credit code."""
    total = sum(
        CREDIT_CODE_CHARSET.index(ch) * w
        for ch, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def org_code_check_char(first8: str) -> str:
    """Return the GB 11714 check character (0-9 or X) for an organization code body."""
    total = sum(_org_code_value(ch) * w for ch, w in zip(first8, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _org_code_value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def credit_code_problem(code: str) -> str | None:
    """Explain why ``code`` is not a valid credit code, or return None when it is valid."""
    if len(code) != 18:
        return str(_("统一社会信用代码应为18位。"))
    bad = [ch for ch in code if ch not in CREDIT_CODE_CHARSET]
    if bad:
        return str(_("统一社会信用代码含有非法字符：%(chars)s。") % {"chars": "".join(bad)})
    if not code[2:8].isdigit():
        return str(_("统一社会信用代码第3-8位应为行政区划代码。"))
    if code[17] != credit_code_check_char(code[:17]):
        return str(_("统一社会信用代码校验位错误。"))
    # Characters 9-17 are a GB 11714 organization code with its own check character.
    if code[16] != org_code_check_char(code[8:16]):
        return str(_("统一社会信用代码中的组织机构代码校验位错误。"))
    return None


def validate_credit_code(value: str) -> None:
    """Django field validator for GB 32100-2015 unified social credit codes."""
    problem = credit_code_problem(value)
    if problem:
        raise ValidationError(problem, code="invalid_credit_code")


# Characters a look-alike name hides: zero-width spaces and joiners, direction marks and
# overrides, and the other invisible format characters (Unicode category Cf), and controls.
def _invisible(ch: str) -> bool:
    return invisible(ch)


# Organizational forms that are one legal form written two ways: names that differ only in
# them read as the same name (as the company registry treats them).
_SAME_FORM = (("有限责任公司", "有限公司"),)


@functools.cache
def _to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@functools.cache
def _to_traditional() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def to_traditional(text: str) -> str:
    """``text`` in traditional characters (to find names stored in them)."""
    return str(_to_traditional().convert(text))


def organization_name_key(name: str) -> str:
    """What two organization names are compared by: NFKC (full-width letters, compatibility
    forms), no invisible characters, spaces or punctuation, traditional characters as
    simplified (贛 as 赣), one spelling of each organizational form, case-folded."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(
        ch
        for ch in text
        if not _invisible(ch) and not ch.isspace() and not unicodedata.category(ch).startswith("P")
    )
    text = _to_simplified().convert(text)
    for long_form, short_form in _SAME_FORM:
        text = text.replace(long_form, short_form)
    return text.casefold()


# Organizational forms at the end of a name, longest first: what is left is the name's core,
# which a look-alike keeps while changing the form (股份有限公司 for 有限公司).
_FORMS = ("股份有限公司", "集团有限公司", "有限公司", "集团公司", "集团", "公司")


def organization_name_core(name: str) -> str:
    """The name's key without its organizational form."""
    key = organization_name_key(name)
    for form in _FORMS:
        if key.endswith(form) and len(key) > len(form):
            return key[: -len(form)]
    return key


# Full stops an input method types in place of "." (ideographic, full-width, half-width).
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


def normalized_email(email: str) -> str:
    """An e-mail address as stored and compared: NFKC (full-width ＠ and letters become
    ASCII), an input method's full stops as ".", no surrounding blanks; two spellings of
    one address must not make two accounts."""
    return unicodedata.normalize("NFKC", email.strip()).translate(_DOTS)


def email_problem(email: str) -> str | None:
    """Why an address cannot be stored, beyond the e-mail validator's own checks."""
    if any(_invisible(ch) for ch in email):
        return _("邮箱地址不能包含不可见字符。")
    return None


# Punctuation that ends a clause (after NFKC, which makes full-width forms ASCII), and line
# breaks: a banned phrase is not read across them.
_CLAUSE_BREAKS = frozenset(",.;:!?\n\r、。")


def folded_text(text: str, *, joined: bool = True) -> str:
    """``text`` as a banned word is looked for in it: NFKC, traditional characters as
    simplified, case-folded, without invisible characters (``core.validation.invisible``),
    and without the spaces and punctuation that split a word (虚拟货币 挖矿, “挖矿”,
    挖\u200b矿, gam-bling); punctuation that ends a clause stays a break ("|"), and between
    two Latin words one space stays, so "big ambling" does not read as "gambling".
    ``joined=False`` reads that punctuation as a space instead (crypto-mining as "crypto
    mining"): a keyword is looked for in both readings."""
    text = _to_simplified().convert(unicodedata.normalize("NFKC", text)).casefold()
    out: list[str] = []
    split = False
    for ch in text:
        if ch in _CLAUSE_BREAKS:
            # Between clauses, not inside a word: 工艺落后，产能不足 is not 落后产能.
            if out and out[-1] != "|":
                out.append("|")
            split = False
            continue
        if _invisible(ch):
            continue  # hidden inside a word: no split
        if ch.isspace():
            split = True
            continue
        if unicodedata.category(ch)[0] in "PSZ":
            # quotes, brackets, hyphens inside a word: 虚拟货币“挖矿”, gam-bling
            split = split or not joined
            continue
        if split and out and out[-1].isascii() and out[-1].isalnum() and ch.isascii():
            out.append(" ")
        split = False
        out.append(ch)
    return "".join(out)


def within_one_edit(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with at most one character changed, added or removed."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


def organization_name_problem(name: str) -> str | None:
    """Why a name typed at sign-up cannot be used as it is, or None."""
    if any(_invisible(ch) for ch in name):
        return _("名称不能包含不可见字符或文字方向控制字符。")
    if not organization_name_key(name):
        return _("请填写名称。")
    return None


def credit_code_province(code: str) -> str:
    """The province (first two digits of the GB/T 2260 code) of the authority that
    registered a credit code; "10" for national registration."""
    return code[2:4]
