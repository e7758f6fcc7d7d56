"""Imports through the pages: the template, a check that lists every row error before
anything is written, then the confirmed import, each a background job the page follows."""

import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from scenarios.exchange.columns import NEED_COLUMNS
from scenarios.models import ImportJob, ScenarioNeed
from tests.portal.conftest import signed_in
from tests.scenarios.helpers import make_need
from tests.scenarios.test_exchange import as_csv, need_row

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
URL = "/workspace/imports/"


@pytest.fixture
def eager_celery():
    """The job's task runs in this process when its transaction commits (as with `make run`
    without Redis); the worker tests cover the real worker."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def upload(client, data, name="机会清单.csv", kind="needs", run=None, **extra):
    with run(execute=True):
        return client.post(URL, {"kind": kind, "file": SimpleUploadedFile(name, data), **extra})


def test_the_template_has_the_headers_and_the_instructions(province_reviewer):
    r = signed_in(province_reviewer).get("/workspace/imports/template-needs.xlsx")

    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert r["Content-Disposition"] == 'attachment; filename="template-needs.xlsx"'
    assert "填写说明" in book.sheetnames
    headers = [c.value for c in next(book.worksheets[0].iter_rows(max_row=1))]
    assert headers == [c.header for c in NEED_COLUMNS]


def test_a_file_with_errors_lists_each_row_and_column_and_writes_nothing(
    province_reviewer, django_capture_on_commit_callbacks
):
    client = signed_in(province_reviewer)
    data = as_csv([need_row(), need_row(ref="IMP-N-002", min_trl=12, region_code="999999")])

    r = upload(client, data, run=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    page = client.get(r["Location"]).content.decode()

    assert r["Location"] == f"/workspace/imports/{job.pk}/"
    assert job.status == "failed"
    assert job.error_count >= 2
    rows = {(e["row"], e["field"]) for e in job.errors}
    assert (3, "min_trl") in rows  # the CSV's third line (the header is line 1)
    assert "未写入任何数据" in page
    assert "<td>3</td>" in page
    assert not ScenarioNeed.objects.exists()


def test_a_checked_file_is_imported_on_confirmation_once(
    province_reviewer, django_capture_on_commit_callbacks
):
    client = signed_in(province_reviewer)
    data = as_csv([need_row(), need_row(ref="IMP-N-002", title="第二个需求")])

    r = upload(client, data, run=django_capture_on_commit_callbacks)
    check = ImportJob.objects.get()
    page = client.get(r["Location"]).content.decode()
    assert check.status == "done"
    assert "检查通过：2 行都可以导入" in page
    assert not ScenarioNeed.objects.exists()  # a check writes nothing

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(f"/workspace/imports/{check.pk}/confirm/")
    again = client.post(f"/workspace/imports/{check.pk}/confirm/")

    job = ImportJob.objects.exclude(pk=check.pk).get()
    assert confirmed["Location"] == f"/workspace/imports/{job.pk}/"
    assert again["Location"] == f"/workspace/imports/{job.pk}/"  # no second import
    assert (job.status, job.created, job.dry_run) == ("done", 2, False)
    assert ScenarioNeed.objects.filter(ref__in=["IMP-N-001", "IMP-N-002"]).count() == 2
    progress = client.get(f"/workspace/imports/{job.pk}/progress/")
    assert progress.status_code == 286
    assert "第 2 / 2 行" in progress.content.decode()


def test_an_empty_or_oversized_file_is_refused_in_place(province_reviewer, settings):
    settings.EXCHANGE_MAX_BYTES = 100
    client = signed_in(province_reviewer)

    empty = client.post(URL, {"kind": "needs", "file": SimpleUploadedFile("a.csv", b"")})
    big = client.post(URL, {"kind": "needs", "file": SimpleUploadedFile("a.csv", b"x" * 101)})

    assert "提交的是空文件" in empty.content.decode()
    assert "文件过大" in big.content.decode()
    assert not ImportJob.objects.exists()


def test_an_oversized_file_is_refused_with_its_own_size(province_reviewer, settings):
    # given: a limit of 1 MiB and a file of 3 MiB (the page said "文件过大（1.0 MiB），上限为
    # 1.0 MiB": it measured only the bytes it had read)
    settings.EXCHANGE_MAX_BYTES = 2**20
    client = signed_in(province_reviewer)

    # when
    big = client.post(
        URL, {"kind": "needs", "file": SimpleUploadedFile("a.csv", b"x" * (3 * 2**20))}
    )

    # then
    assert "文件过大（3.0 MiB），上限为 1.0 MiB。" in big.content.decode()
    assert not ImportJob.objects.exists()


def test_the_file_chooser_offers_the_formats_and_another_is_named_by_extension(
    province_reviewer, django_capture_on_commit_callbacks
):
    client = signed_in(province_reviewer)

    page = client.get(URL).content.decode()
    r = upload(client, b"\x89PNG", name="photo.png", run=django_capture_on_commit_callbacks)

    assert 'accept=".json,.csv,.xlsx"' in page
    assert (
        ImportJob.objects.get().errors[0]["reason"]
        == "只能导入扩展名为 .json、.csv 或 .xlsx 的文件。"
    )
    assert r.status_code == 302


def test_only_importers_reach_the_page_and_each_sees_its_own(
    province_reviewer, city_reviewer, agency_user, django_capture_on_commit_callbacks
):
    upload(
        signed_in(province_reviewer), as_csv([need_row()]), run=django_capture_on_commit_callbacks
    )
    job = ImportJob.objects.get()

    city = signed_in(city_reviewer)
    assert city.get(URL)["Location"] == "/workspace/"
    assert city.get(f"/workspace/imports/{job.pk}/").status_code == 302
    agency = signed_in(agency_user)  # imports its own agency's needs, sees its own jobs
    assert agency.get(URL).status_code == 200
    assert agency.get(f"/workspace/imports/{job.pk}/").status_code == 404
    other_province = signed_in(province_reviewer.__class__.objects.create_user("prov-2"))
    assert other_province.get(f"/workspace/imports/{job.pk}/").status_code == 302


def test_an_agency_edits_its_exported_needs_and_imports_them_by_ref(
    agency, agency_user, django_capture_on_commit_callbacks
):
    # given: its workspace download, one title changed in the spreadsheet
    make_need(agency, ref="PI-N-001")
    make_need(agency, ref="PI-N-002")
    client = signed_in(agency_user)
    book = openpyxl.load_workbook(io.BytesIO(client.get("/workspace/exports/needs.xlsx").content))
    sheet = book.worksheets[0]
    assert sheet["A2"].value == "PI-N-001"
    sheet["B2"] = "城市内涝积水监测（修订）"
    buffer = io.BytesIO()
    book.save(buffer)

    # when: it is checked with 按编号更新, then confirmed
    page = client.get(URL).content.decode()
    r = upload(
        client,
        buffer.getvalue(),
        name="needs.xlsx",
        run=django_capture_on_commit_callbacks,
        update="on",
    )
    check = ImportJob.objects.get()
    checked = client.get(r["Location"]).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/workspace/imports/{check.pk}/confirm/")

    # then: the page offered needs only; the check counted; the import changed one need
    assert 'value="capabilities"' not in page
    assert 'name="update"' in page
    assert (check.status, check.update, check.updated, check.unchanged) == ("done", True, 1, 1)
    assert "将新建 0 条，更新 1 条；1 条与已有数据相同，不改动。" in checked
    job = ImportJob.objects.exclude(pk=check.pk).get()
    assert (job.status, job.update, job.updated) == ("done", True, 1)
    first, second = ScenarioNeed.objects.order_by("ref")
    assert (first.title, first.version) == ("城市内涝积水监测（修订）", 2)
    assert second.version == 1


def test_a_firm_imports_capabilities_only(firm_user):
    client = signed_in(firm_user)

    page = client.get(URL).content.decode()
    needs = client.post(URL, {"kind": "needs", "file": SimpleUploadedFile("a.csv", b"x")})

    assert 'value="capabilities"' in page
    assert 'value="needs"' not in page
    assert "template-needs.xlsx" not in page
    assert "上传能力清单（本企业的场景能力）。" in page  # not "机会清单或能力清单"
    assert "机会清单或能力清单" not in page
    assert not ImportJob.objects.exists()
    assert needs.status_code == 200  # the form says the choice is not offered


def test_a_suspended_firm_is_told_before_choosing_a_file_that_it_cannot_import(
    firm, firm_user, platform_admin
):
    from scenarios.services.firms import organization_suspend

    # given: the firm's only organization suspended by a committee
    organization_suspend(actor=platform_admin, organization=firm, reason="资质证明过期")
    client = signed_in(firm_user)

    # when: its editor opens the import page (a bookmark; the workspace hides the button)
    r = client.get(URL, follow=True)

    # then: back on the workspace with the reason, as on the page for a new capability
    assert r.redirect_chain == [("/workspace/firm/", 302)]
    assert "企业已被暂停，暂停期间不能登记新的能力。" in r.content.decode()


def test_a_firm_editor_imports_once_the_firm_is_reinstated(firm, firm_user, platform_admin):
    from scenarios.services.firms import organization_reinstate, organization_suspend

    organization_suspend(actor=platform_admin, organization=firm, reason="资质证明过期")
    organization_reinstate(actor=platform_admin, organization=firm, reason="整改完毕")

    r = signed_in(firm_user).get(URL)

    assert r.status_code == 200
    assert 'name="file"' in r.content.decode()


def test_a_province_member_keeps_the_workspace_tabs_on_the_import_pages(
    province_reviewer, django_capture_on_commit_callbacks
):
    client = signed_in(province_reviewer)
    r = upload(client, as_csv([need_row()]), run=django_capture_on_commit_callbacks)

    for url in (URL, r["Location"]):
        html = client.get(url).content.decode()
        tabs = html.split('class="nav nav-tabs', 1)[1].split("</ul>", 1)[0]
        current = re.findall(r'class="nav-link active" aria-current="page" href="([^"]+)"', tabs)
        assert current == [URL], url
        h1 = [re.sub(r"<[^>]+>|\s+", "", t) for t in re.findall(r"<h1[^>]*>(.*?)</h1>", html)]
        assert h1 == ["工作委员会工作台"], url


def test_the_import_check_names_the_file_in_the_readers_language(
    province_reviewer, django_capture_on_commit_callbacks
):
    from django.conf import settings

    client = signed_in(province_reviewer)
    r = upload(client, as_csv([need_row()]), run=django_capture_on_commit_callbacks)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get(r["Location"]).content.decode()

    assert "Check: 机会清单.csv" in html  # was "Check：机会清单.csv"


def test_an_imported_needs_history_reads_in_the_readers_language(agency, agency_user):
    from django.conf import settings

    from scenarios.exchange import needs_import

    # given: a need an agency imported as a draft (the platform wrote 批量导入为草稿。)
    row = need_row(ref="IMP-N-EN1", org_name=agency.name)
    needs_import(actor=agency_user, data=as_csv([row]), fmt="csv")
    client = signed_in(agency_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    # when
    html = client.get("/workspace/agency/needs/IMP-N-EN1/").content.decode()

    # then
    assert "批量导入为草稿" not in html
    assert "Bulk imported as draft." in html


def test_a_file_one_byte_over_the_limit_is_told_apart_from_the_limit(province_reviewer, settings):
    settings.EXCHANGE_MAX_BYTES = 2**20
    client = signed_in(province_reviewer)

    big = client.post(
        URL, {"kind": "needs", "file": SimpleUploadedFile("a.csv", b"x" * (2**20 + 1))}
    )

    # "文件过大（1.0 MiB），上限为 1.0 MiB" read as if the file were at the limit
    assert "文件过大（1,048,577 B），上限为 1,048,576 B。" in big.content.decode()


def test_a_city_committee_member_is_told_why_it_cannot_import(city_reviewer):
    # Given a city committee member (only the province committee imports for all)

    # When they open the import page by its address
    r = signed_in(city_reviewer).get(URL, follow=True)

    # Then they land on their workspace with the reason, not silently
    html = r.content.decode()
    assert r.redirect_chain[0] == ("/workspace/", 302)
    assert "批量导入由省级工作委员会或平台管理员进行" in html
