"""An agency takes back its pilot proposal before the committee decides it: by the service,
the API and its pilot page; withdrawing or closing the need takes its waiting proposals
with it. The committee's to-do settles, and the pair may be proposed again."""

import datetime as dt

import pytest
from django.utils import timezone

from activity.models import Notification
from core.errors import ActorNotAllowed, InvalidTransition, StaleVersion
from scenarios.models import Pilot
from scenarios.services.needs import need_close, need_withdraw
from scenarios.services.pilots import (
    pilot_proposal_decide,
    pilot_proposal_withdraw,
    pilot_start,
    pilot_update_milestones,
)
from tests import factories
from tests.conftest import committee_member
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db


def until(days: int = 90) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


@pytest.fixture
def proposal(agency_user, published_need, published_capability):
    return pilot_start(
        actor=agency_user,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(),
    )


def unread(user, verb="pilot.proposed"):
    return Notification.objects.filter(user=user, verb=verb, read_at__isnull=True).count()


def test_the_agency_withdraws_its_proposal_and_may_propose_again(
    agency_user, county_reviewer, city_reviewer, proposal, published_need, published_capability
):
    assert unread(county_reviewer) == 1

    # when the agency withdraws it
    pilot = pilot_proposal_withdraw(
        actor=agency_user, pilot=proposal, expected_version=proposal.version
    )

    # then it never runs, the committee has nothing left to decide, and the need is as it was
    published_need.refresh_from_db()
    assert (pilot.status, pilot.version) == ("withdrawn", proposal.version + 1)
    assert pilot.ended_at is not None
    assert published_need.status == "published"
    assert unread(county_reviewer) == 0
    with pytest.raises(InvalidTransition) as excinfo:
        pilot_proposal_decide(actor=city_reviewer, pilot=pilot, approve=True)
    assert "撤回" in excinfo.value.message
    with pytest.raises(InvalidTransition):
        pilot_update_milestones(actor=agency_user, pilot=pilot, milestones=[])
    # withdrawing again changes nothing
    again = pilot_proposal_withdraw(actor=agency_user, pilot=pilot)
    assert (again.status, again.version) == ("withdrawn", pilot.version)
    # and the pair may be proposed again, as a new proposal
    renewed = pilot_start(
        actor=agency_user,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(),
    )
    assert renewed.pk != pilot.pk
    assert renewed.status == "proposed"


def test_only_the_agency_withdraws_and_only_a_waiting_proposal(
    agency_user, city_reviewer, firm_user, proposal
):
    for outsider in (firm_user, city_reviewer, committee_member("360700")):
        with pytest.raises(ActorNotAllowed):
            pilot_proposal_withdraw(actor=outsider, pilot=proposal)
    with pytest.raises(StaleVersion):
        pilot_proposal_withdraw(
            actor=agency_user, pilot=proposal, expected_version=proposal.version - 1
        )

    running = pilot_proposal_decide(actor=city_reviewer, pilot=proposal, approve=True)

    with pytest.raises(InvalidTransition) as excinfo:
        pilot_proposal_withdraw(actor=agency_user, pilot=running)
    assert "验证中" in excinfo.value.message
    assert Pilot.objects.get(pk=proposal.pk).status == "running"


@pytest.mark.parametrize("leave", ["withdraw", "close"])
def test_a_need_leaving_the_list_takes_its_waiting_proposal_with_it(
    leave, agency_user, county_reviewer, proposal, published_need
):
    # when the agency withdraws (or closes) the need while its proposal waits
    if leave == "withdraw":
        need_withdraw(actor=agency_user, need=published_need)
    else:
        need_close(actor=agency_user, need=published_need, reason="场景取消")

    # then the proposal is withdrawn too: nothing waits for the committee
    proposal.refresh_from_db()
    assert proposal.status == "withdrawn"
    assert unread(county_reviewer) == 0


def test_the_api_withdraws_with_the_version_and_says_why_not(api, agency_user, proposal):
    url = f"/api/v1/pilots/{proposal.pk}/withdraw/"
    client = api.as_user(agency_user)

    stale = client.post(url, {"version": proposal.version + 5}, format="json")
    unknown = client.post(url, {"reason": "不需要了"}, format="json")
    done = client.post(url, {"version": proposal.version}, format="json")
    twice = client.post(url, {}, format="json")

    assert stale.status_code == 412
    assert unknown.status_code == 400
    assert "reason" in unknown.json()["fields"]
    assert (done.status_code, done.json()["status"]) == (200, "withdrawn")
    assert (twice.status_code, twice.json()["version"]) == (200, done.json()["version"])
    listed = client.get("/api/v1/pilots/", {"status": "withdrawn"}).json()
    assert [p["id"] for p in listed["results"]] == [proposal.pk]


def test_the_agency_withdraws_from_its_pilot_page_and_the_committee_sees_it(
    agency_user, city_reviewer, proposal, published_need
):
    client = signed_in(agency_user)
    page = client.get(f"/workspace/agency/pilots/{proposal.pk}/").content.decode()
    assert "撤回试点申请" in page
    assert f'action="/workspace/agency/pilots/{proposal.pk}/withdraw/"' in page

    # when the agency presses the button
    response = client.post(
        f"/workspace/agency/pilots/{proposal.pk}/withdraw/",
        {"version": proposal.version},
        follow=True,
    )

    # then its page says so, with no button left, and the need's card offers to propose again
    html = response.content.decode()
    assert "已撤回试点申请" in html
    assert "需求单位已于" in html
    assert 'withdraw/"' not in html
    need_page = client.get(f"/workspace/agency/needs/{published_need.ref}/").content.decode()
    assert "上次试点提议已撤回" in need_page
    assert "提议开展试点" in need_page
    # the committee finds it among the proposals that never ran, not among those waiting
    committee = signed_in(city_reviewer)
    waiting = committee.get("/workspace/committee/pilots/?status=proposed").content.decode()
    ended = committee.get("/workspace/committee/pilots/?status=declined").content.decode()
    assert f'id="pilot-{proposal.pk}"' not in waiting
    assert f'id="pilot-{proposal.pk}"' in ended
    assert "需求单位撤回于" in ended


def test_a_committee_deciding_a_withdrawn_proposal_is_told_so(city_reviewer, agency_user, proposal):
    pilot_proposal_withdraw(actor=agency_user, pilot=proposal)

    response = signed_in(city_reviewer).post(
        f"/workspace/committee/pilots/{proposal.pk}/decide/",
        {"decision": "approve", "tolerance_until": until().isoformat(), "version": 1},
        follow=True,
    )

    html = response.content.decode()
    assert "需求单位已撤回这项试点申请，未作更改。" in html
    assert response.redirect_chain[-1][0].endswith("?status=declined")
    assert Pilot.objects.get(pk=proposal.pk).status == "withdrawn"


def test_a_pilot_page_post_from_another_agency_is_not_found(proposal, published_need):
    stranger = factories.member(factories.AgencyFactory.create(), "agency_editor")
    response = signed_in(stranger).post(
        f"/workspace/agency/pilots/{proposal.pk}/withdraw/", {"version": proposal.version}
    )
    assert response.status_code == 404
    assert Pilot.objects.get(pk=proposal.pk).status == "proposed"
