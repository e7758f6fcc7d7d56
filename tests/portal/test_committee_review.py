"""The review pages after a blind review: an approval says where the need went, the need's
page lists the tiers still to come, a final rejection asks first, a refused decision leaves
the address bar on a page that can be reloaded, and decided needs stay findable."""

import datetime as dt
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Committee
from matching.models import Match
from matching.services.recommendations import pair_shortlist
from scenarios.models import ScenarioNeed
from scenarios.services.assessments import assessment_submit
from scenarios.services.capabilities import capability_submit
from scenarios.services.needs import need_submit
from scenarios.services.pilots import pilot_start
from scenarios.services.reviews import review_decide
from tests import factories
from tests.portal.conftest import signed_in
from tests.scenarios.helpers import make_capability, make_need

pytestmark = pytest.mark.django_db
QUEUE = "/workspace/committee/"


def committee_name(code):
    return Committee.objects.select_related("organization").get(region_id=code).organization.name


@pytest.fixture
def in_review(agency, agency_user):
    return need_submit(
        actor=agency_user, need=make_need(agency, region="360102", title="城市内涝监测预警")
    )


@pytest.fixture
def major(agency, agency_user):
    return need_submit(
        actor=agency_user,
        need=make_need(agency, region="360102", title="全域低空物流网络", is_major=True),
    )


def decide(user, need, decision="approved", comment="", **extra):
    return signed_in(user).post(
        f"/workspace/committee/needs/{need.ref}/decide/",
        {"decision": decision, "comment": comment, "version": need.version, **extra},
        follow=True,
    )


def test_approving_at_the_county_says_which_committee_reviews_next(in_review, county_reviewer):
    r = decide(county_reviewer, in_review, **{"from": "queue", "next": QUEUE})

    html = r.content.decode()
    assert f"已通过 {in_review.ref}，已转{committee_name('360100')}审核。" in html


def test_approving_at_the_city_says_the_need_is_published(
    in_review, county_reviewer, city_reviewer
):
    review_decide(actor=county_reviewer, need=in_review, decision="approved")
    in_review.refresh_from_db()

    r = decide(city_reviewer, in_review)

    html = r.content.decode()
    assert f"已通过并发布 {in_review.ref}" in html


def test_need_page_lists_the_tiers_still_to_come(in_review, major, county_reviewer):
    ordinary = signed_in(county_reviewer).get(f"/workspace/committee/needs/{in_review.ref}/")
    big = signed_in(county_reviewer).get(f"/workspace/committee/needs/{major.ref}/")

    tiers = ordinary.content.decode().split('id="tiers-title"', 1)[1].split("</table>", 1)[0]
    assert committee_name("360100") in tiers
    assert "后续审核" in tiers
    assert committee_name("360000") not in tiers  # an ordinary need is published by the city
    tiers = big.content.decode().split('id="tiers-title"', 1)[1].split("</table>", 1)[0]
    assert tiers.index(committee_name("360100")) < tiers.index(committee_name("360000"))


def test_a_decided_need_lists_no_tier_to_come(in_review, county_reviewer, city_reviewer):
    review_decide(actor=county_reviewer, need=in_review, decision="approved")
    review_decide(actor=city_reviewer, need=in_review, decision="approved")

    r = signed_in(county_reviewer).get(f"/workspace/committee/needs/{in_review.ref}/")

    assert "后续审核" not in r.content.decode()


def test_a_final_rejection_asks_before_it_is_sent(in_review, county_reviewer):
    html = signed_in(county_reviewer).get(QUEUE).content.decode()

    radio = html[html.rindex("<input", 0, html.index('value="rejected"')) :]
    radio = radio[: radio.index(">")]
    assert "data-confirm=" in radio
    returned = html[html.rindex("<input", 0, html.index('value="returned"')) :]
    assert "data-confirm=" not in returned[: returned.index(">")]  # a return can be undone


# -- a refused action keeps the list as it was, and an address that can be reloaded --------


