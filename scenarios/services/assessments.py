"""Expert screening: scores against the policy's criteria and the need's value score."""

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Avg, Count
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.roles import memberships
from activity.services import audit_record
from core.actors import Actor
from core.errors import ActorNotAllowed, InvalidInput, InvalidTransition
from core.locks import lock_one
from core.validation import check_text
from scenarios.lifecycle import ASSESSABLE_NEED_STATUSES
from scenarios.models import Assessment, PolicyVersion, ScenarioNeed
from scenarios.services.policy import is_high_value, policy_current


def _decimals(value: float) -> int:
    """How many decimals ``value`` is written with (85.0000001 has 7, 79.9 one)."""
    exponent = Decimal(repr(float(value))).as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def weighted_score(*, policy: PolicyVersion, scores: dict[str, Any]) -> float:
    """Weighted mean of 0-100 criterion scores with the policy's weights."""
    criteria = policy.selection_criteria
    keys = {c["key"] for c in criteria}
    errors: list[str] = []
    if set(scores) != keys:
        errors.append(_("必须恰好包含这些评分项：%(k)s。") % {"k": ", ".join(sorted(keys))})
    elif any(
        not isinstance(v, int | float) or isinstance(v, bool) or not 0 <= v <= 100
        for v in scores.values()
    ):
        errors.append(_("每项评分必须是0到100之间的数。"))
    elif any(_decimals(v) > 1 for v in scores.values()):
        # As the page's form: the panel's mean is shown, and compared, to the hundredth.
        errors.append(_("每项评分最多保留 1 位小数。"))
    if errors:
        raise InvalidInput(_("评分无效。"), fields={"scores": errors})
    total_weight = sum(float(c["weight"]) for c in criteria)
    total = sum(float(c["weight"]) * float(scores[c["key"]]) for c in criteria)
    return round(total / total_weight, 2)


def check_expert(actor: Actor, need: ScenarioNeed | None = None) -> None:
    """Only experts score needs (``need``: the API asks per object, before the body)."""
    if not any(m.role == Role.EXPERT for m in memberships(actor)) or not isinstance(actor, User):
        raise ActorNotAllowed(_("只有专家可以评分。"))


@transaction.atomic
def assessment_submit(
    *, actor: Actor, need: ScenarioNeed, scores: dict[str, Any], comment: str = ""
) -> Assessment:
    """Record (or revise) the actor's assessment and refresh the need's value score.

    High-value needs (mean at or over the policy's threshold) sort first in lists and
    matching.
    """
    check_expert(actor)
    check_text("comment", comment)
    need = lock_one(ScenarioNeed, need.pk)
    if need.status not in ASSESSABLE_NEED_STATUSES:
        raise InvalidTransition(_("只能对审核中或已发布的需求评分。"), status=need.status)
    policy = policy_current()
    score = weighted_score(policy=policy, scores=scores)
    assessment, created = Assessment.objects.update_or_create(
        need=need,
        expert=actor,
        defaults={"policy": policy, "scores": scores, "weighted_score": score, "comment": comment},
    )
    found = need.assessments.aggregate(v=Avg("weighted_score"), n=Count("id"))
    # Kept to the hundredth, as shown: a mean of 79.95 read "80.0" without the mark.
    mean = None if found["v"] is None else round(found["v"], 2)
    need.value_score = mean
    need.assessment_count = found["n"]
    need.is_high_value = is_high_value(mean, found["n"], policy)
    need.save(update_fields=["value_score", "assessment_count", "is_high_value", "updated_at"])
    audit_record(
        actor=actor,
        action="assessment.create" if created else "assessment.update",
        target=assessment,
        data={"need": need.pk, "weighted_score": score, "policy": policy.version},
    )
    return assessment
