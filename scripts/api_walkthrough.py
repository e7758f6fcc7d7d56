#!/usr/bin/env python3
"""Run the whole pipeline against a running server with only the documented REST API.

Draft → submit → county and city approval → published → explained recommendations →
agency shortlist → firm interest → committee approval (pilot) → pilot outcome → the
committee's confirmation → recognition.
Uses the demo logins of `make run`; prints every request and the interesting part of
each response (Markdown, for docs/api-walkthrough.md).

    python scripts/api_walkthrough.py http://127.0.0.1:8000
"""

import datetime as dt
import json
import sys
import urllib.error
import urllib.request
from typing import Any

BASE = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000"
PASSWORD = sys.argv[2] if len(sys.argv) > 2 else "demo-pass-2026"


def call(
    method: str,
    path: str,
    token: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, dict[str, str]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method)  # noqa: S310
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request) as response:  # noqa: S310 - our own server
            raw = response.read()
            status, resp_headers = response.status, dict(response.headers)
    except urllib.error.HTTPError as err:
        raw, status, resp_headers = err.read(), err.code, dict(err.headers)
    return status, json.loads(raw) if raw else None, resp_headers


def show(
    title: str,
    method: str,
    path: str,
    status: int,
    body: Any,
    keys: list[str] | None = None,
    sent: Any = None,
) -> None:
    print(f"\n### {title}\n\n```\n{method} {path}")
    if sent is not None:
        print(json.dumps(sent, ensure_ascii=False))
    print(f"→ {status}")
    if isinstance(body, dict) and keys:
        body = {k: body.get(k) for k in keys}
    print(json.dumps(body, ensure_ascii=False, indent=1)[:1500])
    print("```")


def login(username: str) -> str:
    status, body, _ = call(
        "POST", "/api/v1/auth/token/", body={"username": username, "password": PASSWORD}
    )
    if status != 200:
        sys.exit(f"login {username} failed: {status} {body}")
    return str(body["token"])