@pytest.fixture
def two_capabilities(firm):
    return [
        capability_submit(actor=None, capability=make_capability(firm, title=title))
        for title in ("工业视觉质检平台", "光伏组件回收与材料再利用")
    ]


def body_page_url(html):
    tag = html[html.index("<body") :]
    tag = tag[: tag.index(">")]
    return tag.split('data-page-url="', 1)[1].split('"', 1)[0] if "data-page-url" in tag else ""


def language_next(html):
    form = html[html.index('class="lang-switch"') :]
    return form.split('name="next" type="hidden" value="', 1)[1].split('"', 1)[0]


def test_a_refused_supervision_keeps_the_search_and_points_at_the_card(
    two_capabilities, city_reviewer
):
    target = two_capabilities[1]
    listed = "/workspace/committee/capabilities/?status=published&amp;q=%E5%85%89%E4%BC%8F"

    r = signed_in(city_reviewer).post(
        f"/workspace/committee/capabilities/{target.ref}/supervise/",
        {
            "action": "suspend",
            "reason": "",
            "version": target.version,
            "next": "/workspace/committee/capabilities/?status=published&q=光伏",
        },
    )

    html = r.content.decode()
    target.refresh_from_db()
    assert target.status == "published"
    assert 'name="q" value="光伏"' in html  # the search box keeps the search
    assert "工业视觉质检平台" not in html  # and the list stays filtered by it
    assert "请填写理由" in html
    action = f"/workspace/committee/capabilities/{target.ref}/supervise/#cap-{target.pk}"
    assert f'action="{action}"' in html
    assert body_page_url(html) == listed  # the address bar shows the list, not the POST
    assert language_next(html) == listed
    assert f'name="next" value="{listed}"' in html  # the next try comes back here too


def test_a_refused_firm_action_keeps_the_search(firm, city_reviewer):
    listed = f"/workspace/committee/firms/?status=verified&amp;q={quote(firm.name[:4])}"

    r = signed_in(city_reviewer).post(
        f"/workspace/committee/firms/{firm.pk}/act/",
        {
            "action": "suspend",
            "reason": "",
            "next": f"/workspace/committee/firms/?status=verified&q={firm.name[:4]}",
        },
    )

    html = r.content.decode()
    firm.refresh_from_db()
    assert not firm.is_suspended
    assert f'name="q" value="{firm.name[:4]}"' in html
    assert f'action="/workspace/committee/firms/{firm.pk}/act/#firm-{firm.pk}"' in html
    assert body_page_url(html) == listed
    assert language_next(html) == listed


def test_a_refused_decision_in_the_queue_names_the_queue_as_its_address(in_review, county_reviewer):
    r = signed_in(county_reviewer).post(
        f"/workspace/committee/needs/{in_review.ref}/decide/",
        {"decision": "returned", "comment": "", "from": "queue", "next": QUEUE},
    )
    page = signed_in(county_reviewer).get(QUEUE)

    html = r.content.decode()
    assert r.status_code == 200
    assert body_page_url(html) == QUEUE
    assert language_next(html) == QUEUE
    assert body_page_url(page.content.decode()) == ""  # a page reached by GET is its own


def test_a_refused_decision_on_the_need_page_names_the_need_page(in_review, county_reviewer):
    r = signed_in(county_reviewer).post(
        f"/workspace/committee/needs/{in_review.ref}/decide/",
        {"decision": "rejected", "comment": "", "version": in_review.version},
    )

    html = r.content.decode()
    assert body_page_url(html) == f"/workspace/committee/needs/{in_review.ref}/"
    assert language_next(html) == f"/workspace/committee/needs/{in_review.ref}/"


# -- the needs of the region, decided ones included -----------------------------------------

NEEDS = "/workspace/committee/needs/"


