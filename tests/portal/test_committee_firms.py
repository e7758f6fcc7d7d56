"""The committee's firms page: sign-ups waiting for verification first, verifying one,
recording what was checked of its claims, suspending with a reason, refusals in place."""

import re

import pytest

from accounts.models import Organization
from activity.models import AuditEvent
from reference.models import Region
from scenarios.services.capabilities import capability_submit
from tests import factories
from tests.portal.conftest import signed_in
from tests.scenarios.helpers import make_capability

pytestmark = pytest.mark.django_db
PAGE = "/workspace/committee/firms/"


@pytest.fixture
def signup(db):
    """A firm of Donghu that signed itself up and claims two certifications."""
    firm = factories.FirmFactory.create(
        region=Region.objects.get(code="360102"), name="东湖新注册科技有限公司", verified_at=None
    )
    capability_submit(
        actor=None,
        capability=make_capability(firm, certifications=["first_of_kind", "high_tech"]),
    )
    return firm


def act(user, firm, **data):
    return signed_in(user).post(f"{PAGE}{firm.pk}/act/", data)


def test_sign_ups_waiting_come_first_with_what_they_claim(signup, city_reviewer):
    page = signed_in(city_reviewer).get(PAGE)

    html = page.content.decode()
    assert page.status_code == 200
    assert "东湖新注册科技有限公司" in html
    assert signup.credit_code in html
    assert "待认证" in html
    assert "首台（套）" in html  # claimed on its capability
    assert "尚未核验" in html


def test_verifying_a_sign_up_publishes_its_waiting_capability(signup, county_reviewer):
    r = act(county_reviewer, signup, action="verify", reason="营业执照已核对")

    signup.refresh_from_db()
    assert r.status_code == 302
    assert signup.is_verified
    assert signup.capabilities.get().status == "published"


def test_recording_a_check_keeps_only_what_was_verified(signup, city_reviewer):
    act(city_reviewer, signup, action="verify")

    r = act(
        city_reviewer,
        signup,
        action="certify",
        certifications=["high_tech"],
        capacity="3",
        reason="现场核验",
    )

    signup.refresh_from_db()
    assert r.status_code == 302
    assert (signup.verified_certifications, signup.verified_capacity) == (["high_tech"], 3)
    event = AuditEvent.objects.filter(action="organization.certify").get()
    assert event.data["after"] == {"certifications": ["high_tech"], "capacity": 3}
    page = signed_in(city_reviewer).get(PAGE + "?status=verified").content.decode()
    assert "每项能力 3 个试点" in page


def test_a_bad_capacity_comes_back_in_place_with_what_was_typed(signup, city_reviewer):
    r = act(
        city_reviewer,
        signup,
        action="certify",
        certifications=["specialized_sme"],
        capacity="0",
        reason="依据材料",
    )

    html = r.content.decode()
    signup.refresh_from_db()
    assert r.status_code == 200
    assert signup.certified_at is None  # nothing stored
    assert f'id="id_{signup.pk}_capacity_error"' in html
    assert 'value="0"' in html
    assert "依据材料" in html
    (box,) = re.findall(r'<input type="checkbox"[^>]*value="specialized_sme"[^>]*>', html)
    assert "checked" in box


def test_suspending_needs_a_reason_and_takes_the_firm_off_the_list(signup, city_reviewer):
    act(city_reviewer, signup, action="verify")

    refused = act(city_reviewer, signup, action="suspend", reason="  ")
    done = act(city_reviewer, signup, action="suspend", reason="资质造假")

    signup.refresh_from_db()
    assert refused.status_code == 200
    assert "请填写理由" in refused.content.decode()
    assert done.status_code == 302
    assert signup.is_suspended
    assert signup.capabilities.get().status == "suspended"
    page = signed_in(city_reviewer).get(PAGE + "?status=suspended").content.decode()
    assert "资质造假" in page
    own = factories.member(signup, "firm_editor")
    home = signed_in(own).get("/workspace/firm/").content.decode()
    assert "资质造假" in home  # the firm is told why
    assert "登记新能力" not in home  # and not offered what it may not do meanwhile
    by_address = signed_in(own).get("/workspace/firm/capabilities/new/", follow=True)
    assert by_address.redirect_chain[-1][0] == "/workspace/firm/"
    assert "暂停期间不能登记新的能力" in by_address.content.decode()


