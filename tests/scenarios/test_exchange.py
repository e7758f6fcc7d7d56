"""Import and export in the exchange format: readers, checks, all-or-nothing writes, export."""

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from xml.sax import saxutils

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import Organization
from activity.models import AuditEvent, Notification
from core.errors import ActorNotAllowed, InvalidInput
from core.outbox import outbox_send
from scenarios import exchange, selectors
from scenarios.exchange import (
    CAPABILITY_COLUMNS,
    EXPORT_COLUMNS,
    NEED_COLUMNS,
    ImportRejected,
    capabilities_export,
    capabilities_import,
    capability_exchange_record,
    cells,
    csv_neutralise,
    exchange_parse,
    need_exchange_record,
    needs_import,
    opportunity_list_export,
    readers,
)
from scenarios.exchange.columns import ignored_names
from scenarios.models import Capability, ScenarioNeed
from scenarios.services.capabilities import capability_submit
from scenarios.services.negative_list import negative_entry_create
from tests import factories
from tests.disk import fill_disk
from tests.scenarios.helpers import make_capability, make_need

pytestmark = pytest.mark.django_db

NEW_AGENCY = "南昌市东湖区城市管理局（导入）"
NEW_FIRM_CODE = factories.credit_code_for(90001)


def need_row(**overrides):
    row = {
        "ref": "IMP-N-001",
        "title": "城市内涝积水智能监测预警",
        "description": "在主城区易涝点部署液位监测与预警平台，开放排水管网数据与示范路段。",
        "category": "social_governance",
        "chains": ["digital-city"],
        "keywords": ["物联网", "积水监测"],
        "region_code": "360102",
        "validation_type": "technology",
        "min_trl": 5,
        "budget_cny": 800000,
        "deadline": "2027-06-30",
        "is_major": False,
        "org_name": NEW_AGENCY,
    }
    row.update(overrides)
    return row


def capability_row(**overrides):
    row = {
        "ref": "IMP-C-001",
        "title": "排水管网液位感知与内涝预警系统",
        "description": "基于超声波液位计与水动力模型，实时监测管网运行并提前预警积水风险。",
        "chains": ["digital-city"],
        "keywords": ["液位传感", "城市内涝"],
        "region_code": "360111",
        "trl": 7,
        "certifications": ["high_tech"],
        "past_cases": ["南昌市红谷滩区排水监测项目"],
        "capacity": 2,
        "firm_name": "江西导入测试科技有限公司",
        "firm_credit_code": NEW_FIRM_CODE,
    }
    row.update(overrides)
    return row


def as_json(rows):
    return json.dumps(rows, ensure_ascii=False).encode()


def _flat(value):
    if isinstance(value, list):
        return ";".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def as_csv(rows, columns=NEED_COLUMNS, *, bom=True):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.name for c in columns])
    for row in rows:
        writer.writerow([_flat(row.get(c.name)) for c in columns])
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode()


