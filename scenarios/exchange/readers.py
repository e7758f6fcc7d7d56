"""Reading a JSON, CSV or XLSX file into parsed rows (pure, no database), refusing
hostile files (zip bombs, oversized sheets, binary content) with a clear reason."""

import csv
import io
import json
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import IO, Any

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.packaging.manifest import Manifest
from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS
from openpyxl.xml.functions import fromstring

from core.words import listing
from scenarios.exchange.cells import CellError, cell_text, convert_cell, csv_unescape, is_blank
from scenarios.exchange.columns import COLUMNS, Column, ignored_names
from scenarios.exchange.errors import (
    ImportRejected,
    RowError,
    csv_problem,
    file_error,
    sort_errors,
)
from scenarios.exchange.json_reasons import json_syntax_reason
from scenarios.exchange.limits import (
    INFLATE_RATIO_FLOOR,
    MAX_COLUMNS,
    MAX_INFLATE_RATIO,
    MAX_ZIP_ENTRIES,
    ExchangeKind,
    ExchangeLimits,
    Format,
    file_size,
    sizes_apart,
)

ZIP_MAGIC = b"PK\x03\x04"

# The start of an entry of a shared-strings table (``<si>``, ``<si/>``, ``<x:si …>``).
STRING_ITEM = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,31}:)?si[\s/>]")

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls / .doc


@dataclass
class _RawRow:
    number: int
    cells: dict[str, Any]
    errors: list[RowError] = field(default_factory=list)


@dataclass
class ParsedRow:
    """One row read from a file: its number, the values that parsed, and its problems."""

    number: int
    values: dict[str, Any]
    errors: list[RowError]


def exchange_format_detect(*, fmt: str | None, filename: str = "") -> Format:
    """The format asked for, or the one the file name's extension names."""
    name = (fmt or PurePath(filename).suffix).lower().lstrip(".")
    if name == "json":
        return "json"
    if name == "csv":
        return "csv"
    if name == "xlsx":
        return "xlsx"
    if name == "xls":
        raise file_error(_("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 后再导入。"))
    if fmt:
        raise file_error(_("不支持的格式“%(fmt)s”，可选：json、csv、xlsx。") % {"fmt": fmt[:20]})
    raise file_error(_("只能导入扩展名为 .json、.csv 或 .xlsx 的文件。"))


def exchange_size_check(*, size: int, limits: ExchangeLimits | None = None) -> None:
    """Refuse a file larger than ``EXCHANGE_MAX_BYTES`` (callers check before reading it)."""
    limits = limits or ExchangeLimits.current()
    if size > limits.max_bytes:
        raise file_error(
            _("文件过大（%(size)s），上限为 %(max)s。") % sizes_apart(size, limits.max_bytes)
        )


def _check_content(data: bytes, fmt: Format, limits: ExchangeLimits) -> None:
    if not data:
        raise file_error(_("文件为空。"))
    exchange_size_check(size=len(data), limits=limits)
    if data.startswith(OLE_MAGIC):
        raise file_error(_("这是旧版 Excel（.xls）文件，请另存为 .xlsx 后再导入。"))
    if fmt != "xlsx" and data.startswith(ZIP_MAGIC):
        raise file_error(_("文件内容是 XLSX/ZIP，与所选格式 %(fmt)s 不符。") % {"fmt": fmt.upper()})
    if fmt == "xlsx" and not data.startswith(ZIP_MAGIC):
        raise file_error(_("不是有效的 XLSX 文件（文件内容不是 XLSX 压缩包）。"))


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise file_error(
            _(
                "文件不是 UTF-8 编码（第 %(pos)s 个字节无法解码）；"
                "用 Excel 保存时请选择“CSV UTF-8（逗号分隔）”。"
            )
            % {"pos": exc.start + 1}
        ) from None
    if "\x00" in text:
        raise file_error(_("文件含有二进制内容，不是文本文件。"))
    return text


class _ConstantRejected(ValueError):
    """``NaN``/``Infinity`` in a JSON file (Python's decoder would take them)."""


def _reject_constant(name: str) -> Any:
    raise _ConstantRejected(_("不允许 %(name)s。") % {"name": name})


