"""Rendering lists of needs and capabilities in the exchange format: JSON (the codes), CSV
and XLSX (the codes, and beside every coded column the Chinese names people read; XLSX with
a 填写说明 sheet). The public lists for everyone, each user's own items, the empty template."""

import csv
import io
import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import openpyxl
from django.db.models import QuerySet
from django.utils import timezone, translation
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from core.actors import Actor
from core.errors import InvalidInput
from reference.selectors import chains_by_slug, regions_by_code
from scenarios import selectors
from scenarios.exchange.cells import (
    cell_text,
    csv_neutralise,
    is_formula_like,
    join_list,
)
from scenarios.exchange.columns import COLUMNS, EXPORT_COLUMNS, Column, choice_labels
from scenarios.exchange.errors import ImportRejected
from scenarios.exchange.limits import CONTENT_TYPES, ExchangeKind, Format
from scenarios.exchange.readers import exchange_format_detect
from scenarios.models import Capability, ScenarioNeed


@dataclass(frozen=True)
class ExportFile:
    """A rendered list: its bytes, media type, a download name and the number of rows."""

    content: bytes
    content_type: str
    filename: str
    rows: int


def need_exchange_record(need: ScenarioNeed) -> dict[str, Any]:
    """A need in the exchange format (``deadline`` stays a date until a writer renders it)."""
    return {
        "ref": need.ref,
        "title": need.title,
        "description": need.description,
        "category": need.category,
        "chains": [c.slug for c in need.chains.all()],
        "keywords": list(need.keywords),
        "region_code": need.region_id,
        "validation_type": need.validation_type,
        "min_trl": need.min_trl,
        "budget_cny": need.budget_cny,
        "deadline": need.deadline,
        "is_major": need.is_major,
        "org_name": need.agency.name,
        "org_region_code": need.agency.region_id,
        "version": need.version,
    }


def capability_exchange_record(cap: Capability) -> dict[str, Any]:
    """A capability in the exchange format."""
    return {
        "ref": cap.ref,
        "title": cap.title,
        "description": cap.description,
        "chains": [c.slug for c in cap.chains.all()],
        "keywords": list(cap.keywords),
        "region_code": cap.region_id,
        "trl": cap.trl,
        "certifications": list(cap.certifications),
        "past_cases": list(cap.past_cases),
        "capacity": cap.capacity,
        "firm_name": cap.firm.name,
        "firm_credit_code": cap.firm.credit_code or "",
        "version": cap.version,
    }


def _need_record(need: ScenarioNeed) -> dict[str, Any]:
    """The exchange record and what CSV and XLSX add for people (the status)."""
    return {**need_exchange_record(need), "status": need.status}


def _capability_record(cap: Capability) -> dict[str, Any]:
    """The exchange record and what CSV and XLSX add for people: the status, and the
    certifications the platform verified, so that the names column marks the others as
    self-declared, as the pages do (JSON keeps the exchange record's fields only)."""
    return {
        **capability_exchange_record(cap),
        "status": cap.status,
        "verified_certifications": list(cap.firm.verified_certifications or []),
    }


def _export_format(fmt: str) -> Format:
    try:
        return exchange_format_detect(fmt=fmt or "json")
    except ImportRejected as exc:
        raise InvalidInput(
            exc.errors[0].reason, fields={"format": [exc.errors[0].reason]}
        ) from None


def opportunity_list_export(*, fmt: str, needs: QuerySet[ScenarioNeed] | None = None) -> ExportFile:
    """The published opportunity list (机会清单) as JSON, CSV or XLSX in the exchange format.

    Only public needs (published and later stages) are listed, without confidential fields;
    ``needs`` narrows it to a selection (the pages' filters), never widens it.
    """
    chosen = _export_format(fmt)
    public = selectors.need_public_list()
    if needs is not None:
        public = public.filter(pk__in=needs.order_by().values("pk")).order_by(*needs.query.order_by)
    records = [_need_record(n) for n in public.iterator(chunk_size=500)]
    return _render("need", records, fmt=chosen, stem="opportunity-list", sheet="机会清单")


def capabilities_export(
    *, fmt: str, capabilities: QuerySet[Capability] | None = None
) -> ExportFile:
    """The published capability list (能力清单) as JSON, CSV or XLSX in the exchange format;
    ``capabilities`` narrows it to a selection, never widens it."""
    chosen = _export_format(fmt)
    public = selectors.capability_public_list()
    if capabilities is not None:
        public = public.filter(pk__in=capabilities.order_by().values("pk")).order_by(
            *capabilities.query.order_by
        )
    records = [_capability_record(c) for c in public.iterator(chunk_size=500)]
    return _render("capability", records, fmt=chosen, stem="capability-list", sheet="能力清单")


def need_own_list_export(*, user: Actor, fmt: str) -> ExportFile:
    """The needs ``user`` answers for (``selectors.need_own_list_for_user``: an agency's
    editors its needs in every state, a committee the needs submitted in its region, a
    platform admin all), by ref, in the exchange format: edited and imported back with
    ``update``, the file changes exactly what was edited."""
    chosen = _export_format(fmt)
    needs = selectors.need_own_list_for_user(user=user).order_by("ref")
    records = [_need_record(n) for n in needs.iterator(chunk_size=500)]
    return _render("need", records, fmt=chosen, stem="needs", sheet="场景需求")


