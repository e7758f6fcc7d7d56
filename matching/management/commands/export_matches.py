"""manage.py export_matches: every published need's ranked candidates, for outside checks."""

import contextlib
import csv
import json
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any, Protocol

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from openpyxl import Workbook

from core.files import atomic_path, os_error_line
from matching.models import Match
from scenarios import selectors as scenario_selectors


class Writer(Protocol):
    def write(self, text: str, /) -> Any: ...


FIELDS = ["need_ref", "capability_ref", "rank", "score", "recommended", "breakdown"]


def export_rows() -> Generator[dict[str, Any], None, None]:
    """Current candidates (top 50 after the hard filters) of every matchable need, streamed
    from the database in need-ref and rank order."""
    qs = (
        Match.objects.current()
        .filter(need__in=scenario_selectors.matchable_needs())
        .order_by("need__ref", "rank")
        .values_list("need__ref", "capability__ref", "rank", "score", "recommended", "breakdown")
    )
    for row in qs.iterator(chunk_size=5000):
        yield dict(zip(FIELDS, row, strict=True))


def _flat(row: dict[str, Any]) -> list[Any]:
    return [
        json.dumps(row[f], ensure_ascii=False, sort_keys=True) if f == "breakdown" else row[f]
        for f in FIELDS
    ]


def _write_json(rows: Iterator[dict[str, Any]], out: Writer) -> int:
    """A JSON array, one row per line, written as the rows arrive."""
    count = 0
    out.write("[")
    for row in rows:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(row, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def _write_csv(rows: Iterator[dict[str, Any]], out: Writer) -> int:
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    count = 0
    for row in rows:
        writer.writerow(_flat(row))
        count += 1
    return count


def _write_xlsx(rows: Iterator[dict[str, Any]], path: Path) -> int:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("matches")
    ws.append(FIELDS)
    count = 0
    for row in rows:
        ws.append(_flat(row))
        count += 1
    wb.save(path)
    return count


class _Unterminated:
    """The command's stdout without the newline ``OutputWrapper`` adds to every write."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self._wrapper = wrapper

    def write(self, text: str) -> None:
        self._wrapper.write(text, ending="")


class Command(BaseCommand):
    help = "Export the current ranked candidates of every published need (json, csv or xlsx)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
        parser.add_argument("--output", metavar="FILE", help="write here instead of stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt, output = options["format"], options["output"]
        if fmt == "xlsx" and not output:
            raise CommandError("xlsx is binary: give --output FILE")
        write = _write_json if fmt == "json" else _write_csv
        if not output:
            write(export_rows(), _Unterminated(self.stdout))
            return
        try:
            # All or nothing: a full disk leaves the previous file as it was.
            # The rows' database cursor is closed as soon as a write fails.
            with atomic_path(Path(output)) as tmp, contextlib.closing(export_rows()) as rows:
                if fmt == "xlsx":
                    count = _write_xlsx(rows, tmp)
                else:
                    with tmp.open("w", encoding="utf-8", newline="") as handle:
                        count = write(rows, handle)
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {os_error_line(exc)}") from exc
        self.stderr.write(f"{count} rows written to {output}")
