"""The set-based import (``scenarios.exchange.bulk``): the same stored result as the
row-by-row services, all or nothing, one announcement per file, the operator's command
without the upload limits, progress."""

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from accounts.choices import OrganizationKind
from accounts.models import Organization
from accounts.services.organizations import organization_create
from activity.models import AuditEvent, Notification
from reference.models import Region
from scenarios import events
from scenarios.choices import CapabilityStatus, NeedStatus
from scenarios.exchange import (
    CAPABILITY_COLUMNS,
    capabilities_import,
    needs_import,
    read_limited,
)
from scenarios.models import Capability, ScenarioNeed
from scenarios.services.capabilities import capability_create, capability_submit
from scenarios.services.firms import organization_certify, organization_verify
from scenarios.services.needs import need_create
from tests import factories
from tests.scenarios.test_exchange import (
    NEW_AGENCY,
    NEW_FIRM_CODE,
    as_csv,
    as_json,
    capability_row,
    need_row,
    rejection,
    table_counts,
    where,
)

pytestmark = pytest.mark.django_db

BATCH = "batch-of-the-test"


# --- The row-by-row services, as imports called them before the set-based path ----------


def _org_for(kind: str, key: str, values: dict[str, Any], made: dict[str, Organization]):
    if key in made:
        return made[key]
    found = (
        Organization.objects.filter(kind=OrganizationKind.AGENCY, name=key).first()
        if kind == "need"
        else Organization.objects.filter(credit_code=key).first()
    )
    if found is None:
        region = Region.objects.get(code=values.get("org_region_code") or values["region_code"])
        found = organization_create(
            actor=None,
            kind=OrganizationKind.AGENCY if kind == "need" else OrganizationKind.FIRM,
            name=key if kind == "need" else values["firm_name"],
            region=region,
            credit_code=None if kind == "need" else key,
        )
    made[key] = found
    return found


def _import_audit(actor, kind, item, number, publish, fmt):
    AuditEvent.objects.create(
        actor=actor,
        action=f"{kind}.import",
        target_type=item._meta.label_lower,
        target_id=str(item.pk),
        to_state=item.status,
        reason="批量导入：已在其他渠道审批，作为已发布导入。" if publish else "批量导入为草稿。",
        data={
            "ref": item.ref,
            "batch": BATCH,
            "format": fmt,
            "file": "",
            "row": number,
            "imported_as_published": publish,
        },
    )


def row_by_row_needs(rows, *, actor=None, publish=False):
    made: dict[str, Organization] = {}
    with events.bulk_publishing():
        for number, values in enumerate(rows, start=1):
            agency = _org_for("need", values["org_name"], values, made)
            need = need_create(
                actor=None,
                agency=agency,
                ref=values["ref"],
                status=NeedStatus.PUBLISHED if publish else NeedStatus.DRAFT,
                title=values["title"],
                description=values["description"],
                category=values["category"],
                chains=values["chains"],
                keywords=values["keywords"],
                region=Region.objects.get(code=values["region_code"]),
                validation_type=values["validation_type"],
                min_trl=values["min_trl"],
                budget_cny=values["budget_cny"],
                deadline=values["deadline"],
                is_major=values["is_major"],
            )
            _import_audit(actor, "need", need, number, publish, "json")


def row_by_row_capabilities(rows, *, actor=None, publish=False):
    made: dict[str, Organization] = {}
    with events.bulk_publishing():
        for number, values in enumerate(rows, start=1):
            firm = _org_for("capability", values["firm_credit_code"], values, made)
            cap = capability_create(
                actor=None,
                firm=firm,
                ref=values["ref"],
                title=values["title"],
                description=values["description"],
                chains=values["chains"],
                keywords=values["keywords"],
                region=Region.objects.get(code=values["region_code"]),
                trl=values["trl"],
                certifications=values["certifications"],
                past_cases=values["past_cases"],
                capacity=values["capacity"],
            )
            if publish:
                if not firm.is_verified:
                    firm = organization_verify(
                        actor=actor,
                        organization=firm,
                        reason=f"导入已审批的能力清单时认证（批次 {BATCH}）。",
                    )
                claims_more = not set(values["certifications"]) <= set(firm.verified_certifications)
                if (
                    claims_more
                    or firm.verified_capacity is None
                    or values["capacity"] > firm.verified_capacity
                ):
                    firm = organization_certify(
                        actor=None,
                        organization=firm,
                        certifications=list(values["certifications"]),
                        capacity=values["capacity"],
                        reason=f"导入已审批的能力清单（批次 {BATCH}）。",
                        merge=True,
                    )
                made[values["firm_credit_code"]] = firm
                cap = capability_submit(actor=None, capability=cap)
                assert cap.status == CapabilityStatus.PUBLISHED
            _import_audit(actor, "capability", cap, number, publish, "json")


