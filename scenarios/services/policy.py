"""The province committee's versioned policy: reading the current one, issuing a new one."""

import itertools
import math
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import is_province_committee_member
from activity.services import audit_record
from core.actors import Actor, acting_user
from core.errors import ActorNotAllowed, InvalidInput, StaleVersion
from core.validation import check_text
from core.words import listing
from scenarios import events, policy_defaults
from scenarios.facets import lists_changed
from scenarios.models import PolicyVersion, ScenarioNeed

POLICY_FIELDS = (
    "major_budget_threshold_cny",
    "selection_criteria",
    "high_value_threshold",
    "high_value_min_experts",
    "matching_weights",
    "region_weights",
    "recommendations_per_need",
)
MATCHING_FEATURES = ("text", "chain", "keywords", "trl", "region", "track_record", "capacity")
REGION_KEYS = ("same_county", "same_city", "same_province", "outside")
REGION_LABELS = {
    "same_county": gettext_lazy("同一区县"),
    "same_city": gettext_lazy("同一设区市"),
    "same_province": gettext_lazy("省内其他地区"),
    "outside": gettext_lazy("省外"),
}


def check_policy_editor(actor: Actor | None, _obj: Any = None) -> None:
    """Only members of the province committee issue policy versions."""
    if not is_province_committee_member(actor):
        raise ActorNotAllowed(_("只有省级工作委员会可以修改政策。"))


def policy_current() -> PolicyVersion:
    """The highest policy version (reference loading creates version 1)."""
    policy = PolicyVersion.objects.order_by("-version").first()
    if policy is None:
        raise InvalidInput(_("尚未加载政策，请先运行 load_reference。"))
    return policy


# Region weights multiply a feature that lies in [0, 1]; the other weights are relative, and
# bounded so that no sum of them can overflow (1e308 made every score NaN).
REGION_WEIGHT_MAX = 1.0
RELATIVE_WEIGHT_MAX = 1000.0
# The decimals the editor's fields take and the pages show: a threshold of 1e-320 was read
# by experts as "平均分达到 1e-320 分", and a weight of 1e-320 shows as 0.0000.
WEIGHT_DECIMALS = 4
THRESHOLD_DECIMALS = 2


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _decimals_at_most(value: float, places: int) -> bool:
    """Whether ``value`` has at most ``places`` decimals (85.55 has two, 1e-320 has more)."""
    return round(value, places) == value


def _weight_decimals_problem(weights: Any) -> list[str]:
    if any(not _decimals_at_most(w, WEIGHT_DECIMALS) for w in weights):
        return [_("权重最多 %(places)s 位小数。") % {"places": WEIGHT_DECIMALS}]
    return []


def _check_weights(name: str, weights: Any, keys: tuple[str, ...]) -> list[str]:
    if not isinstance(weights, dict) or set(weights) != set(keys):
        return [_("必须恰好包含这些键：%(keys)s。") % {"keys": ", ".join(keys)}]
    if any(not _number(v) or v < 0 for v in weights.values()):
        return [_("权重必须是非负数。")]
    if problems := _weight_decimals_problem(weights.values()):
        return problems
    top = REGION_WEIGHT_MAX if name == "region_weights" else RELATIVE_WEIGHT_MAX
    too_big = sorted(k for k, v in weights.items() if v > top)
    if too_big:
        return [_("%(keys)s 超过上限 %(max)s。") % {"keys": listing(too_big), "max": f"{top:g}"}]
    if name == "matching_weights" and sum(weights.values()) <= 0:
        return [_("权重之和必须大于0。")]
    if name == "region_weights":
        return _check_distance_order(weights)
    return []


def rising_region_pairs(weights: dict[str, float]) -> list[tuple[str, str]]:
    """The (nearer, farther) neighbours of ``REGION_KEYS`` whose weights rise with distance."""
    return [
        (near, far)
        for near, far in itertools.pairwise(REGION_KEYS)
        if near in weights and far in weights and weights[near] < weights[far]
    ]


def _check_distance_order(weights: dict[str, float]) -> list[str]:
    """Region weights never rise from nearest (``REGION_KEYS`` order) to farthest: a nearer
    firm scoring lower than a farther one turns the region feature upside down."""
    rising = [
        _("%(near)s（%(a)s）低于 %(far)s（%(b)s）")
        % {
            "near": REGION_LABELS[near],
            "a": f"{weights[near]:g}",
            "far": REGION_LABELS[far],
            "b": f"{weights[far]:g}",
        }
        for near, far in rising_region_pairs(weights)
    ]
    if rising:
        return [_("地域权重应由近及远递减或持平：%(pairs)s。") % {"pairs": listing(rising)}]
    return []


