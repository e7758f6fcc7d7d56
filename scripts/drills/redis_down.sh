#!/usr/bin/env bash
# Drill: the broker (Redis) goes down under gunicorn, a Celery worker and beat, and comes back
# empty. Uses a THROWAWAY PostgreSQL cluster and a THROWAWAY redis-server on its own port
# (never the shared Redis); everything is removed at the end, whatever happens.
#
#   scripts/drills/redis_down.sh
#
# Expected: while Redis is down, a write that sends a task still answers and its task waits
# in the outbox; `manage.py drain_outbox` exits 1 saying so; once Redis is back, beat's
# core.drain_outbox sends it (OUTBOX_DRAIN_SECONDS, 10 s here) and the worker runs it once.
source "$(dirname "$0")/lib.sh"

PG_PORT=${DRILL_PG_PORT:-5497}
REDIS_PORT=${DRILL_REDIS_PORT:-6397}
WEB_PORT=${DRILL_WEB_PORT:-8597}
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/drill"
export DJANGO_SETTINGS_MODULE=config.settings.production
export SECRET_KEY=drill-only-secret-key-not-for-use-anywhere-else ALLOWED_HOSTS=127.0.0.1
export SECURE_SSL_REDIRECT=false LOG_LEVEL=WARNING LISTS_WARM_COUNTS=false
export OUTBOX_DRAIN_SECONDS=10
BASE="http://127.0.0.1:$WEB_PORT"
REDIS_PID=""

cleanup() {
  [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null || true
  drill_cleanup
}
trap cleanup EXIT
cd "$ROOT"

redis_start() {
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$DRILL_DIR" --logfile "$DRILL_DIR/redis.log" &
  REDIS_PID=$!
  wait_until "redis-cli -p $REDIS_PORT ping | grep -q PONG" 20
}

redis_stop() {
  kill "$REDIS_PID"
  wait "$REDIS_PID" 2>/dev/null || true
  REDIS_PID=""
}

sql() { "$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d drill -Atc "$1"; }

outbox() {
  echo "  outbox: $(sql "SELECT coalesce(string_agg('#' || id || ' ' || task_name || ' ' || kwargs::text
    || ' attempts=' || attempts || CASE WHEN sent_at IS NULL THEN ' PENDING' ELSE ' sent' END,
    '; ' ORDER BY id), '(empty)') FROM core_outboxmessage")"
}

runs() {
  echo "  runs:   $(sql "SELECT string_agg('#' || id || ' ' || status, ', ' ORDER BY id)
    FROM matching_matchrun")"
}

start_run() {
  local started=$SECONDS out
  out=$(curl -s -m 30 -w ' HTTP %{http_code} in %{time_total} s' -H "Authorization: Token $TOKEN" \
    -H 'Content-Type: application/json' -d '{"scope": "full"}' "$BASE/api/v1/match-runs/")
  echo "  POST /api/v1/match-runs/ {\"scope\": \"full\"} ->${out##*\}} $(echo "${out%\}*}}" \
    | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print({"id": d["id"], "status": d["status"]})')"
}

say "throwaway PostgreSQL on 127.0.0.1:$PG_PORT and redis-server on 127.0.0.1:$REDIS_PORT"
pg_cluster_start "$PG_PORT"
as_postgres "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres drill
export MATCHING_INDEX_DIR="$DRILL_DIR/matching"
redis_start
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py load_reference >/dev/null
TOKEN=$("$PY" manage.py shell -c "
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from accounts.choices import Role
from accounts.models import Committee
from accounts.services.organizations import membership_grant
user = User.objects.create_user('province-drill', password='drill-pass-2026')
committee = Committee.objects.select_related('organization').get(region_id='360000')
membership_grant(actor=None, user=user, organization=committee.organization, role=Role.COMMITTEE_MEMBER)
print(Token.objects.create(user=user).key)" | tail -1)
echo "  migrated, reference data loaded, a province committee member with an API token"

"$ROOT/.venv/bin/gunicorn" config.wsgi -w 2 -b "127.0.0.1:$WEB_PORT" --timeout 30 \
  >"$DRILL_DIR/web.log" 2>&1 &
DRILL_PIDS+=($!)
"$PY" -m celery -A config worker --concurrency=1 --loglevel=INFO --without-gossip \
  --without-mingle --without-heartbeat >"$DRILL_DIR/worker.log" 2>&1 &
DRILL_PIDS+=($!)
"$PY" -m celery -A config beat --schedule "$DRILL_DIR/beat-schedule" --loglevel=INFO \
  >"$DRILL_DIR/beat.log" 2>&1 &
DRILL_PIDS+=($!)
wait_until "curl -sf $BASE/healthz" 60
wait_until "grep -q 'ready' '$DRILL_DIR/worker.log'" 60

curl -s -o /dev/null -H "Authorization: Token $TOKEN" "$BASE/api/v1/match-runs/"  # warm-up
curl -s -o /dev/null -H "Authorization: Token $TOKEN" "$BASE/api/v1/match-runs/"

say "1. Redis up: a run is sent at once"
start_run
wait_until "[ \"\$(sql 'SELECT count(*) FROM matching_matchrun WHERE status <> \$\$done\$\$')\" = 0 ]" 60
runs
outbox

say "2. Redis stopped"
redis_stop
echo "  GET /healthz -> $(curl -s -m 30 -w ' HTTP %{http_code}' "$BASE/healthz")"
start_run
runs
outbox
printf '  $ python manage.py drain_outbox\n'
status=0
"$PY" manage.py drain_outbox >"$DRILL_DIR/out" 2>&1 || status=$?
sed -E 's/^[0-9-]+ [0-9:,]+ //; s/^/    /' "$DRILL_DIR/out"
echo "    (exit $status)"
grep -h 'could not enqueue' "$DRILL_DIR/web.log" | sed -E 's/^[0-9-]+ [0-9:,]+ /  web log: /'


say "3. Redis back, empty (no persistence): beat drains the outbox, the worker runs the task"
sleep 3
redis_start
back=$SECONDS
wait_until "[ \"\$(sql 'SELECT count(*) FROM core_outboxmessage WHERE sent_at IS NULL')\" = 0 ]" 90
echo "  outbox empty $((SECONDS - back)) s after Redis came back"
wait_until "[ \"\$(sql 'SELECT count(*) FROM matching_matchrun WHERE status <> \$\$done\$\$')\" = 0 ]" 60
echo "  every run done $((SECONDS - back)) s after Redis came back"
runs
outbox
echo "  worker log: matching.execute_run succeeded $(grep -c 'matching.execute_run.*succeeded' \
  "$DRILL_DIR/worker.log") times, core.drain_outbox $(grep -c 'core.drain_outbox.*succeeded' \
  "$DRILL_DIR/worker.log") times"
echo "  GET /healthz -> $(curl -s -m 30 -w ' HTTP %{http_code}' "$BASE/healthz")"
say "cleaning up (processes, redis-server, cluster)"
