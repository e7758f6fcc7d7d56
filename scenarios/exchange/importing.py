"""Importing a file: check every row against the database, then write it all or nothing:
new refs are created, and with ``update`` the rows whose ref is stored change that item
through the same services as a person's edit (a row equal to the item changes nothing)."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.roles import is_platform_admin, is_province_committee_member, organization_ids
from core.actors import Actor
from core.errors import ActorNotAllowed, DomainError
from scenarios import events
from scenarios.exchange.bulk import bulk_create_rows
from scenarios.exchange.checks import (
    ImportOptions,
    Plan,
    plan_capabilities,
    plan_needs,
)
from scenarios.exchange.columns import (
    CAPABILITY_COLUMNS,
    FIELD_ALIASES,
    NEED_COLUMNS,
    Column,
    ignored_names,
)
from scenarios.exchange.errors import RowError, raise_if_errors
from scenarios.exchange.limits import ExchangeKind, ExchangeLimits, Format
from scenarios.exchange.readers import ParsedRow, parse_input
from scenarios.exchange.updates import Update, service_values
from scenarios.models import Capability, ScenarioNeed
from scenarios.services.capabilities import (
    capability_update,
)
from scenarios.services.common import ImportSource
from scenarios.services.needs import need_update


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote (or, for a dry run, would write)."""

    kind: ExchangeKind
    format: Format
    created: int
    refs: list[str]  # the created items'
    published: bool
    organizations_created: list[str]
    batch: str
    dry_run: bool
    update: bool = False
    updated: int = 0
    updated_refs: list[str] = field(default_factory=list)
    unchanged: int = 0  # rows equal to their stored item


def _is_importer_for_all(actor: Actor | None) -> bool:
    return actor is None or is_platform_admin(actor) or is_province_committee_member(actor)


def import_kinds_for(actor: Actor | None) -> frozenset[ExchangeKind]:
    """The lists ``actor`` may import: both for the operator (None), a platform admin and a
    province committee member, for any organization; needs for an agency's editor and
    capabilities for a firm's editor, for their own organizations only."""
    if _is_importer_for_all(actor):
        return frozenset({"need", "capability"})
    kinds: set[ExchangeKind] = set()
    if organization_ids(actor, Role.AGENCY_EDITOR):
        kinds.add("need")
    if organization_ids(actor, Role.FIRM_EDITOR):
        kinds.add("capability")
    return frozenset(kinds)


def import_scope(actor: Actor | None, kind: ExchangeKind) -> frozenset[int] | None:
    """The organizations an import's rows may name: None (any) for the importers of every
    organization, else the ones ``actor`` edits for."""
    if _is_importer_for_all(actor):
        return None
    role = Role.AGENCY_EDITOR if kind == "need" else Role.FIRM_EDITOR
    return frozenset(organization_ids(actor, role))


def check_importer(actor: Actor | None, *, kind: ExchangeKind, publish: bool) -> None:
    """The operator (actor None), a platform admin, a province committee member, or (for
    their own organizations' rows) an agency's editor importing needs and a firm's editor
    importing capabilities; ``publish`` for the operator and platform admins only."""
    if actor is None:
        return
    if publish and not is_platform_admin(actor):
        raise ActorNotAllowed(_("只有平台管理员可以导入并直接发布。"))
    if kind not in import_kinds_for(actor):
        if kind == "need":
            raise ActorNotAllowed(
                _("只有平台管理员、省级工作委员会成员或需求单位的编辑可以批量导入场景需求。")
            )
        raise ActorNotAllowed(
            _("只有平台管理员、省级工作委员会成员或企业的编辑可以批量导入场景能力。")
        )


def _service_errors(row: int, exc: Exception) -> list[RowError]:
    """Errors a service raised while writing a row, in the exchange format's field names."""
    if isinstance(exc, IntegrityError):
        return [RowError(row, "", _("与已有数据冲突（编号或名称重复），请检查后重试。"))]
    if not isinstance(exc, DomainError) or not exc.fields:
        return [RowError(row, "", getattr(exc, "message", str(exc)))]
    return [
        RowError(row, FIELD_ALIASES.get(name, name), "；".join(messages))
        for name, messages in exc.fields.items()
    ]


# Rows between two progress reports (a report is a cache write).
PROGRESS_EVERY = 25


