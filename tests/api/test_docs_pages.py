"""The API docs' pages (Swagger UI at /api/docs/, ReDoc at /api/redoc/) load nothing from
elsewhere: their bundles come from this server, ReDoc's page leaves out its Google Fonts, and
a Content-Security-Policy keeps what the bundles would fetch (ReDoc's logo) to this origin."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

DOCS = ("/api/docs/", "/api/redoc/")
# An address with a host: http://…, https://… or protocol-relative //… in the page.
HOSTED = re.compile(r"""(?:https?:)?//([A-Za-z0-9.-]+\.[A-Za-z]{2,})""")


@pytest.mark.parametrize("path", DOCS)
def test_a_docs_page_references_no_other_host(path):
    response = Client().get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert HOSTED.findall(html) == []  # fonts.googleapis.com, cdn.jsdelivr.net, …
    assert "/static/drf_spectacular_sidecar/" in html  # the vendored bundle


@pytest.mark.parametrize("path", DOCS)
def test_a_docs_page_may_load_only_from_this_origin(path):
    response = Client().get(path)

    policy = response["Content-Security-Policy"]
    assert policy.startswith("default-src 'self'")
    assert "http" not in policy
    assert "*" not in policy


def test_swagger_ui_sends_the_schema_to_no_validator():
    html = Client().get("/api/docs/").content.decode()

    assert '"validatorUrl": null' in html
