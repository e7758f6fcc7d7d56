"""Malformed input gets a 4xx with a field-level message, never a 500."""

import json

import pytest
from django.test import Client

from scenarios.models import PolicyVersion, ScenarioNeed
from tests.api.test_needs_api import need_body

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("page", "²"),
        ("page_size", "²"),
        ("page", "9" * 5000),
        ("page_size", "0"),
    ],
)
def test_paging_parameters_that_are_not_small_ascii_numbers_are_refused(api, param, value):
    response = api.get("/api/v1/public/needs/", {param: value})

    assert response.status_code == 400
    assert param in response.json()["fields"]


def test_the_highest_page_a_request_may_name_is_in_the_schema(api):
    """Nine digits at most, and the schema says so (the fuzz against ``make run`` sent a
    larger page the schema allowed and the server refused as "≥1")."""
    import yaml
    from django.conf import settings

    from core.api.pagination import MAX_PAGE

    schema = yaml.safe_load((settings.BASE_DIR / "schema.yml").read_text(encoding="utf-8"))
    parameters = schema["paths"]["/api/v1/public/needs/"]["get"]["parameters"]
    page = next(p for p in parameters if p["name"] == "page")

    too_far = api.get("/api/v1/public/needs/", {"page": str(MAX_PAGE + 1)})
    last = api.get("/api/v1/public/needs/", {"page": str(MAX_PAGE)})

    assert page["schema"]["maximum"] == MAX_PAGE
    assert too_far.status_code == 400
    assert str(MAX_PAGE) in too_far.json()["fields"]["page"][0]
    assert last.status_code == 404  # a page past the end, as DRF answers it


def test_every_query_parameter_the_schema_documents_is_one_the_server_reads(api, platform_admin):
    """A documented parameter is never refused as unknown (``search`` was documented on
    lists that do not search, and refused there)."""
    import yaml
    from django.conf import settings

    schema = yaml.safe_load((settings.BASE_DIR / "schema.yml").read_text(encoding="utf-8"))
    client = api.as_user(platform_admin)
    checked = 0
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path:
            continue
        for parameter in get.get("parameters", []):
            if parameter["in"] != "query":
                continue
            response = client.get(path, {parameter["name"]: ""})
            fields = response.json().get("fields", {}) if response.status_code == 400 else {}
            assert "未知的查询参数" not in str(fields), (path, parameter["name"])
            checked += 1
    assert checked > 50


