"""The review pages after a blind review: an approval says where the need went, the need's
page lists the tiers still to come, a final rejection asks first, a refused decision leaves
the address bar on a page that can be reloaded, and decided needs stay findable."""

import pytest

from accounts.models import Committee
from scenarios.services.needs import need_submit
from scenarios.services.reviews import review_decide
from tests.portal.conftest import signed_in
from tests.scenarios.helpers import make_need

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
