"""Writing the audit trail and notifying people; every state-changing service calls these.

Both write inside the caller's transaction, so the record and the change commit together;
e-mails leave only after the commit.
"""

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import models, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from activity.messages import render
from activity.models import AuditEvent, Notification
from core.actors import Actor, acting_user
from core.errors import ActorNotAllowed
from core.locks import lock_one

logger = logging.getLogger(__name__)


def audit_record(
    *,
    actor: Actor | None,
    action: str,
    target: models.Model,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row; call inside the service's transaction so both commit together."""
    return AuditEvent.objects.create(
        actor=acting_user(actor),
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data or {},
    )


def notify_users(
    *, user_ids: list[int], verb: str, target: models.Model, params: dict[str, Any] | None = None
) -> None:
    """Write in-app notifications now; send the e-mails after commit.

    ``params`` fill the verb's sentence (``activity.messages``), rendered in each reader's
    language when read; the sentence in the site's language is stored beside them and is
    the e-mail's text."""
    notify_many([(user_ids, verb, params or {}, target)])


def notify_many(notes: list[tuple[list[int], str, dict[str, Any], models.Model]]) -> None:
    """``notify_users`` for many targets at once (a bulk import): ``notes`` holds
    (user ids, verb, params, target) each; one insert of the notifications and one query
    for the addresses, whatever their number. Each target's e-mail leaves after commit."""
    notes = [note for note in notes if note[0]]
    if not notes:
        return
    with translation.override(settings.LANGUAGE_CODE):
        sentences = [render(verb, params) or verb for _users, verb, params, _target in notes]
        see_details = _("查看详情：")
        subject_prefix = _("【场景撮合平台】")
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=uid,
                verb=verb,
                message=message[:500],
                params=params,
                target_type=target._meta.label_lower,
                target_id=str(target.pk),
            )
            for (user_ids, verb, params, target), message in zip(notes, sentences, strict=True)
            for uid in sorted(set(user_ids))
        ],
        batch_size=2000,
    )
    wanted = {uid for user_ids, _verb, _params, _target in notes for uid in user_ids}
    address = dict(User.objects.filter(pk__in=wanted).exclude(email="").values_list("pk", "email"))
    for (user_ids, _verb, _params, target), message in zip(notes, sentences, strict=True):
        emails = sorted({address[uid] for uid in user_ids if uid in address})
        if emails:
            body = message
            link = _link(target._meta.label_lower, str(target.pk))
            if link:
                body += "\n\n" + see_details + link
            subject = subject_prefix + message[:60]
            transaction.on_commit(
                lambda s=subject, b=body, e=emails: _send(s, b, e)  # type: ignore[misc]
            )


def _link(target_type: str, target_id: str) -> str:
    """The address of the page about the target: the portal's ``notifications/go/`` route,
    which marks the notification read and opens the page the reader may see."""
    try:
        path = reverse("portal:notification-go", args=[target_type, target_id])
    except NoReverseMatch:  # a deployment without the portal: the e-mail carries no link
        return ""
    return settings.FRONTEND_BASE_URL.rstrip("/") + path


def _send(subject: str, body: str, emails: list[str]) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, emails)
    except OSError:
        # Mail is best effort: the in-app notification is already stored.
        logger.exception("notification mail failed")


@transaction.atomic
def notification_mark_read(*, reader: Actor, notification: Notification) -> Notification:
    """Mark one of the reader's own notifications read; marking it again changes nothing."""
    if notification.user_id != reader.pk:
        raise ActorNotAllowed(_("只能处理自己的通知。"))
    note = lock_one(Notification, notification.pk)
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    return note


def notifications_settle(*, verb: str, target: models.Model) -> int:
    """Mark read every unread ``verb`` notification about ``target``, whoever it went to:
    the step it asked for has been taken (a need's review decided by one of the committee's
    members, so the others' "waiting for your review" stops counting). Returns how many."""
    return Notification.objects.filter(
        verb=verb,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        read_at__isnull=True,
    ).update(read_at=timezone.now())


def notifications_mark_read(
    *, reader: Actor, target_type: str | None = None, target_id: str | None = None
) -> int:
    """Mark the reader's unread notifications read (those about one target, if given);
    returns how many."""
    unread = Notification.objects.filter(user_id=reader.pk or 0, read_at__isnull=True)
    if target_type is not None:
        unread = unread.filter(target_type=target_type, target_id=str(target_id))
    return unread.update(read_at=timezone.now())
