"""Write a backup of the database: PostgreSQL's custom format (pg_dump -Fc), or a consistent
copy of the SQLite file (SQLite's online backup). ``restore`` reads either back."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from core.backups import BackupError, backup_database


class Command(BaseCommand):
    help = "Back up the database to FILE (PostgreSQL: pg_dump custom format; SQLite: a copy)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--force", action="store_true", help="overwrite FILE if it exists")

    def handle(self, *args: Any, **options: Any) -> None:
        target: Path = options["file"]
        if target.exists() and not options["force"]:
            raise CommandError(f"{target} exists; pass --force to overwrite it")
        try:
            summary = backup_database(connections[DEFAULT_DB_ALIAS].settings_dict, target)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(summary))