def main() -> None:
    agency, county, city = login("agency360102"), login("county360102"), login("city360100")
    admin = login("admin")
    print(
        f"# API walkthrough against {BASE}\n\nTokens from `POST /api/v1/auth/token/` for the "
        "demo users agency360102, county360102, city360100 and admin."
    )
    need_body = {
        "title": "东湖区低空无人机医疗物资即时配送试点",
        "description": "在东湖区三家医院与中心血站之间开放低空航线，"
        "验证多旋翼无人机运送血液样本与急救药品，"
        "提供起降场地与航线审批协调，要求全程温控与实时监控。",
        "category": "new_track",
        "chains": ["unmanned-low-altitude", "low-altitude"],
        "keywords": ["无人机配送", "低空物流", "航线规划", "温控"],
        "region_code": "360102",
        "validation_type": "technology",
        "min_trl": 6,
        "budget_cny": 1200000,
        "deadline": "2027-06-30",
        "contact_name": "王主任",
        "contact_phone": "0791-86000000",
    }
    status, need, headers = call(
        "POST",
        "/api/v1/needs/",
        agency,
        need_body,
        {"Idempotency-Key": f"walkthrough-{dt.datetime.now(dt.UTC):%H%M%S}"},
    )
    show(
        "1. The agency drafts a need",
        "POST",
        "/api/v1/needs/",
        status,
        need,
        ["id", "ref", "status", "version"],
        sent=need_body,
    )
    print(f"ETag: {headers.get('ETag')}")
    nid = need["id"]
    status, body, _ = call("POST", f"/api/v1/needs/{nid}/submit/", agency, {})
    show(
        "2. It submits; review starts at its county committee",
        "POST",
        f"/api/v1/needs/{nid}/submit/",
        status,
        body,
        ["status", "review_tier", "version"],
    )
    status, body, _ = call("GET", "/api/v1/reviews/queue/", county)
    mine = [r for r in body["results"] if r["need"]["id"] == nid]
    show("3. The county committee's review queue", "GET", "/api/v1/reviews/queue/", status, mine)
    status, body, _ = call(
        "POST",
        f"/api/v1/needs/{nid}/approve/",
        county,
        {
            "comment": "符合区级场景方向",
            "version": body["results"][0]["need"]["version"] if mine else None,
        },
    )
    show(
        "4. County approves; the need climbs to the city",
        "POST",
        f"/api/v1/needs/{nid}/approve/",
        status,
        body,
        ["status", "review_tier", "version"],
    )
    status, body, _ = call("POST", f"/api/v1/needs/{nid}/approve/", city, {"comment": "同意发布"})
    show(
        "5. City approves; the need is published (matching starts after commit)",
        "POST",
        f"/api/v1/needs/{nid}/approve/",
        status,
        body,
        ["status", "published_at", "version"],
    )
    status, body, _ = call("GET", f"/api/v1/public/needs/{nid}/")
    show(
        "6. Anyone can read it in the public opportunity list (no contacts shown)",
        "GET",
        f"/api/v1/public/needs/{nid}/",
        status,
        body,
        ["ref", "title", "status", "org_name"],
    )
    status, body, _ = call("GET", f"/api/v1/matches/?need={nid}&recommended=true", agency)
    top = body["results"][0] if body.get("results") else None
    show(
        "7. Explained recommendations for the agency",
        "GET",
        f"/api/v1/matches/?need={nid}&recommended=true",
        status,
        [
            {k: m[k] for k in ("id", "rank", "score", "capability_title", "firm_name", "breakdown")}
            for m in body.get("results", [])[:3]
        ],
    )
    if top is None:
        sys.exit("no recommendations: is matching running (worker) or in-process?")
    status, firm_body, _ = call("GET", "/api/v1/organizations/" + str(top["firm_id"]) + "/", city)
    print(f"\nThe top firm is {firm_body.get('name')} ({status}).")
    status, body, _ = call(
        "POST", f"/api/v1/matches/{top['id']}/shortlist/", agency, {"shortlisted": True}
    )
    show(
        "8. The agency shortlists the top recommendation",
        "POST",
        f"/api/v1/matches/{top['id']}/shortlist/",
        status,
        body,
        ["shortlisted", "decision", "firm_response"],
    )
    # The firm answers. The demo does not tell which login belongs to the top firm, so the
    # platform admin answers on its behalf here (recorded under the admin's name).
    status, body, _ = call(
        "POST",
        f"/api/v1/matches/{top['id']}/respond/",
        admin,
        {"interested": True, "note": "可在三个月内完成部署"},
    )
    show(
        "8b. The firm answers: interested (here the admin on the firm's behalf)",
        "POST",
        f"/api/v1/matches/{top['id']}/respond/",
        status,
        body,
        ["shortlisted", "firm_response", "decision"],
    )
    until = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=180)).isoformat()
    status, body, _ = call(
        "POST", f"/api/v1/matches/{top['id']}/approve/", city, {"tolerance_until": until}
    )
    show(
        "9. The city committee approves: a pilot starts",
        "POST",
        f"/api/v1/matches/{top['id']}/approve/",
        status,
        body,
        ["decision", "pilot_id"],
    )
    pid = body["pilot_id"]
    status, body, _ = call(
        "POST",
        f"/api/v1/pilots/{pid}/conclude/",
        agency,
        {"outcome": "validated", "trl_after": 8, "note": "连续三个月完成120架次配送，温控达标"},
    )
    show(
        "10. The agency records the outcome",
        "POST",
        f"/api/v1/pilots/{pid}/conclude/",
        status,
        body,
        ["status", "trl_before", "trl_after", "outcome_note"],
    )
    status, body, _ = call("POST", f"/api/v1/pilots/{pid}/confirm/", city, {})
    show(
        "11. The committee confirms the outcome (now it is the firm's track record)",
        "POST",
        f"/api/v1/pilots/{pid}/confirm/",
        status,
        body,
        ["status", "outcome_confirmed_at"],
    )
    status, body, _ = call(
        "POST",
        f"/api/v1/pilots/{pid}/recognize/",
        city,
        {"first_of_kind": True, "best_practice": True},
    )
    show(
        "12. The committee recommends it as 首台（套） and a best-practice case",
        "POST",
        f"/api/v1/pilots/{pid}/recognize/",
        status,
        body,
        ["first_of_kind_recommended", "best_practice_nominated"],
    )
    status, body, _ = call("GET", f"/api/v1/needs/{nid}/history/", agency)
    show(
        "13. The audit trail of the need",
        "GET",
        f"/api/v1/needs/{nid}/history/",
        status,
        [{k: e[k] for k in ("actor", "action", "from_state", "to_state")} for e in body],
    )


if __name__ == "__main__":
    main()
