"""Who acts on the platform: a signed-in user or an anonymous visitor.

Services take ``actor: Actor | None``; ``None`` is the platform itself (imports run by an
operator, beat schedules, event receivers).
"""

from django.contrib.auth.models import AnonymousUser, User

Actor = User | AnonymousUser


def acting_user(actor: Actor | None) -> User | None:
    """The user to record as the author of a row (``None`` for the system or anonymous)."""
    return actor if isinstance(actor, User) else None
