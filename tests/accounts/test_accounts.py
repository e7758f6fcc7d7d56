"""Account services: firm sign-up, invitations, password reset."""

import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.authtoken.models import Token

from accounts.choices import Role
from accounts.models import Committee, Invitation, Membership, Organization
from accounts.services.invitations import invitation_accept, invitation_create
from accounts.services.signup import firm_signup
from accounts.services.users import password_reset_confirm, password_reset_request, user_create
from activity.models import AuditEvent
from core.errors import ActorNotAllowed, InvalidInput, InvalidTransition
from tests import factories

pytestmark = pytest.mark.django_db

STRONG = "Hongguting-2026!"


def signup(**overrides):
    values = {
        "username": "gkj_admin",
        "password": STRONG,
        "email": "admin@ganke.example.cn",
        "firm_name": "江西赣科智能装备有限公司",
        "credit_code": factories.credit_code_for(9001, "360102"),
        "region_code": "360102",
        "contact_name": "刘工",
        "contact_phone": "0791-86000000",
    }
    return firm_signup(**{**values, **overrides})


@pytest.fixture
def committee_org(db) -> Organization:
    return Committee.objects.select_related("organization").get(region_id="360100").organization


# --- firm_signup ---------------------------------------------------------------------------


def test_firm_signup_refuses_an_email_another_account_has_whatever_its_case():
    # Given an account on an address
    signup()

    # When another firm signs up with the same address in other case
    with pytest.raises(InvalidInput) as caught:
        signup(
            username="other_admin",
            email="Admin@GanKe.example.cn",
            firm_name="江西另一家科技有限公司",
            credit_code=factories.credit_code_for(9002, "360102"),
        )

    # Then it is a field error and nothing is written
    assert "email" in caught.value.fields
    assert "已被其他账号使用" in caught.value.fields["email"][0]
    assert not User.objects.filter(username="other_admin").exists()


@pytest.mark.parametrize(
    ("email", "field_message"),
    [
        ("admin@ganke。example。cn", "已被其他账号使用"),  # an input method's full stops
        ("ＡＤＭＩＮ＠ganke.example.cn", "已被其他账号使用"),  # full-width letters and ＠
        ("admin\u200b@ganke.example.cn", "不可见字符"),  # a zero-width space
    ],
)
def test_firm_signup_reads_one_address_however_it_is_typed(email, field_message):
    # given: an account on admin@ganke.example.cn (the API took these spellings as new
    # addresses, so the one-account-per-address rule was passed by)
    signup()

    # when
    with pytest.raises(InvalidInput) as caught:
        signup(
            username="other_admin",
            email=email,
            firm_name="江西另一家科技有限公司",
            credit_code=factories.credit_code_for(9002, "360102"),
        )

    # then
    assert field_message in caught.value.fields["email"][0]


@pytest.mark.parametrize("username", ["gkj_аdmin", "gkj_admin\u3164"])  # Cyrillic а, a filler
def test_firm_signup_refuses_a_username_that_can_look_like_another(username):
    with pytest.raises(InvalidInput) as caught:
        signup(username=username)

    assert "username" in caught.value.fields


def test_firm_signup_refuses_a_name_that_hides_a_blank_character():
    # given: a verified firm's name, and the same name with a Hangul filler (drawn blank)
    signup()

    with pytest.raises(InvalidInput) as caught:
        signup(
            username="other_admin",
            email="other@ganke.example.cn",
            firm_name="江西赣科智能装备有限公司\u3164",
            credit_code=factories.credit_code_for(9002, "360102"),
        )

    assert "firm_name" in caught.value.fields


def test_firm_signup_username_error_allows_what_the_help_text_allows():
    with pytest.raises(InvalidInput) as caught:
        signup(username="gkj admin")

    assert caught.value.fields["username"] == ["用户名只能包含英文字母、数字和 @/./+/-/_。"]
    user, _firm = signup(username="gkj+admin")
    assert user.username == "gkj+admin"


def test_firm_signup_creates_unverified_firm_with_editor():
    user, firm = signup()

    assert user.check_password(STRONG)
    assert user.email == "admin@ganke.example.cn"
    assert firm.kind == "firm"
    assert firm.verified_at is None
    assert firm.region_id == "360102"
    roles = list(Membership.objects.filter(user=user).values_list("organization_id", "role"))
    assert roles == [(firm.pk, Role.FIRM_EDITOR)]


