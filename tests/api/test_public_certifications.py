"""The public capability list goes by the certifications a firm's committee checked: a firm's
own claim is listed as such, and is no certification to filter by (on every database)."""

import pytest

from scenarios.services.capabilities import capability_submit
from scenarios.services.firms import organization_certify
from tests.scenarios.helpers import make_capability

pytestmark = pytest.mark.django_db
CAPS = "/api/v1/public/capabilities/"


def test_a_claimed_certification_is_marked_and_filters_only_once_checked(api, firm, firm_user):
    # Given a published capability whose firm claims 首台（套） and 高新技术企业, none checked
    cap = capability_submit(
        actor=None,
        capability=make_capability(firm, certifications=["first_of_kind", "high_tech"]),
    )
    own = api.as_user(firm_user)

    # When the public asks for 首台（套）
    before = api.get(CAPS, {"certification": "first_of_kind"}).json()
    row = api.get(f"{CAPS}{cap.pk}/").json()

    # Then the claim is listed as made, nothing is checked, and the filter finds nothing;
    # the firm's own list still filters by its claims, which are what it works on
    assert before["count"] == 0
    assert (row["certifications"], row["verified_certifications"]) == (
        ["first_of_kind", "high_tech"],
        [],
    )
    assert own.get("/api/v1/capabilities/", {"certification": "first_of_kind"}).json()["count"] == 1

    # When the committee checks 高新技术企业 only
    organization_certify(
        actor=None,
        organization=firm,
        certifications=["high_tech"],
        capacity=None,
        reason="核验证书",
    )

    # Then the public finds it by that one, not by the other claim
    assert api.get(CAPS, {"certification": "high_tech"}).json()["count"] == 1
    assert api.get(CAPS, {"certification": "first_of_kind"}).json()["count"] == 0
    assert api.get(f"{CAPS}{cap.pk}/").json()["verified_certifications"] == ["high_tech"]