def as_xlsx(rows, columns=NEED_COLUMNS, *, chinese=True):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([c.header if chinese else c.name for c in columns])
    for row in rows:
        sheet.append([_flat(row.get(c.name)) or None for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def as_xlsx_with_shared_strings(rows, columns=NEED_COLUMNS, *, strings=None):
    """An XLSX as Excel writes it (openpyxl writes inline strings): every text cell an
    index into ``xl/sharedStrings.xml``. ``strings`` is a table of one's own (a hostile
    file's), written as it comes, to be indexed by cells with ``{"s": n}``."""
    table = [[c.name for c in columns]] + [[_flat(r.get(c.name)) for c in columns] for r in rows]
    own: dict[str, int] = {}
    sheet_rows = []
    for number, values in enumerate(table, start=1):
        cells = []
        for col, value in enumerate(values, start=1):
            if value in ("", None):
                continue
            index = value["s"] if isinstance(value, dict) else own.setdefault(value, len(own))
            ref = f"{openpyxl.utils.get_column_letter(col)}{number}"
            cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
        sheet_rows.append(f'<row r="{number}">{"".join(cells)}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    sheet = f'<worksheet xmlns="{main}"><sheetData>{"".join(sheet_rows)}</sheetData></worksheet>'
    if strings is None:
        items = "".join(f"<si><t>{saxutils.escape(text)}</t></si>" for text in own)
    else:
        items = strings
    shared = f'<sst xmlns="{main}">{items}</sst>'
    skeleton = zipfile.ZipFile(io.BytesIO(as_xlsx([], columns)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in skeleton.namelist():
            part = skeleton.read(name)
            if name == "[Content_Types].xml":
                part = part.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                    b"</Types>",
                )
            elif name == "xl/_rels/workbook.xml.rels":
                part = part.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdStrings" Target="sharedStrings.xml" Type="http://'
                    b"schemas.openxmlformats.org/officeDocument/2006/relationships/"
                    b'sharedStrings"/></Relationships>',
                )
            elif name == "xl/worksheets/sheet1.xml":
                part = sheet.encode()
            archive.writestr(name, part)
        archive.writestr("xl/sharedStrings.xml", shared.encode())
    return buffer.getvalue()


def table_counts():
    """Rows of every table an import may touch."""
    return {
        "needs": ScenarioNeed.objects.count(),
        "need_chains": ScenarioNeed.chains.through.objects.count(),
        "capabilities": Capability.objects.count(),
        "capability_chains": Capability.chains.through.objects.count(),
        "organizations": Organization.objects.count(),
        "verified": Organization.objects.filter(verified_at__isnull=False).count(),
        "audit": AuditEvent.objects.count(),
        "notifications": Notification.objects.count(),
    }


def export_headers(kind, *, csv=False):
    """The header row of a CSV or XLSX export: every column, each coded one followed by the
    column of its Chinese names."""
    headers = []
    for column in EXPORT_COLUMNS[kind]:
        headers.append(column.name if csv else column.header)
        if column.label:
            headers.append(column.label)
    return headers


def rejection(call):
    with pytest.raises(ImportRejected) as excinfo:
        call()
    return excinfo.value


def where(exc):
    return [(e.row, e.field) for e in exc.errors]


# --- Good imports ---------------------------------------------------------------------


def test_needs_import_json_creates_drafts_and_finds_or_creates_agencies(agency, platform_admin):
    # given: one row for an existing agency (by exact name) and one for an unknown agency
    rows = [
        need_row(ref="IMP-N-001", org_name=agency.name),
        need_row(ref="IMP-N-002", org_name=NEW_AGENCY, region_code="360102", budget_cny=None),
    ]

    # when
    result = needs_import(actor=platform_admin, data=as_json(rows), filename="needs.json")

    # then: both are drafts of the right agencies; the unknown one was created in its row's region
    assert (result.created, result.refs, result.format) == (2, ["IMP-N-001", "IMP-N-002"], "json")
    assert result.organizations_created == [NEW_AGENCY]
    first = ScenarioNeed.objects.get(ref="IMP-N-001")
    second = ScenarioNeed.objects.get(ref="IMP-N-002")
    assert (first.status, first.agency_id) == ("draft", agency.pk)
    assert second.agency.name == NEW_AGENCY
    assert (second.agency.kind, second.agency.region_id) == ("agency", "360102")
    assert second.budget_cny is None
    assert first.deadline == dt.date(2027, 6, 30)
    assert [c.slug for c in first.chains.all()] == ["digital-city"]
    audits = AuditEvent.objects.filter(action="need.import").order_by("id")
    assert [(a.actor_id, a.to_state, a.data["row"]) for a in audits] == [
        (platform_admin.pk, "draft", 1),
        (platform_admin.pk, "draft", 2),
    ]


def test_needs_import_csv_reads_bom_list_separators_booleans_and_dates():
    # given: a CSV as Excel writes it, with Chinese list separators, 是 and a slashed date
    data = as_csv(
        [
            need_row(
                keywords="物联网;积水监测；预警",
                is_major="是",
                deadline="2027/6/30",
                budget_cny="1,200,000",
            )
        ]
    )

    # when
    result = needs_import(actor=None, data=data, filename="机会清单.csv")

    # then
    need = ScenarioNeed.objects.get(ref=result.refs[0])
    assert need.keywords == ["物联网", "积水监测", "预警"]
    assert need.is_major is True
    assert need.deadline == dt.date(2027, 6, 30)
    assert need.budget_cny == 1_200_000


def test_needs_import_reads_an_xlsx_with_a_shared_strings_table():
    # given: text cells as Excel writes them, as indexes into the shared strings
    data = as_xlsx_with_shared_strings([need_row(), need_row(ref="IMP-N-002")])

    # when
    result = needs_import(actor=None, data=data, filename="list.xlsx")

    # then
    assert result.refs == ["IMP-N-001", "IMP-N-002"]
    assert ScenarioNeed.objects.get(ref="IMP-N-002").title == need_row()["title"]


@pytest.mark.parametrize("chinese", [True, False])
def test_needs_import_xlsx_reads_chinese_or_english_headers(chinese):
    # given
    data = as_xlsx([need_row(), need_row(ref="IMP-N-002", is_major=True)], chinese=chinese)

    # when
    result = needs_import(actor=None, data=data, filename="list.xlsx")

    # then
    assert result.refs == ["IMP-N-001", "IMP-N-002"]
    assert list(
        ScenarioNeed.objects.filter(ref__in=result.refs)
        .order_by("ref")
        .values_list("min_trl", "is_major", "status")
    ) == [(5, False, "draft"), (5, True, "draft")]


def test_needs_import_accepts_rows_and_blank_refs_get_generated():
    # when
    result = needs_import(actor=None, rows=[need_row(ref="")])

    # then
    assert result.refs[0].startswith("N-")
    assert ScenarioNeed.objects.filter(ref=result.refs[0], status="draft").exists()


def test_capabilities_import_finds_firm_by_credit_code_and_creates_missing(firm, platform_admin):
    # given: the existing firm under another spelling of its name, and an unknown firm
    rows = [
        capability_row(
            ref="IMP-C-001",
            firm_name="旧名称",
            firm_credit_code=firm.credit_code,
            region_code=firm.region_id,
        ),
        capability_row(ref="IMP-C-002", firm_credit_code=NEW_FIRM_CODE.lower()),
    ]

    # when
    result = capabilities_import(
        actor=platform_admin, data=as_csv(rows, CAPABILITY_COLUMNS), fmt="csv"
    )

    # then: drafts; the known firm found by code, the new one created unverified in the row's region
    assert result.created == 2
    assert Capability.objects.get(ref="IMP-C-001").firm_id == firm.pk
    new_firm = Organization.objects.get(credit_code=NEW_FIRM_CODE)
    assert (new_firm.kind, new_firm.region_id, new_firm.is_verified) == ("firm", "360111", False)
    cap = Capability.objects.get(ref="IMP-C-002")
    assert (cap.status, cap.firm_id, cap.trl, cap.capacity) == ("draft", new_firm.pk, 7, 2)
    assert cap.certifications == ["high_tech"]
    assert result.organizations_created == ["江西导入测试科技有限公司"]


def test_capability_rows_lie_inside_their_firms_registered_region(firm):
    # given: the firm sits in Donghu (360102); a new firm has rows in two Nanchang counties
    other = factories.credit_code_for(90003, "360100")
    rows = [
        capability_row(ref="IMP-C-001", firm_credit_code=firm.credit_code, region_code="360111"),
        capability_row(ref="IMP-C-002", firm_credit_code=other, region_code="360102"),
        capability_row(ref="IMP-C-003", firm_credit_code=other, region_code="360111"),
    ]

    exc = rejection(lambda: capabilities_import(actor=None, rows=rows))
    result = capabilities_import(actor=None, rows=rows[1:])

    assert where(exc) == [(1, "region_code")]
    assert Organization.objects.get(credit_code=other).region_id == "360100"
    assert result.created == 2


def test_capabilities_import_blank_capacity_defaults_to_one_and_labels_are_accepted():
    # given: Chinese labels for certifications and no capacity
    row = capability_row(capacity="", certifications="专精特新;高新技术企业")

    # when
    capabilities_import(actor=None, data=as_xlsx([row], CAPABILITY_COLUMNS), fmt="xlsx")

    # then
    cap = Capability.objects.get(ref="IMP-C-001")
    assert cap.capacity == 1
    assert cap.certifications == ["specialized_sme", "high_tech"]


def test_needs_import_publish_creates_published_needs_audited_as_such(
    django_capture_on_commit_callbacks,
):
    # given
    data = as_json([need_row(), need_row(ref="IMP-N-002")])

    # when
    with django_capture_on_commit_callbacks() as callbacks:
        result = needs_import(actor=None, data=data, fmt="json", publish=True)

    # then: published, public, audited as imported published, matching enqueued after commit
    assert result.published is True
    needs = ScenarioNeed.objects.filter(ref__in=result.refs)
    assert {n.status for n in needs} == {"published"}
    assert all(n.published_at is not None for n in needs)
    assert set(selectors.need_public_list().values_list("ref", flat=True)) >= set(result.refs)
    audits = AuditEvent.objects.filter(action="need.import")
    assert audits.count() == 2
    assert all(a.data["imported_as_published"] and a.to_state == "published" for a in audits)
    assert all("已发布" in a.reason for a in audits)
    # one event (one full matching run) for the whole file, after commit, besides the one
    # move of the lists' generation (cached counts) and the one task that writes the new
    # rows' search vectors (sent from the outbox)
    sends = [c for c in callbacks if getattr(c, "func", None) is outbox_send]
    events = [c for c in callbacks if getattr(c, "func", None) not in (None, outbox_send)]
    assert len(events) == 1
    assert len(sends) == (1 if connection.vendor == "postgresql" else 0)
    assert len(callbacks) == 2 + len(sends)


def test_needs_import_publish_tells_each_agency_editor_once():
    from accounts.models import Organization
    from activity.models import Notification
    from tests import factories

    result = needs_import(actor=None, data=as_json([need_row()]), fmt="json", publish=True)
    need = ScenarioNeed.objects.get(ref=result.refs[0])
    editor = factories.member(Organization.objects.get(pk=need.agency_id), "agency_editor")
    # The editor joined after the import: publish a second row for the same agency.
    row = need_row(ref="IMP-N-009")
    needs_import(actor=None, data=as_json([row]), fmt="json", publish=True)

    second = ScenarioNeed.objects.get(ref="IMP-N-009")
    published = Notification.objects.filter(
        user=editor, verb="need.published", target_id=str(second.pk)
    )
    assert published.count() == 1


def test_capabilities_import_publish_verifies_firm_and_publishes():
    # given: an unknown firm
    data = as_json([capability_row(), capability_row(ref="IMP-C-002")])

    # when
    result = capabilities_import(actor=None, data=data, fmt="json", publish=True)

    # then: the firm is verified (audited as by the import) and both capabilities published
    firm = Organization.objects.get(credit_code=NEW_FIRM_CODE)
    assert firm.is_verified
    verify = AuditEvent.objects.get(action="organization.verify", target_id=str(firm.pk))
    assert verify.actor is None
    assert result.batch in verify.reason
    caps = Capability.objects.filter(ref__in=result.refs)
    assert {c.status for c in caps} == {"published"}
    audits = AuditEvent.objects.filter(action="capability.import")
    assert [a.data["imported_as_published"] for a in audits] == [True, True]


def test_capabilities_import_publish_by_platform_admin_verifies_through_organization_verify(
    platform_admin,
):
    # given
    unverified = factories.FirmFactory.create(verified_at=None)
    data = as_json([capability_row(firm_credit_code=unverified.credit_code)])

    # when
    capabilities_import(actor=platform_admin, data=data, fmt="json", publish=True)

    # then
    unverified.refresh_from_db()
    assert unverified.verified_by == platform_admin
    assert Capability.objects.get(ref="IMP-C-001").status == "published"


def test_capabilities_import_publish_refuses_rows_on_the_negative_list(province_reviewer):
    # given
    negative_entry_create(
        actor=province_reviewer, kind="keyword", keyword="液位传感", reason="产能过剩"
    )
    before = table_counts()

    # when
    exc = rejection(
        lambda: capabilities_import(
            actor=None, data=as_json([capability_row()]), fmt="json", publish=True
        )
    )

    # then
    assert where(exc) == [(1, "")]
    assert "负面清单" in exc.errors[0].reason
    assert table_counts() == before


def test_needs_import_dry_run_writes_nothing():
    # given
    before = table_counts()

    # when
    result = needs_import(actor=None, data=as_json([need_row()]), fmt="json", dry_run=True)

    # then
    assert (result.created, result.dry_run) == (1, True)
    assert table_counts() == before


# --- Bad rows: all or nothing ---------------------------------------------------------


def test_needs_import_with_bad_rows_writes_nothing_and_reports_every_row_and_field(agency):
    # given: row 1 is good (and names a new agency), rows 2-5 are bad in many ways
    rows = [
        need_row(ref="IMP-N-001"),
        need_row(ref="IMP-N-002", min_trl=12, category="space_program"),
        need_row(ref="IMP-N-003", chains=["no-such-chain"], region_code="999999"),
        need_row(ref="IMP-N-001", deadline="2027-02-30", is_major="yes", budget_cny="很多"),
        need_row(ref="IMP-N-005", region_code="110101", title="", keywords=["x" * 40]),
    ]
    before = table_counts()

    # when
    exc = rejection(lambda: needs_import(actor=None, data=as_json(rows), fmt="json"))

    # then: nothing was written, and every problem is listed in row and column order
    assert table_counts() == before
    assert where(exc) == [
        (2, "category"),
        (2, "min_trl"),
        (3, "chains"),
        (3, "region_code"),
        (4, "ref"),
        (4, "budget_cny"),
        (4, "deadline"),
        (4, "is_major"),
        (5, "title"),
        (5, "keywords"),
        (5, "region_code"),
    ]
    assert exc.fields["row 2.min_trl"] == ["应为 1–9 之间的整数。"]
    assert "与第 1 行的编号重复" in exc.fields["row 4.ref"][0]
    assert "本省" in exc.fields["row 5.region_code"][0]
    assert exc.message == "导入失败：发现 11 处错误，未写入任何数据。"


def test_needs_import_csv_errors_use_spreadsheet_line_numbers():
    # given: the header is line 1, so the second data row is line 3
    data = as_csv([need_row(), need_row(ref="IMP-N-002", min_trl="高", is_major="maybe")])

    # when
    exc = rejection(lambda: needs_import(actor=None, data=data, fmt="csv"))

    # then
    assert where(exc) == [(3, "min_trl"), (3, "is_major")]
    assert str(exc.errors[0]) == "第3行 min_trl: 应为整数。"
    assert "true/false" in exc.errors[1].reason


def test_needs_import_refuses_an_underscore_in_a_number():
    # given: Python reads "1_000" and "5__0" as numbers; a spreadsheet cell means no such thing
    data = as_csv([need_row(budget_cny="1_000"), need_row(ref="IMP-N-002", min_trl="5__0")])

    # when
    exc = rejection(lambda: needs_import(actor=None, data=data, fmt="csv"))

    # then
    assert where(exc) == [(2, "budget_cny"), (3, "min_trl")]
    assert exc.errors[0].reason == "应为整数。"


def test_needs_import_reports_refs_already_in_the_database(agency):
    # given
    make_need(agency, ref="IMP-N-001")

    # when
    exc = rejection(lambda: needs_import(actor=None, rows=[need_row(org_name=agency.name)]))

    # then
    assert where(exc) == [(1, "ref")]
    assert "已存在" in exc.errors[0].reason


def test_needs_import_refuses_region_outside_the_agencys_jurisdiction(agency):
    # given: the agency sits in Donghu (360102); Ganzhou is elsewhere in the province
    rows = [need_row(org_name=agency.name, region_code="360700")]

    # when
    exc = rejection(lambda: needs_import(actor=None, rows=rows))

    # then
    assert where(exc) == [(1, "region_code")]
    assert agency.name in exc.errors[0].reason


def test_needs_import_refuses_a_region_above_an_existing_agency(agency):
    # given: a county agency; its city contains its county but is not its jurisdiction
    rows = [need_row(org_name=agency.name, region_code="360100")]

    exc = rejection(lambda: needs_import(actor=None, rows=rows))

    assert where(exc) == [(1, "region_code")]


def test_a_new_agency_gets_the_lowest_region_containing_all_its_rows():
    # given: a new city bureau whose first need lies in one county, the next in another
    rows = [
        need_row(ref="IMP-N-001", org_name="南昌市交通运输局", region_code="360102"),
        need_row(ref="IMP-N-002", org_name="南昌市交通运输局", region_code="360111"),
        need_row(ref="IMP-N-003", org_name=NEW_AGENCY, region_code="360102"),
    ]

    result = needs_import(actor=None, rows=rows)

    # then: the bureau is the city's (never one county's); the single-county one its county's
    assert result.created == 3
    assert Organization.objects.get(name="南昌市交通运输局").region_id == "360100"
    assert Organization.objects.get(name=NEW_AGENCY).region_id == "360102"


def test_org_region_code_sets_a_new_agencys_jurisdiction_and_is_checked():
    # given: a provincial bureau with a county need, then rows that contradict themselves
    good = [need_row(org_name="江西省科学技术厅（导入）", org_region_code="360000")]
    bad = [
        need_row(ref="IMP-N-101", org_name="甲局", org_region_code="360102", region_code="360700"),
        need_row(ref="IMP-N-102", org_name="乙局", org_region_code="360102"),
        need_row(ref="IMP-N-103", org_name="乙局", org_region_code="360111"),
        need_row(ref="IMP-N-104", org_name="丙局", org_region_code="440300"),
        need_row(ref="IMP-N-105", org_name="丁局", org_region_code="369999"),
        need_row(ref="IMP-N-106", org_name="戊局", org_region_code="36010"),
    ]

    result = needs_import(actor=None, rows=good)
    exc = rejection(lambda: needs_import(actor=None, rows=bad))

    assert result.created == 1
    assert Organization.objects.get(name="江西省科学技术厅（导入）").region_id == "360000"
    assert sorted(where(exc)) == [
        (1, "region_code"),  # Ganzhou is outside the declared county
        (3, "org_region_code"),  # another region than row 2 gives the same agency
        (4, "org_region_code"),  # outside the province
        (5, "org_region_code"),  # unknown code
        (6, "org_region_code"),  # not six digits
    ]
    assert not Organization.objects.filter(
        name__in=["甲局", "乙局", "丙局", "丁局", "戊局"]
    ).exists()


def test_org_region_code_of_an_existing_agency_must_be_its_region(agency):
    rows = [need_row(org_name=agency.name, org_region_code="360100")]

    exc = rejection(lambda: needs_import(actor=None, rows=rows))

    assert where(exc) == [(1, "org_region_code")]
    assert "360102" in exc.errors[0].reason


def test_a_new_agency_cannot_take_another_organizations_name(agency, firm):
    rows = [
        need_row(ref="IMP-N-001", org_name=firm.name),  # a firm's exact name
        need_row(ref="IMP-N-002", org_name=" " + agency.name.replace("局", "局\u200b")),
    ]

    exc = rejection(lambda: needs_import(actor=None, rows=rows))

    assert sorted(where(exc)) == [(1, "org_name"), (2, "org_name")]
    assert Organization.objects.filter(kind="agency").count() == 1


def test_needs_import_json_checks_types_strictly():
    # given: numbers and booleans as strings, a list as a string, an unknown field
    rows = [need_row(min_trl="5", is_major="false", chains="digital-city", status="published")]

    # when
    exc = rejection(lambda: needs_import(actor=None, rows=rows))

    # then
    assert set(where(exc)) == {(1, "status"), (1, "chains"), (1, "min_trl"), (1, "is_major")}
    assert exc.fields["row 1.status"] == ["未知字段。"]


def test_capabilities_import_reports_credit_code_checksum_and_non_firm_codes():
    # given: a code with a wrong check character, and the code of an agency
    agency = factories.AgencyFactory.create(credit_code=factories.credit_code_for(90002))
    bad = NEW_FIRM_CODE[:-1] + ("0" if NEW_FIRM_CODE[-1] != "0" else "1")
    rows = [
        capability_row(ref="IMP-C-001", firm_credit_code=bad),
        capability_row(ref="IMP-C-002", firm_credit_code=agency.credit_code, trl=0),
        capability_row(ref="IMP-C-003", certifications=["nobel_prize"]),
    ]

    # when
    exc = rejection(lambda: capabilities_import(actor=None, rows=rows))

    # then
    assert where(exc) == [
        (1, "firm_credit_code"),
        (2, "trl"),
        (2, "firm_credit_code"),
        (3, "certifications"),
    ]
    assert "校验位" in exc.errors[0].reason
    assert "非企业" in exc.errors[2].reason


def test_needs_import_service_check_mid_file_rolls_back_the_whole_file():
    # given: the second row passes the reader but not the need service's keyword check (a
    # tab inside a keyword), after a good first row
    before = table_counts()
    rows = [need_row(), need_row(ref="IMP-N-002", keywords=["机器\t视觉"])]

    # when
    exc = rejection(lambda: needs_import(actor=None, rows=rows))

    # then: the service's reason, on the row and field, and nothing written
    assert where(exc) == [(2, "keywords")]
    assert "控制字符" in exc.errors[0].reason
    assert table_counts() == before


def test_import_rejected_caps_listed_errors_but_keeps_them_all():
    # given
    errors = [exchange.RowError(n, "title", "必填。") for n in range(1, 8)]

    # when
    exc = ImportRejected(errors, max_errors=5)

    # then
    assert len(exc.errors) == 7
    assert len([k for k in exc.fields if k.startswith("row")]) == 5
    assert exc.fields["file"] == ["另有 2 处错误未列出。"]
    assert len(exc.lines()) == 8


# --- Hostile or broken files ----------------------------------------------------------


def file_reason(call):
    exc = rejection(call)
    assert [e.row for e in exc.errors] == [0]
    return exc.errors[0].reason


def test_needs_import_refuses_unknown_extension():
    reason = file_reason(lambda: needs_import(actor=None, data=b"[]", filename="needs.txt"))

    assert ".json、.csv 或 .xlsx" in reason


def test_needs_import_refuses_legacy_xls():
    data = readers.OLE_MAGIC + b"\x00" * 512

    reason = file_reason(lambda: needs_import(actor=None, data=data, filename="needs.xls"))

    assert ".xls" in reason


def test_needs_import_refuses_broken_xlsx_bytes():
    data = as_xlsx([need_row()])[:300]

    reason = file_reason(lambda: needs_import(actor=None, data=data, fmt="xlsx"))

    assert "XLSX" in reason


def test_needs_import_refuses_zip_that_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")

    reason = file_reason(lambda: needs_import(actor=None, data=buffer.getvalue(), fmt="xlsx"))

    assert "缺少工作簿" in reason


def test_needs_import_refuses_xlsx_that_unpacks_too_large(settings):
    # given: a tiny archive whose sheet unpacks to 2 MiB of zeros, with a 1 MiB ceiling
    settings.EXCHANGE_MAX_UNZIPPED_BYTES = 1024 * 1024
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (2 * 1024 * 1024))

    # when
    reason = file_reason(lambda: needs_import(actor=None, data=buffer.getvalue(), fmt="xlsx"))

    # then
    assert len(buffer.getvalue()) < 20_000
    assert "压缩炸弹" in reason


@pytest.fixture
def openpyxl_loads(monkeypatch):
    """Records every workbook openpyxl is asked to open (the costly part of a refusal)."""
    calls: list[object] = []
    real = readers.openpyxl.load_workbook

    def load_workbook(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(readers.openpyxl, "load_workbook", load_workbook)
    return calls


def test_needs_import_refuses_a_small_xlsx_whose_shared_strings_unpack_to_45_mib(openpyxl_loads):
    # given: long distinct strings that compress well: ~45 MiB of table in a small file,
    # under the 50 MiB ceiling for the whole archive
    pad = "扩" * 330
    strings = "".join(f"<si><t>{pad}{n:08d}</t></si>" for n in range(47_000))
    data = as_xlsx_with_shared_strings([need_row()], strings=strings)
    parts = {i.filename: i for i in zipfile.ZipFile(io.BytesIO(data)).infolist()}

    # when
    reason = file_reason(lambda: needs_import(actor=None, data=data, fmt="xlsx"))

    # then: refused from the archive's directory; openpyxl never parsed the table
    assert len(data) < 400_000
    assert parts["xl/sharedStrings.xml"].file_size > 44 * 1024 * 1024
    assert "压缩炸弹" in reason
    assert openpyxl_loads == []


def test_needs_import_refuses_more_shared_strings_than_the_row_limits_can_use(
    settings, openpyxl_loads
):
    # given: 3 rows allowed (a sheet of at most 107 lines × 23 headers the reader knows: 15
    # fields and 8 of the export's label and status columns), and a table of 5,000 short
    # strings, small and unremarkably compressed
    settings.EXCHANGE_MAX_ROWS = 3
    strings = "".join(f"<si><t>{n:x}</t></si>" for n in range(5_000))
    data = as_xlsx_with_shared_strings([need_row()], strings=strings)

    # when
    reason = file_reason(lambda: needs_import(actor=None, data=data, fmt="xlsx"))

    # then
    assert "共享字符串表超过 2461 条" in reason
    assert openpyxl_loads == []


def test_needs_import_counts_shared_strings_across_the_reading_chunks(settings):
    # given: a table just over the limit, whose entries straddle 1 MiB chunk borders
    settings.EXCHANGE_MAX_ROWS = 3
    most = (2 * 3 + 100 + 1) * (len(NEED_COLUMNS) + len(ignored_names("need")))
    entries = [
        f"<si><t>{hashlib.sha256(str(n).encode()).hexdigest() * 12}</t></si>"
        for n in range(most + 1)
    ]
    over, at = "".join(entries), "".join(entries[:-1])

    # when
    refused = file_reason(
        lambda: needs_import(
            actor=None, data=as_xlsx_with_shared_strings([], strings=over), fmt="xlsx"
        )
    )
    accepted = rejection(
        lambda: needs_import(
            actor=None, data=as_xlsx_with_shared_strings([], strings=at), fmt="xlsx"
        )
    )

    # then: one entry more is refused; the limit itself gets as far as the rows
    assert "共享字符串表" in refused
    assert "共享字符串表" not in accepted.errors[0].reason


def test_needs_import_refuses_xlsx_content_with_csv_format():
    reason = file_reason(lambda: needs_import(actor=None, data=as_xlsx([need_row()]), fmt="csv"))

    assert "XLSX" in reason
    assert "CSV" in reason


def test_needs_import_refuses_non_utf8_csv():
    data = as_csv([need_row()], bom=False).decode().encode("gb18030")

    reason = file_reason(lambda: needs_import(actor=None, data=data, fmt="csv"))

    assert "UTF-8" in reason


def test_needs_import_refuses_semicolon_separated_csv():
    data = b"ref;title;description\nA;B;C\n"

    reason = file_reason(lambda: needs_import(actor=None, data=data, fmt="csv"))

    assert "逗号" in reason


def test_needs_import_refuses_oversized_file(settings):
    settings.EXCHANGE_MAX_BYTES = 1000

    reason = file_reason(
        lambda: needs_import(actor=None, data=as_json([need_row()] * 5), fmt="json")
    )

    assert "文件过大" in reason


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_needs_import_refuses_too_many_rows(settings, fmt):
    settings.EXCHANGE_MAX_ROWS = 3
    rows = [need_row(ref=f"IMP-N-{i}") for i in range(4)]
    writers: dict[str, Callable[[list], bytes]] = {"json": as_json, "csv": as_csv, "xlsx": as_xlsx}
    data = writers[fmt](rows)

    reason = file_reason(lambda: needs_import(actor=None, data=data, fmt=fmt))

    assert "上限为 3 行" in reason


def test_needs_import_refuses_xlsx_spanning_too_many_blank_rows(settings):
    # given: one data row far below the header (a hostile or sloppy sheet)
    settings.EXCHANGE_MAX_ROWS = 3
    workbook = openpyxl.Workbook()
    workbook.active.append([c.name for c in NEED_COLUMNS])
    workbook.active.cell(row=5000, column=1, value="IMP-N-001")
    buffer = io.BytesIO()
    workbook.save(buffer)

    reason = file_reason(lambda: needs_import(actor=None, data=buffer.getvalue(), fmt="xlsx"))

    assert "含空行" in reason


def test_needs_import_reports_huge_cells_per_row(settings):
    settings.EXCHANGE_MAX_CELL_CHARS = 100
    data = as_csv([need_row(description="长" * 101)])

    exc = rejection(lambda: needs_import(actor=None, data=data, fmt="csv"))

    assert where(exc) == [(2, "description")]
    assert "过长" in exc.errors[0].reason


def test_needs_import_refuses_csv_cell_beyond_the_csv_field_limit():
    data = as_csv([need_row(description="长" * 140_000)])

    reason = file_reason(lambda: needs_import(actor=None, data=data, fmt="csv"))

    assert "单元格过长" in reason


def test_needs_import_refuses_an_unclosed_csv_quote_naming_its_line():
    # given: the second data row opens a quote it never closes
    rows = as_csv([need_row(), need_row(ref="IMP-N-002")]).decode("utf-8-sig").splitlines()
    rows[2] = rows[2].replace(",", ',"', 1)
    data = ("\n".join(rows) + "\n").encode()

    # when
    exc = rejection(lambda: needs_import(actor=None, data=data, fmt="csv"))

    # then: one problem with the file, at line 3, not every other column of a row "必填"
    assert [e.row for e in exc.errors] == [0]
    assert "CSV 格式错误（第 3 行）" in exc.errors[0].reason
    assert "引号没有闭合" in exc.errors[0].reason


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b'[{"ref": ', "不是有效的 JSON"),
        (b'{"ref": "A"}', "对象列表"),
        (b'[{"min_trl": NaN}]', "NaN"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON"),
        (b"", "文件为空"),
        (b"[]", "没有数据行"),
    ],
)
def test_needs_import_refuses_malformed_json(payload, expected):
    reason = file_reason(lambda: needs_import(actor=None, data=payload, fmt="json"))

    assert expected in reason


def test_needs_import_refuses_unknown_and_missing_csv_columns():
    data = b"ref,title,colour\nA,B,red\n"

    exc = rejection(lambda: needs_import(actor=None, data=data, fmt="csv"))

    reasons = " ".join(e.reason for e in exc.errors)
    assert "colour" in reasons
    assert "description" in reasons
    assert "org_name" in reasons


# --- Who may import -------------------------------------------------------------------


def test_needs_import_by_province_committee_member_is_allowed(province_reviewer):
    result = needs_import(actor=province_reviewer, rows=[need_row()])

    assert result.created == 1


@pytest.mark.parametrize("who", ["county_reviewer", "city_reviewer", "firm_user"])
def test_needs_import_by_other_roles_is_refused(request, who):
    actor = request.getfixturevalue(who)

    with pytest.raises(ActorNotAllowed):
        needs_import(actor=actor, rows=[need_row()])

    assert not ScenarioNeed.objects.filter(ref="IMP-N-001").exists()


def test_needs_import_publish_by_province_committee_member_is_refused(province_reviewer):
    with pytest.raises(ActorNotAllowed):
        needs_import(actor=province_reviewer, rows=[need_row()], publish=True)

    assert not ScenarioNeed.objects.filter(ref="IMP-N-001").exists()


# --- Export ---------------------------------------------------------------------------


@pytest.fixture
def published_needs(agency):
    """Two public needs with awkward values, and a draft that must never be exported."""
    return [
        make_need(
            agency,
            ref="EXP-N-001",
            status="published",
            title='=HYPERLINK("http://evil.example","点击")',
            keywords=["-1+1", "@SUM(A1)", "物联网"],
            deadline=dt.date(2027, 6, 30),
            is_major=True,
        ),
        make_need(
            agency,
            ref="EXP-N-002",
            status="published",
            description='第一行\n第二行，含逗号,和"引号"',
            budget_cny=None,
            chains=["digital-city", "low-altitude"],
        ),
        make_need(agency, ref="EXP-N-DRAFT"),
    ]


def test_opportunity_list_export_json_lists_only_public_needs_without_confidential_fields(
    published_needs,
):
    export = opportunity_list_export(fmt="json")

    records = json.loads(export.content)
    assert sorted(r["ref"] for r in records) == ["EXP-N-001", "EXP-N-002"]
    assert set(records[0]) == {c.name for c in NEED_COLUMNS}
    assert "contact_phone" not in export.content.decode()
    assert "0791-88888888" not in export.content.decode()
    assert export.content_type == "application/json"
    assert export.filename.startswith("opportunity-list-")
    assert export.filename.endswith(".json")


def test_opportunity_list_export_xlsx_is_tidy_for_leaders(published_needs):
    # when
    export = opportunity_list_export(fmt="xlsx")

    # then: Chinese bold headers, frozen header row, widths, a legend sheet
    workbook = openpyxl.load_workbook(io.BytesIO(export.content))
    sheet = workbook.worksheets[0]
    assert sheet.title == "机会清单"
    assert [c.value for c in sheet[1]] == export_headers("need")
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["E"].width > sheet.column_dimensions["A"].width > 8
    assert sheet.auto_filter.ref == "A1:V3"
    assert workbook.sheetnames == ["机会清单", "填写说明"]
    assert export.content_type == exchange.XLSX_CONTENT_TYPE


def test_opportunity_list_export_xlsx_neutralises_formulas(published_needs):
    # when
    export = opportunity_list_export(fmt="xlsx")

    # then: no cell is a formula; formula-like text is text with the quote prefix
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    title = next(c for c in cells if str(c.value).startswith("=HYPERLINK"))
    assert (title.data_type, title.quotePrefix) == ("s", True)
    deadline = next(c for c in cells if isinstance(c.value, dt.datetime))
    assert deadline.number_format == "yyyy-mm-dd"


def test_opportunity_list_export_csv_prefixes_formula_like_cells(published_needs):
    # when
    export = opportunity_list_export(fmt="csv")

    # then
    assert export.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    by_ref = {r["ref"]: r for r in rows}
    assert by_ref["EXP-N-001"]["title"].startswith("'=HYPERLINK")
    assert by_ref["EXP-N-001"]["keywords"] == "'-1+1;@SUM(A1);物联网"
    assert by_ref["EXP-N-002"]["budget_cny"] == ""


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("=1+1", "'=1+1"),
        ("+86 791", "'+86 791"),
        ("-5 度", "'-5 度"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("'=1", "''=1"),
        ("'普通", "'普通"),
        ("普通", "普通"),
    ],
)
def test_csv_neutralise_escapes_formula_triggers_reversibly(text, escaped):
    assert csv_neutralise(text) == escaped
    assert cells.csv_unescape(escaped) == text


