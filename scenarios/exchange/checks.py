"""Checking parsed rows against the database before anything is written: refs (new, or
with ``update`` the stored items they change), chains, regions, the organizations rows name
(found or to be created, and the ones the caller may import for), jurisdictions, the
negative list. Every problem of the file is collected, then the file is refused as a whole."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.choices import OrganizationKind
from accounts.models import Organization
from accounts.validators import organization_name_key
from core.errors import DomainError
from core.words import listing
from reference.models import IndustryChain, Region
from reference.services import home_province
from scenarios.exchange.columns import CAPABILITY_COLUMNS, NEED_COLUMNS
from scenarios.exchange.errors import RowError, raise_if_errors
from scenarios.exchange.limits import ExchangeLimits
from scenarios.exchange.readers import ParsedRow
from scenarios.exchange.updates import Update, owner_differs, plan_updates
from scenarios.models import Capability, ScenarioNeed
from scenarios.selectors import capability_queryset, need_queryset
from scenarios.services.common import lookalike_message, ref_key, stored_refs_by_key
from scenarios.services.needs import check_deadline
from scenarios.services.negative_list import active_negative_entries, negative_list_hits


@dataclass(frozen=True)
class ImportOptions:
    """How a file is imported: ``publish`` (an approved list), ``update`` (rows whose ref
    exists change that item), ``scope`` (the organizations the rows may name; None: any)."""

    publish: bool = False
    update: bool = False
    scope: frozenset[int] | None = None


@dataclass(frozen=True)
class NewOrg:
    row: int
    name: str
    region: Region


@dataclass
class Plan:
    rows: list[ParsedRow]
    regions: dict[str, Region]
    orgs: dict[str, Organization]  # key (agency name / credit code) → existing organization
    new_orgs: dict[str, NewOrg]  # key → the organization to create
    updates: dict[int, Update] = field(default_factory=dict)  # row number → item and changes


def _check_refs(
    rows: Sequence[ParsedRow],
    stored: QuerySet[ScenarioNeed] | QuerySet[Capability],
    errors: list[RowError],
    *,
    update: bool,
) -> dict[str, ScenarioNeed | Capability]:
    """Refs twice in the file are errors; so are refs already stored, unless ``update``:
    then the stored items are returned by ref, for their rows to change."""
    first: dict[str, int] = {}
    by_key: dict[str, tuple[str, int]] = {}
    for row in rows:
        ref = row.values.get("ref")
        if not ref:
            continue
        if ref in first:
            errors.append(
                RowError(row.number, "ref", _("与第 %(row)s 行的编号重复。") % {"row": first[ref]})
            )
            continue
        first[ref] = row.number
        other, at = by_key.setdefault(ref_key(ref), (ref, row.number))
        if other != ref:
            errors.append(
                RowError(
                    row.number,
                    "ref",
                    _("与第 %(row)s 行的编号“%(other)s”仅大小写或全角/半角不同。")
                    % {"row": at, "other": other},
                )
            )
    # A ref that only looks like a stored one would make a second item the reader takes
    # for the first (and, when updating by ref, leave the stored one unchanged).
    stored_keys = stored_refs_by_key(stored.model, first)
    for ref, number in first.items():
        same_key = stored_keys.get(ref_key(ref), set())
        if same_key and ref not in same_key:
            errors.append(RowError(number, "ref", lookalike_message(ref, min(same_key))))
    if update:
        return {item.ref: item for item in stored.filter(ref__in=list(first))}
    values = {row.values.get("ref"): row.values for row in rows}
    owner = "agency" if stored.model is ScenarioNeed else "firm"
    for item in stored.filter(ref__in=list(first)).select_related(owner):
        if owner_differs(item, values[item.ref]):
            # Another organization's item: updating it is not the row's to choose.
            message = _("编号 %(ref)s 已被平台上的其他条目使用，请换一个编号。")
        else:
            message = _(
                "编号已存在：%(ref)s。要按本行修改该条目，请选择按编号更新"
                "（页面上勾选“按编号更新已有条目”，接口 update=true，命令行 --update）。"
            )
        errors.append(RowError(first[item.ref], "ref", message % {"ref": item.ref}))
    return {}


def _check_chains(rows: Sequence[ParsedRow], errors: list[RowError]) -> dict[str, str]:
    """Report unknown slugs; return slug → taxonomy path for the known ones. A chain's
    Chinese or English name stands for its slug (a person fills in the names the pages show;
    the names are unique in the taxonomy), and the row carries the slug from here on."""
    slugs = {s for row in rows for s in row.values.get("chains") or []}
    paths = dict(IndustryChain.objects.filter(slug__in=slugs).values_list("slug", "path"))
    named = slugs - set(paths)
    if named:
        # The taxonomy is small (a few hundred nodes): names compared without case.
        by_name: dict[str, tuple[str, str]] = {}
        for slug, path, zh, en in IndustryChain.objects.values_list(
            "slug", "path", "name_zh", "name_en"
        ):
            by_name[zh.casefold()] = by_name[en.casefold()] = (slug, path)
        for row in rows:
            if row.values.get("chains"):
                row.values["chains"] = list(
                    dict.fromkeys(
                        by_name.get(s.casefold(), (s, ""))[0] if s in named else s
                        for s in row.values["chains"]
                    )
                )
        paths.update(by_name[s.casefold()] for s in named if s.casefold() in by_name)
    for row in rows:
        unknown = [s for s in row.values.get("chains") or [] if s not in paths]
        if unknown:
            errors.append(
                RowError(
                    row.number,
                    "chains",
                    _("未知的产业链/赛道：%(slugs)s（填标识或页面上的名称）。")
                    % {"slugs": listing(unknown[:5])},
                )
            )
    return paths


def _check_regions(rows: Sequence[ParsedRow], errors: list[RowError]) -> dict[str, Region]:
    codes = {row.values["region_code"] for row in rows if row.values.get("region_code")}
    regions = {r.code: r for r in Region.objects.filter(code__in=codes)}
    for row in rows:
        code = row.values.get("region_code")
        if code and code not in regions:
            errors.append(
                RowError(
                    row.number, "region_code", _("未知的行政区划代码：%(code)s。") % {"code": code}
                )
            )
    return regions


def _lowest_common_regions(paths_by_key: dict[str, set[str]]) -> dict[str, Region]:
    """For each key, the lowest region containing every path of its set (one query)."""
    common: dict[str, str] = {}
    for key, paths in paths_by_key.items():
        parts = [p.rstrip("/").split("/") for p in paths]
        shared: list[str] = []
        for level in zip(*parts, strict=False):
            if len(set(level)) != 1:
                break
            shared.append(level[0])
        common[key] = "/".join(shared) + "/"
    found = {r.path: r for r in Region.objects.filter(path__in=set(common.values()))}
    return {key: found[path] for key, path in common.items() if path in found}


def _check_org_regions(
    rows: Sequence[ParsedRow], existing: dict[str, Organization], errors: list[RowError]
) -> dict[str, Region]:
    """The region each new agency's ``org_region_code`` names (one per agency, known, at home);
    rows of an existing agency may only repeat its region."""
    home = home_province()
    codes = {row.values["org_region_code"] for row in rows if row.values.get("org_region_code")}
    known = {r.code: r for r in Region.objects.filter(code__in=codes)}
    chosen: dict[str, tuple[int, Region]] = {}
    for row in rows:
        code = row.values.get("org_region_code")
        name = row.values.get("org_name")
        if not code or not name:
            continue
        region = known.get(code)
        if region is None:
            errors.append(
                RowError(
                    row.number,
                    "org_region_code",
                    _("未知的行政区划代码：%(code)s。") % {"code": code},
                )
            )
            continue
        if not home.contains(region):
            errors.append(
                RowError(
                    row.number,
                    "org_region_code",
                    _("发布单位必须在本省（%(home)s）。") % {"home": home.name},
                )
            )
            continue
        agency = existing.get(name)
        if agency is not None and agency.region_id != region.code:
            errors.append(
                RowError(
                    row.number,
                    "org_region_code",
                    _("发布单位“%(org)s”已存在，所在地为%(region)s（%(code)s）。")
                    % {"org": name, "region": agency.region.name, "code": agency.region_id},
                )
            )
            continue
        first = chosen.setdefault(name, (row.number, region))
        if first[1].code != region.code:
            errors.append(
                RowError(
                    row.number,
                    "org_region_code",
                    _("与第 %(row)s 行为同一发布单位给出的所在地不同。") % {"row": first[0]},
                )
            )
    return {name: region for name, (_row, region) in chosen.items()}


def _check_new_names(new_orgs: dict[str, NewOrg], errors: list[RowError]) -> None:
    """A new agency may not take the name of another organization (a firm, a committee, the
    platform) or one that reads the same; sign-up refuses the same."""
    if not new_orgs:
        return
    wanted = {organization_name_key(name): name for name in new_orgs}
    names = Organization.objects.values_list("name", flat=True).iterator(chunk_size=5000)
    for other in names:
        name = wanted.get(organization_name_key(other))
        if name is not None and name != other:
            errors.append(
                RowError(
                    new_orgs[name].row,
                    "org_name",
                    _("与平台上已有的单位“%(other)s”名称相同或相近。") % {"other": other},
                )
            )
        elif name is not None:  # the same name, held by an organization of another kind
            errors.append(
                RowError(
                    new_orgs[name].row,
                    "org_name",
                    _("“%(other)s”已是平台上的其他类型单位，不能作为需求单位。") % {"other": other},
                )
            )


def _check_scope(
    rows: Sequence[ParsedRow],
    key: str,
    existing: dict[str, Organization],
    scope: frozenset[int] | None,
    errors: list[RowError],
    reason: str,
) -> None:
    """A caller who imports for its own organizations only (an agency's or a firm's editor)
    names no other organization, nor one to create."""
    if scope is None:
        return
    for row in rows:
        value = row.values.get(key)
        org = existing.get(value or "")
        if value and (org is None or org.pk not in scope):
            errors.append(RowError(row.number, key, reason % {"org": value}))


def _check_new_deadlines(
    rows: list[ParsedRow], updates: dict[int, Update], errors: list[RowError]
) -> None:
    """An agency importing its own drafts keeps the services' window for a deadline (today
    to five years ahead), checked with the rest of the file so one pass lists every error;
    rows that update a stored need are checked by ``need_update`` (an unchanged deadline is
    kept). The operator's and the province's imports carry approved or archived lists as
    they are."""
    for row in rows:
        deadline = row.values.get("deadline")
        if (
            deadline is None
            or row.number in updates
            or any(e.field == "deadline" for e in row.errors)
        ):
            continue
        try:
            check_deadline(deadline)
        except DomainError as exc:
            errors.extend(
                RowError(row.number, "deadline", str(message))
                for message in exc.fields.get("deadline", [exc.message])
            )


def plan_needs(rows: list[ParsedRow], limits: ExchangeLimits, options: ImportOptions) -> Plan:
    errors = [e for row in rows for e in row.errors]
    stored = _check_refs(rows, need_queryset(), errors, update=options.update)
    _check_chains(rows, errors)
    regions = _check_regions(rows, errors)
    home = home_province()
    names = {row.values["org_name"] for row in rows if row.values.get("org_name")}
    existing = {
        org.name: org
        for org in Organization.objects.filter(
            kind=OrganizationKind.AGENCY, name__in=names
        ).select_related("region")
    }
    _check_scope(
        rows,
        "org_name",
        existing,
        options.scope,
        errors,
        _("只能导入本单位的场景需求：您不是“%(org)s”的编辑。"),
    )
    declared = _check_org_regions(rows, existing, errors)
    # A new agency without a declared region gets the lowest region that contains all of its
    # rows: a city bureau with needs in two of its counties is the city's, never one county's.
    first_row: dict[str, int] = {}
    spans: dict[str, set[str]] = {}
    for row in rows:
        region = regions.get(row.values.get("region_code") or "")
        name = row.values.get("org_name")
        if region is None or not name or name in existing or not home.contains(region):
            continue
        if options.scope is not None:  # refused above: an editor creates no agency
            continue
        first_row.setdefault(name, row.number)
        spans.setdefault(name, set()).add(region.path)
    inferred = _lowest_common_regions({n: p for n, p in spans.items() if n not in declared})
    new_orgs = {
        name: NewOrg(first_row[name], name, declared.get(name) or inferred[name])
        for name in first_row
        if name in declared or name in inferred
    }
    _check_new_names(new_orgs, errors)
    for row in rows:
        region = regions.get(row.values.get("region_code") or "")
        if region is None:
            continue
        if not home.contains(region):
            errors.append(
                RowError(
                    row.number,
                    "region_code",
                    _("场景所在地必须在本省（%(home)s）。") % {"home": home.name},
                )
            )
            continue
        name = row.values.get("org_name")
        if not name:
            continue
        agency = existing.get(name)
        agency_region = (
            agency.region if agency else new_orgs[name].region if name in new_orgs else None
        )
        if agency_region is not None and not agency_region.contains(region):
            errors.append(
                RowError(
                    row.number,
                    "region_code",
                    _("不在发布单位“%(org)s”（%(region)s）的辖区内。")
                    % {"org": name, "region": agency_region.name},
                )
            )
    updates = plan_updates("need", rows, stored, errors, publish=options.publish)
    if options.scope is not None:
        _check_new_deadlines(rows, updates, errors)
    raise_if_errors(errors, NEED_COLUMNS, limits)
    return Plan(rows=rows, regions=regions, orgs=existing, new_orgs=new_orgs, updates=updates)


def plan_capabilities(
    rows: list[ParsedRow], limits: ExchangeLimits, options: ImportOptions
) -> Plan:
    errors = [e for row in rows for e in row.errors]
    stored = _check_refs(rows, capability_queryset(), errors, update=options.update)
    chain_paths = _check_chains(rows, errors)
    regions = _check_regions(rows, errors)
    codes = {row.values["firm_credit_code"] for row in rows if row.values.get("firm_credit_code")}
    existing = {
        org.credit_code or "": org
        for org in Organization.objects.filter(credit_code__in=codes).select_related("region")
    }
    _check_scope(
        rows,
        "firm_credit_code",
        existing,
        options.scope,
        errors,
        _("只能导入本企业的场景能力：您不是信用代码为 %(org)s 的企业的编辑。"),
    )
    # A new firm is registered in the lowest region containing all of its rows; every row's
    # region must lie inside its firm's region (the locality score reads it).
    firsts: dict[str, tuple[int, str]] = {}
    spans: dict[str, set[str]] = {}
    for row in rows:
        code = row.values.get("firm_credit_code")
        org = existing.get(code or "")
        region = regions.get(row.values.get("region_code") or "")
        if options.scope is not None:  # an editor registers no firm
            continue
        if code and org is None and region is not None and row.values.get("firm_name"):
            firsts.setdefault(code, (row.number, row.values["firm_name"]))
            spans.setdefault(code, set()).add(region.path)
    homes = _lowest_common_regions(spans)
    new_orgs = {
        code: NewOrg(number, name, homes[code])
        for code, (number, name) in firsts.items()
        if code in homes
    }
    for row in rows:
        code = row.values.get("firm_credit_code")
        if not code:
            continue
        org = existing.get(code)
        region = regions.get(row.values.get("region_code") or "")
        if org is not None and org.kind != OrganizationKind.FIRM:
            errors.append(
                RowError(
                    row.number,
                    "firm_credit_code",
                    _("该信用代码属于非企业组织“%(name)s”。") % {"name": org.name},
                )
            )
        elif org is not None and region is not None and not org.region.contains(region):
            errors.append(
                RowError(
                    row.number,
                    "region_code",
                    _("不在企业“%(org)s”注册地（%(region)s）范围内。")
                    % {"org": org.name, "region": org.region.name},
                )
            )
    if options.publish:
        entries = active_negative_entries()
        for row in rows:
            values = row.values
            if not (values.get("title") and values.get("description")):
                continue
            if values.get("ref") in stored:  # an update of a published item, or an error
                continue
            hits = negative_list_hits(
                title=values["title"],
                description=values["description"],
                keywords=values.get("keywords") or [],
                chain_paths=[
                    chain_paths[s] for s in values.get("chains") or [] if s in chain_paths
                ],
                past_cases=values.get("past_cases") or [],
                entries=entries,
            )
            if hits:
                errors.append(
                    RowError(
                        row.number,
                        "",
                        _("命中负面清单，不能直接发布：%(entries)s。")
                        % {"entries": "；".join(f"{h}（{h.reason}）" for h in hits)},
                    )
                )
    updates = plan_updates("capability", rows, stored, errors, publish=options.publish)
    raise_if_errors(errors, CAPABILITY_COLUMNS, limits)
    return Plan(rows=rows, regions=regions, orgs=existing, new_orgs=new_orgs, updates=updates)
