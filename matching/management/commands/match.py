"""manage.py match --full | --need REF | --capability REF: run matching now, in this process."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from core.errors import DomainError
from matching.models import MatchRun, RunStatus
from matching.services import results, runs
from scenarios import selectors as scenario_selectors


class Command(BaseCommand):
    help = "Run matching for the whole province, one need or one capability (in this process)."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--full", action="store_true", help="rescore every published need")
        group.add_argument("--need", metavar="REF", help="rescore one need")
        group.add_argument("--capability", metavar="REF", help="rescore what a capability touches")
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="hand the run to the Celery workers instead of running it here",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scope, object_id = self._scope(options)
        try:
            run = runs.match_run_request(
                scope=scope, object_id=object_id, actor=None, enqueue=options["enqueue"]
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if options["enqueue"]:
            self.stdout.write(f"run #{run.pk} enqueued")
            return
        try:
            self._run_here(run.pk)
        except CommandError:
            raise
        except Exception as exc:
            # The run must not stay "running" with nobody working on it.
            runs.match_run_fail(run_id=run.pk, error=exc)
            raise CommandError(f"run #{run.pk} failed: {type(exc).__name__}: {exc}") from exc

    def _scope(self, options: dict[str, Any]) -> tuple[str, int | None]:
        if options["full"]:
            return "full", None
        if options["need"]:
            need_id = scenario_selectors.need_id_by_ref(ref=options["need"])
            if need_id is None:
                raise CommandError(f"no need with ref {options['need']}")
            return "need", need_id
        capability_id = scenario_selectors.capability_id_by_ref(ref=options["capability"])
        if capability_id is None:
            raise CommandError(f"no capability with ref {options['capability']}")
        return "capability", capability_id

    def _run_here(self, run_id: int) -> None:
        runs.match_run_execute(run_id=run_id)
        run = MatchRun.objects.get(pk=run_id)
        if run.status == RunStatus.RUNNING and run.chunk_count > 1:
            bar = tqdm(total=run.total, unit="need", disable=not sys.stderr.isatty())
            for number in range(run.chunk_count):
                results.match_run_score_chunk(run_id=run_id, number=number)
                done = MatchRun.objects.get(pk=run_id).processed
                bar.update(done - bar.n)
            bar.close()
            results.match_run_finish(run_id=run_id)
        run.refresh_from_db()
        if run.status != RunStatus.DONE:
            raise CommandError(f"run #{run.pk} ended {run.status}: {run.error}")
        c = run.counts
        self.stdout.write(
            f"run #{run.pk} done: {c.get('needs', 0)} needs, {c.get('candidates', 0)} candidates, "
            f"{c.get('recommended', 0)} recommended in {run.timings.get('wall_s', 0)} s"
        )
