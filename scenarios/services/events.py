"""Side effects of state changes, registered to run after the transaction commits.

Notifications are in-app rows plus an e-mail through Django's mail backend; matching
runs are enqueued on Celery. Nothing here runs if the transaction rolls back.
"""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from scenarios.choices import Role
from scenarios.errors import InvalidInput
from scenarios.models import Membership, Notification, Review, ScenarioNeed

logger = logging.getLogger(__name__)
_bulk = threading.local()


def notify_users(*, user_ids: list[int], verb: str, message: str, target: object) -> None:
    """Write in-app notifications now; send e-mails after commit."""
    target_type = target._meta.label_lower  # type: ignore[attr-defined]
    target_id = str(target.pk)  # type: ignore[attr-defined]
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=uid,
                verb=verb,
                message=message[:500],
                target_type=target_type,
                target_id=target_id,
            )
            for uid in sorted(set(user_ids))
        ]
    )
    emails = list(
        Membership.objects.filter(user_id__in=user_ids)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
        .distinct()
    )
    if emails:
        transaction.on_commit(lambda: _send(message, emails))


def _send(message: str, emails: list[str]) -> None:
    try:
        send_mail("【场景撮合平台】" + message[:60], message, settings.DEFAULT_FROM_EMAIL, emails)
    except OSError:
        # Mail is best effort: the in-app notification is already stored.
        logger.exception("notification mail failed")


def member_ids(organization_id: int, role: str) -> list[int]:
    """Users holding ``role`` in the organization (whom its notifications go to)."""
    return list(
        Membership.objects.filter(organization_id=organization_id, role=role).values_list(
            "user_id", flat=True
        )
    )


def notify_committee(*, review: Review) -> None:
    need = review.need
    notify_users(
        user_ids=member_ids(review.committee.organization_id, Role.COMMITTEE_MEMBER),
        verb="review.pending",
        message=f"待审核场景需求：{need.ref} {need.title}",
        target=need,
    )


def notify_agency(*, need: ScenarioNeed, verb: str, reason: str = "") -> None:
    labels = {
        "need.returned": "被退回修改",
        "need.rejected": "未通过审核",
        "need.published": "已发布到机会清单",
    }
    text = f"您的场景需求 {need.ref} {need.title} {labels.get(verb, verb)}"
    if reason:
        text += f"：{reason}"
    notify_users(
        user_ids=member_ids(need.agency_id, Role.AGENCY_EDITOR),
        verb=verb,
        message=text,
        target=need,
    )


@contextmanager
def bulk_publishing() -> Iterator[None]:
    """Inside, publications do not each start a matching run; one full run follows instead.

    For imports and demo data, where hundreds of items publish in one go.
    """
    outer = getattr(_bulk, "active", None)
    _bulk.active = outer if outer is not None else {"published": False}
    try:
        yield
    finally:
        state = _bulk.active
        _bulk.active = outer
        if outer is None and state["published"]:
            transaction.on_commit(lambda: _start_matching(scope="full", object_id=None))


def _after_publish(scope: str, object_id: int) -> None:
    state = getattr(_bulk, "active", None)
    if state is not None:
        state["published"] = True
        return
    transaction.on_commit(lambda: _start_matching(scope=scope, object_id=object_id))


def need_published(*, need: ScenarioNeed) -> None:
    """Tell the agency and start an incremental matching run after commit."""
    notify_agency(need=need, verb="need.published")
    _after_publish("need", need.pk)


def capability_published(*, capability_id: int) -> None:
    _after_publish("capability", capability_id)


def _start_matching(*, scope: str, object_id: int | None) -> None:
    from matching.services import match_run_request  # the matching app depends on us

    try:
        match_run_request(scope=scope, object_id=object_id)
    except InvalidInput:
        # Withdrawn or closed again before this commit: there is nothing to match.
        logger.info("no matching run for %s %s: no longer matchable", scope, object_id)
