"""Importing a file: check every row against the database, then write it all or nothing:
new refs are created, and with ``update`` the rows whose ref is stored change that item
through the same services as a person's edit (a row equal to the item changes nothing)."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.choices import OrganizationKind, Role
from accounts.models import Organization
from accounts.roles import is_platform_admin, is_province_committee_member, organization_ids
from accounts.services.organizations import organization_create
from activity.services import audit_record
from core.actors import Actor
from core.errors import ActorNotAllowed, DomainError, InvalidInput
from scenarios import events
from scenarios.choices import (
    CapabilityStatus,
    NeedStatus,
)
from scenarios.exchange.checks import (
    ImportOptions,
    NewOrg,
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
    capability_create,
    capability_submit,
    capability_update,
)
from scenarios.services.common import ImportSource
from scenarios.services.firms import organization_certify, organization_verify
from scenarios.services.needs import need_create, need_update


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


def _import_audit(
    *,
    actor: Actor | None,
    kind: ExchangeKind,
    target: ScenarioNeed | Capability,
    row: int,
    publish: bool,
    batch: str,
    fmt: str,
    filename: str,
) -> None:
    audit_record(
        actor=actor,
        action=f"{kind}.import",
        target=target,
        to_state=target.status,
        reason=(
            _("批量导入：已在其他渠道审批，作为已发布导入。") if publish else _("批量导入为草稿。")
        ),
        data={
            "ref": target.ref,
            "batch": batch,
            "format": fmt,
            "file": filename[:200],
            "row": row,
            "imported_as_published": publish,
        },
    )


def _firm_verify_for_import(*, actor: Actor | None, firm: Organization, batch: str) -> Organization:
    """Verify a firm whose capabilities an approved list publishes (audited as the import)."""
    if firm.is_verified:
        return firm
    return organization_verify(
        actor=actor,
        organization=firm,
        reason=_("导入已审批的能力清单时认证（批次 %(b)s）。") % {"b": batch},
    )


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
    create_org: Callable[[str, NewOrg], Organization]
    write: Callable[..., tuple[ScenarioNeed | Capability, Organization]]
    update: Callable[..., ScenarioNeed | Capability]


@dataclass
class _Written:
    """What the rows written so far did."""

    orgs: dict[str, Organization]
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    organizations_created: list[str] = field(default_factory=list)


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
) -> ImportResult:
    """Read, check and write one file of either kind, all or nothing.

    Every row is written in its own savepoint so that all problems are collected (a row a
    service refuses becomes a row error); any error rolls the whole file back, and so does
    a dry run. Publications inside announce one ``lists_bulk_published`` after commit.
    """
    check_importer(actor, kind=kind.name, publish=publish)
    options = ImportOptions(publish=publish, update=update, scope=import_scope(actor, kind.name))
    limits = ExchangeLimits.current()
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
    batch = _new_batch()
    done = _Written(orgs=dict(plan.orgs))
    errors: list[RowError] = []
    total = len(plan.rows)
    with transaction.atomic(), events.bulk_publishing():
        for index, row in enumerate(plan.rows):
            if progress is not None and index % PROGRESS_EVERY == 0:
                progress(index, total)
            stored = plan.updates.get(row.number)
            if stored is not None and not stored.changes:
                done.unchanged += 1  # no service call: no new version, no audit row
                continue
            source = ImportSource(batch=batch, format=detected, file=filename[:200], row=row.number)
            try:
                with transaction.atomic():
                    if stored is not None:
                        item = kind.update(actor=actor, stored=stored, plan=plan, source=source)
                        done.updated.append(item.ref)
                    else:
                        _create_row(
                            kind,
                            actor=actor,
                            row=row,
                            plan=plan,
                            options=options,
                            source=source,
                            done=done,
                        )
            except (DomainError, IntegrityError) as exc:
                errors.extend(_service_errors(row.number, exc))
        if progress is not None:
            progress(total, total)
        raise_if_errors(errors, kind.columns, limits)
        if dry_run:
            transaction.set_rollback(True)
    return ImportResult(
        kind=kind.name,
        format=detected,
        created=len(done.created),
        refs=done.created,
        published=publish,
        organizations_created=done.organizations_created,
        batch=batch,
        dry_run=dry_run,
        update=update,
        updated=len(done.updated),
        updated_refs=done.updated,
        unchanged=done.unchanged,
    )


def _create_row(
    kind: _Kind,
    *,
    actor: Actor | None,
    row: ParsedRow,
    plan: Plan,
    options: ImportOptions,
    source: ImportSource,
    done: _Written,
) -> None:
    """Create a row's item (and its organization when the file introduces it), audited as
    imported. Runs inside the row's savepoint: ``done`` changes only once it succeeded."""
    key = row.values[kind.org_key]
    org = done.orgs.get(key)
    new_org = org is None
    if org is None:
        org = kind.create_org(key, plan.new_orgs[key])
    item, org = kind.write(
        actor=actor,
        org=org,
        values=row.values,
        plan=plan,
        publish=options.publish,
        batch=source.batch,
    )
    _import_audit(
        actor=actor,
        kind=kind.name,
        target=item,
        row=row.number,
        publish=options.publish,
        batch=source.batch,
        fmt=source.format,
        filename=source.file,
    )
    done.orgs[key] = org
    if new_org:
        done.organizations_created.append(org.name)
    done.created.append(item.ref)


