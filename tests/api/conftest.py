import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api():
    """An API client; ``api.as_user(u)`` authenticates it with a token-less force login."""

    class Client(APIClient):
        def as_user(self, user):
            self.force_authenticate(user=user)
            return self

    return Client()
