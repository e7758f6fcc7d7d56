"""Bulk import and export of needs and capabilities in the exchange format.

The exchange format (DESIGN.md, "Exchange format") is a contract of field names. JSON
carries a list of objects; CSV (UTF-8, with or without BOM) and XLSX carry a header row
that names the fields (XLSX and CSV may also use the Chinese headers the export writes),
with list fields joined by ``;`` (``；`` is accepted on import). The CSV and XLSX exports
also write, beside every coded column, a column of its Chinese names (``产业链（名称）``),
and the status; an import skips those (``columns.ignored_names``) and reads the codes.

- ``columns``: the fields, their Chinese headers and rules;
- ``cells``: reading one cell (types, choices, ranges, dates, lists) and formula escaping;
- ``readers``: a JSON, CSV or XLSX file into parsed rows, refusing hostile files;
- ``checks``: the rows against the database (refs, chains, regions, organizations, whose
  rows the caller may import);
- ``updates``: what a row changes of its stored item, and whether it may;
- ``importing``: one routine that writes either kind all or nothing through the services;
- ``exporting``: the public lists and each user's own items as JSON, CSV or XLSX (with a
  填写说明 sheet), and the empty template.

Import first reads and checks every row and collects every problem with the row number a
user sees. With ``update``, a row whose ref is stored changes that item (``updates``)
through the same services as an edit on a page, or is an error when the item is another
organization's or its state forbids the change; a row equal to the item changes nothing.
Only a clean file is written, through the organization, need and capability services
and inside one transaction: any error (also one that only a service finds) raises
``ImportRejected`` with the full list, leaving the database unchanged.

Export renders the lists in the same format; a file exported here imports back to the same
values, and with ``update`` changes nothing. Cells a spreadsheet would run as a formula
are neutralised: CSV gets a leading apostrophe (removed again on import), XLSX stores them
as text with Excel's quote prefix, so the value itself stays intact.
"""

from scenarios.exchange.cells import csv_neutralise
from scenarios.exchange.columns import (
    CAPABILITY_COLUMNS,
    COLUMNS,
    EXPORT_COLUMNS,
    NEED_COLUMNS,
    Column,
)
from scenarios.exchange.errors import ImportRejected, RowError
from scenarios.exchange.exporting import (
    ExportFile,
    capabilities_export,
    capability_exchange_record,
    capability_own_list_export,
    exchange_template,
    need_exchange_record,
    need_own_list_export,
    opportunity_list_export,
)
from scenarios.exchange.importing import (
    ImportResult,
    capabilities_import,
    import_kinds_for,
    needs_import,
)
from scenarios.exchange.limits import FORMATS, XLSX_CONTENT_TYPE, ExchangeLimits
from scenarios.exchange.readers import (
    exchange_format_detect,
    exchange_parse,
    exchange_size_check,
    read_limited,
)

__all__ = [
    "CAPABILITY_COLUMNS",
    "COLUMNS",
    "EXPORT_COLUMNS",
    "FORMATS",
    "NEED_COLUMNS",
    "XLSX_CONTENT_TYPE",
    "Column",
    "ExchangeLimits",
    "ExportFile",
    "ImportRejected",
    "ImportResult",
    "RowError",
    "capabilities_export",
    "capabilities_import",
    "capability_exchange_record",
    "capability_own_list_export",
    "csv_neutralise",
    "exchange_format_detect",
    "exchange_parse",
    "exchange_size_check",
    "exchange_template",
    "import_kinds_for",
    "need_exchange_record",
    "need_own_list_export",
    "needs_import",
    "opportunity_list_export",
    "read_limited",
]