def test_firm_signup_checks_the_name_again_when_it_writes(monkeypatch):
    """Two sign-ups with names that read alike both passed the check before either wrote
    (four concurrent posts made four firms). The write checks again, one at a time: a name
    taken in between is refused, and no account is left behind."""
    from accounts.services import signup as signup_module

    checked = signup_module.firm_signup_problems

    def check_then_lose_the_race(**kwargs):
        problems = checked(**kwargs)
        factories.FirmFactory.create(name="江西赣科智能装备有 限公司")  # the other sign-up
        return problems

    monkeypatch.setattr(signup_module, "firm_signup_problems", check_then_lose_the_race)

    with pytest.raises(InvalidInput) as refused:
        signup()

    assert "firm_name" in refused.value.fields
    assert not User.objects.filter(username="gkj_admin").exists()


def test_firm_signup_is_audited():
    user, firm = signup()

    event = AuditEvent.objects.get(action="firm.signup")
    assert event.actor == user
    assert (event.target_type, event.target_id) == (firm._meta.label_lower, str(firm.pk))
    assert event.to_state == "unverified"
    assert AuditEvent.objects.filter(action="membership.grant", data__user=user.pk).exists()


def test_firm_signup_normalises_credit_code_case():
    code = factories.credit_code_for(9002, "360102")

    _, firm = signup(credit_code=f" {code.lower()} ")

    assert firm.credit_code == code


def test_firm_signup_refuses_taken_username():
    factories.UserFactory.create(username="taken")

    with pytest.raises(InvalidInput) as excinfo:
        signup(username="TAKEN")

    assert "username" in excinfo.value.fields
    assert not Organization.objects.filter(name="江西赣科智能装备有限公司").exists()


def test_firm_signup_refuses_registered_credit_code_without_revealing_the_firm(firm):
    with pytest.raises(InvalidInput) as excinfo:
        signup(credit_code=firm.credit_code)

    messages = excinfo.value.fields["credit_code"]
    assert "联系平台" in messages[0]
    assert firm.name not in " ".join(messages)
    assert not User.objects.filter(username="gkj_admin").exists()


def test_firm_signup_refuses_invalid_credit_code():
    good = factories.credit_code_for(9003)
    bad = good[:-1] + ("1" if good.endswith("0") else "0")

    with pytest.raises(InvalidInput) as excinfo:
        signup(credit_code=bad)

    assert "校验位" in excinfo.value.fields["credit_code"][0]
    assert not User.objects.filter(username="gkj_admin").exists()


def test_firm_signup_refuses_weak_password():
    with pytest.raises(InvalidInput) as excinfo:
        signup(password="12345678")

    assert excinfo.value.fields["password"]
    assert not User.objects.filter(username="gkj_admin").exists()


def test_firm_signup_reports_every_field_problem_at_once():
    factories.UserFactory.create(username="taken")

    with pytest.raises(InvalidInput) as excinfo:
        signup(username="taken", password="password", credit_code="X", region_code="999999")

    assert set(excinfo.value.fields) == {"username", "password", "credit_code", "region_code"}


def test_firm_signup_rolls_back_user_when_firm_fails():
    # a name the sign-up checks let through but the organization's model refuses (too long)
    with pytest.raises(InvalidInput) as excinfo:
        signup(firm_name="长" * 300)

    assert "name" in excinfo.value.fields
    assert not User.objects.filter(username="gkj_admin").exists()


def test_firm_signup_needs_a_name():
    with pytest.raises(InvalidInput) as excinfo:
        signup(firm_name="  \u200b ")

    assert "firm_name" in excinfo.value.fields


# --- invitation_create ---------------------------------------------------------------------


