"""Import and export endpoints: uploads, permissions, the error shape, downloads."""

import csv
import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.throttling import AnonRateThrottle

from accounts.models import Organization
from activity.models import AuditEvent
from scenarios.exchange import CAPABILITY_COLUMNS, XLSX_CONTENT_TYPE
from scenarios.models import Capability, ScenarioNeed
from scenarios.services.capabilities import capability_submit
from tests import factories
from tests.scenarios.helpers import make_capability, make_need
from tests.scenarios.test_exchange import (
    NEW_AGENCY,
    as_csv,
    as_json,
    as_xlsx,
    capability_row,
    export_headers,
    need_row,
    table_counts,
)

pytestmark = pytest.mark.django_db

NEEDS_IMPORT = "/api/v1/needs/import/"
CAPABILITIES_IMPORT = "/api/v1/capabilities/import/"
PUBLIC_EXPORT = "/api/v1/public/needs/export/"
PUBLIC_CAPABILITIES_EXPORT = "/api/v1/public/capabilities/export/"
NEEDS_EXPORT = "/api/v1/needs/export/"
CAPABILITIES_EXPORT = "/api/v1/capabilities/export/"


def upload(name, content, **fields):
    return {"file": SimpleUploadedFile(name, content), **fields}


def post(api, url, body):
    return api.post(url, body, format="multipart")


# --- Import ---------------------------------------------------------------------------


def test_needs_import_api_creates_drafts_from_csv(api, platform_admin):
    # given
    body = upload("机会清单.csv", as_csv([need_row(), need_row(ref="IMP-N-002")]))

    # when
    r = post(api.as_user(platform_admin), NEEDS_IMPORT, body)

    # then
    assert r.status_code == 201, r.json()
    assert r.json() == {
        "kind": "need",
        "format": "csv",
        "created": 2,
        "refs": ["IMP-N-001", "IMP-N-002"],
        "published": False,
        "organizations_created": [NEW_AGENCY],
        "batch": r.json()["batch"],
        "dry_run": False,
        "update": False,
        "updated": 0,
        "updated_refs": [],
        "unchanged": 0,
    }
    assert set(ScenarioNeed.objects.values_list("ref", "status")) == {
        ("IMP-N-001", "draft"),
        ("IMP-N-002", "draft"),
    }
    assert AuditEvent.objects.filter(action="need.import", actor=platform_admin).count() == 2


def test_needs_import_api_takes_the_format_field_over_the_extension(api, province_reviewer):
    # given: an XLSX upload with a misleading name, and the explicit format
    body = upload("upload.bin", as_xlsx([need_row()]), format="xlsx")

    # when
    r = post(api.as_user(province_reviewer), NEEDS_IMPORT, body)

    # then
    assert r.status_code == 201, r.json()
    assert r.json()["format"] == "xlsx"
    assert ScenarioNeed.objects.filter(ref="IMP-N-001", status="draft").exists()


def test_needs_import_api_publish_by_platform_admin_publishes(api, platform_admin):
    # given
    body = upload("needs.json", as_json([need_row()]), publish="true")

    # when
    r = post(api.as_user(platform_admin), NEEDS_IMPORT, body)

    # then
    assert r.status_code == 201, r.json()
    assert r.json()["published"] is True
    assert ScenarioNeed.objects.get(ref="IMP-N-001").status == "published"
    audit = AuditEvent.objects.get(action="need.import")
    assert (audit.actor, audit.data["imported_as_published"]) == (platform_admin, True)


def test_needs_import_api_publish_by_province_member_is_forbidden(api, province_reviewer):
    # given
    before = table_counts()

    # when
    r = post(
        api.as_user(province_reviewer),
        NEEDS_IMPORT,
        upload("needs.json", as_json([need_row()]), publish="true"),
    )

    # then
    assert r.status_code == 403
    assert r.json()["code"] == "permission_denied"
    assert table_counts() == before


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("county_reviewer", NEEDS_IMPORT),
        ("county_reviewer", CAPABILITIES_IMPORT),
        ("city_reviewer", NEEDS_IMPORT),
        ("city_reviewer", CAPABILITIES_IMPORT),
        ("agency_user", CAPABILITIES_IMPORT),
        ("firm_user", NEEDS_IMPORT),
    ],
)
def test_import_api_by_other_roles_is_forbidden(api, request, who, url):
    # given
    actor = request.getfixturevalue(who)

    # when
    r = post(api.as_user(actor), url, upload("x.json", as_json([need_row()])))

    # then
    assert r.status_code == 403
    assert set(r.json()) == {"code", "detail", "fields"}
    assert not ScenarioNeed.objects.filter(ref="IMP-N-001").exists()


