"""Reads of the audit trail and of each user's notifications."""

from django.db import models
from django.db.models import QuerySet

from activity.models import AuditEvent, Notification
from core.actors import Actor


def audit_events_of(*, target: models.Model) -> QuerySet[AuditEvent]:
    """The audit rows of one object, oldest first, with their actors loaded."""
    return (
        AuditEvent.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
        .select_related("actor")
        .order_by("id")
    )


def notification_list_for_user(*, user: Actor) -> QuerySet[Notification]:
    """The user's own notifications (nobody reads another's inbox)."""
    return Notification.objects.filter(user_id=user.pk or 0)


def unread_count(*, user: Actor) -> int:
    """How many of the user's notifications are unread (one indexed count)."""
    return Notification.objects.filter(user_id=user.pk or 0, read_at__isnull=True).count()


def last_verb_notified(*, verbs: tuple[str, ...], target: models.Model) -> str | None:
    """Which of ``verbs`` was the last notification sent about ``target`` (None: none was)."""
    return (
        Notification.objects.filter(
            verb__in=verbs, target_type=target._meta.label_lower, target_id=str(target.pk)
        )
        .order_by("-id")
        .values_list("verb", flat=True)
        .first()
    )
