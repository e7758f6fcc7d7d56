"""Shared fixtures: reference data once per test database, and the actors of STYLE.md."""

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.utils import translation
from rest_framework.test import APIClient

from accounts.choices import Role
from accounts.models import Committee, Organization
from accounts.services.organizations import membership_grant
from core import outbox
from reference.models import Region
from reference.selectors import forget_built
from scenarios.services.capabilities import capability_submit
from scenarios.services.needs import need_submit
from scenarios.services.reviews import review_decide
from scenarios.services.setup import reference_load
from tests import factories
from tests.scenarios.helpers import make_capability, make_need


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load regions, taxonomy, committees and policy v1 once into the test database."""
    with django_db_blocker.unblock():
        reference_load()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: cached counts and trees never leak between
    tests whose transactions were rolled back."""
    cache.clear()
    forget_built()


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language: a request in English (LocaleMiddleware
    activates the reader's language on the thread and leaves it there) does not make the next
    test store or compare English."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _no_outbox_backlog(monkeypatch):
    """No test inherits another's failed send (which makes the next send drain the outbox)."""
    monkeypatch.setattr(outbox._Backlog, "suspected", False)


@pytest.fixture
def reference(db):
    """Reload reference data (after a transactional test flushed it); idempotent."""
    return reference_load()


def committee_member(region_code: str) -> User:
    committee = Committee.objects.select_related("organization").get(region_id=region_code)
    return factories.member(committee.organization, Role.COMMITTEE_MEMBER)


@pytest.fixture
def province_reviewer(db) -> User:
    return committee_member("360000")


@pytest.fixture
def city_reviewer(db) -> User:
    """A member of the Nanchang (360100) committee."""
    return committee_member("360100")


@pytest.fixture
def other_city_reviewer(db) -> User:
    """A member of the Ganzhou (360700) committee."""
    return committee_member("360700")


@pytest.fixture
def county_reviewer(db) -> User:
    """A member of the Donghu district (360102, Nanchang) committee."""
    return committee_member("360102")


@pytest.fixture
def platform_admin(db) -> User:
    """A platform admin by role, granted through the service like an accepted invitation."""
    platform = Organization.objects.get(kind="platform")
    user = factories.UserFactory.create()
    membership_grant(actor=None, user=user, organization=platform, role=Role.PLATFORM_ADMIN)
    return user


@pytest.fixture
def firm(db) -> Organization:
    return factories.FirmFactory.create(region=Region.objects.get(code="360102"))


@pytest.fixture
def firm_user(firm) -> User:
    return factories.member(firm, Role.FIRM_EDITOR)


@pytest.fixture
def agency(db) -> Organization:
    return factories.AgencyFactory.create(region=Region.objects.get(code="360102"))


@pytest.fixture
def agency_user(agency) -> User:
    return factories.member(agency, Role.AGENCY_EDITOR)


@pytest.fixture
def api():
    """An API client; ``api.as_user(u)`` authenticates it with a token-less force login."""

    class Client(APIClient):
        def as_user(self, user):
            self.force_authenticate(user=user)
            return self

    return Client()


# A need through county and city review, and a capability recommended for it and on its
# agency's shortlist (the firm said it is interested): what a pilot starts from.
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
