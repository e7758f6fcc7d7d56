"""How matching reacts to the scenarios app's events (``scenarios.events``).

Each receiver starts the run that a matching service decides on; none holds a rule of its
own. They run after the publishing transaction commits, so the rows they read are there.

==========================  =================================================================
event                       matching starts
==========================  =================================================================
need_published              a run for that need (``match_run_after_publication``)
capability_published        a run for the needs the capability enters (same)
capability_withdrawn        a run for the needs whose candidates hold it
                            (``match_run_after_withdrawal``)
lists_bulk_published        one full run
negative_list_changed       one full run (entries add or remove candidates everywhere)
policy_changed              a full run if matching's weights or k changed
                            (``match_run_after_policy_change``)
==========================  =================================================================
"""

from typing import Any

from matching.models import RunScope
from matching.services import runs
from matching.services.recommendations import (
    check_pair_proposable,
    pair_objection,
    settle_pair_on_pilot,
)
from scenarios import events
from scenarios.services.pilots import (
    add_pair_objection,
    add_pilot_start_hook,
    add_proposal_check,
)


def on_need_published(sender: str, *, need_id: int, **kwargs: Any) -> None:
    runs.match_run_after_publication(scope=RunScope.NEED, object_id=need_id)


def on_capability_published(sender: str, *, capability_id: int, **kwargs: Any) -> None:
    runs.match_run_after_publication(scope=RunScope.CAPABILITY, object_id=capability_id)


def on_capability_withdrawn(sender: str, *, capability_id: int, **kwargs: Any) -> None:
    runs.match_run_after_withdrawal(capability_id=capability_id)


def on_lists_changed(sender: str, **kwargs: Any) -> None:
    runs.match_run_request(scope=RunScope.FULL)


def on_policy_changed(sender: str, *, version: int, **kwargs: Any) -> None:
    runs.match_run_after_policy_change(version=version)


RECEIVERS = (
    (events.need_published, on_need_published),
    (events.capability_published, on_capability_published),
    (events.capability_withdrawn, on_capability_withdrawn),
    (events.lists_bulk_published, on_lists_changed),
    (events.negative_list_changed, on_lists_changed),
    (events.policy_changed, on_policy_changed),
)


def connect() -> None:
    """Subscribe every receiver, and make an agency's pilot proposal name a pair on its
    shortlist, which the scenarios app knows nothing of (called once from
    ``MatchingConfig.ready``)."""
    for event, receiver in RECEIVERS:
        event.connect(receiver, dispatch_uid=f"matching.{receiver.__name__}:{event.name}")
    add_proposal_check(check_pair_proposable)
    add_pair_objection(pair_objection)
    add_pilot_start_hook(settle_pair_on_pilot)
