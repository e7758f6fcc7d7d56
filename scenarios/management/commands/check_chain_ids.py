"""``manage.py check_chain_ids [--fix]``: the facet column ``chain_ids`` against the links."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from scenarios.facets import lists_changed, refresh_chain_ids, stale_chain_ids
from scenarios.models import Capability, ScenarioNeed


class Command(BaseCommand):
    help = (
        "检查需求和能力的 chain_ids（清单分面统计所用）是否与其产业链关联一致；"
        "--fix 按关联重写不一致的行。关联绕过信号写入（原始 SQL、bulk_create）后使用。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fix", action="store_true", help="rewrite the stale rows")

    def handle(self, *args: Any, **options: Any) -> None:
        stale = {model: stale_chain_ids(model) for model in (ScenarioNeed, Capability)}
        for model, ids in stale.items():
            label = model._meta.verbose_name
            self.stdout.write(f"{label}：{len(ids)} 行 chain_ids 与关联不一致")
            if ids and options["fix"]:
                for start in range(0, len(ids), 1000):
                    refresh_chain_ids(model, ids[start : start + 1000])
                self.stdout.write(f"{label}：已按关联重写 {len(ids)} 行")
        if any(stale.values()):
            if options["fix"]:
                lists_changed()  # the cached counts were computed from the stale column
            else:
                raise CommandError("chain_ids 与产业链关联不一致；用 --fix 修复。")
