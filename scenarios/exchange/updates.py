"""Rows that update a stored item by its ref (imports with ``update``): whose item it is,
what the row changes, and whether the item's state allows that change. A row equal to the
stored item changes nothing; only the fields that differ reach the service."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from reference.models import Region
from scenarios.exchange.errors import RowError
from scenarios.exchange.exporting import capability_exchange_record, need_exchange_record
from scenarios.exchange.limits import ExchangeKind
from scenarios.exchange.readers import ParsedRow
from scenarios.lifecycle import PUBLIC_NEED_STATUSES
from scenarios.models import Capability, ScenarioNeed

# The fields a row may change, in the exchange format's names. The ref finds the item; the
# organization columns must name its owner (a firm is found by credit code, whatever the
# name); ``org_region_code`` may only repeat the agency's region (checked with the agency).
UPDATABLE: dict[ExchangeKind, tuple[str, ...]] = {
    "need": (
        "title",
        "description",
        "category",
        "chains",
        "keywords",
        "region_code",
        "validation_type",
        "min_trl",
        "budget_cny",
        "deadline",
        "is_major",
    ),
    "capability": (
        "title",
        "description",
        "chains",
        "keywords",
        "region_code",
        "trl",
        "certifications",
        "past_cases",
        "capacity",
    ),
}

# Sets, whatever order a file lists them in.
UNORDERED = frozenset({"chains", "certifications"})

# Compared as a reader sees them: without surrounding blanks, with one kind of line break
# (a spreadsheet may turn \r\n into \n).
TEXTS = frozenset({"title", "description"})


@dataclass(frozen=True)
class Update:
    """A row's stored item and the exchange fields the row changes (empty: none)."""

    item: ScenarioNeed | Capability
    changes: dict[str, Any]


def _text(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def _same(name: str, stored: Any, wanted: Any) -> bool:
    if name in UNORDERED:
        return set(stored) == set(wanted)
    if name in TEXTS:
        return _text(stored or "") == _text(wanted or "")
    return bool(stored == wanted)


def changes_of(
    kind: ExchangeKind, item: ScenarioNeed | Capability, values: Mapping[str, Any]
) -> dict[str, Any]:
    """The fields of ``values`` (a parsed row) that differ from the stored item."""
    if isinstance(item, ScenarioNeed):
        stored = need_exchange_record(item)
    else:
        stored = capability_exchange_record(item)
    return {
        name: values[name]
        for name in UPDATABLE[kind]
        if name in values and not _same(name, stored[name], values[name])
    }


def service_values(changes: Mapping[str, Any], regions: Mapping[str, Region]) -> dict[str, Any]:
    """The changed fields as the need and capability services take them."""
    return {
        ("region" if name == "region_code" else name): (
            regions[value] if name == "region_code" else value
        )
        for name, value in changes.items()
    }


def owner_differs(item: ScenarioNeed | Capability, values: Any) -> bool:
    """The row names another organization than the stored item's (agency by name, firm by
    credit code)."""
    if isinstance(item, ScenarioNeed):
        return bool(item.agency.name != values.get("org_name"))
    return bool((item.firm.credit_code or "") != values.get("firm_credit_code"))


def _state_problem(item: ScenarioNeed | Capability) -> str:
    status = item.get_status_display()
    if isinstance(item, ScenarioNeed):
        return _(
            "状态为“%(status)s”的需求不能修改（只有草稿或被退回的需求可以修改）；本行改动了此项。"
        ) % {"status": status}
    return _(
        "状态为“%(status)s”的能力不能修改（只有草稿、被退回或已撤回的能力可以修改，"
        "已发布的须先撤回）；本行改动了此项。"
    ) % {"status": status}


def _is_public(item: ScenarioNeed | Capability) -> bool:
    if isinstance(item, ScenarioNeed):
        return item.status in PUBLIC_NEED_STATUSES
    return item.status == "published"


def plan_updates(
    kind: ExchangeKind,
    rows: Sequence[ParsedRow],
    stored: Mapping[str, ScenarioNeed | Capability],
    errors: list[RowError],
    *,
    publish: bool,
) -> dict[int, Update]:
    """For each row whose ref is stored: its item and changes, or the row's errors: the item
    belongs to another organization than the row names; the row changes an item its state
    keeps as it is (one error per changed field); the row changes an item saved since the
    file's ``version`` (a row without a version is taken as it is); with ``publish``, the
    item is not public (an approved list creates published items, never publishes stored
    ones)."""
    updates: dict[int, Update] = {}
    for row in rows:
        item = stored.get(row.values.get("ref") or "")
        if item is None or row.errors:
            continue
        if owner_differs(item, row.values):
            if kind == "need":
                reason = _("编号 %(ref)s 是其他发布单位的需求，不能按本行更新。")
            else:
                reason = _("编号 %(ref)s 是其他企业的能力，不能按本行更新。")
            errors.append(RowError(row.number, "ref", reason % {"ref": item.ref}))
            continue
        if publish and not _is_public(item):
            errors.append(
                RowError(
                    row.number,
                    "ref",
                    _(
                        "编号 %(ref)s 已存在，状态为“%(status)s”；直接发布只新建条目，"
                        "不发布已有条目。"
                    )
                    % {"ref": item.ref, "status": item.get_status_display()},
                )
            )
            continue
        changes = changes_of(kind, item, row.values)
        if changes and not item.is_editable:
            reason = _state_problem(item)
            errors.extend(RowError(row.number, name, reason) for name in changes)
            continue
        version = row.values.get("version")
        if changes and version is not None and version != item.version:
            if version > item.version:  # never issued: the file was not exported from here
                text = _(
                    "编号 %(ref)s 没有版本 %(version)s（当前为第 %(current)s 版）；"
                    "请重新导出，在新文件中修改后再导入。"
                )
            else:
                text = _(
                    "编号 %(ref)s 在导出后已被修改（当前版本 %(current)s，文件中为 "
                    "%(version)s）；请重新导出，在新文件中修改后再导入。"
                )
            errors.append(
                RowError(
                    row.number,
                    "version",
                    text % {"ref": item.ref, "current": item.version, "version": version},
                )
            )
            continue
        updates[row.number] = Update(item, changes)
    return updates