def _expected_need(need):
    record = need_exchange_record(need)
    return {**record, "chains": sorted(record["chains"])}


def _normalised(values):
    return {**values, "chains": sorted(values["chains"])}


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_opportunity_list_round_trip_parses_back_the_same_values(published_needs, fmt):
    # given
    expected = sorted(
        (_expected_need(n) for n in selectors.need_public_list()), key=lambda r: r["ref"]
    )

    # when
    export = opportunity_list_export(fmt=fmt)
    parsed = exchange_parse(kind="need", data=export.content, fmt=fmt)

    # then
    assert sorted((_normalised(v) for v in parsed), key=lambda r: r["ref"]) == expected


@pytest.mark.parametrize("fmt", ["json", "xlsx"])
def test_opportunity_list_round_trip_through_import_recreates_the_list(published_needs, fmt):
    # given: the exported list, and an empty database of needs
    first = opportunity_list_export(fmt=fmt)
    ScenarioNeed.objects.all().delete()

    # when: it is loaded back as an approved list and exported again
    needs_import(actor=None, data=first.content, fmt=fmt, publish=True)
    second = opportunity_list_export(fmt=fmt)

    # then
    def records(export):
        values = exchange_parse(kind="need", data=export.content, fmt=fmt)
        return sorted((_normalised(v) for v in values), key=lambda r: r["ref"])

    assert records(second) == records(first)
    assert len(records(first)) == 2


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_capabilities_export_round_trip_parses_back_the_same_values(firm, fmt):
    # given: published capabilities with formula-like text and past cases written with
    # "；" and ";" (a case's own punctuation: it came back as two cases), and a draft
    make_capability(
        firm, ref="EXP-C-001", title="+招标=中标", past_cases=["=A1", "项目二；识别准确率98%"]
    )
    make_capability(firm, ref="EXP-C-002", past_cases=["一个案例; 含英文分号"])
    make_capability(firm, ref="EXP-C-003", keywords=["液位传感", "内涝预警"])
    caps = list(Capability.objects.filter(ref__in=["EXP-C-001", "EXP-C-002", "EXP-C-003"]))
    for cap in caps:
        capability_submit(actor=None, capability=cap)
    make_capability(firm, ref="EXP-C-DRAFT")

    # when
    export = capabilities_export(fmt=fmt)
    parsed = exchange_parse(kind="capability", data=export.content, fmt=fmt)

    # then
    for cap in caps:
        cap.refresh_from_db()
        assert cap.status == "published"
    expected = [capability_exchange_record(cap) for cap in sorted(caps, key=lambda c: c.ref)]
    assert sorted(parsed, key=lambda r: r["ref"]) == expected
    assert [c.name for c in CAPABILITY_COLUMNS] == list(parsed[0])


