"""The domain events of the scenarios app: what happened to the lists, told after commit.

Services send them; other apps subscribe in their ``AppConfig.ready()`` (the matching app
in ``matching.receivers``). Payloads are ids, flags and counts; a receiver reads fresh
state.

=======================  ===========================  =========================================
event                    payload                      sent when
=======================  ===========================  =========================================
need_published           need_id                      a need is published (last review tier, or
                                                      imported as published)
capability_published     capability_id                a capability is published (submitted by a
                                                      verified firm, firm verified, reinstated)
capability_withdrawn     capability_id                a published capability leaves the list
                                                      (withdrawn, suspended or returned)
lists_bulk_published     needs, capabilities,         a bulk import or the demo changed many
                         negative_list_entries        items at once (instead of one event each)
negative_list_changed    entry_id, active             a negative-list entry is added or switched
                                                      off
policy_changed           version                      the province issued a new policy version
=======================  ===========================  =========================================
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from core.events import DomainEvent

need_published = DomainEvent(
    "need_published",
    fields=("need_id",),
    doc="A need was published: it is on the opportunity list and open to matching.",
)
capability_published = DomainEvent(
    "capability_published",
    fields=("capability_id",),
    doc="A capability was published: it is on the capability list and open to matching.",
)
capability_withdrawn = DomainEvent(
    "capability_withdrawn",
    fields=("capability_id",),
    doc="A published capability left the list (withdrawn, suspended or returned).",
)
lists_bulk_published = DomainEvent(
    "lists_bulk_published",
    fields=("needs", "capabilities", "negative_list_entries"),
    doc="Many items were published (or negative-list entries changed) at once: an import, "
    "the demo. The payload counts each kind.",
)
negative_list_changed = DomainEvent(
    "negative_list_changed",
    fields=("entry_id", "active"),
    doc="A negative-list entry was added (active) or switched off.",
)
policy_changed = DomainEvent(
    "policy_changed",
    fields=("version",),
    doc="The province committee issued a new policy version.",
)

ALL_EVENTS = (
    need_published,
    capability_published,
    capability_withdrawn,
    lists_bulk_published,
    negative_list_changed,
    policy_changed,
)


@dataclass
class _Batch:
    needs: int = 0
    capabilities: int = 0
    negative_list_entries: int = 0

    def __bool__(self) -> bool:
        return bool(self.needs or self.capabilities or self.negative_list_entries)


_batch: ContextVar[_Batch | None] = ContextVar("scenarios_bulk_publishing", default=None)


@contextmanager
def bulk_publishing() -> Iterator[None]:
    """Inside, publications and negative-list changes are counted instead of announced one
    by one; on leaving, one ``lists_bulk_published`` follows (after commit) if anything
    changed.

    For imports and the demo data, where hundreds of items publish in one go. Nested
    blocks announce once, when the outermost one ends.
    """
    outer = _batch.get()
    token = _batch.set(outer if outer is not None else _Batch())
    try:
        yield
    finally:
        batch = _batch.get()
        _batch.reset(token)
        if outer is None and batch:
            lists_bulk_published.send_after_commit(
                needs=batch.needs,
                capabilities=batch.capabilities,
                negative_list_entries=batch.negative_list_entries,
            )


def announce_need_published(*, need_id: int) -> None:
    """Send ``need_published`` after commit, or count it into the current bulk batch."""
    batch = _batch.get()
    if batch is not None:
        batch.needs += 1
    else:
        need_published.send_after_commit(need_id=need_id)


def announce_capability_published(*, capability_id: int) -> None:
    """Send ``capability_published`` after commit, or count it into the current bulk batch."""
    batch = _batch.get()
    if batch is not None:
        batch.capabilities += 1
    else:
        capability_published.send_after_commit(capability_id=capability_id)


def announce_negative_list_changed(*, entry_id: int, active: bool) -> None:
    """Send ``negative_list_changed`` after commit, or count it into the current bulk batch."""
    batch = _batch.get()
    if batch is not None:
        batch.negative_list_entries += 1
    else:
        negative_list_changed.send_after_commit(entry_id=entry_id, active=active)


def announce_many_published(*, needs: int = 0, capabilities: int = 0) -> None:
    """Count many publications into the current bulk batch at once (a set-based import);
    outside one, one ``lists_bulk_published`` follows after commit: never one event (nor one
    matching task) per item."""
    if not (needs or capabilities):
        return
    batch = _batch.get()
    if batch is not None:
        batch.needs += needs
        batch.capabilities += capabilities
    else:
        lists_bulk_published.send_after_commit(
            needs=needs, capabilities=capabilities, negative_list_entries=0
        )