# --- What is stored, comparable across two runs ------------------------------------------


def _name_of(target_type: str, target_id: str) -> str:
    if target_type == "scenarios.scenarioneed":
        return ScenarioNeed.objects.get(pk=target_id).ref
    if target_type == "scenarios.capability":
        return Capability.objects.get(pk=target_id).ref
    return Organization.objects.get(pk=target_id).name


def _plain(value: Any, batch: str) -> Any:
    return json.loads(json.dumps(value, default=str).replace(batch, "B"))


# The search vector is written in the transaction on the per-row path, after commit (a
# task) on the bulk one: tests/scenarios/test_search_index.py checks both.
ITEM_SKIP = {
    "id",
    "created_at",
    "updated_at",
    "published_at",
    "agency",
    "firm",
    "created_by",
    "search_vector",
}


def stored(since: dict[str, int], batch: str) -> dict[str, Any]:
    """Everything an import wrote after ``since`` (max ids), without ids and times."""
    needs = ScenarioNeed.objects.filter(pk__gt=since["need"]).order_by("ref")
    caps = Capability.objects.filter(pk__gt=since["cap"]).order_by("ref")

    def item(obj):
        values = {
            f.name: getattr(obj, f.attname)
            for f in obj._meta.concrete_fields
            if f.name not in ITEM_SKIP
        }
        owner = obj.agency if isinstance(obj, ScenarioNeed) else obj.firm
        values["owner"] = owner.name
        values["published"] = obj.published_at is not None
        values["chains"] = sorted(c.slug for c in obj.chains.all())
        return _plain(values, batch)

    orgs = Organization.objects.filter(kind__in=["agency", "firm"]).order_by("name")
    audit = AuditEvent.objects.filter(pk__gt=since["audit"])
    notes = Notification.objects.filter(pk__gt=since["note"])
    return {
        "needs": [item(n) for n in needs],
        "capabilities": [item(c) for c in caps],
        "organizations": [
            _plain(
                {
                    "name": o.name,
                    "kind": o.kind,
                    "region": o.region_id,
                    "credit_code": o.credit_code,
                    "verified": o.verified_at is not None,
                    "verified_by": o.verified_by_id,
                    "certifications": o.verified_certifications,
                    "capacity": o.verified_capacity,
                    "certified": o.certified_at is not None,
                },
                batch,
            )
            for o in orgs
        ],
        "audit": sorted(
            (
                _plain(
                    [
                        a.actor_id,
                        a.action,
                        a.target_type,
                        _name_of(a.target_type, a.target_id),
                        a.from_state,
                        a.to_state,
                        a.reason,
                        a.data,
                    ],
                    batch,
                )
                for a in audit
            ),
            key=json.dumps,
        ),
        "notifications": sorted(
            (
                n.user_id,
                n.verb,
                n.message,
                json.dumps(n.params, sort_keys=True),
                _name_of(n.target_type, n.target_id),
            )
            for n in notes
        ),
    }


def high_water() -> dict[str, int]:
    def top(model):
        return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    return {
        "need": top(ScenarioNeed),
        "cap": top(Capability),
        "audit": top(AuditEvent),
        "note": top(Notification),
    }


@pytest.fixture
def announced(monkeypatch):
    """The ``lists_bulk_published`` payloads sent, and any per-item publication event."""
    sent: list[tuple[str, dict[str, Any]]] = []
    for event in events.ALL_EVENTS:
        monkeypatch.setattr(
            event,
            "send_after_commit",
            lambda _e=event, **payload: sent.append((_e.name, payload)),
        )
    return sent


def twice(row_by_row, bulk) -> tuple[dict[str, Any], list, dict[str, Any], list, Any]:
    """Run the row-by-row services, roll back, run the import: what each stored and
    announced."""
    sent: list = []
    for event in events.ALL_EVENTS:
        event.send_after_commit = lambda _e=event, **p: sent.append((_e.name, p))  # type: ignore[method-assign]
    try:
        before = high_water()
        with transaction.atomic():
            row_by_row()
            expected = stored(before, BATCH)
            expected_sent = list(sent)
            transaction.set_rollback(True)
        sent.clear()
        with transaction.atomic():
            result = bulk()
            got = stored(before, result.batch)
            got_sent = list(sent)
            transaction.set_rollback(True)
    finally:
        for event in events.ALL_EVENTS:
            del event.send_after_commit
    return expected, expected_sent, got, got_sent, result


