"""Scenario needs (机会清单): what agencies open for validation."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.validators import phone_validator
from core.validation import one_line_text, visible_text
from reference.choices import RegionLevel
from scenarios.choices import BUDGET_MAX_CNY, NeedStatus, ScenarioCategory, ValidationType
from scenarios.lifecycle import MATCHABLE_NEED_STATUSES, NEED_EDITABLE, PUBLIC_NEED_STATUSES
from scenarios.models.common import SEARCH_INDEX, KeepsChainIds, ListItemManager, RefKey

TRL_VALIDATORS = [MinValueValidator(1), MaxValueValidator(9)]
# Who to call and internal notes: the agency, its committees and admins only.
CONFIDENTIAL_NEED_FIELDS = ("contact_name", "contact_phone", "confidential_notes")


class ScenarioNeedQuerySet(models.QuerySet["ScenarioNeed"]):
    def public(self) -> "ScenarioNeedQuerySet":
        return self.filter(status__in=PUBLIC_NEED_STATUSES)

    def matchable(self) -> "ScenarioNeedQuerySet":
        """Needs that matching keeps scoring: published (a need may hold several pilots)."""
        return self.filter(status__in=MATCHABLE_NEED_STATUSES)


# Below this many experts, the mean of their scores gives colleagues' scores away to an
# expert who is one of them (one other: the mean is that expert's score; two others: their
# mean follows from one's own); the expert page shows the panel's figures from three others.
SCORE_SHOWN_FROM_EXPERTS = 4


class ScenarioNeed(KeepsChainIds, models.Model):
    """A scenario an agency opens: the problem, what it offers, what technology it wants.

    ``status`` only changes through the services in ``scenarios.services.needs`` and
    ``scenarios.services.reviews``, along ``scenarios.lifecycle.NEED_ALLOWED``; ``version``
    increases on every write so clients can detect stale updates. ``contact_*`` and
    ``confidential_notes`` are never public.
    """

    ref = models.CharField(_("编号"), max_length=64, unique=True)
    title = models.CharField(_("场景名称"), max_length=200, validators=[one_line_text])
    description = models.TextField(_("场景描述"), max_length=5000, validators=[visible_text])
    category = models.CharField(_("场景类型"), max_length=32, choices=ScenarioCategory.choices)
    chains = models.ManyToManyField(
        "reference.IndustryChain", related_name="needs", verbose_name=_("产业链/赛道")
    )
    # The ids of ``chains``, sorted and comma-separated ("12,16"): kept equal to the links by
    # ``scenarios.facets.sync_chain_ids`` so the list's facet counts group items by their
    # chains in the same scan as the other facets (text: cheap to group by).
    chain_ids = models.TextField(default="", editable=False)
    keywords = models.JSONField(
        _("技术关键词"), default=list, blank=True, validators=[one_line_text]
    )
    # The n-grams of the searchable text (``scenarios.services.search``; PostgreSQL only):
    # NULL until indexed, and a NULL row is still found by the search, by its text.
    search_vector = SearchVectorField(null=True, editable=False)
    region = models.ForeignKey(
        "reference.Region",
        on_delete=models.PROTECT,
        related_name="needs",
        verbose_name=_("所在地区"),
    )
    agency = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="needs",
        verbose_name=_("发布单位"),
    )
    validation_type = models.CharField(_("验证类型"), max_length=16, choices=ValidationType.choices)
    min_trl = models.PositiveSmallIntegerField(_("最低技术成熟度"), validators=TRL_VALIDATORS)
    budget_cny = models.BigIntegerField(
        _("预算（元）"),
        null=True,
        blank=True,
        validators=[
            MinValueValidator(0),
            MaxValueValidator(BUDGET_MAX_CNY, message=_("预算最多 100 亿元。")),
        ],
    )
    resources_offered = models.TextField(
        _("开放资源"), max_length=2000, blank=True, validators=[visible_text]
    )
    deadline = models.DateField(_("截止日期"), null=True, blank=True)
    is_major = models.BooleanField(_("重大场景"), default=False)
    # Marked major by the platform because the budget reached the policy's line (not by the
    # agency's tick): an edit of the budget lets the next submission judge it again.
    major_by_budget = models.BooleanField(_("按预算列为重大场景"), default=False, editable=False)
    contact_name = models.CharField(
        _("联系人（不公开）"), max_length=64, blank=True, validators=[one_line_text]
    )
    contact_phone = models.CharField(
        _("联系电话（不公开）"), max_length=32, blank=True, validators=[phone_validator]
    )
    confidential_notes = models.TextField(
        _("内部备注（不公开）"), max_length=2000, blank=True, validators=[visible_text]
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=NeedStatus.choices, default=NeedStatus.DRAFT
    )
    review_tier = models.CharField(
        _("当前审核层级"), max_length=16, choices=RegionLevel.choices, blank=True
    )
    value_score = models.FloatField(_("专家评分"), null=True, blank=True)
    # How many experts scored the need (kept with ``value_score``): the mean is shown
    # outside the need's agency and committees only from SCORE_SHOWN_FROM_EXPERTS on.
    assessment_count = models.PositiveIntegerField(_("评分专家数"), default=0, editable=False)
    is_high_value = models.BooleanField(_("高价值场景"), default=False)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    # First submission for review: committees see a need from then on, also once withdrawn;
    # a draft withdrawn before it was ever submitted stays the agency's own.
    submitted_at = models.DateTimeField(_("首次提交时间"), null=True, blank=True, editable=False)

    objects = ListItemManager.from_queryset(ScenarioNeedQuerySet)()

    SEARCH_INDEX = SEARCH_INDEX

    class Meta:
        verbose_name = _("场景需求")
        verbose_name_plural = _("场景需求（机会清单）")
        ordering = ["-is_high_value", "-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_trl__gte=1) & Q(min_trl__lte=9), name="need_min_trl_1_9"
            ),
            models.CheckConstraint(
                condition=Q(budget_cny__isnull=True) | Q(budget_cny__gte=0),
                name="need_budget_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(status="in_review") | Q(review_tier=""),
                name="need_review_tier_only_in_review",
            ),
        ]
        indexes = [
            # Refs that look alike (case, full-width forms): services.common.lookalike_refs.
            models.Index(RefKey("ref"), name="need_ref_key"),
            # The rows waiting for their search vector (found by their text meanwhile).
            models.Index(
                fields=["id"],
                condition=Q(search_vector__isnull=True),
                name="need_search_pending",
            ),
            models.Index(fields=["status", "region"], name="need_status_region"),
            models.Index(fields=["agency", "status"], name="need_agency_status"),
            # The opportunity list's orders (newest; high value first), read backwards.
            models.Index(fields=["status", "published_at", "id"], name="need_status_published"),
            models.Index(
                fields=["status", "is_high_value", "published_at", "id"],
                name="need_status_value_published",
            ),
            # What changed since a stamp, in any state (matching's warm needs follow it).
            models.Index(fields=["updated_at"], name="need_updated"),
            # Each order the public list offers (the id breaks ties), over the public rows
            # only: the list's IN over several statuses cannot walk the indexes above in order.
            *[
                models.Index(
                    fields=fields,
                    condition=Q(status__in=sorted(PUBLIC_NEED_STATUSES)),
                    name=f"need_public_{name}",
                )
                for name, fields in (
                    ("recommended", ["is_high_value", "published_at", "id"]),
                    ("published", ["published_at", "id"]),
                    ("created", ["created_at", "id"]),
                    ("updated", ["updated_at", "id"]),
                    ("value", ["value_score", "id"]),
                    ("budget", ["budget_cny", "id"]),
                    ("deadline", ["deadline", "id"]),
                    ("trl", ["min_trl", "id"]),
                )
            ],
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    @property
    def is_editable(self) -> bool:
        return self.status in NEED_EDITABLE

    @property
    def shown_value_score(self) -> float | None:
        """The experts' mean as anyone may read it: None until enough experts scored for it
        not to be one colleague's own score (the need's agency and committees read
        ``value_score`` itself)."""
        if self.assessment_count < SCORE_SHOWN_FROM_EXPERTS:
            return None
        return self.value_score
