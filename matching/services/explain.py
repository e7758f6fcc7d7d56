"""Why a (need, capability) pair is, or is not, recommended: any pair, ranked or not.

The engine scores the pair under the current policy over the warm index (features, score,
its place among the need's candidates: ``MatchEngine.explain_pair``); the reasons it is not
recommended come from the items' states, the hard filters, that place, and the need's current
results (the last run's pairing: the need's cut-off and the firm's quota). Writes nothing
but the token cache.

Who may ask: a platform admin; a committee member for a need inside the committee's region;
the agency for its own need; the firm for its own capability; and only about items the caller
may see at all. Anyone else learns nothing (None, a 404 to the API).
"""

from dataclasses import dataclass, field
from typing import Any, Final

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.choices import Role
from accounts.roles import has_role_in, is_platform_admin, sits_on_committee_covering
from core.actors import Actor
from matching import documents
from matching.concepts import concept_sentence, concepts_of_pairs
from matching.engine import PairReport
from matching.engine.concepts import ConceptMatch
from matching.engine.scoring import (
    FEATURES,
    CapabilityArrays,
    CapabilityDoc,
    NegativeList,
    Weights,
    negative_list_mask,
)
from matching.index import TOP_N, warm_engine_for
from matching.models import Match
from matching.selectors import match_list_for_user
from scenarios import selectors as scenario_selectors
from scenarios.choices import CapabilityStatus, NegativeListKind
from scenarios.lifecycle import MATCHABLE_NEED_STATUSES
from scenarios.services.policy import policy_current

# Reason codes, in the order they are checked (and listed).
NEED_NOT_OPEN: Final = "need_not_open"
CAPABILITY_NOT_PUBLISHED: Final = "capability_not_published"
FIRM_NOT_VERIFIED: Final = "firm_not_verified"
FIRM_SUSPENDED: Final = "firm_suspended"
CONFLICT_OF_INTEREST: Final = "conflict_of_interest"
NEGATIVE_LIST: Final = "negative_list"
NOT_RETRIEVED: Final = "not_retrieved"
BELOW_TOP_N: Final = "below_top_n"
NOT_IN_CURRENT_RESULTS: Final = "not_in_current_results"
BELOW_CUTOFF: Final = "below_cutoff"
FIRM_QUOTA_USED: Final = "firm_quota_used"
NOT_CHOSEN: Final = "not_chosen"
REASON_CODES: Final = (
    NEED_NOT_OPEN,
    CAPABILITY_NOT_PUBLISHED,
    FIRM_NOT_VERIFIED,
    FIRM_SUSPENDED,
    CONFLICT_OF_INTEREST,
    NEGATIVE_LIST,
    NOT_RETRIEVED,
    BELOW_TOP_N,
    NOT_IN_CURRENT_RESULTS,
    BELOW_CUTOFF,
    FIRM_QUOTA_USED,
    NOT_CHOSEN,
)
# How a need holds a unit of the firm's quota.
QUOTA_HOLDERS: Final = ("recommendation", "pilot")
SAME_ORGANIZATION: Final = "same_organization"
DECLARED_RELATION: Final = "declared_relation"


@dataclass(frozen=True)
class FeatureLine:
    name: str
    value: float  # in [0, 1]
    weight: float  # normalised weight of the current policy
    contribution: float  # weight × value; the lines add up to the score


@dataclass(frozen=True)
class Reason:
    """One reason the pair is not recommended; ``detail`` is a sentence in the active
    language, the other fields are set where the code has them."""

    code: str
    detail: str
    status: str | None = None  # need_not_open, capability_not_published
    relation: str | None = None  # conflict_of_interest
    entries: list[dict[str, Any]] | None = None  # negative_list
    rank: int | None = None  # below_top_n
    top_n: int | None = None  # below_top_n
    k: int | None = None  # below_cutoff
    cutoff_score: float | None = None  # below_cutoff: the need's lowest recommendation
    quota: int | None = None  # firm_quota_used: the firm's capacity
    needs: list[dict[str, Any]] | None = None  # firm_quota_used: what holds it
    hidden_needs: int | None = None  # firm_quota_used: needs the caller may not see