@pytest.mark.parametrize(
    "header",
    ['"²"', '"' + "9" * 5000 + '"', "**", '"1", "2"', "1", '"1', '1"', "W/1", 'W/"1'],
)
def test_malformed_if_match_is_a_400_on_the_header(api, agency_user, header):
    need_id = (
        api.as_user(agency_user).post("/api/v1/needs/", need_body(), format="json").json()["id"]
    )

    response = api.patch(
        f"/api/v1/needs/{need_id}/", {"title": "新标题"}, format="json", HTTP_IF_MATCH=header
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_if_match"
    assert "If-Match" in response.json()["fields"]
    assert ScenarioNeed.objects.get(pk=need_id).title != "新标题"


def test_if_match_any_updates_an_existing_need_at_its_current_version(api, agency_user):
    # given
    need_id = (
        api.as_user(agency_user).post("/api/v1/needs/", need_body(), format="json").json()["id"]
    )

    # when: "*" (RFC 9110): any current representation, a precondition without a version
    response = api.patch(
        f"/api/v1/needs/{need_id}/", {"title": "新标题"}, format="json", HTTP_IF_MATCH="*"
    )

    # then
    assert response.status_code == 200, response.json()
    assert ScenarioNeed.objects.get(pk=need_id).title == "新标题"


def test_if_match_any_with_a_stale_body_version_is_still_a_412(api, agency_user):
    # given: a need edited once since version 1
    client = api.as_user(agency_user)
    need_id = client.post("/api/v1/needs/", need_body(), format="json").json()["id"]
    client.patch(f"/api/v1/needs/{need_id}/", {"title": "一"}, format="json", HTTP_IF_MATCH="*")

    # when: the body names the version the edit was made against
    response = client.patch(
        f"/api/v1/needs/{need_id}/",
        {"title": "二", "version": 1},
        format="json",
        HTTP_IF_MATCH="*",
    )

    # then
    assert response.status_code == 412


def test_an_over_long_idempotency_key_is_a_400_and_creates_nothing(api, agency_user):
    response = api.as_user(agency_user).post(
        "/api/v1/needs/", need_body(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 129
    )

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["fields"]
    assert not ScenarioNeed.objects.exists()


def test_a_budget_threshold_beyond_bigint_is_refused(api, province_reviewer):
    before = PolicyVersion.objects.count()

    response = api.as_user(province_reviewer).post(
        "/api/v1/policy/", {"major_budget_threshold_cny": 10**23}, format="json"
    )

    assert response.status_code == 400
    assert "major_budget_threshold_cny" in response.json()["fields"]
    assert PolicyVersion.objects.count() == before


@pytest.mark.parametrize(("kind", "good"), [("regions", "360000"), ("chains", "low-altitude")])
def test_reference_lookups_with_odd_keys_are_404(api, kind, good):
    assert api.get(f"/api/v1/{kind}/{good}/").status_code == 200
    assert api.get(f"/api/v1/{kind}/%00/").status_code == 404


def test_pilot_filters_do_not_tell_existing_ids_from_missing_ones(api, agency, firm_user):
    from tests.scenarios.helpers import make_need

    draft = make_need(agency, region="360102")  # exists, but the firm cannot see it
    client = api.as_user(firm_user)

    hidden = client.get("/api/v1/pilots/", {"need": draft.pk})
    missing = client.get("/api/v1/pilots/", {"need": draft.pk + 100000})
    malformed = client.get("/api/v1/pilots/", {"capability": "abc"})

    assert (hidden.status_code, hidden.json()["count"]) == (200, 0)
    assert (missing.status_code, missing.json()["count"]) == (200, 0)
    assert malformed.status_code == 400
    assert "capability" in malformed.json()["fields"]


@pytest.mark.parametrize(
    ("url", "query", "field", "named"),
    [
        ("/api/v1/public/needs/", {"ordering": "bogus"}, "ordering", "published_at"),
        ("/api/v1/public/needs/", {"ordering": "-title,-bogus"}, "ordering", "bogus"),
        ("/api/v1/public/needs/", {"ordering": "--published_at"}, "ordering", "--published_at"),
        ("/api/v1/public/needs/", {"categroy": "livelihood"}, "categroy", "category"),
        ("/api/v1/public/capabilities/", {"serach": "检测"}, "serach", "search"),
        ("/api/v1/regions/", {"ordering": "name"}, "ordering", "code"),
    ],
)
def test_unknown_ordering_fields_and_query_parameters_are_refused_naming_the_allowed(
    api, agency_user, url, query, field, named
):
    response = api.as_user(agency_user).get(url, query)

    assert response.status_code == 400
    messages = response.json()["fields"][field]
    assert named in messages[0]


def test_known_parameters_still_pass(api):
    response = api.get(
        "/api/v1/public/needs/",
        {
            "ordering": "-published_at,id",
            "search": "大模型",
            "category": "livelihood",
            "page": "1",
            "page_size": "5",
            "format": "json",
        },
    )

    assert response.status_code == 200


def test_the_schema_names_the_ordering_fields_of_each_list():
    import yaml
    from django.conf import settings

    schema = yaml.safe_load((settings.BASE_DIR / "schema.yml").read_text(encoding="utf-8"))
    parameters = schema["paths"]["/api/v1/public/needs/"]["get"]["parameters"]
    ordering = next(p for p in parameters if p["name"] == "ordering")

    assert "published_at" in ordering["description"]
    assert "400" in ordering["description"]


@pytest.mark.parametrize(
    ("value", "status"), [("", 200), ("-trl", 200), (",", 400), ("trl,", 400), ("bogus", 400)]
)
def test_the_schema_pattern_of_ordering_says_what_the_server_accepts(api, value, status):
    """A blank ``ordering`` (a form's empty field) is the default order, and the schema's
    pattern admits it; what the pattern refuses, the server refuses (the fuzz against
    ``make run`` found the blank value accepted but not described)."""
    import re

    import yaml
    from django.conf import settings

    schema = yaml.safe_load((settings.BASE_DIR / "schema.yml").read_text(encoding="utf-8"))
    parameters = schema["paths"]["/api/v1/public/capabilities/"]["get"]["parameters"]
    pattern = next(p for p in parameters if p["name"] == "ordering")["schema"]["pattern"]

    response = api.get("/api/v1/public/capabilities/", {"ordering": value})

    assert response.status_code == status
    assert bool(re.fullmatch(pattern, value)) == (status == 200)


@pytest.mark.parametrize("url", ["/api/v1/auth/token/", "/api/v1/needs/"])
def test_a_json_body_nested_too_deep_is_a_400(api, agency_user, url):
    body = "[" * 50_000 + "]" * 50_000

    response = api.as_user(agency_user).post(url, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"same_county": 2.0}, "region_weights"),
        ({"same_county": 1e308}, "region_weights"),
    ],
)
def test_region_weights_above_one_are_refused(api, province_reviewer, change, field):
    current = api.as_user(province_reviewer).get("/api/v1/policy/current/").json()
    weights = {**current[field], **change}

    response = api.post("/api/v1/policy/", {field: weights}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [f"{field}.same_county"]  # which weight
    assert PolicyVersion.objects.count() == 1  # nothing written


@pytest.mark.parametrize("field", ["region_weights", "matching_weights"])
def test_a_weight_of_an_unknown_key_is_refused_naming_the_keys_taken(api, province_reviewer, field):
    # given: the current weights and one more, above what a weight may be
    current = api.as_user(province_reviewer).get("/api/v1/policy/current/").json()
    weights = {**current[field], "mars": 2000}

    # when
    response = api.post("/api/v1/policy/", {field: weights}, format="json", HTTP_IF_MATCH='"1"')

    # then: an unknown key naming those taken, not a bound it has no business with
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [f"{field}.mars"]
    (message,) = response.json()["fields"][f"{field}.mars"]
    assert message.startswith("未知字段。")
    assert all(key in message for key in current[field])
    assert PolicyVersion.objects.count() == 1


def test_huge_relative_weights_are_refused(api, province_reviewer):
    current = api.as_user(province_reviewer).get("/api/v1/policy/current/").json()
    criteria = [{**c, "weight": 1e308} for c in current["selection_criteria"]]
    matching = {**current["matching_weights"], "text": 1e308}

    refused = [
        api.post("/api/v1/policy/", {"selection_criteria": criteria}, format="json"),
        api.post("/api/v1/policy/", {"matching_weights": matching}, format="json"),
    ]

    assert [r.status_code for r in refused] == [400, 400]
    assert "selection_criteria.0.weight" in refused[0].json()["fields"]
    assert list(refused[1].json()["fields"]) == ["matching_weights.text"]
    assert PolicyVersion.objects.count() == 1


def _request_integers(schema, node, path, seen=(), kind="integer"):
    """(path, schema) of every integer (or ``kind``) a request body may carry."""
    if isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return
        node, seen = schema["components"]["schemas"][name], (*seen, name)
    if not isinstance(node, dict) or node.get("readOnly"):
        return
    types = node.get("type")
    if types == kind or (isinstance(types, list) and kind in types):
        yield path, node
    for key, child in node.get("properties", {}).items():
        yield from _request_integers(schema, child, f"{path}.{key}", seen, kind)
    for key in ("items", "additionalProperties"):
        yield from _request_integers(schema, node.get(key), f"{path}[]", seen, kind)
    for key in ("allOf", "oneOf", "anyOf"):
        for child in node.get(key, []):
            yield from _request_integers(schema, child, path, seen, kind)


def test_every_integer_a_request_body_takes_fits_a_bigint():
    from drf_spectacular.generators import SchemaGenerator

    # given: the live schema (what the serializers enforce)
    schema = SchemaGenerator().get_schema(request=None, public=True)

    # when
    integers = [
        (f"{method.upper()} {url} {path}", node)
        for url, operations in schema["paths"].items()
        for method, operation in operations.items()
        for content in operation.get("requestBody", {}).get("content", {}).values()
        for path, node in _request_integers(schema, content["schema"], "")
    ]

    # then
    assert integers
    unbounded = [
        where
        for where, node in integers
        if not (-(2**63) <= node.get("minimum", -(2**64)) <= node.get("maximum", 2**64) < 2**63)
    ]
    assert unbounded == []


def test_every_real_number_a_request_body_takes_is_bounded_in_the_schema():
    from drf_spectacular.generators import SchemaGenerator

    # given: the live schema (policy weights and thresholds are its real numbers)
    schema = SchemaGenerator().get_schema(request=None, public=True)

    # when
    numbers = [
        (f"{method.upper()} {url} {path}", node)
        for url, operations in schema["paths"].items()
        for method, operation in operations.items()
        for content in operation.get("requestBody", {}).get("content", {}).values()
        for path, node in _request_integers(schema, content["schema"], "", kind="number")
    ]

    # then: a client (and the fuzzer) reads both bounds, which the serializer enforces
    assert numbers
    unbounded = [where for where, node in numbers if not {"minimum", "maximum"} <= set(node)]
    assert unbounded == []


@pytest.mark.parametrize(
    ("body", "field", "bound"),
    [
        ({"need": 2**64, "capability": 1}, "need", "9223372036854775807"),
        ({"need": 1, "capability": -(2**64)}, "capability", "1"),
        ({"need": 2**63, "capability": 0}, "need", "9223372036854775807"),
    ],
)
def test_pilot_ids_beyond_a_bigint_are_refused_naming_the_bound(
    api, city_reviewer, body, field, bound
):
    response = api.as_user(city_reviewer).post(
        "/api/v1/pilots/", {**body, "tolerance_until": "2027-06-30"}, format="json"
    )

    assert response.status_code == 400
    assert bound in response.json()["fields"][field][0]


@pytest.mark.parametrize("debug", [False, True])
def test_a_json_body_over_the_upload_limit_is_a_413_naming_the_limit(
    api, agency_user, settings, debug
):
    # given: a 2 KiB limit, and DEBUG either way (Django's own 400 page is HTML with DEBUG)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    settings.DEBUG = debug
    body = json.dumps(need_body(description="长" * 3000))

    # when
    response = api.as_user(agency_user).post(
        "/api/v1/needs/", body, content_type="application/json"
    )

    # then
    assert response.status_code == 413
    assert response.json() == {
        "code": "request_too_large",
        "detail": "请求体过大，上限为 2 KiB。",
        "fields": {},
    }
    assert not ScenarioNeed.objects.exists()


def _multipart(fields: dict[str, str]) -> str:
    parts = [
        f'--b\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    ]
    return "".join(parts) + "--b--\r\n"


def test_a_form_body_over_the_upload_limit_is_a_413_on_an_upload_endpoint(
    api, settings, platform_admin
):
    # The upload endpoints are the ones that read forms (every other one takes JSON only).
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 11 * 1024 * 1024

    response = api.as_user(platform_admin).post(
        "/api/v1/needs/import/",
        _multipart({"format": "x" * (12 * 1024 * 1024)}),
        content_type="multipart/form-data; boundary=b",
    )

    assert response.status_code == 413
    assert response.json()["detail"] == "请求体过大，上限为 11 MiB。"


def test_a_form_with_too_many_fields_is_a_400_naming_the_limit(api, settings, platform_admin):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5

    response = api.as_user(platform_admin).post(
        "/api/v1/needs/import/",
        _multipart({f"f{i}": "1" for i in range(10)}),
        content_type="multipart/form-data; boundary=b",
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "bad_request",
        "detail": "请求中的字段过多，上限为 5 个。",
        "fields": {},
    }


def test_the_portal_keeps_its_html_page_for_a_body_over_the_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048

    response = Client().post("/login/", {"username": "x" * 5000, "password": "y"})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("code", ["413", "415"])
def test_every_operation_taking_a_body_documents_the_413_and_415(code):
    from drf_spectacular.generators import SchemaGenerator

    # given: the live schema
    schema = SchemaGenerator().get_schema(request=None, public=True)

    # when
    undocumented = [
        f"{method.upper()} {url}"
        for url, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in ("post", "patch", "put") and code not in operation["responses"]
    ]

    # then: a client reads the refusal of a body over the upload limit, or of a media type
    # the operation does not parse, from the schema
    assert undocumented == []


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/capabilities/%C2%84/",
        "/api/v1/no-such-list/",
        "/api/v1/needs/1/nothing/",
        # a line break inside the address (the fuzz against make run found an HTML page)
        "/api/v1/match-runs/1%0A/cancel/",
        "/api/v1/negative-list/%0A%0D/deactivate/",
    ],
)
def test_an_api_address_no_route_serves_is_a_json_404_with_debug_on(api, settings, url):
    settings.DEBUG = True  # make run's setting: Django would answer its HTML 404 page

    response = api.get(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_a_post_with_a_session_to_an_api_address_no_route_serves_is_a_json_404(
    settings, agency_user
):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)  # a signed-in browser session, no CSRF token
    client.force_login(agency_user)

    response = client.post("/api/v1/pilots/%C2%84/recognize/", {}, content_type="application/json")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_an_api_address_without_its_slash_is_still_redirected(api):
    response = api.get("/api/v1/needs")

    assert response.status_code == 301
    assert response["Location"].endswith("/api/v1/needs/")


