"""The province committee's versioned policy and its negative list (负面清单)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from scenarios.choices import BUDGET_MAX_CNY, NegativeListKind


class PolicyVersion(models.Model):
    """One immutable version of the province committee's policy.

    Changing any setting creates a new version; matches and assessments keep the version
    they used, so old scores are never rewritten. The current policy is the highest version.
    """

    version = models.PositiveIntegerField(_("版本号"), unique=True)
    major_budget_threshold_cny = models.BigIntegerField(
        _("重大场景预算门槛（元）"),
        validators=[MinValueValidator(0), MaxValueValidator(BUDGET_MAX_CNY)],
    )
    selection_criteria = models.JSONField(_("遴选标准及权重"))
    high_value_threshold = models.FloatField(_("高价值场景分数线"))
    # One expert's score alone does not make a need high value (it sorts first on the public
    # list): the panel's mean counts from this many experts on.
    high_value_min_experts = models.PositiveSmallIntegerField(
        _("高价值认定最少专家人数"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    matching_weights = models.JSONField(_("撮合特征权重"))
    region_weights = models.JSONField(_("地域邻近权重"))
    recommendations_per_need = models.PositiveSmallIntegerField(_("每个需求推荐数"))
    note = models.CharField(_("修订说明"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("生效时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("政策版本")
        verbose_name_plural = _("政策版本")
        ordering = ["-version"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recommendations_per_need__gte=1)
                & models.Q(recommendations_per_need__lte=50),
                name="policy_k_range",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class NegativeListEntry(models.Model):
    """负面清单: a keyword or an industry chain the province committee forbids.

    Capabilities hit by an active entry cannot publish and are never matched.
    """

    kind = models.CharField(_("类型"), max_length=16, choices=NegativeListKind.choices)
    keyword = models.CharField(_("关键词"), max_length=64, blank=True)
    chain = models.ForeignKey(
        "reference.IndustryChain",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("产业链/赛道"),
    )
    reason = models.CharField(_("理由"), max_length=255)
    active = models.BooleanField(_("生效"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("负面清单条目")
        verbose_name_plural = _("负面清单")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="keyword") & ~Q(keyword="") & Q(chain__isnull=True))
                | (Q(kind="chain") & Q(keyword="") & Q(chain__isnull=False)),
                name="negative_entry_kind_matches_value",
            ),
        ]

    def __str__(self) -> str:
        return self.keyword or str(self.chain)
