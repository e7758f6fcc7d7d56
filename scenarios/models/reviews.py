"""Committee reviews of needs and expert assessments against the selection criteria."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from scenarios.choices import RegionLevel, ReviewDecision


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
        "scenarios.Committee", on_delete=models.PROTECT, related_name="reviews"
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


class Assessment(models.Model):
    """An expert's scores of a need against the policy's selection criteria (0-100 each).

    ``weighted_score`` is computed with the weights of ``policy``; the need's value score
    is the mean over its assessments.
    """

    need = models.ForeignKey(
        "scenarios.ScenarioNeed", on_delete=models.CASCADE, related_name="assessments"
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments"
    )
    policy = models.ForeignKey(
        "scenarios.PolicyVersion", on_delete=models.PROTECT, related_name="+"
    )
    scores = models.JSONField(_("各项评分"))
    weighted_score = models.FloatField(_("加权得分"))
    comment = models.TextField(_("评审意见"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("评审时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("专家评审")
        verbose_name_plural = _("专家评审")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["need", "expert"], name="assessment_one_per_expert"),
            models.CheckConstraint(
                condition=Q(weighted_score__gte=0) & Q(weighted_score__lte=100),
                name="assessment_score_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.need_id} by {self.expert_id}: {self.weighted_score:.1f}"
