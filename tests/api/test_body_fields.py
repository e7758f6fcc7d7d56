"""Write bodies: a key the endpoint does not take is a 400 naming it, never dropped.

An unknown key is named with the fields the endpoint takes; a key the resource shows but no
body sets (``status``, ``id``), or one only a create takes (a need's ``agency`` and ``ref``
on PATCH), is named read-only. Nested items (milestones, criteria) and the multipart import
form are checked the same way. When a body's ``version`` and If-Match disagree, the request
is refused on ``version`` instead of one of them winning.
"""

import datetime as dt
import io

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from activity.models import AuditEvent
from core.api.fields import MAX_NAMED_KEYS, StrictInputMixin
from scenarios.models import Capability, NegativeListEntry, Pilot, PolicyVersion, ScenarioNeed
from tests import factories
from tests.api.test_needs_api import need_body
from tests.scenarios.helpers import CAPABILITY_DEFAULTS, make_capability, make_need

pytestmark = pytest.mark.django_db

READ_ONLY = "只读字段，不能在此修改。"

# Write operations that take no body at all: any key is unknown.
BODILESS = {
    "POST /api/v1/auth/token/revoke/",
    "POST /api/v1/match-runs/{id}/cancel/",
    "POST /api/v1/notifications/{id}/read/",
}


def _serializers_within(serializer):
    """The serializer and every serializer nested in its fields (list items included)."""
    yield serializer
    for field in serializer.fields.values():
        nested = field.child if isinstance(field, serializers.ListSerializer) else field
        if isinstance(nested, serializers.Serializer):
            yield from _serializers_within(nested)


def test_every_write_body_is_read_by_a_strict_serializer():
    # given: every write operation of the schema, and the serializer it documents
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    found, lax, bodiless = 0, [], set()

    # when
    for path, _regex, method, view in generator._get_paths_and_endpoints():
        if method not in {"POST", "PUT", "PATCH"}:
            continue
        serializer = view.schema.get_request_serializer()
        if isinstance(serializer, dict):  # {media type: serializer}
            (serializer,) = set(serializer.values())
        if serializer is None:
            bodiless.add(f"{method} {path}")
            continue
        found += 1
        instance = serializer() if isinstance(serializer, type) else serializer
        lax += [
            f"{method} {path} {type(s).__name__}"
            for s in _serializers_within(instance)
            if not isinstance(s, StrictInputMixin)
        ]

    # then: nested ones too; the operations without a body check theirs in the view
    assert found > 35
    assert lax == []
    assert bodiless == BODILESS


def test_need_create_with_an_unknown_key_is_a_400_naming_it_and_the_accepted(api, agency_user):
    response = api.as_user(agency_user).post(
        "/api/v1/needs/", need_body(unknownfield=1), format="json"
    )

    assert response.status_code == 400
    message = response.json()["fields"]["unknownfield"][0]
    assert message.startswith("未知字段。可用：")
    assert "title" in message
    assert "deadline" in message
    assert not ScenarioNeed.objects.exists()


@pytest.mark.parametrize("key", ["status", "id", "published_at", "value_score"])
def test_need_create_with_a_read_only_field_is_a_400_naming_it(api, agency_user, key):
    response = api.as_user(agency_user).post(
        "/api/v1/needs/", need_body(**{key: "published" if key == "status" else 7}), format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {key: [READ_ONLY]}
    assert not ScenarioNeed.objects.exists()


def test_unknown_keys_come_back_with_the_fields_own_errors(api, agency_user):
    body = need_body(extra="x", status="published")
    del body["title"]

    response = api.as_user(agency_user).post("/api/v1/needs/", body, format="json")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"title", "extra", "status"}