def capability_own_list_export(*, user: Actor, fmt: str) -> ExportFile:
    """The capabilities ``user`` answers for (``selectors.capability_own_list_for_user``: a
    firm's editors its capabilities in every state, a committee the submitted ones of the
    firms in its region, a platform admin all), by ref, in the exchange format."""
    chosen = _export_format(fmt)
    capabilities = selectors.capability_own_list_for_user(user=user).order_by("ref")
    records = [_capability_record(c) for c in capabilities.iterator(chunk_size=500)]
    return _render("capability", records, fmt=chosen, stem="capabilities", sheet="场景能力")


def exchange_template(*, kind: ExchangeKind) -> ExportFile:
    """An empty XLSX to fill in: the columns an import reads (no label or status columns)
    and the 填写说明 sheet."""
    sheet = "机会清单" if kind == "need" else "能力清单"
    content = _xlsx_bytes(kind, _plain_outs(COLUMNS[kind]), [], sheet=sheet)
    return ExportFile(
        content=content,
        content_type=CONTENT_TYPES["xlsx"],
        filename=f"template-{'needs' if kind == 'need' else 'capabilities'}.xlsx",
        rows=0,
    )


# --- Columns of CSV and XLSX ------------------------------------------------------------

NAME_SEPARATOR = "；"
# After the name of a certification the platform has not verified (the pages' 自报 badge).
SELF_DECLARED = "（自报）"

LABEL_WIDTHS = {"choices": 20, "chains": 30, "regions": 24}


@dataclass(frozen=True)
class _Out:
    """One column of a CSV or XLSX export: a field's values, or (``names``) the Chinese names
    of its codes, which people read and an import ignores."""

    column: Column
    names: bool = False

    @property
    def csv_header(self) -> str:
        return self.column.label if self.names else self.column.name

    @property
    def header(self) -> str:
        return self.column.label if self.names else self.column.header

    @property
    def width(self) -> int:
        return LABEL_WIDTHS[self.column.names or "choices"] if self.names else self.column.width

    def value(self, record: dict[str, Any]) -> Any:
        value = record[self.column.name]
        if not self.names:
            return value
        return _names(self.column, value, verified=record.get(f"verified_{self.column.name}"))


def _outs(columns: Sequence[Column]) -> list[_Out]:
    outs = []
    for column in columns:
        outs.append(_Out(column))
        if column.label:
            outs.append(_Out(column, names=True))
    return outs


def _plain_outs(columns: Sequence[Column]) -> list[_Out]:
    return [_Out(column) for column in columns]


def _region_name(code: str) -> str:
    """``江西省南昌市东湖区``: a region with its ancestors, in Chinese."""
    by_code = regions_by_code()
    node = by_code.get(code)
    if node is None:
        return code
    return "".join(
        by_code[part].name_zh for part in node.path.rstrip("/").split("/") if part in by_code
    )


def _names(column: Column, value: Any, *, verified: list[str] | None = None) -> str:
    """The Chinese names of a coded cell's value or values, joined with ``；``; where the
    record says which values were ``verified``, the others marked self-declared."""
    values = [v for v in (value if isinstance(value, list) else [value]) if v]
    if column.names == "chains":
        nodes = chains_by_slug()
        names = [nodes[v].name_zh if v in nodes else v for v in values]
    elif column.names == "regions":
        names = [_region_name(v) for v in values]
    else:
        assert column.choices is not None  # noqa: S101 - a choices label has choices
        labels = choice_labels(column.choices)
        names = [
            labels.get(v, v) + ("" if verified is None or v in verified else SELF_DECLARED)
            for v in values
        ]
    return NAME_SEPARATOR.join(names)


