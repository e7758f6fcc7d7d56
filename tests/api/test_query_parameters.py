"""Query parameters that name nothing, come twice or do not belong to the address are a 400
naming the parameter, never an empty list or a silently ignored value."""

import pytest

from scenarios.services.capabilities import capability_submit
from tests.scenarios.helpers import make_capability, make_need

pytestmark = pytest.mark.django_db

EXPLAIN = "/api/v1/matches/explain/"


# -- values that name nothing ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "query", "shown"),
    [
        ("/api/v1/needs/", {"region": "abc"}, "未知的行政区划代码：abc。"),
        ("/api/v1/needs/", {"region": "999999"}, "未知的行政区划代码：999999。"),
        ("/api/v1/needs/", {"chain": "zzz"}, "未知的产业链/赛道标识：zzz。"),
        ("/api/v1/capabilities/", {"region": "999999"}, "999999"),
        ("/api/v1/capabilities/", {"chain": "zzz"}, "zzz"),
        ("/api/v1/capabilities/", {"certification": "zzz"}, "zzz"),
        ("/api/v1/public/needs/", {"region": "999999"}, "999999"),
        ("/api/v1/public/needs/", {"chain": "zzz"}, "zzz"),
        ("/api/v1/public/capabilities/", {"region": "abc"}, "abc"),
        ("/api/v1/public/capabilities/", {"chain": "zzz"}, "zzz"),
        ("/api/v1/public/capabilities/", {"certification": "zzz"}, "zzz"),
        ("/api/v1/regions/", {"level": "abc"}, "abc"),
        ("/api/v1/regions/", {"parent": "999999"}, "999999"),
        ("/api/v1/regions/", {"within": "999999"}, "999999"),
    ],
)
def test_list_filter_value_naming_nothing_is_a_400_on_the_parameter(
    api, platform_admin, url, query, shown
):
    # given
    client = api.as_user(platform_admin)

    # when
    response = client.get(url, query)

    # then
    assert response.status_code == 400
    (name,) = query
    assert list(response.json()["fields"]) == [name]
    assert shown in response.json()["fields"][name][0]


def test_list_filter_unknown_region_in_the_callers_language(api):
    response = api.get("/api/v1/public/needs/", {"region": "999999"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.json()["fields"]["region"] == ["Unknown administrative division code: 999999."]


def test_list_filter_known_region_outside_the_callers_view_is_an_empty_list(
    api, agency, agency_user, other_city_reviewer
):
    # given: a need in review in Nanchang, which the Ganzhou committee does not see
    need = make_need(agency, region="360102")

    # when
    theirs = api.as_user(other_city_reviewer).get("/api/v1/needs/", {"region": "360102"})
    beijing = api.get("/api/v1/public/needs/", {"region": "110000"})

    # then
    assert (theirs.status_code, theirs.json()["count"]) == (200, 0)
    assert (beijing.status_code, beijing.json()["count"]) == (200, 0)
    assert need.pk  # exists, only out of view


def test_list_filter_known_values_still_filter(api, firm, firm_user):
    # given: a capability of a high-tech firm in review
    capability_submit(actor=firm_user, capability=make_capability(firm))
    client = api.as_user(firm_user)

    # when
    found = client.get(
        "/api/v1/capabilities/",
        {"certification": "high_tech", "chain": "digital-city", "region": "360000"},
    )
    other = client.get("/api/v1/capabilities/", {"certification": "first_of_kind"})
    levels = api.get("/api/v1/regions/", {"level": "city", "parent": "360000"})

    # then
    assert (found.status_code, found.json()["count"]) == (200, 1)
    assert (other.status_code, other.json()["count"]) == (200, 0)
    assert levels.status_code == 200
    assert {r["level"] for r in levels.json()["results"]} == {"city"}


# -- a parameter given twice ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "query", "name"),
    [
        (EXPLAIN, "need=1&need=2&capability=1", "need"),
        (EXPLAIN, "need=1&capability=1&capability=2", "capability"),
        ("/api/v1/public/needs/", "region=360100&region=360700", "region"),
        ("/api/v1/public/needs/", "search=a&search=b", "search"),
        ("/api/v1/public/needs/", "ordering=id&ordering=-id", "ordering"),
        ("/api/v1/needs/", "trl_min=1&trl_min=2", "trl_min"),
        ("/api/v1/public/needs/", "format=json&format=json", "format"),
    ],
)
def test_a_single_valued_parameter_given_twice_is_a_400_on_it(
    api, platform_admin, url, query, name
):
    response = api.as_user(platform_admin).get(f"{url}?{query}")

    assert response.status_code == 400
    assert response.json()["fields"] == {name: ["只能给出一个值。"]}


def test_a_filter_taking_several_values_still_takes_them(api, platform_admin):
    response = api.as_user(platform_admin).get(
        "/api/v1/public/needs/?category=livelihood&category=social_governance"
    )

    assert response.status_code == 200


# -- the exports -----------------------------------------------------------------------------


EXPORTS = [
    "/api/v1/public/needs/export/",
    "/api/v1/public/capabilities/export/",
    "/api/v1/needs/export/",
    "/api/v1/capabilities/export/",
]


@pytest.mark.parametrize("url", EXPORTS)
@pytest.mark.parametrize("query", ["page=2", "region=360100", "format=csv&page=2"])
def test_export_unknown_query_parameter_is_a_400_naming_format(api, platform_admin, url, query):
    response = api.as_user(platform_admin).get(f"{url}?{query}")

    assert response.status_code == 400
    (name,) = response.json()["fields"]
    assert name in query
    assert response.json()["fields"][name] == ["未知的查询参数。可用：format。"]


@pytest.mark.parametrize("url", EXPORTS)
def test_export_format_given_twice_is_a_400(api, platform_admin, url):
    response = api.as_user(platform_admin).get(f"{url}?format=csv&format=json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"format": ["只能给出一个值。"]}


@pytest.mark.parametrize("url", EXPORTS)
def test_export_with_its_format_alone_still_downloads(api, platform_admin, url):
    response = api.as_user(platform_admin).get(url, {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


# -- ?format= a list cannot answer ------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/api/v1/needs/", "/api/v1/public/needs/", "/api/v1/regions/", EXPLAIN]
)
def test_unknown_format_is_a_400_naming_the_formats(api, platform_admin, url):
    response = api.as_user(platform_admin).get(url, {"format": "xml"})

    assert response.status_code == 400
    assert response.json()["fields"] == {"format": ["不支持的格式：xml。可用：api、json。"]}


def test_format_json_and_the_format_suffix_still_answer(api):
    assert api.get("/api/v1/regions/", {"format": "json"}).status_code == 200
    assert api.get("/api/v1/regions.json").status_code == 200
    assert api.get("/api/v1/regions.xml").status_code == 404  # an address naming nothing


# -- one object ------------------------------------------------------------------------------


def test_detail_unknown_parameter_lists_only_what_the_detail_reads(api, agency):
    # given
    need = make_need(agency, region="360102", status="published")

    # when
    response = api.get(f"/api/v1/public/needs/{need.pk}/", {"x": "1"})
    a_filter = api.get(f"/api/v1/public/needs/{need.pk}/", {"region": "360700"})
    plain = api.get(f"/api/v1/public/needs/{need.pk}/", {"format": "json"})

    # then
    assert response.status_code == 400
    assert response.json()["fields"] == {"x": ["未知的查询参数。可用：format。"]}
    assert a_filter.status_code == 400
    assert "region" in a_filter.json()["fields"]
    assert plain.status_code == 200


def test_a_needs_history_refuses_a_parameter_it_does_not_read(api, agency, agency_user):
    from tests.scenarios.helpers import make_need

    need = make_need(agency)
    api.as_user(agency_user)

    plain = api.get(f"/api/v1/needs/{need.pk}/history/")
    junk = api.get(f"/api/v1/needs/{need.pk}/history/", {"page": "2"})

    assert plain.status_code == 200
    assert junk.status_code == 400
    assert "page" in junk.json()["fields"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"has_budget": "false", "budget_min": "100"}, "has_budget"),
        ({"budget_min": "500", "budget_max": "100"}, "budget_max"),
    ],
)
def test_budget_filters_that_contradict_each_other_are_refused(api, query, field):
    r = api.get("/api/v1/public/needs/", query)

    assert r.status_code == 400
    assert field in r.json()["fields"]