def test_a_body_of_many_unknown_keys_names_a_bounded_few(api, agency_user):
    body = need_body(**{f"k{n:03}" + "x" * 100: n for n in range(200)})

    response = api.as_user(agency_user).post("/api/v1/needs/", body, format="json")

    assert response.status_code == 400
    fields = response.json()["fields"]
    assert len(fields) == MAX_NAMED_KEYS
    assert max(len(name) for name in fields) <= 64


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"agency": "OTHER"}, "agency"),
        ({"agency": "OWN"}, "agency"),
        ({"ref": "N-NEW-1"}, "ref"),
        ({"status": "published"}, "status"),
        ({"title": "新标题", "unknownfield": 1}, "unknownfield"),
    ],
)
def test_need_patch_refuses_what_it_cannot_change(api, agency_user, agency, body, named):
    # given: a draft of the user's agency, and another agency
    other = factories.AgencyFactory.create()
    need = make_need(agency, region="360102")
    ids = {"OTHER": other.pk, "OWN": agency.pk}
    body = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in body.items()}

    # when
    response = api.as_user(agency_user).patch(
        f"/api/v1/needs/{need.pk}/", {**body, "version": need.version}, format="json"
    )

    # then: nothing changes, not even the version
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [named]
    if named != "unknownfield":
        assert response.json()["fields"][named] == [READ_ONLY]
    after = ScenarioNeed.objects.get(pk=need.pk)
    assert (after.agency_id, after.ref, after.version) == (agency.pk, need.ref, need.version)


