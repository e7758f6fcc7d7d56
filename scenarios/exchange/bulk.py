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

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models
from django.utils import timezone

from accounts.choices import Role
from accounts.models import Organization
from accounts.selectors import member_ids_by_organization
from activity.models import AuditEvent
from activity.services import notify_many
from core.actors import Actor, acting_user
from core.tasks import enqueue_on_commit
from reference.models import IndustryChain
from reference.services import home_province
from scenarios import events
from scenarios.choices import CapabilityStatus
from scenarios.exchange.bulk_drafts import (
    Draft,
    Firms,
    capability_draft,
    firm_steps,
    import_reason,
    need_draft,
    new_organizations,
    publish_problems,
)
from scenarios.exchange.bulk_writes import (
    AUDIT_COLUMNS,
    CHUNK,
    AuditRow,
    audit_row,
    chunks,
    insert,
    insert_rows,
    unique_refs,
    update_firms,
)
from scenarios.exchange.checks import ImportOptions, Plan
from scenarios.exchange.errors import RowError
from scenarios.exchange.limits import ExchangeKind
from scenarios.exchange.readers import ParsedRow
from scenarios.facets import lists_changed
from scenarios.models import Capability, ScenarioNeed
from scenarios.services.capabilities import capabilities_publish_pending

Progress = Callable[[int, int], None]


@dataclass
class BulkResult:
    created: list[str] = field(default_factory=list)  # refs, in the file's order
    organizations_created: list[str] = field(default_factory=list)


def _lock_stored_firms(drafts: list[Draft], orgs: dict[str, Organization]) -> None:
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
    new_orgs = new_organizations(kind, rows, plan, errors)
    orgs: dict[str, Organization] = {**plan.orgs, **new_orgs}
    slugs = {s for row in rows for s in row.values["chains"]}
    chains = dict(IndustryChain.objects.filter(slug__in=slugs).values_list("slug", "id"))
    make = need_draft if kind == "need" else capability_draft
    home = home_province()
    drafts: list[Draft] = []
    for row in rows:
        org = orgs.get(row.values[org_key])
        if org is None:
            continue  # reported with the organization
        item, problems = make(row, org, plan, options, chains, home)  # type: ignore[operator]
        errors.extend(problems)
        if not problems:
            drafts.append(
                Draft(
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
        publish_problems(drafts, orgs, errors)
    if len(errors) > found_before:
        return result

    now = timezone.now()
    user = acting_user(actor)
    taken = {d.item.ref for d in drafts if d.ref_given}
    blank = [d for d in drafts if not d.ref_given]
    for draft, ref in zip(
        blank, unique_refs("N" if kind == "need" else "C", len(blank), taken, model), strict=True
    ):
        draft.item.ref = ref

    # The organizations the file introduces (with publish, firms verified and certified as
    # their rows would have it: set before the insert).
    firms = Firms()
    firm_audit: dict[int, list[tuple[Organization, AuditRow]]] = {}
    if kind == "capability" and options.publish:
        firms, firm_audit = firm_steps(drafts, orgs, actor=actor, batch=batch, now=now)
    fresh = list(new_orgs.values())
    insert(Organization, fresh, now=now)
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
    for chunk in chunks(drafts, 2 * CHUNK):
        insert(model, [d.item for d in chunk], now=now)
        insert_rows(
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
    update_firms(stored)

    # The audit trail, in the order the services would write it row by row, made as it
    # is written (400,000 rows for 100,000 published capabilities are never all held).
    def trail() -> Iterator[AuditRow]:
        reason = import_reason(options.publish)
        created_first: set[str] = set()
        for index, draft in enumerate(drafts):
            item = draft.item
            org = orgs[draft.org_key]
            if draft.org_key in new_orgs and draft.org_key not in created_first:
                created_first.add(draft.org_key)
                yield audit_row(None, "organization.create", org, data={"name": org.name})
            for firm, event in firm_audit.get(index, ()):
                event.target_id = str(firm.pk)
                yield event
            if isinstance(item, ScenarioNeed):
                yield (
                    audit_row(
                        None, "need.create", item, to_state=item.status, data={"ref": item.ref}
                    )
                )
            else:
                yield (
                    audit_row(
                        None,
                        "capability.create",
                        item,
                        to_state=CapabilityStatus.DRAFT,
                        data={"ref": item.ref},
                    )
                )
                if options.publish:
                    yield (
                        audit_row(
                            None,
                            "capability.submit",
                            item,
                            from_state=CapabilityStatus.DRAFT,
                            to_state=CapabilityStatus.SUBMITTED,
                        )
                    )
                    yield (
                        audit_row(
                            None,
                            "capability.publish",
                            item,
                            from_state=CapabilityStatus.SUBMITTED,
                            to_state=CapabilityStatus.PUBLISHED,
                        )
                    )
            yield (
                audit_row(
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

    insert_rows(
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
    drafts: list[Draft],
    orgs: dict[str, Organization],
    verified_stored: list[Organization],
) -> None:
    """What the services tell people when rows publish: an agency's editors each of its
    needs; a firm's members that it was verified (new organizations have no members)."""
    notes: list[tuple[list[int], str, dict[str, Any], models.Model]] = []
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
                        {"ref": need.ref, "need": need.title},
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
                    {"firm": org.name},
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
