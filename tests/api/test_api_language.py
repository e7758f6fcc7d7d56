"""API errors in the caller's language: third-party messages (Django, DRF) that came out in
English or in wrong Chinese in a zh-hans response, and error pages outside DRF in UTF-8."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests import factories
from tests.scenarios.helpers import NEED_DEFAULTS

pytestmark = pytest.mark.django_db

NEEDS = "/api/v1/needs/"
SIGNUP = "/api/v1/auth/signup/firm/"
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def need_body(**overrides):
    return {**NEED_DEFAULTS, "region_code": "360102", "deadline": "2027-06-30", **overrides}


def test_need_create_api_null_body_is_explained_in_chinese(api, agency_user):
    # given: an agency editor and a JSON body that is just ``null``

    # when: the need is created in Chinese
    response = api.as_user(agency_user).generic(
        "POST", NEEDS, b"null", content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    # then: DRF's literal "No data provided" is replaced by a Chinese message
    assert response.status_code == 400
    assert response.json()["fields"] == {"non_field_errors": ["未提供数据：请求体为 null。"]}


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


@pytest.mark.parametrize(
    ("cookie", "header", "reason"),
    [
        (None, None, "没有 CSRF Cookie"),
        ("a" * 32, None, "缺少 CSRF 令牌"),
        ("a" * 32, "b" * 32, "CSRF 令牌不正确"),
    ],
    ids=["no-cookie", "missing", "incorrect"],
)
def test_session_post_without_a_valid_csrf_token_is_refused_in_chinese(
    agency_user, cookie, header, reason
):
    # given: a signed-in browser session that sends no or a wrong CSRF token
    client = Client(enforce_csrf_checks=True)
    client.force_login(agency_user)
    if cookie:
        client.cookies["csrftoken"] = cookie
    extra = {"HTTP_X_CSRFTOKEN": header} if header else {}

    # when: it creates a need through the API in Chinese
    response = client.post(
        NEEDS, need_body(), content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans", **extra
    )

    # then: 403 in the API's shape, in Chinese, saying why and how to pass the check
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "permission_denied"
    assert body["detail"].startswith(f"CSRF 校验失败（{reason}）。")
    assert "X-CSRFToken" in body["detail"]
    assert "CSRF Failed" not in body["detail"]


def test_need_create_api_null_character_message_is_correct_chinese(api, agency_user):
    # given: an agency editor and a title holding a NUL character
    body = need_body(title="a\u0000b")

    # when: the need is created in Chinese
    response = api.as_user(agency_user).post(
        NEEDS, body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    # then: the message names the character (Django's zh_Hans text "不允许是用空字符串。"
    # has a typo and speaks of an empty string)
    assert response.status_code == 400
    assert response.json()["fields"]["title"] == ["不能含不可见的控制字符（U+0000）。"]


def test_need_create_api_null_character_message_in_english_on_request(api, agency_user):
    # given: an agency editor and a title holding a NUL character
    body = need_body(title="a\u0000b")

    # when: the need is created in English
    response = api.as_user(agency_user).post(NEEDS, body, format="json", HTTP_ACCEPT_LANGUAGE="en")

    # then: the same message in English
    assert response.status_code == 400
    assert response.json()["fields"]["title"] == [
        "Must not contain invisible control characters (U+0000)."
    ]


@pytest.mark.parametrize("url", ["/api/v1/needs/abc/", "/api/v1/no-such-thing/"])
def test_api_address_no_route_serves_is_a_utf8_404(api, url):
    # given: an API address that no route serves

    # when: it is fetched in Chinese
    response = api.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")

    # then: the JSON body carries the Chinese text as UTF-8, like DRF's errors
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "未找到。".encode() in response.content
    assert b"\\u" not in response.content
    assert response.json() == {"code": "not_found", "detail": "未找到。", "fields": {}}


@pytest.mark.parametrize(
    ("content_type", "language", "expected"),
    [
        ("multipart/form-data", "zh-hans", "请求体不是有效的 multipart/form-data 表单"),
        ("multipart/form-data; boundary=", "en", "The request body is not a valid"),
    ],
)
def test_an_import_form_django_cannot_read_is_refused_in_the_callers_language(
    api, platform_admin, content_type, language, expected
):
    # given: an upload whose Content-Type has no usable boundary (DRF answered
    # "Multipart form parse error - Invalid boundary in multipart: None")

    # when
    response = api.as_user(platform_admin).generic(
        "POST",
        "/api/v1/needs/import/",
        b"--b\r\nContent-Disposition: form-data; name=format\r\n\r\njson\r\n--b--\r\n",
        content_type=content_type,
        HTTP_ACCEPT_LANGUAGE=language,
    )

    # then: a 400 in the caller's language that names what is wrong, no Python internals
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "parse_error"
    assert body["detail"].startswith(expected)
    assert "Multipart form parse error" not in body["detail"]


@pytest.mark.parametrize(("language", "separator"), [("en", ", "), ("zh-hans", "、")])
def test_an_import_lists_its_bad_columns_with_the_readers_separator(
    api, platform_admin, language, separator
):
    # given: two unknown columns, and required ones missing
    body = {"file": SimpleUploadedFile("needs.csv", b"ref,colour,shape\nA,red,round\n")}

    # when
    response = api.as_user(platform_admin).post(
        "/api/v1/needs/import/", body, format="multipart", HTTP_ACCEPT_LANGUAGE=language
    )

    # then: each list joined as the reader's language joins one
    assert response.status_code == 400
    messages = " ".join(m for ms in response.json()["fields"].values() for m in ms)
    assert f"colour{separator}shape" in messages
    assert f"title{separator}description" in messages
    if language == "en":
        assert "、" not in messages
