"""Writing an import's new rows set-based: what the organization, need, capability and firm
services write for one row (the item, its chain links, its audit rows, the organizations a
file introduces, a firm's verification and certification for an approved list, the
notifications and the publishing announcement), written for all rows at once.

Every check a service makes of a row runs here too, in Python, on each row (the model's
field validation, keywords, lists, refs, regions); what needs the database was checked by
``checks`` with one query per check over all rows, and the few things left are read with
one query each (the firms' committee decisions, the agencies' editors). Rows go in by COPY
on PostgreSQL (``bulk_create`` elsewhere): a 100,000-row file is a few dozen statements, not
a few hundred thousand. The stored result is the one the services would leave (``tests/scenarios/
test_exchange_bulk.py`` compares them); the announcement is one ``lists_bulk_published``
for the whole file, so matching runs once, never once per row.

Post-insert work that other features need on the new rows (counts, search) belongs in
``_after_bulk_insert``.
"""

import functools
import itertools
import json
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg.types.json import Jsonb

from accounts.choices import OrganizationKind, Role
from accounts.models import Organization
from accounts.selectors import member_ids_by_organization
from activity.models import AuditEvent
from activity.services import notify_many
from core.actors import Actor, acting_user
from core.errors import DomainError
from core.tasks import enqueue_on_commit
from reference.models import IndustryChain, Region
from reference.services import home_province
from scenarios import events
from scenarios.choices import CapabilityStatus, Certification, NeedStatus
from scenarios.exchange.checks import ImportOptions, Plan
from scenarios.exchange.columns import FIELD_ALIASES
from scenarios.exchange.errors import RowError
from scenarios.exchange.limits import ExchangeKind
from scenarios.exchange.readers import ParsedRow
from scenarios.facets import chain_key, lists_changed
from scenarios.models import Capability, ScenarioNeed
from scenarios.notifications import AGENCY_MESSAGES
from scenarios.services.capabilities import _clean_list, _same_text, capabilities_publish_pending
from scenarios.services.common import check_ref, clean_keywords

# Rows per INSERT statement.
CHUNK = 1000

Progress = Callable[[int, int], None]


@dataclass
class BulkResult:
    created: list[str] = field(default_factory=list)  # refs, in the file's order
    organizations_created: list[str] = field(default_factory=list)


def _field_errors(row: int, fields: dict[str, list[str]]) -> list[RowError]:
    return [
        RowError(row, FIELD_ALIASES.get(name, name), "；".join(messages))
        for name, messages in fields.items()
    ]


@functools.cache
def _not_from_rows(model: type[models.Model], filled: frozenset[str]) -> list[str]:
    """The fields of ``model`` a row does not fill (set by the import to constants, or
    foreign keys checked once for all rows): left out of the per-row validation."""
    return [f.name for f in model._meta.concrete_fields if f.name not in filled]


ROW_FIELDS = {
    "need": frozenset(
        {
            "ref",
            "title",
            "description",
            "category",
            "keywords",
            "validation_type",
            "min_trl",
            "budget_cny",
            "deadline",
            "is_major",
        }
    ),
    "capability": frozenset(
        {
            "ref",
            "title",
            "description",
            "keywords",
            "trl",
            "certifications",
            "past_cases",
            "capacity",
        }
    ),
    "organization": frozenset({"kind", "name", "credit_code"}),
}


def _model_errors(row: int, obj: models.Model, filled: frozenset[str]) -> list[RowError]:
    """The model's own validation of the fields a row fills, as ``full_clean_or_raise``
    reports it (the foreign keys and uniqueness were checked set-based)."""
    try:
        obj.clean_fields(exclude=_not_from_rows(type(obj), filled))
        obj.clean()
    except ValidationError as exc:
        return _field_errors(row, {k: [str(m) for m in v] for k, v in exc.message_dict.items()})
    return []


