"""Reads scoped to what each user may see; views and other apps read through these.

A committee sees the non-draft needs inside its region's subtree (one prefix match on
``region.path``), an agency its own needs, a firm its own capabilities; everybody
signed in sees the published lists; a platform admin sees everything.
"""

from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Least

from accounts.choices import OrganizationKind, Role
from accounts.models import Committee, Organization, OrganizationRelation
from accounts.roles import committees_of, is_platform_admin
from accounts.roles import organization_ids as _org_ids
from accounts.selectors import committee_region_q as _committee_region_q
from activity.models import AuditEvent
from activity.selectors import audit_events_of
from core.actors import Actor
from core.search import apply_search
from reference.models import IndustryChain, Region
from scenarios.access import is_need_insider
from scenarios.choices import (
    CapabilityStatus,
    Certification,
    NeedStatus,
    NegativeListKind,
    PilotStatus,
    ReviewDecision,
)
from scenarios.lifecycle import (
    MATCHABLE_NEED_STATUSES,
    NOT_YET_SUBMITTED,
    PILOT_NEVER_RAN,
    PUBLIC_NEED_STATUSES,
)
from scenarios.models import (
    Capability,
    ImportJob,
    NegativeListEntry,
    Pilot,
    PolicyVersion,
    Review,
    ScenarioNeed,
)
from scenarios.models.needs import CONFIDENTIAL_NEED_FIELDS


def need_queryset() -> QuerySet[ScenarioNeed]:
    """Needs with every relation the API renders loaded in a fixed number of queries."""
    return ScenarioNeed.objects.select_related("region", "agency").prefetch_related(
        Prefetch("chains", queryset=IndustryChain.objects.only("id", "slug", "name_zh"))
    )


def need_own_q(user: Actor) -> Q:
    """The needs a user answers for: its agencies' own, and those its committees oversee."""
    return Q(agency_id__in=_org_ids(user, Role.AGENCY_EDITOR)) | (
        _committee_region_q(user, "region")
        & ~Q(status__in=NOT_YET_SUBMITTED)
        # withdrawn before it was ever submitted: still the agency's own draft
        & ~Q(status=NeedStatus.WITHDRAWN, submitted_at__isnull=True)
    )


def need_list_for_user(*, user: Actor) -> QuerySet[ScenarioNeed]:
    """Needs the user may see."""
    qs = need_queryset()
    if is_platform_admin(user):
        return qs
    visible = Q(status__in=PUBLIC_NEED_STATUSES) | need_own_q(user)
    if _org_ids(user, Role.EXPERT):
        visible |= Q(status=NeedStatus.IN_REVIEW)
    return qs.filter(visible)


def need_own_list_for_user(*, user: Actor) -> QuerySet[ScenarioNeed]:
    """The needs a user answers for, without the public list everyone sees: an agency
    editor's agencies' needs in every state, the needs submitted inside the regions of the
    user's committees, every need for a platform admin; nothing for anyone else."""
    qs = need_queryset()
    if is_platform_admin(user):
        return qs
    return qs.filter(need_own_q(user))


def need_public_list() -> QuerySet[ScenarioNeed]:
    """The published opportunity list (机会清单)."""
    return need_queryset().filter(status__in=PUBLIC_NEED_STATUSES)


def public_list_counts() -> dict[str, int]:
    """How many needs and capabilities the public lists show, and how many firms offer them."""
    capabilities = Capability.objects.public()
    return {
        "needs": ScenarioNeed.objects.public().count(),
        "capabilities": capabilities.count(),
        "firms": capabilities.values("firm_id").distinct().count(),
        "validated": Pilot.objects.track_record().count(),
    }


def pilots_validated_of(*, capability: Capability) -> QuerySet[Pilot]:
    """The capability's committee-confirmed validated pilots (its public track record)."""
    return (
        Pilot.objects.track_record()
        .filter(capability=capability)
        .select_related("need__region", "capability")
        .order_by("-ended_at", "-id")
    )


def capability_queryset() -> QuerySet[Capability]:
    return Capability.objects.select_related("region", "firm").prefetch_related(
        Prefetch("chains", queryset=IndustryChain.objects.only("id", "slug", "name_zh"))
    )


def _capability_own_q(user: Actor) -> Q:
    """The capabilities a user answers for: its firms' own, and the non-drafts of the firms
    its committees supervise."""
    return Q(firm_id__in=_org_ids(user, Role.FIRM_EDITOR)) | (
        _committee_region_q(user, "firm__region") & ~Q(status=CapabilityStatus.DRAFT)
    )


