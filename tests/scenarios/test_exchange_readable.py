"""Exports people read: Chinese names beside every coded column in CSV and XLSX (which an
import ignores), the codes kept where an import reads them, JSON codes only; and each
user's own items as a file."""

import csv
import datetime as dt
import io
import json

import openpyxl
import pytest
from django.utils import translation

from accounts.choices import Role
from accounts.models import Membership
from scenarios.exchange import (
    CAPABILITY_COLUMNS,
    NEED_COLUMNS,
    ImportRejected,
    capabilities_export,
    capability_own_list_export,
    exchange_parse,
    exchange_template,
    need_own_list_export,
    opportunity_list_export,
)
from scenarios.services.capabilities import capability_submit
from scenarios.services.needs import need_submit
from tests import factories
from tests.scenarios.helpers import make_capability, make_need
from tests.scenarios.test_exchange import export_headers

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed_need(agency):
    return make_need(
        agency,
        ref="LBL-N-001",
        status="published",
        chains=["digital-city", "low-altitude"],
        is_major=True,
        deadline=dt.date(2027, 6, 30),
    )


@pytest.fixture
def listed_capability(firm):
    capability = make_capability(
        firm, ref="LBL-C-001", certifications=["high_tech", "first_of_kind"]
    )
    return capability_submit(actor=None, capability=capability)


def csv_rows(export):
    return list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))


def xlsx_rows(export):
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_need_csv_export_names_every_coded_column_beside_its_codes(listed_need):
    # when
    export = opportunity_list_export(fmt="csv")

    # then: the codes where an import reads them, the Chinese names beside them
    header = export.content.decode("utf-8-sig").splitlines()[0]
    assert header.split(",") == export_headers("need", csv=True)
    row = csv_rows(export)[0]
    assert (row["category"], row["场景类型（名称）"]) == ("social_governance", "社会治理服务综合性")
    assert (row["validation_type"], row["验证类型（名称）"]) == ("technology", "技术验证")
    assert (row["status"], row["状态（名称）"]) == ("published", "已发布")
    assert row["chains"] == "low-altitude;digital-city"
    assert row["产业链（名称）"] == "低空经济；数字空间+智慧城市"
    assert (row["region_code"], row["所在地（名称）"]) == ("360102", "江西省南昌市东湖区")
    assert row["发布单位所在地（名称）"] == "江西省南昌市东湖区"
    assert row["is_major"] == "是"


def test_capability_xlsx_export_names_certifications_and_chains(listed_capability):
    # when
    export = capabilities_export(fmt="xlsx")

    # then
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == export_headers("capability")
    row = xlsx_rows(export)[0]
    assert row["资质认定"] == "high_tech;first_of_kind"
    # the firm has none verified: each claim marked self-declared, as the pages mark it
    assert row["资质认定（名称）"] == "高新技术企业（自报）；首台（套）（自报）"
    assert row["产业链（名称）"] == "数字空间+智慧城市"
    assert (row["状态"], row["状态（名称）"]) == ("published", "已发布")
    assert row["所在地（名称）"] == "江西省南昌市东湖区"


def test_xlsx_export_marks_the_columns_an_import_ignores(listed_need):
    # when
    export = opportunity_list_export(fmt="xlsx")

    # then: grey headers over the names and the status; the legend says they are read only
    book = openpyxl.load_workbook(io.BytesIO(export.content))
    fills = {c.value: c.fill.fgColor.rgb for c in book.worksheets[0][1]}
    assert fills["产业链（名称）"] == fills["状态"] != fills["产业链/赛道"]
    legend = {row[0]: row for row in book["填写说明"].iter_rows(values_only=True) if row[0]}
    assert legend["产业链（名称）"][2] == "—"
    assert "导入时忽略" in legend["产业链（名称）"][3]
    assert "导入时忽略" in legend["status"][3]


def test_export_labels_are_chinese_whatever_the_language(listed_need):
    # when: an English-speaking user downloads the list
    with translation.override("en"):
        export = opportunity_list_export(fmt="csv")

    # then: the file is the Chinese list its headers promise
    row = csv_rows(export)[0]
    assert row["场景类型（名称）"] == "社会治理服务综合性"
    assert row["所在地（名称）"] == "江西省南昌市东湖区"


