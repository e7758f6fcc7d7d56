"""User accounts: creation through Django's auth (hashing, normalisation), never by hand.

Also the ways in: firm self-service sign-up, invitations issued by platform admins, and
password reset by e-mail with Django's own token generator.
"""

import hashlib
import secrets
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.authtoken.models import Token

from scenarios.choices import ROLE_ORGANIZATION_KIND, OrganizationKind, Role
from scenarios.errors import ActorNotAllowed, InvalidInput, InvalidTransition
from scenarios.models import Invitation, Organization, Region
from scenarios.roles import Actor, is_platform_admin
from scenarios.services.audit import audit_record
from scenarios.services.organizations import membership_grant, organization_create
from scenarios.validators import credit_code_problem


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    email: str = "",
    first_name: str = "",
    validate: bool = True,
    is_staff: bool = False,
    is_superuser: bool = False,
    encoded_password: str | None = None,
) -> User:
    """Create a user; the password is checked against the configured validators.

    ``validate=False`` is only for demo data, whose passwords are published on purpose;
    demo data also passes ``encoded_password`` (one ``make_password`` result) so that a
    hundred demo users do not each pay for a slow hash.
    """
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput(_("用户名已被占用。"), fields={"username": [_("用户名已被占用。")]})
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    if validate:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise InvalidInput(_("密码不符合要求。"), fields={"password": exc.messages}) from exc
    if encoded_password is not None:
        user.password = encoded_password
    else:
        user.set_password(password)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise InvalidInput(
            _("数据校验失败。"),
            fields={k: [str(m) for m in v] for k, v in exc.message_dict.items()},
        ) from exc
    user.save()
    return user


# --- Self-service sign-up, invitations and password reset ------------------------------

INVITATION_TTL_DAYS_DEFAULT = 7
DUPLICATE_CREDIT_CODE = gettext_lazy("该统一社会信用代码已注册。如需加入该企业，请联系平台运营方。")


def _link(path: str, **params: str) -> str:
    """An absolute link into the web front end (``FRONTEND_BASE_URL``)."""
    base = getattr(settings, "FRONTEND_BASE_URL", "http://localhost:8000").rstrip("/")
    return f"{base}{path}?{urlencode(params)}"


def _password_problems(password: str, user: User) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return list(exc.messages)
    return []


