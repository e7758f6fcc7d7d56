"""A committee's verification and reinstatement of a firm through the API follow the rules the
pages follow: a look-alike name is verified only with what was checked, a reinstatement says
why, and certifications checked at verification are recorded."""

import pytest

from activity.models import AuditEvent
from core.errors import InvalidInput
from reference.models import Region
from scenarios.services.firms import organization_suspend
from tests import factories

pytestmark = pytest.mark.django_db
REGION = "360102"


def unverified(name: str):
    return factories.FirmFactory.create(
        name=name, region=Region.objects.get(code=REGION), verified_at=None
    )


def test_a_look_alike_firm_is_verified_only_with_what_was_checked(api, city_reviewer):
    # Given a verified firm and a sign-up whose name differs only in its organizational form
    factories.FirmFactory.create(
        name="赣江云图信息技术有限公司", region=Region.objects.get(code=REGION)
    )
    alike = unverified("赣江云图信息技术股份有限公司")
    client = api.as_user(city_reviewer)
    url = f"/api/v1/organizations/{alike.pk}/verify/"

    # When the committee verifies it without a word, then with what it checked
    bare = client.post(url, {}, format="json")
    said = client.post(
        url,
        {"reason": "核对营业执照名称与信用代码", "certifications": ["high_tech"], "capacity": 3},
        format="json",
    )

    # Then the first is refused on the reason and changes nothing; the second verifies and
    # records the checked certification and capacity, with the reason in the audit
    assert (bare.status_code, list(bare.json()["fields"])) == (400, ["reason"])
    assert said.status_code == 200, said.json()
    alike.refresh_from_db()
    assert alike.verified_at is not None
    assert (alike.verified_certifications, alike.verified_capacity) == (["high_tech"], 3)
    assert (
        AuditEvent.objects.get(action="organization.verify").reason == "核对营业执照名称与信用代码"
    )


def test_a_firm_without_a_look_alike_is_verified_with_an_empty_body(api, city_reviewer):
    firm = unverified("瑶湖星链量子传感有限公司")

    response = api.as_user(city_reviewer).post(
        f"/api/v1/organizations/{firm.pk}/verify/", {}, format="json"
    )

    assert response.status_code == 200, response.json()
    firm.refresh_from_db()
    assert firm.verified_at is not None
    assert firm.certified_at is None  # nothing checked was said: no certification recorded


def test_a_reinstatement_says_why(api, city_reviewer):
    firm = factories.FirmFactory.create(region=Region.objects.get(code=REGION))
    organization_suspend(actor=city_reviewer, organization=firm, reason="资质存疑")
    client = api.as_user(city_reviewer)
    url = f"/api/v1/organizations/{firm.pk}/reinstate/"

    bare = client.post(url, {}, format="json")
    hidden = client.post(url, {"reason": "\u202e已整改"}, format="json")
    said = client.post(url, {"reason": "已整改，复核通过"}, format="json")

    assert (bare.status_code, list(bare.json()["fields"])) == (400, ["reason"])
    assert (hidden.status_code, list(hidden.json()["fields"])) == (400, ["reason"])
    assert said.status_code == 200, said.json()
    firm.refresh_from_db()
    assert firm.suspended_at is None
    assert AuditEvent.objects.get(action="organization.reinstate").reason == "已整改，复核通过"


def test_a_suspension_reason_longer_than_the_firm_keeps_is_refused_not_cut(api, city_reviewer):
    # Given a verified firm
    firm = factories.FirmFactory.create(region=Region.objects.get(code=REGION))
    client = api.as_user(city_reviewer)
    url = f"/api/v1/organizations/{firm.pk}/suspend/"

    # When the committee suspends it with 812 characters of reason, then with 500
    long = client.post(url, {"reason": "资质" * 406}, format="json")
    fits = client.post(url, {"reason": "证" * 500}, format="json")

    # Then the long reason is refused on its field and nothing is suspended meanwhile; the
    # reason that fits is stored whole
    assert long.status_code == 400, long.json()
    assert "reason" in long.json()["fields"]
    assert fits.status_code == 200, fits.json()
    firm.refresh_from_db()
    assert firm.suspension_reason == "证" * 500


def test_the_suspension_service_refuses_a_reason_it_cannot_store(city_reviewer):
    firm = factories.FirmFactory.create(region=Region.objects.get(code=REGION))

    with pytest.raises(InvalidInput) as refused:
        organization_suspend(actor=city_reviewer, organization=firm, reason="理" * 501)

    assert "reason" in refused.value.fields
    firm.refresh_from_db()
    assert not firm.is_suspended


def test_verifying_a_verified_firm_again_with_other_certifications_is_refused(api, city_reviewer):
    """It answered 200 and dropped the certifications sent, as if recorded."""
    firm = unverified("瑶湖星链光电有限公司")
    client = api.as_user(city_reviewer)
    url = f"/api/v1/organizations/{firm.pk}/verify/"
    first = client.post(url, {"certifications": ["high_tech"], "capacity": 5}, format="json")
    assert first.status_code == 200, first.json()

    same = client.post(url, {"certifications": ["high_tech"], "capacity": 5}, format="json")
    other = client.post(url, {"certifications": ["first_of_kind"]}, format="json")

    assert same.status_code == 200
    assert other.status_code == 409, other.json()
    assert "另行记录核验结果" in other.json()["detail"]
    firm.refresh_from_db()
    assert (firm.verified_certifications, firm.verified_capacity) == (["high_tech"], 5)