@dataclass(frozen=True)
class PairExplanation:
    """A pair under the current policy, and why it is not recommended (empty when it is)."""

    need: Any
    capability: Any
    policy_version: int
    score: float
    features: list[FeatureLine]
    matched_keywords: list[str]
    concepts: list[ConceptMatch]
    concept_sentences: list[str]
    candidate: bool  # among the need's TOP_N candidates now
    rank: int | None  # place among the need's allowed candidates (None: not there)
    top_n: int
    retrieved: bool
    recommended: bool  # by the need's current results
    match_id: int | None  # the current match row, when the caller may read it
    reasons: list[Reason] = field(default_factory=list)


def _may_explain(user: Actor, need: Any, capability: Any) -> bool:
    return (
        is_platform_admin(user)
        or has_role_in(user, Role.AGENCY_EDITOR, need.agency)
        or has_role_in(user, Role.FIRM_EDITOR, capability.firm)
        or sits_on_committee_covering(user, need.region)
    )


def _on_need_side(user: Actor, need: Any) -> bool:
    """The need's agency, a committee over it, or an admin: who may compare its candidates."""
    return (
        is_platform_admin(user)
        or has_role_in(user, Role.AGENCY_EDITOR, need.agency)
        or sits_on_committee_covering(user, need.region)
    )


def pair_explain(*, user: Actor, need_id: int, capability_id: int) -> PairExplanation | None:
    """The explanation of the pair, or None when the caller may not ask about it (unknown
    items, items the caller may not see, or no role over either)."""
    need = scenario_selectors.need_list_for_user(user=user).filter(pk=need_id).first()
    capability = (
        scenario_selectors.capability_list_for_user(user=user).filter(pk=capability_id).first()
    )
    if need is None or capability is None or not _may_explain(user, need, capability):
        return None
    policy = policy_current()
    engine, _key = warm_engine_for(policy)
    analyzer = engine.analyzer
    need_doc = documents.need_docs(analyzer=analyzer, need_ids=[need.pk], any_status=True)[0]
    cap_doc = documents.capability_docs(
        analyzer=analyzer, capability_ids=[capability.pk], any_status=True
    )[0]
    negative = documents.negative_list()
    report = engine.explain_pair(
        need_doc,
        cap_doc,
        top_n=TOP_N,
        related_pairs=scenario_selectors.matching_related_org_pairs(),
        negative_list=negative,
    )
    weights = Weights.from_mapping(policy.matching_weights).normalized()
    current = (
        Match.objects.current()
        .filter(need_id=need.pk, capability_id=capability.pk)
        .select_related("run")
        .first()
    )
    concepts = concepts_of_pairs(pairs=[(need, capability)])[(need.pk, capability.pk)]
    visible_match = (
        current is not None and match_list_for_user(user=user).filter(pk=current.pk).exists()
    )
    return PairExplanation(
        need=need,
        capability=capability,
        policy_version=policy.version,
        score=report.score,
        features=[
            FeatureLine(name, report.features[name], weight, weight * report.features[name])
            for name, weight in zip(FEATURES, weights, strict=True)
        ],
        matched_keywords=report.matched_keywords,
        concepts=concepts,
        concept_sentences=[concept_sentence(c) for c in concepts],
        candidate=report.candidate,
        rank=report.rank,
        top_n=report.top_n,
        retrieved=report.retrieved,
        recommended=bool(current is not None and current.recommended),
        match_id=current.pk if current is not None and visible_match else None,
        reasons=_reasons(user, need, capability, cap_doc, negative, report, current),
    )


