"""manage.py export_matches: every published need's ranked candidates, for outside checks."""

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from openpyxl import Workbook

from matching.models import Match

FIELDS = ["need_ref", "capability_ref", "rank", "score", "recommended", "breakdown"]


def export_rows() -> list[dict[str, Any]]:
    """Current candidates (top 50 after the hard filters) of every matchable need."""
    qs = (
        Match.objects.current()
        .filter(need__status__in=["published", "in_validation"])
        .order_by("need__ref", "rank")
        .values_list("need__ref", "capability__ref", "rank", "score", "recommended", "breakdown")
    )
    return [dict(zip(FIELDS, row, strict=True)) for row in qs.iterator(chunk_size=5000)]


def _flat(row: dict[str, Any]) -> list[Any]:
    return [
        json.dumps(row[f], ensure_ascii=False, sort_keys=True) if f == "breakdown" else row[f]
        for f in FIELDS
    ]


class Command(BaseCommand):
    help = "Export the current ranked candidates of every published need (json, csv or xlsx)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
        parser.add_argument("--output", metavar="FILE", help="write here instead of stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt, output = options["format"], options["output"]
        if fmt == "xlsx" and not output:
            raise CommandError("xlsx is binary: give --output FILE")
        rows = export_rows()
        if fmt == "xlsx":
            wb = Workbook(write_only=True)
            ws = wb.create_sheet("matches")
            ws.append(FIELDS)
            for row in rows:
                ws.append(_flat(row))
            try:
                wb.save(output)
            except OSError as exc:
                raise CommandError(f"cannot write {output}: {exc.strerror}") from exc
            self.stderr.write(f"{len(rows)} rows written to {output}")
            return
        if fmt == "json":
            text = json.dumps(rows, ensure_ascii=False, indent=1)
        else:
            buf = io.StringIO()
            writer = csv.writer(buf)
            writer.writerow(FIELDS)
            writer.writerows(_flat(r) for r in rows)
            text = buf.getvalue()
        if output:
            try:
                Path(output).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"cannot write {output}: {exc.strerror}") from exc
            self.stderr.write(f"{len(rows)} rows written to {output}")
        else:
            sys.stdout.write(text)
