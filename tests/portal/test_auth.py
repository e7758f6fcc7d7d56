"""Signing in for every role, firm sign-up, invitations and password reset, as pages."""

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from accounts.models import Organization
from accounts.services.invitations import invitation_create
from core.api.throttles import LoginThrottle
from tests import factories
from tests.factories import credit_code_for

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-2026"


def sign_in(username: str, password: str = PASSWORD) -> tuple[Client, Any]:
    client = Client()
    response = client.post("/login/", {"username": username, "password": password})
    return client, response


@pytest.mark.parametrize(
    ("who", "home"),
    [
        ("agency_user", "/workspace/agency/"),
        ("firm_user", "/workspace/firm/"),
        ("county_reviewer", "/workspace/committee/"),
        ("city_reviewer", "/workspace/committee/"),
        ("province_reviewer", "/workspace/committee/"),
        ("platform_admin", "/admin/"),
    ],
)
def test_every_role_signs_in_and_lands_on_its_home(request, who, home):
    user = request.getfixturevalue(who)

    client, response = sign_in(user.username)

    assert response.status_code == 302
    assert client.get("/workspace/")["Location"] == home
    assert client.get(home).status_code == 200


def test_expert_signs_in_to_the_expert_home():
    expert = factories.member(factories.ExpertInstitutionFactory.create(), "expert")

    client, _ = sign_in(expert.username)

    assert client.get("/workspace/")["Location"] == "/workspace/expert/"
    assert client.get("/workspace/expert/").status_code == 200


def test_wrong_password_shows_an_error_and_keeps_the_username(agency_user):
    _, response = sign_in(agency_user.username, "wrong-password")

    body = response.content.decode()
    assert response.status_code == 200
    assert "请输入正确的用户名和密码" in body or "用户名" in body
    assert f'value="{agency_user.username}"' in body
    assert "_auth_user_id" not in Client().session


