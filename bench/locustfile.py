"""Locust users for the API load test (issue 12, deliverable 4): readers and writers.

    uv run python bench/load.py             # prepares the data and this file's fixture, runs it

``bench/load.py`` prepares the synthetic province (accounts with API tokens, matches, review
queues) and writes the fixture this file reads (``LOAD_FIXTURE``, default
``var/load/fixture.json``): tokens per role, ids, search words taken from the data. Every
request carries a ``name`` from ``ENDPOINTS``, so locust reports each endpoint on its own.

User classes (pick them on locust's command line):

``PublicReader``        anonymous: the public need and capability lists (pages, filters,
                        orderings), ``?search=`` with words from the data, need detail
``AgencyReader``        an agency editor reading the recommendations of one of its needs
``FirmReader``          a firm editor reading the needs recommended to the firm
``CommitteeReader``     a committee member reading its review queue
``ReviewPipeline``      writer: an agency creates and submits a need, its county committee
                        approves it (forwarded to the city), the city committee approves it
                        (published, which starts matching in the Celery worker)
``FirmResponder``       writer: a firm answers recommendations (interested / declines)

Writers hold a slot each (one agency, county and city; one firm), so no two users race
on the same review or answer: ``fixed_count`` comes from ``LOAD_PIPELINES`` and
``LOAD_RESPONDERS`` and must not exceed the slots in the fixture.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, task

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(os.environ.get("LOAD_FIXTURE", str(ROOT / "var" / "load" / "fixture.json")))

API = "/api/v1"

# Request names, as locust reports them; bench/load.py prints the table in this order.
PUBLIC_NEEDS = "GET public/needs/ (pages)"
PUBLIC_NEEDS_FILTERED = "GET public/needs/ (filters)"
PUBLIC_NEEDS_SEARCH = "GET public/needs/?search="
PUBLIC_NEED_DETAIL = "GET public/needs/{id}/"
PUBLIC_CAPABILITIES = "GET public/capabilities/ (pages)"
PUBLIC_CAPABILITIES_FILTERED = "GET public/capabilities/ (filters)"
PUBLIC_CAPABILITIES_SEARCH = "GET public/capabilities/?search="
AGENCY_MATCHES = "GET matches/?need= (agency)"
FIRM_MATCHES = "GET matches/ (firm)"
REVIEW_QUEUE = "GET reviews/queue/ (committee)"
NEED_CREATE = "POST needs/"
NEED_SUBMIT = "POST needs/{id}/submit/"
NEED_APPROVE_COUNTY = "POST needs/{id}/approve/ (county)"
NEED_APPROVE_CITY = "POST needs/{id}/approve/ (city: publish)"
MATCH_RESPOND = "POST matches/{id}/respond/"

ENDPOINTS = (
    PUBLIC_NEEDS,
    PUBLIC_NEEDS_FILTERED,
    PUBLIC_NEEDS_SEARCH,
    PUBLIC_NEED_DETAIL,
    PUBLIC_CAPABILITIES,
    PUBLIC_CAPABILITIES_FILTERED,
    PUBLIC_CAPABILITIES_SEARCH,
    AGENCY_MATCHES,
    FIRM_MATCHES,
    REVIEW_QUEUE,
    NEED_CREATE,
    NEED_SUBMIT,
    NEED_APPROVE_COUNTY,
    NEED_APPROVE_CITY,
    MATCH_RESPOND,
)
READ_USERS = ("PublicReader", "AgencyReader", "FirmReader", "CommitteeReader")
WRITE_USERS = ("ReviewPipeline", "FirmResponder")

# The people read; a pause between two requests of one user.
THINK = between(0.5, 2.0)
CATEGORIES = (
    "government_service",
    "new_track",
    "industrial_upgrade",
    "industry_sector",
    "social_governance",
    "livelihood",
)
VALIDATION_TYPES = ("concept", "demand", "technology", "product")
NEED_ORDERINGS = ("-published_at", "-budget_cny", "deadline", "-value_score", "min_trl")
CAP_ORDERINGS = ("-published_at", "-trl", "trl")


@cache
def fixture() -> dict[str, Any]:
    """What bench/load.py prepared (read once per locust process)."""
    if not FIXTURE.exists():
        raise RuntimeError(f"{FIXTURE} is missing: run bench/load.py (it prepares the data)")
    data: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}", "Accept-Language": "zh-hans"}


def _check(response: Any, *expected: int) -> dict[str, Any] | None:
    """Mark the request failed unless its status is expected; return the JSON body."""
    if response.status_code not in expected:
        response.failure(f"HTTP {response.status_code}: {response.text[:300]}")
        return None
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        response.failure(f"HTTP {response.status_code}: not JSON")
        return None
    response.success()
    return body


class PublicReader(FastHttpUser):
    """Anonymous visitors of the published lists (most of the traffic)."""

    weight = 8
    wait_time = THINK

    def _get(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, catch_response=True) as response:
            _check(response, 200)

    @task(4)
    def needs_pages(self) -> None:
        page = random.choices((1, 2, 3, random.randint(4, 400)), weights=(6, 2, 1, 1))[0]
        self._get(f"{API}/public/needs/?page={page}", PUBLIC_NEEDS)

    @task(3)
    def needs_filtered(self) -> None:
        f = fixture()
        params = random.choice(
            (
                f"category={random.choice(CATEGORIES)}",
                f"chain={random.choice(f['chains'])}",
                f"region={random.choice(f['cities'])}",
                f"trl_min={random.randint(3, 6)}&budget_min=200000&budget_max=3000000",
                f"validation_type={random.choice(VALIDATION_TYPES)}&high_value=true",
            )
        )
        ordering = random.choice(NEED_ORDERINGS)
        self._get(f"{API}/public/needs/?{params}&ordering={ordering}", PUBLIC_NEEDS_FILTERED)

    @task(3)
    def needs_search(self) -> None:
        word = random.choice(fixture()["need_words"])
        self._get(f"{API}/public/needs/?search={word}", PUBLIC_NEEDS_SEARCH)

    @task(4)
    def need_detail(self) -> None:
        need = random.choice(fixture()["need_ids"])
        self._get(f"{API}/public/needs/{need}/", PUBLIC_NEED_DETAIL)

    @task(3)
    def capabilities_pages(self) -> None:
        page = random.choices((1, 2, 3, random.randint(4, 4000)), weights=(6, 2, 1, 1))[0]
        self._get(f"{API}/public/capabilities/?page={page}", PUBLIC_CAPABILITIES)

    @task(2)
    def capabilities_filtered(self) -> None:
        f = fixture()
        params = random.choice(
            (
                f"chain={random.choice(f['chains'])}",
                f"region={random.choice(f['cities'])}",
                "region=360000&certification=specialized_sme",
                f"trl_min={random.randint(5, 7)}&trl_max=9",
            )
        )
        ordering = random.choice(CAP_ORDERINGS)
        self._get(
            f"{API}/public/capabilities/?{params}&ordering={ordering}",
            PUBLIC_CAPABILITIES_FILTERED,
        )

    @task(2)
    def capabilities_search(self) -> None:
        word = random.choice(fixture()["capability_words"])
        self._get(f"{API}/public/capabilities/?search={word}", PUBLIC_CAPABILITIES_SEARCH)


class AgencyReader(FastHttpUser):
    """An agency editor reading the recommendations of one of its published needs."""

    weight = 2
    wait_time = THINK

    def on_start(self) -> None:
        self.agency = random.choice(fixture()["agencies"])

    @task
    def need_matches(self) -> None:
        need = random.choice(self.agency["need_ids"])
        with self.client.get(
            f"{API}/matches/?need={need}",
            name=AGENCY_MATCHES,
            headers=_auth(self.agency["token"]),
            catch_response=True,
        ) as response:
            body = _check(response, 200)
            if body is not None and not body["results"]:
                response.failure(f"need {need}: no recommendations")


class FirmReader(FastHttpUser):
    """A firm editor reading the needs recommended to the firm."""

    weight = 2
    wait_time = THINK

    def on_start(self) -> None:
        self.firm = random.choice(fixture()["firms"])

    @task
    def recommended(self) -> None:
        with self.client.get(
            f"{API}/matches/",
            name=FIRM_MATCHES,
            headers=_auth(self.firm["token"]),
            catch_response=True,
        ) as response:
            body = _check(response, 200)
            if body is not None and not body["results"]:
                response.failure(f"firm {self.firm['id']}: no recommended needs")


class CommitteeReader(FastHttpUser):
    """A committee member reading the review queue (county, city and province members)."""

    weight = 1
    wait_time = THINK

    def on_start(self) -> None:
        self.token = random.choice(fixture()["committees"])["token"]

    @task
    def queue(self) -> None:
        with self.client.get(
            f"{API}/reviews/queue/",
            name=REVIEW_QUEUE,
            headers=_auth(self.token),
            catch_response=True,
        ) as response:
            _check(response, 200)


_pipeline_slots = itertools.count()
_responder_slots = itertools.count()


def _slot(kind: str, counter: itertools.count[int]) -> dict[str, Any]:
    slots: list[dict[str, Any]] = fixture()[kind]
    number = next(counter)
    if number >= len(slots):
        raise RuntimeError(f"more {kind} users than slots ({len(slots)}): lower their count")
    return slots[number]


class ReviewPipeline(FastHttpUser):
    """Writer: a need from draft to published through the agency and two committee tiers."""

    fixed_count = int(os.environ.get("LOAD_PIPELINES", "2"))
    wait_time = THINK

    def on_start(self) -> None:
        self.slot = _slot("pipelines", _pipeline_slots)
        self.serial = 0

    def _approve_oldest(self, token: str, name: str) -> None:
        """Approve the oldest need in the committee's queue (if any)."""
        with self.client.get(
            f"{API}/reviews/queue/", name=REVIEW_QUEUE, headers=_auth(token), catch_response=True
        ) as response:
            body = _check(response, 200)
        if not body or not body["results"]:
            return
        need = body["results"][0]["need"]
        with self.client.post(
            f"{API}/needs/{need['id']}/approve/",
            json={"version": need["version"], "comment": "同意（压测）"},
            name=name,
            headers=_auth(token),
            catch_response=True,
        ) as response:
            _check(response, 200)

    @task
    def draft_submit_review(self) -> None:
        slot = self.slot
        template = random.choice(fixture()["need_templates"])
        self.serial += 1
        body = {
            "title": f"{template['title'][:50]}（第{self.serial}批）",
            "description": template["description"],
            "category": template["category"],
            "chains": template["chains"],
            "keywords": template["keywords"],
            "region_code": slot["region"],
            "validation_type": template["validation_type"],
            "min_trl": template["min_trl"],
            "budget_cny": 500_000,
            "deadline": (datetime.now(tz=UTC).date() + timedelta(days=180)).isoformat(),
        }
        agency = _auth(slot["agency_token"])
        with self.client.post(
            f"{API}/needs/", json=body, name=NEED_CREATE, headers=agency, catch_response=True
        ) as response:
            created = _check(response, 201)
        if created is None:
            return
        with self.client.post(
            f"{API}/needs/{created['id']}/submit/",
            json={"version": created["version"]},
            name=NEED_SUBMIT,
            headers=agency,
            catch_response=True,
        ) as response:
            _check(response, 200)
        # Each step is a different person's click: they pause between them too.
        self.wait()
        self._approve_oldest(slot["county_token"], NEED_APPROVE_COUNTY)
        self.wait()
        self._approve_oldest(slot["city_token"], NEED_APPROVE_CITY)


class FirmResponder(FastHttpUser):
    """Writer: a firm answers the needs recommended to it, changing its mind now and then."""

    fixed_count = int(os.environ.get("LOAD_RESPONDERS", "2"))
    wait_time = THINK

    def on_start(self) -> None:
        self.slot = _slot("responders", _responder_slots)
        self.answers: dict[int, bool] = {}

    @task
    def respond(self) -> None:
        match = random.choice(self.slot["match_ids"])
        interested = not self.answers.get(match, False)  # every answer changes the last one
        with self.client.post(
            f"{API}/matches/{match}/respond/",
            json={"interested": interested, "note": "可安排技术团队对接" if interested else ""},
            name=MATCH_RESPOND,
            headers=_auth(self.slot["token"]),
            catch_response=True,
        ) as response:
            if _check(response, 200) is not None:
                self.answers[match] = interested