def test_need_patch_still_takes_its_writable_fields(api, agency_user, agency):
    need = make_need(agency, region="360102")

    response = api.as_user(agency_user).patch(
        f"/api/v1/needs/{need.pk}/", {"title": "新标题", "version": need.version}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "新标题"


def test_capability_patch_refuses_firm_and_status(api, firm_user, firm):
    other = factories.FirmFactory.create()
    cap = make_capability(firm)

    response = api.as_user(firm_user).patch(
        f"/api/v1/capabilities/{cap.pk}/",
        {"firm": other.pk, "status": "published", "version": cap.version},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"firm": [READ_ONLY], "status": [READ_ONLY]}
    after = Capability.objects.get(pk=cap.pk)
    assert (after.firm_id, after.status, after.version) == (firm.pk, cap.status, cap.version)


def test_capability_create_still_takes_its_firm(api, firm_user, firm):
    response = api.as_user(firm_user).post(
        "/api/v1/capabilities/",
        {**CAPABILITY_DEFAULTS, "firm": firm.pk, "region_code": "360102"},
        format="json",
    )

    assert response.status_code == 201, response.json()


def test_an_action_body_with_an_unknown_key_is_refused(api, agency_user, agency):
    need = make_need(agency, region="360102")

    response = api.as_user(agency_user).post(
        f"/api/v1/needs/{need.pk}/submit/",
        {"version": need.version, "status": "published"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"status": ["未知字段。可用：version。"]}
    assert ScenarioNeed.objects.get(pk=need.pk).status == need.status


def test_pilot_create_refuses_an_unknown_key_in_a_milestone(api, agency_user):
    until = (timezone.localdate() + dt.timedelta(days=180)).isoformat()

    response = api.as_user(agency_user).post(
        "/api/v1/pilots/",
        {
            "need": 1,
            "capability": 1,
            "tolerance_until": until,
            "milestones": [{"title": "a", "due": "2027-01-31"}, {"title": "b", "extra": 1}],
        },
        format="json",
    )

    assert response.status_code == 400
    fields = response.json()["fields"]
    assert list(fields) == ["milestones.1.extra"]
    assert fields["milestones.1.extra"][0].startswith("未知字段。可用：")
    assert "due" in fields["milestones.1.extra"][0]


def test_pilot_milestones_refuse_an_unknown_key_in_an_item(api, agency_user, agency, firm):
    # given: a running pilot of the user's need
    capability = make_capability(firm)
    pilot = Pilot.objects.create(
        need=make_need(agency, region="360102"),
        capability=capability,
        capability_title=capability.title,
        validation_type="technology",
        tolerance_until=timezone.localdate() + dt.timedelta(days=180),
        trl_before=7,
    )

    # when
    response = api.as_user(agency_user).post(
        f"/api/v1/pilots/{pilot.pk}/milestones/",
        {"milestones": [{"title": "a", "due": "2027-01-31", "extra": 1}], "version": 1},
        format="json",
    )

    # then
    assert response.status_code == 400, response.json()
    assert list(response.json()["fields"]) == ["milestones.0.extra"]
    assert Pilot.objects.get(pk=pilot.pk).milestones == []


def test_policy_refuses_unknown_criterion_keys_and_its_creation_time(api, province_reviewer):
    before = PolicyVersion.objects.count()

    response = api.as_user(province_reviewer).post(
        "/api/v1/policy/",
        {
            "created_at": "2026-01-01T00:00:00Z",
            "selection_criteria": [{"key": "a", "name": "甲", "weight": 1, "extra": 1}],
        },
        format="json",
    )

    assert response.status_code == 400
    fields = response.json()["fields"]
    assert fields["created_at"] == [READ_ONLY]
    assert fields["selection_criteria.0.extra"][0].startswith("未知字段。可用：")
    assert PolicyVersion.objects.count() == before


def test_negative_list_entry_refuses_active(api, province_reviewer):
    response = api.as_user(province_reviewer).post(
        "/api/v1/negative-list/",
        {"kind": "keyword", "keyword": "禁用词", "reason": "测试", "active": False},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"active": [READ_ONLY]}
    assert not NegativeListEntry.objects.exists()


def test_deactivating_an_entry_takes_a_reason_and_nothing_else(api, province_reviewer):
    from activity.models import AuditEvent

    entry = NegativeListEntry.objects.create(kind="keyword", keyword="禁用词", reason="测试")
    client = api.as_user(province_reviewer)
    url = f"/api/v1/negative-list/{entry.pk}/deactivate/"

    refused = client.post(url, {"active": True}, format="json")
    no_body = client.post(url)
    blank = client.post(url, {"reason": "  "}, format="json")
    hidden = client.post(url, {"reason": "\u202e政策调整"}, format="json")
    done = client.post(url, {"reason": "政策调整"}, format="json")
    again = client.post(url)  # a repeated call answers as the first did

    assert refused.status_code == 400
    assert refused.json()["fields"] == {"active": ["未知字段。可用：reason。"]}
    assert (no_body.status_code, list(no_body.json()["fields"])) == (400, ["reason"])
    assert (blank.status_code, list(blank.json()["fields"])) == (400, ["reason"])
    assert (hidden.status_code, list(hidden.json()["fields"])) == (400, ["reason"])
    assert done.status_code == 200, done.json()
    assert done.json()["active"] is False
    assert (again.status_code, again.json()["active"]) == (200, False)
    audit = AuditEvent.objects.get(action="negative_list.deactivate")
    assert audit.reason == "政策调整"


def test_organization_suspend_takes_no_version(api, city_reviewer, firm):
    response = api.as_user(city_reviewer).post(
        f"/api/v1/organizations/{firm.pk}/suspend/", {"reason": "核查", "version": 1}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"version": ["未知字段。可用：reason。"]}


def test_organization_certify_without_capacity_leaves_it_unchecked(api, city_reviewer, firm):
    # given: a capacity checked earlier
    firm.verified_capacity = 3
    firm.save(update_fields=["verified_capacity"])

    # when: a certification that does not mention capacity (null is allowed, so may be absent)
    response = api.as_user(city_reviewer).post(
        f"/api/v1/organizations/{firm.pk}/certify/", {"certifications": []}, format="json"
    )

    # then: taken as null, unchecked, as the certifications list replaces the earlier one
    assert response.status_code == 200, response.json()
    firm.refresh_from_db()
    assert firm.verified_capacity is None


def test_the_token_endpoint_refuses_an_unknown_key(api, agency_user):
    response = api.post(
        "/api/v1/auth/token/",
        {"username": agency_user.username, "password": "pw-for-tests-2026", "remember": True},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["remember"]


def test_the_import_form_refuses_an_unknown_field(api, agency_user):
    upload = io.BytesIO(b"[]")
    upload.name = "needs.json"

    response = api.as_user(agency_user).post(
        "/api/v1/needs/import/",
        {"file": upload, "dry_run": "true", "overwrite": "true"},
        format="multipart",
    )

    assert response.status_code == 400
    message = response.json()["fields"]["overwrite"][0]
    assert message.startswith("未知字段。可用：")
    assert "update" in message


def test_the_import_form_refuses_a_file_under_another_name(api, agency_user):
    upload = io.BytesIO(b"[]")
    upload.name = "needs.json"

    response = api.as_user(agency_user).post(
        "/api/v1/needs/import/", {"upload": upload}, format="multipart"
    )

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"file", "upload"}


# --- version and If-Match ----------------------------------------------------------------


def test_a_body_version_that_disagrees_with_if_match_is_a_400_on_version(api, agency_user, agency):
    need = make_need(agency, region="360102")
    audited = AuditEvent.objects.count()

    response = api.as_user(agency_user).patch(
        f"/api/v1/needs/{need.pk}/",
        {"title": "新标题", "version": need.version},
        format="json",
        HTTP_IF_MATCH=f'"{need.version + 1}"',
    )

    assert response.status_code == 400
    assert response.json()["code"] == "version_mismatch"
    assert response.json()["fields"] == {"version": ["版本号与 If-Match 不一致。"]}
    after = ScenarioNeed.objects.get(pk=need.pk)
    assert (after.title, after.version) == (need.title, need.version)
    assert AuditEvent.objects.count() == audited


def test_a_body_version_that_agrees_with_if_match_passes(api, agency_user, agency):
    need = make_need(agency, region="360102")

    response = api.as_user(agency_user).patch(
        f"/api/v1/needs/{need.pk}/",
        {"title": "新标题", "version": need.version},
        format="json",
        HTTP_IF_MATCH=f'W/"{need.version}"',
    )

    assert response.status_code == 200, response.json()


def test_an_action_with_disagreeing_version_and_if_match_changes_nothing(api, agency_user, agency):
    need = make_need(agency, region="360102")

    response = api.as_user(agency_user).post(
        f"/api/v1/needs/{need.pk}/submit/",
        {"version": need.version + 1},
        format="json",
        HTTP_IF_MATCH=f'"{need.version}"',
    )

    assert response.status_code == 400
    assert "version" in response.json()["fields"]
    assert ScenarioNeed.objects.get(pk=need.pk).status == need.status


def test_a_malformed_if_match_is_refused_even_with_a_body_version(api, agency_user, agency):
    need = make_need(agency, region="360102")

    response = api.as_user(agency_user).patch(
        f"/api/v1/needs/{need.pk}/",
        {"title": "新标题", "version": need.version},
        format="json",
        HTTP_IF_MATCH='"v1"',
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_if_match"


def test_no_change_body_in_the_schema_lists_a_field_only_a_create_takes():
    # given: the live schema (generated clients send what it lists)
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]

    # when: the change bodies of needs and capabilities
    need = components["PatchedNeedInputRequest"]["properties"]
    capability = components["PatchedCapabilityInputRequest"]["properties"]

    # then: the organization and the ref, which a PATCH refuses, are not offered; the create
    # bodies still take them
    assert {"ref", "agency"}.isdisjoint(need)
    assert "title" in need
    assert {"ref", "firm"}.isdisjoint(capability)
    assert "title" in capability
    assert {"ref", "agency"} <= set(components["NeedInputRequest"]["properties"])
    assert {"ref", "firm"} <= set(components["CapabilityInputRequest"]["properties"])


@pytest.mark.parametrize(
    ("url", "user_fixture", "body", "model"),
    [
        ("/api/v1/needs/", "agency_user", need_body(), ScenarioNeed),
        (
            "/api/v1/capabilities/",
            "firm_user",
            {**CAPABILITY_DEFAULTS, "region_code": "360102"},
            Capability,
        ),
    ],
)
def test_a_create_refuses_a_version_it_would_have_ignored(
    api, request, url, user_fixture, body, model
):
    # given: a create body carrying the version only a change takes (it was silently dropped,
    # so a client could believe it had set it)
    user = request.getfixturevalue(user_fixture)

    # when
    response = api.as_user(user).post(url, {**body, "version": 7}, format="json")

    # then: a 400 on version, nothing created; the schema's create body does not offer it
    assert response.status_code == 400
    assert response.json()["fields"] == {"version": ["只在修改时提供，新建时不接受。"]}
    assert not model.objects.exists()
    schema = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    name = model.__name__.replace("Scenario", "")
    assert "version" not in schema[f"{name}InputRequest"]["properties"]
    assert "version" in schema[f"Patched{name}InputRequest"]["properties"]
