"""What each notification says, in the reader's language.

A notification stores its verb and the parameters of its sentence (titles, names, a
reason); the sentence itself is written here, once per verb, and rendered when it is read,
so a reader who switches the portal to English reads English while titles and reasons stay
as their authors typed them. ``Notification.message`` keeps the sentence in the site's
language as it was when sent (the e-mail's text, and what rows written before parameters
existed show).

A verb whose sentence depends on an outcome (a firm's answer, a committee's decision) keys
its templates by ``params["variant"]``. A non-empty ``params["reason"]`` follows the
sentence after a colon.
"""

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

Template = Promise | dict[str, Promise]

TEMPLATES: dict[str, Template] = {
    "review.pending": _("待审核场景需求：%(ref)s %(need)s"),
    "need.published": _("您的场景需求 %(ref)s %(need)s 已发布到机会清单"),
    "need.returned": _("您的场景需求 %(ref)s %(need)s 被退回修改"),
    "need.rejected": _("您的场景需求 %(ref)s %(need)s 未通过审核"),
    "match.recommended": _("您的能力“%(capability)s”被推荐给场景需求“%(need)s”"),
    "match.available": _("场景需求“%(need)s”有%(count)s项新的推荐能力"),
    "match.firm_response": {
        "interested": _("%(firm)s对“%(need)s”表示有意向承接"),
        "declined": _("%(firm)s对“%(need)s”表示不参与"),
    },
    "match.shortlisted": _("您的能力“%(capability)s”入围“%(need)s”"),
    "match.unshortlisted": _("您的能力“%(capability)s”已不在“%(need)s”的入围名单中"),
    "match.awaiting_decision": _("待审批的入围推荐：%(need)s × %(capability)s"),
    "match.decided": {
        "approved": _("“%(need)s” × “%(capability)s” 批准进入场景验证"),
        "declined": _("“%(need)s” × “%(capability)s” 未获批准"),
    },
    "pilot.started": _("您的能力 %(capability)s 进入场景验证：%(need)s"),
    "pilot.proposed": _("%(agency)s 申请开展场景验证：%(need)s × %(capability)s"),
    "pilot.decided": {
        "approved": _("试点申请已批准：%(need)s"),
        "declined": _("试点申请未获批准：%(need)s"),
    },
    "pilot.outcome_recorded": {
        "validated": _("待确认的验证结论（验证成功）：%(need)s × %(capability)s"),
        "failed": _("待确认的验证结论（验证未通过）：%(need)s × %(capability)s"),
    },
    "pilot.concluded": {
        "validated": _("已登记验证结论（验证成功），待工作委员会确认：%(need)s × %(capability)s"),
        "failed": _("已登记验证结论（验证未通过），待工作委员会确认：%(need)s × %(capability)s"),
    },
    "pilot.confirmed": {
        "validated": _("验证结论（验证成功）已经工作委员会确认：%(need)s × %(capability)s"),
        "failed": _("验证结论（验证未通过）已经工作委员会确认：%(need)s × %(capability)s"),
    },
    "pilot.recognized": {
        "first_of_kind": _("“%(capability)s”在“%(need)s”的验证获推荐为首台（套）"),
        "best_practice": _("“%(need)s” × “%(capability)s” 获推荐为最佳实践案例"),
    },
    "organization.verified": _("您的企业 %(firm)s 已通过认证，提交的能力将发布到能力清单。"),
    "organization.suspended": _("您的企业 %(firm)s 已被工作委员会暂停"),
    "organization.reinstated": _("您的企业 %(firm)s 已恢复，因暂停而下架的能力已恢复发布。"),
    "capability.held": _("待复核的能力：%(ref)s %(capability)s"),
    "capability.suspended": _("您的能力 %(ref)s %(capability)s 被暂停发布"),
    "capability.returned": _("您的能力 %(ref)s %(capability)s 被退回修改"),
    "capability.published": _("您的能力 %(ref)s %(capability)s 已恢复发布"),
}

# The verbs as choices (the API's ``verb`` filter and its schema enum).
VERBS = tuple((verb, verb) for verb in sorted(TEMPLATES))

WITH_REASON = pgettext_lazy("a notification followed by its reason", "%(message)s：%(reason)s")


def render(verb: str, params: dict[str, Any]) -> str:
    """The notification's sentence in the active language; "" when the verb has no
    template or the parameters do not fill it (the caller falls back to the stored text)."""
    template = TEMPLATES.get(verb)
    if isinstance(template, dict):
        template = template.get(str(params.get("variant", "")))
    if template is None:
        return ""
    try:
        text = str(template) % params
    except (KeyError, TypeError, ValueError):
        return ""
    reason = str(params.get("reason") or "").strip()
    if reason:
        text = str(WITH_REASON) % {"message": text, "reason": reason}
    return text
