"""History retention: superseded match rows are kept ``MATCHING_HISTORY_DAYS``, then pruned."""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidInput
from matching.models import (
    FINISHED_STATUSES,
    Match,
    MatchRun,
    is_current_q,
)
from scenarios import selectors as scenario_selectors

logger = logging.getLogger(__name__)


def match_history_prune(*, older_than_days: int) -> dict[int, int]:
    """Delete the superseded rows of runs that finished more than ``older_than_days`` ago.

    A row is superseded when its need points at another run; rows still current are kept
    whatever their age (a need not rescored since keeps its matches), and so are rows a
    pilot started from (``Pilot.source_match_id``). The runs themselves
    stay, with ``counts["pruned_rows"]`` saying how many of their rows were removed, so an
    empty ``?run=N`` is explained. Returns {run id: rows deleted} for the runs touched.
    """
    if older_than_days < 1:
        raise InvalidInput(_("历史保留天数至少为 1 天。"), fields={"older_than_days": [">= 1"]})
    cutoff = timezone.now() - timedelta(days=older_than_days)
    old_runs = MatchRun.objects.filter(
        status__in=FINISHED_STATUSES,
        finished_at__lt=cutoff,
    ).filter(Exists(Match.objects.filter(run_id=OuterRef("pk"))))
    pruned: dict[int, int] = {}
    for run_id in old_runs.values_list("pk", flat=True).order_by("pk"):
        with transaction.atomic():  # one run at a time: short transactions, resumable
            deleted, _detail = (
                Match.objects.filter(run_id=run_id)
                .exclude(is_current_q())
                .exclude(scenario_selectors.pilot_started_from_match())
                .delete()
            )
            if deleted:
                run = MatchRun.objects.select_for_update().get(pk=run_id)
                run.counts = {
                    **run.counts,
                    "pruned_rows": run.counts.get("pruned_rows", 0) + deleted,
                }
                run.save(update_fields=["counts"])
                pruned[run_id] = deleted
    if pruned:
        logger.info("pruned %s superseded match rows of %s runs", sum(pruned.values()), len(pruned))
    # Rows whose run, need or capability is gone (no database foreign keys, see Match): a
    # deletion that raced a chunk's commit can leave some behind; they are never current.
    # One primary-key probe per row and key (NOT EXISTS), whatever the tables' sizes.
    with transaction.atomic():
        orphans, _detail = (
            Match.objects.filter(
                ~Exists(MatchRun.objects.filter(pk=OuterRef("run_id")))
                | scenario_selectors.matching_missing_item_q()
            )
            .exclude(scenario_selectors.pilot_started_from_match())
            .delete()
        )
    if orphans:
        logger.info("pruned %s match rows whose run, need or capability is gone", orphans)
    return pruned
