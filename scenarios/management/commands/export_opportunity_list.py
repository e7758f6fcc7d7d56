"""``manage.py export_opportunity_list``: the published opportunity list (机会清单)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from core.files import atomic_write_bytes, os_error_line
from scenarios.exchange import FORMATS, opportunity_list_export


class Command(BaseCommand):
    help = (
        "导出已发布的机会清单（JSON、CSV 或 XLSX 交换格式）。默认写到标准输出；"
        "XLSX 须用 --output 指定文件。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--format",
            choices=FORMATS,
            help="json, csv or xlsx (default: from --output's extension, else json)",
        )
        parser.add_argument("--output", help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"]) if options["output"] else None
        fmt = options["format"]
        if fmt is None:
            suffix = output.suffix.lower().lstrip(".") if output else ""
            fmt = suffix if suffix in FORMATS else "json"
        if fmt == "xlsx" and output is None:
            raise CommandError("XLSX 是二进制文件，请用 --output 指定要写入的文件。")
        try:
            export = opportunity_list_export(fmt=fmt)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if output is None:
            self.stdout.write(export.content.decode("utf-8-sig"), ending="")
            return
        try:
            # All or nothing: a full disk leaves the previous file as it was.
            atomic_write_bytes(output, export.content)
        except OSError as exc:
            raise CommandError(f"无法写入文件 {output}：{os_error_line(exc)}") from exc
        self.stdout.write(f"已导出 {export.rows} 条已发布的场景需求到 {output}。")
