"""Schema-driven fuzzing in the suite: every operation, a few generated requests each,
signed in as an agency editor, a firm editor, a city committee member, the province
committee and a platform admin, against the authorization world (objects in every state).

No request may produce a server error, an undocumented status code or content type, or a
response that violates its documented schema. The suite runs this on PostgreSQL, and
``scripts/test.sh`` again on SQLite (``config.settings.test_sqlite``). (The full check set,
including the data-acceptance heuristics, runs with ``make fuzz`` against a live server.)
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


FUZZ_ROLES = ("agency", "firm", "city", "province", "admin")


@pytest.fixture(params=FUZZ_ROLES)
def token(request, world):
    return Token.objects.get_or_create(user=world.user(request.param))[0].key


@pytest.fixture(autouse=True)
def keep_test_connection():
    """Like Django's test client: requests must not close the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "2")),
    derandomize=True,  # the same requests every run: CI must not be flaky
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_conforms_to_its_schema(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