# --- Same result as the services -----------------------------------------------------------


@pytest.mark.parametrize("publish", [False, True])
def test_bulk_needs_store_what_the_services_store(agency, publish):
    # given: rows of an existing agency (with an editor to notify) and of a new one
    editor = factories.member(agency, "agency_editor")
    rows = [
        need_row(ref="BLK-N-1", org_name=agency.name),
        need_row(ref="BLK-N-2", org_name=NEW_AGENCY, chains=["digital-city", "llm-digital-human"]),
        need_row(ref="BLK-N-3", org_name=agency.name, budget_cny=None, deadline=None),
    ]
    for row in rows:
        row["org_region_code"] = "360102"

    # when
    expected, expected_sent, got, got_sent, result = twice(
        lambda: row_by_row_needs(rows, publish=publish),
        lambda: needs_import(actor=None, rows=rows, publish=publish),
    )

    # then: the same needs, links, organizations, audit rows, notifications and events
    assert result.created == 3
    assert got == expected
    assert got_sent == expected_sent
    if publish:
        assert got_sent == [
            ("lists_bulk_published", {"needs": 3, "capabilities": 0, "negative_list_entries": 0})
        ]
        assert {n[0] for n in got["notifications"]} == {editor.pk}
    assert len(got["audit"]) == 1 + 3 * 2  # the new agency; each need's create and import


@pytest.mark.parametrize("publish", [False, True])
def test_bulk_capabilities_store_what_the_services_store(platform_admin, publish):
    # given: an unverified firm with a member and a capability waiting for its verification,
    # a new firm whose rows claim more certifications and capacity row after row
    waiting_firm = factories.FirmFactory.create(
        verified_at=None, region=Region.objects.get(code="360102")
    )
    factories.member(waiting_firm, "firm_editor")
    waiting = capability_create(
        actor=None,
        firm=waiting_firm,
        ref="BLK-WAIT",
        title="早先提交的能力",
        description="企业认证前提交，等待认证后发布。",
        chains=["digital-city"],
        keywords=[],
        region=waiting_firm.region,
        trl=6,
    )
    capability_submit(actor=None, capability=waiting)
    rows = [
        capability_row(ref="BLK-C-1", certifications=[], capacity=1),
        capability_row(ref="BLK-C-2", certifications=["high_tech"], capacity=1),
        capability_row(
            ref="BLK-C-3",
            firm_credit_code=waiting_firm.credit_code,
            firm_name=waiting_firm.name,
            region_code="360102",
            title="另一项能力",
        ),
        capability_row(ref="BLK-C-4", certifications=["specialized_sme"], capacity=3),
    ]

    # when
    expected, expected_sent, got, got_sent, result = twice(
        lambda: row_by_row_capabilities(rows, actor=platform_admin, publish=publish),
        lambda: capabilities_import(actor=platform_admin, rows=rows, publish=publish),
    )

    # then
    assert result.created == 4
    assert got == expected
    assert sorted(got_sent, key=str) == sorted(expected_sent, key=str)
    if publish:
        # one announcement (one matching run) for the file, the waiting capability counted
        assert got_sent == [
            ("lists_bulk_published", {"needs": 0, "capabilities": 5, "negative_list_entries": 0})
        ]
        assert {c["status"] for c in got["capabilities"]} == {"published"}
        assert [c["version"] for c in got["capabilities"]] == [3, 3, 3, 3]
        # the capability that waited for its firm's verification is published with it
        assert ["capability.publish", "BLK-WAIT"] in [a[1:4:2] for a in got["audit"]]
        certify = [a for a in got["audit"] if a[1] == "organization.certify"]
        assert len(certify) == 4  # the new firm three times, the waiting firm once


# --- All or nothing ----------------------------------------------------------------------


def test_a_bad_row_among_good_ones_writes_nothing_and_names_row_and_field(announced):
    # given: 50 good rows and, in their middle, two with keywords the need service refuses
    # (a tab, a line break: the reader lets them through)
    rows = [need_row(ref=f"BLK-N-{n}") for n in range(50)]
    rows[20]["keywords"] = ["机器\t视觉"]
    rows[31]["keywords"] = ["换行\n关键词"]
    before = table_counts()

    # when
    exc = rejection(lambda: needs_import(actor=None, rows=rows, publish=True))

    # then
    assert where(exc) == [(21, "keywords"), (32, "keywords")]
    assert table_counts() == before
    assert announced == []


