"""Invitations: a platform admin invites a person to an organization with a role."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Invitation, Organization
from accounts.roles import is_platform_admin
from accounts.services.organizations import membership_grant, role_check
from accounts.services.users import frontend_link, user_create
from activity.services import audit_record
from core.actors import Actor
from core.errors import ActorNotAllowed, InvalidInput, InvalidTransition


def _token_hash(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def _send_invitation(*, invitation_id: int, raw_token: str) -> None:
    invitation = Invitation.objects.select_related("organization").get(pk=invitation_id)
    link = frontend_link("/invitations/accept/", token=raw_token)
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
    # Refused now rather than when the invitee accepts (the grant checks the same).
    role_check(role=role, organization=organization)
    now = timezone.now()
    Invitation.objects.filter(
        email__iexact=email,
        organization=organization,
        role=role,
        accepted_at__isnull=True,
        expires_at__gt=now,
    ).update(expires_at=now)
    raw_token = secrets.token_urlsafe(32)
    ttl = settings.INVITATION_TTL_DAYS
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


def invitation_problem(*, token: str) -> str | None:
    """Why an invitation link cannot be used (the refusal ``invitation_accept`` would give),
    or None when it can: the page says so before asking for a username and password."""
    invitation = Invitation.objects.filter(token_hash=_token_hash(token.strip())).first()
    if invitation is None:
        return str(_("邀请链接无效。请核对邮件中的完整链接，或联系邀请您的管理员。"))
    if invitation.accepted_at is not None:
        return str(_("该邀请已被使用。请直接登录，或联系平台管理员重新邀请。"))
    if invitation.expires_at <= timezone.now():
        return str(_("该邀请已过期，请联系平台管理员重新发送。"))
    return None


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
