"""``manage.py search_index [--all]``: fill in the lists' search vectors (PostgreSQL)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from scenarios.services.search import index_pending


class Command(BaseCommand):
    help = (
        "为需求和能力写入搜索索引（search_vector，仅 PostgreSQL）：默认只写尚未索引的行"
        "（批量导入后），--all 重写全部行（索引定义改变后）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="rewrite every row's vector")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write("SQLite：没有搜索索引，搜索直接读取文本。")
            return
        done = index_pending(everything=options["all"])
        self.stdout.write(f"已索引需求 {done['needs']} 行、能力 {done['capabilities']} 行。")
