import pytest

from accounts.choices import Role
from accounts.models import Membership, Organization
from accounts.services.organizations import (
    membership_grant,
    organization_create,
    organization_update,
)
from activity.models import AuditEvent
from core.errors import ActorNotAllowed, InvalidInput
from reference.models import Region
from scenarios.models import PolicyVersion
from scenarios.services.firms import organization_verify
from scenarios.services.policy import policy_current, policy_update
from tests import factories

pytestmark = pytest.mark.django_db


def test_organization_update_by_own_editor_is_audited(firm, firm_user):
    organization_update(actor=firm_user, organization=firm, contact_name="王工")

    firm.refresh_from_db()
    assert firm.contact_name == "王工"
    event = AuditEvent.objects.get(action="organization.update", target_id=str(firm.pk))
    assert event.actor == firm_user
    assert event.data["after"] == {"contact_name": "王工"}


def test_organization_update_outside_own_organization_is_refused(firm_user):
    other_firm = factories.FirmFactory.create()

    with pytest.raises(ActorNotAllowed):
        organization_update(actor=firm_user, organization=other_firm, contact_name="冒名")

    other_firm.refresh_from_db()
    assert other_firm.contact_name == ""


def test_organization_update_by_agency_editor_of_a_firm_is_refused(agency_user, firm):
    with pytest.raises(ActorNotAllowed):
        organization_update(actor=agency_user, organization=firm, name="改名")


def test_organization_update_rejects_protected_fields(firm, firm_user):
    with pytest.raises(InvalidInput) as excinfo:
        organization_update(actor=firm_user, organization=firm, credit_code="914403001922038216")

    assert "credit_code" in excinfo.value.fields


def test_organization_create_rejects_invalid_credit_code():
    region = Region.objects.get(code="360100")

    with pytest.raises(InvalidInput) as excinfo:
        organization_create(
            actor=None,
            kind="firm",
            name="坏代码公司",
            region=region,
            credit_code="91350100M000100Y44",
        )

    assert "credit_code" in excinfo.value.fields
    assert not Organization.objects.filter(name="坏代码公司").exists()


def test_organization_create_refuses_duplicate_credit_code(firm):
    with pytest.raises(InvalidInput) as excinfo:
        organization_create(
            actor=None,
            kind="firm",
            name="另一家",
            region=firm.region,
            credit_code=firm.credit_code,
        )

    assert "credit_code" in excinfo.value.fields


def test_organization_create_by_non_admin_is_refused(firm_user):
    with pytest.raises(ActorNotAllowed):
        organization_create(
            actor=firm_user, kind="agency", name="假机关", region=Region.objects.get(code="360100")
        )


def test_organization_verify_by_covering_city_committee(city_reviewer):
    firm = factories.FirmFactory.create(region=Region.objects.get(code="360102"), verified_at=None)

    organization_verify(actor=city_reviewer, organization=firm)

    firm.refresh_from_db()
    assert firm.is_verified
    assert firm.verified_by == city_reviewer
    assert (
        AuditEvent.objects.filter(action="organization.verify", target_id=str(firm.pk)).count() == 1
    )


def test_organization_verify_twice_is_a_no_op(platform_admin):
    firm = factories.FirmFactory.create(verified_at=None)
    organization_verify(actor=platform_admin, organization=firm)
    firm.refresh_from_db()
    first = firm.verified_at

    organization_verify(actor=platform_admin, organization=firm)

    firm.refresh_from_db()
    assert firm.verified_at == first
    assert (
        AuditEvent.objects.filter(action="organization.verify", target_id=str(firm.pk)).count() == 1
    )


def test_organization_verify_outside_committee_subtree_is_refused(other_city_reviewer):
    firm = factories.FirmFactory.create(region=Region.objects.get(code="360102"), verified_at=None)

    with pytest.raises(ActorNotAllowed):
        organization_verify(actor=other_city_reviewer, organization=firm)

    firm.refresh_from_db()
    assert not firm.is_verified


def test_organization_verify_out_of_province_firm_needs_admin(province_reviewer, platform_admin):
    firm = factories.FirmFactory.create(region=Region.objects.get(code="440305"), verified_at=None)

    with pytest.raises(ActorNotAllowed):
        organization_verify(actor=province_reviewer, organization=firm)
    organization_verify(actor=platform_admin, organization=firm)

    firm.refresh_from_db()
    assert firm.is_verified


def test_membership_grant_rejects_role_that_does_not_fit_kind(platform_admin, firm):
    user = factories.UserFactory.create()

    with pytest.raises(InvalidInput):
        membership_grant(
            actor=platform_admin, user=user, organization=firm, role=Role.AGENCY_EDITOR
        )

    assert not Membership.objects.filter(user=user).exists()


