"""Updates by ref: export, edit in a spreadsheet, import with ``update``. Unchanged rows
change nothing; an edited cell lands as one new version and one audit row through the same
services as a page's edit; a published item, another organization's item, or an item the
caller may not edit is a row error, and the file stays all or nothing."""

import csv
import dataclasses
import datetime as dt
import io
import json

import openpyxl
import pytest
from django.core.management import call_command

from accounts.models import Organization
from activity.models import AuditEvent
from core.errors import ActorNotAllowed
from scenarios.exchange import (
    ImportRejected,
    capabilities_export,
    capabilities_import,
    capability_exchange_record,
    capability_own_list_export,
    importing,
    need_exchange_record,
    need_own_list_export,
    needs_import,
    opportunity_list_export,
)
from scenarios.models import Capability, ScenarioNeed
from scenarios.services.capabilities import capability_submit, capability_withdraw
from scenarios.services.needs import need_update
from tests import factories
from tests.scenarios.helpers import make_capability, make_need
from tests.scenarios.test_exchange import capability_row, need_row, where

pytestmark = pytest.mark.django_db

FORMATS = ["json", "csv", "xlsx"]


@pytest.fixture
def agency_needs(agency):
    """The agency's needs in the states an export holds, with awkward values."""
    return {
        "draft": make_need(
            agency,
            ref="UPD-N-DRAFT",
            title="=1+2 智慧排水",
            description='第一行\r\n第二行，含逗号,和"引号"',
            keywords=["-1+1", "@SUM(A1)", "物联网"],
            chains=["digital-city", "low-altitude"],
            deadline=dt.date(2027, 6, 30),
            is_major=True,
        ),
        "plain": make_need(agency, ref="UPD-N-PLAIN", budget_cny=None),
        "published": make_need(agency, ref="UPD-N-PUB", status="published"),
    }


@pytest.fixture
def firm_capabilities(firm):
    published = capability_submit(
        actor=None,
        capability=make_capability(firm, ref="UPD-C-PUB", certifications=["high_tech"]),
    )
    return {
        "draft": make_capability(
            firm,
            ref="UPD-C-DRAFT",
            title="+招标=中标",
            certifications=["specialized_sme", "first_of_kind"],
            past_cases=["=A1", "项目二"],
        ),
        "published": published,
    }


def snapshot(model):
    """Every item's version, status and exchange values, and the number of audit rows."""
    record = need_exchange_record if model is ScenarioNeed else capability_exchange_record

    def values(item):
        values = {**record(item), "chains": sorted(record(item)["chains"])}
        del values["version"]  # the first element
        return values

    items = {
        item.ref: (item.version, item.status, values(item))
        for item in model.objects.prefetch_related("chains").select_related(
            "agency" if model is ScenarioNeed else "firm"
        )
    }
    return items, AuditEvent.objects.count()


