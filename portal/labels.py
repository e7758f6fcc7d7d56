"""Readable names, in the active language, for the codes the services record: audit
actions, states and notification verbs."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from scenarios.choices import CapabilityStatus, NeedStatus

ACTION_LABELS = {
    "need.create": _("创建"),
    "need.import": _("导入"),
    "need.update": _("修改"),
    "need.submit": _("提交审核"),
    "need.review_open": _("进入审核"),
    "need.forward": _("审核通过，转上级"),
    "need.publish": _("审核通过，发布"),
    "need.return": _("退回修改"),
    "need.reject": _("不予通过"),
    "need.withdraw": _("撤回"),
    "need.copy": _("复制为新草稿"),
    "need.close": _("关闭"),
    "need.validation_start": _("开始场景验证"),
    "need.validated": _("验证成功"),
    "need.validation_failed": _("验证未成功，重新开放"),
    "need.scale": _("推广应用"),
    "capability.create": _("创建"),
    "capability.import": _("导入"),
    "capability.update": _("修改"),
    "capability.submit": _("提交"),
    "capability.publish": _("发布"),
    "capability.return": _("退回"),
    "capability.withdraw": _("撤回"),
    "capability.suspend": _("暂停"),
    "capability.reinstate": _("恢复发布"),
    "capability.hold": _("待工作委员会复核"),
}
STATE_LABELS: dict[str, Any] = {
    **dict(NeedStatus.choices),
    **dict(CapabilityStatus.choices),
}

VERB_LABELS = {
    "review.pending": _("待审核"),
    "need.published": _("需求已发布"),
    "need.returned": _("需求被退回"),
    "need.rejected": _("需求未通过"),
    "match.recommended": _("新的推荐"),
    "match.available": _("新的推荐能力"),
    "match.firm_response": _("企业回应"),
    "match.shortlisted": _("入围"),
    "match.unshortlisted": _("已移出入围"),
    "match.awaiting_decision": _("待审批推荐"),
    "match.decided": _("对接结果"),
    "pilot.started": _("场景验证开始"),
    "organization.verified": _("企业认证通过"),
    "organization.suspended": _("企业被暂停"),
    "organization.reinstated": _("企业已恢复"),
    "capability.suspended": _("能力被暂停发布"),
    "capability.returned": _("能力被退回修改"),
    "capability.published": _("能力已恢复发布"),
    "pilot.proposed": _("试点申请"),
    "pilot.decided": _("试点申请结果"),
    "pilot.outcome_recorded": _("待确认验证结论"),
    "pilot.concluded": _("已登记验证结论"),
    "pilot.confirmed": _("验证结论已确认"),
    "pilot.recognized": _("获推荐"),
    "capability.held": _("能力待复核"),
}

# What each default selection criterion asks the expert to judge (a criterion of a newer
# policy carries its own ``description``).
CRITERION_DESCRIPTIONS = {
    "tech_advancement": _("所需技术是否处于前沿、能否带动关键核心技术突破与迭代。"),
    "demonstration": _("场景建成后能否形成标杆示范，带动同类单位和上下游采用新技术。"),
    "industry_pull": _("场景需求能否牵引产业链、新赛道的产品研发、企业集聚和投资。"),
    "replicability": _("方案与商业模式能否在省内外同类场景复制推广。"),
    "feasibility": _("资金、数据、场地等资源和组织保障是否到位，能否按期实施。"),
}


# The default criteria's names, in the active language (a policy stores them in Chinese).
CRITERION_NAMES = {
    "tech_advancement": (_("技术先进性"), "技术先进性"),
    "demonstration": (_("示范带动性"), "示范带动性"),
    "industry_pull": (_("产业牵引力"), "产业牵引力"),
    "replicability": (_("可复制推广性"), "可复制推广性"),
    "feasibility": (_("实施可行性"), "实施可行性"),
}


def criterion_name(criterion: dict[str, Any]) -> str:
    """A criterion's name; a default criterion keeping its default name is translated."""
    name = str(criterion.get("name") or criterion.get("key", ""))
    known = CRITERION_NAMES.get(str(criterion.get("key")))
    if known is not None and known[1] == name:
        return str(known[0])
    return name


def criterion_description(criterion: dict[str, Any]) -> str:
    """What the expert judges under ``criterion``: its own text, else the default's."""
    own = criterion.get("description")
    if isinstance(own, str) and own.strip():
        return own.strip()
    return str(CRITERION_DESCRIPTIONS.get(str(criterion.get("key")), ""))