def test_membership_grant_by_firm_editor_is_refused(firm_user, firm):
    user = factories.UserFactory.create()

    with pytest.raises(ActorNotAllowed):
        membership_grant(actor=firm_user, user=user, organization=firm, role=Role.FIRM_EDITOR)


def test_policy_update_by_province_committee_creates_new_version(province_reviewer):
    old = policy_current()
    weights = dict(old.matching_weights, text=0.5)

    new = policy_update(actor=province_reviewer, matching_weights=weights, note="加大文本权重")

    assert new.version == old.version + 1
    assert new.matching_weights["text"] == 0.5
    old.refresh_from_db()
    assert old.matching_weights["text"] != 0.5
    assert policy_current() == new


def test_policy_update_by_city_committee_is_refused(city_reviewer):
    versions = PolicyVersion.objects.count()

    with pytest.raises(ActorNotAllowed):
        policy_update(actor=city_reviewer, major_budget_threshold_cny=1)

    assert PolicyVersion.objects.count() == versions


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"matching_weights": {"text": 1.0}}, "matching_weights"),
        (
            {
                "region_weights": {
                    "same_county": -1,
                    "same_city": 1,
                    "same_province": 1,
                    "outside": 1,
                }
            },
            "region_weights",
        ),
        ({"selection_criteria": []}, "selection_criteria"),
        ({"recommendations_per_need": 0}, "recommendations_per_need"),
        ({"major_budget_threshold_cny": -5}, "major_budget_threshold_cny"),
        ({"high_value_threshold": 101}, "high_value_threshold"),
    ],
)
def test_policy_update_rejects_bad_values(province_reviewer, changes, field):
    versions = PolicyVersion.objects.count()

    with pytest.raises(InvalidInput) as excinfo:
        policy_update(actor=province_reviewer, **changes)

    assert field in excinfo.value.fields
    assert PolicyVersion.objects.count() == versions


# --- what people add and rename meets the sign-up's checks ---------------------------------


def test_organization_create_by_admin_refuses_a_name_that_reads_the_same(platform_admin, firm):
    # given: an existing firm; when: the operator adds a firm under its name with the other
    # spelling of the legal form
    look_alike = firm.name.replace("有限公司", "有限责任公司")

    with pytest.raises(InvalidInput) as excinfo:
        organization_create(
            actor=platform_admin,
            kind="firm",
            name=look_alike,
            region=firm.region,
            credit_code=factories.credit_code_for(90001),
        )

    # then: refused on the name, as sign-up would
    assert "其他单位使用" in excinfo.value.fields["name"][0]
    assert not Organization.objects.filter(name=look_alike).exists()


def test_organization_create_by_admin_refuses_code_from_another_province(platform_admin):
    # given: a credit code issued in Jiangxi; when: the firm is placed in Beijing
    with pytest.raises(InvalidInput) as excinfo:
        organization_create(
            actor=platform_admin,
            kind="firm",
            name="北京新智科技有限公司",
            region=Region.objects.get(code="110000"),
            credit_code=factories.credit_code_for(90002, "360100"),
        )

    # then: refused on the region, naming the province of registration
    assert "江西省" in excinfo.value.fields["region"][0]


@pytest.mark.parametrize("name", ["江西赣智\u202e科技有限公司", "\u200b\u200b", "赣智\u200b科技"])
def test_organization_create_by_admin_refuses_invisible_characters_in_the_name(
    platform_admin, name
):
    with pytest.raises(InvalidInput) as excinfo:
        organization_create(
            actor=platform_admin,
            kind="agency",
            name=name,
            region=Region.objects.get(code="360100"),
        )

    assert "name" in excinfo.value.fields
    assert not Organization.objects.filter(name=name).exists()


def test_organization_update_refuses_renaming_to_another_organizations_name(
    platform_admin, firm, agency
):
    # when: the operator renames the firm to the agency's name
    with pytest.raises(InvalidInput) as excinfo:
        organization_update(actor=platform_admin, organization=firm, name=agency.name)

    # then: refused; the firm keeps its name
    assert "name" in excinfo.value.fields
    firm.refresh_from_db()
    assert firm.name != agency.name


def test_organization_update_keeps_own_name_and_refuses_override_and_invisible_contact(
    platform_admin, firm
):
    # given: a rename that only changes spacing of its own name is not a clash with itself
    organization_update(actor=platform_admin, organization=firm, name=f" {firm.name}".strip())

    # when: a direction override in the name, an invisible contact name
    with pytest.raises(InvalidInput) as bidi:
        organization_update(actor=platform_admin, organization=firm, name="赣智\u202e科技有限公司")
    with pytest.raises(InvalidInput) as contact:
        organization_update(actor=platform_admin, organization=firm, contact_name="\u200b")

    # then: both refused on their fields
    assert "name" in bidi.value.fields
    assert "contact_name" in contact.value.fields