@pytest.mark.parametrize(
    "body", [b'{"title": ' + b"9" * 5000 + b"}", b'{"title": "\xff\xfe"}', b'{"title": '], ids=str
)
def test_a_body_that_is_not_json_gets_one_message_without_python_internals(api, agency_user, body):
    response = api.as_user(agency_user).generic(
        "POST", "/api/v1/needs/", body, content_type="application/json"
    )

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "JSON" in detail
    for internal in ("sys.set_int_max_str_digits", "codec", "Expecting", "line 1"):
        assert internal not in detail


@pytest.mark.parametrize("ref", ["<script>alert(1)</script>", "a/b", "N 1", "x\u0000", "a?b", ""])
def test_a_ref_that_an_address_or_a_file_would_not_carry_is_refused(api, agency_user, ref):
    from tests.scenarios.helpers import NEED_DEFAULTS

    body = {**NEED_DEFAULTS, "region_code": "360102", "ref": ref}

    response = api.as_user(agency_user).post("/api/v1/needs/", body, format="json")

    assert response.status_code == 400
    assert "ref" in response.json()["fields"]


def test_a_ref_with_letters_digits_dashes_and_chinese_is_taken(api, agency_user):
    from tests.scenarios.helpers import NEED_DEFAULTS

    body = {**NEED_DEFAULTS, "region_code": "360102", "ref": "赣场景-2027_N.001"}

    response = api.as_user(agency_user).post("/api/v1/needs/", body, format="json")

    assert response.status_code == 201
    assert response.json()["ref"] == "赣场景-2027_N.001"