def _read_json(
    data: bytes, columns: Sequence[Column], limits: ExchangeLimits, ignored: frozenset[str]
) -> list[_RawRow]:
    text = _decode(data)
    try:
        payload = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise file_error(
            _("不是有效的 JSON（第 %(line)s 行第 %(col)s 列：%(msg)s）。")
            % {"line": exc.lineno, "col": exc.colno, "msg": json_syntax_reason(exc.msg)}
        ) from None
    except _ConstantRejected as exc:
        raise file_error(_("不是有效的 JSON：%(msg)s") % {"msg": str(exc)}) from None
    except RecursionError:
        raise file_error(_("JSON 嵌套层级过深。")) from None
    except ValueError:
        # The only other refusal: an integer longer than Python converts (4300 digits).
        raise file_error(_("不是有效的 JSON：%(msg)s") % {"msg": _("整数位数过多。")}) from None
    if not isinstance(payload, list):
        raise file_error(_("JSON 顶层应为对象列表（[{...}, ...]）。"))
    # JSON is for programs: every key must be a field an import reads (``ignored`` is not).
    return _rows_from_objects(payload, columns, limits)


def _rows_from_objects(
    objects: Sequence[Any], columns: Sequence[Column], limits: ExchangeLimits
) -> list[_RawRow]:
    if len(objects) > limits.max_rows:
        raise _too_many_rows(limits)
    names = {c.name for c in columns}
    rows = []
    for number, obj in enumerate(objects, start=1):
        row = _RawRow(number, {})
        if not isinstance(obj, Mapping):
            row.errors.append(RowError(number, "", _("应为对象（{...}）。")))
        else:
            for key, value in obj.items():
                if key in names:
                    row.cells[key] = value
                else:
                    row.errors.append(RowError(number, str(key)[:64], _("未知字段。")))
        rows.append(row)
    return rows


def _too_many_rows(limits: ExchangeLimits) -> ImportRejected:
    return file_error(_("数据行过多，上限为 %(max)s 行。") % {"max": limits.max_rows})


def _too_many_lines(limits: ExchangeLimits) -> ImportRejected:
    return file_error(
        _("表格超过 %(max)s 行（含空行），请删除多余的空行后再导入。")
        % {"max": limits.max_physical_rows}
    )


def _normalise_header(text: str) -> str:
    return re.sub(r"\s+", "", text).lower().replace("（", "(").replace("）", ")")


def _map_header(
    cells: Sequence[Any], columns: Sequence[Column], ignored: frozenset[str]
) -> list[str | None]:
    """Column index → field name, from English names (``chains`` or ``chains[]``) or headers;
    None for a blank header and for the columns the export writes for people only."""
    lookup: dict[str, str] = {}
    for column in columns:
        for alias in (column.name, f"{column.name}[]", column.header):
            lookup[_normalise_header(alias)] = column.name
    skipped = {_normalise_header(name) for name in ignored}
    texts = [cell_text(c).strip() if c is not None else "" for c in cells]
    filled = [t for t in texts if t]
    if not filled:
        raise file_error(_("第1行应为表头（字段名），但它是空的。"))
    if len(filled) == 1 and (";" in filled[0] or "\t" in filled[0]):
        raise file_error(_("表头只有一列：CSV 应以英文逗号分隔。"))
    names: list[str | None] = []
    unknown: list[str] = []
    duplicate: list[str] = []
    for text in texts:
        key = _normalise_header(text)
        name = lookup.get(key) if text else None
        if text and name is None and key not in skipped:
            unknown.append(text[:40])
        if name is not None and name in names:
            duplicate.append(text[:40])
            name = None
        names.append(name)
    problems = []
    if unknown:
        problems.append(RowError(1, "", _("未知的列：%(cols)s。") % {"cols": listing(unknown)}))
    if duplicate:
        problems.append(RowError(1, "", _("重复的列：%(cols)s。") % {"cols": listing(duplicate)}))
    missing = [c.name for c in columns if c.required and c.name not in names]
    if missing:
        problems.append(RowError(1, "", _("缺少必填列：%(cols)s。") % {"cols": listing(missing)}))
    if problems:
        raise ImportRejected(problems)
    return names


def _row_from_cells(number: int, cells: Sequence[Any], names: Sequence[str | None]) -> _RawRow:
    row = _RawRow(number, {})
    for index, value in enumerate(cells):
        name = names[index] if index < len(names) else None
        if name is not None:
            row.cells[name] = value
        elif index >= len(names) and not is_blank(value):
            row.errors.append(RowError(number, "", _("本行的列数多于表头。")))
            break
    return row


