"""Problems found in a file: one per row and field, all reported at once."""

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from core.errors import InvalidInput
from scenarios.exchange.columns import Column
from scenarios.exchange.limits import ExchangeLimits


@dataclass(frozen=True)
class RowError:
    """One problem: the row a user sees (0 = the file as a whole), the field, the reason."""

    row: int
    field: str
    reason: str

    @property
    def key(self) -> str:
        """The key under ``fields`` of the API error: ``file``, ``row 3`` or ``row 3.min_trl``."""
        if self.row == 0:
            return "file"
        return f"row {self.row}.{self.field}" if self.field else f"row {self.row}"

    def __str__(self) -> str:
        if self.row == 0:
            return _("文件：%(reason)s") % {"reason": self.reason}
        if self.field:
            return _("第%(row)s行 %(field)s: %(reason)s") % {
                "row": self.row,
                "field": self.field,
                "reason": self.reason,
            }
        return _("第%(row)s行: %(reason)s") % {"row": self.row, "reason": self.reason}


class ImportRejected(InvalidInput):
    """A file was refused; ``errors`` lists every problem found and nothing was written.

    ``fields`` (the API error body) holds the first ``EXCHANGE_MAX_ERRORS`` problems keyed
    ``row N.field``; ``errors`` keeps them all for the command line.
    """

    def __init__(self, errors: Sequence[RowError], *, max_errors: int | None = None):
        self.errors = list(errors)
        limit = max_errors if max_errors is not None else ExchangeLimits.current().max_errors
        if len(self.errors) == 1 and self.errors[0].row == 0:
            message = _("导入失败：%(reason)s") % {"reason": self.errors[0].reason}
        else:
            message = _("导入失败：发现 %(n)s 处错误，未写入任何数据。") % {"n": len(self.errors)}
        fields: dict[str, list[str]] = {}
        for error in self.errors[:limit]:
            fields.setdefault(error.key, []).append(error.reason)
        hidden = len(self.errors) - limit
        if hidden > 0:
            fields.setdefault("file", []).append(_("另有 %(n)s 处错误未列出。") % {"n": hidden})
        super().__init__(message, fields=fields)

    def lines(self, limit: int | None = None) -> list[str]:
        """The summary and one line per problem (the first ``limit``, then how many more),
        as the management commands print them; a file-level problem is the summary alone."""
        if len(self.errors) == 1 and self.errors[0].row == 0:
            return [self.message]
        shown = self.errors if limit is None else self.errors[:limit]
        out = [self.message, *(str(e) for e in shown)]
        if len(self.errors) > len(shown):
            out.append(str(_("另有 %(n)s 处错误未列出。") % {"n": len(self.errors) - len(shown)}))
        return out


def file_error(reason: str) -> ImportRejected:
    return ImportRejected([RowError(0, "", reason)])


def sort_errors(errors: Iterable[RowError], columns: Sequence[Column]) -> list[RowError]:
    order = {c.name: i for i, c in enumerate(columns)}
    return sorted(errors, key=lambda e: (e.row, order.get(e.field, -1 if not e.field else 99)))


def raise_if_errors(
    errors: list[RowError], columns: Sequence[Column], limits: ExchangeLimits
) -> None:
    if errors:
        raise ImportRejected(sort_errors(errors, columns), max_errors=limits.max_errors)


def csv_problem(exc: csv.Error, *, line: int, row_start: int) -> ImportRejected:
    """Why a file cannot be read as CSV, at the line where it goes wrong (``line``: the
    reader's); for a quote never closed, the line of the row it opens (``row_start``: the
    reader only notices at the end of the file)."""
    reason = str(exc)
    if "unexpected end of data" in reason:
        reason = _("引号没有闭合，从这一行起直到文件末尾都被读成了一个单元格")
        line = row_start
    elif "expected after" in reason:
        reason = _("引号闭合后应紧跟英文逗号或换行")
    elif "field larger than field limit" in reason:
        reason = _("单元格过长")
    return file_error(
        _("CSV 格式错误（第 %(line)s 行）：%(reason)s。") % {"line": line, "reason": reason}
    )