def _domain_errors(row: int, exc: DomainError) -> list[RowError]:
    if exc.fields:
        return _field_errors(row, exc.fields)
    return [RowError(row, "", str(exc.message))]


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(slots=True)
class _Audit:
    """One row ``activity.services.audit_record`` would append (inserted in bulk here)."""

    actor_id: int | None
    action: str
    target_type: str
    target_id: str
    from_state: str
    to_state: str
    reason: str
    data: dict[str, Any]


AUDIT_COLUMNS = (
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "from_state",
    "to_state",
    "reason",
    "data",
    "created_at",
)


def _audit(
    actor: Any,
    action: str,
    target: models.Model,
    *,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> _Audit:
    return _Audit(
        actor.pk if actor is not None else None,
        action,
        target._meta.label_lower,
        str(target.pk),
        from_state,
        to_state,
        reason,
        data or {},
    )


def _copy(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """PostgreSQL's COPY of ``rows`` (values of ``columns``, attribute names) into the
    model's table: the fastest way in, one statement however many rows."""
    meta = model._meta
    quote = connection.ops.quote_name
    fields = {f.attname: f for f in meta.concrete_fields}
    names = ", ".join(quote(fields[c].column) for c in columns)
    json_at = [isinstance(fields[c], models.JSONField) for c in columns]
    # Django translates a driver's errors for execute and fetch, not for COPY: without this a
    # duplicate key (an overlapping import committed meanwhile) escapes as psycopg's own
    # UniqueViolation instead of the IntegrityError the import reports as a conflict.
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.copy(f"COPY {quote(meta.db_table)} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(
                [Jsonb(v) if is_json else v for v, is_json in zip(row, json_at, strict=True)]
            )


def _insert(model: type[models.Model], objs: Sequence[models.Model], *, now: Any) -> None:
    """Insert new model instances and give them their pks: on PostgreSQL the pks are drawn
    from the table's sequence in one query and the rows go in by COPY; elsewhere
    ``bulk_create``. Auto timestamps are ``now``; a generated column is left to the
    database, a nullable one nobody set (a search vector) stays NULL."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        for chunk in _chunks(objs):
            model._default_manager.bulk_create(chunk)
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not getattr(f, "generated", False)]
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for obj in objs:
                setattr(obj, f.attname, now)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
    names = [f.attname for f in fields]
    _copy(model, names, ([getattr(obj, n) for n in names] for obj in objs))
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def _insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert plain rows (values of ``columns``), as they come: COPY on PostgreSQL, else
    ``bulk_create`` in chunks."""
    if connection.vendor == "postgresql":
        _copy(model, columns, rows)
        return
    stream = iter(rows)
    while chunk := list(itertools.islice(stream, CHUNK)):
        model._default_manager.bulk_create(
            [model(**dict(zip(columns, r, strict=True))) for r in chunk]
        )


FIRM_FIELDS = (
    "verified_at",
    "verified_by",
    "verified_certifications",
    "verified_capacity",
    "certified_at",
)

# One statement for all the stored firms an approved list verified or certified.
UPDATE_FIRMS = """
UPDATE scenarios_organization AS o
   SET verified_at = v.verified_at, verified_by_id = v.verified_by_id,
       verified_certifications = v.certifications::jsonb,
       verified_capacity = v.capacity, certified_at = v.certified_at
  FROM unnest(%s::bigint[], %s::timestamptz[], %s::bigint[], %s::text[], %s::integer[],
              %s::timestamptz[])
       AS v(id, verified_at, verified_by_id, certifications, capacity, certified_at)
 WHERE o.id = v.id
"""


def _update_firms(firms: Sequence[Organization]) -> None:
    """Write the verification and certification of stored firms: one UPDATE from arrays
    on PostgreSQL, ``bulk_update`` elsewhere."""
    if not firms:
        return
    if connection.vendor != "postgresql":
        Organization.objects.bulk_update(firms, FIRM_FIELDS, batch_size=CHUNK)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            UPDATE_FIRMS,
            [
                [f.pk for f in firms],
                [f.verified_at for f in firms],
                [f.verified_by_id for f in firms],
                [json.dumps(f.verified_certifications) for f in firms],
                [f.verified_capacity for f in firms],
                [f.certified_at for f in firms],
            ],
        )


def _unique_refs(prefix: str, wanted: int, taken: set[str], model: type[models.Model]) -> list[str]:
    """``wanted`` refs as ``services.common.new_ref`` makes them, unused in the file and in
    the database (one query per round; a second round is rare)."""
    day = f"{prefix}-{timezone.localdate():%Y%m%d}-"
    refs: list[str] = []
    while len(refs) < wanted:
        fresh: set[str] = set()
        while len(fresh) < wanted - len(refs):
            ref = day + secrets.token_hex(3).upper()
            if ref not in taken:
                fresh.add(ref)
        stored = set(
            model._default_manager.filter(ref__in=list(fresh)).values_list("ref", flat=True)
        )
        taken |= fresh
        refs.extend(sorted(fresh - stored))
    return refs


@dataclass(slots=True)
class _Draft:
    """One row's item before insert, and what the row's services would write around it."""

    number: int  # the row's, as a user sees it
    item: ScenarioNeed | Capability
    chain_ids: list[int]
    org_key: str
    ref_given: bool


def _import_reason(publish: bool) -> str:
    return _("批量导入：已在其他渠道审批，作为已发布导入。") if publish else _("批量导入为草稿。")


def _new_organizations(
    kind: ExchangeKind, rows: Sequence[ParsedRow], plan: Plan, errors: list[RowError]
) -> dict[str, Organization]:
    """The organizations the file introduces, validated as ``organization_create`` would,
    keyed like ``plan.orgs`` (agency name, firm credit code), in the file's order."""
    key_name = "org_name" if kind == "need" else "firm_credit_code"
    created: dict[str, Organization] = {}
    for row in rows:
        key = row.values[key_name]
        if key in plan.orgs or key in created:
            continue
        planned = plan.new_orgs.get(key)
        if planned is None:  # ``checks`` found no region for it: already a row error there
            errors.append(RowError(row.number, key_name, _("无法确定新建单位的所在地。")))
            continue
        org = Organization(
            kind=OrganizationKind.AGENCY if kind == "need" else OrganizationKind.FIRM,
            name=planned.name.strip(),
            region=planned.region,
            credit_code=None if kind == "need" else key.strip().upper() or None,
        )
        found = _model_errors(planned.row, org, ROW_FIELDS["organization"])
        errors.extend(found)
        created[key] = org
    return created


def _need_draft(
    row: ParsedRow,
    org: Organization,
    plan: Plan,
    options: ImportOptions,
    chains: dict[str, int],
    home: Region,
) -> tuple[ScenarioNeed, list[RowError]]:
    values = row.values
    errors: list[RowError] = []
    try:
        check_ref(values["ref"] or None)
        keywords = clean_keywords(values["keywords"])
    except DomainError as exc:
        return ScenarioNeed(), _domain_errors(row.number, exc)
    status = NeedStatus.PUBLISHED if options.publish else NeedStatus.DRAFT
    need = ScenarioNeed(
        agency=org,
        ref=values["ref"],
        status=status,
        title=values["title"],
        description=values["description"],
        category=values["category"],
        keywords=keywords,
        region=plan.regions[values["region_code"]],
        validation_type=values["validation_type"],
        min_trl=values["min_trl"],
        budget_cny=values["budget_cny"],
        deadline=values["deadline"],
        is_major=values["is_major"],
        chain_ids=chain_key(chains[s] for s in values["chains"]),
    )
    region = need.region
    if not home.contains(region):
        errors.append(RowError(row.number, "region_code", _("不在本省。")))
    elif not org.region.contains(region):
        errors.append(RowError(row.number, "region_code", _("不在发布单位辖区内。")))
    if not values["ref"]:
        need.ref = "N-00000000-000000"  # a placeholder of a generated ref's shape
    errors.extend(_model_errors(row.number, need, ROW_FIELDS["need"]))
    return need, errors


def _capability_draft(
    row: ParsedRow,
    org: Organization,
    plan: Plan,
    options: ImportOptions,
    chains: dict[str, int],
    home: Region,
) -> tuple[Capability, list[RowError]]:
    values = row.values
    errors: list[RowError] = []
    try:
        check_ref(values["ref"] or None)
        keywords = clean_keywords(values["keywords"])
        certifications = _clean_list(
            list(values["certifications"]), "certifications", choices=set(Certification.values)
        )
        past_cases = _clean_list(list(values["past_cases"]), "past_cases")
    except DomainError as exc:
        return Capability(), _domain_errors(row.number, exc)
    cap = Capability(
        firm=org,
        ref=values["ref"],
        title=values["title"],
        description=values["description"],
        keywords=keywords,
        region=plan.regions[values["region_code"]],
        trl=values["trl"],
        certifications=certifications,
        past_cases=past_cases,
        capacity=values["capacity"],
        chain_ids=chain_key(chains[s] for s in values["chains"]),
    )
    if not org.region.contains(cap.region):
        errors.append(RowError(row.number, "region_code", _("不在企业注册地范围内。")))
    if not values["ref"]:
        cap.ref = "C-00000000-000000"
    errors.extend(_model_errors(row.number, cap, ROW_FIELDS["capability"]))
    return cap, errors


@dataclass
class _Firms:
    """What publishing an approved list does to its firms, worked out row by row as the
    services would (a firm verified at its first row, certified again whenever a row claims
    more than it holds), then written once per firm."""

    verify: list[Organization] = field(default_factory=list)
    changed: dict[int, Organization] = field(default_factory=dict)  # existing firms, by pk


def _firm_steps(
    drafts: list[_Draft],
    orgs: dict[str, Organization],
    *,
    actor: Actor | None,
    batch: str,
    now: Any,
) -> tuple[_Firms, dict[int, list[tuple[Organization, _Audit]]]]:
    """The firms' verification and certification audit rows, by the row (index) that
    causes them, with the firms' final state set on the instances. A new firm has no pk
    yet: its rows take it once inserted."""
    firms = _Firms()
    by_row: dict[int, list[tuple[Organization, _Audit]]] = {}
    seen_verified: set[str] = set()
    user = acting_user(actor)
    verify_reason = _("导入已审批的能力清单时认证（批次 %(b)s）。") % {"b": batch}
    certify_reason = _("导入已审批的能力清单（批次 %(b)s）。") % {"b": batch}
    for index, draft in enumerate(drafts):
        org = orgs[draft.org_key]
        cap = draft.item
        assert isinstance(cap, Capability)  # noqa: S101 - capability drafts
        rows_audit = by_row.setdefault(index, [])
        steps_before = len(rows_audit)
        if org.verified_at is None and draft.org_key not in seen_verified:
            seen_verified.add(draft.org_key)
            org.verified_at = now
            org.verified_by = user
            firms.verify.append(org)
            rows_audit.append(
                (
                    org,
                    _audit(
                        user,
                        "organization.verify",
                        org,
                        from_state="unverified",
                        to_state="verified",
                        reason=verify_reason,
                    ),
                )
            )
        claims_more = not set(cap.certifications) <= set(org.verified_certifications)
        if claims_more or org.verified_capacity is None or cap.capacity > org.verified_capacity:
            before = {
                "certifications": list(org.verified_certifications),
                "capacity": org.verified_capacity,
            }
            certs = set(cap.certifications) | set(org.verified_certifications)
            org.verified_certifications = [c for c in Certification.values if c in certs]
            capacity = cap.capacity
            if org.verified_capacity is not None:
                capacity = max(capacity, org.verified_capacity)
            org.verified_capacity = capacity
            org.certified_at = now
            rows_audit.append(
                (
                    org,
                    _audit(
                        None,
                        "organization.certify",
                        org,
                        reason=certify_reason,
                        data={
                            "before": before,
                            "after": {
                                "certifications": org.verified_certifications,
                                "capacity": org.verified_capacity,
                            },
                        },
                    ),
                )
            )
        if org.pk is not None and len(rows_audit) > steps_before:
            firms.changed[org.pk] = org  # written back only when the file changed it
    return firms, by_row


def _lock_stored_firms(drafts: list[_Draft], orgs: dict[str, Organization]) -> None:
    """Lock the file's stored firms (in key order, as the services lock one at a time) and
    take their current verification, certification and suspension: what the file adds is
    worked out from, and written over, the rows as they are now, not as the checks read
    them seconds earlier (a committee's revocation or suspension meanwhile is kept)."""
    stored = {orgs[d.org_key].pk: orgs[d.org_key] for d in drafts if orgs[d.org_key].pk}
    if not stored:
        return
    names = (
        "verified_at",
        "verified_by_id",
        "verified_certifications",
        "verified_capacity",
        "certified_at",
        "suspended_at",
        "suspension_reason",
    )
    current = (
        Organization.objects.select_for_update()
        .filter(pk__in=sorted(stored))
        .order_by("pk")
        .values("pk", *names)
    )
    for row in current:
        org = stored[row["pk"]]
        for name in names:
            setattr(org, name, row[name])


def _publish_problems(
    drafts: list[_Draft], orgs: dict[str, Organization], errors: list[RowError]
) -> None:
    """What would stop ``capability_submit`` from publishing a row of an approved list: a
    suspended firm, or a committee's earlier decision on the same text (held for review,
    which an import reports as not published). One query for all the file's firms."""
    firm_ids = {orgs[d.org_key].pk for d in drafts if orgs[d.org_key].pk is not None}
    decided: dict[int, list[tuple[str, str]]] = {}
    if firm_ids:
        rows = Capability.objects.filter(
            Q(status=CapabilityStatus.SUSPENDED)
            | (Q(returned_by_committee=True) & ~Q(status=CapabilityStatus.PUBLISHED)),
            firm_id__in=firm_ids,
        ).values_list("firm_id", "title", "description")
        for firm_id, title, description in rows:
            decided.setdefault(firm_id, []).append((_same_text(title), _same_text(description)))
    not_published = _("未能发布（当前状态：%(status)s）。") % {
        "status": CapabilityStatus.SUBMITTED.label
    }
    for draft in drafts:
        org = orgs[draft.org_key]
        if org.suspended_at is not None:
            errors.append(
                RowError(
                    draft.number,
                    "",
                    _("企业已被工作委员会暂停（%(reason)s），不能提交能力。")
                    % {"reason": org.suspension_reason},
                )
            )
            continue
        texts = decided.get(org.pk or 0)
        if texts:
            title, description = _same_text(draft.item.title), _same_text(draft.item.description)
            if any(t == title or d == description for t, d in texts):
                errors.append(RowError(draft.number, "", str(not_published)))


def bulk_create_rows(
    kind: ExchangeKind,
    *,
    actor: Actor | None,
    rows: Sequence[ParsedRow],
    plan: Plan,
    options: ImportOptions,
    batch: str,
    fmt: str,
    filename: str,
    errors: list[RowError],
    progress: Progress | None = None,
) -> BulkResult:
    """Create the items of ``rows`` (new refs) and what their services write around them.
    Problems a service would find go to ``errors`` and nothing is written; the caller's
    transaction holds the writes (and rolls them back on any error of the file). The rows
    are consumed: each one's values are dropped once its item is built."""
    result = BulkResult()
    if not rows:
        return result
    org_key = "org_name" if kind == "need" else "firm_credit_code"
    model: type[ScenarioNeed] | type[Capability] = ScenarioNeed if kind == "need" else Capability
    found_before = len(errors)
    new_orgs = _new_organizations(kind, rows, plan, errors)
    orgs: dict[str, Organization] = {**plan.orgs, **new_orgs}
    slugs = {s for row in rows for s in row.values["chains"]}
    chains = dict(IndustryChain.objects.filter(slug__in=slugs).values_list("slug", "id"))
    make = _need_draft if kind == "need" else _capability_draft
    home = home_province()
    drafts: list[_Draft] = []
    for row in rows:
        org = orgs.get(row.values[org_key])
        if org is None:
            continue  # reported with the organization
        item, problems = make(row, org, plan, options, chains, home)  # type: ignore[operator]
        errors.extend(problems)
        if not problems:
            drafts.append(
                _Draft(
                    row.number,
                    item,
                    [chains[s] for s in row.values["chains"]],
                    row.values[org_key],
                    bool(row.values["ref"]),
                )
            )
        row.values = {}  # read once: the item holds what is kept (memory of a large file)
    if kind == "capability" and options.publish:
        _lock_stored_firms(drafts, orgs)
        _publish_problems(drafts, orgs, errors)
    if len(errors) > found_before:
        return result

    now = timezone.now()
    user = acting_user(actor)
    taken = {d.item.ref for d in drafts if d.ref_given}
    blank = [d for d in drafts if not d.ref_given]
    for draft, ref in zip(
        blank, _unique_refs("N" if kind == "need" else "C", len(blank), taken, model), strict=True
    ):
        draft.item.ref = ref

    # The organizations the file introduces (with publish, firms verified and certified as
    # their rows would have it: set before the insert).
    firms = _Firms()
    firm_audit: dict[int, list[tuple[Organization, _Audit]]] = {}
    if kind == "capability" and options.publish:
        firms, firm_audit = _firm_steps(drafts, orgs, actor=actor, batch=batch, now=now)
    fresh = list(new_orgs.values())
    _insert(Organization, fresh, now=now)
    result.organizations_created = [org.name for org in fresh]

    # The items, their chain links.
    for draft in drafts:
        item = draft.item
        if isinstance(item, ScenarioNeed):
            item.agency = orgs[draft.org_key]
            if options.publish:
                item.published_at = now
        else:
            item.firm = orgs[draft.org_key]
            if options.publish:
                item.status = CapabilityStatus.PUBLISHED
                item.version = 3  # created, submitted, published
                item.published_at = now
    total = len(drafts)
    done = 0
    through = model.chains.through
    owner = f"{model.chains.field.m2m_field_name()}_id"
    for chunk in _chunks(drafts, 2 * CHUNK):
        _insert(model, [d.item for d in chunk], now=now)
        _insert_rows(
            through,
            (owner, "industrychain_id"),
            [(d.item.pk, chain_id) for d in chunk for chain_id in dict.fromkeys(d.chain_ids)],
        )
        done += len(chunk)
        if progress is not None:
            progress(done, total)

    # Firms the approved list verified or certified that were stored before.
    verified_stored = [org for org in firms.verify if org.pk in firms.changed]
    stored = list(firms.changed.values())
    _update_firms(stored)

    # The audit trail, in the order the services would write it row by row, made as it
    # is written (400,000 rows for 100,000 published capabilities are never all held).
    def trail() -> Iterator[_Audit]:
        reason = _import_reason(options.publish)
        created_first: set[str] = set()
        for index, draft in enumerate(drafts):
            item = draft.item
            org = orgs[draft.org_key]
            if draft.org_key in new_orgs and draft.org_key not in created_first:
                created_first.add(draft.org_key)
                yield _audit(None, "organization.create", org, data={"name": org.name})
            for firm, event in firm_audit.get(index, ()):
                event.target_id = str(firm.pk)
                yield event
            if isinstance(item, ScenarioNeed):
                yield (
                    _audit(None, "need.create", item, to_state=item.status, data={"ref": item.ref})
                )
            else:
                yield (
                    _audit(
                        None,
                        "capability.create",
                        item,
                        to_state=CapabilityStatus.DRAFT,
                        data={"ref": item.ref},
                    )
                )
                if options.publish:
                    yield (
                        _audit(
                            None,
                            "capability.submit",
                            item,
                            from_state=CapabilityStatus.DRAFT,
                            to_state=CapabilityStatus.SUBMITTED,
                        )
                    )
                    yield (
                        _audit(
                            None,
                            "capability.publish",
                            item,
                            from_state=CapabilityStatus.SUBMITTED,
                            to_state=CapabilityStatus.PUBLISHED,
                        )
                    )
            yield (
                _audit(
                    user,
                    f"{kind}.import",
                    item,
                    to_state=item.status,
                    reason=reason,
                    data={
                        "ref": item.ref,
                        "batch": batch,
                        "format": fmt,
                        "file": filename[:200],
                        "row": draft.number,
                        "imported_as_published": options.publish,
                    },
                )
            )

    _insert_rows(
        AuditEvent,
        AUDIT_COLUMNS,
        (
            (
                a.actor_id,
                a.action,
                a.target_type,
                a.target_id,
                a.from_state,
                a.to_state,
                a.reason,
                a.data,
                now,
            )
            for a in trail()
        ),
    )

    # Notifications and the publishing announcement (one for the file).
    if options.publish:
        _notify(kind, drafts, orgs, verified_stored)
        # Capabilities a firm submitted while unverified publish once it is verified.
        if verified_stored:
            pending = set(
                Capability.objects.filter(
                    firm__in=verified_stored, status=CapabilityStatus.SUBMITTED
                )
                .exclude(pk__in=[d.item.pk for d in drafts])
                .values_list("firm_id", flat=True)
            )
            for org in verified_stored:
                if org.pk in pending:
                    capabilities_publish_pending(firm=org, actor=actor)
        events.announce_many_published(
            needs=len(drafts) if kind == "need" else 0,
            capabilities=len(drafts) if kind == "capability" else 0,
        )
    _after_bulk_insert(kind, [d.item.pk for d in drafts])
    result.created = [d.item.ref for d in drafts]
    return result


def _notify(
    kind: ExchangeKind,
    drafts: list[_Draft],
    orgs: dict[str, Organization],
    verified_stored: list[Organization],
) -> None:
    """What the services tell people when rows publish: an agency's editors each of its
    needs; a firm's members that it was verified (new organizations have no members)."""
    notes: list[tuple[list[int], str, str, models.Model]] = []
    if kind == "need":
        agency_ids = {orgs[d.org_key].pk for d in drafts}
        editors = member_ids_by_organization(
            organization_ids=agency_ids, roles=[Role.AGENCY_EDITOR]
        )
        for draft in drafts:
            need = draft.item
            users = editors.get(orgs[draft.org_key].pk, [])
            if users:
                notes.append(
                    (
                        users,
                        "need.published",
                        f"您的场景需求 {need.ref} {need.title} {AGENCY_MESSAGES['need.published']}",
                        need,
                    )
                )
    elif verified_stored:
        members = member_ids_by_organization(
            organization_ids={org.pk for org in verified_stored}, roles=list(Role)
        )
        for org in verified_stored:
            notes.append(
                (
                    members.get(org.pk, []),
                    "organization.verified",
                    f"您的企业 {org.name} 已通过认证，提交的能力将发布到能力清单。",
                    org,
                )
            )
    notify_many(notes)


def _after_bulk_insert(kind: ExchangeKind, ids: list[int]) -> None:
    """Work the per-row path leaves to signals and hooks of a saved item, done once for the
    rows a bulk import inserted (``bulk_create`` sends no ``post_save``): the public lists'
    cached counts go stale after commit, and the new rows' search vectors (NULL: the search
    finds them by their text meanwhile) are written after commit by a task, in batches of
    their own transactions, rather than make the import's transaction a minute longer."""
    if ids:
        lists_changed(changed=(ScenarioNeed if kind == "need" else Capability, ids))
        if connection.vendor == "postgresql":
            enqueue_on_commit("scenarios.search_index_pending")
