"""The scenarios app's announcements: one event per change, or one for a whole bulk block."""

import pytest

from scenarios import events
from scenarios.services.capabilities import capability_submit
from scenarios.services.negative_list import negative_entry_create
from tests.scenarios.helpers import make_capability, make_need

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    """Every scenarios event delivered during the test, as (name, payload)."""
    log: list[tuple[str, dict]] = []

    def record(sender, signal, **payload):
        log.append((sender, payload))

    for event in events.ALL_EVENTS:
        event.connect(record, weak=False, dispatch_uid="test-heard")
    yield log
    for event in events.ALL_EVENTS:
        event.disconnect(dispatch_uid="test-heard")


def delivered(callbacks) -> None:
    for callback in callbacks:
        callback()


def test_each_change_is_announced_on_its_own(
    heard, agency, firm, province_reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        need = make_need(agency, status="published")
        cap = capability_submit(actor=None, capability=make_capability(firm))
        entry = negative_entry_create(
            actor=province_reviewer, kind="keyword", keyword="落后工艺", reason="测试"
        )
    delivered(callbacks)

    assert ("need_published", {"need_id": need.pk}) in heard
    assert ("capability_published", {"capability_id": cap.pk}) in heard
    assert ("negative_list_changed", {"entry_id": entry.pk, "active": True}) in heard
    assert all(name != "lists_bulk_published" for name, _ in heard)


def test_a_bulk_block_announces_once_with_counts(
    heard, agency, firm, province_reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, events.bulk_publishing():
        for n in range(3):
            make_need(agency, status="published", title=f"批量需求{n}")
        with events.bulk_publishing():  # nested: still one announcement, at the outer end
            capability_submit(actor=None, capability=make_capability(firm))
        negative_entry_create(
            actor=province_reviewer, kind="keyword", keyword="落后工艺", reason="测试"
        )
    delivered(callbacks)

    assert heard == [
        (
            "lists_bulk_published",
            {"needs": 3, "capabilities": 1, "negative_list_entries": 1},
        )
    ]


def test_a_bulk_block_that_changed_nothing_announces_nothing(
    heard, agency, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, events.bulk_publishing():
        make_need(agency)  # a draft: nothing published

    delivered(callbacks)
    assert heard == []
