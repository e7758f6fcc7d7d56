"""Each workspace list can be downloaded: an agency's needs, a firm's capabilities, what a
committee oversees; the public lists have their own download (test_public)."""

import io

import openpyxl
import pytest

from tests import factories
from tests.portal.conftest import signed_in
from tests.scenarios.helpers import make_capability, make_need

pytestmark = pytest.mark.django_db


def refs(response):
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_the_agency_downloads_its_needs_from_its_workspace(agency, agency_user):
    # given: a draft of its own, another agency's published need
    make_need(agency, ref="PG-N-DRAFT")
    make_need(factories.AgencyFactory.create(region=agency.region), status="published")
    client = signed_in(agency_user)

    # when
    home = client.get("/workspace/agency/").content.decode()
    r = client.get("/workspace/exports/needs.xlsx")

    # then
    assert 'href="/workspace/exports/needs.xlsx"' in home
    assert r["Content-Disposition"].startswith('attachment; filename="needs-')
    assert refs(r) == ["PG-N-DRAFT"]


def test_the_firm_downloads_its_capabilities_from_its_workspace(firm, firm_user):
    make_capability(firm, ref="PG-C-DRAFT")
    client = signed_in(firm_user)

    home = client.get("/workspace/firm/").content.decode()
    r = client.get("/workspace/exports/capabilities.xlsx")

    assert 'href="/workspace/exports/capabilities.xlsx"' in home
    assert refs(r) == ["PG-C-DRAFT"]


def test_a_committee_downloads_what_it_oversees(county_reviewer, firm):
    # given: a draft (still the firm's own) and a published capability in Donghu
    make_capability(firm, ref="PG-C-DRAFT")
    published = make_capability(firm, ref="PG-C-PUB")
    published.status = "published"
    published.save(update_fields=["status"])
    client = signed_in(county_reviewer)

    # when
    page = client.get("/workspace/committee/capabilities/").content.decode()
    queue = client.get("/workspace/committee/").content.decode()
    r = client.get("/workspace/exports/capabilities.xlsx")

    # then
    assert 'href="/workspace/exports/capabilities.xlsx"' in page
    assert 'href="/workspace/exports/needs.xlsx"' in queue
    assert refs(r) == ["PG-C-PUB"]


def test_the_downloads_ask_for_sign_in(client):
    r = client.get("/workspace/exports/needs.xlsx")

    assert r.status_code == 302
    assert r["Location"].startswith("/login/")