def capability_list_for_user(*, user: Actor) -> QuerySet[Capability]:
    qs = capability_queryset()
    if is_platform_admin(user):
        return qs
    return qs.filter(Q(status=CapabilityStatus.PUBLISHED) | _capability_own_q(user))


def capability_own_list_for_user(*, user: Actor) -> QuerySet[Capability]:
    """The capabilities a user answers for, without the public list: a firm editor's firms'
    capabilities in every state, the submitted ones of the firms in the regions of the
    user's committees, every one for a platform admin; nothing for anyone else."""
    qs = capability_queryset()
    if is_platform_admin(user):
        return qs
    return qs.filter(_capability_own_q(user))


def capability_public_list() -> QuerySet[Capability]:
    """The published capability list (能力清单), without suspended firms' items."""
    return capability_queryset().filter(status=CapabilityStatus.PUBLISHED)


def review_queue_for_user(*, user: Actor) -> QuerySet[Review]:
    """Pending reviews waiting for any committee the user sits on."""
    ids = [c.pk for c in committees_of(user)]
    return (
        Review.objects.filter(committee_id__in=ids, decision=ReviewDecision.PENDING)
        .select_related("need__region", "need__agency", "committee__organization")
        .order_by("created_at", "id")
    )


def pilot_list_for_user(*, user: Actor) -> QuerySet[Pilot]:
    qs = Pilot.objects.select_related("need", "capability__firm")
    if is_platform_admin(user):
        return qs
    visible = Q(need__agency_id__in=_org_ids(user, Role.AGENCY_EDITOR))
    visible |= Q(capability__firm_id__in=_org_ids(user, Role.FIRM_EDITOR))
    visible |= _committee_region_q(user, "need__region")
    return qs.filter(visible)


def need_history_for_user(*, user: Actor, need: ScenarioNeed) -> list[AuditEvent]:
    """The need's audit trail, oldest first. Readers outside the agency and its committees
    see what happened and when, not who: no staff login names, no reasons (review comments
    and withdrawal reasons are internal), and the confidential fields blanked inside each
    event's recorded values."""
    events = list(audit_events_of(target=need))
    if is_need_insider(user, need):
        return events
    for event in events:
        event.actor = None
        event.reason = ""
        data = dict(event.data or {})
        for part in ("before", "after"):
            values = data.get(part)
            if isinstance(values, dict):
                data[part] = {
                    k: (None if k in CONFIDENTIAL_NEED_FIELDS else v) for k, v in values.items()
                }
        event.data = data
    return events


def need_id_by_ref(*, ref: str) -> int | None:
    """The id of the need with this reference, if any (operators name needs by ref; a ref
    typed in another case finds the need when only one matches)."""
    found = ScenarioNeed.objects.filter(ref=ref).values_list("id", flat=True).first()
    if found is None and ref:
        ids = list(ScenarioNeed.objects.filter(ref__iexact=ref).values_list("id", flat=True)[:2])
        found = ids[0] if len(ids) == 1 else None
    return found


def capability_id_by_ref(*, ref: str) -> int | None:
    """The id of the capability with this reference, if any."""
    return Capability.objects.filter(ref=ref).values_list("id", flat=True).first()


def status_counts(*, queryset: QuerySet[Any]) -> dict[str, int]:
    """How many items of ``queryset`` are in each status (one grouped count)."""
    rows = queryset.order_by().values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


def latest_review_of(*, need_ids: list[int]) -> dict[int, Review]:
    """Each need's latest review (pending or decided), for its tier or its return reason."""
    latest: dict[int, Review] = {}
    rows = (
        Review.objects.filter(need_id__in=need_ids)
        .select_related("committee__organization")
        .order_by("need_id", "-id")
    )
    for review in rows:
        latest.setdefault(review.need_id, review)
    return latest


def pilots_of_need(*, need: ScenarioNeed) -> QuerySet[Pilot]:
    return Pilot.objects.filter(need=need).select_related("capability__firm").order_by("-id")


def pilots_of_firms(*, firm_ids: list[int]) -> QuerySet[Pilot]:
    return (
        Pilot.objects.filter(capability__firm_id__in=firm_ids)
        .select_related("need__agency", "capability")
        .order_by("-id")
    )


