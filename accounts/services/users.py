"""User accounts: created through Django's auth (hashing, normalisation), never by hand;
passwords reset by e-mail with Django's own token generator."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from accounts.roles import is_platform_admin
from activity.services import audit_record
from core.actors import Actor, acting_user
from core.errors import ActorNotAllowed, InvalidInput
from core.validation import full_clean_or_raise


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
    full_clean_or_raise(user, exclude=["password"])
    user.save()
    return user


def frontend_link(path: str, **params: str) -> str:
    """An absolute link into the web front end (``FRONTEND_BASE_URL``), for e-mails."""
    base = settings.FRONTEND_BASE_URL.rstrip("/")
    return f"{base}{path}?{urlencode(params)}"


def password_problems(password: str, user: User) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return list(exc.messages)
    return []


def username_taken(username: str) -> bool:
    return User.objects.filter(username__iexact=username).exists()


def password_reset_request(*, email: str) -> None:
    """E-mail a reset link to every active account with this address (Django's tokens).

    Behaves the same whether or not the address is registered, so callers cannot learn
    which addresses have accounts; the token expires after ``PASSWORD_RESET_TIMEOUT`` and
    stops working once the password changes.
    """
    for user in PasswordResetForm().get_users(email.strip()):
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        link = frontend_link("/password-reset/confirm/", uid=uid, token=token)
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


def password_reset_user(*, uid: str, token: str) -> User | None:
    """The active user a reset link is for, or None when the link is bad, used or expired
    (the page checks before asking for a new password)."""
    try:
        pk = urlsafe_base64_decode(uid).decode()
        user = User.objects.filter(pk=int(pk), is_active=True).first()
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError):
        return None
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Set a new password from an e-mailed reset link; audited.

    A bad uid and a bad or used token give the same error. The new password goes through
    the validators; the user's API tokens are revoked (sessions lapse on their own because
    their hash depends on the password).
    """
    user = password_reset_user(uid=uid, token=token)
    if user is None:
        raise InvalidInput(
            _("重置链接无效或已过期，请重新申请。"), fields={"token": [_("链接无效或已过期。")]}
        )
    problems = password_problems(new_password, user)
    if problems:
        raise InvalidInput(_("密码不符合要求。"), fields={"new_password": problems})
    _password_replace(actor=user, user=user, new_password=new_password)
    return user


@transaction.atomic
def user_password_set(*, actor: Actor, user: User, new_password: str | None) -> User:
    """An operator sets a user's password in the admin (``None`` turns password sign-in
    off); audited like a reset.

    An operator does this when an account may be compromised, so it has the reset's effect:
    the user's API tokens stop working at once, not only their sessions.
    """
    if not is_platform_admin(actor) and not actor.has_perm("auth.change_user"):
        raise ActorNotAllowed(_("只有平台管理员可以设置他人的密码。"))
    if new_password is not None:
        problems = password_problems(new_password, user)
        if problems:
            raise InvalidInput(_("密码不符合要求。"), fields={"password1": problems})
    _password_replace(actor=actor, user=user, new_password=new_password)
    return user


def _password_replace(*, actor: Actor, user: User, new_password: str | None) -> None:
    """What every password change by someone other than the signed-in owner does: the new
    password (or none), the API tokens revoked (sessions lapse on their own because their
    hash depends on the password), one ``user.password_reset`` audit row."""
    if new_password is None:
        user.set_unusable_password()
    else:
        user.set_password(new_password)
    user.save(update_fields=["password"])
    revoked = Token.objects.filter(user=user).delete()[0]
    data: dict[str, object] = {"tokens_revoked": revoked}
    if acting_user(actor) != user:
        data["by_operator"] = True
        data["password_sign_in"] = new_password is not None
    audit_record(actor=actor, action="user.password_reset", target=user, data=data)
