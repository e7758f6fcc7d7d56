"""Self-service sign-up of a firm and its first user (企业自助注册)."""

from collections.abc import Collection

from django.contrib.auth.models import User
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.choices import OrganizationKind, Role
from accounts.models import Organization
from accounts.services.organizations import (
    membership_grant,
    organization_create,
    organization_name_taken,
)
from accounts.services.users import password_problems, user_create, username_taken
from accounts.validators import (
    credit_code_problem,
    credit_code_province,
    email_problem,
    normalized_email,
    organization_name_problem,
)
from activity.services import audit_record
from core.errors import InvalidInput
from core.locks import lock_name
from reference.models import Region

DUPLICATE_NAME = gettext_lazy("该名称已被平台上的其他单位使用。如为同一企业，请联系平台运营方。")
DUPLICATE_CREDIT_CODE = gettext_lazy("该统一社会信用代码已注册。如需加入该企业，请联系平台运营方。")


@transaction.atomic
def _firm_signup_write(
    *,
    username: str,
    password: str,
    email: str,
    firm_name: str,
    credit_code: str,
    region: Region,
    contact_name: str,
    contact_phone: str,
) -> tuple[User, Organization]:
    # Two sign-ups with names that read alike both passed the check before either wrote:
    # the check is made again here, one sign-up at a time.
    lock_name("organization names")
    if organization_name_taken(firm_name):
        raise InvalidInput(_("注册信息有误。"), fields={"firm_name": [str(DUPLICATE_NAME)]})
    user = user_create(username=username, password=password, email=email)
    firm = organization_create(
        actor=None,
        kind=OrganizationKind.FIRM,
        name=firm_name,
        region=region,
        credit_code=credit_code,
        contact_name=contact_name,
        contact_phone=contact_phone,
    )
    membership_grant(actor=None, user=user, organization=firm, role=Role.FIRM_EDITOR)
    audit_record(
        actor=user,
        action="firm.signup",
        target=firm,
        to_state="unverified",
        data={"user": user.pk, "username": user.username},
    )
    return user, firm


# ASCII only: Unicode letters let a username look like another (Cyrillic і in lіstfirm01).
USERNAME_PROBLEM = gettext_lazy("用户名只能包含英文字母、数字和 @/./+/-/_。")
DUPLICATE_EMAIL = gettext_lazy(
    "该邮箱已被其他账号使用。如已有账号，请直接登录或通过“忘记密码”找回。"
)


def firm_signup_problems(
    *,
    username: str,
    password: str,
    email: str,
    firm_name: str,
    credit_code: str,
    region_code: str,
    skip: Collection[str] = (),
) -> dict[str, list[str]]:
    """Every field problem of a sign-up at once, by field, but for the fields in ``skip``
    (the sign-up page names those its form refused already and checks the rest, so a
    person sees each field's problem in one round, not one kind of problem per round)."""
    username = username.strip()
    email = normalized_email(email)
    code = credit_code.strip().upper()
    errors: dict[str, list[str]] = {}
    if "username" in skip:
        pass
    elif not _username_ok(username):
        # Django's own message (and its Chinese translation) leaves out "+", which the
        # help text allows; one sentence, the help text's.
        errors["username"] = [str(USERNAME_PROBLEM)]
    elif username_taken(username):
        errors["username"] = [_("用户名已被占用。")]
    taken = email and User.objects.filter(email__iexact=email).exists()
    if (problem := email_problem(email)) and "email" not in skip:
        errors["email"] = [problem]
    elif taken and "email" not in skip:
        # One account per address: a password reset mails every account on it.
        errors["email"] = [str(DUPLICATE_EMAIL)]
    if "password" not in skip:
        problems = password_problems(password, User(username=username, email=email))
        if problems:
            errors["password"] = problems
    region = Region.objects.filter(code=region_code.strip()).first()
    if region is None and "region_code" not in skip:
        errors["region_code"] = [_("未知的行政区划代码。")]
    if "credit_code" in skip:
        pass
    elif code_problem := credit_code_problem(code):
        errors["credit_code"] = [code_problem]
    elif Organization.objects.filter(credit_code=code).exists():
        errors["credit_code"] = [str(DUPLICATE_CREDIT_CODE)]
    elif region is not None and credit_code_province(code) not in ("10", region.code[:2]):
        # A firm registers where its registration authority is (digits 3–8 of the code).
        registered = Region.objects.filter(code=f"{credit_code_province(code)}0000").first()
        errors["region_code"] = [
            _("所在地与统一社会信用代码的登记地（%(province)s）不在同一省份。")
            % {"province": registered.name if registered else credit_code_province(code)}
        ]
    if "firm_name" in skip:
        pass
    elif name_problem := organization_name_problem(firm_name):
        errors["firm_name"] = [name_problem]
    elif organization_name_taken(firm_name):
        errors["firm_name"] = [str(DUPLICATE_NAME)]
    return errors


def _username_ok(username: str) -> bool:
    try:
        ASCIIUsernameValidator()(username)
    except ValidationError:
        return False
    return True


def firm_signup(
    *,
    username: str,
    password: str,
    email: str,
    firm_name: str,
    credit_code: str,
    region_code: str,
    contact_name: str = "",
    contact_phone: str = "",
) -> tuple[User, Organization]:
    """Register a firm and its first user (role firm_editor) in one transaction; audited.

    Every field problem is reported at once (``firm_signup_problems``): a username with
    characters other than letters, digits and @/./+/-/_ or already taken, an e-mail
    address another account has (without case), a password the validators refuse, an
    unknown region, a credit code that fails GB 32100 or is already registered or was
    issued in another province than the region's, a name another organization has
    (compared without case, spaces, invisible characters or full-width forms).
    A registered credit code only says so; nothing about the existing firm is revealed.
    The firm starts unverified, so its capabilities cannot publish until an admin or its
    region's committee verifies it.
    """
    username = username.strip()
    email = normalized_email(email)
    code = credit_code.strip().upper()
    errors = firm_signup_problems(
        username=username,
        password=password,
        email=email,
        firm_name=firm_name,
        credit_code=code,
        region_code=region_code,
    )
    region = Region.objects.filter(code=region_code.strip()).first()
    if errors or region is None:
        raise InvalidInput(_("注册信息有误。"), fields=errors)
    try:
        return _firm_signup_write(
            username=username,
            password=password,
            email=email,
            firm_name=firm_name,
            credit_code=code,
            region=region,
            contact_name=contact_name,
            contact_phone=contact_phone,
        )
    except IntegrityError as exc:
        # A concurrent sign-up took the username or the credit code between check and insert.
        raise InvalidInput(
            _("用户名或统一社会信用代码已被注册。"),
            fields={"credit_code": [str(DUPLICATE_CREDIT_CODE)]},
        ) from exc
