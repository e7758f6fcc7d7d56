"""With a real Celery worker: a need and a capability published while the broker was down are
matched once the broker is back and the outbox is drained, each run exactly once."""

import pytest
import redis
from celery import current_app
from django.conf import settings
from django.core.management import call_command

from core.models import OutboxMessage
from matching.models import Match, MatchRun
from reference.models import Region
from scenarios.services.capabilities import capability_submit
from scenarios.services.needs import need_submit
from scenarios.services.reviews import review_decide
from scenarios.services.setup import reference_load
from tests import factories
from tests.api.test_redis_down import CLOSED_PORT, use_broker
from tests.conftest import committee_member
from tests.matching.world import CAPS
from tests.scenarios.helpers import make_capability, make_need
from tests.workers import QUEUE, start_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(monkeypatch):
    monkeypatch.setitem(current_app.conf, "task_default_queue", QUEUE)
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(QUEUE)
    reference_load()
    proc = start_worker()
    yield proc
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=20)


def test_outbox_drained_publications_are_matched_by_a_real_worker(worker, monkeypatch):
    # given: the broker is down while a capability and a need are published
    use_broker(monkeypatch, CLOSED_PORT)
    agency = factories.AgencyFactory.create(region=Region.objects.get(code="360102"))
    editor = factories.member(agency, "agency_editor")
    title, description, chains, keywords = CAPS[1]
    capability = capability_submit(
        actor=None,
        capability=make_capability(
            factories.FirmFactory.create(),
            title=title,
            description=description,
            chains=chains,
            keywords=keywords,
        ),
    )
    need = need_submit(
        actor=editor,
        need=make_need(
            agency,
            region="360102",
            title="低空物流无人机配送试点",
            description="开放医院间航线，验证多旋翼无人机即时配送血液样本。",
            chains=["unmanned-low-altitude"],
            keywords=["无人机配送", "航线规划"],
        ),
    )
    need = review_decide(actor=committee_member("360102"), need=need, decision="approved")
    review_decide(actor=committee_member("360100"), need=need, decision="approved")
    waiting = list(OutboxMessage.objects.filter(sent_at__isnull=True).order_by("pk"))
    assert [m.task_name for m in waiting] == ["matching.execute_run", "matching.execute_run"]
    assert set(MatchRun.objects.values_list("status", flat=True)) == {"pending"}

    # when: the broker is back and the outbox is drained (twice: the second sends nothing)
    use_broker(monkeypatch, settings.CELERY_BROKER_URL)
    call_command("drain_outbox")
    call_command("drain_outbox")

    # then: the worker runs both, once each, and the need's candidates include the capability
    wait_for(lambda: not MatchRun.objects.exclude(status="done").exists(), 60)
    done = set(MatchRun.objects.values_list("pk", flat=True))
    assert done == {m.kwargs["run_id"] for m in waiting}
    assert all(m.attempts == 2 and m.sent_at for m in OutboxMessage.objects.all())
    match = Match.objects.current().get(need=need, capability=capability)
    assert match.recommended is True