def capability_history(*, capability: Capability) -> list[AuditEvent]:
    """The capability's audit trail, oldest first (its firm and supervisors read it)."""
    return list(audit_events_of(target=capability))


def latest_reason_of(*, capabilities: list[Capability]) -> dict[int, str]:
    """Why each capability was last returned or suspended (the firm must see the reason)."""
    reasons: dict[int, str] = {}
    rows = (
        AuditEvent.objects.filter(
            target_type=Capability._meta.label_lower,
            target_id__in=[str(c.pk) for c in capabilities],
            action__in=["capability.return", "capability.suspend"],
        )
        .order_by("-id")
        .values_list("target_id", "reason")
    )
    for target_id, reason in rows:
        reasons.setdefault(int(target_id), reason)
    return reasons


def review_queue_page(*, user: Actor) -> QuerySet[Review]:
    """The review queue as the committee page shows it: each need with its region, agency
    and chains loaded, oldest waiting first."""
    return review_queue_for_user(user=user).prefetch_related(
        Prefetch("need__chains", queryset=IndustryChain.objects.only("id", "slug", "name_zh"))
    )


def needs_of_committee_regions(*, user: Actor, q: str = "") -> QuerySet[ScenarioNeed]:
    """The needs submitted inside the regions of the user's committees, from review on (in
    review at any tier, returned, published and later; drafts and needs withdrawn before
    they were ever submitted stay the agency's own), recently changed first: what a member
    finds again after deciding it. ``q`` finds a title by a part or a ref exactly."""
    qs = (
        need_queryset()
        .filter(_committee_region_q(user, "region"))
        .exclude(status__in=NOT_YET_SUBMITTED)
        .exclude(status=NeedStatus.WITHDRAWN, submitted_at__isnull=True)
    )
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(ref__iexact=q))
    return qs.order_by("-updated_at", "-id")


def need_ids_in_committee_regions(*, user: Actor) -> QuerySet[ScenarioNeed, int]:
    """The ids of every need inside the regions of the user's committees, whatever its
    state, as a subquery: the needs those committees answer for."""
    return ScenarioNeed.objects.filter(_committee_region_q(user, "region")).values_list(
        "pk", flat=True
    )


def reviews_of_need(*, need: ScenarioNeed) -> QuerySet[Review]:
    """Every tier's review of the need, oldest first (the trail of earlier tiers)."""
    return (
        Review.objects.filter(need=need)
        .select_related("committee__organization", "committee__region__parent", "reviewer")
        .order_by("created_at", "id")
    )


def committees_of_regions(*, regions: list[Region]) -> list[Committee]:
    """The committees of ``regions``, in their order (a region without one is left out)."""
    found = {
        c.region_id: c
        for c in Committee.objects.filter(region__in=regions).select_related("organization")
    }
    return [found[r.pk] for r in regions if r.pk in found]


def capabilities_supervised_by(*, user: Actor) -> QuerySet[Capability]:
    """Capabilities of the firms in the user's committees' regions, drafts aside (a draft is
    still the firm's own)."""
    return (
        capability_queryset()
        .filter(_committee_region_q(user, "firm__region"))
        .exclude(status__in=[CapabilityStatus.DRAFT])
    )


def firms_supervised_by(*, user: Actor) -> QuerySet[Organization]:
    """Firms registered in the user's committees' regions (what they verify, certify and
    suspend)."""
    return Organization.objects.select_related("region").filter(
        _committee_region_q(user, "region"), kind=OrganizationKind.FIRM
    )


def claimed_certifications(*, firm_ids: list[int]) -> dict[int, list[str]]:
    """What each firm claims on its capabilities (drafts and withdrawn ones aside), in the
    choices' order: what a committee checks before it records a verification."""
    claimed: dict[int, set[str]] = {}
    rows = (
        Capability.objects.filter(firm_id__in=firm_ids)
        .exclude(status__in=[CapabilityStatus.DRAFT, CapabilityStatus.WITHDRAWN])
        .values_list("firm_id", "certifications")
    )
    for firm_id, certifications in rows:
        claimed.setdefault(firm_id, set()).update(certifications or [])
    return {
        firm_id: [c for c in Certification.values if c in certs]
        for firm_id, certs in claimed.items()
    }


def pilots_supervised_by(*, user: Actor) -> QuerySet[Pilot]:
    """Pilots of needs in the user's committees' regions."""
    return Pilot.objects.select_related("need__agency", "need__region", "capability__firm").filter(
        _committee_region_q(user, "need__region")
    )


