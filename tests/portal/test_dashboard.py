"""``/dashboard/``: public figures for everyone, review times, queues and matching for
committee members and the admin; every chart has its table; the funnel is always current."""

import json
import re

import pytest
from django.conf import settings
from django.test import Client

from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db


def funnel_of(html):
    cells = {}
    for part in html.split('data-funnel="')[1:]:
        key, rest = part.split('">', 1)
        cells[key] = int(rest.split("<", 1)[0])
    return cells


def test_everyone_sees_the_lists_map_and_funnel_with_their_tables(matched):
    r = Client().get("/dashboard/")

    html = r.content.decode()
    assert r.status_code == 200
    assert funnel_of(html) == {
        "published": 3,
        "recommended": 3,
        "interest": 0,
        "shortlisted": 0,
        "piloting": 0,
        "validated": 0,
        "scaled": 0,
    }
    assert 'href="/opportunities/?region=360100"' in html  # the map's city, as a link too
    assert "/static/portal/vendor/echarts/echarts.min.js" in html
    assert "/static/portal/vendor/echarts/jiangxi.json" in html
    data = json.loads(html.split('id="dashboard-data" type="application/json">')[1].split("<")[0])
    assert {c["code"]: c["needs"] for c in data["cities"]}["360100"] == 3
    assert "review_days" not in data  # committee figures stay with committees
    assert "各级审核用时" not in html


def city_table(html):
    """The rows of the dashboard's city table: label, needs, capabilities (as text)."""
    table = html.split('id="map-title"')[1].split("</table>")[0]
    rows = []
    for row in table.split("<tr>")[2:]:
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.split(r"</t[hd]>", row)[:3]]
        rows.append(cells)
    return rows


def test_the_city_table_adds_up_to_the_lists_with_a_row_for_outside_firms(matched):
    # Given five published capabilities, one of a firm registered in Shenzhen
    html = Client().get("/dashboard/").content.decode()

    rows = city_table(html)

    # Then that firm's capabilities are in a row of their own, and the total line says
    # what the lists count
    body, total = rows[:-1], rows[-1]
    outside = sum(1 for c in matched["caps"] if not c.region_id.startswith("36"))
    assert ["省外企业", "0", str(outside)] in body
    assert sum(int(r[2].split("（")[0]) for r in body) == len(matched["caps"])
    assert sum(int(r[1].split("（")[0]) for r in body) == len(matched["needs"])
    assert total == ["合计", str(len(matched["needs"])), str(len(matched["caps"]))]
    data = json.loads(html.split('id="dashboard-data" type="application/json">')[1].split("<")[0])
    assert data["cities"][-1]["outside"] is True  # off the map (dashboard.js skips it)


def test_the_city_table_links_each_city_to_both_of_its_lists(matched):
    html = Client().get("/dashboard/").content.decode()

    table = html.split('id="map-title"')[1].split("</table>")[0]

    # Then the keyboard reaches what a click on the map opens, and the capability list too,
    # each link named after its city and list
    assert '<a href="/opportunities/?region=360100">南昌市</a>' in table
    assert (
        '<a href="/opportunities/?region=360100">3<span class="visually-hidden">'
        "（南昌市的机会清单）</span></a>" in table
    )
    assert '<a href="/capabilities/?region=360100">' in table
    assert "（南昌市的能力清单）" in table
    assert 'href="/capabilities/?region="' not in table  # the outside row links nowhere


def test_committees_also_see_review_times_queues_and_matching(matched, city_reviewer):
    html = signed_in(city_reviewer).get("/dashboard/").content.decode()

    assert "各级审核用时（天）" in html
    assert "各委员会待审核" in html
    assert "匹配中的需求 3 个" in html
    assert "近 30 天的匹配批次：已完成 1" in html


def test_the_page_takes_a_fixed_number_of_queries(matched, django_assert_max_num_queries):
    client = Client()
    client.get("/dashboard/")  # fills the minute's cache of the list counts
    with django_assert_max_num_queries(12):
        client.get("/dashboard/")


@pytest.mark.parametrize(
    ("language", "full", "label"),
    [("zh-hans", "南昌市", "南昌"), ("en", "Nanchang City", "Nanchang")],
)
def test_the_map_names_its_cities_in_the_readers_language(matched, language, full, label):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    html = client.get("/dashboard/").content.decode()

    data = json.loads(html.split('id="dashboard-data" type="application/json">')[1].split("<")[0])
    nanchang = next(c for c in data["cities"] if c["code"] == "360100")
    assert (nanchang["full"], nanchang["label"]) == (full, label)
    assert nanchang["name"] == "南昌市"  # the map file's key stays the Chinese name
