"""Who may do what, for every operation of the API, from one table.

The operations are those of the live schema (what ``/api/schema/`` serves), so an endpoint
added without a row here fails. Each row names the object the operation acts on (ours,
under Donghu 360102; see ``authorization_world``), the body it sends, and what each of the
eleven roles gets, in the column order of ``ROLES``:

    anonymous  agency  other_agency  firm  other_firm  county  city  other_city  province
    expert  admin

A cell is the status code; for a list, ``200+`` means the list holds the row's probe
object and ``200-`` that it does not (out of reach is absent, not an error). Every request
runs in its own savepoint, rolled back, so each role meets the same world.
"""

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tests import factories
from tests.api.authorization_world import ROLES, SCORES, World

Body = dict[str, Any] | Callable[[World], dict[str, Any]] | None


@dataclass(frozen=True)
class Op:
    expect: str  # eleven cells, in ROLES order
    target: str | None = None  # the world object in the path
    body: Body = None
    query: Callable[[World], dict[str, Any]] | None = None
    probe: str | None = None  # for lists: the world object the list should (not) hold
    probe_key: str = "id"  # where a row holds the probe's id ("need.id": nested; "ref": a file)
    headers: Callable[[World], dict[str, str]] | None = None
    multipart: bool = False
    notes: str = field(default="", compare=False)


def _until() -> str:
    return (timezone.localdate() + dt.timedelta(days=90)).isoformat()


def _need_body(w: World) -> dict[str, Any]:
    return {
        "agency": w.id("agency"),
        "title": "东湖区路灯智能巡检",
        "description": "在东湖区主干道路灯杆部署感知终端，验证故障自动发现与工单派发。",
        "category": "social_governance",
        "chains": ["digital-city"],
        "keywords": ["路灯巡检"],
        "region_code": "360102",
        "validation_type": "technology",
        "min_trl": 5,
    }


def _capability_body(w: World) -> dict[str, Any]:
    return {
        "firm": w.id("firm"),
        "title": "路灯杆多功能感知终端",
        "description": "集成照度、倾斜与电流感知，自动发现路灯故障并上报工单。",
        "chains": ["digital-city"],
        "trl": 7,
        "region_code": "360102",
    }


def _import_file(kind: str) -> Callable[[World], dict[str, Any]]:
    def body(w: World) -> dict[str, Any]:
        if kind == "needs":
            text = (
                "ref,title,description,category,chains,keywords,region_code,validation_type,"
                "min_trl,budget_cny,deadline,is_major,org_name\n"
                "AUTHZ-N-1,路灯智能巡检,在主干道验证路灯故障自动发现与派单。,social_governance,"
                f"digital-city,路灯,360102,technology,5,,2027-06-30,false,{w.objects['agency'].name}\n"
            )
        else:
            text = (
                "ref,title,description,chains,keywords,region_code,trl,certifications,"
                "past_cases,capacity,firm_name,firm_credit_code\n"
                "AUTHZ-C-1,路灯感知终端,集成照度与倾斜感知自动发现路灯故障。,digital-city,路灯,"
                f"360102,7,,,2,{w.objects['firm'].name},{w.objects['firm'].credit_code}\n"
            )
        upload = io.BytesIO(text.encode())
        upload.name = f"{kind}.csv"
        return {"file": upload, "format": "csv"}

    return body


def _if_match(name: str) -> Callable[[World], dict[str, str]]:
    return lambda w: {"HTTP_IF_MATCH": f'"{w.objects[name].version}"'}


