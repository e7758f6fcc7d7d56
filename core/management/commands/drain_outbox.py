"""``manage.py drain_outbox``: send the Celery tasks a broker outage left in the outbox."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.outbox import outbox_drain, outbox_prune


class Command(BaseCommand):
    help = (
        "Send the outbox's pending tasks, oldest first (what beat's core.drain_outbox does), "
        "and prune sent rows older than --keep-hours. Exits non-zero while the broker "
        "cannot be reached."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--keep-hours",
            type=int,
            default=None,
            help="prune rows sent longer ago than this (default: OUTBOX_KEEP_SENT_HOURS)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = outbox_drain()
        hours = options["keep_hours"]
        pruned = outbox_prune(
            older_than=timedelta(hours=settings.OUTBOX_KEEP_SENT_HOURS if hours is None else hours)
        )
        if report.error:
            raise CommandError(
                f"sent {report.sent}, {report.pending} still pending: {report.error}"
            )
        self.stdout.write(
            f"sent {report.sent}, {report.pending} pending, {pruned} sent rows pruned"
        )