def need_labels(*, need_ids: list[int]) -> dict[int, tuple[str, str, str]]:
    """(ref, title, region code) of each need, by id (one query; pages naming needs)."""
    rows = ScenarioNeed.objects.filter(pk__in=need_ids).values_list(
        "pk", "ref", "title", "region_id"
    )
    return {pk: (ref, title, region) for pk, ref, title, region in rows}


def capability_labels(*, capability_ids: list[int]) -> dict[int, tuple[str, str]]:
    """(ref, title) of each capability, by id (one query)."""
    rows = Capability.objects.filter(pk__in=capability_ids).values_list("pk", "ref", "title")
    return {pk: (ref, title) for pk, ref, title in rows}


def preview_need_ids(*, limit: int) -> list[int]:
    """A sample of needs for previewing a policy: the latest published ones still matched."""
    return list(
        ScenarioNeed.objects.matchable()
        .order_by("-published_at", "-id")
        .values_list("id", flat=True)[:limit]
    )


def import_jobs_for_user(*, user: Actor) -> QuerySet[ImportJob]:
    """The user's own uploads, newest first (the platform admin sees everyone's); the file
    itself is not read."""
    qs = ImportJob.objects.defer("data").select_related("requested_by").order_by("-id")
    if is_platform_admin(user):
        return qs
    return qs.filter(requested_by_id=user.pk or 0)


def chain_slugs_and_names() -> list[tuple[str, str]]:
    """Every node of the chain tree as (slug, Chinese name), in tree order."""
    return list(IndustryChain.objects.order_by("path").values_list("slug", "name_zh"))


def negative_entries(*, with_inactive: bool = False) -> QuerySet[NegativeListEntry]:
    """The active negative-list entries (and those switched off, if asked), newest first."""
    entries = NegativeListEntry.objects.select_related("chain", "created_by").order_by("-id")
    return entries if with_inactive else entries.filter(active=True)


def capabilities_hit_by_active_entries() -> set[int]:
    """The published capabilities that an active negative-list entry hits (those published
    before the entry: matching leaves them out, the committee decides about each), by id."""
    found: set[int] = set()
    for entry in NegativeListEntry.objects.filter(active=True).select_related("chain"):
        qs = capability_public_list()
        if entry.kind == NegativeListKind.KEYWORD:
            word = entry.keyword.replace('"', "").strip()
            if not word:
                continue
            qs = apply_search(qs, ["title", "description", "keywords"], f'"{word}"')
        elif entry.chain is not None:
            qs = qs.filter(chains__path__startswith=entry.chain.path)
        else:
            continue
        found.update(qs.values_list("pk", flat=True))
    return found


def capabilities_hit_by(
    *, kind: str, keyword: str = "", chain_slug: str = "", limit: int = 50
) -> tuple[int, list[Capability]]:
    """Published capabilities a negative-list entry would take off the list (the same test
    as publishing: the keyword in the title, description or a keyword; the chain or one
    below it), and how many there are."""
    qs = capability_public_list()
    if kind == NegativeListKind.KEYWORD:
        word = keyword.replace('"', "").strip()
        if not word:
            return 0, []
        qs = apply_search(qs, ["title", "description", "keywords"], f'"{word}"')
    elif kind == NegativeListKind.CHAIN:
        chain = IndustryChain.objects.filter(slug=chain_slug).first()
        if chain is None:
            return 0, []
        qs = qs.filter(chains__path__startswith=chain.path).distinct()
    else:
        return 0, []
    return qs.count(), list(qs.order_by("-published_at", "-id")[:limit])


# -- reads for the matching app (it never touches these tables directly) -----------------


def region_of_need(*, need_id: int) -> Region | None:
    """The region of a need (whose committees may rerun its matching), if it exists."""
    need = ScenarioNeed.objects.select_related("region").filter(pk=need_id).first()
    return need.region if need is not None else None


def region_of_firm_of(*, capability_id: int) -> Region | None:
    """The region of the firm that offers a capability, if the capability exists."""
    capability = Capability.objects.select_related("firm__region").filter(pk=capability_id).first()
    return capability.firm.region if capability is not None else None