def test_opportunity_list_export_refuses_unknown_format():
    with pytest.raises(InvalidInput) as excinfo:
        opportunity_list_export(fmt="pdf")

    assert "format" in excinfo.value.fields


# --- Management commands --------------------------------------------------------------


def test_import_needs_command_imports_a_file(tmp_path):
    # given
    path = tmp_path / "机会清单.xlsx"
    path.write_bytes(as_xlsx([need_row()]))
    out = io.StringIO()

    # when
    call_command("import_needs", str(path), stdout=out)

    # then
    assert ScenarioNeed.objects.get(ref="IMP-N-001").status == "draft"
    assert "已导入 1 条场景需求（草稿）" in out.getvalue()
    assert NEW_AGENCY in out.getvalue()


def test_import_needs_command_publish_flag_publishes(tmp_path):
    path = tmp_path / "needs.json"
    path.write_bytes(as_json([need_row()]))

    call_command("import_needs", str(path), "--publish", stdout=io.StringIO())

    assert ScenarioNeed.objects.get(ref="IMP-N-001").status == "published"


def test_import_needs_command_bad_rows_fail_with_one_line_per_row(tmp_path):
    # given
    path = tmp_path / "needs.data"
    path.write_bytes(as_csv([need_row(), need_row(ref="IMP-N-002", min_trl=0, title="")]))
    before = table_counts()

    # when
    with pytest.raises(CommandError) as excinfo:
        call_command("import_needs", str(path), "--format", "csv", stdout=io.StringIO())

    # then
    lines = str(excinfo.value).splitlines()
    assert lines[0] == "导入失败：发现 2 处错误，未写入任何数据。"
    assert lines[1:] == ["第3行 title: 必填。", "第3行 min_trl: 应为 1–9 之间的整数。"]
    assert table_counts() == before


