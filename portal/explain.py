"""A match's score as people read it: a bar per feature, the matched keywords, and one or two
sentences ("关键词“OCR”相符；同属产业链“大模型+数字人”；技术成熟度 8 级，高于要求的 6 级；
企业位于南昌市"). Built from the match's stored breakdown and the two items; nothing is
recomputed, so the page explains exactly the score the run gave.

``explain_all`` adds the matched concepts, word by word ("需求的“钨”与能力的“铜”同属“有色金属”"),
computed for the shown matches only (``matching.concepts``)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language, gettext_lazy, pgettext
from django.utils.translation import gettext as _

from matching.concepts import concept_sentence, concepts_of_pairs
from reference.selectors import chains_by_id, regions_by_code
from scenarios.choices import Certification

FEATURE_LABELS = {
    "text": gettext_lazy("文本相关度"),
    "chain": gettext_lazy("产业链契合"),
    "keywords": gettext_lazy("关键词覆盖"),
    "trl": gettext_lazy("成熟度匹配"),
    "region": gettext_lazy("地域邻近"),
    "track_record": gettext_lazy("业绩记录"),
    "capacity": gettext_lazy("承接余量"),
}


@dataclass(frozen=True)
class Bar:
    feature: str
    label: str
    value: float  # the feature, in [0, 1]
    weight: float  # its normalised weight in the policy
    contribution: float  # weight × value: its share of the score


@dataclass(frozen=True)
class Explanation:
    score: float
    bars: list[Bar]
    keywords: list[str]
    sentences: list[str]
    policy_version: int | None
    concepts: list[str] = field(default_factory=list)  # one sentence per matched concept

    @property
    def text(self) -> str:
        """The sentences as one, punctuated for the active language."""
        return _joined(self.sentences)

    @property
    def concept_text(self) -> str:
        """The matched concepts as one sentence, punctuated for the active language."""
        return _joined(self.concepts)


def _joined(sentences: list[str]) -> str:
    if not sentences:
        return ""
    separator = pgettext("between reasons", "；")
    return separator.join(sentences) + pgettext("after the last reason", "。")


def _quoted(words: list[str]) -> str:
    """“a”“b” in Chinese; “a”, “b” in English."""
    separator = ", " if (get_language() or "").startswith("en") else ""
    return separator.join(f"“{w}”" for w in words)


def _chain_sentence(need: Any, capability: Any) -> str | None:
    nodes = chains_by_id()
    need_ids = {c.id for c in need.chains.all()}
    cap_ids = {c.id for c in capability.chains.all()}
    shared = [nodes[i].name for i in sorted(need_ids & cap_ids) if i in nodes]
    if shared:
        return _("同属产业链%(chains)s") % {"chains": _quoted(shared)}
    parents = {nodes[i].parent_id for i in need_ids if i in nodes} - {None}
    related = sorted(
        parent
        for i in cap_ids
        if i in nodes and (parent := nodes[i].parent_id) is not None and parent in parents
    )
    if related:
        return _("产业链相近（同属%(chain)s）") % {"chain": _quoted([nodes[related[0]].name])}
    return None


def _trl_sentence(need: Any, capability: Any) -> str:
    if capability.trl > need.min_trl:
        return _("技术成熟度 %(trl)s 级，高于要求的 %(min)s 级") % {
            "trl": capability.trl,
            "min": need.min_trl,
        }
    if capability.trl == need.min_trl:
        return _("技术成熟度 %(trl)s 级，达到要求") % {"trl": capability.trl}
    return _("技术成熟度 %(trl)s 级，低于要求的 %(min)s 级") % {
        "trl": capability.trl,
        "min": need.min_trl,
    }


def _region_sentence(need: Any, capability: Any) -> str:
    regions = regions_by_code()
    own = regions.get(capability.region_id)
    place = own.name if own else capability.region_id
    need_path = getattr(need.region, "path", "")
    cap_path = getattr(capability.region, "path", "")
    common = 0
    for a, b in zip(
        need_path.rstrip("/").split("/"), cap_path.rstrip("/").split("/"), strict=False
    ):
        if a != b:
            break
        common += 1
    relation = {
        3: _("与场景同县区"),
        2: _("与场景同市"),
        1: _("与场景同省"),
    }.get(common, _("省外企业"))
    return _("企业位于%(place)s（%(relation)s）") % {"place": place, "relation": relation}


def _track_sentence(capability: Any) -> str:
    """What the track-record feature counted: the certifications of the capability that the
    firm's committee checked (matching trusts no bare claim), or else (the feature is only
    above zero with one of the two) its validated pilots."""
    labels = dict(Certification.choices)
    checked = set(capability.firm.verified_certifications or ())
    counted = [str(labels[c]) for c in capability.certifications or [] if c in checked]
    if counted:
        return _("具有经核验的%(certifications)s认定") % {"certifications": _quoted(counted)}
    return _("有验证成功的试点")


def explain_all(matches: Sequence[Any]) -> list[Explanation]:
    """The explanations of the shown matches, each with its matched concepts (computed here,
    for these pairs only: two queries for their cached tokens)."""
    concepts = concepts_of_pairs(pairs=[(m.need, m.capability) for m in matches])
    return [
        explain(m, concepts=[concept_sentence(c) for c in concepts[(m.need_id, m.capability_id)]])
        for m in matches
    ]


def explain(match: Any, *, concepts: list[str] | None = None) -> Explanation:
    """The explanation of one match row (``match.need`` and ``match.capability`` loaded
    with their chains and regions); ``concepts`` are the sentences of its matched concepts
    (``explain_all`` computes them)."""
    breakdown = match.breakdown or {}
    features: dict[str, float] = breakdown.get("features", {})
    weights: dict[str, float] = breakdown.get("weights", {})
    bars = [
        Bar(
            feature=name,
            label=str(label),
            value=float(features.get(name, 0.0)),
            weight=float(weights.get(name, 0.0)),
            contribution=float(weights.get(name, 0.0)) * float(features.get(name, 0.0)),
        )
        for name, label in FEATURE_LABELS.items()
        if name in features
    ]
    keywords = [str(k) for k in breakdown.get("matched_keywords", [])]
    need, capability = match.need, match.capability
    said: list[tuple[str, str]] = []  # (feature, sentence)
    text = float(features.get("text", 0.0))
    if text > 0:
        said.append(("text", _("描述内容相关（文本相关度 %(v).2f）") % {"v": text}))
    if keywords:
        said.append(("keywords", _("关键词%(words)s相符") % {"words": _quoted(keywords)}))
    chain = _chain_sentence(need, capability)
    if chain:
        said.append(("chain", chain))
    said.append(("trl", _trl_sentence(need, capability)))
    said.append(("region", _region_sentence(need, capability)))
    if features.get("track_record", 0) > 0:
        said.append(("track_record", _track_sentence(capability)))
    # What decided the score first: a reason weighing 1 % of it does not lead (stable, so
    # reasons of equal weight keep the order above).
    share = {bar.feature: bar.contribution for bar in bars}
    said.sort(key=lambda pair: -share.get(pair[0], 0.0))
    return Explanation(
        score=float(match.score),
        bars=bars,
        keywords=keywords,
        sentences=[sentence for _feature, sentence in said],
        policy_version=breakdown.get("policy_version"),
        concepts=list(concepts or []),
    )