def _new_batch() -> str:
    return uuid.uuid4().hex[:12]


@dataclass(frozen=True)
class _Kind:
    """What differs between importing needs and capabilities; ``_import`` does the rest."""

    name: ExchangeKind
    columns: tuple[Column, ...]
    org_key: str  # the column that finds the row's organization (created if missing)
    plan: Callable[[list[ParsedRow], ExchangeLimits, ImportOptions], Plan]
    update: Callable[..., ScenarioNeed | Capability]


@dataclass
class _Written:
    """What the updating rows did."""

    updated: list[str] = field(default_factory=list)
    unchanged: int = 0


def _import(
    kind: _Kind,
    *,
    actor: Actor | None,
    data: bytes | None,
    rows: Sequence[Any] | None,
    fmt: str | None,
    filename: str,
    publish: bool,
    dry_run: bool,
    update: bool = False,
    progress: Callable[[int, int], None] | None = None,
    limits: ExchangeLimits | None = None,
) -> ImportResult:
    """Read, check and write one file of either kind, all or nothing.

    Rows that update a stored item go through the services, each in its own savepoint so
    that all problems are collected (a row a service refuses becomes a row error); the new
    rows are written set-based (``bulk.bulk_create_rows``), after the same checks. Any error
    rolls the whole file back, and so does a dry run. Publications inside announce one
    ``lists_bulk_published`` after commit. ``limits``: the file's limits (default: the
    settings'; the operator's command lifts them).
    """
    check_importer(actor, kind=kind.name, publish=publish)
    options = ImportOptions(publish=publish, update=update, scope=import_scope(actor, kind.name))
    limits = limits or ExchangeLimits.current()
    detected, parsed = parse_input(
        kind.columns,
        data=data,
        rows=rows,
        fmt=fmt,
        filename=filename,
        limits=limits,
        ignored=ignored_names(kind.name),
    )
    plan = kind.plan(parsed, limits, options)
    del parsed  # the plan holds the rows
    batch = _new_batch()
    done = _Written()
    errors: list[RowError] = []
    total = len(plan.rows)
    creates = [row for row in plan.rows if row.number not in plan.updates]
    changed = [(row, plan.updates[row.number]) for row in plan.rows if row.number in plan.updates]
    if progress is not None:
        progress(0, total)  # read and checked: the writing starts
    with transaction.atomic(), events.bulk_publishing():
        # Updates by ref go through the services, row by row (each in a savepoint so every
        # problem is collected); rows equal to their item change nothing.
        for index, (row, stored) in enumerate(changed):
            if progress is not None and index % PROGRESS_EVERY == 0:
                progress(index, total)
            if not stored.changes:
                done.unchanged += 1  # no service call: no new version, no audit row
                continue
            source = ImportSource(batch=batch, format=detected, file=filename[:200], row=row.number)
            try:
                with transaction.atomic():
                    item = kind.update(actor=actor, stored=stored, plan=plan, source=source)
                    done.updated.append(item.ref)
            except (DomainError, IntegrityError) as exc:
                errors.extend(_service_errors(row.number, exc))
        # New refs are created set-based (``bulk``), with what the services write for each.
        offset = len(changed)

        def created_progress(count: int, _of: int) -> None:
            if progress is not None:
                progress(offset + count, total)

        try:
            with transaction.atomic():
                written = bulk_create_rows(
                    kind.name,
                    actor=actor,
                    rows=creates,
                    plan=plan,
                    options=options,
                    batch=batch,
                    fmt=detected,
                    filename=filename,
                    errors=errors,
                    progress=created_progress,
                )
        except IntegrityError:  # a row written meanwhile by someone else (a ref, a name)
            errors.append(RowError(0, "", _("与已有数据冲突（编号或名称重复），请检查后重试。")))
            written = None
        if progress is not None:
            progress(total, total)
        raise_if_errors(errors, kind.columns, limits)
        if dry_run:
            transaction.set_rollback(True)
    assert written is not None  # noqa: S101 - an IntegrityError is an error above
    return ImportResult(
        kind=kind.name,
        format=detected,
        created=len(written.created),
        refs=written.created,
        published=publish,
        organizations_created=written.organizations_created,
        batch=batch,
        dry_run=dry_run,
        update=update,
        updated=len(done.updated),
        updated_refs=done.updated,
        unchanged=done.unchanged,
    )


