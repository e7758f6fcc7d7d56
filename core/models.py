"""Platform plumbing stored in the database: the replies to idempotent POSTs, and the
outbox of Celery tasks waiting to be sent."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotencyRecord(models.Model):
    """The stored response of a POST sent with an ``Idempotency-Key`` header.

    A retry with the same key and the same body gets the stored response; the same key
    with a different body is refused.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=128)
    endpoint = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        # The table predates the core app (it was scenarios'); its name is kept.
        db_table = "scenarios_idempotencyrecord"
        verbose_name = _("幂等请求记录")
        verbose_name_plural = _("幂等请求记录")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class OutboxMessage(models.Model):
    """A Celery task to send, written in the same transaction as the change it follows.

    ``core.tasks.enqueue_on_commit`` writes it; after the commit it is sent and stamped
    ``sent_at``. While the broker cannot be reached it stays pending (``sent_at`` empty,
    ``attempts`` and ``last_error`` say what happened) and ``core.outbox.outbox_drain`` sends
    it later, oldest first, each row by one drainer only (``SELECT … FOR UPDATE SKIP
    LOCKED``). A rolled-back transaction leaves no row, so nothing is sent for it. Sent rows
    are pruned after ``OUTBOX_KEEP_SENT_HOURS``. Delivery is at least once: a row whose send
    succeeded but whose stamp was lost (the process died in between) is sent again, which
    every task tolerates.
    """

    task_name = models.CharField(_("任务名"), max_length=200)
    kwargs = models.JSONField(_("参数"), default=dict)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("发送次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("待发送任务")
        verbose_name_plural = _("待发送任务")
        ordering = ["id"]
        indexes = [
            # The drain's scan (pending rows in id order) and the prune's (old sent rows)
            # stay small however many rows were sent.
            models.Index(
                fields=["id"], condition=models.Q(sent_at__isnull=True), name="outbox_pending"
            ),
            models.Index(
                fields=["sent_at"], condition=models.Q(sent_at__isnull=False), name="outbox_sent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} {self.kwargs} ({'sent' if self.sent_at else 'pending'})"