def test_duplicate_refs_in_the_file_and_refs_already_stored_are_row_errors(agency):
    # given
    needs_import(actor=None, rows=[need_row(ref="BLK-OLD", org_name=agency.name)])
    rows = [
        need_row(ref="BLK-A", org_name=agency.name),
        need_row(ref="BLK-A", org_name=agency.name),
        need_row(ref="BLK-OLD", org_name=agency.name),
    ]
    before = table_counts()

    # when
    exc = rejection(lambda: needs_import(actor=None, rows=rows))

    # then
    assert where(exc) == [(2, "ref"), (3, "ref")]
    assert "第 1 行" in exc.errors[0].reason
    assert "已存在" in exc.errors[1].reason
    assert table_counts() == before


@pytest.mark.parametrize("update", [False, True])
def test_refs_that_only_look_like_stored_or_other_rows_refs_are_row_errors(agency, update):
    """Another case or full-width forms: a reader takes them for one item, and an update by
    ref would create a second item instead of changing the stored one."""
    needs_import(actor=None, rows=[need_row(ref="BLK-STORED-1", org_name=agency.name)])
    rows = [
        need_row(ref="blk-stored-1", org_name=agency.name),
        need_row(ref="ＢＬＫ－ＮＥＷ－１", org_name=agency.name),
        need_row(ref="BLK-NEW-1", org_name=agency.name),
    ]
    before = table_counts()

    exc = rejection(lambda: needs_import(actor=None, rows=rows, update=update))

    assert where(exc) == [(1, "ref"), (3, "ref")]
    assert "BLK-STORED-1" in exc.errors[0].reason
    assert "第 2 行" in exc.errors[1].reason
    assert table_counts() == before


def test_blank_refs_are_generated_unique_across_a_large_file():
    # given: 300 rows without refs
    rows = [need_row(ref="") for _ in range(300)]

    # when
    result = needs_import(actor=None, rows=rows)

    # then
    assert len(set(result.refs)) == 300
    assert all(ref.startswith("N-") for ref in result.refs)
    assert ScenarioNeed.objects.filter(ref__in=result.refs).count() == 300


def test_a_hostile_file_is_refused_whole():
    # given: a formula (stored as text, never run), a huge cell, a wrong type, a control
    # character, in a CSV beside a good row
    rows = [
        need_row(ref="BLK-OK", title='=HYPERLINK("http://evil")'),
        need_row(ref="BLK-BIG", description="长" * 6_000),
        need_row(ref="BLK-TYPE", min_trl="九"),
        need_row(ref="BLK-CTRL", title="标题\x07响铃"),
    ]
    before = table_counts()

    # when
    exc = rejection(lambda: needs_import(actor=None, data=as_csv(rows), fmt="csv"))

    # then
    assert where(exc) == [(3, "description"), (4, "min_trl"), (5, "title")]
    assert table_counts() == before
    # a cell beyond what any CSV reader holds is the file's error
    rows[1]["description"] = "长" * 200_000
    assert (
        "单元格过长"
        in rejection(lambda: needs_import(actor=None, data=as_csv(rows[:2]), fmt="csv"))
        .errors[0]
        .reason
    )
    # and alone, the formula-like title is stored as the text it is
    needs_import(actor=None, data=as_csv(rows[:1]), fmt="csv")
    assert ScenarioNeed.objects.get(ref="BLK-OK").title == '=HYPERLINK("http://evil")'


def test_publish_refuses_a_row_of_a_suspended_firm(firm):
    # given
    firm.suspended_at = firm.verified_at
    firm.suspension_reason = "整改"
    firm.save()
    rows = [
        capability_row(
            ref="BLK-S",
            firm_credit_code=firm.credit_code,
            firm_name=firm.name,
            region_code="360102",
        )
    ]
    before = table_counts()

    # when
    exc = rejection(lambda: capabilities_import(actor=None, rows=rows, publish=True))

    # then: what capability_submit says, on that row
    assert where(exc) == [(1, "")]
    assert "暂停" in exc.errors[0].reason
    assert table_counts() == before


