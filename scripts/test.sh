#!/usr/bin/env bash
# Run the whole suite on PostgreSQL and Redis (defaults: the local servers), then the API,
# exchange and demo tests (the authorization table and the signed-in fuzz included) again on
# SQLite, the embedded default of `make run`. Arguments go to the first run only and skip
# the second (a targeted run). Both runs spread the tests over TEST_WORKERS pytest-xdist
# processes (default 2; 0 runs them in this process), each with its own test database,
# Celery queue and index directory.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-$(command -v uv || echo "$PWD/.tools/bin/uv")}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/scenario_market}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/15}
WORKERS=(-n "${TEST_WORKERS:-2}")
"$UV" run pytest "${WORKERS[@]}" --cov --cov-report=term:skip-covered \
  --cov-fail-under=${COVERAGE_FLOOR:-90} "$@"
if [ $# -eq 0 ]; then
  echo "== the API, exchange and demo tests on SQLite (config.settings.test_sqlite) =="
  FUZZ_EXAMPLES=${FUZZ_EXAMPLES_SQLITE:-2} "$UV" run pytest "${WORKERS[@]}" --no-cov \
    --ds=config.settings.test_sqlite tests/api tests/scenarios/test_exchange*.py tests/test_demo.py
fi
