"""Expert screening: scores against the policy's criteria and the need's value score."""

from decimal import Decimal
from typing import Any, cast

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Avg, Count
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.roles import memberships
from activity.services import audit_record
from core.actors import Actor
from core.errors import ActorNotAllowed, DomainError, InvalidInput, InvalidTransition
from core.locks import lock_one
from core.validation import check_text
from scenarios.lifecycle import ASSESSABLE_NEED_STATUSES
from scenarios.models import Assessment, PolicyVersion, ScenarioNeed
from scenarios.services.policy import is_high_value, policy_current

# How many times an expert may change their scores of a need after submitting them (under
# one set of criteria). Every save is a new look at the need's 高价值 mark, which the public
# list shows whatever the number of experts: with unlimited saves an expert halved the range
# of a colleague's score at each save and had it to the tenth of a point in ten. Two changes
# leave room for a typo and for a second thought after the panel and its comments, while the
# three looks that submitting and two changes give tell at most three yes/no answers about
# the others' scores. A change of the comment alone is not counted, nor is a new score that
# the policy's new criteria ask for.
MAX_REVISIONS = 2


class RevisionsUsedUp(DomainError):
    """The expert changed the scores as often as ``MAX_REVISIONS`` allows (HTTP 409)."""

    code = "revisions_used_up"


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


def criteria_keys(policy: PolicyVersion) -> frozenset[str]:
    """The keys of the policy's selection criteria (what an assessment scores)."""
    return frozenset(c["key"] for c in policy.selection_criteria)


def needs_new_scores(assessment: Assessment, policy: PolicyVersion) -> bool:
    """The policy asks for other criteria than the assessment scored (added or dropped): the
    expert scores again, and that new score does not count against ``MAX_REVISIONS``. Until
    then the assessment keeps counting with the weighted score of its own version."""
    scored = assessment.scores if isinstance(assessment.scores, dict) else {}
    return frozenset(scored) != criteria_keys(policy)


def revisions_left(assessment: Assessment, policy: PolicyVersion) -> int:
    """How many more times the expert may change the scores under ``policy``."""
    if needs_new_scores(assessment, policy):
        return MAX_REVISIONS
    return max(0, MAX_REVISIONS - assessment.revisions_under_criteria)


def _same_scores(a: dict[str, Any], b: Any) -> bool:
    return (
        isinstance(b, dict)
        and set(a) == set(b)
        and all(isinstance(b[k], int | float) and float(a[k]) == float(b[k]) for k in a)
    )


@transaction.atomic
def assessment_submit(
    *, actor: Actor, need: ScenarioNeed, scores: dict[str, Any], comment: str = ""
) -> Assessment:
    """Record (or revise) the actor's assessment and refresh the need's value score.

    High-value needs (mean at or over the policy's threshold) sort first in lists and
    matching. A change of the scores after the first submission is counted (``revisions``,
    ``revised_at``) and refused past ``MAX_REVISIONS`` under the same criteria
    (``RevisionsUsedUp``); the same scores again only update the comment and the policy.
    """
    check_expert(actor)
    check_text("comment", comment)
    need = lock_one(ScenarioNeed, need.pk)
    if need.status not in ASSESSABLE_NEED_STATUSES:
        raise InvalidTransition(_("只能对审核中或已发布的需求评分。"), status=need.status)
    policy = policy_current()
    score = weighted_score(policy=policy, scores=scores)
    # -0 is 0 (a float -0.0 was stored and shown back as "-0.0").
    scores = {k: abs(v) if v == 0 else v for k, v in scores.items()}
    # The need's row lock above serialises the expert's submissions of this need.
    assessment = Assessment.objects.filter(need=need, expert_id=actor.pk).first()
    created = assessment is None
    if assessment is None:
        assessment = Assessment(need=need, expert=cast(User, actor))  # check_expert: a User
    elif not _same_scores(scores, assessment.scores):
        if revisions_left(assessment, policy) <= 0:
            raise RevisionsUsedUp(
                _(
                    "评分提交后最多可修改 %(n)s 次，您的修改次数已用完："
                    "各项评分不能再改，评审意见仍可修改。"
                )
                % {"n": MAX_REVISIONS}
            )
        fresh = needs_new_scores(assessment, policy)
        assessment.revisions += 1
        assessment.revisions_under_criteria = (
            0 if fresh else assessment.revisions_under_criteria + 1
        )
        assessment.revised_at = timezone.now()
    assessment.policy = policy
    assessment.scores = scores
    assessment.weighted_score = score
    assessment.comment = comment
    assessment.save()
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
