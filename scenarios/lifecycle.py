"""Every allowed status move of needs, capabilities and pilots, in one place.

Each table maps a status to the statuses it may move to. Services move an object only
through ``scenarios.services.common.transition``, which checks the table, bumps the
version and writes the audit row; who may trigger a move is each service's own check.
The sets below name the statuses that other rules test (editable, public, matchable).

Needs::

    draft → submitted → in_review (county → city → province) → published
          → in_validation (a pilot runs) → validated → scaled
    side exits: returned (back to the agency, then submitted again), rejected,
                withdrawn, closed (expired, or no pilot succeeded)

Capabilities::

    draft → submitted → published (verified firm, negative list passed)
    returned (by the negative list or a committee) → submitted again
    published → withdrawn (by the firm) → submitted again
    published → suspended (by a committee) → published (reinstated)
"""

from scenarios.choices import CapabilityStatus, NeedStatus, PilotStatus

N = NeedStatus
C = CapabilityStatus
P = PilotStatus

NEED_ALLOWED: dict[str, frozenset[str]] = {
    N.DRAFT: frozenset({N.SUBMITTED, N.WITHDRAWN}),
    N.SUBMITTED: frozenset({N.IN_REVIEW, N.WITHDRAWN}),
    # in_review → in_review: approval at one tier forwards to the next tier's committee.
    N.IN_REVIEW: frozenset({N.IN_REVIEW, N.PUBLISHED, N.RETURNED, N.REJECTED, N.WITHDRAWN}),
    N.RETURNED: frozenset({N.SUBMITTED, N.WITHDRAWN}),
    N.PUBLISHED: frozenset({N.IN_VALIDATION, N.CLOSED, N.WITHDRAWN}),
    # in_validation → published: every pilot failed; the need is open to new ones again.
    N.IN_VALIDATION: frozenset({N.VALIDATED, N.PUBLISHED, N.CLOSED}),
    N.VALIDATED: frozenset({N.SCALED, N.CLOSED}),
    N.SCALED: frozenset(),
    N.REJECTED: frozenset(),
    N.WITHDRAWN: frozenset(),
    N.CLOSED: frozenset(),
}

CAPABILITY_ALLOWED: dict[str, frozenset[str]] = {
    C.DRAFT: frozenset({C.SUBMITTED}),
    C.SUBMITTED: frozenset({C.PUBLISHED, C.RETURNED, C.WITHDRAWN}),
    C.PUBLISHED: frozenset({C.WITHDRAWN, C.SUSPENDED, C.RETURNED}),
    C.RETURNED: frozenset({C.SUBMITTED, C.WITHDRAWN}),
    C.WITHDRAWN: frozenset({C.SUBMITTED}),
    # A suspended capability only comes back by reinstatement; its firm cannot withdraw it
    # (withdrawing and resubmitting would republish it past the committee).
    C.SUSPENDED: frozenset({C.PUBLISHED}),
}

PILOT_ALLOWED: dict[str, frozenset[str]] = {
    P.PROPOSED: frozenset({P.RUNNING, P.DECLINED, P.WITHDRAWN}),
    P.DECLINED: frozenset(),
    P.WITHDRAWN: frozenset(),
    P.RUNNING: frozenset({P.VALIDATED, P.FAILED}),
    P.VALIDATED: frozenset(),
    P.FAILED: frozenset(),
}

# A proposal the committee declined or the agency withdrew: the pilot never ran, and the pair
# may be proposed again.
PILOT_NEVER_RAN = frozenset({P.DECLINED, P.WITHDRAWN})

# An agency edits its need only before review or after it came back.
NEED_EDITABLE = frozenset({N.DRAFT, N.RETURNED})
# A firm edits a capability while it is off the list.
CAPABILITY_EDITABLE = frozenset({C.DRAFT, C.RETURNED, C.WITHDRAWN})
# The opportunity list (机会清单) shows these, to everyone.
PUBLIC_NEED_STATUSES = (N.PUBLISHED, N.IN_VALIDATION, N.VALIDATED, N.SCALED)
# Matching keeps scoring these (a need may hold several pilots).
MATCHABLE_NEED_STATUSES = (N.PUBLISHED, N.IN_VALIDATION)
# Experts score needs in these.
ASSESSABLE_NEED_STATUSES = frozenset({N.IN_REVIEW, N.PUBLISHED})
# Agencies' drafts are theirs alone: committees see a need once it has been submitted.
NOT_YET_SUBMITTED = (N.DRAFT,)
