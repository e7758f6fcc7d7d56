"""The authorization world, built once per test module and rolled back at its end."""

import pytest
from django.core.cache import cache
from django.db import transaction

from tests.api.authorization_world import build_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Our and another city's objects in every state (``authorization_world``)."""
    with django_db_blocker.unblock(), transaction.atomic():
        cache.clear()
        yield build_world()
        transaction.set_rollback(True)