def _render(
    kind: ExchangeKind, records: list[dict[str, Any]], *, fmt: Format, stem: str, sheet: str
) -> ExportFile:
    if fmt == "json":
        content = _json_bytes([{c.name: r[c.name] for c in COLUMNS[kind]} for r in records])
    elif fmt == "csv":
        content = _csv_bytes(_outs(EXPORT_COLUMNS[kind]), records)
    else:
        content = _xlsx_bytes(kind, _outs(EXPORT_COLUMNS[kind]), records, sheet=sheet)
    return ExportFile(
        content=content,
        content_type=CONTENT_TYPES[fmt],
        filename=f"{stem}-{timezone.localdate():%Y%m%d}.{fmt}",
        rows=len(records),
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _json_bytes(records: list[dict[str, Any]]) -> bytes:
    return (
        json.dumps(records, ensure_ascii=False, indent=2, default=_json_default) + "\n"
    ).encode()


def _csv_cell(value: Any, column: Column) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"  # an import reads 是/否 as well as true/false
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return csv_neutralise(join_list(column, value))
    return csv_neutralise(str(value))


def _csv_bytes(outs: Sequence[_Out], records: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([out.csv_header for out in outs])
    for record in records:
        writer.writerow([_csv_cell(out.value(record), out.column) for out in outs])
    # The BOM makes Excel read the file as UTF-8; the reader accepts it.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


HEADER_FONT = Font(bold=True)

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")

# The label and status columns, which an import ignores, have a grey header.
READ_ONLY_FILL = PatternFill("solid", fgColor="EDEDED")

HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)

WRAP_ALIGNMENT = Alignment(vertical="top", wrap_text=True)

TOP_ALIGNMENT = Alignment(vertical="top")


def _xlsx_cell(cell: Any, out: _Out, value: Any) -> None:
    """Write one value; text is always stored as text, never as a formula."""
    if value is None:
        return
    if isinstance(value, bool):
        cell.value = "是" if value else "否"
    elif isinstance(value, int):
        cell.value = value
        if out.column.name == "budget_cny":
            cell.number_format = "#,##0"
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    else:
        text = join_list(out.column, value) if isinstance(value, list) else str(value)
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
        cell.value = text
        cell.data_type = "s"  # openpyxl turns "=..." into a formula unless told otherwise
        if is_formula_like(text):
            cell.quotePrefix = True
    cell.alignment = WRAP_ALIGNMENT if out.width >= 24 else TOP_ALIGNMENT


def _column_width(out: _Out, table: Sequence[Sequence[Any]], index: int) -> float:
    widest = _display_width(out.header)
    for values in table[:1000]:
        value = values[index]
        if isinstance(value, list):
            value = join_list(out.column, value)
        text = "是" if value is True else "否" if value is False else cell_text(value or "")
        widest = max(widest, _display_width(text.split("\n", 1)[0][:200]))
    return min(widest, out.width) + 2


def _is_read_only(out: _Out) -> bool:
    return out.names or out.column.read_only


def _xlsx_bytes(
    kind: ExchangeKind, outs: Sequence[_Out], records: list[dict[str, Any]], *, sheet: str
) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.properties.creator = "场景机会撮合平台"
    workbook.properties.title = sheet
    ws = workbook.active
    ws.title = sheet
    table = [[out.value(record) for out in outs] for record in records]
    for index, out in enumerate(outs, start=1):
        cell = ws.cell(row=1, column=index, value=out.header)
        cell.font, cell.alignment = HEADER_FONT, HEADER_ALIGNMENT
        cell.fill = READ_ONLY_FILL if _is_read_only(out) else HEADER_FILL
        width = _column_width(out, table, index - 1)
        ws.column_dimensions[get_column_letter(index)].width = width
    for row_index, values in enumerate(table, start=2):
        for index, (out, value) in enumerate(zip(outs, values, strict=True), start=1):
            _xlsx_cell(ws.cell(row=row_index, column=index), out, value)
    last = get_column_letter(len(outs))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{last}{len(records) + 1}"
    ws.row_dimensions[1].height = 24
    # Printed for leaders: landscape, one page wide, the header repeated on every page.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    _legend_sheet(workbook, kind, outs)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _column_note(column: Column, *, needs: bool) -> str:
    if column.name == "chains":  # the values a chain cell takes: every node of the tree
        nodes = "；".join(f"{slug}（{name}）" for slug, name in selectors.chain_slugs_and_names())
        return f"{column.note}。可选值：{nodes}"
    if column.name == "region_code":
        return (
            f"{column.note}。须在发布单位的辖区内（新建的单位以其第一行的地区为辖区）"
            if needs
            else column.note
        )
    if column.choices is not None:
        with translation.override("zh-hans"):
            options = "；".join(f"{v}（{label}）" for v, label in column.choices.choices)
        if column.read_only:
            return f"{column.note}。取值：{options}"
        return options + ("；多个用 ; 分隔" if column.many else "")
    return column.note


def _legend_row(out: _Out, *, needs: bool) -> list[str]:
    column = out.column
    if out.names:
        note = f"只读：“{column.header}”列（{column.name}）的中文名称，供阅读；导入时忽略"
        if not column.read_only:
            note += f"，修改请改“{column.header}”列"
        return [column.label, column.label, "—", note]
    required = "—" if column.read_only else "是" if column.required else "否"
    return [column.name, column.header, required, _column_note(column, needs=needs)]


def _legend_sheet(workbook: Any, kind: ExchangeKind, outs: Sequence[_Out]) -> None:
    """A second sheet explaining every column: field name, header, required, values."""
    ws = workbook.create_sheet("填写说明")
    ws.append(["字段名", "中文表头", "必填", "填写说明"])
    for out in outs:
        ws.append(_legend_row(out, needs=kind == "need"))
    if any(_is_read_only(out) for out in outs):
        ws.append([])
        ws.append(
            [
                "",
                "",
                "",
                "表头为灰色的列（带“（名称）”的列和“状态”列）只供阅读，导入时忽略；"
                "导入读取的是代码列。按编号更新已有条目时，请修改代码列。",
            ]
        )
    for cell in ws[1]:
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
    for letter, width in zip("ABCD", (18, 20, 8, 80), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2):
        row[3].alignment = WRAP_ALIGNMENT
    ws.freeze_panes = "A2"
