"""The steps of `make run` (reference data, demo data) on a fresh database, twice."""

import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import RequestFactory

from accounts.models import Committee, Membership, Organization
from activity.models import AuditEvent
from matching.models import MatchRun
from reference.models import Region
from tests.test_demo import assert_demo_proposal, demo_state

pytestmark = pytest.mark.django_db


def _snapshot():
    return {
        "regions": Region.objects.count(),
        "committees": Committee.objects.count(),
        "organizations": Organization.objects.count(),
        "users": get_user_model().objects.count(),
        "memberships": Membership.objects.count(),
        "audit": AuditEvent.objects.count(),
    } | demo_state()


def test_run_steps_on_fresh_database_are_idempotent():
    with connection.cursor() as cursor:  # a fresh database: no reference rows at all
        cursor.execute("TRUNCATE scenarios_region, scenarios_industrychain CASCADE")
    assert Region.objects.count() == 0

    out = io.StringIO()
    call_command("load_reference", stdout=out)
    call_command("seed_demo", stdout=out)
    first = _snapshot()
    call_command("load_reference", stdout=out)
    call_command("seed_demo", stdout=out)
    second = _snapshot()

    assert first == second
    # No recommendations before the shortlist, as with a broker whose worker has not taken
    # the lists' full run yet (here it never starts: it follows a commit this test's
    # transaction never makes): the demo scored the agency's need itself.
    assert list(MatchRun.objects.values_list("scope", "status")) == [("need", "done")]
    assert_demo_proposal()
    assert first["regions"] == 3211
    assert first["committees"] == 112
    assert "demo logins" in out.getvalue()
    # A sign-in always has its request (the lockout counts per address and account).
    sign_in = RequestFactory().post("/login/")
    assert authenticate(sign_in, username="admin", password="demo-pass-2026") is not None
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {"platform_admin", "committee_member", "agency_editor", "firm_editor", "expert"}
    cities_with_agencies = set(
        Organization.objects.filter(kind="agency", region__level="city").values_list(
            "region_id", flat=True
        )
    )
    assert len(cities_with_agencies) == 11
    firms = Organization.objects.filter(kind="firm")
    assert firms.filter(verified_at__isnull=True).exists()
    assert firms.filter(verified_at__isnull=False).exists()


def test_load_reference_with_bad_home_province_exits_with_one_line(settings):
    settings.HOME_PROVINCE_CODE = "360100"  # a city, not a province

    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="HOME_PROVINCE_CODE=360100"):
        call_command("load_reference", stdout=io.StringIO())


def test_seed_demo_before_load_reference_fails_with_one_line():
    with connection.cursor() as cursor:  # a fresh database: no reference rows at all
        cursor.execute("TRUNCATE scenarios_region, scenarios_industrychain CASCADE")

    with pytest.raises(CommandError, match="load_reference"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not Membership.objects.exists()


def test_seed_demo_without_the_platform_organisation_fails_with_one_line():
    Membership.objects.filter(organization__kind="platform").delete()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM scenarios_organization WHERE kind = 'platform'")

    with pytest.raises(CommandError, match="load_reference"):
        call_command("seed_demo", stdout=io.StringIO())


def test_the_demo_keeps_its_deadlines_ahead_of_the_day_it_is_loaded():
    import datetime as dt

    from django.utils import timezone

    from scenarios.demo import DEMO_WRITTEN_ON, demo_deadline

    written = (DEMO_WRITTEN_ON + dt.timedelta(days=30)).isoformat()

    assert demo_deadline(written) == timezone.localdate() + dt.timedelta(days=30)