def test_invitation_create_stores_only_a_hash_and_mails_the_token(
    platform_admin, committee_org, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = invitation_create(
            actor=platform_admin,
            email="Member@Example.cn",
            organization=committee_org,
            role=Role.COMMITTEE_MEMBER,
        )

    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invitation.token_hash
    assert invitation.email == "Member@example.cn"
    assert timedelta(days=6, hours=23) < invitation.expires_at - timezone.now() <= timedelta(days=7)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["Member@example.cn"]
    assert token in mail.outbox[0].body
    assert committee_org.name in mail.outbox[0].body


def test_invitation_create_sends_mail_only_after_commit(
    platform_admin, committee_org, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation_create(
            actor=platform_admin,
            email="a@example.cn",
            organization=committee_org,
            role=Role.COMMITTEE_MEMBER,
        )

    assert len(callbacks) == 1
    assert mail.outbox == []


def test_invitation_create_is_audited(platform_admin, committee_org):
    invitation, token = invitation_create(
        actor=platform_admin,
        email="a@example.cn",
        organization=committee_org,
        role=Role.COMMITTEE_MEMBER,
    )

    event = AuditEvent.objects.get(action="invitation.create")
    assert event.actor == platform_admin
    assert event.target_id == str(invitation.pk)
    assert token not in str(event.data)


@pytest.mark.parametrize("actor_fixture", ["firm_user", "agency_user", "city_reviewer"])
def test_invitation_create_by_non_admin_is_refused(request, actor_fixture, committee_org):
    actor = request.getfixturevalue(actor_fixture)

    with pytest.raises(ActorNotAllowed):
        invitation_create(
            actor=actor,
            email="a@example.cn",
            organization=committee_org,
            role=Role.COMMITTEE_MEMBER,
        )

    assert not Invitation.objects.exists()


def test_invitation_create_refuses_role_that_does_not_fit_the_organization(
    platform_admin, committee_org
):
    with pytest.raises(InvalidInput) as excinfo:
        invitation_create(
            actor=platform_admin,
            email="a@example.cn",
            organization=committee_org,
            role=Role.AGENCY_EDITOR,
        )

    assert "role" in excinfo.value.fields
    assert not Invitation.objects.exists()


def test_invitation_create_expires_earlier_open_invitation(platform_admin, committee_org):
    first, first_token = invitation_create(
        actor=platform_admin,
        email="a@example.cn",
        organization=committee_org,
        role=Role.COMMITTEE_MEMBER,
    )

    invitation_create(
        actor=platform_admin,
        email="A@example.cn",
        organization=committee_org,
        role=Role.COMMITTEE_MEMBER,
    )

    first.refresh_from_db()
    assert first.expires_at <= timezone.now()
    with pytest.raises(InvalidTransition):
        invitation_accept(token=first_token, username="late", password=STRONG)


# --- invitation_accept ---------------------------------------------------------------------


@pytest.fixture
def invitation(platform_admin, committee_org):
    return invitation_create(
        actor=platform_admin,
        email="member@example.cn",
        organization=committee_org,
        role=Role.COMMITTEE_MEMBER,
    )


def test_invitation_accept_creates_user_with_invited_role(invitation, committee_org):
    invite, token = invitation

    user = invitation_accept(token=token, username="zhang_wei", password=STRONG)

    assert user.email == "member@example.cn"
    assert user.check_password(STRONG)
    assert Membership.objects.filter(
        user=user, organization=committee_org, role=Role.COMMITTEE_MEMBER
    ).exists()
    invite.refresh_from_db()
    assert invite.accepted_user == user
    assert invite.accepted_at is not None
    assert AuditEvent.objects.filter(action="invitation.accept", actor=user).count() == 1


def test_invitation_accept_twice_is_refused(invitation):
    _, token = invitation
    invitation_accept(token=token, username="zhang_wei", password=STRONG)

    with pytest.raises(InvalidTransition) as excinfo:
        invitation_accept(token=token, username="li_na", password=STRONG)

    assert "已被使用" in excinfo.value.message
    assert not User.objects.filter(username="li_na").exists()


def test_invitation_accept_expired_token_is_refused(invitation):
    invite, token = invitation
    Invitation.objects.filter(pk=invite.pk).update(expires_at=timezone.now() - timedelta(hours=1))

    with pytest.raises(InvalidTransition) as excinfo:
        invitation_accept(token=token, username="zhang_wei", password=STRONG)

    assert "过期" in excinfo.value.message
    assert not User.objects.filter(username="zhang_wei").exists()


def test_invitation_accept_unknown_token_is_refused(invitation):
    with pytest.raises(InvalidInput) as excinfo:
        invitation_accept(token="not-a-real-token", username="zhang_wei", password=STRONG)

    assert "token" in excinfo.value.fields
    assert not User.objects.filter(username="zhang_wei").exists()


def test_invitation_accept_weak_password_leaves_invitation_open(invitation):
    invite, token = invitation

    with pytest.raises(InvalidInput) as excinfo:
        invitation_accept(token=token, username="zhang_wei", password="abc")

    assert "password" in excinfo.value.fields
    invite.refresh_from_db()
    assert invite.accepted_at is None
    assert not User.objects.filter(username="zhang_wei").exists()


# --- password reset ------------------------------------------------------------------------


def test_password_reset_request_sends_one_mail_to_known_address():
    user = user_create(username="wang", password=STRONG, email="wang@example.cn")

    password_reset_request(email="WANG@example.cn")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["wang@example.cn"]
    assert urlsafe_base64_encode(force_bytes(user.pk)) in message.body


def test_password_reset_request_for_unknown_address_sends_nothing():
    user_create(username="wang", password=STRONG, email="wang@example.cn")

    password_reset_request(email="nobody@example.cn")

    assert mail.outbox == []


def test_password_reset_confirm_sets_new_password_and_revokes_api_tokens():
    user = user_create(username="wang", password=STRONG, email="wang@example.cn")
    Token.objects.create(user=user)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)

    password_reset_confirm(uid=uid, token=token, new_password="Xinmima-Ganjiang-9")

    user.refresh_from_db()
    assert user.check_password("Xinmima-Ganjiang-9")
    assert not Token.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(action="user.password_reset", actor=user).exists()


def test_password_reset_confirm_token_works_only_once():
    user = user_create(username="wang", password=STRONG, email="wang@example.cn")
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    password_reset_confirm(uid=uid, token=token, new_password="Xinmima-Ganjiang-9")

    with pytest.raises(InvalidInput) as excinfo:
        password_reset_confirm(uid=uid, token=token, new_password="Another-Ganjiang-10")

    assert "token" in excinfo.value.fields
    user.refresh_from_db()
    assert user.check_password("Xinmima-Ganjiang-9")


@pytest.mark.parametrize(
    ("uid", "token"),
    [("valid", "bad-token"), ("!!", "bad-token"), ("OTk5OTk5", "bad-token")],
)
def test_password_reset_confirm_bad_link_is_refused(uid, token):
    user = user_create(username="wang", password=STRONG, email="wang@example.cn")
    if uid == "valid":
        uid = urlsafe_base64_encode(force_bytes(user.pk))

    with pytest.raises(InvalidInput) as excinfo:
        password_reset_confirm(uid=uid, token=token, new_password="Xinmima-Ganjiang-9")

    assert "token" in excinfo.value.fields
    user.refresh_from_db()
    assert user.check_password(STRONG)


def test_password_reset_confirm_refuses_weak_password():
    user = user_create(username="wang", password=STRONG, email="wang@example.cn")
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)

    with pytest.raises(InvalidInput) as excinfo:
        password_reset_confirm(uid=uid, token=token, new_password="wang")

    assert excinfo.value.fields["new_password"]
    user.refresh_from_db()
    assert user.check_password(STRONG)