def _update_need(
    *, actor: Actor | None, stored: Update, plan: Plan, source: ImportSource
) -> ScenarioNeed:
    need = stored.item
    assert isinstance(need, ScenarioNeed)  # noqa: S101 - a need import plans needs
    return need_update(
        actor=actor,
        need=need,
        expected_version=need.version,  # as checked: a later edit is a row error, not lost
        imported=source,
        **service_values(stored.changes, plan.regions),
    )


def _update_capability(
    *, actor: Actor | None, stored: Update, plan: Plan, source: ImportSource
) -> Capability:
    cap = stored.item
    assert isinstance(cap, Capability)  # noqa: S101 - a capability import plans capabilities
    return capability_update(
        actor=actor,
        capability=cap,
        expected_version=cap.version,
        imported=source,
        **service_values(stored.changes, plan.regions),
    )


NEEDS = _Kind(
    name="need",
    columns=NEED_COLUMNS,
    org_key="org_name",
    plan=plan_needs,
    update=_update_need,
)
CAPABILITIES = _Kind(
    name="capability",
    columns=CAPABILITY_COLUMNS,
    org_key="firm_credit_code",
    plan=plan_capabilities,
    update=_update_capability,
)


def needs_import(
    *,
    actor: Actor | None,
    data: bytes | None = None,
    rows: Sequence[Any] | None = None,
    fmt: str | None = None,
    filename: str = "",
    publish: bool = False,
    dry_run: bool = False,
    update: bool = False,
    progress: Callable[[int, int], None] | None = None,
    limits: ExchangeLimits | None = None,
) -> ImportResult:
    """Import scenario needs (机会清单) from an exchange-format file, all or nothing.

    ``data`` is the file (format from ``fmt`` or ``filename``); ``rows`` a list of objects
    as in JSON. ``actor`` None is the trusted operator (management command); otherwise a
    platform admin or a province committee member (any agency), or an agency's editor (its
    own agencies' rows only, no new agency). An agency named in ``org_name`` is found by
    kind and exact name, or created in the region its rows share. Needs start as drafts;
    ``publish`` (operator or platform admin) creates them published for a list already
    approved elsewhere, audits each as such and starts matching after commit.

    ``update``: a row whose ref is stored updates that need through ``need_update`` (a new
    version and one audit row, naming the batch and row), if the row names its agency and
    the need's state allows the change (a published need is not edited: each changed field
    is a row error); a row equal to the stored need changes nothing. Without it a stored
    ref is a row error. Raises ``ImportRejected`` listing every problem; nothing is written
    then, nor on a ``dry_run``.
    """
    return _import(
        NEEDS,
        actor=actor,
        data=data,
        rows=rows,
        fmt=fmt,
        filename=filename,
        publish=publish,
        dry_run=dry_run,
        update=update,
        progress=progress,
        limits=limits,
    )


def capabilities_import(
    *,
    actor: Actor | None,
    data: bytes | None = None,
    rows: Sequence[Any] | None = None,
    fmt: str | None = None,
    filename: str = "",
    publish: bool = False,
    dry_run: bool = False,
    update: bool = False,
    progress: Callable[[int, int], None] | None = None,
    limits: ExchangeLimits | None = None,
) -> ImportResult:
    """Import capabilities (能力清单) from an exchange-format file, all or nothing.

    Firms are found by credit code (any name) or created, unverified, in the region their
    rows share (not by a firm's editor, who imports its own firms' rows only).
    Capabilities start as drafts; ``publish`` (operator or platform admin) loads a list
    approved elsewhere: the firm is verified if needed, each capability is submitted and
    published through the capability service (a negative-list hit is a row error) and
    audited as imported published. ``update`` changes stored capabilities by ref through
    ``capability_update`` (a draft, returned or withdrawn one; a published one is withdrawn
    first). Arguments and errors as ``needs_import``.
    """
    return _import(
        CAPABILITIES,
        actor=actor,
        data=data,
        rows=rows,
        fmt=fmt,
        filename=filename,
        publish=publish,
        dry_run=dry_run,
        update=update,
        progress=progress,
        limits=limits,
    )
