"""Fixtures shared by the scenarios tests."""

import pytest

from scenarios.services.capabilities import capability_submit
from scenarios.services.needs import need_submit
from scenarios.services.reviews import review_decide
from tests import factories
from tests.scenarios.helpers import make_capability, make_need


@pytest.fixture
def published_need(agency, agency_user, county_reviewer, city_reviewer):
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    need = review_decide(actor=county_reviewer, need=need, decision="approved")
    return review_decide(actor=city_reviewer, need=need, decision="approved")


@pytest.fixture
def published_capability(firm, published_need):
    """Recommended for the need and on its agency's shortlist: what an agency's proposal
    needs (the matching app's check; ``test_an_agency_proposes_only_from_its_shortlist``)."""
    capability = capability_submit(actor=None, capability=make_capability(firm, capacity=1))
    factories.shortlisted_pair(published_need, capability)
    return capability
