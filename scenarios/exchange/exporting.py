"""Rendering the published lists in the exchange format (JSON, CSV, XLSX with a legend)."""

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

from core.errors import InvalidInput
from scenarios import selectors
from scenarios.exchange.cells import LIST_SEPARATOR, cell_text, csv_neutralise, is_formula_like
from scenarios.exchange.columns import CAPABILITY_COLUMNS, NEED_COLUMNS, Column
from scenarios.exchange.errors import ImportRejected
from scenarios.exchange.limits import CONTENT_TYPES, Format
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
    records = [need_exchange_record(n) for n in public.iterator(chunk_size=500)]
    return _render(NEED_COLUMNS, records, fmt=chosen, stem="opportunity-list", sheet="机会清单")


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
    records = [capability_exchange_record(c) for c in public.iterator(chunk_size=500)]
    return _render(
        CAPABILITY_COLUMNS, records, fmt=chosen, stem="capability-list", sheet="能力清单"
    )


def _render(
    columns: Sequence[Column], records: list[dict[str, Any]], *, fmt: Format, stem: str, sheet: str
) -> ExportFile:
    if fmt == "json":
        content = _json_bytes(records)
    elif fmt == "csv":
        content = _csv_bytes(columns, records)
    else:
        content = _xlsx_bytes(columns, records, sheet=sheet)
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


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return csv_neutralise(LIST_SEPARATOR.join(value))
    return csv_neutralise(str(value))


def _csv_bytes(columns: Sequence[Column], records: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.name for c in columns])
    for record in records:
        writer.writerow([_csv_cell(record[c.name]) for c in columns])
    # The BOM makes Excel read the file as UTF-8; the reader accepts it.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


HEADER_FONT = Font(bold=True)

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")

HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)

WRAP_ALIGNMENT = Alignment(vertical="top", wrap_text=True)

TOP_ALIGNMENT = Alignment(vertical="top")


def _xlsx_cell(cell: Any, column: Column, value: Any) -> None:
    """Write one value; text is always stored as text, never as a formula."""
    if value is None:
        return
    if isinstance(value, bool):
        cell.value = "是" if value else "否"
    elif isinstance(value, int):
        cell.value = value
        if column.name == "budget_cny":
            cell.number_format = "#,##0"
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    else:
        text = LIST_SEPARATOR.join(value) if isinstance(value, list) else str(value)
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
        cell.value = text
        cell.data_type = "s"  # openpyxl turns "=..." into a formula unless told otherwise
        if is_formula_like(text):
            cell.quotePrefix = True
    cell.alignment = WRAP_ALIGNMENT if column.width >= 24 else TOP_ALIGNMENT


def _column_width(column: Column, records: Sequence[dict[str, Any]]) -> float:
    widest = _display_width(column.header)
    for record in records[:1000]:
        value = record[column.name]
        if isinstance(value, list):
            value = LIST_SEPARATOR.join(value)
        text = "是" if value is True else "否" if value is False else cell_text(value or "")
        widest = max(widest, _display_width(text.split("\n", 1)[0][:200]))
    return min(widest, column.width) + 2


def _xlsx_bytes(columns: Sequence[Column], records: list[dict[str, Any]], *, sheet: str) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.properties.creator = "场景机会撮合平台"
    workbook.properties.title = sheet
    ws = workbook.active
    ws.title = sheet
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=index, value=column.header)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
        ws.column_dimensions[get_column_letter(index)].width = _column_width(column, records)
    for row_index, record in enumerate(records, start=2):
        for index, column in enumerate(columns, start=1):
            _xlsx_cell(ws.cell(row=row_index, column=index), column, record[column.name])
    last = get_column_letter(len(columns))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{last}{len(records) + 1}"
    ws.row_dimensions[1].height = 24
    # Printed for leaders: landscape, one page wide, the header repeated on every page.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    _legend_sheet(workbook, columns)
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
        return options + ("；多个用 ; 分隔" if column.many else "")
    return column.note


def _legend_sheet(workbook: Any, columns: Sequence[Column]) -> None:
    """A second sheet explaining every column: field name, header, required, values."""
    ws = workbook.create_sheet("填写说明")
    ws.append(["字段名", "中文表头", "必填", "填写说明"])
    for column in columns:
        ws.append(
            [
                column.name,
                column.header,
                "是" if column.required else "否",
                _column_note(column, needs=tuple(columns) == tuple(NEED_COLUMNS)),
            ]
        )
    for cell in ws[1]:
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
    for letter, width in zip("ABCD", (18, 20, 8, 80), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2):
        row[3].alignment = WRAP_ALIGNMENT
    ws.freeze_panes = "A2"
