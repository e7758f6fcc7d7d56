"""Matching runs: request, plan (inline or fanned out in chunks), cancel, resume, fail.

Every step is idempotent so Celery's at-least-once delivery is safe: a run's status says
whether it still has work, a chunk's ``done`` flag makes a redelivered chunk a no-op, and
finishing twice does nothing. What a run writes (the scored rows of each chunk, then the
pairing and the swap to current) is in ``matching.services.results``.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import (
    committees_of,
    is_platform_admin,
    is_province_committee_member,
    sits_on_committee_covering,
)
from core.actors import Actor, acting_user
from core.errors import ActorNotAllowed, InvalidInput, InvalidTransition
from core.tasks import enqueue_on_commit
from matching import documents
from matching.engine import MatchEngine
from matching.index import TOP_N, compact, warm_cut_offs, warm_engine, warm_needs
from matching.models import (
    FINISHED_STATUSES,
    Match,
    MatchRun,
    MatchRunChunk,
    RunScope,
    RunStatus,
)
from matching.services.results import match_run_finish, match_run_score_chunk
from scenarios import selectors as scenario_selectors
from scenarios.services.policy import policy_current

logger = logging.getLogger(__name__)
# The parts of a policy version that change how matching scores and pairs.
MATCHING_POLICY_FIELDS = ("matching_weights", "region_weights", "recommendations_per_need")


def check_operator(actor: Actor | None, _obj: object = None) -> None:
    """Platform admins and committee members (and the system) start and stop runs."""
    if actor is None or is_platform_admin(actor) or committees_of(actor):
        return
    raise ActorNotAllowed(_("只有平台管理员或工作委员会成员可以发起匹配。"))


def check_run_canceller(actor: Actor | None, run: MatchRun) -> None:
    """Members stop the runs they started; the province committee and the admin stop any."""
    check_operator(actor)
    if not (_runs_everything(actor) or (actor is not None and run.requested_by_id == actor.pk)):
        raise ActorNotAllowed(
            _("只能取消本人发起的批次；其他批次由省级工作委员会或平台管理员取消。")
        )


def _runs_everything(actor: Actor | None) -> bool:
    """The system, the platform admin and the province committee run and stop any run."""
    return actor is None or is_platform_admin(actor) or is_province_committee_member(actor)


def _check_scope(actor: Actor | None, scope: str, object_id: int | None) -> None:
    """A full run rescores the whole province: the province committee or the admin starts
    it. A county or city member reruns a need of its own region, or a capability of a firm
    in its region (checked after the target exists, so an outsider learns nothing new)."""
    if _runs_everything(actor):
        return
    if scope == RunScope.FULL:
        raise ActorNotAllowed(_("全量匹配只能由省级工作委员会或平台管理员发起。"))
    region = (
        scenario_selectors.region_of_need(need_id=object_id or 0)
        if scope == RunScope.NEED
        else scenario_selectors.region_of_firm_of(capability_id=object_id or 0)
    )
    if region is None or not sits_on_committee_covering(actor, region):
        raise ActorNotAllowed(_("只能对本委员会辖区内的需求或企业能力发起匹配。"))


def _check_target(scope: str, object_id: int) -> None:
    """A single-item run needs a need or capability that matching scores."""
    if scope == RunScope.NEED and not scenario_selectors.matching_need_ids(need_ids=[object_id]):
        raise InvalidInput(
            _("该需求不存在，或不在可匹配状态（已发布或验证中）。"),
            fields={"object_id": [_("不是可匹配的需求。")]},
        )
    if scope == RunScope.CAPABILITY and not scenario_selectors.matching_capability_ids(
        capability_ids=[object_id]
    ):
        raise InvalidInput(
            _("该能力不存在，或未发布（或所属企业未认证）。"),
            fields={"object_id": [_("不是可匹配的能力。")]},
        )


@transaction.atomic
def match_run_request(
    *, scope: str, object_id: int | None = None, actor: Actor | None = None, enqueue: bool = True
) -> MatchRun:
    """Create a pending run under the current policy and enqueue it after commit.

    ``actor`` None is the system (event receivers, the nightly beat schedule): a full run
    it asks for while one is still pending under the current policy is that run. Operators'
    commands pass ``enqueue=False`` and execute the run in their own process.
    """
    check_operator(actor)
    if scope not in RunScope.values:
        raise InvalidInput(_("范围无效。"), fields={"scope": [_("无效的选项。")]})
    if (scope == RunScope.FULL) != (object_id is None):
        raise InvalidInput(
            _("单项匹配需要指定对象，全量匹配不需要。"), fields={"object_id": [_("与范围不符。")]}
        )
    if object_id is not None:
        _check_target(scope, object_id)
    _check_scope(actor, scope, object_id)
    if scope == RunScope.FULL and actor is None and enqueue:
        # The system asks for full runs on events and at night; one still waiting in the
        # queue under the current policy will rescore everything anyway.
        waiting = (
            MatchRun.objects.select_for_update()
            .filter(scope=RunScope.FULL, status=RunStatus.PENDING, policy=policy_current())
            .order_by("-id")
            .first()
        )
        if waiting is not None:
            return waiting
    return _create_run(scope=scope, object_id=object_id, actor=actor, enqueue=enqueue)


def _create_run(
    *, scope: str, object_id: int | None, actor: Actor | None, enqueue: bool
) -> MatchRun:
    policy = policy_current()
    run = MatchRun.objects.create(
        scope=scope,
        target_id=object_id,
        policy=policy,
        params={"k": policy.recommendations_per_need, "top_n": TOP_N, "inline": not enqueue},
        requested_by=acting_user(actor),
    )
    if enqueue:
        enqueue_on_commit("matching.execute_run", run_id=run.pk)
    return run


# -- the system's runs after changes to the lists (``matching.receivers``) ------------------


def match_run_after_publication(*, scope: str, object_id: int) -> MatchRun | None:
    """Rescore what a newly published need or capability touches.

    None when it is no longer matchable by the time the announcement arrives (withdrawn or
    closed again right after publishing): there is nothing to rescore.
    """
    try:
        return match_run_request(scope=scope, object_id=object_id)
    except InvalidInput:
        logger.info("no matching run for %s %s: no longer matchable", scope, object_id)
        return None


@transaction.atomic
def match_run_after_withdrawal(*, capability_id: int) -> MatchRun | None:
    """Rescore the needs whose current candidates hold a capability that left the list, so
    each gets a replacement and the firm's quota is freed; None when no need holds it."""
    if not _holding_needs(capability_id):
        return None  # nobody holds it, or only needs that matching no longer scores
    return _create_run(scope=RunScope.CAPABILITY, object_id=capability_id, actor=None, enqueue=True)