@pytest.mark.parametrize(
    "lookalike", ["n-lookalike-001", "Ｎ－ＬＯＯＫＡＬＩＫＥ－００１", "ｎ-LOOKALIKE-001"]
)
def test_a_ref_that_only_looks_like_a_stored_one_is_refused_naming_it(api, agency_user, lookalike):
    from tests.scenarios.helpers import NEED_DEFAULTS

    body = {**NEED_DEFAULTS, "region_code": "360102"}
    client = api.as_user(agency_user)
    assert (
        client.post("/api/v1/needs/", {**body, "ref": "N-LOOKALIKE-001"}, format="json").status_code
        == 201
    )

    response = client.post("/api/v1/needs/", {**body, "ref": lookalike}, format="json")

    assert response.status_code == 400
    assert "N-LOOKALIKE-001" in response.json()["fields"]["ref"][0]
    assert (
        client.post("/api/v1/needs/", {**body, "ref": "N-LOOKALIKE-002"}, format="json").status_code
        == 201
    )


def test_a_policy_change_that_changes_nothing_is_refused_not_a_new_version(api, province_reviewer):
    from scenarios.models import PolicyVersion

    before = PolicyVersion.objects.count()
    current = api.as_user(province_reviewer).get("/api/v1/policy/current/").json()

    empty = api.post("/api/v1/policy/", {"version": current["version"]}, format="json")
    same = api.post(
        "/api/v1/policy/",
        {
            "recommendations_per_need": current["recommendations_per_need"],
            "version": current["version"],
        },
        format="json",
    )

    assert empty.status_code == same.status_code == 400
    assert "没有需要保存的修改" in empty.json()["detail"]
    assert PolicyVersion.objects.count() == before