def _create_agency(name: str, planned: NewOrg) -> Organization:
    return organization_create(
        actor=None, kind=OrganizationKind.AGENCY, name=planned.name, region=planned.region
    )


def _create_firm(credit_code: str, planned: NewOrg) -> Organization:
    return organization_create(
        actor=None,
        kind=OrganizationKind.FIRM,
        name=planned.name,
        region=planned.region,
        credit_code=credit_code,
    )


def _write_need(
    *,
    actor: Actor | None,
    org: Organization,
    values: dict[str, Any],
    plan: Plan,
    publish: bool,
    batch: str,
) -> tuple[ScenarioNeed, Organization]:
    need = need_create(
        actor=None,
        agency=org,
        ref=values["ref"] or None,
        status=NeedStatus.PUBLISHED if publish else NeedStatus.DRAFT,
        title=values["title"],
        description=values["description"],
        category=values["category"],
        chains=values["chains"],
        keywords=values["keywords"],
        region=plan.regions[values["region_code"]],
        validation_type=values["validation_type"],
        min_trl=values["min_trl"],
        budget_cny=values["budget_cny"],
        deadline=values["deadline"],
        is_major=values["is_major"],
    )
    return need, org


def _write_capability(
    *,
    actor: Actor | None,
    org: Organization,
    values: dict[str, Any],
    plan: Plan,
    publish: bool,
    batch: str,
) -> tuple[Capability, Organization]:
    cap = capability_create(
        actor=None,
        firm=org,
        ref=values["ref"] or None,
        title=values["title"],
        description=values["description"],
        chains=values["chains"],
        keywords=values["keywords"],
        region=plan.regions[values["region_code"]],
        trl=values["trl"],
        certifications=values["certifications"],
        past_cases=values["past_cases"],
        capacity=values["capacity"],
    )
    if publish:
        org = _firm_verify_for_import(actor=actor, firm=org, batch=batch)
        # An approved list vouches for what its rows claim (certifications, capacity).
        claims_more = not set(values["certifications"]) <= set(org.verified_certifications)
        if (
            claims_more
            or org.verified_capacity is None
            or values["capacity"] > org.verified_capacity
        ):
            org = organization_certify(
                actor=None,
                organization=org,
                certifications=list(values["certifications"]),
                capacity=values["capacity"],
                reason=_("导入已审批的能力清单（批次 %(b)s）。") % {"b": batch},
                merge=True,
            )
        cap = capability_submit(actor=None, capability=cap)
        if cap.status != CapabilityStatus.PUBLISHED:
            raise InvalidInput(
                _("未能发布（当前状态：%(status)s）。") % {"status": cap.get_status_display()}
            )
    return cap, org


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
    create_org=_create_agency,
    write=_write_need,
    update=_update_need,
)
CAPABILITIES = _Kind(
    name="capability",
    columns=CAPABILITY_COLUMNS,
    org_key="firm_credit_code",
    plan=plan_capabilities,
    create_org=_create_firm,
    write=_write_capability,
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
    )