@transaction.atomic
def match_run_after_policy_change(*, version: int) -> MatchRun | None:
    """A full run when the new policy version changes how matching scores or pairs (its
    weights, region weights or recommendations per need); None when it changes only the
    rest (selection criteria, thresholds)."""
    new, old = scenario_selectors.policy_with_previous(version=version)
    if new is None:
        return None
    if old is not None and all(
        getattr(new, field) == getattr(old, field) for field in MATCHING_POLICY_FIELDS
    ):
        return None
    return match_run_request(scope=RunScope.FULL)


@transaction.atomic
def match_run_cancel(*, run_id: int, actor: Actor | None) -> MatchRun:
    """Stop a pending or running run; chunks still queued return at once. Members stop the
    runs they started; the province committee and the admin stop any."""
    check_operator(actor)
    run = MatchRun.objects.select_for_update().get(pk=run_id)
    check_run_canceller(actor, run)
    if run.status == RunStatus.CANCELLED:
        return run
    if run.is_finished:
        raise InvalidTransition(_("批次已结束，不能取消。"), status=run.status)
    run.status = RunStatus.CANCELLED
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    return run


def _affected_needs(engine: MatchEngine, capability_id: int) -> list[int]:
    """Needs whose ranking a newly published (or edited) capability can change, found
    without ranking every need: the capability is the query against the warm index of the
    needs (``matching.index.warm_needs``), and each need it reaches is tested against its
    current candidates (``MatchEngine.entering_needs``: its top-``TOP_N`` cut-off, and
    whether the newcomer can push a current candidate out of its retrieval pool), whose
    cut-offs the process keeps between runs (``matching.index.warm_cut_offs``)."""
    needs = warm_needs(engine)
    return engine.entering_needs(
        needs,
        capability_id,
        cut_offs=warm_cut_offs(engine, needs),
        top_n=TOP_N,
        related_pairs=scenario_selectors.matching_related_org_pairs(),
        negative_list=documents.negative_list(),
    )


def _holding_needs(capability_id: int) -> list[int]:
    """Matchable needs whose current candidates include the capability (it may have left
    the list since, or changed): rescoring them replaces or re-ranks it."""
    holders = list(
        Match.objects.current()
        .filter(capability_id=capability_id)
        .values_list("need_id", flat=True)
        .distinct()
    )
    return scenario_selectors.matching_need_ids(need_ids=holders) if holders else []


def match_run_execute(*, run_id: int) -> None:
    """Start a pending run: resolve its needs, then score inline or fan out chunk tasks.

    Redelivered while running, it re-enqueues the chunks that are not done (resume).
    """
    with transaction.atomic():
        found = MatchRun.objects.select_for_update().filter(pk=run_id).first()
        if found is None or found.is_finished:
            return  # finished, or deleted by an operator meanwhile
        run = found
        if run.status == RunStatus.RUNNING:
            resuming = True
        else:
            resuming = False
            run.status = RunStatus.RUNNING
            run.started_at = timezone.now()
            run.save(update_fields=["status", "started_at"])
    if resuming:
        match_run_resume(run_id=run_id)
        return
    _plan(run)