def test_login_never_redirects_off_site(agency_user):
    client = Client()
    response = client.post(
        "/login/",
        {"username": agency_user.username, "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_logout_is_a_post_and_opening_it_asks_first(agency_user):
    client, _ = sign_in(agency_user.username)

    asked = client.get("/logout/")
    assert asked.status_code == 200
    assert "确定要退出吗" in asked.content.decode()
    assert client.get("/workspace/")["Location"] == "/workspace/agency/"  # still signed in
    assert client.post("/logout/").status_code == 302
    assert client.get("/workspace/")["Location"].startswith("/login/")  # signed out


def test_a_buttons_address_opened_as_a_link_gets_a_page_not_a_blank_405(agency, agency_user):
    from tests.scenarios.helpers import make_need

    need = make_need(agency, region="360102")
    client = Client()
    url = f"/workspace/agency/needs/{need.ref}/submit/"
    # Signed out: the login page, which sends the user back to that address afterwards.
    assert client.get(url)["Location"].startswith("/login/?next=")
    client.force_login(agency_user)

    response = client.get(url)

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    body = response.content.decode()
    assert "请使用页面上的按钮" in body
    assert f'href="/workspace/agency/needs/{need.ref}/"' in body
    need.refresh_from_db()
    assert need.status == "draft"  # nothing happened
    api = client.get("/api/v1/auth/token/")  # the API keeps its JSON
    assert api.status_code == 405
    assert api.json()["code"]


def test_signing_in_with_a_buttons_address_as_next_lands_on_its_page(agency, agency_user):
    from tests.scenarios.helpers import make_need

    need = make_need(agency, region="360102")
    client = Client()
    agency_user.set_password(PASSWORD)
    agency_user.save()

    response = client.post(
        f"/login/?next=/workspace/agency/needs/{need.ref}/submit/",
        {"username": agency_user.username, "password": PASSWORD},
    )
    shortlist = Client().post(
        "/login/?next=/workspace/agency/matches/5/shortlist/",
        {"username": agency_user.username, "password": PASSWORD},
    )

    assert response["Location"] == f"/workspace/agency/needs/{need.ref}/"
    assert shortlist["Location"] == "/workspace/"  # no page above it: the workspace


@pytest.mark.parametrize("url", ["/no-such-page/", "/opportunities/N-0000-NOPE/"])
def test_missing_pages_say_so_in_chinese_with_the_layout(client, url, settings):
    settings.DEBUG = False
    response = client.get(url)

    assert response.status_code == 404
    body = response.content.decode()
    assert "页面不存在" in body
    assert 'href="/opportunities/"' in body  # the site's navigation


def test_a_form_with_an_expired_token_says_the_page_is_stale(agency_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agency_user)

    response = client.post("/workspace/agency/needs/new/", {"title": "x"})

    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()


def signup_data(**overrides):
    data = {
        "firm_name": "江西新注册科技有限公司",
        "credit_code": credit_code_for(9001),
        "region": "360111",
        "contact_name": "王经理",
        "contact_phone": "13800000000",
        "username": "newfirm",
        "email": "newfirm@example.cn",
        "password1": "Sturdy-pass-2026",
        "password2": "Sturdy-pass-2026",
    }
    data.update(overrides)
    return data


def test_firm_signs_up_and_sees_it_awaits_verification():
    client = Client()

    response = client.post("/signup/firm/", signup_data(), follow=True)

    body = response.content.decode()
    firm = Organization.objects.get(name="江西新注册科技有限公司")
    assert firm.verified_at is None
    assert User.objects.get(username="newfirm").memberships.get().organization == firm
    assert response.redirect_chain[-1][0] == "/workspace/firm/"
    assert "等待认证" in body


def test_a_credit_code_pasted_with_spaces_around_it_is_taken():
    """The input was cut at 18 characters: a pasted " 9136…" lost its check digit."""
    form = Client().get("/signup/firm/").content.decode()
    assert re.search(r'name="credit_code"[^>]*maxlength="32"', form)

    code = credit_code_for(9003)
    # grouped with spaces, full-width, in lower case, as copied from documents
    grouped = " ".join(code[i : i + 4] for i in range(0, 18, 4)).lower()
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in grouped)
    response = Client().post("/signup/firm/", signup_data(credit_code=f"\u3000 {wide} "))

    assert response.status_code == 302
    assert Organization.objects.get(name="江西新注册科技有限公司").credit_code == code


def test_signup_with_a_bad_credit_code_says_so_and_keeps_the_rest():
    bad = credit_code_for(9002)[:-1] + ("0" if credit_code_for(9002)[-1] != "0" else "1")

    response = Client().post("/signup/firm/", signup_data(credit_code=bad))

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_credit_code_error"' in body
    assert 'value="江西新注册科技有限公司"' in body
    assert 'value="newfirm"' in body
    assert "Sturdy-pass-2026" not in body  # passwords are never sent back
    assert not Organization.objects.filter(name="江西新注册科技有限公司").exists()
    assert not User.objects.filter(username="newfirm").exists()


def test_signup_reports_every_problem_at_once(firm_user, firm):
    response = Client().post(
        "/signup/firm/",
        signup_data(
            credit_code=firm.credit_code, username=firm_user.username, password2="different"
        ),
    )

    body = response.content.decode()
    assert 'id="id_password2_error"' in body  # the form's own check, before the service


def test_invited_staff_accepts_and_lands_in_the_agency_workspace(
    agency, platform_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _, token = invitation_create(
            actor=platform_admin,
            email="staff@example.cn",
            organization=agency,
            role="agency_editor",
        )
    client = Client()
    assert client.get(f"/invitations/accept/?token={token}").status_code == 200

    response = client.post(
        "/invitations/accept/",
        {
            "token": token,
            "username": "newstaff",
            "password1": "Sturdy-pass-2026",
            "password2": "Sturdy-pass-2026",
        },
    )

    assert response.status_code == 302
    assert client.get("/workspace/")["Location"] == "/workspace/agency/"


def test_invitation_with_a_wrong_token_is_refused_in_place():
    response = Client().post(
        "/invitations/accept/",
        {
            "token": "not-a-token",
            "username": "someone",
            "password1": "Sturdy-pass-2026",
            "password2": "Sturdy-pass-2026",
        },
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "alert" in body
    assert 'value="someone"' in body
    assert not User.objects.filter(username="someone").exists()


def test_password_reset_by_email_end_to_end(agency_user):
    client = Client()
    response = client.post("/password-reset/", {"email": agency_user.email})
    assert response.status_code == 200
    unknown = client.post("/password-reset/", {"email": "nobody@example.cn"})
    assert unknown.content.decode().count("alert") == response.content.decode().count("alert")

    (email,) = mail.outbox
    found = re.search(r"https?://\S+/password-reset/confirm/\S+", str(email.body))
    assert found is not None
    link = found.group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 200
    params = dict(p.split("=", 1) for p in path.split("?", 1)[1].split("&"))

    response = client.post(
        "/password-reset/confirm/",
        {**params, "password1": "Brand-new-2026", "password2": "Brand-new-2026"},
    )

    assert response.status_code == 302
    assert sign_in(agency_user.username, "Brand-new-2026")[1].status_code == 302


def test_password_reset_confirm_with_a_bad_token_shows_an_error(agency_user):
    response = Client().post(
        "/password-reset/confirm/",
        {"uid": "x", "token": "y", "password1": "Brand-new-2026", "password2": "Brand-new-2026"},
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "alert" in body
    assert body.count("无效或已过期") == 1  # said once, not twice in other words
    assert sign_in(agency_user.username)[1].status_code == 302  # the old password still works


def test_a_bad_or_used_reset_link_says_so_before_asking_for_a_password(agency_user):
    response = Client().get("/password-reset/confirm/", {"uid": "x", "token": "y"})

    assert response.status_code == 400
    body = response.content.decode()
    assert "重置链接不可用" in body
    assert 'href="/password-reset/"' in body
    assert 'name="password1"' not in body


@pytest.mark.parametrize("state", ["unknown", "accepted", "expired"])
def test_an_unusable_invitation_link_says_why_before_the_form(
    agency, platform_admin, state, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    invitation, token = invitation_create(
        actor=platform_admin, email="s@example.cn", organization=agency, role="agency_editor"
    )
    if state == "unknown":
        token = "not-a-token"
    elif state == "accepted":
        type(invitation).objects.filter(pk=invitation.pk).update(accepted_at=timezone.now())
    else:
        type(invitation).objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(days=1)
        )

    response = Client().get("/invitations/accept/", {"token": token})

    assert response.status_code == 400
    body = response.content.decode()
    assert {"unknown": "无效", "accepted": "已被使用", "expired": "已过期"}[state] in body
    assert 'name="password1"' not in body


def test_signup_reports_every_service_problem_at_once(firm_user, firm):
    response = Client().post(
        "/signup/firm/", signup_data(credit_code=firm.credit_code, username=firm_user.username)
    )

    body = response.content.decode()
    assert 'id="id_username_error"' in body
    assert 'id="id_credit_code_error"' in body
    assert Organization.objects.filter(credit_code=firm.credit_code).count() == 1


def test_signup_shows_every_fields_problem_in_one_round(firm_user, firm):
    # Given a sign-up with a problem in every kind of check: the form's (phone, e-mail,
    # password pair) and the service's (credit code, password strength, username)
    bad_code = credit_code_for(9002)[:-1] + ("0" if credit_code_for(9002)[-1] != "0" else "1")

    # When it is sent once
    response = Client().post(
        "/signup/firm/",
        signup_data(
            contact_phone="abc",
            email="not-an-email@",
            password1="12345678",
            password2="12345679",
            credit_code=bad_code,
            username="newfirm 01",
        ),
    )

    # Then every field says what is wrong at once
    body = response.content.decode()
    assert response.status_code == 200
    for field in ("contact_phone", "email", "password2", "credit_code", "username"):
        assert f'id="id_{field}_error"' in body, field
    assert "这个密码太常见了" in body
    assert "用户名只能包含英文字母、数字和 @/./+/-/_。" in body
    assert not User.objects.filter(username="newfirm 01").exists()


def test_signup_refuses_an_email_already_in_use(firm_user):
    # Given an account on an address
    firm_user.email = "taken@example.cn"
    firm_user.save()

    # When a new firm signs up with it in other case
    response = Client().post("/signup/firm/", signup_data(email="Taken@Example.cn"))

    # Then the e-mail field says so and no account is made
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_email_error"' in body
    assert "该邮箱已被其他账号使用" in body
    assert not User.objects.filter(username="newfirm").exists()


def test_platform_admin_by_role_works_in_the_admin(platform_admin, pending_need_for_admin):
    client, _ = sign_in(platform_admin.username)

    assert client.get("/workspace/")["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/scenarios/scenarioneed/").status_code == 200


@pytest.fixture
def pending_need_for_admin(agency, agency_user):
    from scenarios.services.needs import need_submit
    from tests.scenarios.helpers import make_need

    return need_submit(actor=agency_user, need=make_need(agency, region="360102"))


def test_guessing_passwords_is_throttled_like_the_api(agency_user, monkeypatch):
    monkeypatch.setitem(LoginThrottle.THROTTLE_RATES, "login", "5/min")
    client = Client()
    rate = 5
    answers = [
        client.post("/login/", {"username": agency_user.username, "password": "wrong"})
        for _ in range(rate)
    ]
    assert {r.status_code for r in answers} == {200}

    blocked = client.post("/login/", {"username": agency_user.username, "password": PASSWORD})

    assert blocked.status_code == 429
    assert "尝试次数过多" in blocked.content.decode()
    assert "_auth_user_id" not in client.session  # even the right password waits


def test_signup_and_reset_share_the_budget(monkeypatch):
    monkeypatch.setitem(LoginThrottle.THROTTLE_RATES, "login", "3/min")
    client = Client()
    rate = 3
    for _ in range(rate):
        client.post("/password-reset/", {"email": "someone@example.cn"})

    assert client.post("/signup/firm/", signup_data()).status_code == 429
    assert not User.objects.filter(username="newfirm").exists()


def test_signup_lists_the_home_province_first_and_checks_the_phone():
    body = Client().get("/signup/firm/").content.decode()
    assert body.index('label="江西省"') < body.index('label="北京市"')

    response = Client().post("/signup/firm/", signup_data(contact_phone="abc<>"))

    assert response.status_code == 200
    assert 'id="id_contact_phone_error"' in response.content.decode()
    assert not Organization.objects.filter(name=signup_data()["firm_name"]).exists()


def test_a_signed_in_user_is_not_offered_the_signup_form(firm_user):
    client = Client()
    client.force_login(firm_user)

    response = client.get("/signup/firm/", follow=True)

    assert response.redirect_chain[0][0] == "/workspace/"
    assert "请先退出登录" in response.content.decode()


def test_a_request_refused_before_any_view_answers_json_on_the_api(settings):
    settings.DEBUG = False
    many = "&".join(f"p{n}=1" for n in range(1100))  # over DATA_UPLOAD_MAX_NUMBER_FIELDS

    api = Client().get(f"/api/v1/public/needs/?{many}")
    page = Client().get(f"/opportunities/?{many}")

    assert api.status_code == 400
    assert api.json()["code"] == "bad_request"
    assert page.status_code == 400
    assert "请求有误" in page.content.decode()


def test_what_a_signed_in_user_sees_is_not_kept_by_any_cache(agency_user):
    client, _ = sign_in(agency_user.username)

    for url in ("/workspace/agency/", "/opportunities/", "/api/v1/needs/"):
        control = client.get(url)["Cache-Control"]
        assert "no-store" in control, url
        assert "private" in control, url

    # Anonymous public pages stay cacheable.
    assert "no-store" not in Client().get("/opportunities/").get("Cache-Control", "")


def test_a_page_of_another_role_says_why_it_sent_you_home(firm_user):
    client, _ = sign_in(firm_user.username)

    for url in ("/workspace/committee/", "/workspace/expert/", "/workspace/agency/"):
        landed = client.get(url, follow=True)
        assert landed.redirect_chain[-1][0] == "/workspace/firm/", url
        assert "这个页面属于其他角色" in landed.content.decode(), url


def test_a_part_of_a_page_asked_for_after_the_session_ended_sends_the_page_to_sign_in(
    agency_user,
):
    response = Client().post(
        "/workspace/agency/matches/1/shortlist/",
        {"shortlisted": "1"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/workspace/agency/needs/N-1/",
    )

    assert response.status_code == 204  # nothing swapped into the card
    assert response["HX-Redirect"] == "/login/?next=%2Fworkspace%2Fagency%2Fneeds%2FN-1%2F"
    plain = Client().post("/workspace/agency/matches/1/shortlist/", {"shortlisted": "1"})
    assert plain.status_code == 302  # without htmx, the usual redirect


def test_an_office_signing_in_through_one_address_is_not_throttled_by_its_successes(
    agency_user, firm_user, monkeypatch
):
    monkeypatch.setitem(LoginThrottle.THROTTLE_RATES, "login", "3/min")

    for n in range(6):  # colleagues at nine o'clock, one address
        user = (agency_user, firm_user)[n % 2]
        assert (
            Client()
            .post("/login/", {"username": user.username, "password": PASSWORD})["Location"]
            .startswith("/workspace/")
        ), n

    guesses = [
        Client().post("/login/", {"username": agency_user.username, "password": "wrong"})
        for _ in range(4)
    ]
    assert [r.status_code for r in guesses] == [200, 200, 200, 429]  # guesses still count
