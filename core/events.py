"""Domain events: named facts that one app announces after its transaction commits.

A lower app defines its events (``scenarios.events`` for instance) and sends them from its
services; a higher app connects receivers to them in its ``AppConfig.ready()``. The sender
never imports a receiver, so every import arrow points one way.

- Delivery waits for the commit (``transaction.on_commit``): a rolled-back transaction
  announces nothing, and a receiver always sees the committed rows.
- Payloads are JSON primitives (ids, codes), named and checked against the event's
  declared fields, so a receiver can hand them straight to a Celery task.
- A receiver only starts work that its own app's services own; no business rule lives in
  a receiver.
- The sender's work is committed before any receiver runs, so a failing receiver cannot
  undo it: the failure is logged (and re-raised when ``DOMAIN_EVENTS_RAISE`` is on, as in
  the test settings), and the other receivers still run.
"""

import functools
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)


class DomainEvent(Signal):
    """One named event with a documented payload; receivers connect as to a Django signal.

    Receivers take ``sender`` (the event's name) and the payload as keyword arguments.
    """

    def __init__(self, name: str, *, fields: Iterable[str], doc: str) -> None:
        super().__init__()
        self.name = name
        self.fields = tuple(fields)
        self.__doc__ = doc

    def __repr__(self) -> str:
        return f"<DomainEvent {self.name}({', '.join(self.fields)})>"

    def send_after_commit(self, **payload: Any) -> None:
        """Deliver ``payload`` to every receiver once the current transaction commits."""
        if set(payload) != set(self.fields):
            raise TypeError(f"{self.name} takes {self.fields}, got {tuple(sorted(payload))}")
        transaction.on_commit(functools.partial(self.deliver, payload))

    def deliver(self, payload: dict[str, Any]) -> None:
        """Call every receiver now; a failure is logged, the other receivers still run."""
        for receiver, result in self.send_robust(sender=self.name, **payload):
            if isinstance(result, Exception):
                logger.error("receiver %s of %s failed", receiver, self.name, exc_info=result)
                if settings.DOMAIN_EVENTS_RAISE:
                    raise result
