"""The public lists' search, relevance ordering, ties and cached counts through the API, on
every database (the SQLite pass runs this file too: no search index there, same answers)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.api import filters
from scenarios.models import Capability
from scenarios.services.capabilities import capability_submit
from tests.scenarios.helpers import make_capability

pytestmark = pytest.mark.django_db
CAPS = "/api/v1/public/capabilities/"


def publish(firm, **values):
    return capability_submit(actor=None, capability=make_capability(firm, **values))


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def ranked(firm):
    """Capabilities holding 巡检 in different fields (published oldest first)."""
    return {
        "description": publish(firm, title="管网监测", description="无人机巡检管网"),
        "title_and_keywords": publish(firm, title="巡检机器人", keywords=["巡检", "机器人"]),
        "none": publish(firm, title="储能电站", description="削峰填谷"),
        "keywords": publish(firm, title="隧道监测", keywords=["巡检"]),
        "title": publish(firm, title="巡检无人机", description="电力线路"),
    }


def test_search_finds_a_word_in_any_field_and_every_word_of_several(api, ranked):
    found = set(ids(api.get(CAPS, {"search": "巡检"})))
    both = ids(api.get(CAPS, {"search": "巡检 机器人"}))
    nothing = api.get(CAPS, {"search": "不存在的词"}).json()

    assert found == {ranked[k].pk for k in ranked if k != "none"}
    assert both == [ranked["title_and_keywords"].pk]
    assert (nothing["count"], nothing["results"]) == (0, [])


def test_a_full_width_or_zero_width_search_finds_what_the_plain_one_does(api, ranked):
    # Given capabilities holding 巡检 and 机器人, and one holding "AI" (typed in ASCII)
    plain = ids(api.get(CAPS, {"search": "巡检 机器人", "ordering": "-relevance"}))

    # When the words carry zero-width characters or are typed full-width
    spaced = ids(api.get(CAPS, {"search": "巡\u200b检 机器\ufeff人", "ordering": "-relevance"}))
    publish(ranked["title"].firm, title="AI 巡检")
    wide = ids(api.get(CAPS, {"search": "ＡＩ"}))

    # Then they find the same capabilities, ranked alike
    assert spaced == plain == [ranked["title_and_keywords"].pk]
    assert len(wide) == 1


def test_relevance_orders_by_the_fields_that_hold_the_words(api, ranked):
    response = api.get(CAPS, {"search": "巡检", "ordering": "-relevance"})

    # title 8 + keywords 4; title 8; keywords 4; description 2
    assert ids(response) == [
        ranked["title_and_keywords"].pk,
        ranked["title"].pk,
        ranked["keywords"].pk,
        ranked["description"].pk,
    ]
    assert response.json()["count"] == 4


def test_ascending_relevance_is_the_reverse_and_ties_follow_the_key(api, firm):
    a = publish(firm, title="巡检甲")
    b = publish(firm, title="巡检乙")
    c = publish(firm, description="巡检丙")

    up = ids(api.get(CAPS, {"search": "巡检", "ordering": "relevance"}))
    down = ids(api.get(CAPS, {"search": "巡检", "ordering": "-relevance"}))

    assert up == [c.pk, a.pk, b.pk]
    assert down == [b.pk, a.pk, c.pk]


def test_relevance_ranks_the_first_matches_of_the_default_order_only(api, ranked, monkeypatch):
    monkeypatch.setattr(filters, "RELEVANCE_WINDOW", 2)

    response = api.get(CAPS, {"search": "巡检", "ordering": "-relevance"})

    # the two newest matches (the default order is the newest first), best first
    assert ids(response) == [ranked["title"].pk, ranked["keywords"].pk]
    assert response.json()["count"] == 2


@pytest.mark.parametrize(
    ("search", "field"),
    [
        (None, "ordering"),
        ("", "ordering"),
        ("   ", "ordering"),
        # A search with no word in it is refused itself, before the order is read.
        ("\x00", "search"),
        (",", "search"),
        (", ,", "search"),
    ],
)
def test_relevance_without_a_search_is_refused(api, ranked, search, field):
    params = {"ordering": "-relevance"}
    if search is not None:
        params["search"] = search

    response = api.get(CAPS, params)

    assert response.status_code == 400
    assert field in response.json()["fields"]


@pytest.mark.parametrize("search", ["\x00", "AI\x00", "\u200b", "\u200b\ufeff", ",", '""'])
def test_a_search_with_nothing_to_look_for_is_refused_not_answered_with_everything(
    api, ranked, search
):
    """?search=%00 or a zero-width space answered 200 with the whole list, as if everything
    matched; the pages refuse the same input."""
    for url in (CAPS, "/api/v1/public/needs/"):
        response = api.get(url, {"search": search})

        assert response.status_code == 400, (url, search)
        assert "search" in response.json()["fields"]


def test_relevance_is_not_offered_where_there_is_no_search(api, reference):
    response = api.get("/api/v1/regions/", {"ordering": "relevance"})

    assert response.status_code == 400
    assert "ordering" in response.json()["fields"]


@pytest.mark.parametrize("ordering", ["trl", "-trl", "capacity", "-capacity"])
def test_equal_values_keep_one_order_across_pages(api, firm, ordering):
    caps = [publish(firm, title=f"能力{i}", trl=7, capacity=2) for i in range(7)]
    expected = sorted(c.pk for c in caps)
    if ordering.startswith("-"):
        expected.reverse()

    pages = [
        ids(api.get(CAPS, {"ordering": ordering, "page_size": 3, "page": page}))
        for page in (1, 2, 3)
    ]

    assert [pk for page in pages for pk in page] == expected


def test_an_order_by_the_key_itself_gets_no_second_key(api, firm):
    caps = [publish(firm, title=f"能力{i}") for i in range(3)]

    assert ids(api.get(CAPS, {"ordering": "-id"})) == sorted((c.pk for c in caps), reverse=True)
    assert ids(api.get(CAPS, {"ordering": "id"})) == sorted(c.pk for c in caps)


@pytest.mark.django_db(transaction=True)
def test_the_count_is_cached_until_a_publication_commits(api, reference, firm):
    publish(firm, title="第一项")
    first = api.get(CAPS, {"search": "项"}).json()["count"]

    with CaptureQueriesContext(connection) as again:
        cached = api.get(CAPS, {"search": "项"}).json()["count"]
    publish(firm, title="第二项")  # committed: the lists' generation moves on
    after = api.get(CAPS, {"search": "项"}).json()["count"]

    assert (first, cached, after) == (1, 1, 2)
    assert not any("COUNT(" in q["sql"].upper() for q in again.captured_queries)


@pytest.mark.parametrize("walk_rows", [0, 10**9])
def test_a_search_page_is_the_same_whether_found_by_the_index_or_by_walking(
    api, ranked, firm, monkeypatch, walk_rows
):
    from core.api import pagination

    for i in range(6):
        publish(firm, title=f"巡检{i}" if i % 2 else f"监测{i}")
    monkeypatch.setattr(pagination, "WALK_ROWS", walk_rows)
    expected = sorted(
        (
            c
            for c in Capability.objects.public()
            if "巡检" in (c.title + c.description + str(c.keywords))
        ),
        key=lambda c: (c.published_at, c.pk),
        reverse=True,
    )

    with CaptureQueriesContext(connection) as queries:
        pages = [
            ids(api.get(CAPS, {"search": "巡检", "page_size": 3, "page": p})) for p in (1, 2, 3)
        ]

    assert [pk for page in pages for pk in page] == [c.pk for c in expected]
    if connection.vendor == "postgresql":  # the index's condition in the page's query or not
        page_queries = [q["sql"] for q in queries.captured_queries if "LIMIT" in q["sql"]]
        assert all(("@@" in sql) == (walk_rows == 0) for sql in page_queries), page_queries


@pytest.mark.django_db(transaction=True)
def test_a_firms_new_name_is_found_at_once_though_a_count_was_cached(
    api, reference, firm, platform_admin
):
    from accounts.services.organizations import organization_update

    publish(firm, title="第一项")
    before = api.get(CAPS, {"search": "赣新名"}).json()["count"]  # 0, now cached

    # committed, as every request's transaction is
    organization_update(actor=platform_admin, organization=firm, name="赣新名科技有限公司")
    found = api.get(CAPS, {"search": "赣新名"}).json()

    assert before == 0
    assert found["count"] == 1
    assert len(found["results"]) == 1


@pytest.mark.django_db(transaction=True)
def test_counts_follow_every_committed_write_segment_by_segment(
    api, reference, firm, firm_user, monkeypatch
):
    """Segments of two ids: each publication, withdrawal and edit below touches one, and every
    selection's count (a search, relevance's window, the whole list, a filter) still equals
    the rows its pages hold."""
    from scenarios import facets
    from scenarios.services.capabilities import capability_withdraw

    monkeypatch.setattr(facets, "SEGMENT_ROWS", 2)
    monkeypatch.setattr(filters, "RELEVANCE_WINDOW", 4)
    made = [
        publish(firm, title=f"巡检{i}" if i % 3 else f"储能{i}", trl=5 + i % 3) for i in range(8)
    ]
    selections: list[dict[str, object]] = [
        {"search": "巡检"},
        {"search": "巡检", "ordering": "-relevance"},
        {},
        {"trl_min": 6},
        {"search": "储能", "trl_min": 6},
    ]

    def check():
        for params in selections:
            rows, page = [], 1
            while True:
                body = api.get(CAPS, {**params, "page_size": 3, "page": page}).json()
                rows += body["results"]
                if not body["next"]:
                    break
                page += 1
            assert body["count"] == len(rows), params

    check()
    capability_withdraw(actor=firm_user, capability=made[1])
    check()
    publish(firm, title="巡检新")  # past the last segment
    check()
    Capability.objects.filter(pk=made[4].pk).update(title="储能改")  # around the signals...
    made[4].refresh_from_db()
    made[4].save(update_fields=["updated_at"])  # ...and a save of the row afterwards
    check()


@pytest.mark.django_db(transaction=True)
def test_relevance_counts_its_window_unless_the_selection_is_kept(
    api, reference, firm, monkeypatch
):
    """With nothing kept for the search, its window is counted (at most the window's rows);
    once the search itself was counted, relevance's count is the kept one, cut to the
    window."""
    from scenarios import facets
    from scenarios.api.public import PublicCapabilityViewSet

    calls = []

    def spy(key, rows, timeout=facets.FACET_CACHE_SECONDS, *, kept_only=False):
        found = facets.count_for_lists(key, rows, timeout, kept_only=kept_only)
        calls.append((kept_only, facets._reads_other_rows(rows.query), found))
        return found

    monkeypatch.setattr(PublicCapabilityViewSet, "list_count_cache", staticmethod(spy))
    monkeypatch.setattr(facets, "SEGMENT_ROWS", 2)  # a write leaves most segments kept
    monkeypatch.setattr(filters, "RELEVANCE_WINDOW", 2)
    for i in range(6):
        publish(firm, title=f"巡检{i}")
    ranked = {"search": "巡检", "ordering": "-relevance"}

    assert api.get(CAPS, ranked).json()["count"] == 2
    cold, calls[:] = list(calls), []
    assert api.get(CAPS, {"search": "巡检"}).json()["count"] == 6  # now kept
    calls.clear()
    publish(firm, title="巡检新")
    assert api.get(CAPS, ranked).json()["count"] == 2

    # (kept_only, a window, the answer): nothing kept, so the window is counted; then the
    # kept selection's count (a new match since) answers alone.
    assert cold == [(True, False, None), (False, True, 2)]
    assert calls == [(True, False, 7)]
