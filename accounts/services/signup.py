"""Self-service sign-up of a firm and its first user (企业自助注册)."""

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.choices import OrganizationKind, Role
from accounts.models import Organization
from accounts.services.organizations import membership_grant, organization_create
from accounts.services.users import password_problems, user_create, username_taken
from accounts.validators import (
    credit_code_problem,
    credit_code_province,
    organization_name_key,
    organization_name_problem,
)
from activity.services import audit_record
from core.errors import InvalidInput
from reference.models import Region

DUPLICATE_NAME = gettext_lazy("该名称已被平台上的其他单位使用。如为同一企业，请联系平台运营方。")
DUPLICATE_CREDIT_CODE = gettext_lazy("该统一社会信用代码已注册。如需加入该企业，请联系平台运营方。")


def _name_taken(name: str) -> bool:
    """Another organization (a firm, an agency, a committee, the platform) has this name, or
    one that reads the same (full-width, invisible characters, spaces, case)."""
    key = organization_name_key(name)
    return any(
        organization_name_key(other) == key
        for other in Organization.objects.values_list("name", flat=True).iterator(chunk_size=5000)
    )


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

    Every field problem is reported at once: a taken username, a password the validators
    refuse, an unknown region, a credit code that fails GB 32100 or is already registered or
    was issued in another province than the region's, a name another organization has
    (compared without case, spaces, invisible characters or full-width forms).
    A registered credit code only says so; nothing about the existing firm is revealed.
    The firm starts unverified, so its capabilities cannot publish until an admin or its
    region's committee verifies it.
    """
    username = username.strip()
    code = credit_code.strip().upper()
    errors: dict[str, list[str]] = {}
    if username_taken(username):
        errors["username"] = [_("用户名已被占用。")]
    problems = password_problems(password, User(username=username, email=email))
    if problems:
        errors["password"] = problems
    region = Region.objects.filter(code=region_code.strip()).first()
    if region is None:
        errors["region_code"] = [_("未知的行政区划代码。")]
    code_problem = credit_code_problem(code)
    if code_problem:
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
    name_problem = organization_name_problem(firm_name)
    if name_problem:
        errors["firm_name"] = [name_problem]
    elif _name_taken(firm_name):
        errors["firm_name"] = [str(DUPLICATE_NAME)]
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