def _username_taken(username: str) -> bool:
    return User.objects.filter(username__iexact=username).exists()


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
    refuse, an unknown region, a credit code that fails GB 32100 or is already registered.
    A registered credit code only says so; nothing about the existing firm is revealed.
    The firm starts unverified, so its capabilities cannot publish until an admin or its
    region's committee verifies it.
    """
    username = username.strip()
    code = credit_code.strip().upper()
    errors: dict[str, list[str]] = {}
    if _username_taken(username):
        errors["username"] = [_("用户名已被占用。")]
    problems = _password_problems(password, User(username=username, email=email))
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


def _token_hash(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def _send_invitation(*, invitation_id: int, raw_token: str) -> None:
    invitation = Invitation.objects.select_related("organization").get(pk=invitation_id)
    link = _link("/invitations/accept/", token=raw_token)
    body = _(
        "您好！\n\n平台管理员邀请您以“%(role)s”身份加入“%(org)s”。\n"
        "请在 %(expires)s 之前打开以下链接设置用户名和密码：\n%(link)s\n\n"
        "（接口用户也可将邀请码 %(token)s 提交到 POST /api/v1/invitations/accept/。）\n"
        "如果您没有预期收到此邀请，请忽略本邮件。"
    ) % {
        "role": invitation.get_role_display(),
        "org": invitation.organization.name,
        "expires": timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M"),
        "link": link,
        "token": raw_token,
    }
    send_mail(
        subject=_("场景机会撮合平台邀请"),
        message=body,
        from_email=None,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def invitation_create(
    *, actor: Actor, email: str, organization: Organization, role: str
) -> tuple[Invitation, str]:
    """Invite a person (by e-mail) to join ``organization`` with ``role``; admins only.

    Only the SHA-256 hash of the random token is stored; the raw token leaves the
    platform once, in the e-mail sent after commit. Earlier open invitations for the same
    e-mail, organization and role expire now, so only the newest link works. Audited.
    """
    if not is_platform_admin(actor) or not isinstance(actor, User):
        raise ActorNotAllowed(_("只有平台管理员可以发出邀请。"))
    email = User.objects.normalize_email(email.strip())
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidInput(_("邮箱格式不正确。"), fields={"email": list(exc.messages)}) from exc
    if ROLE_ORGANIZATION_KIND.get(role) != organization.kind:
        raise InvalidInput(
            _("该角色不适用于此类组织。"), fields={"role": [_("角色与组织类型不符。")]}
        )
    now = timezone.now()
    Invitation.objects.filter(
        email__iexact=email,
        organization=organization,
        role=role,
        accepted_at__isnull=True,
        expires_at__gt=now,
    ).update(expires_at=now)
    raw_token = secrets.token_urlsafe(32)
    ttl = int(getattr(settings, "INVITATION_TTL_DAYS", INVITATION_TTL_DAYS_DEFAULT))
    invitation = Invitation.objects.create(
        email=email,
        organization=organization,
        role=role,
        token_hash=_token_hash(raw_token),
        invited_by=actor,
        expires_at=now + timedelta(days=ttl),
    )
    audit_record(
        actor=actor,
        action="invitation.create",
        target=invitation,
        to_state="open",
        data={"email": email, "organization": organization.pk, "role": role},
    )
    invitation_id = invitation.pk
    transaction.on_commit(
        lambda: _send_invitation(invitation_id=invitation_id, raw_token=raw_token)
    )
    return invitation, raw_token


@transaction.atomic
def invitation_accept(*, token: str, username: str, password: str) -> User:
    """Create the invited user (validated password) and grant the invited role; audited.

    The invitation row is locked, so a token is used at most once: an unknown token is a
    field error, an expired or already used one is refused with a conflict.
    """
    invitation = (
        Invitation.objects.select_for_update().filter(token_hash=_token_hash(token.strip())).first()
    )
    if invitation is None:
        raise InvalidInput(_("邀请链接无效。"), fields={"token": [_("邀请链接无效。")]})
    if invitation.accepted_at is not None:
        raise InvalidTransition(
            _("该邀请已被使用。请直接登录，或联系平台管理员重新邀请。"), status="accepted"
        )
    if invitation.expires_at <= timezone.now():
        raise InvalidTransition(_("该邀请已过期，请联系平台管理员重新发送。"), status="expired")
    user = user_create(username=username.strip(), password=password, email=invitation.email)
    membership_grant(
        actor=None, user=user, organization=invitation.organization, role=invitation.role
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_user = user
    invitation.save(update_fields=["accepted_at", "accepted_user"])
    audit_record(
        actor=user,
        action="invitation.accept",
        target=invitation,
        from_state="open",
        to_state="accepted",
        data={"user": user.pk, "organization": invitation.organization_id},
    )
    return user


def password_reset_request(*, email: str) -> None:
    """E-mail a reset link to every active account with this address (Django's tokens).

    Behaves the same whether or not the address is registered, so callers cannot learn
    which addresses have accounts; the token expires after ``PASSWORD_RESET_TIMEOUT`` and
    stops working once the password changes.
    """
    for user in PasswordResetForm().get_users(email.strip()):
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        link = _link("/password-reset/confirm/", uid=uid, token=token)
        body = _(
            "您好，%(username)s：\n\n我们收到了重置您账号密码的请求。请打开以下链接设置新密码：\n"
            "%(link)s\n\n（接口用户也可将 uid=%(uid)s、token=%(token)s 提交到 "
            "POST /api/v1/auth/password-reset/confirm/。）\n如果不是您本人操作，请忽略本邮件。"
        ) % {"username": user.get_username(), "link": link, "uid": uid, "token": token}
        send_mail(
            subject=_("场景机会撮合平台密码重置"),
            message=body,
            from_email=None,
            recipient_list=[getattr(user, "email", "")],
        )


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Set a new password from an e-mailed reset link; audited.

    A bad uid and a bad or used token give the same error. The new password goes through
    the validators; the user's API tokens are revoked (sessions lapse on their own because
    their hash depends on the password).
    """
    invalid = InvalidInput(
        _("重置链接无效或已过期，请重新申请。"), fields={"token": [_("链接无效或已过期。")]}
    )
    try:
        pk = urlsafe_base64_decode(uid).decode()
        user = User.objects.filter(pk=int(pk), is_active=True).first()
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        raise invalid
    problems = _password_problems(new_password, user)
    if problems:
        raise InvalidInput(_("密码不符合要求。"), fields={"new_password": problems})
    user.set_password(new_password)
    user.save(update_fields=["password"])
    Token.objects.filter(user=user).delete()
    audit_record(actor=user, action="user.password_reset", target=user)
    return user