def _reasons(
    user: Actor,
    need: Any,
    capability: Any,
    cap_doc: CapabilityDoc,
    negative: NegativeList,
    report: PairReport,
    current: Match | None,
) -> list[Reason]:
    out: list[Reason] = []
    if need.status not in MATCHABLE_NEED_STATUSES:
        out.append(
            Reason(
                NEED_NOT_OPEN,
                _("需求当前为“%(status)s”，不在匹配范围内（只匹配已发布或验证中的需求）")
                % {"status": need.get_status_display()},
                status=need.status,
            )
        )
    firm = capability.firm
    if capability.status != CapabilityStatus.PUBLISHED:
        out.append(
            Reason(
                CAPABILITY_NOT_PUBLISHED,
                _("能力当前为“%(status)s”，未在能力清单上")
                % {"status": capability.get_status_display()},
                status=capability.status,
            )
        )
    if firm.verified_at is None:
        out.append(Reason(FIRM_NOT_VERIFIED, _("企业尚未通过认证")))
    if firm.suspended_at is not None:
        out.append(Reason(FIRM_SUSPENDED, _("企业已被暂停")))
    if report.conflict:
        same = need.agency_id == capability.firm_id
        out.append(
            Reason(
                CONFLICT_OF_INTEREST,
                _("利益冲突：需求单位与企业是同一单位")
                if same
                else _("利益冲突：需求单位与企业已申报关联关系"),
                relation=SAME_ORGANIZATION if same else DECLARED_RELATION,
            )
        )
    if report.banned:
        entries = _negative_entries_hitting(cap_doc)
        separator = pgettext("between quoted words", "、")
        names = separator.join(f"“{e['keyword'] or e['chain_name']}”" for e in entries)
        out.append(
            Reason(
                NEGATIVE_LIST, _("命中负面清单：%(entries)s") % {"entries": names}, entries=entries
            )
        )
    if out:
        return out  # not eligible: where it would rank does not matter
    if not report.retrieved:
        out.append(
            Reason(NOT_RETRIEVED, _("检索未把该能力列为此需求的候选（文本与产业链相关度不足）"))
        )
    elif not report.candidate:
        out.append(
            Reason(
                BELOW_TOP_N,
                _("排在第 %(rank)s 位，不在前 %(top_n)s 名候选之内")
                % {"rank": report.rank, "top_n": report.top_n},
                rank=report.rank,
                top_n=report.top_n,
            )
        )
    elif current is None:
        out.append(
            Reason(
                NOT_IN_CURRENT_RESULTS,
                _("最近一次匹配的结果中还没有这一组合，下一次匹配会重新考虑"),
            )
        )
    elif not current.recommended:
        out.extend(_pairing_reasons(user, need, capability, current))
    return out


def _negative_entries_hitting(cap_doc: CapabilityDoc) -> list[dict[str, Any]]:
    """The active negative-list entries that ban the capability, by the engine's own test."""
    taxonomy = documents.taxonomy()
    caps = CapabilityArrays.from_docs([cap_doc], taxonomy)
    out = []
    for entry in scenario_selectors.negative_entries():
        if entry.kind == NegativeListKind.KEYWORD:
            rule = NegativeList(keywords=(entry.keyword,))
        else:
            rule = NegativeList(chain_slugs=(entry.chain.slug,) if entry.chain else ())
        if negative_list_mask(caps, rule, taxonomy)[0]:
            out.append(
                {
                    "id": entry.pk,
                    "kind": entry.kind,
                    "keyword": entry.keyword,
                    "chain": entry.chain.slug if entry.chain else "",
                    "chain_name": entry.chain.name_zh if entry.chain else "",
                    "reason": entry.reason,
                }
            )
    return out


def _recommended_scores(need_id: int) -> list[float]:
    return list(
        Match.objects.current()
        .filter(need_id=need_id, recommended=True)
        .values_list("score", flat=True)
    )


def _cutoff_reason(user: Actor, need: Any, current: Match, chosen: list[float]) -> Reason | None:
    """The need's k better recommendations, when they are what kept ``current`` out."""
    k = int(current.run.params.get("k", 0)) or policy_current().recommendations_per_need
    if len(chosen) < k or current.score > min(chosen):
        return None
    # The cut-off is another firm's score: the need's side sees it, a firm only that the
    # need has k better recommendations.
    if _on_need_side(user, need):
        return Reason(
            BELOW_CUTOFF,
            _("该需求已有 %(k)s 项得分更高的推荐（最低 %(cutoff)s 分）")
            % {"k": k, "cutoff": f"{min(chosen):.2f}"},
            k=k,
            cutoff_score=min(chosen),
        )
    return Reason(BELOW_CUTOFF, _("该需求已有 %(k)s 项得分更高的推荐") % {"k": k}, k=k)


def _not_chosen() -> Reason:
    return Reason(
        NOT_CHOSEN,
        _("最近一次匹配未选中该组合；此后名额或推荐已有变化，下一次匹配会重新考虑"),
    )