def test_needs_import_api_update_changes_the_agencys_draft_by_ref(api, agency, agency_user):
    # given: the agency's draft, exported by its editor and edited
    make_need(agency, ref="API-N-001")
    export = api.as_user(agency_user).get(NEEDS_EXPORT, {"format": "csv"}).content
    edited = export.replace("智能监测预警".encode(), "监测（修订）".encode())

    # when: without update, then with it
    refused = post(api, NEEDS_IMPORT, upload("needs.csv", edited))
    r = post(api, NEEDS_IMPORT, upload("needs.csv", edited, update="true"))

    # then
    assert refused.status_code == 400
    assert list(refused.json()["fields"]) == ["row 2.ref"]
    assert r.status_code == 201, r.json()
    body = r.json()
    assert (body["update"], body["created"], body["updated_refs"]) == (True, 0, ["API-N-001"])
    need = ScenarioNeed.objects.get(ref="API-N-001")
    assert (need.title, need.version) == ("城市内涝积水监测（修订）", 2)


def test_needs_import_api_an_agency_editor_imports_only_its_agencys_rows(api, agency_user):
    # when: a row naming another (new) agency
    r = post(api.as_user(agency_user), NEEDS_IMPORT, upload("x.json", as_json([need_row()])))

    # then: a row error, nothing written, no agency created
    assert r.status_code == 400
    assert list(r.json()["fields"]) == ["row 1.org_name"]
    assert not Organization.objects.filter(name=NEW_AGENCY).exists()


def test_import_api_anonymous_is_unauthorised(api):
    r = post(api, NEEDS_IMPORT, upload("x.json", as_json([need_row()])))

    assert r.status_code == 401


def test_needs_import_api_bad_rows_answer_400_per_row_and_write_nothing(api, platform_admin):
    # given: a good row, then a row with two bad fields
    data = as_csv([need_row(), need_row(ref="IMP-N-002", min_trl=10, chains="no-such-chain")])
    before = table_counts()

    # when
    r = post(api.as_user(platform_admin), NEEDS_IMPORT, upload("needs.csv", data))

    # then
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "invalid"
    assert body["detail"] == "导入失败：发现 2 处错误，未写入任何数据。"
    assert body["fields"] == {
        "row 3.chains": ["未知的产业链/赛道：no-such-chain（填标识或页面上的名称）。"],
        "row 3.min_trl": ["应为 1–9 之间的整数。"],
    }
    assert table_counts() == before


def test_capabilities_import_api_creates_firm_and_drafts_from_xlsx(api, platform_admin):
    # given
    data = as_xlsx([capability_row()], CAPABILITY_COLUMNS)

    # when
    r = post(api.as_user(platform_admin), CAPABILITIES_IMPORT, upload("能力清单.xlsx", data))

    # then
    assert r.status_code == 201, r.json()
    assert r.json()["organizations_created"] == ["江西导入测试科技有限公司"]
    cap = Capability.objects.get(ref="IMP-C-001")
    assert (cap.status, cap.firm.kind, cap.firm.is_verified) == ("draft", "firm", False)


def test_capabilities_import_api_publish_by_platform_admin_verifies_and_publishes(
    api, platform_admin
):
    r = post(
        api.as_user(platform_admin),
        CAPABILITIES_IMPORT,
        upload("caps.json", as_json([capability_row()]), publish="true"),
    )

    assert r.status_code == 201, r.json()
    cap = Capability.objects.select_related("firm").get(ref="IMP-C-001")
    assert cap.status == "published"
    assert cap.firm.verified_by == platform_admin


