#!/usr/bin/env bash
# Run the whole suite on PostgreSQL and Redis (defaults: the local servers).
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-$(command -v uv || echo "$PWD/.tools/bin/uv")}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/scenario_market}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/15}
exec "$UV" run pytest --cov --cov-report=term:skip-covered --cov-fail-under=${COVERAGE_FLOOR:-90} "$@"