ID_RANGE = f"1–{2**63 - 1}"


@pytest.mark.parametrize(
    ("url", "name", "value", "allowed"),
    [
        ("/api/v1/public/needs/", "trl_min", "-1", "1–9"),
        ("/api/v1/public/needs/", "trl_min", "10", "1–9"),
        ("/api/v1/public/needs/", "trl_max", "0", "1–9"),
        ("/api/v1/public/needs/", "budget_min", "-1", "0–10000000000"),
        ("/api/v1/public/needs/", "budget_max", str(10**10 + 1), "0–10000000000"),
        ("/api/v1/public/capabilities/", "trl_max", "10", "1–9"),
        ("/api/v1/needs/", "agency", "0", ID_RANGE),
        ("/api/v1/capabilities/", "firm", "-5", ID_RANGE),
        ("/api/v1/pilots/", "need", "0", ID_RANGE),
        ("/api/v1/matches/", "run", "-1", ID_RANGE),
        # above 64 bits: the upper bound is named too (it said "≥1")
        ("/api/v1/capabilities/", "firm", str(2**63), ID_RANGE),
        ("/api/v1/matches/", "need", "99999999999999999999", ID_RANGE),
    ],
)
def test_a_numeric_filter_out_of_its_range_is_a_400_naming_the_range(
    api, platform_admin, url, name, value, allowed
):
    # given
    client = api.as_user(platform_admin)

    # when
    response = client.get(url, {name: value})

    # then: refused as page_size is, with the values it takes
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [name]
    assert response.json()["fields"][name] == [f"必须是整数（{allowed}）。"]


def test_numeric_filters_at_their_bounds_still_filter(api):
    query = {"trl_min": "1", "trl_max": "9", "budget_min": "0", "budget_max": str(10**10)}

    response = api.get("/api/v1/public/needs/", query)

    assert response.status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/policy/current/", "/api/v1/auth/me/"])
def test_the_two_single_documents_refuse_an_unknown_parameter_too(api, platform_admin, url):
    client = api.as_user(platform_admin)

    unknown = client.get(url, {"foo": "bar"})
    plain = client.get(url)

    assert unknown.status_code == 400, unknown.json()
    assert "foo" in unknown.json()["fields"]
    assert plain.status_code == 200