def policy_with_previous(*, version: int) -> tuple[PolicyVersion | None, PolicyVersion | None]:
    """Policy ``version`` and the one before it (either None when it does not exist)."""
    found = {p.version: p for p in PolicyVersion.objects.filter(version__in=[version, version - 1])}
    return found.get(version), found.get(version - 1)


def matchable_needs() -> QuerySet[ScenarioNeed]:
    """The needs matching keeps scoring (published or in validation), for subqueries."""
    return ScenarioNeed.objects.matchable()


def pair_has_pilot() -> Exists:
    """The condition "this need × capability pair already has a pilot" (proposed, running
    or ended; a declined or withdrawn proposal aside), for rows with ``need_id`` and
    ``capability_id``: such a pair no longer waits for a decision on its recommendation."""
    return Exists(
        Pilot.objects.filter(
            need_id=OuterRef("need_id"), capability_id=OuterRef("capability_id")
        ).exclude(status__in=PILOT_NEVER_RAN)
    )


def pilot_started_from_match() -> Exists:
    """The condition "a pilot started from this match row" (rows with an ``id``)."""
    return Exists(Pilot.objects.filter(source_match_id=OuterRef("pk")))


def matching_taxonomy() -> list[dict[str, Any]]:
    """Every taxonomy node: slug, parent slug, Chinese name and synonyms, in tree order."""
    nodes = IndustryChain.objects.order_by("path").values("slug", "path", "name_zh", "synonyms")
    out = []
    for node in nodes:
        parts = node["path"].rstrip("/").split("/")
        out.append(
            {
                "slug": node["slug"],
                "parent_slug": parts[-2] if len(parts) > 1 else None,
                "name_zh": node["name_zh"],
                "synonyms": list(node["synonyms"]),
            }
        )
    return out


def _chain_slugs(through: Any, owner: str, ids: list[int] | None) -> dict[int, list[str]]:
    links = through.objects.all()
    if ids is not None:
        links = links.filter(**{f"{owner}__in": ids})
    slugs: dict[int, list[str]] = {}
    for owner_id, slug in links.values_list(owner, "industrychain__slug").order_by(owner, "id"):
        slugs.setdefault(owner_id, []).append(slug)
    return slugs


def matching_need_ids(*, need_ids: list[int] | None = None) -> list[int]:
    """Ids of the matchable needs (of ``need_ids`` when given), in ``matching_need_rows`` order.

    A run plans its chunks from the ids alone; the rows are read chunk by chunk.
    """
    qs = ScenarioNeed.objects.matchable()
    if need_ids is not None:
        qs = qs.filter(pk__in=need_ids)
    return list(qs.order_by("-is_high_value", "id").values_list("id", flat=True))


def matching_need_rows(
    *, need_ids: list[int] | None = None, any_status: bool = False
) -> list[dict[str, Any]]:
    """Matchable needs (published or in validation) as plain rows, high-value first;
    ``any_status`` reads the given needs whatever their status (to explain a pair)."""
    qs = ScenarioNeed.objects.all() if any_status else ScenarioNeed.objects.matchable()
    if need_ids is not None:
        qs = qs.filter(pk__in=need_ids)
    rows: list[dict[str, Any]] = [
        dict(r)
        for r in qs.order_by("-is_high_value", "id").values(
            "id",
            "ref",
            "agency_id",
            "region__path",
            "title",
            "description",
            "keywords",
            "min_trl",
            "validation_type",
            "value_score",
            "is_high_value",
        )
    ]
    chains = _chain_slugs(
        ScenarioNeed.chains.through,
        "scenarioneed_id",
        [r["id"] for r in rows] if need_ids is not None else None,
    )
    for row in rows:
        row["chains"] = chains.get(row["id"], [])
    return rows


def _matchable_capabilities() -> QuerySet[Capability]:
    return Capability.objects.public().filter(
        firm__verified_at__isnull=False, firm__suspended_at__isnull=True
    )


def matching_capability_ids(*, capability_ids: list[int]) -> list[int]:
    """Which of ``capability_ids`` matching may score (published, of a verified firm)."""
    qs = _matchable_capabilities().filter(pk__in=capability_ids)
    return list(qs.order_by("id").values_list("id", flat=True))


def matching_live_rows_q() -> Q:
    """Rows (with ``need_id``/``capability_id`` columns) whose need and capability matching
    still scores, as subqueries: a closed need or a withdrawn capability no longer holds
    a firm's quota."""
    return Q(
        need_id__in=ScenarioNeed.objects.matchable().values("pk"),
        capability_id__in=_matchable_capabilities().values("pk"),
    )


