"""``manage.py import_capabilities FILE``: load capabilities (能力清单) from an exchange file."""

from collections.abc import Callable

from scenarios.exchange import ImportResult, capabilities_import
from scenarios.management.commands.import_needs import Command as ImportNeedsCommand


class Command(ImportNeedsCommand):
    help = (
        "导入场景能力（能力清单）：JSON、CSV 或 XLSX 交换格式；企业按统一社会信用代码查找，"
        "不存在时新建。整个文件要么全部导入，要么不写入任何数据并逐行报告错误。"
        "--publish 时认证企业并直接发布；--update 时按编号更新已有条目。"
    )
    noun = "场景能力"
    importer: Callable[..., ImportResult] = staticmethod(capabilities_import)