def test_import_needs_command_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="无法读取文件"):
        call_command("import_needs", str(tmp_path / "missing.csv"))


def test_import_capabilities_command_imports_a_file(tmp_path):
    path = tmp_path / "caps.csv"
    path.write_bytes(as_csv([capability_row()], CAPABILITY_COLUMNS))
    out = io.StringIO()

    call_command("import_capabilities", str(path), "--dry-run", stdout=out)

    assert "检查通过，可导入 1 条场景能力" in out.getvalue()
    assert not Capability.objects.filter(ref="IMP-C-001").exists()


def test_export_opportunity_list_command_writes_stdout_and_files(published_needs, tmp_path):
    # given
    out = io.StringIO()
    target = tmp_path / "list.xlsx"

    # when
    call_command("export_opportunity_list", "--format", "csv", stdout=out)
    call_command("export_opportunity_list", "--output", str(target), stdout=io.StringIO())

    # then
    assert out.getvalue().startswith("ref,title,status,状态（名称）,description")
    assert "EXP-N-002" in out.getvalue()
    workbook = openpyxl.load_workbook(target)
    assert workbook.worksheets[0]["A1"].value == "编号"


def test_export_opportunity_list_command_on_a_full_disk_keeps_the_previous_file(
    published_needs, tmp_path, monkeypatch
):
    # given: last week's list, and a disk with 2 KiB left
    target = tmp_path / "机会清单.xlsx"
    target.write_bytes(b"last week's list")
    fill_disk(monkeypatch, tmp_path, budget=2048)

    # when
    with pytest.raises(CommandError) as failure:
        call_command("export_opportunity_list", "--output", str(target), stdout=io.StringIO())

    # then: one line naming the file and the cause; the old list as it was, nothing beside it
    assert str(failure.value) == f"无法写入文件 {target}：No space left on device"
    assert target.read_bytes() == b"last week's list"
    assert list(tmp_path.iterdir()) == [target]