#  anonymous, agency, other_agency, firm, other_firm, county, city, other_city, province,
#  expert, admin
TABLE: dict[str, Op] = {
    # -- accounts ---------------------------------------------------------------------
    "auth_me": Op("401  200  200  200  200  200  200  200  200  200  200"),
    "auth_password_reset": Op(
        "202  202  202  202  202  202  202  202  202  202  202", body={"email": "nobody@example.cn"}
    ),
    "auth_password_reset_confirm": Op(
        "400  400  400  400  400  400  400  400  400  400  400",
        body={"uid": "MQ", "token": "bad-token", "new_password": "Zx9-long-password"},
    ),
    "auth_signup_firm": Op(
        "201  201  201  201  201  201  201  201  201  201  201",
        body=lambda w: {
            "username": "newfirm01",
            "password": "Zx9-long-password",
            "email": "newfirm01@example.cn",
            "firm_name": "东湖新创科技有限公司",
            "credit_code": factories.credit_code_for(9001),
            "region_code": "360102",
        },
    ),
    # Signed in without a token (the harness authenticates directly): nothing to revoke, a
    # 400 saying so; tests/accounts/test_api.py revokes a real token.
    "auth_token_revoke": Op("401  400  400  400  400  400  400  400  400  400  400"),
    "auth_token": Op(
        "200  200  200  200  200  200  200  200  200  200  200",
        body=lambda w: {"username": w.user("agency").username, "password": "pw-for-tests-2026"},
    ),
    "invitations_create": Op(
        "401  403  403  403  403  403  403  403  403  403  201",
        body=lambda w: {
            "email": "invitee@example.cn",
            "organization": w.id("agency"),
            "role": "agency_editor",
        },
    ),
    "invitations_accept": Op(
        "201  201  201  201  201  201  201  201  201  201  201",
        body=lambda w: {
            "token": w.objects["invitation_token"],
            "username": "invitee01",
            "password": "Zx9-long-password",
        },
    ),
    # -- reference --------------------------------------------------------------------
    "regions_list": Op("200  200  200  200  200  200  200  200  200  200  200"),
    "regions_retrieve": Op(
        "200  200  200  200  200  200  200  200  200  200  200", target="region"
    ),
    "chains_list": Op("200  200  200  200  200  200  200  200  200  200  200"),
    "chains_retrieve": Op("200  200  200  200  200  200  200  200  200  200  200", target="chain"),
    # -- needs ------------------------------------------------------------------------
    "needs_list": Op("401  200+ 200- 200- 200- 200+ 200+ 200- 200+ 200+ 200+", probe="need_review"),
    "needs_create": Op("401  201  403  403  403  403  403  403  403  403  201", body=_need_body),
    "needs_retrieve": Op(
        "401  200  404  404  404  200  200  404  200  200  200", target="need_review"
    ),
    "needs_partial_update": Op(
        "401  200  404  404  404  404  404  404  404  404  200",
        target="need_draft",
        body={"title": "东湖区草稿需求（改）"},
        headers=_if_match("need_draft"),
    ),
    "needs_submit_create": Op(
        "401  200  404  404  404  404  404  404  404  404  200", target="need_draft", body={}
    ),
    "needs_withdraw_create": Op(
        "401  200  404  404  404  403  403  404  403  403  200",
        target="need_review",
        body={"reason": "调整"},
    ),
    "needs_approve_create": Op(
        "401  403  404  404  404  200  409  404  409  403  200", target="need_review", body={}
    ),
    "needs_return_create": Op(
        "401  403  404  404  404  200  409  404  409  403  200",
        target="need_review",
        body={"comment": "请补充"},
    ),
    "needs_reject_create": Op(
        "401  403  404  404  404  200  409  404  409  403  200",
        target="need_review",
        body={"comment": "不符合"},
    ),
    "needs_assess_create": Op(
        "401  403  403  403  403  403  403  403  403  200  403",
        target="need_published",
        body={"scores": SCORES},
    ),
    "needs_close_create": Op(
        "401  200  403  403  403  200  200  403  200  403  200",
        target="need_published",
        body={"reason": "已解决"},
    ),
    "needs_scale_create": Op(
        "401  200  403  403  403  200  200  403  200  403  200",
        target="need_outcomes",
        body={"reason": "推广"},
    ),
    "needs_history_list": Op(
        "401  200  404  404  404  200  200  404  200  200  200", target="need_review"
    ),
    "needs_export_retrieve": Op(
        "401  200+ 200- 200- 200- 200+ 200+ 200- 200+ 200- 200+",
        probe="need_review",
        probe_key="ref",
        notes="the caller's own items: an agency's, a committee's region's, all for the admin",
    ),
    "needs_import_create": Op(
        "401  201  400  403  403  403  403  403  201  403  201",
        body=_import_file("needs"),
        multipart=True,
        notes="an agency's editor imports its own agency's rows; another agency's are row errors",
    ),
    "reviews_queue_list": Op(
        "401  200- 200- 200- 200- 200+ 200- 200- 200- 200- 200-",
        probe="need_review",
        probe_key="need.id",
    ),
    # -- capabilities -----------------------------------------------------------------
    "capabilities_list": Op(
        "401  200- 200- 200+ 200- 200- 200- 200- 200- 200- 200+", probe="capability_draft"
    ),
    "capabilities_create": Op(
        "401  403  403  201  403  403  403  403  403  403  201", body=_capability_body
    ),
    "capabilities_retrieve": Op(
        "401  404  404  200  404  404  404  404  404  404  200", target="capability_draft"
    ),
    "capabilities_partial_update": Op(
        "401  404  404  200  404  404  404  404  404  404  200",
        target="capability_draft",
        body={"title": "草稿（改）"},
        headers=_if_match("capability_draft"),
    ),
    "capabilities_submit_create": Op(
        "401  404  404  200  404  404  404  404  404  404  200", target="capability_draft", body={}
    ),
    "capabilities_withdraw_create": Op(
        "401  403  403  200  403  403  403  403  403  403  200",
        target="capability_published",
        body={},
    ),
    "capabilities_suspend_create": Op(
        "401  403  403  403  403  200  200  403  200  403  200",
        target="capability_published",
        body={"reason": "资质存疑"},
    ),
    "capabilities_return_create": Op(
        "401  403  403  403  403  200  200  403  200  403  200",
        target="capability_published",
        body={"reason": "描述不清"},
    ),
    "capabilities_reinstate_create": Op(
        "401  404  404  403  404  200  200  404  200  404  200",
        target="capability_suspended",
        body={"reason": "已核实"},
    ),
    "capabilities_export_retrieve": Op(
        "401  200- 200- 200+ 200- 200+ 200+ 200- 200+ 200- 200+",
        probe="capability_published",
        probe_key="ref",
        notes="the caller's own items: a firm's, a committee's region's, all for the admin",
    ),
    "capabilities_import_create": Op(
        "401  403  403  201  400  403  403  403  201  403  201",
        body=_import_file("capabilities"),
        multipart=True,
        notes="a firm's editor imports its own firm's rows; another firm's are row errors",
    ),
    # -- organizations ----------------------------------------------------------------
    "organizations_list": Op(
        "401  200- 200- 200- 200- 200+ 200+ 200- 200+ 200- 200+",
        probe="firm_unverified",
        query=lambda w: {"search": w.objects["firm_unverified"].name},
    ),
    "organizations_retrieve": Op(
        "401  404  404  404  404  200  200  404  200  404  200", target="firm_unverified"
    ),
    "organizations_verify_create": Op(
        "401  404  404  404  404  200  200  404  200  404  200", target="firm_unverified", body={}
    ),
    "organizations_certify_create": Op(
        "401  404  404  403  404  200  200  404  200  404  200",
        target="firm",
        body={"certifications": ["high_tech"], "capacity": 3, "reason": "现场核验"},
    ),
    "organizations_suspend_create": Op(
        "401  404  404  403  404  200  200  404  200  404  200",
        target="firm",
        body={"reason": "资质存疑"},
    ),
    "organizations_reinstate_create": Op(
        "401  404  404  404  404  200  200  404  200  404  200",
        target="firm_suspended",
        body={"reason": "已整改"},
    ),
    # -- matching ---------------------------------------------------------------------
    "match_runs_list": Op(
        # a need's rerun: the committees over the need and the admin (not Ganzhou's)
        "401  200- 200- 200- 200- 200+ 200+ 200- 200+ 200- 200+",
        probe="pending_run",
    ),
    "match_runs_create": Op(
        "401  403  403  403  403  202  202  403  202  403  202",
        body=lambda w: {"scope": "need", "object_id": w.id("need_published")},
    ),
    "match_runs_retrieve": Op(
        "401  404  404  404  404  200  200  404  200  404  200", target="pending_run"
    ),
    "match_runs_cancel_create": Op(
        "401  404  404  404  404  403  200  404  200  404  200", target="pending_run"
    ),
    "matches_list": Op(
        "401  200+ 200- 200+ 200- 200+ 200+ 200- 200+ 200- 200+",
        probe="match",
        query=lambda w: {"need": w.id("need_published")},
    ),
    "matches_retrieve": Op("401  200  404  200  404  200  200  404  200  404  200", target="match"),
    "matches_explain_retrieve": Op(
        "401  200  404  200  404  200  200  404  200  404  200",
        query=lambda w: {
            "need": w.id("need_published"),
            "capability": w.id("capability_published"),
        },
        notes="any pair: the agency of the need, the firm of the capability, committees "
        "over the need, the admin; everyone else 404",
    ),
    "matches_respond_create": Op(
        "401  403  404  200  404  403  403  404  403  404  200",
        target="match",
        body={"interested": True},
    ),
    "matches_shortlist_create": Op(
        "401  200  404  403  404  403  403  404  403  404  200",
        target="match",
        body={"shortlisted": True},
    ),
    "matches_approve_create": Op(
        "401  403  404  404  403  200  200  404  200  404  200",
        target="match_ready",
        body=lambda w: {"tolerance_until": _until()},
    ),
    "matches_reject_create": Op(
        "401  403  404  404  403  200  200  404  200  404  200",
        target="match_ready",
        body={"reason": "不适合"},
    ),
    "recommendations_awaiting_decision_list": Op(
        "401  200- 200- 200- 200- 200+ 200+ 200- 200+ 200- 200+", probe="match_ready"
    ),
    # -- pilots -----------------------------------------------------------------------
    "pilots_list": Op(
        "401  200+ 200- 200+ 200- 200+ 200+ 200- 200+ 200- 200+", probe="pilot_proposed"
    ),
    "pilots_create": Op(
        "401  201  403  403  403  201  201  403  201  403  201",
        # The agency proposes only for a pair on its shortlist: the one it shortlisted.
        body=lambda w: {
            "need": w.id("need_published"),
            "capability": w.id("other_capability"),
            "tolerance_until": _until(),
        },
    ),
    "pilots_retrieve": Op(
        "401  200  404  200  404  200  200  404  200  404  200", target="pilot_proposed"
    ),
    "pilots_decide_create": Op(
        "401  403  404  403  404  200  200  404  200  404  200",
        target="pilot_proposed",
        body={"approve": True},
    ),
    # Only the proposing agency (or an admin) takes a proposal back; committees decline it.
    "pilots_withdraw_create": Op(
        "401  200  404  403  404  403  403  404  403  404  200",
        target="pilot_proposed",
        body={},
    ),
    "pilots_milestones_create": Op(
        "401  200  404  403  404  200  200  404  200  404  200",
        target="pilot_running",
        # inside the pilot (its tolerance period ends in 90 days)
        body={
            "milestones": [{"title": "部署完成", "due": str(timezone.localdate()), "done": False}]
        },
    ),
    "pilots_conclude_create": Op(
        "401  200  404  403  404  200  200  404  200  404  200",
        target="pilot_running",
        body={"outcome": "validated", "trl_after": 8, "note": "通过"},
    ),
    "pilots_confirm_create": Op(
        "401  403  404  403  404  200  200  404  200  404  200", target="pilot_unconfirmed", body={}
    ),
    "pilots_recognize_create": Op(
        "401  403  404  403  404  200  200  404  200  404  200",
        target="pilot_confirmed",
        body={"best_practice": True},
    ),
    # -- policy -----------------------------------------------------------------------
    "policy_list": Op("401  200  200  200  200  200  200  200  200  200  200"),
    "policy_create": Op(
        "401  403  403  403  403  403  403  403  201  403  403",
        # A change states the version it was made against ("*": whichever is current).
        body={"recommendations_per_need": 6, "note": "调整"},
        headers=lambda w: {"HTTP_IF_MATCH": "*"},
    ),
    "policy_current_retrieve": Op("401  200  200  200  200  200  200  200  200  200  200"),
    "negative_list_list": Op(
        "401  200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+", probe="negative_entry"
    ),
    "negative_list_create": Op(
        "401  403  403  403  403  403  403  403  201  403  201",
        body={"kind": "keyword", "keyword": "赌博", "reason": "禁止类"},
    ),
    "negative_list_deactivate_create": Op(
        "401  403  403  403  403  403  403  403  200  403  200",
        target="negative_entry",
        body={"reason": "政策调整"},
    ),
    # -- activity ---------------------------------------------------------------------
    "notifications_list": Op(
        "401  200- 200- 200+ 200- 200- 200- 200- 200- 200- 200-", probe="notification"
    ),
    "notifications_read_create": Op(
        "401  404  404  200  404  404  404  404  404  404  404", target="notification"
    ),
    # -- public -----------------------------------------------------------------------
    "public_needs_list": Op(
        "200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+", probe="need_published"
    ),
    "public_needs_retrieve": Op(
        "200  200  200  200  200  200  200  200  200  200  200", target="need_published"
    ),
    "public_needs_export_retrieve": Op(
        "200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+",
        probe="need_published",
        probe_key="ref",
    ),
    "public_capabilities_list": Op(
        "200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+", probe="capability_published"
    ),
    "public_capabilities_retrieve": Op(
        "200  200  200  200  200  200  200  200  200  200  200", target="capability_published"
    ),
    "public_capabilities_export_retrieve": Op(
        "200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+",
        probe="capability_published",
        probe_key="ref",
    ),
}


