"""The outbox on the embedded SQLite with a broker (``make run`` with only ``REDIS_URL`` set):
SQLite has no row locks, so its drains rely on its write lock; rows wait and drain there too."""

import json
import os
import subprocess
import sys
from pathlib import Path

import redis
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
CLOSED_PORT = "redis://127.0.0.1:6390/0"  # nothing listens there
SCRIPT = """
import json, os, django
django.setup()
from celery import current_app
from django.core.management import call_command
from django.db import transaction
from core.models import OutboxMessage
from core.outbox import outbox_drain
from core.tasks import enqueue_on_commit

call_command("migrate", verbosity=0)
with transaction.atomic():
    enqueue_on_commit("matching.execute_run", run_id=1)
    enqueue_on_commit("scenarios.run_import", job_id=2)
try:
    with transaction.atomic():
        enqueue_on_commit("matching.execute_run", run_id=3)
        raise RuntimeError("rolled back")
except RuntimeError:
    pass
pending = list(OutboxMessage.objects.filter(sent_at__isnull=True).values_list("kwargs", flat=True))
down = outbox_drain()
current_app.conf.broker_url = os.environ["BROKER_BACK"]
current_app.conf.task_default_queue = os.environ["QUEUE"]
current_app._pool = None
current_app.amqp._producer_pool = None
up, again = outbox_drain(), outbox_drain()
print(json.dumps({"pending": pending, "down": [down.sent, down.pending, bool(down.error)],
                  "up": [up.sent, up.pending], "again": [again.sent, again.pending]}))
"""


def test_outbox_on_sqlite_keeps_rows_while_the_broker_is_down_and_drains_them(tmp_path):
    # given: the local settings on SQLite, with a broker that refuses
    queue = f"test-outbox-sqlite-{os.getpid()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": CLOSED_PORT,
        "BROKER_BACK": settings.CELERY_BROKER_URL,
        "QUEUE": queue,
        "LOG_LEVEL": "CRITICAL",
    }
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete(queue)

    # when
    try:
        result = subprocess.run(  # noqa: S603 - our interpreter, fixed code
            [sys.executable, "-W", "ignore", "-c", SCRIPT],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=300,
            check=False,
        )
        queued = broker.llen(queue)
    finally:
        broker.delete(queue)

    # then: the committed tasks waited, the rolled-back one never existed, each sent once
    assert result.returncode == 0, result.stderr[-3000:]
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert answers == {
        "pending": [{"run_id": 1}, {"job_id": 2}],
        "down": [0, 2, True],
        "up": [2, 0],
        "again": [0, 0],
    }
    assert queued == 2
