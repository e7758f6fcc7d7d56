"""What several pages share: the status groups of the workspaces and the audit trail as
people read it."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_htmx.middleware import HtmxDetails

from core.actors import Actor
from portal.labels import ACTION_LABELS, STATE_LABELS
from scenarios import selectors
from scenarios.choices import NeedStatus


class HtmxHttpRequest(HttpRequest):
    """A request as HtmxMiddleware leaves it: ``request.htmx`` is truthy for htmx calls."""

    htmx: HtmxDetails


def posted_version(request: HttpRequest) -> int | None:
    """The version the page showed when the user pressed the button (for stale checks)."""
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


N = NeedStatus
STATUS_GROUPS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "all": (_("全部"), ()),
    "draft": (_("草稿"), (N.DRAFT, N.SUBMITTED)),
    "in_review": (_("审核中"), (N.IN_REVIEW,)),
    "returned": (_("已退回"), (N.RETURNED,)),
    "published": (_("已发布"), (N.PUBLISHED,)),
    "in_validation": (_("验证中"), (N.IN_VALIDATION,)),
    "validated": (_("已验证"), (N.VALIDATED, N.SCALED)),
    "ended": (_("已结束"), (N.CLOSED, N.REJECTED, N.WITHDRAWN)),
}


@dataclass(frozen=True)
class TrailRow:
    at: datetime
    actor: str
    action: str
    change: str
    reason: str


def _rows(events: list[Any]) -> list[TrailRow]:
    rows = []
    for event in events:
        change = ""
        if event.from_state or event.to_state:
            change = f"{STATE_LABELS.get(event.from_state, event.from_state) or '–'} → " + str(
                STATE_LABELS.get(event.to_state, event.to_state) or "–"
            )
        rows.append(
            TrailRow(
                at=event.created_at,
                actor=event.actor.get_username() if event.actor else str(_("系统")),
                action=str(ACTION_LABELS.get(event.action, event.action)),
                change=change,
                reason=event.reason,
            )
        )
    return rows


def trail_of(user: Actor, need: Any) -> list[TrailRow]:
    """The need's audit trail as the user may read it (confidential values blanked)."""
    return _rows(selectors.need_history_for_user(user=user, need=need))


def capability_trail(capability: Any) -> list[TrailRow]:
    return _rows(selectors.capability_history(capability=capability))