def test_an_action_the_firm_is_not_in_state_for_is_refused_in_place(signup, city_reviewer):
    r = act(city_reviewer, signup, action="reinstate", reason="")

    assert r.status_code == 200
    assert "这个企业当前不能这样处理" in r.content.decode()
    assert not Organization.objects.get(pk=signup.pk).is_suspended


def test_another_citys_committee_neither_sees_nor_acts_on_the_firm(signup, other_city_reviewer):
    page = signed_in(other_city_reviewer).get(PAGE)
    r = act(other_city_reviewer, signup, action="verify")

    assert "东湖新注册科技有限公司" not in page.content.decode()
    assert r.status_code == 404
    signup.refresh_from_db()
    assert not signup.is_verified


def test_a_firm_editor_is_sent_to_its_own_workspace(signup, firm_user):
    r = signed_in(firm_user).get(PAGE)

    assert r.status_code == 302


def test_a_sign_up_whose_name_looks_like_another_is_flagged(city_reviewer):
    donghu = Region.objects.get(code="360102")
    factories.FirmFactory.create(region=donghu, name="萍乡赣湘工业陶瓷有限公司")
    signups = ("萍乡赣湘工业陶瓷股份有限公司", "萍乡赣相工业陶瓷有限公司", "南昌绿源环保有限公司")
    for name in signups:
        factories.FirmFactory.create(region=donghu, name=name, verified_at=None)

    html = signed_in(city_reviewer).get(PAGE, {"status": "unverified"}).content.decode()
    cards = {}
    for name in signups:
        card = re.search(rf"<h2>{name}.*?</article>", html, re.S)
        assert card is not None, name
        cards[name] = card.group(0)

    assert "名称与平台上已有的单位相近" in cards["萍乡赣湘工业陶瓷股份有限公司"]
    assert "“萍乡赣湘工业陶瓷有限公司”" in cards["萍乡赣湘工业陶瓷股份有限公司"]
    assert "“萍乡赣湘工业陶瓷有限公司”" in cards["萍乡赣相工业陶瓷有限公司"]
    assert "名称与平台上已有的单位相近" not in cards["南昌绿源环保有限公司"]


def test_a_simplified_sign_up_is_flagged_against_a_name_stored_in_traditional(city_reviewer):
    donghu = Region.objects.get(code="360102")
    factories.FirmFactory.create(region=donghu, name="萍鄉贛湘工業陶瓷股份有限公司")
    factories.FirmFactory.create(region=donghu, name="萍乡赣湘工业陶瓷有限公司", verified_at=None)

    html = signed_in(city_reviewer).get(PAGE, {"status": "unverified"}).content.decode()

    assert "“萍鄉贛湘工業陶瓷股份有限公司”" in html


def test_verifying_with_certifications_ticked_records_them_in_the_same_step(signup, city_reviewer):
    # Given a sign-up waiting for verification

    # When the committee verifies it with a certification ticked and a capacity typed
    client = signed_in(city_reviewer)
    r = client.post(
        f"{PAGE}{signup.pk}/act/",
        {
            "action": "verify",
            "certifications": ["high_tech"],
            "capacity": "2",
            "reason": "营业执照与高企证书已核对",
        },
    )

    # Then the firm is verified and the check is recorded (audited), as the message says
    signup.refresh_from_db()
    assert r.status_code == 302
    assert signup.is_verified
    assert (signup.verified_certifications, signup.verified_capacity) == (["high_tech"], 2)
    event = AuditEvent.objects.get(action="organization.certify")
    assert event.reason == "营业执照与高企证书已核对"
    assert event.data["after"] == {"certifications": ["high_tech"], "capacity": 2}
    assert "并记录了资质核验" in client.get(r["Location"]).content.decode()