# --- The operator's command, progress ------------------------------------------------------


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_the_command_takes_a_file_over_the_upload_limits_unless_given_a_ceiling(settings, tmp_path):
    # given: upload limits of 2 rows and 1 KiB, and a 12-row file of about 4 KiB
    settings.EXCHANGE_MAX_ROWS = 2
    settings.EXCHANGE_MAX_BYTES = 1024
    rows = [capability_row(ref=f"BLK-C-{n}") for n in range(12)]
    data = as_csv(rows, CAPABILITY_COLUMNS)
    path = write(tmp_path, "caps.csv", data)
    assert len(data) > 2 * settings.EXCHANGE_MAX_BYTES

    # when: the API's import refuses it, the command with a ceiling too
    refused = rejection(lambda: capabilities_import(actor=None, data=data, fmt="csv"))
    with pytest.raises(CommandError, match="上限"):
        call_command("import_capabilities", str(path), "--max-rows", "5", stdout=io.StringIO())
    with pytest.raises(CommandError, match="过大"):
        call_command("import_capabilities", str(path), "--max-bytes", "2048", stdout=io.StringIO())
    assert Capability.objects.count() == 0
    out = io.StringIO()
    call_command("import_capabilities", str(path), "--publish", stdout=out)

    # then
    assert "过大" in refused.errors[0].reason
    assert "已导入 12 条场景能力（已发布）" in out.getvalue()
    assert Capability.objects.filter(status="published").count() == 12


def test_the_command_refuses_a_ceiling_that_is_not_positive(tmp_path):
    path = write(tmp_path, "needs.json", as_json([need_row()]))
    with pytest.raises(CommandError, match="正整数"):
        call_command("import_needs", str(path), "--max-rows", "0")


def test_progress_runs_from_zero_to_every_row():
    # given
    rows = [need_row(ref=f"BLK-P-{n}") for n in range(30)]
    seen: list[tuple[int, int]] = []

    # when
    needs_import(actor=None, rows=rows, progress=lambda done, total: seen.append((done, total)))

    # then
    assert seen[0] == (0, 30)
    assert seen[-1] == (30, 30)
    assert [d for d, _t in seen] == sorted(d for d, _t in seen)


def test_the_command_draws_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path):
    path = write(tmp_path, "needs.json", as_json([need_row()]))
    err = io.StringIO()
    call_command("import_needs", str(path), stdout=io.StringIO(), stderr=err)
    assert err.getvalue() == ""
    assert ScenarioNeed.objects.filter(ref="IMP-N-001").exists()


def test_a_new_firm_of_the_file_is_created_once_with_its_audit_row():
    rows = [capability_row(ref=f"BLK-F-{n}") for n in range(3)]
    result = capabilities_import(actor=None, rows=rows)
    firm = Organization.objects.get(credit_code=NEW_FIRM_CODE)
    assert result.organizations_created == [firm.name]
    created = AuditEvent.objects.filter(action="organization.create", target_id=str(firm.pk))
    assert created.count() == 1


@pytest.mark.parametrize(
    ("size", "limit", "read"),
    [(5, 10, 5), (10, 10, 10), (25, 10, 11), (3, 2**62, 3)],
)
def test_read_limited_reads_to_the_end_or_one_byte_past_the_limit(size, limit, read):
    # a limit far above the file (the operator's) allocates only what the file holds
    assert len(read_limited(io.BytesIO(b"x" * size), limit=limit)) == read


# --- Concurrent writers (PostgreSQL: another connection commits while a file imports) -----


def _meanwhile(monkeypatch, change) -> None:
    """Run ``change`` in another thread (its own connection, committed) just before the
    import locks its firms: what a committee does while a large file is being checked."""
    import threading

    from django.db import connections

    from scenarios.exchange import bulk

    real = bulk._lock_stored_firms

    def late(drafts, orgs):
        def work():
            try:
                change()
            finally:
                connections.close_all()

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        real(drafts, orgs)

    monkeypatch.setattr(bulk, "_lock_stored_firms", late)


@pytest.mark.django_db(transaction=True)
def test_a_committees_revocation_meanwhile_is_kept_not_overwritten(monkeypatch, reference):
    # given: a verified firm holding high_tech and capacity 5, stored before the import
    firm = factories.FirmFactory.create(region=Region.objects.get(code="360102"))
    Organization.objects.filter(pk=firm.pk).update(
        verified_certifications=["high_tech"], verified_capacity=5
    )
    _meanwhile(
        monkeypatch,
        lambda: Organization.objects.filter(pk=firm.pk).update(
            verified_certifications=[], verified_capacity=1
        ),
    )
    rows = [
        capability_row(
            ref="BLK-RACE-1",
            firm_credit_code=firm.credit_code,
            firm_name=firm.name,
            region_code="360102",
            certifications=["specialized_sme"],
            capacity=3,
        )
    ]

    # when: the file claims specialized_sme and capacity 3 while the committee revokes
    capabilities_import(actor=None, rows=rows, publish=True)

    # then: the file's claims are added to what the firm holds now, not to the stale copy
    firm.refresh_from_db()
    assert firm.verified_certifications == ["specialized_sme"]
    assert firm.verified_capacity == 3
    last = AuditEvent.objects.filter(action="organization.certify", target_id=str(firm.pk)).latest(
        "id"
    )
    assert last.data["before"] == {"certifications": [], "capacity": 1}


