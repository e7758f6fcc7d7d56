"""Reads of matching results, scoped to what each user may see."""

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from accounts.choices import Role
from accounts.roles import committees_of, is_platform_admin, memberships
from core.actors import Actor
from matching.models import (
    FirmResponse,
    Match,
    MatchQuerySet,
    MatchRun,
    MatchRunChunk,
    PairDecision,
    PairReview,
    RunScope,
)
from scenarios import selectors as scenario_selectors
from scenarios.lifecycle import MATCHABLE_NEED_STATUSES, PUBLIC_NEED_STATUSES


def match_queryset() -> MatchQuerySet:
    return Match.objects.with_current().select_related("need", "capability__firm", "run__policy")


def match_list_for_user(*, user: Actor) -> MatchQuerySet:
    """Matches: firms see the needs recommended to them, agencies the candidates of their
    needs, committees those of needs in their subtree, admins all."""
    qs = match_queryset()
    if is_platform_admin(user):
        return qs
    firm_ids = [m.organization_id for m in memberships(user) if m.role == Role.FIRM_EDITOR]
    agency_ids = [m.organization_id for m in memberships(user) if m.role == Role.AGENCY_EDITOR]
    # Firms see their recommendations while the need is on the public list.
    visible = Q(
        capability__firm_id__in=firm_ids,
        recommended=True,
        need__status__in=PUBLIC_NEED_STATUSES,
    )
    visible |= Q(need__agency_id__in=agency_ids)
    for committee in committees_of(user):
        visible |= Q(need__region__path__startswith=committee.region.path)
    return qs.filter(visible)


def match_run_list_for_user(*, user: Actor) -> QuerySet[MatchRun]:
    """Runs are operator data: platform admins see them all; committee members see every
    run except one need's rerun of a need outside their committees' regions (it names the
    need and who asked for it, and is another committee's business)."""
    qs = MatchRun.objects.select_related("policy")
    if is_platform_admin(user):
        return qs
    if not committees_of(user):
        return qs.none()
    own_needs = scenario_selectors.need_ids_in_committee_regions(user=user)
    return qs.filter(~Q(scope=RunScope.NEED) | Q(target_id__in=own_needs))


def candidates_of_need(*, user: Actor, need_id: int, limit: int = 20) -> list[Match]:
    """A need's current candidates the user may see, best first (recommended ones first),
    with the capability, its firm and chains loaded for their explanations."""
    rows = (
        match_list_for_user(user=user)
        .current()
        .filter(need_id=need_id)
        .select_related("capability__region", "need__region")
        .prefetch_related("capability__chains", "need__chains")
        .order_by("-recommended", "rank")[:limit]
    )
    return list(rows)


def recommendations_for_firm(*, user: Actor) -> MatchQuerySet:
    """The current recommendations of the user's firms' capabilities, best first."""
    firm_ids = [m.organization_id for m in memberships(user) if m.role == Role.FIRM_EDITOR]
    return (
        match_list_for_user(user=user)
        .current()
        .filter(capability__firm_id__in=firm_ids, recommended=True)
        .select_related("need__agency", "need__region", "capability__region")
        .prefetch_related("need__chains", "capability__chains")
        .order_by("-score", "id")
    )


def pair_of_match(*, match_id: int) -> tuple[int, int] | None:
    """The (need, capability) pair a match row scored, current or superseded: links carry
    a row's id, and a later run gives the same pair a new row (the old one stays until
    the history is pruned)."""
    return Match.objects.filter(pk=match_id).values_list("need_id", "capability_id").first()


def pair_reviews_of(*, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], PairReview]:
    """The decisions on these (need, capability) pairs, by pair (one query)."""
    if not pairs:
        return {}
    needs = {n for n, _c in pairs}
    caps = {c for _n, c in pairs}
    rows = PairReview.objects.filter(need_id__in=needs, capability_id__in=caps)
    return {(r.need_id, r.capability_id): r for r in rows if (r.need_id, r.capability_id) in pairs}


