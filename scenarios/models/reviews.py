"""Committee reviews of needs at each tier."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reference.choices import RegionLevel
from scenarios.choices import ReviewDecision


class Review(models.Model):
    """One committee's review of one need at one tier.

    A need has at most one pending review at a time (database constraint); deciding it
    either forwards the need to the next tier's committee (a new pending review), publishes
    it, returns it or rejects it.
    """

    need = models.ForeignKey(
        "scenarios.ScenarioNeed", on_delete=models.CASCADE, related_name="reviews"
    )
    committee = models.ForeignKey(
        "accounts.Committee", on_delete=models.PROTECT, related_name="reviews"
    )
    tier = models.CharField(_("层级"), max_length=16, choices=RegionLevel.choices)
    decision = models.CharField(
        _("结论"), max_length=16, choices=ReviewDecision.choices, default=ReviewDecision.PENDING
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    comment = models.TextField(_("审核意见"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("审核")
        verbose_name_plural = _("审核")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["need"], condition=Q(decision="pending"), name="review_one_open_per_need"
            ),
            models.UniqueConstraint(
                fields=["need", "tier"],
                condition=Q(decision="pending"),
                name="review_one_open_per_need_and_tier",
            ),
            models.CheckConstraint(
                condition=Q(decision="pending", decided_at__isnull=True)
                | (~Q(decision="pending") & Q(decided_at__isnull=False)),
                name="review_decided_at_matches_decision",
            ),
        ]
        indexes = [models.Index(fields=["committee", "decision"], name="review_queue")]

    def __str__(self) -> str:
        return f"{self.need_id}@{self.tier}: {self.decision}"