def _operations() -> dict[str, tuple[str, str]]:
    """operationId → (method, path) of every operation in the live schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        op["operationId"]: (method.upper(), path)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    }


OPERATIONS = _operations()


def _path(template: str, op: Op, w: World) -> str:
    value = str(w.id(op.target)) if op.target else ""
    for name in ("{id}", "{slug}", "{code}"):
        template = template.replace(name, value)
    assert "{" not in template, f"{template}: the row names no target for its path parameter"
    return template


def _dig(row: dict[str, Any], key: str) -> Any:
    for part in key.split("."):
        row = row.get(part) or {}
    return row


def _answer(method: str, path: str, op: Op, w: World, role: str) -> str:
    client = APIClient()
    if w.users[role] is not None:
        client.force_authenticate(user=w.users[role])
    body = op.body(w) if callable(op.body) else op.body
    headers: dict[str, Any] = op.headers(w) if op.headers else {}
    kwargs: dict[str, Any] = {} if op.multipart else {"format": "json"}
    cache.clear()  # throttles and cached counts start afresh for every request
    with transaction.atomic():
        if method == "GET":
            query = op.query(w) if op.query else {}
            if op.probe and not path.endswith("/export/"):  # an export has no pages
                query = {"page_size": 200, **query}  # the probe is never on a later page
            response = client.get(path, query, **headers)
        else:
            response = getattr(client, method.lower())(path, body or {}, **kwargs, **headers)
        transaction.set_rollback(True)
    cell = str(response.status_code)
    if op.probe and response.status_code == 200:
        payload = response.json()
        rows = payload["results"] if isinstance(payload, dict) else payload
        ids = {_dig(row, op.probe_key) for row in rows}
        # An exported file's rows carry the exchange format's ref, not the id.
        want = w.objects[op.probe].ref if op.probe_key == "ref" else w.id(op.probe)
        cell += "+" if want in ids else "-"
    return cell


def test_the_table_has_a_row_for_every_operation_and_no_other():
    missing = sorted(set(OPERATIONS) - set(TABLE))
    stale = sorted(set(TABLE) - set(OPERATIONS))
    assert (missing, stale) == ([], []), "add a row to TABLE for each new operation"
    assert all(len(op.expect.split()) == len(ROLES) for op in TABLE.values())


@pytest.mark.django_db
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_role_gets_what_the_table_says(operation, world):
    op = TABLE.get(operation)
    assert op is not None, f"{operation}: no row in TABLE (who may call it, on what?)"
    method, template = OPERATIONS[operation]
    path = _path(template, op, world)

    got = {role: _answer(method, path, op, world, role) for role in ROLES}

    assert got == dict(zip(ROLES, op.expect.split(), strict=True))
