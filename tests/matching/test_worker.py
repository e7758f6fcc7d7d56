"""With a real Celery worker on Redis: publish → incremental run → explained matches, and a
worker killed in the middle of a full run whose run then resumes and finishes cleanly."""

import os
import signal
import time

import pytest
import redis
from django.db.models import Count

from matching.models import Match, MatchRun
from matching.services import runs
from reference.models import Region
from scenarios.events import bulk_publishing
from scenarios.services.capabilities import capability_submit
from scenarios.services.needs import need_submit
from scenarios.services.reviews import review_decide
from scenarios.services.setup import reference_load
from tests import factories
from tests.conftest import committee_member
from tests.matching.world import CAPS, NEEDS, publish_need
from tests.scenarios.helpers import make_capability, make_need
from tests.workers import QUEUE, start_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(settings):
    settings.CELERY_TASK_DEFAULT_QUEUE = QUEUE
    from config.celery import app

    app.conf.task_default_queue = QUEUE
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(QUEUE)
    reference_load()
    proc = start_worker()
    yield proc
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=20)
    app.conf.task_default_queue = "celery"


def test_worker_publish_to_explained_recommendations(worker, api):
    # given: published capabilities and a county agency with its reviewers
    agency = factories.AgencyFactory.create(region=Region.objects.get(code="360102"))
    editor = factories.member(agency, "agency_editor")
    firms = [factories.FirmFactory.create() for _ in range(3)]
    for i, (title, description, chains, keywords) in enumerate(CAPS):
        capability_submit(
            actor=None,
            capability=make_capability(
                firms[i % 3], title=title, description=description, chains=chains, keywords=keywords
            ),
        )
    wait_for(lambda: MatchRun.objects.filter(status="done").count() == len(CAPS), 60)
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

    # when: the city publishes it
    published_at = time.monotonic()
    review_decide(actor=committee_member("360100"), need=need, decision="approved")
    run = wait_for(
        lambda: MatchRun.objects.filter(scope="need", target_id=need.pk, status="done").first(), 30
    )
    elapsed = time.monotonic() - published_at

    # then: explained recommendations are visible to the agency through the API
    body = api.as_user(editor).get(f"/api/v1/matches/?need={need.pk}").json()
    assert body["count"] >= 3
    top = body["results"][0]
    assert top["capability_title"] == "多旋翼无人机即时配送系统"
    assert top["recommended"] is True
    assert set(top["breakdown"]["features"]) >= {"text", "chain", "keywords"}
    assert run.policy.version == 1
    assert elapsed < 30
    print(f"publish → visible recommendations: {elapsed:.2f}s")


def test_worker_killed_mid_run_resumes_without_duplicates(settings):
    # given: 40 published needs, 5 capabilities, chunks of one need each
    settings.CELERY_TASK_DEFAULT_QUEUE = QUEUE
    from config.celery import app

    app.conf.task_default_queue = QUEUE
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(QUEUE)
    reference_load()
    agency = factories.AgencyFactory.create(region=Region.objects.get(code="360102"))
    firms = [factories.FirmFactory.create() for _ in range(3)]
    with bulk_publishing():  # one full run for all of these, dropped below
        for i, (title, description, chains, keywords) in enumerate(CAPS):
            capability_submit(
                actor=None,
                capability=make_capability(
                    firms[i % 3],
                    title=title,
                    description=description,
                    chains=chains,
                    keywords=keywords,
                ),
            )
        for n in range(40):
            title, description, chains, keywords, region = NEEDS[n % len(NEEDS)]
            publish_need(
                agency,
                title=f"{title}{n}",
                description=description,
                chains=chains,
                keywords=keywords,
                region=region,
            )
    MatchRun.objects.all().delete()
    settings.MATCHING_CHUNK_SIZE = 1
    first = start_worker({"MATCHING_CHUNK_SIZE": "1"})
    try:
        # when: a full run starts and its worker is killed after a few chunks
        run = runs.match_run_request(scope="full")
        wait_for(lambda: MatchRun.objects.get(pk=run.pk).processed >= 3, 60, interval=0.01)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        stuck = MatchRun.objects.get(pk=run.pk)
        assert stuck.status == "running"
        assert stuck.processed < stuck.total == 40
    finally:
        if first.poll() is None:
            first.kill()
    second = start_worker({"MATCHING_CHUNK_SIZE": "1"})
    try:
        runs.match_run_resume(run_id=run.pk)  # what the beat's resume_stalled does
        done = wait_for(lambda: MatchRun.objects.filter(pk=run.pk, status="done").first(), 90)
    finally:
        second.terminate()
        second.wait(timeout=20)
        app.conf.task_default_queue = "celery"

    # then: every need scored once, no duplicate rows, same ranking as an inline rerun
    assert done.processed == 40
    dupes = (
        Match.objects.filter(run=done)
        .values("need_id", "capability_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not dupes.exists()
    assert Match.objects.filter(run=done).values("need_id").distinct().count() == 40
    settings.MATCHING_CHUNK_SIZE = 1000
    rerun = runs.match_run_request(scope="full", enqueue=False)
    runs.match_run_execute(run_id=rerun.pk)
    same = {
        (m.need_id, m.capability_id, m.rank, round(m.score, 9))
        for m in Match.objects.filter(run=done)
    }
    again = {
        (m.need_id, m.capability_id, m.rank, round(m.score, 9))
        for m in Match.objects.filter(run=rerun)
    }
    assert same == again
