"""The load test's locustfile imports and its users request every endpoint of the report.

Locust patches the standard library with gevent when it is imported, so the locustfile is
driven in a child process: each user class's tasks run once against a fake client that
records the request names. The load itself is ``bench/load.py`` (minutes; not a test).
"""

import json
import subprocess
import sys
from pathlib import Path

from bench import load

ROOT = Path(__file__).resolve().parent.parent

DRIVER = r"""
import json
import bench.locustfile as lf


class Response:
    def __init__(self, status, body):
        self.status_code, self.body, self.text = status, body, json.dumps(body)

    def json(self):
        return self.body

    def success(self):
        pass

    def failure(self, message):
        raise AssertionError(message)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class Client:
    def __init__(self):
        self.names = []

    def request(self, method, path, name):
        self.names.append(name)
        if method == "POST" and path.endswith("/needs/"):
            return Response(201, {"id": 7, "version": 1})
        if "/reviews/queue/" in path:
            return Response(200, {"results": [{"need": {"id": 7, "version": 2}}]})
        return Response(200, {"results": [{"id": 1}]} if method == "GET" else {})

    def get(self, path, *, name, headers=None, catch_response=False):
        return self.request("GET", path, name)

    def post(self, path, *, name, json=None, headers=None, catch_response=False):
        return self.request("POST", path, name)


names = {}
for class_name in lf.READ_USERS + lf.WRITE_USERS:
    user = object.__new__(getattr(lf, class_name))
    user.client = Client()
    user.wait = lambda: None
    user.on_start()
    for task in dict.fromkeys(type(user).tasks):
        task(user)
    names[class_name] = sorted(set(user.client.names))
print(json.dumps({"names": names, "endpoints": lf.ENDPOINTS, "read": lf.READ_USERS,
                  "write": lf.WRITE_USERS}))
"""

FIXTURE = {
    "cities": ["360100"],
    "chains": ["digital-city"],
    "need_ids": [1],
    "need_words": ["检测"],
    "capability_words": ["激光雷达"],
    "need_templates": [
        {
            "title": "智慧园区巡检",
            "description": "需求描述",
            "category": "livelihood",
            "chains": ["digital-city"],
            "keywords": ["巡检"],
            "validation_type": "technology",
            "min_trl": 5,
        }
    ],
    "agencies": [{"id": 1, "token": "a", "need_ids": [1]}],
    "firms": [{"id": 2, "token": "f", "match_ids": [3]}],
    "committees": [{"region": "360100", "token": "c"}],
    "pipelines": [
        {"agency_token": "a", "region": "360102", "county_token": "c", "city_token": "c"}
    ],
    "responders": [{"firm_id": 2, "id": 2, "token": "f", "match_ids": [3]}],
}


def test_locustfile_users_request_every_reported_endpoint(tmp_path):
    fixture = tmp_path / "fixture.json"
    fixture.write_text(json.dumps(FIXTURE, ensure_ascii=False), encoding="utf-8")

    child = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-c", DRIVER],
        cwd=ROOT,
        env={"LOAD_FIXTURE": str(fixture), "LOAD_PIPELINES": "1", "LOAD_RESPONDERS": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert child.returncode == 0, child.stderr
    out = json.loads(child.stdout.strip().splitlines()[-1])
    requested = {name for names in out["names"].values() for name in names}
    assert requested == set(out["endpoints"])
    assert all(out["names"].values())  # every user class requests something
    assert load.MIXES["read"] == tuple(out["read"])
    assert load.MIXES["write"] == tuple(out["read"] + out["write"])