def test_needs_import_api_dry_run_answers_200_and_writes_nothing(api, platform_admin):
    # given
    before = table_counts()

    # when
    r = post(
        api.as_user(platform_admin),
        NEEDS_IMPORT,
        upload("needs.json", as_json([need_row()]), dry_run="true"),
    )

    # then
    assert r.status_code == 200, r.json()
    assert (r.json()["created"], r.json()["dry_run"]) == (1, True)
    assert table_counts() == before


@pytest.mark.parametrize(
    ("name", "content", "fields", "expected"),
    [
        ("needs.xlsx", b"PK\x03\x04broken", {}, "XLSX"),
        ("needs.csv", "标题".encode("gb18030"), {}, "UTF-8"),
        ("needs.txt", b"[]", {}, ".json、.csv 或 .xlsx"),
        ("needs.json", as_xlsx([need_row()]), {}, "XLSX"),
        ("needs.csv", b"ref,title\n", {}, "缺少必填列"),
    ],
)
def test_needs_import_api_hostile_files_get_one_clear_400(
    api, platform_admin, name, content, fields, expected
):
    # given
    before = table_counts()

    # when
    r = post(api.as_user(platform_admin), NEEDS_IMPORT, upload(name, content, **fields))

    # then
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "invalid"
    assert expected in " ".join(m for messages in body["fields"].values() for m in messages)
    assert table_counts() == before


def test_needs_import_api_refuses_oversized_upload_before_reading_it(api, platform_admin, settings):
    # given
    settings.EXCHANGE_MAX_BYTES = 1024 * 1024
    content = b"[" + b" " * (2 * 1024 * 1024) + b"]"

    # when
    r = post(api.as_user(platform_admin), NEEDS_IMPORT, upload("big.json", content))

    # then
    assert r.status_code == 400
    assert "文件过大" in r.json()["fields"]["file"][0]


def test_needs_import_api_requires_a_file(api, platform_admin):
    r = post(api.as_user(platform_admin), NEEDS_IMPORT, {"format": "csv"})

    assert r.status_code == 400
    assert "file" in r.json()["fields"]


def test_needs_import_path_is_not_taken_by_the_detail_route(api, platform_admin):
    r = api.as_user(platform_admin).get(NEEDS_IMPORT)

    assert r.status_code == 405


# --- Export ---------------------------------------------------------------------------


@pytest.fixture
def listed(agency):
    """One published need with a formula-like title, and a draft."""
    published = make_need(agency, ref="EXP-N-001", status="published", title="=1+2 智慧排水")
    make_need(agency, ref="EXP-N-DRAFT")
    return published


def test_public_export_api_gives_anonymous_users_the_xlsx(api, listed):
    # when
    r = api.get(PUBLIC_EXPORT, {"format": "xlsx"})

    # then: a download with Chinese headers and only the published need
    assert r.status_code == 200
    assert r["Content-Type"] == XLSX_CONTENT_TYPE
    assert r["Content-Disposition"].startswith('attachment; filename="opportunity-list-')
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == export_headers("need")
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["EXP-N-001"]
    assert sheet["B2"].data_type == "s"
    assert sheet.freeze_panes == "A2"


def test_public_export_api_csv_and_default_json(api, listed):
    # when
    csv_response = api.get(PUBLIC_EXPORT, {"format": "csv"})
    json_response = api.get(PUBLIC_EXPORT)

    # then
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    text = csv_response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(export_headers("need", csv=True))
    assert "'=1+2 智慧排水" in text
    assert "EXP-N-DRAFT" not in text
    records = json.loads(json_response.content)
    assert [r["ref"] for r in records] == ["EXP-N-001"]
    assert "contact_name" not in records[0]


def test_public_export_api_unknown_format_is_400(api):
    r = api.get(PUBLIC_EXPORT, {"format": "pdf"})

    assert r.status_code == 400
    assert set(r.json()["fields"]) == {"format"}


def test_public_export_api_queries_do_not_grow_with_rows(
    api, agency, django_assert_max_num_queries
):
    # given
    for i in range(20):
        make_need(agency, ref=f"EXP-N-{i:03d}", status="published")

    # when / then
    with django_assert_max_num_queries(3):
        r = api.get(PUBLIC_EXPORT, {"format": "json"})
    assert len(json.loads(r.content)) == 20


