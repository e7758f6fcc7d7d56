"""The transactional outbox: Celery tasks stored with the change they follow, then sent.

``outbox_add`` writes an ``OutboxMessage`` row in the caller's transaction and sends it once
that transaction commits (``outbox_send``). A broker that cannot be reached leaves the row
pending instead of losing the task; ``outbox_drain`` sends pending rows later, oldest first:
the beat task ``core.drain_outbox`` every ``OUTBOX_DRAIN_SECONDS``, ``manage.py drain_outbox``,
and the first successful send of a process that saw a failure. Each row is sent under its
row lock (``SELECT … FOR UPDATE SKIP LOCKED``), so two drainers, or a drainer and the
after-commit send, never send the same row; sent rows are stamped and later pruned.

A task's message can still arrive twice (the send succeeded, the stamp did not commit), so
every task is written to be safe to run twice (STYLE.md, section 3).
"""

import functools
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import current_app
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnreachable

from core.models import OutboxMessage

logger = logging.getLogger(__name__)
DRAIN_BATCH = 100
# Rows sent by one opportunistic drain (after a successful send, inside a request or task);
# the beat's drain sends the rest.
OPPORTUNISTIC_ROWS = DRAIN_BATCH


class _Backlog:
    """Whether this process left a row pending (its send failed) since its last drain."""

    suspected = False


@dataclass(frozen=True)
class DrainReport:
    """What one drain did: rows sent, rows still pending, and the broker's error if it
    stopped the drain."""

    sent: int
    pending: int
    error: str = ""


def outbox_add(*, task_name: str, kwargs: dict[str, Any]) -> OutboxMessage:
    """Store a task for sending in the current transaction; send it after the commit.

    Rolled back with the transaction, the row is gone and nothing is sent. Outside a
    transaction the row is committed and sent at once. ``kwargs`` must be JSON.
    """
    message = OutboxMessage.objects.create(task_name=task_name, kwargs=kwargs)
    transaction.on_commit(functools.partial(outbox_send, message_id=message.pk))
    return message


def outbox_send(*, message_id: int) -> bool:
    """Send one pending row now; True when this call sent it.

    A row that a drainer holds or already sent is left to it. A broker that cannot be
    reached leaves the row pending (logged, not raised: the change it follows is committed
    and the drain sends it later); so does a database that failed right after the commit.
    """
    try:
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(pk=message_id, sent_at__isnull=True)
                .first()
            )
            if message is None:
                return False
            error = _publish(message)
            _stamp(message, error)
    except (OperationalError, InterfaceError) as exc:
        logger.error("outbox row %s stays pending: database error (%s)", message_id, exc)
        _Backlog.suspected = True
        return False
    if error:
        _Backlog.suspected = True
        return False
    if _Backlog.suspected:
        # The broker is back: send what this process left behind, without waiting for beat.
        _Backlog.suspected = False
        outbox_drain(limit=OPPORTUNISTIC_ROWS)
    return True


def outbox_drain(*, limit: int | None = None) -> DrainReport:
    """Send pending rows in id order until none is left, ``limit`` rows were sent, or the
    broker fails (the rest then wait, still in order, for the next drain).

    Rows another drainer holds are skipped, never sent twice. A row whose task is no longer
    registered (renamed in a deploy) is logged and kept; the drain goes on past it.
    """
    sent = 0
    after = 0
    error = ""
    while limit is None or sent < limit:
        size = DRAIN_BATCH if limit is None else min(DRAIN_BATCH, limit - sent)
        with transaction.atomic():
            batch = list(
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(sent_at__isnull=True, pk__gt=after)
                .order_by("pk")[:size]
            )
            for message in batch:
                after = message.pk
                try:
                    failure = _publish(message)
                except Exception as exc:  # a bug in one task's send must not stop the rest
                    logger.exception("outbox row %s could not be sent", message.pk)
                    failure = f"{type(exc).__name__}: {exc}"
                _stamp(message, failure)
                if failure and _is_broker_error(failure):
                    error = failure
                    break
                if not failure:
                    sent += 1
        if error or len(batch) < size:
            break
    pending = OutboxMessage.objects.filter(sent_at__isnull=True).count()
    if sent or error:
        log = logger.warning if error else logger.info
        log("outbox drained: %s sent, %s pending%s", sent, pending, f" ({error})" if error else "")
    return DrainReport(sent=sent, pending=pending, error=error)


def outbox_prune(*, older_than: timedelta) -> int:
    """Delete rows sent before ``older_than`` ago; returns how many. Pending rows stay."""
    cutoff = timezone.now() - older_than
    deleted, _by_model = OutboxMessage.objects.filter(sent_at__lt=cutoff).delete()
    return deleted


_BROKER_PREFIX = "broker unreachable: "


def _is_broker_error(error: str) -> bool:
    return error.startswith(_BROKER_PREFIX)


def _publish(message: OutboxMessage) -> str:
    """Hand the row's task to the broker; "" when sent, else what went wrong."""
    task = current_app.tasks.get(message.task_name)
    if task is None:
        logger.error("outbox row %s names no registered task: %s", message.pk, message.task_name)
        return f"not registered: {message.task_name}"
    try:
        task.apply_async(kwargs=message.kwargs)
    except BrokerUnreachable as exc:
        logger.error(
            "could not enqueue %s %s: broker unreachable (%s); outbox row %s stays pending",
            message.task_name,
            message.kwargs,
            exc,
            message.pk,
        )
        return f"{_BROKER_PREFIX}{exc}"
    return ""


def _stamp(message: OutboxMessage, error: str) -> None:
    """Record one attempt on the locked row: sent, or the error it failed with."""
    fields: dict[str, Any] = {"attempts": F("attempts") + 1}
    if error:
        fields["last_error"] = error[:2000]
    else:
        fields["sent_at"] = timezone.now()
    OutboxMessage.objects.filter(pk=message.pk).update(**fields)
