#!/usr/bin/env bash
# Drill: PostgreSQL restarts and goes away under a running web server (gunicorn) and Celery
# worker. Everything runs against a THROWAWAY cluster (initdb into a temporary directory,
# 127.0.0.1:$DRILL_PG_PORT) and a queue of its own on $REDIS_URL; all of it is removed at the
# end, whatever happens. Run as root (the cluster runs as the postgres user) or as postgres.
#
#   scripts/drills/postgres_restart.sh
#
# Expected: 200s before; after a restart while idle, still 200 (dead pooled connections are
# replaced); while stopped, the API's JSON 503 with Retry-After, a plain 503 page and
# /healthz 503; after the start, 200s from the same gunicorn and Celery processes and a task
# that succeeds. docs/operations.md ("Faults and drills") records a run.
source "$(dirname "$0")/lib.sh"

PG_PORT=${DRILL_PG_PORT:-5499}
WEB_PORT=${DRILL_WEB_PORT:-8599}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/12}
export CELERY_QUEUE="drill-postgres-$$"
export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/drill"
export DJANGO_SETTINGS_MODULE=config.settings.production
export SECRET_KEY=drill-only-secret-key-not-for-use-anywhere-else ALLOWED_HOSTS=127.0.0.1
export SECURE_SSL_REDIRECT=false LOG_LEVEL=WARNING LISTS_WARM_COUNTS=false
BASE="http://127.0.0.1:$WEB_PORT"