def test_export_opportunity_list_command_refuses_xlsx_to_stdout():
    with pytest.raises(CommandError, match="--output"):
        call_command("export_opportunity_list", "--format", "xlsx")


@pytest.mark.parametrize("deadline", ["2020-01-01", "2099-12-31"])
def test_an_agency_importing_its_drafts_keeps_the_deadline_window(agency, agency_user, deadline):
    rows = [need_row(ref="IMP-N-DL1", deadline=deadline, org_name=agency.name)]

    exc = rejection(lambda: needs_import(actor=agency_user, data=as_json(rows), fmt="json"))

    assert where(exc) == [(1, "deadline")]


def test_an_agencys_file_lists_deadline_errors_with_the_other_rows_errors(agency, agency_user):
    # given: bad deadlines in two rows and a blank title in a third (the deadlines were only
    # reported once the title was fixed and the file uploaded again)
    rows = [
        need_row(ref="IMP-N-DL1", deadline="2020-01-01", org_name=agency.name),
        need_row(ref="IMP-N-DL2", deadline="9999-12-31", org_name=agency.name),
        need_row(ref="IMP-N-DL3", org_name=agency.name),
        need_row(ref="IMP-N-DL4", title="", org_name=agency.name),
    ]

    # when
    exc = rejection(lambda: needs_import(actor=agency_user, data=as_json(rows), fmt="json"))

    # then: every problem in one pass
    assert where(exc) == [(1, "deadline"), (2, "deadline"), (4, "title")]
    assert exc.fields["row 1.deadline"] == ["不能早于今天。"]
    assert exc.fields["row 2.deadline"] == ["最晚为 5 年后。"]


