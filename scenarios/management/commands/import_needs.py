"""``manage.py import_needs FILE``: load scenario needs (机会清单) from an exchange-format file."""

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from core.errors import DomainError
from scenarios.exchange import (
    FORMATS,
    ExchangeLimits,
    ImportRejected,
    ImportResult,
    exchange_size_check,
    needs_import,
    read_limited,
)

# A province-wide file creates thousands of firms: the summary names the first ones.
SHOWN_NAMES = 20


class ProgressBar:
    """Rows written so far, as a bar on the terminal (stderr); silent when stderr is not a
    terminal (a log, a pipe, cron)."""

    def __init__(self, noun: str) -> None:
        self.bar = tqdm(
            total=0, unit="行", desc=f"写入{noun}", file=sys.stderr, disable=None, leave=False
        )

    def update(self, done: int, total: int) -> None:
        if self.bar.disable:
            return
        self.bar.total = total
        self.bar.n = done
        self.bar.refresh()

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()


class Command(BaseCommand):
    help = (
        "导入场景需求（机会清单）：JSON、CSV 或 XLSX 交换格式。整个文件要么全部导入，"
        "要么（有任何错误时）不写入任何数据并逐行报告错误。默认导入为草稿；"
        "--update 时按编号更新已有条目。文件大小与行数不设上限"
        "（可用 --max-bytes、--max-rows 设定）。"
    )
    noun = "场景需求"
    importer: Callable[..., ImportResult] = staticmethod(needs_import)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="JSON/CSV/XLSX file in the exchange format")
        parser.add_argument(
            "--format", choices=FORMATS, help="file format (default: from the file extension)"
        )
        parser.add_argument(
            "--publish",
            action="store_true",
            help="the list was approved elsewhere: import as published (audited as such)",
        )
        parser.add_argument(
            "--update",
            action="store_true",
            help=(
                "rows whose ref exists update that item (rows equal to it change nothing); "
                "without it an existing ref is an error"
            ),
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check everything, then write nothing"
        )
        parser.add_argument(
            "--max-bytes",
            type=int,
            default=None,
            help="refuse a larger file (default: any size; uploads keep EXCHANGE_MAX_BYTES)",
        )
        parser.add_argument(
            "--max-rows",
            type=int,
            default=None,
            help="refuse a file with more rows (default: any number)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        for name in ("max_bytes", "max_rows"):
            if options[name] is not None and options[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')} 应为正整数。")
        limits = ExchangeLimits.operator(
            max_bytes=options["max_bytes"], max_rows=options["max_rows"]
        )
        try:
            exchange_size_check(size=path.stat().st_size, limits=limits)
            with path.open("rb") as stream:
                data = read_limited(stream, limit=limits.max_bytes)
        except OSError as exc:
            raise CommandError(f"无法读取文件 {path}：{exc.strerror or exc}") from exc
        except ImportRejected as exc:
            raise CommandError(exc.message) from exc
        with ProgressBar(self.noun) as bar:
            try:
                result = self.importer(
                    actor=None,
                    data=data,
                    fmt=options["format"],
                    filename=path.name,
                    publish=options["publish"],
                    dry_run=options["dry_run"],
                    update=options["update"],
                    progress=bar.update,
                    limits=limits,
                )
            except ImportRejected as exc:
                raise CommandError("\n".join(exc.lines(limits.max_errors))) from exc
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        self.stdout.write(self.summary(result))

    def summary(self, result: ImportResult) -> str:
        state = "已发布" if result.published else "草稿"
        verb = "检查通过，可导入" if result.dry_run else "已导入"
        line = f"{verb} {result.created} 条{self.noun}（{state}）"
        if result.update:
            done = "可更新" if result.dry_run else "更新"
            line += f"，{done} {result.updated} 条，{result.unchanged} 条与已有数据相同未改动"
        line += f"，批次 {result.batch}"
        if result.organizations_created:
            created = result.organizations_created
            names = "、".join(created[:SHOWN_NAMES])
            more = (
                f" 等（另有 {len(created) - SHOWN_NAMES} 个）" if len(created) > SHOWN_NAMES else ""
            )
            line += f"；新建组织 {len(created)} 个：{names}{more}"
        if result.dry_run:
            line += "；未写入任何数据（--dry-run）"
        return line + "。"
