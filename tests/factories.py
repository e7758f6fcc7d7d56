"""factory_boy factories; call ``.build()`` when no row is needed."""

from typing import Any

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from accounts.choices import OrganizationKind
from accounts.models import Membership, Organization
from accounts.validators import credit_code_check_char, org_code_check_char
from reference.models import Region


def credit_code_for(serial: int, region_code: str = "360102") -> str:
    body = f"{10000000 + serial:08d}"
    first17 = "91" + region_code + body + org_code_check_char(body)
    return first17 + credit_code_check_char(first17)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.cn")
    password = factory.django.Password("pw-for-tests-2026")


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    kind = OrganizationKind.AGENCY
    name = factory.Sequence(lambda n: f"测试单位{n}")
    region = factory.LazyFunction(lambda: Region.objects.get(code="360100"))


class AgencyFactory(OrganizationFactory):
    kind = OrganizationKind.AGENCY
    name = factory.Sequence(lambda n: f"南昌市测试局{n}")


class FirmFactory(OrganizationFactory):
    kind = OrganizationKind.FIRM
    # Two numbers apart, so that no two test firms are look-alikes (one character apart),
    # which a committee may verify only with a reason.
    name = factory.Sequence(lambda n: f"测试{n}科技{n}有限公司")
    credit_code = factory.Sequence(lambda n: credit_code_for(n))
    verified_at = factory.LazyFunction(timezone.now)


class ExpertInstitutionFactory(OrganizationFactory):
    kind = OrganizationKind.EXPERT_INSTITUTION
    name = factory.Sequence(lambda n: f"测试研究院{n}")


def member(organization: Organization, role: str, **user_kwargs: object) -> User:
    """A new user holding ``role`` in ``organization``."""
    user = UserFactory.create(**user_kwargs)
    Membership.objects.create(user=user, organization=organization, role=role)
    return user


def shortlisted_pair(need: Any, capability: Any, *, firm_response: str = "interested") -> Any:
    """Make ``capability`` a current recommendation of ``need`` that the agency shortlisted,
    without running the matcher: an agency proposes pilots only for such pairs. The need's
    current run gains the pair's row (a run of its own when it has none). The firm has
    answered ``firm_response`` ("" for no answer yet): a committee approves a pilot only
    once it is "interested"."""
    from matching.models import Match, MatchRun, NeedCurrentRun, PairReview, RunScope, RunStatus
    from scenarios.services.policy import policy_current

    pointer = NeedCurrentRun.objects.filter(need=need).select_related("run").first()
    if pointer is None:
        run = MatchRun.objects.create(
            scope=RunScope.NEED, target_id=need.pk, policy=policy_current(), status=RunStatus.DONE
        )
        NeedCurrentRun.objects.create(need=need, run=run)
    else:
        run = pointer.run
    match, _created = Match.objects.get_or_create(
        run=run,
        need=need,
        capability=capability,
        defaults={"firm_id": capability.firm_id, "score": 0.9, "rank": 1, "breakdown": {}},
    )
    if not match.recommended:
        Match.objects.filter(pk=match.pk).update(recommended=True)
    review, _created = PairReview.objects.update_or_create(
        need=need,
        capability=capability,
        defaults={"shortlisted": True, "firm_response": firm_response},
    )
    return review
