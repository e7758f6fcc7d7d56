"""Account endpoints: firm sign-up, invitations, password reset, the current user."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.choices import Role
from accounts.models import Committee, Invitation, Membership
from accounts.services.invitations import invitation_create
from accounts.services.users import user_create
from core.api.throttles import LoginThrottle
from tests import factories

pytestmark = pytest.mark.django_db

STRONG = "Hongguting-2026!"
SIGNUP = "/api/v1/auth/signup/firm/"
INVITE = "/api/v1/invitations/"
ACCEPT = "/api/v1/invitations/accept/"
RESET = "/api/v1/auth/password-reset/"
RESET_CONFIRM = "/api/v1/auth/password-reset/confirm/"
ME = "/api/v1/auth/me/"


def signup_body(**overrides):
    return {
        "username": "gkj_admin",
        "password": STRONG,
        "email": "admin@ganke.example.cn",
        "firm_name": "江西赣科智能装备有限公司",
        "credit_code": factories.credit_code_for(9101, "360102"),
        "region_code": "360102",
        **overrides,
    }


@pytest.fixture
def committee_org(db):
    return Committee.objects.select_related("organization").get(region_id="360100").organization


@pytest.fixture
def invitation_token(platform_admin, committee_org):
    _, token = invitation_create(
        actor=platform_admin,
        email="member@example.cn",
        organization=committee_org,
        role=Role.COMMITTEE_MEMBER,
    )
    return token


# --- sign-up -------------------------------------------------------------------------------


def test_signup_firm_creates_unverified_firm_and_editor(api):
    response = api.post(SIGNUP, signup_body(), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["organization"]["kind"] == "firm"
    assert body["organization"]["is_verified"] is False
    assert body["user"]["username"] == "gkj_admin"
    assert "password" not in body["user"]
    assert body["user"]["memberships"] == [
        {
            "organization": {
                "id": body["organization"]["id"],
                "name": "江西赣科智能装备有限公司",
                "kind": "firm",
            },
            "role": "firm_editor",
        }
    ]


def test_signup_firm_user_can_then_obtain_a_token(api):
    api.post(SIGNUP, signup_body(), format="json")

    response = api.post(
        "/api/v1/auth/token/", {"username": "gkj_admin", "password": STRONG}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["token"]


def test_signup_firm_duplicate_username_is_a_field_error(api):
    factories.UserFactory.create(username="gkj_admin")

    response = api.post(SIGNUP, signup_body(), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "username" in response.json()["fields"]


def test_signup_firm_email_already_used_is_a_field_error(api):
    factories.UserFactory.create(email="admin@ganke.example.cn")

    response = api.post(SIGNUP, signup_body(email="ADMIN@ganke.example.cn"), format="json")

    assert response.status_code == 400
    assert "email" in response.json()["fields"]
    assert not User.objects.filter(username="gkj_admin").exists()


def test_signup_firm_duplicate_credit_code_does_not_reveal_the_firm(api, firm):
    response = api.post(SIGNUP, signup_body(credit_code=firm.credit_code), format="json")

    assert response.status_code == 400
    assert "credit_code" in response.json()["fields"]
    assert firm.name not in response.content.decode()
    assert not User.objects.filter(username="gkj_admin").exists()


def test_signup_firm_invalid_credit_code_is_a_field_error(api):
    response = api.post(SIGNUP, signup_body(credit_code="91360102MA35XXXXXX"), format="json")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"credit_code"}


def test_signup_firm_weak_password_is_a_field_error(api):
    response = api.post(SIGNUP, signup_body(password="12345678"), format="json")

    assert response.status_code == 400
    assert response.json()["fields"]["password"]
    assert not User.objects.filter(username="gkj_admin").exists()


def test_signup_firm_missing_fields_are_reported(api):
    response = api.post(SIGNUP, {"username": "x"}, format="json")

    assert response.status_code == 400
    assert {"password", "email", "firm_name", "credit_code", "region_code"} <= set(
        response.json()["fields"]
    )


def test_signup_firm_is_throttled_with_the_login_scope(api, monkeypatch):
    monkeypatch.setitem(LoginThrottle.THROTTLE_RATES, "login", "2/min")
    cache.clear()

    codes = [api.post(SIGNUP, {}, format="json").status_code for _ in range(3)]

    cache.clear()
    assert codes == [400, 400, 429]


# --- invitations ---------------------------------------------------------------------------


def test_invitation_create_by_admin_mails_link_and_hides_token(
    api, platform_admin, committee_org, django_capture_on_commit_callbacks
):
    payload = {
        "email": "member@example.cn",
        "organization": committee_org.pk,
        "role": "committee_member",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = api.as_user(platform_admin).post(INVITE, payload, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["organization"]["id"] == committee_org.pk
    assert body["role"] == "committee_member"
    assert "token" not in body
    assert "token_hash" not in body
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["member@example.cn"]


@pytest.mark.parametrize("actor_fixture", ["firm_user", "agency_user", "province_reviewer"])
def test_invitation_create_by_non_admin_is_forbidden(api, request, actor_fixture, committee_org):
    actor = request.getfixturevalue(actor_fixture)
    payload = {
        "email": "x@example.cn",
        "organization": committee_org.pk,
        "role": "committee_member",
    }

    response = api.as_user(actor).post(INVITE, payload, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Invitation.objects.exists()


def test_invitation_create_anonymous_is_unauthorized(api, committee_org):
    payload = {
        "email": "x@example.cn",
        "organization": committee_org.pk,
        "role": "committee_member",
    }

    response = api.post(INVITE, payload, format="json")

    assert response.status_code == 401


def test_invitation_create_unknown_organization_is_a_field_error(api, platform_admin):
    payload = {"email": "x@example.cn", "organization": 999999, "role": "committee_member"}

    response = api.as_user(platform_admin).post(INVITE, payload, format="json")

    assert response.status_code == 400
    assert "organization" in response.json()["fields"]


def test_invitation_create_role_not_fitting_organization_is_a_field_error(
    api, platform_admin, committee_org
):
    payload = {"email": "x@example.cn", "organization": committee_org.pk, "role": "firm_editor"}

    response = api.as_user(platform_admin).post(INVITE, payload, format="json")

    assert response.status_code == 400
    assert "role" in response.json()["fields"]


def test_invitation_accept_creates_user_with_invited_role(api, invitation_token, committee_org):
    payload = {"token": invitation_token, "username": "zhang_wei", "password": STRONG}

    response = api.post(ACCEPT, payload, format="json")

    assert response.status_code == 201
    assert response.json()["email"] == "member@example.cn"
    assert response.json()["memberships"][0]["role"] == "committee_member"
    user = User.objects.get(username="zhang_wei")
    assert Membership.objects.filter(
        user=user, organization=committee_org, role="committee_member"
    ).exists()


def test_invitation_accept_used_token_is_a_conflict(api, invitation_token):
    api.post(
        ACCEPT,
        {"token": invitation_token, "username": "zhang_wei", "password": STRONG},
        format="json",
    )

    response = api.post(
        ACCEPT, {"token": invitation_token, "username": "li_na", "password": STRONG}, format="json"
    )

    assert response.status_code == 409
    assert "已被使用" in response.json()["detail"]
    assert not User.objects.filter(username="li_na").exists()


def test_invitation_accept_expired_token_is_a_conflict(api, invitation_token):
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    response = api.post(
        ACCEPT,
        {"token": invitation_token, "username": "zhang_wei", "password": STRONG},
        format="json",
    )

    assert response.status_code == 409
    assert "过期" in response.json()["detail"]


def test_invitation_accept_unknown_token_is_a_field_error(api, invitation_token):
    response = api.post(
        ACCEPT, {"token": "guess", "username": "zhang_wei", "password": STRONG}, format="json"
    )

    assert response.status_code == 400
    assert "token" in response.json()["fields"]


# --- password reset ------------------------------------------------------------------------


def test_password_reset_does_not_reveal_whether_the_email_exists(api):
    user_create(username="wang", password=STRONG, email="wang@example.cn")

    known = api.post(RESET, {"email": "wang@example.cn"}, format="json")
    mails_after_known = len(mail.outbox)
    unknown = api.post(RESET, {"email": "nobody@example.cn"}, format="json")

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert mails_after_known == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["wang@example.cn"]


def test_password_reset_confirm_with_mailed_token_changes_password(api):
    user = user_create(username="wang", password=STRONG, email="wang@example.cn")
    payload = {
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        "new_password": "Xinmima-Ganjiang-9",
    }

    response = api.post(RESET_CONFIRM, payload, format="json")

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password("Xinmima-Ganjiang-9")


def test_password_reset_confirm_bad_token_is_refused(api):
    user = user_create(username="wang", password=STRONG, email="wang@example.cn")
    payload = {
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": "bad-token",
        "new_password": "Xinmima-Ganjiang-9",
    }

    response = api.post(RESET_CONFIRM, payload, format="json")

    assert response.status_code == 400
    assert "token" in response.json()["fields"]
    user.refresh_from_db()
    assert user.check_password(STRONG)


# --- me ------------------------------------------------------------------------------------


def test_me_lists_memberships_of_the_signed_in_user(api, firm_user, firm):
    response = api.as_user(firm_user).get(ME)

    assert response.status_code == 200
    assert response.json() == {
        "id": firm_user.pk,
        "username": firm_user.username,
        "email": firm_user.email,
        "memberships": [
            {
                "organization": {"id": firm.pk, "name": firm.name, "kind": "firm"},
                "role": "firm_editor",
            }
        ],
    }


def test_me_anonymous_is_unauthorized(api):
    response = api.get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_sending_a_valid_token_along_does_not_lift_the_sign_in_limit(api, agency_user, monkeypatch):
    """Issue 12, item 1: the token view counted only anonymous callers."""
    from rest_framework.authtoken.models import Token

    monkeypatch.setitem(LoginThrottle.THROTTLE_RATES, "login", "3/min")
    cache.clear()
    token = Token.objects.create(user=agency_user)
    guesses = [
        api.post(
            "/api/v1/auth/token/",
            {"username": agency_user.username, "password": f"wrong-{n}"},
            format="json",
            HTTP_AUTHORIZATION=f"Token {token.key}",
        ).status_code
        for n in range(4)
    ]

    cache.clear()
    assert guesses == [400, 400, 400, 429]


def test_a_forged_forwarded_for_header_does_not_reset_the_limit(api, monkeypatch):
    """Issue 12, item 2: every new X-Forwarded-For value used to start a fresh budget."""
    monkeypatch.setitem(LoginThrottle.THROTTLE_RATES, "login", "2/min")
    cache.clear()

    codes = [
        api.post(
            "/api/v1/auth/token/",
            {"username": "nobody", "password": "x"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        ).status_code
        for n in range(3)
    ]

    cache.clear()
    assert codes == [400, 400, 429]


def test_behind_a_configured_proxy_the_address_it_saw_is_counted(api, monkeypatch, settings):
    from rest_framework.settings import api_settings

    monkeypatch.setitem(LoginThrottle.THROTTLE_RATES, "login", "1/min")
    monkeypatch.setattr(api_settings, "NUM_PROXIES", 1)
    cache.clear()

    def attempt(forwarded: str) -> int:
        return api.post(
            "/api/v1/auth/token/",
            {"username": "nobody", "password": "x"},
            format="json",
            HTTP_X_FORWARDED_FOR=forwarded,
        ).status_code

    # The proxy appends the real client last; what the client wrote before it is ignored.
    codes = [attempt("1.1.1.1, 198.51.100.7"), attempt("2.2.2.2, 198.51.100.7")]
    other_client = attempt("1.1.1.1, 198.51.100.8")

    cache.clear()
    assert codes == [400, 429]
    assert other_client == 400


def test_signed_in_callers_have_a_rate_limit_too(api, agency_user, monkeypatch):
    from rest_framework.throttling import UserRateThrottle

    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "user", "3/min")
    client = api.as_user(agency_user)

    answers = [client.get("/api/v1/needs/").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]


def test_successful_sign_ins_do_not_use_up_the_addresss_budget(api, agency_user, monkeypatch):
    monkeypatch.setitem(LoginThrottle.THROTTLE_RATES, "login", "2/min")
    cache.clear()

    signed_in = [
        api.post(
            "/api/v1/auth/token/",
            {"username": agency_user.username, "password": "pw-for-tests-2026"},  # factories
            format="json",
        ).status_code
        for _ in range(4)
    ]
    guesses = [
        api.post(
            "/api/v1/auth/token/", {"username": "nobody", "password": "x"}, format="json"
        ).status_code
        for _ in range(3)
    ]

    cache.clear()
    assert signed_in == [200] * 4
    assert guesses == [400, 400, 429]


def test_a_token_request_with_an_overlong_username_is_refused_before_any_sign_in(api):
    from axes.models import AccessAttempt

    # When someone asks for a token with a 10,000-character username (or password)
    long_name = api.post(
        "/api/v1/auth/token/", {"username": "x" * 10_000, "password": "x"}, format="json"
    )
    long_password = api.post(
        "/api/v1/auth/token/", {"username": "someone", "password": "x" * 10_000}, format="json"
    )

    # Then both are a 400 on that field, and the lockout stored nothing (its column holds
    # 255 characters: PostgreSQL refused the row with a 500)
    assert long_name.status_code == 400
    assert list(long_name.json()["fields"]) == ["username"]
    assert long_password.status_code == 400
    assert list(long_password.json()["fields"]) == ["password"]
    assert not AccessAttempt.objects.exists()


def test_a_client_revokes_its_own_token(agency_user):
    """Tokens never ended but with a password reset: a system retiring its integration (or
    fearing its token was seen) had no way to end it."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token = Token.objects.create(user=agency_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/auth/me/").status_code == 200

    revoked = client.post("/api/v1/auth/token/revoke/")

    assert revoked.status_code == 204
    assert client.get("/api/v1/auth/me/").status_code == 401
    assert not Token.objects.filter(user=agency_user).exists()
    # signed in otherwise (no token sent): nothing to revoke, said, not a silent 204
    other = APIClient()
    other.force_authenticate(agency_user)
    refused = other.post("/api/v1/auth/token/revoke/")
    assert refused.status_code == 400
    assert refused.json()["code"] == "not_a_token"


def test_every_client_of_a_user_gets_one_token_and_a_revoke_ends_it_for_all(agency_user):
    """What the README says of ``/auth/token/``: a second integration signing in as the same
    user gets the first one's token, and either revoking it signs both out."""
    from rest_framework.test import APIClient

    # given: two clients signing in as the same user
    login = {"username": agency_user.username, "password": "pw-for-tests-2026"}  # factories
    first, second = APIClient(), APIClient()
    keys = [
        c.post("/api/v1/auth/token/", login, format="json").json()["token"] for c in (first, second)
    ]
    for client, key in zip((first, second), keys, strict=True):
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    # when: one of them revokes its token
    assert first.post("/api/v1/auth/token/revoke/").status_code == 204

    # then: it was the other's too
    assert keys[0] == keys[1]
    assert second.get("/api/v1/auth/me/").status_code == 401