def test_a_policy_change_against_an_older_version_is_a_412(api, province_reviewer):
    api.as_user(province_reviewer)
    version = api.get("/api/v1/policy/current/").json()["version"]
    assert (
        api.post(
            "/api/v1/policy/", {"recommendations_per_need": 7, "version": version}, format="json"
        ).status_code
        == 201
    )

    stale = api.post(
        "/api/v1/policy/", {"recommendations_per_need": 8, "version": version}, format="json"
    )
    by_header = api.post(
        "/api/v1/policy/",
        {"recommendations_per_need": 8},
        format="json",
        HTTP_IF_MATCH=f'"{version}"',
    )

    assert stale.status_code == by_header.status_code == 412


def test_a_policy_change_that_names_no_version_is_a_428(api, province_reviewer):
    # given
    api.as_user(province_reviewer)
    before = PolicyVersion.objects.count()

    # when: neither a version nor If-Match, as a PATCH would be refused
    response = api.post("/api/v1/policy/", {"recommendations_per_need": 7}, format="json")

    # then
    assert response.status_code == 428
    assert response.json()["code"] == "precondition_required"
    assert PolicyVersion.objects.count() == before


def test_a_policy_change_with_if_match_any_is_written_to_the_current_version(
    api, province_reviewer
):
    # given
    api.as_user(province_reviewer)
    current = api.get("/api/v1/policy/current/").json()["version"]

    # when: "*" (RFC 9110) states the precondition without naming a version
    response = api.post(
        "/api/v1/policy/", {"recommendations_per_need": 7}, format="json", HTTP_IF_MATCH="*"
    )

    # then
    assert response.status_code == 201
    assert response.json()["version"] == current + 1