cleanup() {
  drill_cleanup
  redis-cli -u "$REDIS_URL" del "$CELERY_QUEUE" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cd "$ROOT"

# One line per request: path, status, Retry-After, and the JSON body (a list: its count) or
# the page's <h1>. Extra arguments go to curl (a header).
probe() {
  local path=$1 code retry body
  shift
  code=$(curl -s -m 20 -o "$DRILL_DIR/body" -D "$DRILL_DIR/headers" -w '%{http_code}' "$@" \
    "$BASE$path")
  retry=$({ grep -i '^retry-after:' "$DRILL_DIR/headers" || true; } | tr -d '\r' | awk '{print $2}')
  body=$("$PY" - "$DRILL_DIR/body" <<'PYTHON'
import json, re, sys
text = open(sys.argv[1], encoding="utf-8").read()
try:
    data = json.loads(text)
except ValueError:
    found = re.search(r"<h1[^>]*>([^<]*)</h1>", text) or re.search(r"<title>([^<]*)", text)
    print("page: " + (found.group(1).strip() if found else text[:60]))
else:
    if isinstance(data, dict) and "results" in data:
        data = {"count": data["count"], "results": "..."}
    print(json.dumps(data, ensure_ascii=False)[:140])
PYTHON
)
  printf '  GET %-22s -> %s%s  %s\n' "$path" "$code" "${retry:+ (Retry-After: $retry)}" "$body"
}

probes() {
  probe /healthz
  probe /api/v1/public/needs/
  probe /api/v1/auth/me/ -H "Authorization: Token $TOKEN"
  probe /opportunities/
}

psql_drill() { "$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d drill -Atc "$1"; }

run_task() {
  local out run
  out=$("$PY" manage.py match --full --enqueue)
  run=${out//[^0-9]/}
  echo "  $out"
  wait_until "[ \"\$(psql_drill 'SELECT status FROM matching_matchrun WHERE id = $run')\" = done ]" 60
  echo "  run #$run: $(psql_drill "SELECT status || ', ' || total || ' needs, in ' ||
    round(extract(epoch FROM finished_at - started_at)::numeric, 2) || ' s'
    FROM matching_matchrun WHERE id = $run")"
}

processes() {
  local web_children worker_children
  web_children=$(pgrep -P "$WEB_PID" | sort -n | paste -sd, -)
  worker_children=$(pgrep -P "$WORKER_PID" | sort -n | paste -sd, -)
  echo "  gunicorn master $WEB_PID (workers $web_children), celery worker $WORKER_PID (pool $worker_children)"
}

say "throwaway PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
pg_cluster_start "$PG_PORT"
as_postgres "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres drill
export MATCHING_INDEX_DIR="$DRILL_DIR/matching"
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py load_reference >/dev/null
cat >"$DRILL_DIR/needs.json" <<'JSON'
[
 {"ref": "DRILL-1", "title": "城市内涝积水智能监测预警", "description": "在易涝点部署液位监测与预警平台，开放排水管网数据。",
  "category": "social_governance", "chains": ["digital-city"], "keywords": ["积水监测", "物联网"],
  "region_code": "360102", "validation_type": "technology", "min_trl": 5, "org_name": "南昌市东湖区城市管理局"},
 {"ref": "DRILL-2", "title": "低空物流无人机配送试点", "description": "开放医院间航线，验证多旋翼无人机即时配送血液样本。",
  "category": "social_governance", "chains": ["unmanned-low-altitude"], "keywords": ["无人机配送"],
  "region_code": "360102", "validation_type": "technology", "min_trl": 5, "org_name": "南昌市东湖区城市管理局"}
]
JSON
"$PY" manage.py import_needs "$DRILL_DIR/needs.json" --publish | sed 's/^/  /'
DJANGO_SUPERUSER_PASSWORD=drill-pass-2026 "$PY" manage.py createsuperuser --noinput \
  --username drill --email drill@example.cn >/dev/null
TOKEN=$("$PY" manage.py drf_create_token drill | awk '{print $3}')
echo "  migrated, reference data loaded, two needs published, an API user with a token"

say "gunicorn (2 workers, CONN_MAX_AGE=60, CONN_HEALTH_CHECKS) and a Celery worker (queue $CELERY_QUEUE)"
"$ROOT/.venv/bin/gunicorn" config.wsgi -w 2 -b "127.0.0.1:$WEB_PORT" --timeout 30 \
  >"$DRILL_DIR/web.log" 2>&1 &
WEB_PID=$!
DRILL_PIDS+=("$WEB_PID")
"$PY" -m celery -A config worker -Q "$CELERY_QUEUE" --concurrency=1 --pool=prefork \
  --loglevel=INFO --without-gossip --without-mingle --without-heartbeat \
  >"$DRILL_DIR/worker.log" 2>&1 &
WORKER_PID=$!
DRILL_PIDS+=("$WORKER_PID")
wait_until "curl -sf $BASE/healthz" 60
wait_until "grep -q 'ready' '$DRILL_DIR/worker.log'" 60
processes

say "1. before: everything answers, a task runs"
probes
run_task

say "2. pg_ctl restart while idle: the web workers' pooled connections are now dead"
pg_ctl_do restart
for _ in 1 2 3 4; do probe /api/v1/public/needs/; done

say "3. pg_ctl stop: the database is down"
pg_ctl_do stop
probes
start=$SECONDS
sleep 5

say "4. pg_ctl start after $((SECONDS - start + 1)) s down: the same processes serve again"
pg_ctl_do start
probes
run_task
processes

say "5. pg_ctl restart under steady requests (one every 50 ms)"
statuses="$DRILL_DIR/statuses"
: >"$statuses"
(
  while [ ! -f "$DRILL_DIR/stop-load" ]; do
    curl -s -m 20 -o /dev/null -w '%{http_code}\n' "$BASE/api/v1/public/needs/" >>"$statuses"
    sleep 0.05
  done
) &
LOAD_PID=$!
DRILL_PIDS+=("$LOAD_PID")
sleep 1
pg_ctl_do restart
sleep 2
touch "$DRILL_DIR/stop-load"
wait "$LOAD_PID" 2>/dev/null || true
echo "  statuses in order, run-length: $(uniq -c "$statuses" | awk '{printf "%s×%s ", $2, $1}')"
probes
processes

say "what the web server logged"
echo "  \"database unavailable\" lines: $(grep -c 'database unavailable' "$DRILL_DIR/web.log" || true)"
grep 'database unavailable' "$DRILL_DIR/web.log" | sed -E 's/^[0-9-]+ [0-9:,]+ //' \
  | sort | uniq -c | sort -rn | head -4 | cut -c1-160
echo "  tracebacks: $(grep -c '^Traceback' "$DRILL_DIR/web.log" || true)"
say "what the worker logged"
{ grep -E 'succeeded|ERROR|Traceback' "$DRILL_DIR/worker.log" || true; } \
  | sed -E 's/^\[[^]]*\] //' | cut -c1-120 | sed 's/^/  /'
say "cleaning up (cluster, processes, queue)"
