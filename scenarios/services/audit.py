"""The audit trail writer used by every service that changes state."""

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import models

from scenarios.models import AuditEvent


def audit_record(
    *,
    actor: User | AnonymousUser | None,
    action: str,
    target: models.Model,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row; call inside the service's transaction so both commit together."""
    return AuditEvent.objects.create(
        actor=actor if isinstance(actor, User) else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data or {},
    )
