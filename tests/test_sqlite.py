"""``make run`` uses SQLite: the portal, its search and counts, and the public API there."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.factories import credit_code_for

ROOT = Path(__file__).resolve().parents[1]


def test_pages_search_and_writes_work_on_the_embedded_sqlite(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "CI_UNUSED")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        MATCHING_INDEX_DIR=str(tmp_path / "matching"),
        DEBUG="false",
        SECRET_KEY="sqlite-smoke-only",
    )
    result = subprocess.run(  # noqa: S603 - our interpreter and script
        [sys.executable, "-m", "tests.sqlite_smoke", credit_code_for(4242)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    skip = ("search hits", "keyword search", "review tiers")
    statuses = {k: v for k, v in answers.items() if k not in skip}
    assert statuses == {
        **{k: 200 for k in statuses if k.startswith("/")},
        # an id beyond 64 bits is refused, not an OverflowError
        "/api/v1/public/needs/?agency=9223372036854775808": 400,
        "POST pilot need=2**64": 400,
        "POST need": 302,
        "POST submit": 302,
        "POST decide": 302,
    }
    assert answers["review tiers"] == [["county", 1]]
    assert answers["search hits"] >= 1
    assert answers["keyword search"] == {
        "储能": 1,
        "[储能]": 1,
        '"1,000吨"': 1,
        "ocr": 1,
        "u": 0,
        "5": 0,
        "'\"'": 0,
        '","': 1,  # inside "1,000吨", never the list's own commas
        "[": 1,
    }
