"""A need's candidates that were not recommended say why on its page: below the need's
cut-off, or the firm's quota used up (they said only "得分较低或企业承接配额已满" for all,
though a candidate ranked above the recommended ones was left out for its firm's quota)."""

import pytest

from matching.models import Match, MatchRun, NeedCurrentRun, RunScope, RunStatus
from matching.services.explain import BELOW_CUTOFF, FIRM_QUOTA_USED, NOT_CHOSEN, candidate_reasons
from scenarios.models import ScenarioNeed
from scenarios.services.capabilities import capability_submit
from scenarios.services.policy import policy_current
from tests import factories
from tests.portal.conftest import signed_in
from tests.scenarios.helpers import make_capability, make_need

pytestmark = pytest.mark.django_db


@pytest.fixture
def ranked(published_need):
    """A run that recommended two capabilities (k = 2) and left three out: ranked 1st, its
    firm's one unit held by another need's recommendation; 4th, under the cut-off; 5th, with
    quota to spare and above the cut-off (the pairing chose otherwise)."""
    run = MatchRun.objects.create(
        scope=RunScope.NEED,
        target_id=published_need.pk,
        policy=policy_current(),
        status=RunStatus.DONE,
        params={"k": 2},
    )
    NeedCurrentRun.objects.update_or_create(need=published_need, defaults={"run": run})

    def capability(capacity=3):
        firm = factories.FirmFactory.create()
        return capability_submit(actor=None, capability=make_capability(firm, capacity=capacity))

    full = capability(capacity=1)
    rows = {}
    for name, cap, score, recommended in [
        ("full", full, 0.95, False),
        ("second", capability(), 0.90, True),
        ("third", capability(), 0.85, True),
        ("under", capability(), 0.80, False),
        ("chosen_otherwise", capability(), 0.88, False),
    ]:
        rows[name] = Match.objects.create(
            run=run,
            need=published_need,
            capability=cap,
            firm_id=cap.firm_id,
            score=score,
            rank=0,
            recommended=recommended,
            breakdown={},
        )
    # the full firm's one unit: another need's current recommendation of its capability
    other = make_need(published_need.agency, region="360102")
    ScenarioNeed.objects.filter(pk=other.pk).update(status="published")
    other_run = MatchRun.objects.create(
        scope=RunScope.NEED, target_id=other.pk, policy=policy_current(), status=RunStatus.DONE
    )
    NeedCurrentRun.objects.create(need=other, run=other_run)
    Match.objects.create(
        run=other_run,
        need=other,
        capability=full,
        firm_id=full.firm_id,
        score=0.5,
        rank=1,
        recommended=True,
        breakdown={},
    )
    return rows


def test_each_left_out_candidate_gets_its_own_reason(ranked, agency_user, published_need):
    matches = list(
        Match.objects.filter(pk__in=[m.pk for m in ranked.values()]).select_related("run")
    )

    reasons = candidate_reasons(user=agency_user, need=published_need, matches=matches)

    codes = {name: [r.code for r in reasons.get(m.pk, [])] for name, m in ranked.items()}
    assert codes == {
        "full": [FIRM_QUOTA_USED],
        "second": [],
        "third": [],
        "under": [BELOW_CUTOFF],
        "chosen_otherwise": [NOT_CHOSEN],
    }
    [quota] = reasons[ranked["full"].pk]
    assert quota.detail == "企业的承接名额（1 项）已被 1 项推荐和 0 个试点占满"
    assert reasons[ranked["under"].pk][0].detail == "该需求已有 2 项得分更高的推荐（最低 0.85 分）"


def test_the_agencys_need_page_says_why_on_each_candidate(ranked, agency_user, published_need):
    html = signed_in(agency_user).get(f"/workspace/agency/needs/{published_need.ref}/")
    page = html.content.decode()

    full = page.split(f'id="left-out-{ranked["full"].pk}"')[1].split("</p>")[0]
    under = page.split(f'id="left-out-{ranked["under"].pk}"')[1].split("</p>")[0]
    assert "未推荐：企业的承接名额（1 项）已被 1 项推荐和 0 个试点占满" in full
    assert "该需求已有 2 项得分更高的推荐" in under
    assert f'id="left-out-{ranked["second"].pk}"' not in page
    assert "得分较低或企业承接配额已满" not in page
