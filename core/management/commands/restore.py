"""Restore a backup written by ``backup`` into the configured database."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from core.backups import BackupError, restore_database


class Command(BaseCommand):
    help = (
        "Restore FILE (written by backup) into the configured database, which must be empty "
        "unless --replace is given. All or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--replace",
            action="store_true",
            help="drop what the database holds first (in the restore's transaction)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[DEFAULT_DB_ALIAS]
        connection.close()  # the restore runs in its own session
        try:
            summary = restore_database(
                connection.settings_dict, options["file"], replace=options["replace"]
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(summary))
