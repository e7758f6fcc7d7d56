"""Expert assessments of needs against the province policy's selection criteria."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Assessment(models.Model):
    """An expert's scores of a need against the policy's selection criteria (0-100 each).

    ``weighted_score`` is computed with the weights of ``policy``; the need's value score
    is the mean over its assessments. ``revisions`` counts the changes of the scores after
    the first submission (after which the expert sees the panel), ``revised_at`` the last
    one; ``revisions_under_criteria`` counts those since the expert last scored a new set
    of criteria, which ``assessment_submit`` caps.
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
    revisions = models.PositiveSmallIntegerField(_("修改次数"), default=0, editable=False)
    revisions_under_criteria = models.PositiveSmallIntegerField(
        _("本套标准下的修改次数"), default=0, editable=False
    )
    revised_at = models.DateTimeField(_("最后修改时间"), null=True, blank=True, editable=False)
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