@pytest.mark.parametrize(
    "weights",
    [
        {"same_county": 0.1, "same_city": 0.1, "same_province": 0.1, "outside": 1.0},
        {"same_county": 1.0, "same_city": 0.5, "same_province": 0.6, "outside": 0.0},
    ],
)
def test_region_weights_that_rise_with_distance_are_refused(api, province_reviewer, weights):
    # given
    api.as_user(province_reviewer)
    current = api.get("/api/v1/policy/current/").json()["version"]

    # when
    response = api.post(
        "/api/v1/policy/", {"region_weights": weights, "version": current}, format="json"
    )

    # then: a field-level 400 saying nearer must not score lower than farther
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["region_weights"]
    assert "由近及远" in response.json()["fields"]["region_weights"][0]
    assert PolicyVersion.objects.count() == 1


def test_region_weights_that_stay_equal_with_distance_are_accepted(api, province_reviewer):
    # given
    api.as_user(province_reviewer)
    flat = dict.fromkeys(("same_county", "same_city", "same_province", "outside"), 0.5)

    # when
    response = api.post(
        "/api/v1/policy/", {"region_weights": flat}, format="json", HTTP_IF_MATCH='"1"'
    )

    # then
    assert response.status_code == 201


def test_a_major_budget_line_above_the_largest_budget_is_refused(api, province_reviewer):
    # a line above 100 亿元 (the largest budget a need states) would make nothing major
    r = api.as_user(province_reviewer).post(
        "/api/v1/policy/", {"major_budget_threshold_cny": 10**10 + 1}, format="json"
    )

    assert r.status_code == 400
    assert "major_budget_threshold_cny" in r.json()["fields"]


@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_an_api_write_without_its_trailing_slash_is_a_308_naming_the_address(
    api, agency_user, method
):
    # given
    client = api.as_user(agency_user)

    # when
    response = getattr(client, method)("/api/v1/needs?x=1", {"title": "t"}, format="json")

    # then: a redirect that keeps the method and body, and says where to
    assert response.status_code == 308
    assert response["Location"] == "/api/v1/needs/?x=1"
    assert response.json()["code"] == "append_slash"
    assert "/api/v1/needs/?x=1" in response.json()["detail"]


def test_a_read_without_its_trailing_slash_keeps_the_301(api, agency_user):
    response = api.as_user(agency_user).get("/api/v1/needs")

    assert response.status_code == 301
    assert response["Location"] == "/api/v1/needs/"


@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_an_unknown_api_address_without_a_slash_is_a_404_not_a_redirect(api, agency_user, method):
    # given: an address that no route serves, with or without the slash
    client = api.as_user(agency_user)

    # when
    response = getattr(client, method)("/api/v1/nope", {"title": "t"}, format="json")

    # then: the JSON 404 straight away, not a redirect to another 404
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
