"""Lockout after repeated failed sign-ins (django-axes): per account, whatever addresses
the guesses come from, and per address, whatever accounts it tries; on the API's token,
the portal and /admin/ alike, with the right password refused until the cool-off ends."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

PASSWORD = "pw-for-tests-2026"  # tests.factories.UserFactory

pytestmark = pytest.mark.django_db
LIMIT = 3
ADDRESS_LIMIT = 6


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_ADDRESS_FAILURE_LIMIT = ADDRESS_LIMIT


def address(n):
    return f"203.0.113.{n}"


def token(client, username, password, n):
    return client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=address(n),
    )


def test_guesses_from_many_addresses_lock_the_account_on_the_api(agency_user):
    api = APIClient()
    guesses = [token(api, agency_user.username, f"wrong-{n}", n).status_code for n in range(LIMIT)]

    locked = token(api, agency_user.username, PASSWORD, 99)

    assert guesses == [400] * (LIMIT - 1) + [429]  # the guess that reaches the limit is told
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"
    assert "分钟后再试" in locked.json()["detail"]
    assert "分钟后再试".encode() in locked.content  # UTF-8 like every other API error
    assert int(locked["Retry-After"]) >= 60
    assert "token" not in locked.json()


def test_another_account_is_not_locked_by_them(agency_user, firm_user):
    api = APIClient()
    for n in range(LIMIT):
        token(api, agency_user.username, "wrong", n)

    assert token(api, firm_user.username, PASSWORD, 50).status_code == 200


def test_one_address_guessing_many_accounts_is_locked(agency_user, firm_user, county_reviewer):
    api = APIClient()
    for _ in range(ADDRESS_LIMIT // 3):  # below every account's limit
        for user in (agency_user, firm_user, county_reviewer):
            token(api, user.username, "wrong", 7)

    from_there = token(api, firm_user.username, PASSWORD, 7)
    elsewhere = token(api, firm_user.username, PASSWORD, 8)

    assert from_there.status_code == 429
    assert elsewhere.status_code == 200


def test_one_person_mistyping_locks_their_account_not_the_office(agency_user, firm_user):
    api = APIClient()
    for _ in range(LIMIT):
        token(api, agency_user.username, "wrong", 7)  # the office's one address

    assert token(api, agency_user.username, PASSWORD, 7).status_code == 429
    assert token(api, firm_user.username, PASSWORD, 7).status_code == 200  # a colleague


def test_a_success_before_the_limit_resets_the_account(agency_user):
    api = APIClient()
    for n in range(LIMIT - 1):
        token(api, agency_user.username, "wrong", n)
    assert token(api, agency_user.username, PASSWORD, 20).status_code == 200

    for n in range(LIMIT - 1):
        token(api, agency_user.username, "wrong", 30 + n)

    assert token(api, agency_user.username, PASSWORD, 40).status_code == 200


def test_the_portal_sign_in_locks_the_same_account_and_says_so(agency_user):
    api = APIClient()
    for n in range(LIMIT):
        token(api, agency_user.username, "wrong", n)  # the guesses went to the API
    client = Client(REMOTE_ADDR=address(60))

    page = client.post("/login/", {"username": agency_user.username, "password": PASSWORD})

    assert page.status_code == 429
    assert "暂时锁定" in page.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_admin_sign_in_locks_too(platform_admin):
    client = Client()
    for n in range(LIMIT):
        client.post(
            "/admin/login/",
            {"username": platform_admin.username, "password": "wrong"},
            REMOTE_ADDR=address(n),
        )

    page = client.post(
        "/admin/login/",
        {"username": platform_admin.username, "password": PASSWORD},
        REMOTE_ADDR=address(70),
    )

    assert page.status_code == 429
    assert "_auth_user_id" not in client.session


def test_signing_in_to_one_account_does_not_unlock_another(agency_user, firm_user):
    api = APIClient()
    for _ in range(LIMIT):
        token(api, agency_user.username, "wrong", 7)

    assert token(api, firm_user.username, PASSWORD, 7).status_code == 200  # a colleague

    assert token(api, agency_user.username, PASSWORD, 7).status_code == 429  # still locked


def test_signing_in_does_not_clear_the_addresss_count_of_other_accounts(
    agency_user, firm_user, county_reviewer
):
    api = APIClient()
    for _ in range(ADDRESS_LIMIT // 2):  # ADDRESS_LIMIT - 1 failures, none of them firm_user's
        token(api, agency_user.username, "wrong", 7)
    for _ in range(ADDRESS_LIMIT // 2 - 1):
        token(api, county_reviewer.username, "wrong", 7)
    assert token(api, firm_user.username, PASSWORD, 7).status_code == 200

    token(api, county_reviewer.username, "wrong", 7)  # the address's limit is reached

    assert token(api, firm_user.username, PASSWORD, 7).status_code == 429
