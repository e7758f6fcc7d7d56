"""List endpoints cost the same number of queries for 2 rows as for 20."""

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scenarios.services.capabilities import capability_submit
from scenarios.services.needs import need_submit
from tests.scenarios.helpers import make_capability, make_need

pytestmark = pytest.mark.django_db


def queries_for(client, url, user):
    if user is not None:  # a fresh user object: no memberships cached from earlier calls
        client.as_user(User.objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()


def grow(agency, agency_user, firm, n):
    for i in range(n):
        need_submit(
            actor=agency_user,
            need=make_need(
                agency, region="360102", title=f"需求{i}", chains=["digital-city", "bci"]
            ),
        )
        capability_submit(
            actor=None,
            capability=make_capability(firm, title=f"能力{i}", chains=["digital-city", "bci"]),
        )


@pytest.mark.parametrize(
    ("url", "who"),
    [
        ("/api/v1/needs/", "agency_user"),
        ("/api/v1/needs/", "county_reviewer"),
        ("/api/v1/capabilities/", "firm_user"),
        ("/api/v1/reviews/queue/", "county_reviewer"),
        ("/api/v1/public/capabilities/", None),
    ],
)
def test_list_query_count_does_not_grow_with_rows(
    api, request, url, who, agency, agency_user, firm, firm_user, county_reviewer
):
    user = request.getfixturevalue(who) if who else None
    grow(agency, agency_user, firm, 2)
    small, body_small = queries_for(api, url, user)

    grow(agency, agency_user, firm, 18)
    # The commit of these writes would move the lists' generation on (their cached counts
    # stale); the test's transaction never commits.
    cache.clear()
    large, body_large = queries_for(api, url, user)

    assert body_small["count"] == 2
    assert body_large["count"] == 20
    assert large == small, f"{url}: {small} queries for 2 rows, {large} for 20"
    assert small <= 8