@pytest.mark.parametrize(
    "lookalike",
    [
        "江西赣科智能装备有限公司",  # the same name
        "江西赣科智能装备\u200b有限公司",  # a zero-width space inside
        "\u202e江西赣科智能装备有限公司",  # a right-to-left override in front
        "江西赣科智能装备有限公司 ",  # a trailing space
        "江西贛科智能裝備有限公司",  # traditional characters
        "江西赣科智能装备有限责任公司",  # the same legal form written out
        "江西赣科·智能装备有限公司",  # punctuation inside
    ],
)
def test_sign_up_refuses_a_taken_name_and_its_lookalikes(reference, lookalike):
    signup()

    with pytest.raises(InvalidInput) as refused:
        signup(
            username="other",
            email="o@example.cn",
            firm_name=lookalike,
            credit_code=factories.credit_code_for(9002, "360102"),
        )

    assert "firm_name" in refused.value.fields
    assert Organization.objects.filter(kind="firm").count() == 1


def test_sign_up_refuses_a_committee_name_spaced_out(reference, committee_org):
    spaced = " ".join(committee_org.name)  # the committee's name with spaces between

    with pytest.raises(InvalidInput) as refused:
        signup(firm_name=spaced)

    assert "firm_name" in refused.value.fields


def test_sign_up_refuses_a_credit_code_of_another_province(reference):
    with pytest.raises(InvalidInput) as refused:
        signup(credit_code=factories.credit_code_for(9003, "440305"), region_code="360102")

    assert "广东省" in refused.value.fields["region_code"][0]
    assert not Organization.objects.filter(kind="firm").exists()


def test_a_second_agency_of_the_same_name_is_refused_in_words(agency):
    from django.core.exceptions import ValidationError

    twin = Organization(kind=agency.kind, name=agency.name, region=agency.region)

    with pytest.raises(ValidationError) as refused:
        twin.full_clean()

    # not Django's "约束 “organization_unique_name_per_kind” 是无效的"
    assert "已有同名的同类单位。" in str(refused.value)
