"""What a draft policy would change, computed by the matching engine without writing
anything: for each sample need, the top candidates under today's weights beside those under
the draft's (ranked by score before quotas, so the two columns differ only by the weights).

The draft engine shares the warm engine's capability index; only the weights differ.
"""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from accounts.roles import is_platform_admin, is_province_committee_member
from core.actors import Actor
from core.errors import ActorNotAllowed, InvalidInput
from matching import documents
from matching.index import TOP_N, warm_engine_for
from scenarios import selectors as scenario_selectors
from scenarios.services.policy import policy_current, policy_draft

PREVIEW_TOP = 5
PREVIEW_SAMPLE = 6


@dataclass(frozen=True)
class PreviewRow:
    capability_id: int
    ref: str
    title: str
    score: float
    rank: int
    moved: int | None  # rank under the other column minus this rank; None = not there


@dataclass(frozen=True)
class NeedPreview:
    need_id: int
    ref: str
    title: str
    today: list[PreviewRow]
    draft: list[PreviewRow]

    @property
    def changed(self) -> bool:
        return [r.capability_id for r in self.today] != [r.capability_id for r in self.draft]


def _top(engine: Any, needs: list[Any]) -> dict[int, list[tuple[int, float]]]:
    candidates = engine.rank(
        needs,
        top_n=max(PREVIEW_TOP, min(TOP_N, 20)),
        related_pairs=scenario_selectors.matching_related_org_pairs(),
        negative_list=documents.negative_list(),
    )
    out: dict[int, list[tuple[int, float]]] = {}
    for c in candidates:
        rows = out.setdefault(c.need_id, [])
        if len(rows) < PREVIEW_TOP:
            rows.append((c.cap_id, c.score))
    return out


def _rows(
    mine: list[tuple[int, float]], other: list[tuple[int, float]], labels: dict[int, Any]
) -> list[PreviewRow]:
    other_rank = {cap: i for i, (cap, _s) in enumerate(other, start=1)}
    return [
        PreviewRow(
            capability_id=cap,
            ref=labels.get(cap, ("", ""))[0],
            title=labels.get(cap, ("", ""))[1],
            score=score,
            rank=rank,
            moved=(other_rank[cap] - rank) if cap in other_rank else None,
        )
        for rank, (cap, score) in enumerate(mine, start=1)
    ]


def policy_preview(
    *,
    actor: Actor,
    matching_weights: dict[str, float],
    region_weights: dict[str, float],
    need_ids: list[int] | None = None,
) -> list[NeedPreview]:
    """Today's top candidates beside the draft weights' for ``need_ids`` (by default a
    sample of the latest published needs). Refuses invalid weights with the editor's
    field errors; writes nothing."""
    if not (is_province_committee_member(actor) or is_platform_admin(actor)):
        raise ActorNotAllowed(_("只有省级工作委员会可以预览政策。"))
    _values, errors = policy_draft(matching_weights=matching_weights, region_weights=region_weights)
    if errors:
        raise InvalidInput(_("政策参数无效。"), fields=errors)
    ids = need_ids or scenario_selectors.preview_need_ids(limit=PREVIEW_SAMPLE)
    ids = scenario_selectors.matching_need_ids(need_ids=ids)
    if not ids:
        return []
    engine, _key = warm_engine_for(policy_current())
    draft = documents.engine_for(
        analyzer=engine.analyzer, weights=matching_weights, region_weights=region_weights
    )
    assert engine.index is not None  # noqa: S101 - warm engines hold their index
    draft.use_index(engine.index)
    needs = documents.need_docs(analyzer=engine.analyzer, need_ids=ids)
    today, tomorrow = _top(engine, needs), _top(draft, needs)
    cap_ids = sorted({c for rows in (*today.values(), *tomorrow.values()) for c, _s in rows})
    caps = scenario_selectors.capability_labels(capability_ids=cap_ids)
    need_labels = scenario_selectors.need_labels(need_ids=ids)
    return [
        NeedPreview(
            need_id=n,
            ref=need_labels[n][0],
            title=need_labels[n][1],
            today=_rows(today.get(n, []), tomorrow.get(n, []), caps),
            draft=_rows(tomorrow.get(n, []), today.get(n, []), caps),
        )
        for n in ids
        if n in need_labels
    ]