def test_verifying_an_untouched_form_leaves_the_claims_unchecked(signup, city_reviewer):
    # Given a sign-up; When it is verified with nothing ticked
    act(city_reviewer, signup, action="verify")

    # Then no check is recorded: the page still says 尚未核验
    signup.refresh_from_db()
    assert signup.is_verified
    assert signup.certified_at is None
    assert not AuditEvent.objects.filter(action="organization.certify").exists()


def test_a_sign_up_with_a_look_alike_name_is_verified_only_with_what_was_checked(
    city_reviewer,
):
    # Given a sign-up whose name looks like an existing firm's
    donghu = Region.objects.get(code="360102")
    factories.FirmFactory.create(region=donghu, name="萍乡赣湘工业陶瓷有限公司")
    alike = factories.FirmFactory.create(
        region=donghu, name="萍乡赣湘工业陶瓷股份有限公司", verified_at=None
    )

    # When the committee verifies it without saying what it checked, then with it
    refused = act(city_reviewer, alike, action="verify", reason=" ")
    done = act(city_reviewer, alike, action="verify", reason="营业执照信用代码已核对，非冒用")

    # Then the first is refused in place, the second verifies with the reason audited
    assert refused.status_code == 200
    assert "请写明核对了什么" in refused.content.decode()
    assert done.status_code == 302
    event = AuditEvent.objects.get(action="organization.verify", target_id=str(alike.pk))
    assert event.reason == "营业执照信用代码已核对，非冒用"


def test_reinstating_a_firm_needs_a_reason_that_is_audited(signup, city_reviewer):
    # Given a suspended firm
    act(city_reviewer, signup, action="verify")
    act(city_reviewer, signup, action="suspend", reason="资质造假")

    # When the committee reinstates it without a reason, then with one
    refused = act(city_reviewer, signup, action="reinstate", reason="")
    done = act(city_reviewer, signup, action="reinstate", reason="已补交真实证书")

    # Then the first is refused in place, the second reinstates with the reason audited
    assert refused.status_code == 200
    assert "请填写理由" in refused.content.decode()
    assert done.status_code == 302
    assert AuditEvent.objects.get(action="organization.reinstate").reason == "已补交真实证书"


def test_a_suspension_reason_longer_than_is_kept_comes_back_in_place(signup, city_reviewer):
    # Given a verified firm
    act(city_reviewer, signup, action="verify")
    reason = "经核查企业提交的资质材料与实际不符。" * 68  # 1,224 characters

    # When the committee suspends it with a reason longer than the firm keeps
    r = act(city_reviewer, signup, action="suspend", reason=reason)

    # Then the form comes back with the reason as typed and the limit beside it; nothing
    # is suspended (the reason was not cut to 500 characters and stored)
    html = r.content.decode()
    signup.refresh_from_db()
    assert r.status_code == 200
    assert not signup.is_suspended
    assert f'id="id_{signup.pk}_reason_error"' in html
    assert "最多 500 个字符（当前 1224 个）" in html
    assert reason in html


def test_suspending_a_firm_from_a_capability_refuses_an_over_long_reason_in_place(
    signup, city_reviewer
):
    # Given a verified firm with a published capability
    act(city_reviewer, signup, action="verify")
    capability = signup.capabilities.get()
    reason = "企" * 501

    # When the committee suspends the whole firm from the capability's row
    r = signed_in(city_reviewer).post(
        f"/workspace/committee/capabilities/{capability.ref}/supervise/",
        {"action": "suspend_firm", "reason": reason, "version": capability.version},
    )

    # Then the reason comes back in place, as typed, and the firm is not suspended
    html = r.content.decode()
    signup.refresh_from_db()
    assert r.status_code == 200
    assert not signup.is_suspended
    assert "最多 500 个字符（当前 501 个）" in html
    assert reason in html
