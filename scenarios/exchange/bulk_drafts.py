"""A file's rows as unsaved items (``scenarios.exchange.bulk``): each row checked in Python
as its service would (the model's field validation, keywords, lists, refs, regions), the
organizations the file introduces, what publishing an approved list does to its firms, and
what would stop a capability from publishing."""

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.choices import OrganizationKind
from accounts.models import Organization
from core.actors import Actor, acting_user
from core.errors import DomainError
from reference.models import Region
from scenarios.choices import CapabilityStatus, Certification, NeedStatus
from scenarios.exchange.bulk_writes import AuditRow, audit_row
from scenarios.exchange.checks import ImportOptions, Plan
from scenarios.exchange.columns import FIELD_ALIASES
from scenarios.exchange.errors import RowError
from scenarios.exchange.limits import ExchangeKind
from scenarios.exchange.readers import ParsedRow
from scenarios.facets import chain_key
from scenarios.models import Capability, ScenarioNeed
from scenarios.services.capabilities import _same_text, clean_list
from scenarios.services.common import check_ref, clean_keywords


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


@dataclass(slots=True)
class Draft:
    """One row's item before insert, and what the row's services would write around it."""

    number: int  # the row's, as a user sees it
    item: ScenarioNeed | Capability
    chain_ids: list[int]
    org_key: str
    ref_given: bool


def import_reason(publish: bool) -> str:
    return _("批量导入：已在其他渠道审批，作为已发布导入。") if publish else _("批量导入为草稿。")


def new_organizations(
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


def need_draft(
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


def capability_draft(
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
        certifications = clean_list(
            list(values["certifications"]), "certifications", choices=set(Certification.values)
        )
        past_cases = clean_list(list(values["past_cases"]), "past_cases")
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
class Firms:
    """What publishing an approved list does to its firms, worked out row by row as the
    services would (a firm verified at its first row, certified again whenever a row claims
    more than it holds), then written once per firm."""

    verify: list[Organization] = field(default_factory=list)
    changed: dict[int, Organization] = field(default_factory=dict)  # existing firms, by pk


def firm_steps(
    drafts: list[Draft],
    orgs: dict[str, Organization],
    *,
    actor: Actor | None,
    batch: str,
    now: Any,
) -> tuple[Firms, dict[int, list[tuple[Organization, AuditRow]]]]:
    """The firms' verification and certification audit rows, by the row (index) that
    causes them, with the firms' final state set on the instances. A new firm has no pk
    yet: its rows take it once inserted."""
    firms = Firms()
    by_row: dict[int, list[tuple[Organization, AuditRow]]] = {}
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
                    audit_row(
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
                    audit_row(
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


def publish_problems(
    drafts: list[Draft], orgs: dict[str, Organization], errors: list[RowError]
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