@pytest.mark.parametrize(
    ("budget", "refused"), [(10**10, False), (10**10 + 1, True), (9 * 10**12, True)]
)
def test_an_import_takes_the_budgets_the_page_and_the_api_take(budget, refused):
    # given: a budget in 元 up to 100 亿元, the page's limit (it took 9 万亿元, which the page
    # then refused to save)
    rows = [need_row(ref="IMP-N-B1", budget_cny=budget)]

    # when
    run = lambda: needs_import(actor=None, data=as_json(rows), fmt="json")  # noqa: E731

    # then
    if refused:
        assert where(rejection(run)) == [(1, "budget_cny")]
    else:
        run()
        assert ScenarioNeed.objects.get(ref="IMP-N-B1").budget_cny == budget


def test_a_chain_may_be_named_as_the_pages_name_it():
    from reference.models import IndustryChain

    # given: rows naming chains by their Chinese and English names, and by slug (the template
    # took only slugs; a person fills in the names the pages show)
    chain = IndustryChain.objects.get(slug="digital-city")
    rows = [
        need_row(ref="IMP-N-CH1", chains=[chain.name_zh]),
        need_row(ref="IMP-N-CH2", chains=[chain.name_en.upper(), "digital-city"]),
        need_row(ref="IMP-N-CH3", chains=["没有这个产业链"]),
    ]

    # when
    exc = rejection(lambda: needs_import(actor=None, data=as_json(rows), fmt="json"))
    needs_import(actor=None, data=as_json(rows[:2]), fmt="json")

    # then: the names stand for the slug; an unknown name is still an error
    assert where(exc) == [(3, "chains")]
    for ref in ("IMP-N-CH1", "IMP-N-CH2"):
        need = ScenarioNeed.objects.get(ref=ref)
        assert list(need.chains.values_list("slug", flat=True)) == ["digital-city"]


def test_an_approved_or_archived_list_imports_with_its_deadlines_as_they_are():
    rows = [need_row(ref="IMP-N-OLD", deadline="2020-01-01")]

    needs_import(actor=None, data=as_json(rows), fmt="json", publish=True)

    assert ScenarioNeed.objects.get(ref="IMP-N-OLD").deadline == dt.date(2020, 1, 1)


def test_a_line_break_typed_in_a_one_line_cell_reads_as_a_space():
    rows = [need_row(ref="IMP-N-LB1", title="城市内涝\n智能监测")]

    needs_import(actor=None, data=as_json(rows), fmt="json")

    assert ScenarioNeed.objects.get(ref="IMP-N-LB1").title == "城市内涝 智能监测"
