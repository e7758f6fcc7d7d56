"""Administrative regions (GB/T 2260) and the industry-chain taxonomy."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reference.choices import RegionLevel


class RegionQuerySet(models.QuerySet["Region"]):
    def within(self, region: "Region") -> "RegionQuerySet":
        """The region and all its descendants: one indexed prefix query on ``path``."""
        return self.filter(path__startswith=region.path)


class Region(models.Model):
    """A province, city or county with its official six-digit code.

    ``path`` holds the codes from the province down to this region joined by ``/`` with a
    trailing ``/`` (``360000/360100/360102/``), so subtree tests are one prefix match.
    """

    code = models.CharField(_("行政区划代码"), max_length=6, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("层级"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    path = models.CharField(_("层级路径"), max_length=32, unique=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        # The tables predate the reference app (they were scenarios'); their names are kept.
        db_table = "scenarios_region"
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        indexes = [
            models.Index(
                fields=["path"], name="region_path_prefix", opclasses=["varchar_pattern_ops"]
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(level="province") & Q(parent__isnull=True))
                | (~Q(level="province") & Q(parent__isnull=False)),
                name="region_parent_matches_level",
            ),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{6}$"), name="region_code_6_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def province_code(self) -> str:
        return self.path.split("/", 1)[0]

    def contains(self, other: "Region") -> bool:
        """True when ``other`` is this region or lies inside it."""
        return other.path.startswith(self.path)


class IndustryChainQuerySet(models.QuerySet["IndustryChain"]):
    def within(self, node: "IndustryChain") -> "IndustryChainQuerySet":
        """The node and all its descendants (one prefix query on ``path``)."""
        return self.filter(path__startswith=node.path)


class IndustryChain(models.Model):
    """A node of the industry-chain / track taxonomy (产业链 / 赛道) with matching synonyms.

    ``slug`` is the stable contract of the exchange format; ``path`` is the slugs from the
    root down to this node joined by ``/`` with a trailing ``/``.
    """

    slug = models.SlugField(_("标识"), max_length=64, unique=True)
    name_zh = models.CharField(_("中文名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=128)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    path = models.CharField(_("层级路径"), max_length=255, unique=True)
    synonyms = models.JSONField(_("同义词"), default=list, blank=True)

    objects = IndustryChainQuerySet.as_manager()

    class Meta:
        db_table = "scenarios_industrychain"
        verbose_name = _("产业链/赛道")
        verbose_name_plural = _("产业链/赛道")
        ordering = ["path"]
        indexes = [
            models.Index(
                fields=["path"], name="chain_path_prefix", opclasses=["varchar_pattern_ops"]
            )
        ]

    def __str__(self) -> str:
        return self.name_zh

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1
