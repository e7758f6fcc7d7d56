"""Enumerations of the scenario pipeline, shared by models, services, serializers and the
exchange format."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# The largest budget a need states: 100 亿元. Larger is a typing slip (元 for 万元), not a
# scenario; the page (in 万元), the API, the importer and the model all stop there.
BUDGET_MAX_CNY = 10**10


class NeedStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    IN_REVIEW = "in_review", _("审核中")
    PUBLISHED = "published", _("已发布")
    IN_VALIDATION = "in_validation", _("验证中")
    VALIDATED = "validated", _("已验证")
    SCALED = "scaled", _("已推广")
    RETURNED = "returned", _("已退回")
    REJECTED = "rejected", _("未通过")
    WITHDRAWN = "withdrawn", _("已撤回")
    CLOSED = "closed", _("已关闭")


class CapabilityStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    PUBLISHED = "published", _("已发布")
    RETURNED = "returned", _("已退回")
    WITHDRAWN = "withdrawn", _("已撤回")
    SUSPENDED = "suspended", _("已暂停")


class ScenarioCategory(models.TextChoices):
    GOVERNMENT_SERVICE = "government_service", _("政务服务")
    NEW_TRACK = "new_track", _("新领域新赛道")
    INDUSTRIAL_UPGRADE = "industrial_upgrade", _("产业转型升级新业态")
    INDUSTRY_SECTOR = "industry_sector", _("行业领域")
    SOCIAL_GOVERNANCE = "social_governance", _("社会治理服务综合性")
    LIVELIHOOD = "livelihood", _("民生领域")


class ValidationType(models.TextChoices):
    CONCEPT = "concept", _("概念验证")
    DEMAND = "demand", _("需求验证")
    TECHNOLOGY = "technology", _("技术验证")
    PRODUCT = "product", _("产品验证")


class Certification(models.TextChoices):
    FIRST_OF_KIND = "first_of_kind", _("首台（套）")
    SPECIALIZED_SME = "specialized_sme", _("专精特新")
    HIGH_TECH = "high_tech", _("高新技术企业")


class ReviewDecision(models.TextChoices):
    """A committee's decision on a need at one tier of review."""

    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("通过")
    RETURNED = "returned", _("退回修改")
    REJECTED = "rejected", _("不予通过")


class PilotStatus(models.TextChoices):
    PROPOSED = "proposed", _("待委员会批准")
    RUNNING = "running", _("验证中")
    VALIDATED = "validated", _("验证成功")
    FAILED = "failed", _("验证未通过")
    DECLINED = "declined", _("未获批准")
    WITHDRAWN = "withdrawn", _("申请已撤回")


class NegativeListKind(models.TextChoices):
    KEYWORD = "keyword", _("关键词")
    CHAIN = "chain", _("产业链/赛道")
