"""A client generated from the committed ``schema.yml`` drives the pipeline on a live server.

openapi-python-client (pinned in the dev dependencies) writes a Python package from the
schema into a temporary directory, offline, with the settings of ``make client``
(``clients/openapi-python-client.yml``); its names must all be English. The journey imports
it and uses only its functions and models: an agency editor signs in for a token, creates a
need and submits it, the county and then the city committee approve it, and the anonymous
public list shows it.
A schema that generators read wrongly (a body in three media types with one model, enums
named after Chinese labels, every operation under one tag) fails here, not at a client's.

Celery runs eagerly in this process (the live server is a thread of it), so publishing the
need runs its matching at once instead of leaving a task in the test broker.
"""

import datetime as dt
import importlib
import io
import os
import subprocess
import sys
import tokenize
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from config.celery import app as celery_app
from tests.scenarios.helpers import NEED_DEFAULTS

PACKAGE = "scenario_market_client"
PASSWORD = "pw-for-tests-2026"  # tests.factories.UserFactory's


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The client project, generated from schema.yml with the committed generator settings
    (as ``make client`` does) and its package importable for this module."""
    project = tmp_path_factory.mktemp("generated") / "scenario-market-api-client"
    base = Path(settings.BASE_DIR)
    venv_bin = str(Path(sys.executable).parent)  # the post hooks run the venv's ruff
    result = subprocess.run(  # noqa: S603 - the venv's own interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(base / "schema.yml"),
            "--config",
            str(base / "clients" / "openapi-python-client.yml"),
            "--output-path",
            str(project),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Warning" not in output, output
    sys.path.insert(0, str(project))
    try:
        yield project / PACKAGE
    finally:
        sys.path.remove(str(project))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_generated_client_names_are_english(generated):
    # given: every module of the generated package
    sources = sorted(generated.rglob("*.py"))

    # when: its file names and the names its code defines and uses are read
    names = {
        token.string
        for path in sources
        for token in tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
        if token.type == tokenize.NAME
    }

    # then: all of them are ASCII (Chinese labels stay in docstrings and descriptions)
    assert len(sources) > 150
    assert [p.name for p in sources if not p.name.isascii()] == []
    assert sorted(n for n in names if not n.isascii()) == []
    # and: the operations sit in one module per resource, none under a catch-all "v1"
    resources = {p.name for p in (generated / "api").iterdir() if p.is_dir()}
    assert {"auth", "needs", "reviews", "public", "matches", "pilots"} <= resources
    assert "v1" not in resources


@pytest.fixture
def eager_celery() -> Iterator[None]:
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def api(module: str) -> Any:
    """An operation module of the generated package, e.g. ``api("needs.needs_create")``."""
    return importlib.import_module(f"{PACKAGE}.api.{module}")


def ok(response: Any, status: int) -> Any:
    """The parsed body of a generated call's response, after checking its status."""
    assert response.status_code == status, response.content.decode()
    return response.parsed


@pytest.mark.django_db(transaction=True)
def test_generated_client_runs_a_need_from_draft_to_the_public_list(
    live_server,
    reference,
    eager_celery,
    generated,
    agency,
    agency_user,
    county_reviewer,
    city_reviewer,
):
    # given: a client package generated from schema.yml, pointed at the live server
    from scenario_market_client import AuthenticatedClient, Client
    from scenario_market_client import models as m

    base = live_server.url

    def signed_in(username: str) -> Any:
        body = m.AuthTokenRequest(username=username, password=PASSWORD)
        token = ok(
            api("auth.auth_token").sync_detailed(client=Client(base_url=base), body=body), 200
        )
        assert len(token.token) == 40
        return AuthenticatedClient(base_url=base, token=token.token, prefix="Token")

    # when: the agency editor signs in, creates a need and submits it
    editor = signed_in(agency_user.username)
    me = ok(api("auth.auth_me").sync_detailed(client=editor), 200)
    assert me.username == agency_user.username
    assert [(s.role, s.organization.id) for s in me.memberships] == [
        (m.RoleEnum.AGENCY_EDITOR, agency.id)
    ]
    body = m.NeedInputRequest(
        title=NEED_DEFAULTS["title"],
        description=NEED_DEFAULTS["description"],
        category=m.CategoryEnum.SOCIAL_GOVERNANCE,
        chains=["digital-city"],
        keywords=["物联网", "积水监测"],
        validation_type=m.ValidationTypeEnum.TECHNOLOGY,
        min_trl=5,
        region_code="360102",
        budget_cny=800_000,
        deadline=dt.date(2027, 6, 30),
    )
    draft = ok(api("needs.needs_create").sync_detailed(client=editor, body=body), 201)
    assert (draft.status, draft.title, draft.budget_cny) == (
        m.NeedStatusEnum.DRAFT,
        NEED_DEFAULTS["title"],
        800_000,
    )
    submitted = ok(
        api("needs.needs_submit_create").sync_detailed(
            str(draft.id), client=editor, body=m.VersionInputRequest(version=draft.version)
        ),
        200,
    )
    assert (submitted.status, submitted.review_tier) == (m.NeedStatusEnum.IN_REVIEW, "county")

    # and: the county committee finds it in its queue and approves, then the city does
    county = signed_in(county_reviewer.username)
    queue = ok(api("reviews.reviews_queue_list").sync_detailed(client=county), 200)
    assert [(r.need.id, r.tier) for r in queue.results] == [(draft.id, m.RegionLevelEnum.COUNTY)]
    forwarded = ok(
        api("needs.needs_approve_create").sync_detailed(
            str(draft.id), client=county, body=m.ReviewDecisionInputRequest(comment="同意")
        ),
        200,
    )
    assert (forwarded.status, forwarded.review_tier) == (m.NeedStatusEnum.IN_REVIEW, "city")
    city = signed_in(city_reviewer.username)
    published = ok(
        api("needs.needs_approve_create").sync_detailed(
            str(draft.id), client=city, body=m.ReviewDecisionInputRequest()
        ),
        200,
    )
    assert published.status == m.NeedStatusEnum.PUBLISHED
    assert published.published_at is not None

    # then: the anonymous public list shows it, filtered by its category
    listed = ok(
        api("public.public_needs_list").sync_detailed(
            client=Client(base_url=base), category=[m.CategoryEnum.SOCIAL_GOVERNANCE]
        ),
        200,
    )
    assert [(n.ref, n.title, n.status, n.region_code) for n in listed.results] == [
        (draft.ref, NEED_DEFAULTS["title"], m.NeedStatusEnum.PUBLISHED, "360102")
    ]
    assert listed.count == 1
    assert not hasattr(listed.results[0], "contact_phone")  # the public shape, not the agency's