def need_match_summary(*, need_ids: list[int]) -> dict[int, tuple[int, int]]:
    """For each need: how many capabilities are recommended now, and how many firms said
    they are interested (two queries, whatever the number of needs)."""
    if not need_ids:
        return {}
    recommended = dict(
        Match.objects.current()
        .filter(need_id__in=need_ids, recommended=True)
        .order_by()
        .values("need_id")
        .annotate(n=Count("id"))
        .values_list("need_id", "n")
    )
    interested = dict(
        PairReview.objects.filter(need_id__in=need_ids, firm_response=FirmResponse.INTERESTED)
        .order_by()
        .values("need_id")
        .annotate(n=Count("id"))
        .values_list("need_id", "n")
    )
    return {pk: (recommended.get(pk, 0), interested.get(pk, 0)) for pk in need_ids}


def interest_of_need(*, need_id: int) -> QuerySet[PairReview]:
    """Firms' answers and the shortlist of one need (the agency's view of interest)."""
    return (
        PairReview.objects.filter(need_id=need_id)
        .exclude(firm_response="", shortlisted=False)
        .select_related("capability__firm")
        .order_by("-shortlisted", "-updated_at")
    )


def pair_of_review(*, pair_review_id: int) -> tuple[int, int] | None:
    """The (need, capability) pair a decision is about."""
    return (
        PairReview.objects.filter(pk=pair_review_id).values_list("need_id", "capability_id").first()
    )


def need_of_pair_review(*, user: Actor, pair_review_id: int) -> Any:
    """The need a decision is about, if the user may see one of its matches."""
    review = PairReview.objects.filter(pk=pair_review_id).first()
    if review is None:
        return None
    match = (
        match_list_for_user(user=user)
        .filter(need_id=review.need_id, capability_id=review.capability_id)
        .first()
    )
    return match.need if match is not None else None


def awaiting_decision_for_user(*, user: Actor) -> MatchQuerySet:
    """Pairs waiting for a committee's decision: the current match of every pair the agency
    shortlisted and nobody has decided yet, for needs still open to matching in the user's
    committees' regions (all of them for an admin; nothing for anyone else). A pair with a
    pilot (the agency proposed it directly) is not among them: its proposal waits on the
    pilot's decision, and approving the recommendation is refused. Oldest shortlisting
    first, so nothing waits unseen."""
    pending = PairReview.objects.filter(
        need_id=OuterRef("need_id"),
        capability_id=OuterRef("capability_id"),
        shortlisted=True,
        decision=PairDecision.PENDING,
    )
    since = PairReview.objects.filter(
        need_id=OuterRef("need_id"), capability_id=OuterRef("capability_id")
    ).values("updated_at")[:1]
    qs = (
        match_queryset()
        .current()
        .filter(Exists(pending), need__status__in=MATCHABLE_NEED_STATUSES)
        .exclude(scenario_selectors.pair_has_pilot())
        .select_related("need__agency", "need__region", "capability__region")
        .prefetch_related("need__chains", "capability__chains")
        .annotate(waiting_since=since)
        .order_by("waiting_since", "id")
    )
    if is_platform_admin(user):
        return qs
    regions = Q()
    for committee in committees_of(user):
        regions |= Q(need__region__path__startswith=committee.region.path)
    return qs.filter(regions) if regions else qs.none()


def run_chunks_done(*, run_id: int) -> int:
    """How many of a run's chunks are scored (the progress bar's "chunks done")."""
    return MatchRunChunk.objects.filter(run_id=run_id, done=True).count()


def current_runs_of_needs() -> dict[int, int]:
    """Each need's current run (need id -> run id): what its stored candidates come from."""
    from matching.models import NeedCurrentRun

    return dict(NeedCurrentRun.objects.values_list("need_id", "run_id"))


def current_candidates_of_needs(
    *, need_ids: list[int] | None = None
) -> dict[int, tuple[list[int], list[float]]]:
    """Each need's current candidates (capability ids, scores), for ``need_ids`` or all."""
    rows = Match.objects.current()
    if need_ids is not None:
        rows = rows.filter(need_id__in=need_ids)
    by_need: dict[int, tuple[list[int], list[float]]] = {}
    for need_id, cap_id, score in rows.values_list("need_id", "capability_id", "score").iterator(
        chunk_size=50000
    ):
        caps, scores = by_need.setdefault(need_id, ([], []))
        caps.append(cap_id)
        scores.append(score)
    return by_need