def matching_missing_item_q() -> Q:
    """Rows (with ``need_id``/``capability_id`` columns) whose need or capability no longer
    exists (matching's rows have no database foreign keys), as NOT EXISTS conditions."""
    return Q(~Exists(ScenarioNeed.objects.filter(pk=OuterRef("need_id")))) | Q(
        ~Exists(Capability.objects.filter(pk=OuterRef("capability_id")))
    )


def matching_existing_ids(
    *, need_ids: list[int] | None = None, capability_ids: list[int] | None = None
) -> tuple[list[int], list[int]]:
    """Which needs and capabilities exist, whatever their state (matching's rows have no
    database foreign keys: what they point to is checked against these): of the ids given,
    or all of them (cheaper than a list of a hundred thousand ids)."""
    needs = ScenarioNeed.objects.order_by()
    caps = Capability.objects.order_by()
    if need_ids is not None:
        needs = needs.filter(pk__in=need_ids)
    if capability_ids is not None:
        caps = caps.filter(pk__in=capability_ids)
    return list(needs.values_list("pk", flat=True)), list(caps.values_list("pk", flat=True))


def matching_capability_rows(
    *, capability_ids: list[int] | None = None, any_status: bool = False
) -> list[dict[str, Any]]:
    """Published capabilities of verified firms, with track record and open load;
    ``any_status`` reads the given ones whatever their status or firm (to explain a pair)."""
    qs = Capability.objects.all() if any_status else _matchable_capabilities()
    if capability_ids is not None:
        qs = qs.filter(pk__in=capability_ids)
    rows: list[dict[str, Any]] = [
        dict(r)
        for r in qs.order_by("id").values(
            "id",
            "ref",
            "firm_id",
            "region__path",
            "title",
            "description",
            "keywords",
            "trl",
            "certifications",
            "capacity",
            "firm__verified_certifications",
            "firm__verified_capacity",
        )
    ]
    ids = [r["id"] for r in rows] if capability_ids is not None else None
    chains = _chain_slugs(Capability.chains.through, "capability_id", ids)
    pilots = Pilot.objects.all() if ids is None else Pilot.objects.filter(capability_id__in=ids)
    # Track record is what a committee confirmed; an agency's own word does not count.
    counts = pilots.values("capability_id").annotate(
        validated=Count(
            "id", filter=Q(status=PilotStatus.VALIDATED, outcome_confirmed_at__isnull=False)
        ),
        running=Count("id", filter=Q(status=PilotStatus.RUNNING)),
    )
    validated: dict[int, int] = {}
    running: dict[int, int] = {}
    for c in counts:
        if c["validated"]:
            validated[c["capability_id"]] = c["validated"]
        if c["running"]:
            running[c["capability_id"]] = c["running"]
    first_of_kind = set(
        pilots.filter(first_of_kind_recommended=True).values_list("capability_id", flat=True)
    )
    for row in rows:
        # Matching trusts only what a committee verified of the firm's claims.
        verified = set(row.pop("firm__verified_certifications") or ())
        row["certifications"] = [c for c in row["certifications"] if c in verified]
        row["capacity"] = effective_capacity(row["capacity"], row.pop("firm__verified_capacity"))
        row["chains"] = chains.get(row["id"], [])
        row["validated_pilots"] = validated.get(row["id"], 0)
        row["running_pilots"] = running.get(row["id"], 0)
        if row["id"] in first_of_kind and "first_of_kind" not in row["certifications"]:
            row["certifications"] = [*row["certifications"], "first_of_kind"]
    return rows


# Pilots one capability may hold at once when no committee has checked the firm's capacity:
# a declared ``capacity: 1000`` would otherwise give the firm a quota of a thousand.
UNVERIFIED_CAPACITY = 2


def effective_capacity(declared: int, verified: int | None) -> int:
    """The capacity matching counts: the declared one, up to what a committee verified."""
    return min(declared, verified if verified is not None else UNVERIFIED_CAPACITY)


def matching_firm_capacity(*, firm_ids: list[int] | None = None) -> dict[int, int]:
    """Summed capacity of each verified firm's published capabilities (its pilot quota).

    The same capabilities as ``matching_capability_rows``, added up in the database;
    ``firm_ids`` limits the answer to those firms.
    """
    qs = _matchable_capabilities()
    if firm_ids is not None:
        qs = qs.filter(firm_id__in=firm_ids)
    limit = Coalesce(F("firm__verified_capacity"), Value(UNVERIFIED_CAPACITY))
    rows = qs.values("firm_id").annotate(total=Sum(Least(F("capacity"), limit))).order_by()
    return {r["firm_id"]: int(r["total"]) for r in rows}


