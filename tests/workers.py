"""Real Celery workers for the tests that need one: a worker process on Redis, on a queue of
the test process's own, against the test database."""

import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
QUEUE = f"test-{os.getpid()}"


def start_worker(
    extra_env: dict[str, str] | None = None, *, new_session: bool = False
) -> subprocess.Popen:
    """A prefork worker with one child on ``QUEUE``. ``new_session`` puts it in a process
    group of its own, so that ``os.killpg`` can kill the parent and its child at once (a
    container killed for memory), not just the parent."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "CELERY_QUEUE": QUEUE,
        "MATCHING_INDEX_DIR": settings.MATCHING_INDEX_DIR,
        **(extra_env or {}),
    }
    Path(settings.MATCHING_INDEX_DIR).parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(  # noqa: S603 - our own worker, fixed arguments
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            QUEUE,
            "--concurrency=1",
            "--pool=prefork",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(f"{settings.MATCHING_INDEX_DIR}-worker.log", "ab"),
        start_new_session=new_session,
    )


def wait_for(predicate, timeout: float, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s")