def _plan(run: MatchRun) -> None:
    t0 = time.perf_counter()
    engine, key = warm_engine(run, refresh_dictionary=run.scope == RunScope.FULL)
    t_index = time.perf_counter() - t0
    if run.scope == RunScope.NEED:
        # Only the ids: the chunk reads (and if needed segments) the need's text.
        targets = [run.target_id] if run.target_id is not None else []
        need_ids = scenario_selectors.matching_need_ids(need_ids=targets)
    elif run.scope == RunScope.CAPABILITY:
        capability_id = int(run.target_id or 0)
        entering: list[int] = []
        if engine.index is not None and engine.index.contains(capability_id):
            # Only a capability on the list can enter rankings; the needs that held it
            # (an edit, a withdrawal: its old row is deleted) are rescored in any case.
            entering = _affected_needs(engine, capability_id)
        need_ids = sorted(set(entering) | set(_holding_needs(capability_id)))
    else:
        need_ids = scenario_selectors.matching_need_ids()
    size = settings.MATCHING_CHUNK_SIZE
    chunks = [need_ids[i : i + size] for i in range(0, len(need_ids), size)]
    with transaction.atomic():
        MatchRunChunk.objects.bulk_create(
            [MatchRunChunk(run=run, number=n, need_ids=ids) for n, ids in enumerate(chunks)],
            ignore_conflicts=True,
        )
        MatchRun.objects.filter(pk=run.pk).update(
            total=len(need_ids),
            chunk_count=len(chunks),
            params={**run.params, "index_key": key},
            timings={"index_s": round(t_index, 3), "plan_s": round(time.perf_counter() - t0, 3)},
        )
    if len(chunks) <= 1:
        # Small runs (every incremental one) finish in this task, on the warm engine.
        if chunks:
            match_run_score_chunk(run_id=run.pk, number=0)
        match_run_finish(run_id=run.pk)
        return
    if run.params.get("inline"):
        return  # the operator's process scores the chunks itself (manage.py match)
    for number in range(len(chunks)):
        enqueue_on_commit("matching.score_chunk", run_id=run.pk, number=number)


def match_index_compact() -> str | None:
    """Rebuild the shared capability index if its appended part has outgrown it (the
    ``matching.compact_index`` task); returns the new index key, or None."""
    return compact()


def match_run_fail(*, run_id: int, error: BaseException) -> None:
    """Mark a run failed (its task gave up, or the operator's process hit an error)."""
    logger.exception("matching run %s failed", run_id, exc_info=error)
    MatchRun.objects.filter(pk=run_id).exclude(status__in=FINISHED_STATUSES).update(
        status=RunStatus.FAILED,
        error=f"{type(error).__name__}: {error}"[:2000],
        finished_at=timezone.now(),
    )


def match_run_resume(*, run_id: int) -> int:
    """Re-enqueue the chunks of a running run that are not done (after a lost worker).

    Returns how many chunks were enqueued; finishes the run if all chunks are done.
    """
    run = MatchRun.objects.filter(pk=run_id).first()
    if run is None or run.status != RunStatus.RUNNING:
        return 0
    pending = list(
        MatchRunChunk.objects.filter(run_id=run_id, done=False).values_list("number", flat=True)
    )
    if not pending and run.chunk_count:
        enqueue_on_commit("matching.finish_run", run_id=run_id)
        return 0
    if not run.chunk_count:
        # Died while planning: plan again (chunk rows are created with ignore_conflicts).
        _plan(run)
        return 0
    for number in pending:
        enqueue_on_commit("matching.score_chunk", run_id=run_id, number=number)
    return len(pending)


def match_runs_resume_stalled(*, older_than_minutes: int = 15) -> list[int]:
    """Resume running runs that started long ago (their worker may have died); returns
    their ids.

    Pending runs requested as long ago are sent again: their task never reached a worker
    (its message was lost with Redis's data; one the broker refused waits in the outbox,
    ``core.outbox``, until beat drains it), and a pending full run would otherwise also
    hold back every full run the system asks for. A second message for a run that was only
    waiting is harmless (the run's status decides).
    Runs an operator's command executes in its own process (``params.inline``) are left to
    it.
    """
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    ids = list(
        MatchRun.objects.filter(status=RunStatus.RUNNING, started_at__lt=cutoff).values_list(
            "id", flat=True
        )
    )
    for run_id in ids:
        with transaction.atomic():
            match_run_resume(run_id=run_id)
    waiting = list(
        MatchRun.objects.filter(status=RunStatus.PENDING, created_at__lt=cutoff)
        .exclude(params__inline=True)
        .values_list("id", flat=True)
    )
    if waiting:
        logger.warning("sending pending runs %s again: their tasks never started", waiting)
    for run_id in waiting:
        enqueue_on_commit("matching.execute_run", run_id=run_id)
    return ids


def run_progress(run: MatchRun) -> float:
    """Share of the run's needs scored, in [0, 1] (1 once done)."""
    if run.status == RunStatus.DONE:
        return 1.0
    return round(run.processed / run.total, 4) if run.total else 0.0