def matching_capability_set_key() -> str:
    """Changes whenever the published capability set or its pilots change (index cache key)."""
    key = matching_capability_set_key_parts()
    return f"{key.caps}-{key.rest}"


class CapabilitySetKey(NamedTuple):
    """The set key in two parts: ``caps``, the capabilities matching scores (count, last
    change), which an index follows row by row (``matching_capability_changes``), and
    ``rest`` (pilots, firms' verification), whose change makes every capability's features
    change; ``matchable`` is how many capabilities matching scores."""

    caps: str
    rest: str
    matchable: int


def matching_capability_set_key_parts() -> CapabilitySetKey:
    """The capability set key, in its parts (:class:`CapabilitySetKey`).

    Read before every matching task, so from indexes only: the published rows counted,
    less those of firms not verified or suspended (joining every published row with its
    firm took ~60 ms at 100,000), and the latest change of a published row."""
    published = Capability.objects.public().order_by()
    left_out = published.filter(
        Q(firm__verified_at__isnull=True) | Q(firm__suspended_at__isnull=False)
    ).count()
    caps = {
        "n": published.count() - left_out,
        "last": published.aggregate(last=Max("updated_at"))["last"],
    }
    pilots = Pilot.objects.aggregate(n=Count("id"), last=Max("version"), ended=Max("ended_at"))
    firms = Organization.objects.filter(
        kind=OrganizationKind.FIRM, verified_at__isnull=False
    ).aggregate(n=Count("id"), certified=Max("certified_at"))
    return CapabilitySetKey(
        caps=f"{caps['n']}-{caps['last']}",
        rest=f"{pilots['n']}-{pilots['last']}-{pilots['ended']}-{firms['n']}-{firms['certified']}",
        matchable=int(caps["n"]),
    )


def matching_capability_stamps() -> dict[int, int]:
    """Last change (microseconds since the epoch) of every capability matching scores."""
    return {
        pk: int(at.timestamp() * 1_000_000)
        for pk, at in _matchable_capabilities().values_list("id", "updated_at").iterator(20000)
    }


def matching_capability_changes(*, since: int) -> dict[int, int | None]:
    """Every capability changed from ``since`` (microseconds since the epoch) on: its stamp
    (as ``matching_capability_stamps``) when matching scores it, None when it does not."""
    at = datetime.fromtimestamp(since / 1_000_000, tz=UTC)
    scored = _matchable_capabilities().filter(pk=OuterRef("pk"))
    rows = (
        Capability.objects.filter(updated_at__gte=at)
        .annotate(scored=Exists(scored))
        .values_list("id", "updated_at", "scored")
    )
    return {pk: int(when.timestamp() * 1_000_000) if ok else None for pk, when, ok in rows}


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# The need stamps' fingerprint: count, sum of stamps, and sum of id × (stamp mod this prime).
NEED_FINGERPRINT_PRIME = 1_000_003


def _micros(at: datetime) -> int:
    """Microseconds since the epoch, exactly (as PostgreSQL's ``extract(epoch …)``)."""
    return (at - _EPOCH) // _MICROSECOND


def matching_need_stamps() -> dict[int, int]:
    """Last change (microseconds since the epoch) of every need matching scores."""
    return {
        pk: _micros(at)
        for pk, at in ScenarioNeed.objects.matchable().order_by().values_list("id", "updated_at")
    }


def matching_need_changes(*, since: int) -> dict[int, int | None]:
    """Every need changed from ``since`` (microseconds since the epoch) on: its stamp (as
    ``matching_need_stamps``) when matching scores it, None when it does not."""
    at = _EPOCH + since * _MICROSECOND
    rows = ScenarioNeed.objects.filter(updated_at__gte=at).order_by()
    return {
        pk: _micros(when) if status in MATCHABLE_NEED_STATUSES else None
        for pk, when, status in rows.values_list("id", "updated_at", "status")
    }