def test_region_needs_keep_a_decided_need_with_the_tier_it_is_at(
    in_review, major, county_reviewer, city_reviewer
):
    review_decide(actor=county_reviewer, need=in_review, decision="approved")

    county = signed_in(county_reviewer).get(NEEDS).content.decode()
    city = signed_in(city_reviewer).get(NEEDS).content.decode()

    assert in_review.ref in county  # decided by the county: gone from its queue, listed here
    row = county[county.index(f'href="/workspace/committee/needs/{in_review.ref}/"') :]
    row = row[: row.index("</article>")]
    assert f"在{committee_name('360100')}审核" in row
    assert "待本委员会审核" not in row
    row = city[city.index(f'href="/workspace/committee/needs/{in_review.ref}/"') :]
    assert "待本委员会审核" in row[: row.index("</article>")]
    assert major.ref in county
    assert 'aria-current="page" href="/workspace/committee/needs/"' in county


def test_region_needs_filter_by_status_and_find_by_title_or_ref(
    in_review, major, county_reviewer, agency, other_city_reviewer
):
    review_decide(actor=county_reviewer, need=in_review, decision="returned", comment="补充材料")
    draft = make_need(agency, region="360102", title="尚未提交的草稿")
    client = signed_in(county_reviewer)

    returned = client.get(NEEDS, {"status": "returned"}).content.decode()
    by_title = client.get(NEEDS, {"q": "低空物流"}).content.decode()
    by_ref = client.get(NEEDS, {"q": in_review.ref}).content.decode()
    everything = client.get(NEEDS).content.decode()
    far = signed_in(other_city_reviewer).get(NEEDS).content.decode()

    assert in_review.ref in returned
    assert major.ref not in returned
    assert major.ref in by_title
    assert in_review.ref not in by_title
    assert in_review.ref in by_ref
    assert major.ref not in by_ref
    assert draft.ref not in everything  # a draft is still the agency's own
    assert in_review.ref not in far  # another city's committee does not see Donghu's needs
    assert major.ref not in far


def test_region_needs_is_a_committee_page(agency_user):
    r = signed_in(agency_user).get(NEEDS)

    assert r.status_code == 302
    assert r["Location"] == "/workspace/"


# -- recommendations: approval only when the firm is interested; pairs with a pilot leave ---

RECS = "/workspace/committee/recommendations/"


@pytest.fixture
def unanswered(matched, agency_user):
    """A pair the agency shortlisted before the firm answered."""
    match = (
        Match.objects.current()
        .filter(need=matched["needs"][0], recommended=True)
        .order_by("rank")[0]
    )
    pair_shortlist(actor=agency_user, match=match, shortlisted=True)
    return match


def test_approval_is_drawn_disabled_with_the_reason_while_the_firm_has_not_answered(
    unanswered, city_reviewer
):
    html = signed_in(city_reviewer).get(RECS).content.decode()

    card = html[html.index(f'id="pair-{unanswered.pk}"') :]
    approve = card[card.rindex("<input", 0, card.index('value="approve"')) :]
    assert "disabled" in approve[: approve.index(">")]
    reject = card[card.rindex("<input", 0, card.index('value="reject"')) :]
    assert "checked" in reject[: reject.index(">")]  # the only possible choice is chosen
    date = card[card.index('name="tolerance_until"') :]
    assert "disabled" in date[: date.index(">")]
    assert "企业尚未表示有意向，目前只能驳回。" in card


def test_approving_without_the_firms_interest_says_the_real_reason_at_once(
    unanswered, city_reviewer
):
    r = signed_in(city_reviewer).post(f"{RECS}{unanswered.pk}/decide/", {"decision": "approve"})

    html = r.content.decode()
    assert "企业尚未表示有意向承接，不能批准" in html
    assert "批准试点需要包容期截止日期" not in html


def test_a_pair_with_a_pilot_leaves_the_recommendations(unanswered, agency_user, city_reviewer):
    # the agency proposes a pilot (the committee decides it among the pilots; it could not
    # start one itself before the firm says it is interested)
    pilot_start(
        actor=agency_user,
        need=unanswered.need,
        capability=unanswered.capability,
        tolerance_until=timezone.localdate() + dt.timedelta(days=90),
    )

    html = signed_in(city_reviewer).get(RECS).content.decode()

    assert f'id="pair-{unanswered.pk}"' not in html
    assert '推荐审批 <span class="badge rounded-pill text-bg-light">0</span>' in html


