"""Capabilities (能力清单): what firms offer for scenarios."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.validation import one_line_text, visible_text
from scenarios.choices import CapabilityStatus
from scenarios.lifecycle import CAPABILITY_EDITABLE
from scenarios.models.common import (
    CAPABILITY_SEARCH_INDEX,
    KeepsChainIds,
    ListItemManager,
    RefKey,
)
from scenarios.models.needs import TRL_VALIDATORS


class CapabilityQuerySet(models.QuerySet["Capability"]):
    def public(self) -> "CapabilityQuerySet":
        return self.filter(status=CapabilityStatus.PUBLISHED)


class Capability(KeepsChainIds, models.Model):
    """A firm's technology, product or solution offered for scenarios (能力清单 entry).

    Publishes only when the firm is verified and the item passes the negative list.
    ``capacity`` is how many pilots it can run at once.
    """

    ref = models.CharField(_("编号"), max_length=64, unique=True)
    firm = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="capabilities",
        verbose_name=_("企业"),
    )
    title = models.CharField(_("能力名称"), max_length=200, validators=[one_line_text])
    description = models.TextField(_("能力描述"), max_length=5000, validators=[visible_text])
    chains = models.ManyToManyField(
        "reference.IndustryChain", related_name="capabilities", verbose_name=_("产业链/赛道")
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
    trl = models.PositiveSmallIntegerField(_("技术成熟度"), validators=TRL_VALIDATORS)
    region = models.ForeignKey(
        "reference.Region",
        on_delete=models.PROTECT,
        related_name="capabilities",
        verbose_name=_("所在地区"),
    )
    certifications = models.JSONField(_("资质认定"), default=list, blank=True)
    past_cases = models.JSONField(
        _("过往案例"), default=list, blank=True, validators=[visible_text]
    )
    capacity = models.PositiveSmallIntegerField(
        _("可同时承接试点数"), default=1, validators=[MinValueValidator(1)]
    )
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=CapabilityStatus.choices,
        default=CapabilityStatus.DRAFT,
    )
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
    # Why a submitted capability waits for a committee instead of publishing (resubmitted
    # after a committee returned it, or the copy of a suspended one); blank otherwise.
    held_reason = models.CharField(_("待复核原因"), max_length=300, blank=True)
    returned_by_committee = models.BooleanField(default=False, editable=False)
    suspended_with_firm = models.BooleanField(default=False, editable=False)

    objects = ListItemManager.from_queryset(CapabilityQuerySet)()

    SEARCH_INDEX = CAPABILITY_SEARCH_INDEX

    class Meta:
        verbose_name = _("场景能力")
        verbose_name_plural = _("场景能力（能力清单）")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(trl__gte=1) & Q(trl__lte=9), name="capability_trl_1_9"
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1), name="capability_capacity_positive"
            ),
        ]
        indexes = [
            # Refs that look alike (case, full-width forms): services.common.lookalike_refs.
            models.Index(RefKey("ref"), name="capability_ref_key"),
            # The rows waiting for their search vector (found by their text meanwhile).
            models.Index(
                fields=["id"],
                condition=Q(search_vector__isnull=True),
                name="capability_search_pending",
            ),
            models.Index(fields=["status", "region"], name="capability_status_region"),
            models.Index(fields=["firm", "status"], name="capability_firm_status"),
            # What changed since a stamp, in any state (the matching index follows it).
            models.Index(fields=["updated_at"], name="capability_updated"),
            # The capability list's orders (newest; most mature; most capacity).
            models.Index(
                fields=["status", "published_at", "id"], name="capability_status_published"
            ),
            models.Index(
                fields=["status", "trl", "published_at", "id"], name="capability_status_trl"
            ),
            models.Index(
                fields=["status", "capacity", "published_at", "id"],
                name="capability_status_capacity",
            ),
            # The API's orders: a field, then the id in the same direction.
            *[
                models.Index(fields=["status", field, "id"], name=f"capability_status_{name}")
                for name, field in (
                    ("created", "created_at"),
                    ("updated", "updated_at"),
                    ("trl_id", "trl"),
                    ("capacity_id", "capacity"),
                )
            ],
            # Everything the facet counts read (and the key a chain filter joins on), so
            # counting the published list is an index-only scan (PostgreSQL; elsewhere a
            # plain index on status).
            models.Index(
                fields=["status"],
                include=["id", "trl", "region", "certifications", "chain_ids"],
                name="capability_facets",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    @property
    def is_editable(self) -> bool:
        return self.status in CAPABILITY_EDITABLE