def test_capabilities_export_api_gives_a_firm_its_own_capabilities(api, firm_user, firm):
    # given: the firm's draft, and another firm's published capability
    make_capability(firm, ref="EXP-C-DRAFT")
    other = factories.FirmFactory.create(region=firm.region)
    capability_submit(actor=None, capability=make_capability(other, ref="EXP-C-OTHER"))

    # when
    anonymous = api.get(CAPABILITIES_EXPORT)
    signed_in = api.as_user(firm_user).get(CAPABILITIES_EXPORT, {"format": "csv"})

    # then: its own, drafts included; the published list is the public export's
    assert anonymous.status_code == 401
    assert signed_in.status_code == 200
    rows = list(csv.DictReader(io.StringIO(signed_in.content.decode("utf-8-sig"))))
    assert [(r["ref"], r["状态（名称）"]) for r in rows] == [("EXP-C-DRAFT", "草稿")]
    assert signed_in["Content-Disposition"].startswith('attachment; filename="capabilities-')


def test_needs_export_api_gives_an_agency_its_own_needs(api, agency_user, agency, listed):
    # given: another agency's published need
    make_need(factories.AgencyFactory.create(region=agency.region), status="published")

    # when
    r = api.as_user(agency_user).get(NEEDS_EXPORT, {"format": "json"})

    # then
    assert r.status_code == 200
    assert sorted(x["ref"] for x in json.loads(r.content)) == ["EXP-N-001", "EXP-N-DRAFT"]
    assert r["X-Total-Count"] == "2"


def test_needs_export_api_requires_sign_in(api):
    r = api.get(NEEDS_EXPORT)

    assert r.status_code == 401


def test_public_capabilities_export_api_gives_anonymous_users_the_published_list(api, firm):
    # given: a published capability with a formula-like title, and a draft
    capability_submit(
        actor=None, capability=make_capability(firm, ref="EXP-C-001", title="=1+2 感知终端")
    )
    make_capability(firm, ref="EXP-C-DRAFT")

    # when
    xlsx = api.get(PUBLIC_CAPABILITIES_EXPORT, {"format": "xlsx"})
    records = json.loads(api.get(PUBLIC_CAPABILITIES_EXPORT).content)

    # then
    assert xlsx.status_code == 200
    assert xlsx["Content-Disposition"].startswith('attachment; filename="capability-list-')
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == export_headers("capability")
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["EXP-C-001"]
    assert (sheet["B2"].data_type, sheet["B2"].quotePrefix) == ("s", True)
    assert [r["ref"] for r in records] == ["EXP-C-001"]
    assert set(records[0]) == {c.name for c in CAPABILITY_COLUMNS}


@pytest.mark.parametrize("url", [PUBLIC_EXPORT, PUBLIC_CAPABILITIES_EXPORT])
def test_public_exports_are_throttled_per_address(api, monkeypatch, url):
    # given: a budget of two anonymous requests a minute
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/min"})

    # when
    codes = [api.get(url).status_code for _ in range(3)]

    # then
    assert codes == [200, 200, 429]


def test_public_capabilities_export_api_unknown_format_is_400(api):
    r = api.get(PUBLIC_CAPABILITIES_EXPORT, {"format": "pdf"})

    assert r.status_code == 400
    assert set(r.json()["fields"]) == {"format"}


def test_own_exports_queries_do_not_grow_with_rows(
    api, firm, firm_user, django_assert_max_num_queries
):
    # given
    for i in range(20):
        make_capability(firm, ref=f"EXP-C-{i:03d}")
    client = api.as_user(firm_user)
    client.get(CAPABILITIES_EXPORT, {"format": "xlsx"})  # the reference trees are built

    # when / then: memberships, capabilities, their chains
    with django_assert_max_num_queries(4):
        r = client.get(CAPABILITIES_EXPORT, {"format": "xlsx"})
    assert r["X-Total-Count"] == "20"


def test_public_need_detail_route_still_answers(api, listed):
    r = api.get(f"/api/v1/public/needs/{listed.pk}/")

    assert r.status_code == 200
    assert r.json()["ref"] == "EXP-N-001"
    assert Organization.objects.filter(pk=listed.agency_id).exists()