def test_region_needs_reads_the_same_number_of_queries_for_2_and_20_needs(
    agency, agency_user, county_reviewer
):
    client = signed_in(county_reviewer)
    counts = []
    for total in (2, 20):
        while ScenarioNeed.objects.filter(agency=agency).count() < total:
            need_submit(actor=agency_user, need=make_need(agency, region="360102"))
        client.get(NEEDS)  # caches of reference data warmed, as on any later visit
        with CaptureQueriesContext(connection) as queries:
            assert client.get(NEEDS).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_the_committee_reads_each_experts_scores_and_comment_on_the_need(
    in_review, county_reviewer
):
    # Given two experts who scored the need, one with a comment
    scores = {
        "tech_advancement": 90,
        "demonstration": 80,
        "industry_pull": 70,
        "replicability": 60,
        "feasibility": 100,
    }
    first, second = (
        factories.member(factories.ExpertInstitutionFactory.create(), "expert") for _ in "ab"
    )
    assessment_submit(actor=first, need=in_review, scores=scores, comment="示范性强，预算偏高")
    assessment_submit(actor=second, need=in_review, scores={**scores, "demonstration": 40})

    # When the committee opens the need
    html = signed_in(county_reviewer).get(f"/workspace/committee/needs/{in_review.ref}/")

    # Then a table names each expert with a score per criterion and the comment
    table = html.content.decode().split("panel-scores")[1]
    table = table.split("</table>")[0]
    assert "示范性强，预算偏高" in table
    assert first.get_username() in table
    assert second.get_username() in table
    assert "技术先进性" in table
    assert ">40.0<" in table
    assert ">80.0<" in table
    assert ">100.0<" in table
    assert 'data-label="技术先进性"' in table  # a phone reads each score beside its criterion


def test_the_committee_sees_which_experts_changed_their_scores_after_the_panel_and_when(
    in_review, county_reviewer
):
    # Given one expert who changed the scores after submitting (so after seeing the panel),
    # and one who did not
    scores = {
        "tech_advancement": 90,
        "demonstration": 80,
        "industry_pull": 70,
        "replicability": 60,
        "feasibility": 100,
    }
    changed, kept = (
        factories.member(factories.ExpertInstitutionFactory.create(), "expert") for _ in "ab"
    )
    assessment_submit(actor=kept, need=in_review, scores=scores)
    assessment_submit(actor=changed, need=in_review, scores=scores)
    revised = assessment_submit(
        actor=changed, need=in_review, scores={**scores, "demonstration": 60}
    )

    # When the committee opens the need
    html = signed_in(county_reviewer).get(f"/workspace/committee/needs/{in_review.ref}/")

    # Then the changed row says how often and when, with the version each scored under
    table = html.content.decode().split("panel-scores")[1].split("</table>")[0]
    rows = {row.split("</th>")[0]: row for row in table.split("<tr>")[2:]}
    changed_row = next(r for head, r in rows.items() if changed.get_username() in head)
    kept_row = next(r for head, r in rows.items() if kept.get_username() in head)
    local = timezone.localtime(revised.revised_at)
    assert f"已修改 1 次，最后于 {local.year}年{local.month}月{local.day}日" in changed_row
    assert "已修改" not in kept_row
    assert "第 1 版" in kept_row


def test_the_decision_options_are_actions_not_the_statuses_they_lead_to(in_review, county_reviewer):
    # When the need's page is drawn in English
    client = signed_in(county_reviewer)
    client.cookies["django_language"] = "en"
    html = client.get(f"/workspace/committee/needs/{in_review.ref}/").content.decode()

    # Then the options read as actions
    form = html.split('name="decision"', 1)[1].split("</fieldset>")[0]
    assert ">Approve</label>" in form
    assert ">Return for revision</label>" in form
    assert ">Reject</label>" in form
    assert "Approved" not in form