def _read_csv(
    data: bytes, columns: Sequence[Column], limits: ExchangeLimits, ignored: frozenset[str]
) -> Iterator[_RawRow]:
    """The file's rows one by one (a caller keeps what it needs of each, not the file).

    Strict: a quote left open is an error naming its line, not the rest of the file read
    as one cell (and then every other column of that row reported missing)."""
    _decode(data)  # the whole file is UTF-8 text, or a clear error before any row
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    reader = csv.reader(text, strict=True)
    count = 0
    row_start = 1  # the physical line the row being read starts on
    try:
        header = next(reader, None)
        if header is None:
            raise file_error(_("文件为空。"))
        if len(header) > MAX_COLUMNS:
            raise file_error(_("列数过多（%(n)s 列）。") % {"n": len(header)})
        names = _map_header([csv_unescape(c) for c in header], columns, ignored)
        row_start = reader.line_num + 1
        for number, cells in enumerate(reader, start=2):
            row_start = reader.line_num + 1
            if number > limits.max_physical_rows:
                raise _too_many_lines(limits)
            if all(not c.strip() for c in cells):
                continue
            if count >= limits.max_rows:
                raise _too_many_rows(limits)
            count += 1
            yield _row_from_cells(number, [csv_unescape(c) for c in cells], names)
    except csv.Error as exc:
        raise csv_problem(exc, line=reader.line_num, row_start=row_start) from None


def _count_string_items(archive: zipfile.ZipFile, name: str, *, stop_after: int) -> int:
    """Entries of the shared-strings part ``name``, counted in the unpacked bytes without
    parsing them (inflating costs a fraction of what openpyxl spends per entry); counting
    stops once past ``stop_after``."""
    count, tail = 0, b""
    with archive.open(name) as member:
        while chunk := member.read(1024 * 1024):
            block = tail + chunk
            # A match is at most 37 bytes: one cut by the chunk's end is counted next time.
            cut = max(len(block) - 40, 0)
            count += sum(1 for m in STRING_ITEM.finditer(block) if m.start() < cut)
            if count > stop_after:
                return count
            tail = block[cut:]
    return count + len(STRING_ITEM.findall(tail))


def _shared_strings_part(archive: zipfile.ZipFile) -> str | None:
    """The part openpyxl will read as the shared-strings table, found as openpyxl finds it
    (``[Content_Types].xml``); None when the file has none or the manifest is unreadable
    (openpyxl then refuses the file itself)."""
    try:
        manifest = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
    except Exception:  # missing or malformed manifest: openpyxl reports the file broken
        return None
    found = manifest.find(SHARED_STRINGS)
    return str(found.PartName)[1:] if found is not None else None


