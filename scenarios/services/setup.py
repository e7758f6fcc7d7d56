"""Everything a fresh installation needs before its first user: regions and the taxonomy,
a committee for every home-province region, the platform operator, and policy v1."""

from dataclasses import dataclass

from django.db import transaction

from accounts.services.organizations import committees_ensure
from reference.services import chains_load, regions_load
from scenarios.services.policy import policy_ensure_initial


@dataclass(frozen=True)
class ReferenceCounts:
    regions: int
    chains: int
    committees: int
    policy_version: int


@transaction.atomic
def reference_load() -> ReferenceCounts:
    """Load all reference data in one transaction; idempotent."""
    regions = regions_load()
    chains = chains_load()
    committees = committees_ensure()
    policy = policy_ensure_initial()
    return ReferenceCounts(
        regions=regions, chains=chains, committees=committees, policy_version=policy.version
    )
