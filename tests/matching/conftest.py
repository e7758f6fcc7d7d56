"""Fixtures for matching tests: a small published province built through the services."""

import pytest

from tests.matching.world import build_province


@pytest.fixture
def province(db, agency):
    """Three published needs of one agency and five published capabilities of three firms."""
    return build_province(agency)