@pytest.mark.django_db(transaction=True)
def test_a_firm_the_file_does_not_change_is_not_written_back(monkeypatch, reference):
    firm = factories.FirmFactory.create(region=Region.objects.get(code="360102"))
    Organization.objects.filter(pk=firm.pk).update(
        verified_certifications=["high_tech"], verified_capacity=5
    )
    _meanwhile(
        monkeypatch,
        lambda: Organization.objects.filter(pk=firm.pk).update(verified_capacity=9),
    )
    rows = [
        capability_row(
            ref="BLK-RACE-2",
            firm_credit_code=firm.credit_code,
            firm_name=firm.name,
            region_code="360102",
            certifications=[],
            capacity=1,
        )
    ]

    capabilities_import(actor=None, rows=rows, publish=True)

    firm.refresh_from_db()
    assert (firm.verified_certifications, firm.verified_capacity) == (["high_tech"], 9)


@pytest.mark.django_db(transaction=True)
def test_a_suspension_meanwhile_stops_the_firms_rows_from_publishing(monkeypatch, reference):
    firm = factories.FirmFactory.create(region=Region.objects.get(code="360102"))
    _meanwhile(
        monkeypatch,
        lambda: Organization.objects.filter(pk=firm.pk).update(
            suspended_at=firm.verified_at, suspension_reason="整改"
        ),
    )
    rows = [
        capability_row(
            ref="BLK-RACE-3",
            firm_credit_code=firm.credit_code,
            firm_name=firm.name,
            region_code="360102",
        )
    ]

    exc = rejection(lambda: capabilities_import(actor=None, rows=rows, publish=True))

    assert "暂停" in exc.errors[0].reason
    assert not Capability.objects.filter(ref="BLK-RACE-3").exists()


def test_a_duplicate_key_during_copy_is_djangos_integrity_error():
    from django.db import IntegrityError, connection

    from scenarios.exchange import bulk_writes

    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    firm = factories.FirmFactory.create()

    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_writes.copy_rows(
            Organization,
            ("name", "kind", "credit_code", "region_id"),
            [("另一家", firm.kind, firm.credit_code, firm.region_id)],
        )


def test_the_command_lists_the_first_errors_and_names_a_file_problem_once(settings, tmp_path):
    settings.EXCHANGE_MAX_ERRORS = 2
    rows = [capability_row(ref=f"BLK-E-{n}", trl=99) for n in range(5)]
    path = write(tmp_path, "caps.csv", as_csv(rows, CAPABILITY_COLUMNS))
    gbk = write(tmp_path, "gbk.csv", "编号,标题\n".encode("gbk"))

    with pytest.raises(CommandError) as many:
        call_command("import_capabilities", str(path))
    with pytest.raises(CommandError) as one:
        call_command("import_capabilities", str(gbk))

    lines = str(many.value).splitlines()
    assert lines[0].startswith("导入失败：发现 5 处错误")
    assert len(lines) == 4
    assert lines[-1] == "另有 3 处错误未列出。"
    assert len(str(one.value).splitlines()) == 1
    assert "UTF-8" in str(one.value)


def test_the_summary_names_the_first_new_firms_and_counts_the_rest(tmp_path):
    rows = [
        capability_row(
            ref=f"BLK-F-{n}",
            firm_name=f"新企业{n:02d}科技有限公司",
            firm_credit_code=factories.credit_code_for(900_000 + n),
        )
        for n in range(25)
    ]
    path = write(tmp_path, "caps.json", as_json(rows))
    out = io.StringIO()

    call_command("import_capabilities", str(path), stdout=out)

    assert "新建组织 25 个：" in out.getvalue()
    assert "新企业19科技有限公司" in out.getvalue()
    assert "新企业20科技有限公司" not in out.getvalue()
    assert "等（另有 5 个）" in out.getvalue()