def _check_criteria(criteria: Any) -> list[str]:
    if not isinstance(criteria, list) or not criteria:
        return [_("至少需要一项遴选标准。")]
    keys = set()
    for item in criteria:
        if not isinstance(item, dict) or {"key", "name", "weight"} - set(item):
            return [_("每项遴选标准需要 key、name、weight。")]
        w = item["weight"]
        if not _number(w) or w <= 0:
            return [_("遴选标准权重必须为正数。")]
        if problems := _weight_decimals_problem([w]):
            return problems
        if w > RELATIVE_WEIGHT_MAX:
            return [_("遴选标准权重不能超过 %(max)s。") % {"max": f"{RELATIVE_WEIGHT_MAX:g}"}]
        keys.add(item["key"])
    if len(keys) != len(criteria):
        return [_("遴选标准的 key 不能重复。")]
    return []


def policy_draft(**changes: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The values a new version would have (the current ones plus ``changes``) and what is
    wrong with them, without saving anything: the editor shows both before it saves."""
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        return {}, {f: [_("未知字段。")] for f in sorted(unknown)}
    current = policy_current()
    values = {f: getattr(current, f) for f in POLICY_FIELDS} | changes
    return values, _validate(values)


def _validate(values: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field, keys in (("matching_weights", MATCHING_FEATURES), ("region_weights", REGION_KEYS)):
        problems = _check_weights(field, values[field], keys)
        if problems:
            errors[field] = problems
    problems = _check_criteria(values["selection_criteria"])
    if problems:
        errors["selection_criteria"] = problems
    threshold = values["major_budget_threshold_cny"]
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 0:
        errors["major_budget_threshold_cny"] = [_("必须是非负整数。")]
    k = values["recommendations_per_need"]
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 50:
        errors["recommendations_per_need"] = [_("必须是1到50之间的整数。")]
    hv = values["high_value_threshold"]
    if not _number(hv) or not 0 <= hv <= 100:
        errors["high_value_threshold"] = [_("必须在0到100之间。")]
    elif not _decimals_at_most(hv, THRESHOLD_DECIMALS):
        errors["high_value_threshold"] = [_("最多两位小数。")]
    experts = values["high_value_min_experts"]
    if not isinstance(experts, int) or isinstance(experts, bool) or not 1 <= experts <= 20:
        errors["high_value_min_experts"] = [_("必须是1到20之间的整数。")]
    return errors


def policy_changes_since(
    *, base_version: int, values: dict[str, Any]
) -> tuple[int, dict[str, Any], list[str]]:
    """An editor loaded version ``base_version`` and submitted ``values`` (every field): what
    they changed, applied onto the current version, weight by weight. Returns the current
    version, the changes to it, and the fields ("matching_weights.region", "note"…) that a
    version saved meanwhile changed to something else (the editor must look before theirs
    wins). A save from a stale page so keeps a colleague's change to another weight instead
    of silently writing the old value back."""
    current = policy_current()
    base = PolicyVersion.objects.filter(version=base_version).first() or current
    changes: dict[str, Any] = {}
    conflicts: list[str] = []

    def pick(name: str, typed: Any, was: Any, now: Any) -> Any:
        if typed == was:
            return now  # not touched by this editor
        if now not in (was, typed):
            conflicts.append(name)
        return typed

    for field, typed in values.items():
        was, now = getattr(base, field), getattr(current, field)
        if isinstance(typed, dict):
            merged: Any = dict(now) | {
                key: pick(f"{field}.{key}", value, was.get(key), now.get(key))
                for key, value in typed.items()
            }
        elif field == "selection_criteria":
            was_w = {c["key"]: c["weight"] for c in was}
            now_w = {c["key"]: c["weight"] for c in now}
            merged = [
                {
                    **c,
                    "weight": pick(
                        f"{field}.{c['key']}", c["weight"], was_w.get(c["key"]), now_w.get(c["key"])
                    ),
                }
                for c in typed
            ]
        else:
            merged = pick(field, typed, was, now)
        if merged != now:
            changes[field] = merged
    return current.version, changes, conflicts


@transaction.atomic
def policy_update(
    *, actor: Actor, note: str = "", expected_version: int | None = None, **changes: Any
) -> PolicyVersion:
    """Issue a new policy version from the current one plus ``changes``.

    Only members of the province committee may. Old versions are never modified, so
    scores and assessments that reference them stay reproducible. ``expected_version``: the
    version the changes were made against (a later one is a 412, as for needs). Changes
    that change nothing are a 400: a new identical version would only start a full run.
    Announces ``policy_changed`` after commit.
    """
    check_policy_editor(actor)
    check_text("note", note)
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise InvalidInput(_("未知的政策字段。"), fields={f: [_("未知字段。")] for f in unknown})
    # Lock the current head so two concurrent edits cannot both become version N+1.
    current = PolicyVersion.objects.select_for_update().order_by("-version").first()
    if current is None:
        raise InvalidInput(_("尚未加载政策，请先运行 load_reference。"))
    if expected_version is not None and expected_version > current.version:
        raise StaleVersion(
            _("政策第 %(expected)s 版不存在（当前为第 %(current)s 版），请刷新后重试。")
            % {"current": current.version, "expected": expected_version},
            current_version=current.version,
        )
    if expected_version is not None and expected_version != current.version:
        raise StaleVersion(
            _("政策已更新为第 %(current)s 版（请求基于第 %(expected)s 版），请刷新后重试。")
            % {"current": current.version, "expected": expected_version},
            current_version=current.version,
        )
    values = {f: getattr(current, f) for f in POLICY_FIELDS} | changes
    errors = _validate(values)
    if errors:
        raise InvalidInput(_("政策参数无效。"), fields=errors)
    if all(values[f] == getattr(current, f) for f in POLICY_FIELDS):
        raise InvalidInput(
            _("与当前第 %(v)s 版相同，没有需要保存的修改。") % {"v": current.version},
            code="unchanged",
        )
    new = PolicyVersion.objects.create(
        version=current.version + 1,
        note=note,
        created_by=acting_user(actor),
        **values,
    )
    audit_record(
        actor=actor,
        action="policy.update",
        target=new,
        from_state=f"v{current.version}",
        to_state=f"v{new.version}",
        reason=note,
        data={"changes": changes},
    )
    if any(f in changes for f in ("high_value_threshold", "high_value_min_experts")):
        needs_mark_high_value(policy=new)
    events.policy_changed.send_after_commit(version=new.version)
    return new


def is_high_value(mean: float | None, experts: int, policy: PolicyVersion) -> bool:
    """The panel's mean reaches the line, and enough experts scored for it to be a panel's."""
    return (
        mean is not None
        and experts >= policy.high_value_min_experts
        and mean >= policy.high_value_threshold
    )


def needs_mark_high_value(*, policy: PolicyVersion) -> int:
    """Mark every assessed need high value or not under ``policy`` (its line or its number
    of experts changed); returns how many marks changed. The lists' counts follow."""
    assessed = ScenarioNeed.objects.filter(value_score__isnull=False).annotate(
        experts=Count("assessments")
    )
    high = {
        pk
        for pk, mean, experts in assessed.values_list("pk", "value_score", "experts")
        if is_high_value(mean, experts, policy)
    }
    gained = list(
        ScenarioNeed.objects.filter(pk__in=high, is_high_value=False).values_list("pk", flat=True)
    )
    lost = list(
        ScenarioNeed.objects.filter(is_high_value=True)
        .exclude(pk__in=high)
        .values_list("pk", flat=True)
    )
    ScenarioNeed.objects.filter(pk__in=gained).update(is_high_value=True)
    ScenarioNeed.objects.filter(pk__in=lost).update(is_high_value=False)
    if gained or lost:
        lists_changed(changed=(ScenarioNeed, gained + lost))
    return len(gained) + len(lost)


def policy_ensure_initial() -> PolicyVersion:
    """Create policy version 1 with the defaults unless a policy exists."""
    current = PolicyVersion.objects.order_by("-version").first()
    if current is not None:
        return current
    return PolicyVersion.objects.create(
        version=1,
        major_budget_threshold_cny=policy_defaults.DEFAULT_MAJOR_BUDGET_THRESHOLD_CNY,
        selection_criteria=policy_defaults.DEFAULT_SELECTION_CRITERIA,
        high_value_threshold=policy_defaults.DEFAULT_HIGH_VALUE_THRESHOLD,
        high_value_min_experts=policy_defaults.DEFAULT_HIGH_VALUE_MIN_EXPERTS,
        matching_weights=policy_defaults.DEFAULT_MATCHING_WEIGHTS,
        region_weights=policy_defaults.DEFAULT_REGION_WEIGHTS,
        recommendations_per_need=policy_defaults.DEFAULT_RECOMMENDATIONS_PER_NEED,
        note="初始政策",
    )