def test_json_export_stays_codes_only(listed_need, listed_capability):
    # when
    needs = json.loads(opportunity_list_export(fmt="json").content)
    capabilities = json.loads(capabilities_export(fmt="json").content)

    # then
    assert list(needs[0]) == [c.name for c in NEED_COLUMNS]
    assert list(capabilities[0]) == [c.name for c in CAPABILITY_COLUMNS]
    assert needs[0]["is_major"] is True
    assert capabilities[0]["certifications"] == ["high_tech", "first_of_kind"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_import_reads_the_codes_and_ignores_the_names(listed_need, fmt):
    # given: the export, with a name edited and the code left alone
    export = opportunity_list_export(fmt=fmt)
    if fmt == "csv":
        data = export.content.replace("社会治理服务综合性".encode(), "民生领域".encode())
    else:
        book = openpyxl.load_workbook(io.BytesIO(export.content))
        sheet = book.worksheets[0]
        column = [c.value for c in sheet[1]].index("场景类型（名称）") + 1
        sheet.cell(row=2, column=column, value="民生领域")
        buffer = io.BytesIO()
        book.save(buffer)
        data = buffer.getvalue()

    # when
    parsed = exchange_parse(kind="need", data=data, fmt=fmt)

    # then: the row parses, its category is the code's, no status is read
    assert parsed[0]["category"] == "social_governance"
    assert "status" not in parsed[0]
    assert "场景类型（名称）" not in parsed[0]


def test_json_import_still_refuses_keys_it_does_not_read():
    # given: a status, which only CSV and XLSX exports carry for people
    data = json.dumps([{"status": "published", "产业链（名称）": "低空经济"}]).encode()

    # when
    with pytest.raises(ImportRejected) as excinfo:
        exchange_parse(kind="need", data=data, fmt="json")

    # then
    fields = {e.field for e in excinfo.value.errors}
    assert {"status", "产业链（名称）"} <= fields


def test_the_template_has_only_the_columns_an_import_reads():
    # when
    template = exchange_template(kind="capability")

    # then
    sheet = openpyxl.load_workbook(io.BytesIO(template.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == [c.header for c in CAPABILITY_COLUMNS]
    assert template.rows == 0


# --- Each user's own items ------------------------------------------------------------


@pytest.fixture
def needs_of_two_agencies(agency, agency_user):
    other = factories.AgencyFactory.create(region=agency.region)
    return {
        "draft": make_need(agency, ref="OWN-N-DRAFT"),
        "review": need_submit(actor=agency_user, need=make_need(agency, ref="OWN-N-REVIEW")),
        "published": make_need(agency, ref="OWN-N-PUB", status="published"),
        "other_draft": make_need(other, ref="OWN-N-OTHER-DRAFT"),
        "other_published": make_need(other, ref="OWN-N-OTHER-PUB", status="published"),
    }


def refs(export):
    return [r["ref"] for r in json.loads(export.content)]


@pytest.mark.usefixtures("needs_of_two_agencies")
def test_need_own_list_export_gives_each_role_the_needs_it_answers_for(
    agency_user, county_reviewer, other_city_reviewer, firm_user, platform_admin
):
    # when / then: the agency its own in every state, never another's published one
    assert refs(need_own_list_export(user=agency_user, fmt="json")) == [
        "OWN-N-DRAFT",
        "OWN-N-PUB",
        "OWN-N-REVIEW",
    ]
    # the county committee what was submitted in its region, drafts aside
    assert refs(need_own_list_export(user=county_reviewer, fmt="json")) == [
        "OWN-N-OTHER-PUB",
        "OWN-N-PUB",
        "OWN-N-REVIEW",
    ]
    assert refs(need_own_list_export(user=other_city_reviewer, fmt="json")) == []
    assert refs(need_own_list_export(user=firm_user, fmt="json")) == []
    assert len(refs(need_own_list_export(user=platform_admin, fmt="json"))) == 5


def test_capability_own_list_export_gives_a_firm_its_own_in_every_state(
    firm, firm_user, agency_user, county_reviewer
):
    # given
    make_capability(firm, ref="OWN-C-DRAFT")
    capability_submit(actor=None, capability=make_capability(firm, ref="OWN-C-PUB"))
    other = factories.FirmFactory.create(region=firm.region)
    capability_submit(actor=None, capability=make_capability(other, ref="OWN-C-OTHER"))

    # when / then
    assert refs(capability_own_list_export(user=firm_user, fmt="json")) == [
        "OWN-C-DRAFT",
        "OWN-C-PUB",
    ]
    assert refs(capability_own_list_export(user=agency_user, fmt="json")) == []
    assert refs(capability_own_list_export(user=county_reviewer, fmt="json")) == [
        "OWN-C-OTHER",
        "OWN-C-PUB",
    ]


def test_own_list_export_of_an_editor_of_two_agencies_holds_both(agency, agency_user):
    # given
    second = factories.AgencyFactory.create(region=agency.region)
    Membership.objects.create(user=agency_user, organization=second, role=Role.AGENCY_EDITOR)
    make_need(agency, ref="OWN-N-A")
    make_need(second, ref="OWN-N-B")

    # when
    export = need_own_list_export(user=agency_user, fmt="xlsx")

    # then
    assert [r["编号"] for r in xlsx_rows(export)] == ["OWN-N-A", "OWN-N-B"]
    assert export.filename.startswith("needs-")
