"""The expert workspace: needs to assess, a scoring form per criterion of the current policy,
my earlier assessments, and — once I have scored a need — the panel's scores beside mine."""

from dataclasses import dataclass
from statistics import mean
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from accounts.choices import Role
from accounts.roles import memberships
from core.errors import DomainError
from core.words import listing
from portal.forms import apply_service_errors
from portal.forms.committee import AssessmentForm
from portal.labels import criterion_name
from portal.lists import ListPaginator
from portal.views.common import not_your_page
from scenarios import assessment_selectors
from scenarios.assessment_selectors import (
    PANEL_MIN_OTHERS,
    PANEL_RANGE_MIN_OTHERS,
    panel_shown,
)
from scenarios.choices import NeedStatus
from scenarios.lifecycle import ASSESSABLE_NEED_STATUSES
from scenarios.models.needs import SCORE_SHOWN_FROM_EXPERTS
from scenarios.services.assessments import (
    MAX_REVISIONS,
    assessment_submit,
    needs_new_scores,
    revisions_left,
)
from scenarios.services.policy import policy_current

# A score this far (0–100 points) from the panel's mean is marked as a divergence.
DIVERGENCE_POINTS = 15.0


def _expert_page(view: Any) -> Any:
    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if Role.EXPERT not in {m.role for m in memberships(request.user)}:
            return not_your_page(request)
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@_expert_page
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    page = ListPaginator(assessment_selectors.needs_to_assess(user=request.user), 30).get_page(
        request.GET.get("page")
    )
    policy = policy_current()
    # (assessment, whether the policy's criteria changed since: a new score is asked for)
    mine = [
        (a, needs_new_scores(a, policy))
        for a in assessment_selectors.assessments_of(expert=request.user)[:50]
    ]
    context = {
        "nav": "workspace",
        "page": page,
        "needs": list(page.object_list),
        "mine": mine,
        "policy": policy,
    }
    return render(request, "portal/expert/home.html", context)


@dataclass(frozen=True)
class PanelRow:
    """One criterion: my score, and the other experts' mean and range when enough of them
    scored; a divergence is my distance from the others' mean (none without a mean)."""

    key: str
    name: str
    weight_share: float
    mine: float | None
    others_mean: float | None
    low: float | None
    high: float | None

    @property
    def diverges(self) -> bool:
        return (
            self.mine is not None
            and self.others_mean is not None
            and abs(self.mine - self.others_mean) >= DIVERGENCE_POINTS
        )


def _score(assessment: Any, key: str) -> float | None:
    value = assessment.scores.get(key) if isinstance(assessment.scores, dict) else None
    return float(value) if isinstance(value, int | float) else None


def _panel(criteria: list[dict[str, Any]], others: list[Any], me: Any) -> list[PanelRow]:
    total = sum(float(c["weight"]) for c in criteria) or 1.0
    rows = []
    for c in criteria:
        values = [v for a in others if (v := _score(a, c["key"])) is not None]
        shown = panel_shown(others=len(values))
        ranged = len(values) >= PANEL_RANGE_MIN_OTHERS
        rows.append(
            PanelRow(
                key=c["key"],
                name=criterion_name(c),
                weight_share=float(c["weight"]) / total,
                mine=_score(me, c["key"]),
                others_mean=mean(values) if shown else None,
                low=min(values) if ranged else None,
                high=max(values) if ranged else None,
            )
        )
    return rows


def _versions_note(me: Any, policy: Any) -> dict[str, Any] | None:
    """How the current policy differs from the one the expert scored under, for the page to
    say what counts: None when it is the same version. ``rescore``: other criteria (the
    added and dropped ones named); else ``reweighted``: the same criteria, other weights."""
    if me is None or me.policy_id == policy.pk:
        return None
    old = {c["key"]: c for c in me.policy.selection_criteria}
    new = {c["key"]: c for c in policy.selection_criteria}
    rescore = needs_new_scores(me, policy)
    return {
        "rescore": rescore,
        "added": listing(criterion_name(c) for k, c in new.items() if k not in old),
        "dropped": listing(criterion_name(c) for k, c in old.items() if k not in new),
        "reweighted": not rescore
        and any(float(new[k]["weight"]) != float(old[k]["weight"]) for k in new),
    }


