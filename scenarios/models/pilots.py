"""Pilots (场景验证/试点): a chosen need-capability pair validated in the scenario."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.validation import visible_text
from scenarios.choices import PilotStatus, ValidationType
from scenarios.models.needs import TRL_VALIDATORS


class PilotQuerySet(models.QuerySet["Pilot"]):
    def track_record(self) -> "PilotQuerySet":
        """Validated pilots whose outcome a committee confirmed."""
        return self.filter(status=PilotStatus.VALIDATED, outcome_confirmed_at__isnull=False)


class Pilot(models.Model):
    """A capability being validated in a need's scenario, with its tolerance period (包容期).

    A pilot runs from an approved recommendation, or from an agency's direct proposal
    (``proposed``) once the need's committee approves it. The agency records the outcome; a
    committee confirms it (``outcome_confirmed_at``), and only confirmed validated pilots count
    as the capability's track record, may be recommended as 首台（套） and nominated as a
    best-practice case.
    """

    need = models.ForeignKey(
        "scenarios.ScenarioNeed", on_delete=models.PROTECT, related_name="pilots"
    )
    capability = models.ForeignKey(
        "scenarios.Capability", on_delete=models.PROTECT, related_name="pilots"
    )
    capability_title = models.CharField(
        _("试点时的能力名称"),
        max_length=200,
        editable=False,
        help_text=_("能力进入试点时的名称；能力此后改名，试点及其结论仍指这一名称。"),
    )
    validation_type = models.CharField(_("验证类型"), max_length=16, choices=ValidationType.choices)
    status = models.CharField(
        _("状态"), max_length=16, choices=PilotStatus.choices, default=PilotStatus.RUNNING
    )
    tolerance_until = models.DateField(_("包容期截止"))
    milestones = models.JSONField(_("里程碑"), default=list, blank=True)
    trl_before = models.PositiveSmallIntegerField(_("验证前成熟度"), validators=TRL_VALIDATORS)
    trl_after = models.PositiveSmallIntegerField(
        _("验证后成熟度"), null=True, blank=True, validators=TRL_VALIDATORS
    )
    outcome_note = models.TextField(
        _("验证结论"), max_length=4000, blank=True, validators=[visible_text]
    )
    first_of_kind_recommended = models.BooleanField(_("推荐首台（套）"), default=False)
    best_practice_nominated = models.BooleanField(_("推荐最佳实践案例"), default=False)
    outcome_confirmed_at = models.DateTimeField(_("结论确认时间"), null=True, blank=True)
    outcome_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("结论确认人"),
    )
    decision_reason = models.CharField(
        _("审批意见"), max_length=500, blank=True, validators=[visible_text]
    )
    source_match_id = models.BigIntegerField(_("来源撮合记录"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    objects = PilotQuerySet.as_manager()

    class Meta:
        verbose_name = _("场景验证试点")
        verbose_name_plural = _("场景验证试点")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["need", "capability"],
                condition=Q(status__in=["proposed", "running"]),
                name="pilot_one_open_per_pair",
            ),
            models.CheckConstraint(
                condition=Q(outcome_confirmed_at__isnull=True)
                | Q(status__in=["validated", "failed"]),
                name="pilot_confirmed_only_when_concluded",
            ),
            models.CheckConstraint(
                condition=Q(trl_before__gte=1) & Q(trl_before__lte=9), name="pilot_trl_before_1_9"
            ),
            models.CheckConstraint(
                condition=Q(trl_after__isnull=True) | (Q(trl_after__gte=1) & Q(trl_after__lte=9)),
                name="pilot_trl_after_1_9",
            ),
            models.CheckConstraint(
                condition=(Q(status="validated") & Q(outcome_confirmed_at__isnull=False))
                | (Q(first_of_kind_recommended=False) & Q(best_practice_nominated=False)),
                name="pilot_recognition_only_when_validated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.need_id} × {self.capability_id} ({self.status})"

    @property
    def capability_renamed(self) -> bool:
        """Whether the capability's title is no longer the one it ran the pilot under."""
        return bool(self.capability_title) and self.capability.title != self.capability_title
