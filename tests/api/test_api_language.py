"""API errors in the caller's language: third-party messages (Django, DRF) that came out in
English or in wrong Chinese in a zh-hans response."""

import re

import pytest

from tests import factories
from tests.scenarios.helpers import NEED_DEFAULTS

pytestmark = pytest.mark.django_db

NEEDS = "/api/v1/needs/"
SIGNUP = "/api/v1/auth/signup/firm/"
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def need_body(**overrides):
    return {**NEED_DEFAULTS, "region_code": "360102", "deadline": "2027-06-30", **overrides}


def signup_body(**overrides):
    return {
        "username": "gkj_admin",
        "password": "Hongguting-2026!",
        "email": "admin@ganke.example.cn",
        "firm_name": "江西赣科智能装备有限公司",
        "credit_code": factories.credit_code_for(9101, "360102"),
        "region_code": "360102",
        **overrides,
    }


def test_signup_api_short_password_is_refused_in_chinese(api):
    # given: a firm sign-up with a three-letter password
    body = signup_body(password="abc")

    # when: it is sent in Chinese
    response = api.post(SIGNUP, body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")

    # then: every password message is Chinese, the length one included (Django 5.1 changed
    # its msgid and Django's zh_Hans catalog only translates the old one)
    assert response.status_code == 400
    messages = response.json()["fields"]["password"]
    assert messages[0] == "密码长度太短。密码必须包含至少 8 个字符。"
    assert [m for m in messages if LATIN_WORD.search(m)] == []


def test_signup_api_short_password_is_refused_in_english_on_request(api):
    # given: a firm sign-up with a three-letter password
    body = signup_body(password="abc")

    # when: it is sent asking for English
    response = api.post(SIGNUP, body, format="json", HTTP_ACCEPT_LANGUAGE="en")

    # then: Django's English message is unchanged by the Chinese override
    assert response.status_code == 400
    assert (
        "This password is too short. It must contain at least 8 characters."
        in response.json()["fields"]["password"]
    )


def test_need_create_api_null_character_message_is_correct_chinese(api, agency_user):
    # given: an agency editor and a title holding a NUL character
    body = need_body(title="a\u0000b")

    # when: the need is created in Chinese
    response = api.as_user(agency_user).post(
        NEEDS, body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    # then: the message says NUL is not allowed (Django's zh_Hans text "不允许是用空字符串。"
    # has a typo and speaks of an empty string)
    assert response.status_code == 400
    assert response.json()["fields"]["title"] == ["不能含空字符（NUL）。"]


def test_need_create_api_null_character_message_in_english_on_request(api, agency_user):
    # given: an agency editor and a title holding a NUL character
    body = need_body(title="a\u0000b")

    # when: the need is created in English
    response = api.as_user(agency_user).post(NEEDS, body, format="json", HTTP_ACCEPT_LANGUAGE="en")

    # then: Django's English message
    assert response.status_code == 400
    assert response.json()["fields"]["title"] == ["Null characters are not allowed."]
