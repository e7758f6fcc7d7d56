"""What the agency needs next, where it looks for it: a returned need says why at the top of
its page and of its edit form, concluding a pilot reports every mistake at once, and the
notifications about a pilot or a firm's answer open where that is."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from activity.models import Notification
from matching.models import Match
from matching.services.recommendations import pair_respond
from scenarios.models import Pilot
from scenarios.services.capabilities import capability_submit
from scenarios.services.needs import need_close, need_submit
from scenarios.services.pilots import pilot_proposal_decide, pilot_start
from scenarios.services.reviews import need_return, review_decide
from tests import factories
from tests.portal.conftest import signed_in
from tests.scenarios.helpers import make_capability, make_need

pytestmark = pytest.mark.django_db


def until(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def go(user, note):
    return signed_in(user).get(f"/notifications/go/{note.target_type}/{note.target_id}/")


@pytest.fixture
def returned(agency, agency_user, county_reviewer, city_reviewer):
    """A need the county passed and the city returned with a reason."""
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    need = review_decide(actor=county_reviewer, need=need, decision="approved")
    return need_return(actor=city_reviewer, need=need, comment="请补充预算测算依据和运维方案")


def test_a_returned_needs_page_says_why_above_its_contents(returned, agency_user, city_reviewer):
    # given a need returned by the city committee

    # when its agency opens the need's page
    html = signed_in(agency_user).get(f"/workspace/agency/needs/{returned.ref}/").content.decode()

    # then the reason, the committee and its tier, who and when lead the page, before the
    # page's own contents (the trail, far below, says it too)
    notice = html.split('id="need-returned"')[1].split("</section>")[0]
    assert "南昌市场景应用创新工作委员会（市级）退回修改" in notice
    assert "退回理由：请补充预算测算依据和运维方案" in notice
    assert city_reviewer.get_username() in notice
    assert f"{timezone.localdate():%Y年%-m月%-d日}" in notice
    assert html.index('id="need-returned"') < html.index('id="page-nav-label"')
    assert html.index('id="need-returned"') > html.index(">提交审核<")


def test_the_edit_form_of_a_returned_need_says_why(returned, agency_user):
    client = signed_in(agency_user)

    # when the agency opens the edit form, and saves it with a mistake
    form = client.get(f"/workspace/agency/needs/{returned.ref}/edit/").content.decode()
    refused = client.post(
        f"/workspace/agency/needs/{returned.ref}/edit/", {"title": ""}
    ).content.decode()

    # then the reason is above the form both times
    for html in (form, refused):
        assert "退回理由：请补充预算测算依据和运维方案" in html
        assert html.index('id="need-returned"') < html.index('name="title"')


def test_a_need_not_returned_shows_no_return(agency, agency_user, county_reviewer):
    # given a need returned once, then submitted again and in review
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    need = need_return(actor=county_reviewer, need=need, comment="旧的退回理由")
    need = need_submit(actor=agency_user, need=need)
    draft = make_need(agency, region="360102", title="另一个草稿")
    client = signed_in(agency_user)

    # when the agency opens their pages
    in_review = client.get(f"/workspace/agency/needs/{need.ref}/").content.decode()
    draft_form = client.get(f"/workspace/agency/needs/{draft.ref}/edit/").content.decode()

    # then no return is announced (the old one stays in the trail)
    assert 'id="need-returned"' not in in_review
    assert "旧的退回理由" in in_review.split('id="need-history"')[1]
    assert 'id="need-returned"' not in draft_form


@pytest.fixture
def running(agency, agency_user, county_reviewer, city_reviewer, firm):
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    need = review_decide(actor=county_reviewer, need=need, decision="approved")
    need = review_decide(actor=city_reviewer, need=need, decision="approved")
    capability = capability_submit(actor=None, capability=make_capability(firm, trl=7))
    return pilot_start(
        actor=city_reviewer, need=need, capability=capability, tolerance_until=until(60)
    )


def test_concluding_reports_every_mistake_of_the_form_at_once(running, agency_user):
    client = signed_in(agency_user)
    url = f"/workspace/agency/pilots/{running.pk}/"

    # when the outcome is 验证成功 with a lower maturity and no note
    lowered = client.post(
        url, {"action": "conclude", "outcome": "validated", "trl_after": "5", "note": ""}
    ).content.decode()
    # and when nothing is chosen or typed at all
    empty = client.post(url, {"action": "conclude", "trl_after": "", "note": ""}).content.decode()

    # then both mistakes are named in the first answer (the maturity came in a second round,
    # once the note was fixed), and each empty field is named
    assert "id_note_error" in lowered
    assert "验证成功时，验证后的成熟度不应低于验证前（7 级）。" in lowered
    assert all(f"id_{name}_error" in empty for name in ("outcome", "trl_after", "note"))
    running.refresh_from_db()
    assert running.status == "running"


def test_the_conclude_form_marks_its_required_fields_and_lets_the_browser_check_them(
    running, agency_user
):
    html = signed_in(agency_user).get(f"/workspace/agency/pilots/{running.pk}/").content.decode()

    # The form asks its question only once the browser has let it go: it is not novalidate,
    # and every field it needs is required (the outcome's legend is marked as such).
    form = re.search(r'<form method="post"[^>]*data-confirm="确定提交验证结论吗[^>]*>', html)
    assert form is not None
    assert "novalidate" not in form.group(0)
    conclude = html[form.start() : html.index("</form>", form.start())]
    assert len(re.findall(r'<input type="radio" name="outcome"[^>]* required', conclude)) == 2
    assert re.search(r'<select name="trl_after"[^>]* required', conclude)
    assert re.search(r'<textarea name="note"[^>]* required', conclude)
    marked = '结果<span class="text-danger" aria-hidden="true"> *</span></legend>'
    assert marked in conclude


def test_an_approved_proposal_notice_opens_the_pilots_page(
    agency, agency_user, county_reviewer, city_reviewer, firm
):
    # given the agency's proposal, approved by the city committee
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    need = review_decide(actor=county_reviewer, need=need, decision="approved")
    need = review_decide(actor=city_reviewer, need=need, decision="approved")
    capability = capability_submit(actor=None, capability=make_capability(firm))
    factories.shortlisted_pair(need, capability)
    proposal = pilot_start(
        actor=agency_user, need=need, capability=capability, tolerance_until=until(60)
    )
    pilot_proposal_decide(actor=city_reviewer, pilot=proposal, approve=True)
    note = Notification.objects.get(user=agency_user, verb="pilot.decided")

    # when the agency follows the notice
    response = go(agency_user, note)

    # then it lands on the pilot's page, not at the top of the need's
    assert response["Location"] == f"/workspace/agency/pilots/{proposal.pk}/"
    assert signed_in(agency_user).get(response["Location"]).status_code == 200
    assert Pilot.objects.get(pk=proposal.pk).status == "running"


def test_a_firms_interest_notice_opens_the_need_page_at_the_firms_card(matched, agency_user):
    # given a firm interested in a recommendation of the agency's need
    match = (
        Match.objects.current()
        .filter(need=matched["needs"][0], recommended=True)
        .order_by("-rank")
        .first()
    )
    assert match is not None
    pair_respond(
        actor=factories.member(match.capability.firm, "firm_editor"), match=match, interested=True
    )
    note = Notification.objects.get(user=agency_user, verb="match.firm_response")

    # when the agency follows the notice
    response = go(agency_user, note)

    # then the need's page opens at that firm's card, where it is shortlisted
    page, _hash, card = response["Location"].partition("#")
    assert page == f"/workspace/agency/needs/{match.need.ref}/"
    assert card == f"match-{match.pk}"
    html = signed_in(agency_user).get(page).content.decode()
    assert f'id="{card}"' in html
    assert f'id="shortlist-{match.pk}"' in html.split(f'id="{card}"')[1].split("</article>")[0]


def test_an_answer_on_a_need_no_longer_matched_opens_the_firms_answers(matched, agency_user):
    # given a firm's answer, and the need closed since
    need = matched["needs"][0]
    match = Match.objects.current().filter(need=need, recommended=True).first()
    assert match is not None
    pair_respond(
        actor=factories.member(match.capability.firm, "firm_editor"), match=match, interested=True
    )
    note = Notification.objects.get(user=agency_user, verb="match.firm_response")
    need_close(actor=agency_user, need=need, reason="项目取消")

    # when the agency follows the notice: the answers' list (no cards are drawn)
    location = go(agency_user, note)["Location"]

    assert location == f"/workspace/agency/needs/{need.ref}/#need-interest"
    assert 'id="need-interest"' in signed_in(agency_user).get(location).content.decode()


def test_the_trail_says_what_an_edit_after_a_return_changed(returned, agency_user, county_reviewer):
    """The reviewer of a resubmitted need read only "修改" in its trail (the audit held the
    values before and after, unshown): what was changed is checked against the reason."""
    from scenarios.services.needs import need_update

    old_description = returned.description
    need = need_update(
        actor=agency_user,
        need=returned,
        expected_version=returned.version,
        budget_cny=4_900_000,
        description=old_description + "\n补充：运维方案见附件，预算测算依据如下。",
    )
    need = need_submit(actor=agency_user, need=need)

    html = (
        signed_in(county_reviewer).get(f"/workspace/committee/needs/{need.ref}/").content.decode()
    )

    trail = html.split('id="trail-title"')[1]
    row = trail[trail.index("trail-fields") :]
    assert "预算：<del>" in row
    assert "<ins>490 万元</ins>" in row
    assert "场景描述（已修改）" in row
    assert "补充：运维方案见附件" in row
    # the agency's own page shows the same
    own = signed_in(agency_user).get(f"/workspace/agency/needs/{need.ref}/").content.decode()
    assert "场景描述（已修改）" in own
