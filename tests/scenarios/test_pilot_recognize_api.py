"""``POST /pilots/{id}/recognize/`` through the API: its flags are JSON booleans."""

import datetime as dt

import pytest
from django.utils import timezone

from scenarios.models import Pilot
from scenarios.services.pilots import pilot_conclude, pilot_confirm_outcome, pilot_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(agency_user, city_reviewer, published_need, published_capability):
    """A validated pilot whose outcome the committee confirmed: one it may recommend."""
    pilot = pilot_start(
        actor=city_reviewer,
        need=published_need,
        capability=published_capability,
        tolerance_until=timezone.localdate() + dt.timedelta(days=90),
    )
    pilot = pilot_conclude(
        actor=agency_user, pilot=pilot, outcome="validated", trl_after=8, note="达标"
    )
    return pilot_confirm_outcome(actor=city_reviewer, pilot=pilot)


@pytest.mark.parametrize(
    "body",
    [
        {"first_of_kind": "yes"},
        {"first_of_kind": 1},
        {"first_of_kind": "true"},
        {"best_practice": "on"},
        {"first_of_kind": True, "best_practice": 0},
    ],
)
def test_recognize_refuses_flags_that_are_not_json_booleans(api, city_reviewer, confirmed, body):
    # when
    response = api.as_user(city_reviewer).post(
        f"/api/v1/pilots/{confirmed.pk}/recognize/", body, format="json"
    )

    # then: a 400 on the field, and nothing recommended
    assert response.status_code == 400, response.json()
    (field,) = (k for k, v in body.items() if not isinstance(v, bool))
    assert response.json()["fields"][field] == ["必须是 true 或 false。"]
    pilot = Pilot.objects.get(pk=confirmed.pk)
    assert not pilot.first_of_kind_recommended
    assert not pilot.best_practice_nominated


def test_recognize_takes_json_true(api, city_reviewer, confirmed):
    response = api.as_user(city_reviewer).post(
        f"/api/v1/pilots/{confirmed.pk}/recognize/",
        {"first_of_kind": True, "best_practice": False},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["first_of_kind_recommended"] is True
    assert response.json()["best_practice_nominated"] is False