def candidate_reasons(*, user: Actor, need: Any, matches: list[Match]) -> dict[int, list[Reason]]:
    """Why the last run's pairing left each of the need's current candidates (``matches``,
    with their runs) out, by match id: its cut-off, the firm's quota used up (how much, not
    by which needs: that is ``pair_explain``'s), else that the pairing chose others. The
    pairing part of :func:`pair_explain` for a need's page, in four queries for them all;
    recommended rows get none."""
    left_out = [m for m in matches if not m.recommended]
    if not left_out:
        return {}
    chosen = _recommended_scores(need.pk)
    firm_ids = sorted({m.firm_id for m in left_out})
    quota = scenario_selectors.matching_firm_capacity(firm_ids=firm_ids)
    held = dict(
        Match.objects.current()
        .filter(firm_id__in=firm_ids, recommended=True)
        .filter(scenario_selectors.matching_live_rows_q())
        .values("firm_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("firm_id", "n")
    )
    running = scenario_selectors.matching_firm_running_pilots(firm_ids=firm_ids)
    out: dict[int, list[Reason]] = {}
    for match in left_out:
        reasons = [r for r in [_cutoff_reason(user, need, match, chosen)] if r is not None]
        firm_quota = quota.get(match.firm_id, 0)
        recommendations, pilots = held.get(match.firm_id, 0), running.get(match.firm_id, 0)
        if recommendations + pilots >= firm_quota:
            reasons.append(
                Reason(
                    FIRM_QUOTA_USED,
                    _("企业的承接名额（%(quota)s 项）已被 %(held)s 项推荐和 %(pilots)s 个试点占满")
                    % {"quota": firm_quota, "held": recommendations, "pilots": pilots},
                    quota=firm_quota,
                )
            )
        out[match.pk] = reasons or [_not_chosen()]
    return out


def _pairing_reasons(user: Actor, need: Any, capability: Any, current: Match) -> list[Reason]:
    """Why the last run's pairing left a candidate out: the need's k better recommendations,
    and/or the firm's quota held by other needs' recommendations and running pilots."""
    out: list[Reason] = []
    if cutoff := _cutoff_reason(user, need, current, _recommended_scores(need.pk)):
        out.append(cutoff)
    firm_id = capability.firm_id
    quota = scenario_selectors.matching_firm_capacity(firm_ids=[firm_id]).get(firm_id, 0)
    held = list(
        Match.objects.current()
        .filter(firm_id=firm_id, recommended=True)
        .filter(scenario_selectors.matching_live_rows_q())
        .order_by("-score", "id")
        .values_list("need_id", flat=True)
    )
    pilots = scenario_selectors.matching_firm_pilot_need_ids(firm_id=firm_id)
    if len(held) + len(pilots) >= quota:
        ids = list(dict.fromkeys([*held, *pilots]))
        # Only the needs whose pairs with this firm the caller may see anyway (the matches
        # list's rule): an agency learns nothing of other agencies' recommendations.
        seen_ids = set(
            match_list_for_user(user=user)
            .filter(firm_id=firm_id, need_id__in=ids)
            .values_list("need_id", flat=True)
        )
        if has_role_in(user, Role.FIRM_EDITOR, capability.firm) or is_platform_admin(user):
            seen_ids = set(ids)  # its own pilots and recommendations
        visible = {
            row["id"]: row
            for row in scenario_selectors.need_list_for_user(user=user)
            .filter(pk__in=[i for i in ids if i in seen_ids])
            .values("id", "ref", "title")
        }
        needs = [
            {**visible[i], "via": "pilot" if i in pilots and i not in held else "recommendation"}
            for i in ids
            if i in visible
        ]
        out.append(
            Reason(
                FIRM_QUOTA_USED,
                _(
                    "企业的承接名额（%(quota)s 项）已被 %(needs)s 项需求的 %(held)s 项推荐"
                    "和 %(pilots)s 个试点占满"
                )
                % {"quota": quota, "needs": len(ids), "held": len(held), "pilots": len(pilots)},
                quota=quota,
                needs=needs,
                hidden_needs=len(ids) - len(needs),
            )
        )
    if not out:
        out.append(_not_chosen())
    return out
