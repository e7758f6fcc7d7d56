"""Domain events: delivered after commit, never after a rollback, checked payloads, and a
failing receiver that cannot undo the sender's committed work."""

import pytest
from django.db import transaction

from core.events import DomainEvent


@pytest.fixture
def event():
    """A throwaway event with one recording receiver."""
    fired = DomainEvent("thing_happened", fields=("thing_id",), doc="A thing happened.")
    received: list[int] = []

    def receiver(sender, *, thing_id, **kwargs):
        received.append(thing_id)

    fired.connect(receiver, weak=False)
    fired.received = received  # type: ignore[attr-defined]
    return fired


@pytest.mark.django_db
def test_event_waits_for_the_commit(event, django_capture_on_commit_callbacks):
    # given / when
    with django_capture_on_commit_callbacks() as callbacks:
        event.send_after_commit(thing_id=7)

        # then: nothing yet inside the transaction
        assert event.received == []

    for callback in callbacks:
        callback()
    assert event.received == [7]


@pytest.mark.django_db
def test_event_sent_in_a_rolled_back_savepoint_is_dropped(
    event, django_capture_on_commit_callbacks
):
    # given
    def announce_then_fail():
        with transaction.atomic():
            event.send_after_commit(thing_id=1)
            raise RuntimeError("the service failed after announcing")

    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        announce_then_fail()

    # then
    assert callbacks == []
    assert event.received == []


@pytest.mark.django_db(transaction=True)
def test_event_after_a_real_commit_and_not_after_a_real_rollback(event):
    # when: one transaction commits, another rolls back
    def announce_then_fail():
        with transaction.atomic():
            event.send_after_commit(thing_id=2)
            raise RuntimeError("rolled back")

    with transaction.atomic():
        event.send_after_commit(thing_id=1)
    with pytest.raises(RuntimeError):
        announce_then_fail()

    # then
    assert event.received == [1]


def test_event_refuses_a_payload_it_does_not_declare(event):
    with pytest.raises(TypeError, match="thing_happened takes"):
        event.send_after_commit(thing_id=1, extra="no")
    with pytest.raises(TypeError):
        event.send_after_commit()


def test_failing_receiver_is_logged_and_the_others_still_run(event, settings, caplog):
    # given: a receiver that fails, connected before the recording one
    settings.DOMAIN_EVENTS_RAISE = False
    broken = DomainEvent("broken", fields=("thing_id",), doc="")
    seen: list[int] = []

    def fails(sender, **kwargs):
        raise ValueError("receiver bug")

    def records(sender, *, thing_id, **kwargs):
        seen.append(thing_id)

    broken.connect(fails, weak=False)
    broken.connect(records, weak=False)

    # when
    broken.deliver({"thing_id": 3})

    # then
    assert seen == [3]
    assert "receiver" in caplog.text
    assert "broken" in caplog.text


def test_failing_receiver_raises_when_configured(settings):
    settings.DOMAIN_EVENTS_RAISE = True
    broken = DomainEvent("broken", fields=(), doc="")

    def fails(sender, **kwargs):
        raise ValueError("receiver bug")

    broken.connect(fails, weak=False)

    with pytest.raises(ValueError, match="receiver bug"):
        broken.deliver({})
