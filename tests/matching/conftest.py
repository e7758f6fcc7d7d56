"""Fixtures for matching tests: a small published province built through the services."""

import pytest

from tests.matching.world import build_province


@pytest.fixture
def province(db, agency):
    """Three published needs of one agency and five published capabilities of three firms."""
    return build_province(agency)


@pytest.fixture(autouse=True)
def fresh_matching_worker(settings):
    """Each test starts as a fresh worker: no warm engine, no shared index head."""
    from pathlib import Path

    from matching import index

    index._WARM.clear()
    for head in Path(settings.MATCHING_INDEX_DIR).glob("head-*.json"):
        head.unlink(missing_ok=True)
    yield
    index._WARM.clear()