# Why a need the expert scored is no longer shown to them (``needs_of_expert``).
LEFT_REVIEW = {
    NeedStatus.RETURNED: gettext_lazy(
        "该需求已退回需求单位修改，不在评审中：需求单位可能已修改其内容，"
        "这里不再显示其内容，只显示您的评分。"
    ),
    NeedStatus.WITHDRAWN: gettext_lazy(
        "该需求已由需求单位撤回，不在评审中：这里不再显示其内容，只显示您的评分。"
    ),
    NeedStatus.REJECTED: gettext_lazy(
        "该需求未通过审核，不在评审中：这里不再显示其内容，只显示您的评分。"
    ),
}
LEFT_REVIEW_OTHERWISE = gettext_lazy(
    "该需求已不在评审中，也未发布：这里不再显示其内容，只显示您的评分。"
)


def _left_review_page(request: HttpRequest, need: Any) -> HttpResponse:
    """A need the expert scored that they may no longer read: its ref and status, why its
    content is not shown, and the expert's own scores and comment (read only; a POST from a
    stale tab changes nothing and lands here)."""
    me = assessment_selectors.assessments_of(expert=request.user).filter(need=need).first()
    if me is None:
        raise Http404
    context = {
        "nav": "workspace",
        "need": need,
        "me": me,
        "left": LEFT_REVIEW.get(need.status, LEFT_REVIEW_OTHERWISE),
        "rows": _panel(list(me.policy.selection_criteria), [], me),
    }
    return render(request, "portal/expert/need_left.html", context)


@_expert_page
@require_http_methods(["GET", "POST"])
def need_page(request: HttpRequest, ref: str) -> HttpResponse:
    # annotated with content_shown (needs_of_expert)
    need: Any = assessment_selectors.needs_of_expert(user=request.user).filter(ref=ref).first()
    if need is None:
        raise Http404
    if not need.content_shown:
        return _left_review_page(request, need)
    policy = policy_current()
    criteria = list(policy.selection_criteria)
    panel = list(assessment_selectors.panel_of_need(need=need))
    me = next((a for a in panel if a.expert_id == request.user.pk), None)
    others = [a for a in panel if a.expert_id != request.user.pk]
    initial: dict[str, Any] = {}
    if me is not None:
        initial = {
            AssessmentForm.field_name(c): me.scores.get(c["key"])
            for c in criteria
            if isinstance(me.scores, dict)
        } | {"comment": me.comment}
    left = revisions_left(me, policy) if me is not None else None
    form = AssessmentForm(request.POST or None, criteria=criteria, initial=initial)
    if left == 0:
        # The scores can no longer change: shown as they are, the comment still editable.
        # Read only, not disabled, so that a stale tab's new scores reach the service and
        # are refused in place rather than silently dropped.
        for c in criteria:
            form.fields[AssessmentForm.field_name(c)].widget.attrs["readonly"] = True
    if request.method == "POST" and form.is_valid():
        try:
            assessment_submit(
                actor=request.user,
                need=need,
                scores=form.scores(),
                comment=form.cleaned_data["comment"],
            )
        except DomainError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("评分已保存。下方是专家组的评分对照。"))
            return redirect("portal:expert-need", ref=need.ref)
    total = sum(float(c["weight"]) for c in criteria) or 1.0
    scored = set(me.scores) if me is not None and isinstance(me.scores, dict) else set()
    context = {
        "nav": "workspace",
        "need": need,
        "policy": policy,
        "form": form,
        # (field, weight share, a criterion new since my scores)
        "fields": [
            (
                form[AssessmentForm.field_name(c)],
                float(c["weight"]) / total,
                me is not None and c["key"] not in scored,
            )
            for c in criteria
        ],
        "assessable": need.status in ASSESSABLE_NEED_STATUSES,
        "me": me,
        # The panel is shown only after I have scored, so it cannot anchor my first scores
        # (later changes are capped and shown to the committee). It compares the criteria I
        # scored, under the weights of my version, as my weighted score does.
        "panel": _panel(list(me.policy.selection_criteria), others, me) if me is not None else None,
        "versions": _versions_note(me, policy),
        "others": len(others),
        "panel_shown": panel_shown(others=len(others)),
        "range_shown": len(others) >= PANEL_RANGE_MIN_OTHERS,
        "panel_min": PANEL_MIN_OTHERS,
        "range_min": PANEL_RANGE_MIN_OTHERS,
        "divergence": DIVERGENCE_POINTS,
        "revisions_left": left,
        "max_revisions": MAX_REVISIONS,
        "public_from": SCORE_SHOWN_FROM_EXPERTS,
    }
    return render(request, "portal/expert/need.html", context)
