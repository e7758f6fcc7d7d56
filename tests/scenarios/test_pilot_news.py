"""What became of a pilot reaches its firm and its agency: the outcome recorded, confirmed by
the committee, recognised as 首台（套） or a best-practice case (they heard of none of it, and
their pilot pages did not show a recognition); a recognition honours the version."""

import datetime as dt

import pytest
from django.utils import timezone

from activity.models import Notification
from core.errors import StaleVersion
from scenarios.services.pilots import (
    pilot_conclude,
    pilot_confirm_outcome,
    pilot_recognize,
    pilot_start,
)
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(city_reviewer, published_need, published_capability):
    return pilot_start(
        actor=city_reviewer,
        need=published_need,
        capability=published_capability,
        tolerance_until=timezone.localdate() + dt.timedelta(days=90),
    )


def verbs(user):
    return list(
        Notification.objects.filter(user=user, verb__startswith="pilot.")
        .exclude(verb="pilot.started")
        .order_by("id")
        .values_list("verb", "params__variant")
    )


def test_the_firm_and_the_agency_hear_what_became_of_the_pilot(
    running, agency_user, firm_user, city_reviewer
):
    # when the agency records the outcome, the committee confirms it and recognises it twice
    pilot = pilot_conclude(
        actor=agency_user, pilot=running, outcome="validated", trl_after=8, note="达标"
    )
    pilot = pilot_confirm_outcome(actor=city_reviewer, pilot=pilot)
    pilot = pilot_recognize(
        actor=city_reviewer,
        pilot=pilot,
        first_of_kind=True,
        best_practice=False,
        expected_version=pilot.version,
    )
    pilot = pilot_recognize(
        actor=city_reviewer, pilot=pilot, first_of_kind=True, best_practice=True
    )
    # the same recognition again tells nobody anything new
    pilot_recognize(actor=city_reviewer, pilot=pilot, first_of_kind=True, best_practice=True)

    # then the firm heard each step; the agency, which recorded the outcome, the rest
    assert verbs(firm_user) == [
        ("pilot.concluded", "validated"),
        ("pilot.confirmed", "validated"),
        ("pilot.recognized", "first_of_kind"),
        ("pilot.recognized", "best_practice"),
    ]
    assert verbs(agency_user) == [
        ("pilot.confirmed", "validated"),
        ("pilot.recognized", "first_of_kind"),
        ("pilot.recognized", "best_practice"),
    ]
    note = Notification.objects.filter(user=firm_user, verb="pilot.recognized").first()
    assert note is not None
    assert str(note.target_id) == str(pilot.pk)
    # and both pilot pages say what it was recognised as
    firm_page = signed_in(firm_user).get(f"/workspace/firm/pilots/{pilot.pk}/").content.decode()
    agency_page = (
        signed_in(agency_user).get(f"/workspace/agency/pilots/{pilot.pk}/").content.decode()
    )
    for html in (firm_page, agency_page):
        recognition = html.split('id="pilot-recognition"')[1].split("</p>")[0]
        assert "已推荐首台（套）" in recognition
        assert "已推荐最佳实践案例" in recognition


def test_a_recognition_with_a_stale_version_is_refused(running, agency_user, city_reviewer, api):
    pilot = pilot_conclude(
        actor=agency_user, pilot=running, outcome="validated", trl_after=8, note="达标"
    )
    pilot = pilot_confirm_outcome(actor=city_reviewer, pilot=pilot)
    with pytest.raises(StaleVersion):
        pilot_recognize(
            actor=city_reviewer,
            pilot=pilot,
            first_of_kind=True,
            best_practice=False,
            expected_version=pilot.version - 1,
        )

    url = f"/api/v1/pilots/{pilot.pk}/recognize/"
    client = api.as_user(city_reviewer)
    stale = client.post(url, {"first_of_kind": True}, format="json", HTTP_IF_MATCH='"1"')
    malformed = client.post(url, {"first_of_kind": True}, format="json", HTTP_IF_MATCH="garbage")
    fresh = client.post(
        url, {"first_of_kind": True}, format="json", HTTP_IF_MATCH=f'"{pilot.version}"'
    )

    assert stale.status_code == 412
    assert malformed.status_code == 400
    assert (fresh.status_code, fresh.json()["first_of_kind_recommended"]) == (200, True)


def test_a_committee_recording_the_outcome_tells_both_sides_it_is_confirmed(
    running, agency_user, firm_user, city_reviewer
):
    pilot_conclude(
        actor=city_reviewer, pilot=running, outcome="failed", trl_after=running.trl_before, note="x"
    )

    assert verbs(firm_user) == [("pilot.confirmed", "failed")]
    assert verbs(agency_user) == [("pilot.confirmed", "failed")]