def edited(content, fmt, *, ref, field, header, value):
    """The exported file with one cell changed, as a person would in a spreadsheet."""
    if fmt == "json":
        records = json.loads(content)
        next(r for r in records if r["ref"] == ref)[field] = value
        return json.dumps(records, ensure_ascii=False).encode()
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        column = rows[0].index(field)
        next(r for r in rows if r[0] == ref)[column] = str(value)
        text = io.StringIO()
        csv.writer(text).writerows(rows)
        return ("\ufeff" + text.getvalue()).encode()
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    column = [c.value for c in sheet[1]].index(header) + 1
    row = next(r[0].row for r in sheet.iter_rows(min_row=2) if r[0].value == ref)
    sheet.cell(row=row, column=column, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- The round trip -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_needs_export_then_import_with_update_changes_nothing_then_one_edit_lands(
    agency_needs, agency_user, fmt
):
    # given: the agency's own list, exported
    export = need_own_list_export(user=agency_user, fmt=fmt)
    before, audits = snapshot(ScenarioNeed)

    # when: it is imported back unedited
    result = needs_import(actor=agency_user, data=export.content, fmt=fmt, update=True)

    # then: nothing changed, not even a version
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert snapshot(ScenarioNeed) == (before, audits)

    # when: one cell of the draft is edited and the file imported again
    data = edited(
        export.content, fmt, ref="UPD-N-PLAIN", field="min_trl", header="最低技术成熟度", value=7
    )
    result = needs_import(actor=agency_user, data=data, fmt=fmt, update=True)

    # then: exactly that change, one version, one audit row naming the import
    after, audits_after = snapshot(ScenarioNeed)
    version, status, values = before["UPD-N-PLAIN"]
    assert after["UPD-N-PLAIN"] == (version + 1, status, {**values, "min_trl": 7})
    assert {ref: v for ref, v in after.items() if ref != "UPD-N-PLAIN"} == {
        ref: v for ref, v in before.items() if ref != "UPD-N-PLAIN"
    }
    assert (result.updated_refs, result.unchanged) == (["UPD-N-PLAIN"], 2)
    assert audits_after == audits + 1
    audit = AuditEvent.objects.latest("id")
    assert (audit.action, audit.actor, audit.data["after"]) == (
        "need.update",
        agency_user,
        {"min_trl": 7},
    )
    assert audit.data["import"] == {
        "batch": result.batch,
        "format": fmt,
        "file": "",
        "row": audit.data["import"]["row"],
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_capabilities_export_then_import_with_update_changes_nothing_then_one_edit_lands(
    firm_capabilities, firm_user, fmt
):
    # given
    export = capability_own_list_export(user=firm_user, fmt=fmt)
    before, audits = snapshot(Capability)

    # when
    result = capabilities_import(actor=firm_user, data=export.content, fmt=fmt, update=True)

    # then
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert snapshot(Capability) == (before, audits)

    # when: the draft's capacity is edited
    data = edited(
        export.content, fmt, ref="UPD-C-DRAFT", field="capacity", header="可同时承接试点数", value=4
    )
    capabilities_import(actor=firm_user, data=data, fmt=fmt, update=True)

    # then
    after, audits_after = snapshot(Capability)
    version, status, values = before["UPD-C-DRAFT"]
    assert after["UPD-C-DRAFT"] == (version + 1, status, {**values, "capacity": 4})
    assert after["UPD-C-PUB"] == before["UPD-C-PUB"]
    assert audits_after == audits + 1
    audit = AuditEvent.objects.latest("id")
    assert (audit.action, audit.data["fields"]) == ("capability.update", ["capacity"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_public_lists_round_trip_for_the_province(
    agency_needs, firm_capabilities, province_reviewer, fmt
):
    # given: what the anonymous exports give, imported back by a province member
    needs, capabilities = opportunity_list_export(fmt=fmt), capabilities_export(fmt=fmt)
    before = (snapshot(ScenarioNeed), snapshot(Capability))

    # when
    n = needs_import(actor=province_reviewer, data=needs.content, fmt=fmt, update=True)
    c = capabilities_import(
        actor=province_reviewer, data=capabilities.content, fmt=fmt, update=True
    )

    # then
    assert (n.unchanged, c.unchanged) == (1, 1)
    assert (snapshot(ScenarioNeed), snapshot(Capability)) == before


# --- What a row may not change --------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_edited_published_need_is_a_row_error_naming_each_field(agency_needs, agency_user, fmt):
    # given: two cells of the published need edited, one of the draft
    export = need_own_list_export(user=agency_user, fmt=fmt)
    data = edited(
        export.content, fmt, ref="UPD-N-PUB", field="title", header="场景名称", value="改名"
    )
    data = edited(data, fmt, ref="UPD-N-PUB", field="min_trl", header="最低技术成熟度", value=8)
    data = edited(data, fmt, ref="UPD-N-PLAIN", field="min_trl", header="最低技术成熟度", value=8)
    before = snapshot(ScenarioNeed)

    # when
    with pytest.raises(ImportRejected) as excinfo:
        needs_import(actor=agency_user, data=data, fmt=fmt, update=True)

    # then: the published need's row names both fields; nothing was written, the draft neither
    errors = excinfo.value.errors
    assert {e.field for e in errors} == {"title", "min_trl"}
    assert len({e.row for e in errors}) == 1
    assert "已发布" in errors[0].reason
    assert snapshot(ScenarioNeed) == before


def test_an_edited_published_capability_must_be_withdrawn_first(firm_capabilities, firm_user):
    # given
    row = {**capability_exchange_record(firm_capabilities["published"]), "trl": 9}

    # when: imported while published, then after withdrawing (and exporting) it again
    with pytest.raises(ImportRejected) as excinfo:
        capabilities_import(actor=firm_user, rows=[row], update=True)
    withdrawn = capability_withdraw(actor=firm_user, capability=firm_capabilities["published"])
    row = {**capability_exchange_record(withdrawn), "trl": 9}
    result = capabilities_import(actor=firm_user, rows=[row], update=True)

    # then
    assert where(excinfo.value) == [(1, "trl")]
    assert "先撤回" in excinfo.value.errors[0].reason
    assert result.updated_refs == ["UPD-C-PUB"]
    assert Capability.objects.get(ref="UPD-C-PUB").trl == 9


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_exported_before_a_later_edit_does_not_undo_it(agency_needs, agency_user, fmt):
    # given: the list exported, then the draft's title edited on its page
    export = need_own_list_export(user=agency_user, fmt=fmt)
    need_update(
        actor=agency_user, need=agency_needs["plain"], expected_version=1, title="页面上改的标题"
    )
    data = edited(
        export.content, fmt, ref="UPD-N-PLAIN", field="min_trl", header="最低技术成熟度", value=7
    )
    before = snapshot(ScenarioNeed)

    # when: the older file, with another cell edited, comes back
    with pytest.raises(ImportRejected) as excinfo:
        needs_import(actor=agency_user, data=data, fmt=fmt, update=True)

    # then: refused on the row's version; the page's edit stands
    assert [e.field for e in excinfo.value.errors] == ["version"]
    assert "导出后已被修改（当前版本 2，文件中为 1）" in excinfo.value.errors[0].reason
    assert snapshot(ScenarioNeed) == before


def test_a_row_naming_a_version_never_issued_says_it_does_not_exist(agency_needs, platform_admin):
    # given: a row claiming version 99 of a need at version 1
    row = {**need_exchange_record(agency_needs["plain"]), "min_trl": 7, "version": 99}

    # when
    with pytest.raises(ImportRejected) as excinfo:
        needs_import(actor=platform_admin, rows=[row], update=True)

    # then: not "modified since the export", which it never was
    assert [e.field for e in excinfo.value.errors] == ["version"]
    assert "没有版本 99（当前为第 1 版）" in excinfo.value.errors[0].reason
    assert ScenarioNeed.objects.get(ref="UPD-N-PLAIN").min_trl != 7


def test_a_row_without_a_version_updates_whatever_the_version(agency_needs, platform_admin):
    # given: a file from another system, which knows nothing of versions
    agency_needs["plain"].refresh_from_db()
    need_update(actor=platform_admin, need=agency_needs["plain"], expected_version=None, min_trl=6)
    row = {**need_exchange_record(agency_needs["plain"]), "min_trl": 7, "version": None}

    # when
    result = needs_import(actor=platform_admin, rows=[row], update=True)

    # then
    assert result.updated_refs == ["UPD-N-PLAIN"]
    assert ScenarioNeed.objects.get(ref="UPD-N-PLAIN").min_trl == 7


def test_without_update_a_stored_ref_stays_an_error(agency_needs, platform_admin):
    row = {**need_exchange_record(agency_needs["plain"]), "min_trl": 7}

    with pytest.raises(ImportRejected) as excinfo:
        needs_import(actor=platform_admin, rows=[row])

    assert where(excinfo.value) == [(1, "ref")]
    assert "编号已存在" in excinfo.value.errors[0].reason
    assert ScenarioNeed.objects.get(ref="UPD-N-PLAIN").min_trl == 5


def test_a_ref_of_another_agency_is_a_row_error_never_an_update(
    agency, agency_needs, platform_admin
):
    # given: a row that names another agency for the agency's draft's ref
    other = factories.AgencyFactory.create(region=agency.region)
    row = {**need_exchange_record(agency_needs["plain"]), "org_name": other.name, "min_trl": 7}

    # when
    with pytest.raises(ImportRejected) as excinfo:
        needs_import(actor=platform_admin, rows=[row], update=True)

    # then
    assert where(excinfo.value) == [(1, "ref")]
    assert "是其他发布单位的需求" in excinfo.value.errors[0].reason
    assert ScenarioNeed.objects.get(ref="UPD-N-PLAIN").min_trl == 5


def test_a_ref_of_another_firm_is_a_row_error_never_an_update(firm, firm_capabilities):
    other = factories.FirmFactory.create(region=firm.region)
    row = {
        **capability_exchange_record(firm_capabilities["draft"]),
        "firm_credit_code": other.credit_code,
        "trl": 9,
    }

    with pytest.raises(ImportRejected) as excinfo:
        capabilities_import(actor=None, rows=[row], update=True)

    assert where(excinfo.value) == [(1, "ref")]
    assert Capability.objects.get(ref="UPD-C-DRAFT").trl == 7


def test_an_agency_editor_may_not_update_another_agencys_need(agency, agency_needs):
    # given: an editor of another agency, and a row naming our agency's draft
    other = factories.AgencyFactory.create(region=agency.region)
    outsider = factories.member(other, "agency_editor")
    row = {**need_exchange_record(agency_needs["plain"]), "min_trl": 7}

    # when
    with pytest.raises(ImportRejected) as excinfo:
        needs_import(actor=outsider, rows=[row], update=True)

    # then: the row names an agency the caller does not edit for
    assert where(excinfo.value) == [(1, "org_name")]
    assert ScenarioNeed.objects.get(ref="UPD-N-PLAIN").min_trl == 5


def test_a_ref_another_agency_holds_is_taken_not_an_update_to_offer(agency, agency_needs):
    """Another agency's file reuses our draft's ref: the row is told the ref is taken, not
    to tick "update by ref" (which could never let it change our draft)."""
    other = factories.AgencyFactory.create(region=agency.region)
    outsider = factories.member(other, "agency_editor")
    row = {**need_exchange_record(agency_needs["plain"]), "org_name": other.name}

    with pytest.raises(ImportRejected) as excinfo:
        needs_import(actor=outsider, rows=[row])

    assert where(excinfo.value) == [(1, "ref")]
    reason = excinfo.value.errors[0].reason
    assert "已被平台上的其他条目使用" in reason
    assert "按编号更新" not in reason


def test_a_province_member_updates_any_agencys_draft(agency_needs, province_reviewer):
    row = {**need_exchange_record(agency_needs["plain"]), "title": "省里改过的标题"}

    result = needs_import(actor=province_reviewer, rows=[row], update=True)

    assert result.updated_refs == ["UPD-N-PLAIN"]
    audit = AuditEvent.objects.get(action="need.update")
    assert (audit.actor, audit.data["after"]) == (province_reviewer, {"title": "省里改过的标题"})


@pytest.mark.parametrize("who", ["county_reviewer", "firm_user"])
def test_update_by_roles_that_do_not_import_needs_is_refused(request, agency_needs, who):
    row = {**need_exchange_record(agency_needs["plain"]), "min_trl": 7}

    with pytest.raises(ActorNotAllowed):
        needs_import(actor=request.getfixturevalue(who), rows=[row], update=True)

    assert ScenarioNeed.objects.get(ref="UPD-N-PLAIN").min_trl == 5


# --- Mixed files, all or nothing ------------------------------------------------------


def test_a_file_creates_updates_and_leaves_alone_at_once(agency, agency_needs, agency_user):
    # given: an edited draft, an unchanged one, a new need of the agency
    rows = [
        {**need_exchange_record(agency_needs["draft"]), "keywords": ["物联网"]},
        need_exchange_record(agency_needs["plain"]),
        need_row(ref="UPD-N-NEW", org_name=agency.name),
    ]

    # when
    result = needs_import(actor=agency_user, rows=rows, update=True)

    # then
    assert (result.refs, result.updated_refs, result.unchanged) == (
        ["UPD-N-NEW"],
        ["UPD-N-DRAFT"],
        1,
    )
    assert ScenarioNeed.objects.get(ref="UPD-N-DRAFT").keywords == ["物联网"]
    assert ScenarioNeed.objects.get(ref="UPD-N-NEW").status == "draft"


def test_one_bad_row_keeps_every_update_out(agency_needs, agency_user):
    # given: a good edit and a row with a bad value
    rows = [
        {**need_exchange_record(agency_needs["draft"]), "title": "新标题"},
        {**need_exchange_record(agency_needs["plain"]), "min_trl": 12},
    ]
    before = snapshot(ScenarioNeed)

    # when
    with pytest.raises(ImportRejected) as excinfo:
        needs_import(actor=agency_user, rows=rows, update=True)

    # then
    assert where(excinfo.value) == [(2, "min_trl")]
    assert snapshot(ScenarioNeed) == before


def test_a_dry_run_counts_the_updates_and_writes_nothing(agency_needs, agency_user):
    rows = [{**need_exchange_record(agency_needs["plain"]), "min_trl": 7}]
    before = snapshot(ScenarioNeed)

    result = needs_import(actor=agency_user, rows=rows, update=True, dry_run=True)

    assert (result.updated, result.dry_run) == (1, True)
    assert snapshot(ScenarioNeed) == before


def test_an_edit_made_after_the_check_is_not_overwritten(agency_needs, agency_user, monkeypatch):
    # given: someone saves the need between the file's check and its write
    row = {**need_exchange_record(agency_needs["plain"]), "min_trl": 7}
    plan = importing.NEEDS.plan

    def plan_then_edit(rows, limits, options):
        result = plan(rows, limits, options)
        need_update(
            actor=agency_user, need=agency_needs["plain"], expected_version=None, title="同时"
        )
        return result

    monkeypatch.setattr(
        importing, "NEEDS", dataclasses.replace(importing.NEEDS, plan=plan_then_edit)
    )

    # when
    with pytest.raises(ImportRejected) as excinfo:
        needs_import(actor=agency_user, rows=[row], update=True)

    # then: a stale version, reported on the row; the other edit stays
    assert where(excinfo.value) == [(1, "")]
    assert "已在别处被修改" in excinfo.value.errors[0].reason
    need = ScenarioNeed.objects.get(ref="UPD-N-PLAIN")
    assert (need.title, need.min_trl) == ("同时", 5)


# --- Publishing and updating ----------------------------------------------------------


def test_publish_with_update_creates_published_and_leaves_published_items(agency_needs):
    rows = [
        need_exchange_record(agency_needs["published"]),
        need_row(ref="UPD-N-NEW", org_name=agency_needs["published"].agency.name),
    ]

    result = needs_import(actor=None, rows=rows, update=True, publish=True)

    assert (result.refs, result.unchanged) == (["UPD-N-NEW"], 1)
    assert ScenarioNeed.objects.get(ref="UPD-N-NEW").status == "published"


def test_publish_with_update_never_publishes_a_stored_draft(agency_needs):
    rows = [need_exchange_record(agency_needs["plain"])]

    with pytest.raises(ImportRejected) as excinfo:
        needs_import(actor=None, rows=rows, update=True, publish=True)

    assert where(excinfo.value) == [(1, "ref")]
    assert ScenarioNeed.objects.get(ref="UPD-N-PLAIN").status == "draft"


# --- Editors import their own organization's rows -------------------------------------


def test_an_agency_editor_imports_new_needs_of_its_agency(agency, agency_user):
    result = needs_import(actor=agency_user, rows=[need_row(org_name=agency.name)])

    assert result.refs == ["IMP-N-001"]
    assert ScenarioNeed.objects.get(ref="IMP-N-001").agency == agency


def test_an_agency_editor_creates_no_agency(agency_user):
    before = Organization.objects.count()

    with pytest.raises(ImportRejected) as excinfo:
        needs_import(actor=agency_user, rows=[need_row()])  # names a new agency

    assert where(excinfo.value) == [(1, "org_name")]
    assert "只能导入本单位" in excinfo.value.errors[0].reason
    assert Organization.objects.count() == before


def test_a_firm_editor_imports_its_own_capabilities_only(firm, firm_user):
    own = capability_row(
        firm_name=firm.name, firm_credit_code=firm.credit_code, region_code=firm.region_id
    )
    other = factories.FirmFactory.create(region=firm.region)
    foreign = capability_row(
        ref="IMP-C-002",
        firm_name=other.name,
        firm_credit_code=other.credit_code,
        region_code=other.region_id,
    )

    with pytest.raises(ImportRejected) as excinfo:
        capabilities_import(actor=firm_user, rows=[own, foreign])
    result = capabilities_import(actor=firm_user, rows=[own])

    assert where(excinfo.value) == [(2, "firm_credit_code")]
    assert result.refs == ["IMP-C-001"]


def test_a_firm_editor_may_not_import_needs(firm_user, agency):
    with pytest.raises(ActorNotAllowed):
        needs_import(actor=firm_user, rows=[need_row(org_name=agency.name)])


# --- The commands ---------------------------------------------------------------------


def test_import_needs_command_update_flag_updates_by_ref(agency_needs, tmp_path):
    # given
    path = tmp_path / "needs.json"
    rows = [
        {**need_exchange_record(agency_needs["plain"]), "min_trl": 7},
        need_exchange_record(agency_needs["draft"]),
    ]
    path.write_text(json.dumps(rows, ensure_ascii=False, default=str), encoding="utf-8")
    out = io.StringIO()

    # when
    call_command("import_needs", str(path), "--update", stdout=out)

    # then
    assert "已导入 0 条场景需求（草稿），更新 1 条，1 条与已有数据相同未改动" in out.getvalue()
    assert ScenarioNeed.objects.get(ref="UPD-N-PLAIN").min_trl == 7
