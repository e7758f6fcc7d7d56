"""Enumerations of organizations and roles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganizationKind(models.TextChoices):
    AGENCY = "agency", _("需求单位（机关/事业单位）")
    FIRM = "firm", _("企业")
    EXPERT_INSTITUTION = "expert_institution", _("专家机构")
    COMMITTEE = "committee", _("场景应用创新工作委员会")
    PLATFORM = "platform", _("平台运营方")


class Role(models.TextChoices):
    AGENCY_EDITOR = "agency_editor", _("需求单位填报员")
    FIRM_EDITOR = "firm_editor", _("企业填报员")
    COMMITTEE_MEMBER = "committee_member", _("工作委员会成员")
    EXPERT = "expert", _("专家")
    PLATFORM_ADMIN = "platform_admin", _("平台管理员")


# Which organization kind each role belongs to; a membership must respect it.
ROLE_ORGANIZATION_KIND: dict[str, str] = {
    Role.AGENCY_EDITOR: OrganizationKind.AGENCY,
    Role.FIRM_EDITOR: OrganizationKind.FIRM,
    Role.COMMITTEE_MEMBER: OrganizationKind.COMMITTEE,
    Role.EXPERT: OrganizationKind.EXPERT_INSTITUTION,
    Role.PLATFORM_ADMIN: OrganizationKind.PLATFORM,
}