def _check_xlsx_archive(data: bytes, width: int, limits: ExchangeLimits) -> None:
    """Refuse, from the archive's directory and before openpyxl parses anything, archives
    that are broken, unpack to far more than they weigh (zip bombs: in total, or one part
    beyond ``MAX_INFLATE_RATIO``), or whose shared-strings table holds more entries than a
    sheet within the row limits and ``width`` columns can use."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                raise file_error(_("XLSX 文件结构异常（压缩包内文件过多）。"))
            unpacked = sum(info.file_size for info in infos)
            if unpacked > limits.max_unzipped_bytes:
                raise file_error(
                    _("XLSX 解压后过大（%(size)s，上限 %(max)s），疑似压缩炸弹，已拒绝。")
                    % {"size": file_size(unpacked), "max": file_size(limits.max_unzipped_bytes)}
                )
            for info in infos:
                if info.file_size > max(
                    INFLATE_RATIO_FLOOR, MAX_INFLATE_RATIO * info.compress_size
                ):
                    raise file_error(
                        _(
                            "XLSX 中的一个部件解压后 %(size)s，是压缩后的 %(ratio)s 倍"
                            "（上限 %(max)s 倍），疑似压缩炸弹，已拒绝。"
                        )
                        % {
                            "size": file_size(info.file_size),
                            "ratio": info.file_size // max(info.compress_size, 1),
                            "max": MAX_INFLATE_RATIO,
                        }
                    )
            if not any(info.filename == "xl/workbook.xml" for info in infos):
                raise file_error(_("不是有效的 XLSX 文件（缺少工作簿）。"))
            strings = _shared_strings_part(archive)
            most = limits.max_shared_strings(width)
            if strings is not None and (
                _count_string_items(archive, strings, stop_after=most) > most
            ):
                raise file_error(
                    _(
                        "XLSX 的共享字符串表超过 %(max)s 条，多于 %(rows)s 行以内的表格所能用到的，"
                        "已拒绝。"
                    )
                    % {"max": most, "rows": limits.max_physical_rows}
                )
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        ValueError,
        EOFError,
        zlib.error,  # a damaged part, found while counting
        RuntimeError,  # an encrypted part, or a compression method zipfile lacks
    ):
        raise file_error(_("不是有效的 XLSX 文件（压缩包已损坏）。")) from None
    except KeyError:  # the manifest names a shared-strings part the archive lacks
        raise file_error(_("XLSX 文件已损坏或无法读取。")) from None


def _read_xlsx(
    data: bytes, columns: Sequence[Column], limits: ExchangeLimits, ignored: frozenset[str]
) -> Iterator[_RawRow]:
    # The export's label columns are part of a sheet too.
    _check_xlsx_archive(data, len(columns) + len(ignored), limits)
    broken = _("XLSX 文件已损坏或无法读取。")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors for a damaged file
        raise file_error(broken) from None
    count = 0
    try:
        if not workbook.worksheets:
            raise file_error(_("XLSX 文件中没有工作表。"))
        sheet = workbook.worksheets[0]
        # max_col/max_row are explicit: a sheet's declared dimension may be hostile.
        cells = sheet.iter_rows(
            min_row=1,
            max_row=limits.max_physical_rows + 1,
            max_col=MAX_COLUMNS,
            values_only=True,
        )
        header = next(cells, None)
        if header is None:
            raise file_error(_("工作表为空。"))
        names = _map_header(header, columns, ignored)
        for number, values in enumerate(cells, start=2):
            if number > limits.max_physical_rows:
                raise _too_many_lines(limits)
            if all(is_blank(v) for v in values):
                continue
            if count >= limits.max_rows:
                raise _too_many_rows(limits)
            count += 1
            yield _row_from_cells(number, values[: len(names)], names)
    except ImportRejected:
        raise
    except Exception:  # damaged sheet XML surfaces while iterating
        raise file_error(broken) from None
    finally:
        workbook.close()


READERS: dict[
    str, Callable[[bytes, Sequence[Column], ExchangeLimits, frozenset[str]], Iterable[_RawRow]]
] = {
    "json": _read_json,
    "csv": _read_csv,
    "xlsx": _read_xlsx,
}


def _parse_row(
    columns: Sequence[Column], raw: _RawRow, *, typed: bool, limits: ExchangeLimits
) -> ParsedRow:
    values: dict[str, Any] = {}
    errors = list(raw.errors)
    for column in columns:
        try:
            values[column.name] = convert_cell(
                column, raw.cells.get(column.name), typed=typed, max_cell=limits.max_cell_chars
            )
        except CellError as exc:
            errors.append(RowError(raw.number, column.name, exc.reason))
    return ParsedRow(raw.number, values, errors)


def parse_input(
    columns: Sequence[Column],
    *,
    data: bytes | None,
    rows: Sequence[Any] | None,
    fmt: str | None,
    filename: str,
    limits: ExchangeLimits,
    ignored: frozenset[str] = frozenset(),
) -> tuple[Format, list[ParsedRow]]:
    """Read every row of a file (or of ``rows``, objects as in JSON); ``ignored`` names the
    CSV/XLSX headers to skip (``columns.ignored_names``)."""
    raw: Iterable[_RawRow]
    if rows is not None:
        detected: Format = "json"
        raw = _rows_from_objects(rows, columns, limits)
    else:
        if data is None:
            raise TypeError("pass data or rows")
        detected = exchange_format_detect(fmt=fmt, filename=filename)
        _check_content(data, detected, limits)
        raw = READERS[detected](data, columns, limits, ignored)
    typed = detected == "json"
    # Each row is parsed as it is read: the raw cells of the file are never all held.
    parsed = [_parse_row(columns, r, typed=typed, limits=limits) for r in raw]
    if not parsed:
        raise file_error(_("文件中没有数据行。"))
    return detected, parsed


def exchange_parse(
    *, kind: ExchangeKind, data: bytes, fmt: str | None = None, filename: str = ""
) -> list[dict[str, Any]]:
    """Read a file into exchange-format values, without the database; raise on any bad row.

    This is the pure first half of an import (the database checks come after it).
    """
    columns = COLUMNS[kind]
    limits = ExchangeLimits.current()
    _fmt, parsed = parse_input(
        columns,
        data=data,
        rows=None,
        fmt=fmt,
        filename=filename,
        limits=limits,
        ignored=ignored_names(kind),
    )
    errors = [e for row in parsed for e in row.errors]
    if errors:
        raise ImportRejected(sort_errors(errors, columns), max_errors=limits.max_errors)
    return [row.values for row in parsed]


def read_limited(stream: IO[bytes], *, limit: int | None = None) -> bytes:
    """Read the stream to its end or to one byte past the size limit, so an oversized
    file is detected; in pieces, so a limit far above the file (the operator's) allocates
    only what the file holds."""
    limit = limit if limit is not None else ExchangeLimits.current().max_bytes
    pieces: list[bytes] = []
    size = 0
    while size <= limit and (piece := stream.read(min(READ_PIECE, limit + 1 - size))):
        pieces.append(piece)
        size += len(piece)
    return b"".join(pieces)


READ_PIECE = 8 * 1024 * 1024