def matching_need_fingerprint() -> tuple[int, int, int] | None:
    """(count, Σ stamp, Σ id × (stamp mod ``NEED_FINGERPRINT_PRIME``)) over the needs
    matching scores, with the stamps of ``matching_need_stamps``: one aggregate that moves
    with any change of the set or of a stamp, also a change committed late or made without
    a new stamp (``QuerySet.update`` of the status). None where the database cannot compute
    it exactly (only PostgreSQL does): the caller reads every stamp then."""
    if connection.vendor != "postgresql":
        return None
    qs = ScenarioNeed.objects.matchable().order_by()
    sql, params = qs.values("id", "updated_at").query.sql_with_params()
    stamped = (
        f"SELECT t.id AS id, (extract(epoch FROM t.updated_at) * 1000000)::bigint AS s "  # noqa: S608 - the ORM's SQL, values bound
        f"FROM ({sql}) t"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), coalesce(sum(s), 0), coalesce(sum(id * (s %% %s)), 0) "
            "FROM (" + stamped + ") f",
            [NEED_FINGERPRINT_PRIME, *params],
        )
        count, total, mixed = cursor.fetchone()
    return int(count), int(total), int(mixed)


def need_stamps_fingerprint(stamps: dict[int, int]) -> tuple[int, int, int]:
    """``matching_need_fingerprint`` of a set of stamps held in memory."""
    prime = NEED_FINGERPRINT_PRIME
    return (
        len(stamps),
        sum(stamps.values()),
        sum(pk * (at % prime) for pk, at in stamps.items()),
    )


def matching_related_org_pairs() -> list[tuple[int, int]]:
    """Declared relations in both directions, as (org, org) pairs for the conflict filter."""
    pairs = list(OrganizationRelation.objects.values_list("from_org_id", "to_org_id"))
    return pairs + [(b, a) for a, b in pairs]


def matching_negative_list() -> tuple[list[str], list[str]]:
    """Active negative-list keywords and chain slugs."""
    keywords: list[str] = []
    chains: list[str] = []
    for kind, keyword, slug in NegativeListEntry.objects.filter(active=True).values_list(
        "kind", "keyword", "chain__slug"
    ):
        if kind == "keyword":
            keywords.append(keyword)
        elif slug:
            chains.append(slug)
    return keywords, chains


def matching_firm_open_pilots() -> dict[int, int]:
    """Running pilots per firm (they use up part of the firm's quota)."""
    rows = (
        Pilot.objects.filter(status=PilotStatus.RUNNING)
        .values("capability__firm_id")
        .annotate(n=Count("id"))
    )
    return {r["capability__firm_id"]: r["n"] for r in rows}


def matching_firm_running_pilots(*, firm_ids: list[int]) -> dict[int, int]:
    """firm id -> how many pilots of its capabilities run (each holds a unit of its quota;
    ``matching_firm_pilot_need_ids`` names them for one firm)."""
    rows = (
        Pilot.objects.filter(status=PilotStatus.RUNNING, capability__firm_id__in=firm_ids)
        .values("capability__firm_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["capability__firm_id"]: row["n"] for row in rows}


def matching_firm_pilot_need_ids(*, firm_id: int) -> list[int]:
    """The needs of the firm's running pilots, one id per pilot (each takes one unit of the
    firm's quota), in pilot order."""
    return list(
        Pilot.objects.filter(status=PilotStatus.RUNNING, capability__firm_id=firm_id)
        .order_by("id")
        .values_list("need_id", flat=True)
    )


def matching_list_keywords() -> list[str]:
    """Distinct keywords used in the published lists (for the analyzer's dictionary)."""
    words: set[str] = set()
    for qs in (ScenarioNeed.objects.matchable(), Capability.objects.public()):
        words.update(_distinct_keywords(qs.order_by()))
    return sorted(w for w in words if 1 < len(w) <= 16)


def _distinct_keywords(qs: QuerySet[Any]) -> set[str]:
    if connection.vendor != "postgresql":
        return {w for kws in qs.values_list("keywords", flat=True) for w in kws}
    # PostgreSQL unnests and deduplicates the arrays: a few thousand words cross the wire
    # instead of every item's JSON list.
    inner, params = qs.values("keywords").query.sql_with_params()
    sql = (
        "SELECT DISTINCT w FROM (" + inner + ") AS items, "  # noqa: S608 - ORM-built SQL
        "jsonb_array_elements_text(CASE WHEN jsonb_typeof(items.keywords) = 'array' "
        "THEN items.keywords ELSE '[]'::jsonb END) AS w"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}
