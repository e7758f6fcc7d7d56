# Shared by the drills: a throwaway PostgreSQL cluster, the project's Python, and cleanup.
# Sourced, not run. Every process a drill starts is recorded and stopped by `drill_cleanup`.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY="$ROOT/.venv/bin/python"
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
DRILL_PIDS=()
DRILL_DIR=""

say() { printf '\n== %s\n' "$*"; [ -z "${DRILL_TIMES:-}" ] || printf '   [%s s]\n' "$SECONDS"; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A new cluster in a temporary directory, listening on 127.0.0.1:$1 only (trust auth).
pg_cluster_start() {
  local port=$1
  DRILL_DIR=$(mktemp -d /tmp/drill-pg.XXXXXX)
  chmod 755 "$DRILL_DIR"
  mkdir -p "$DRILL_DIR/data" "$DRILL_DIR/sock"
  [ "$(id -u)" = 0 ] && chown postgres: "$DRILL_DIR/data" "$DRILL_DIR/sock" "$DRILL_DIR"
  as_postgres "$PGBIN/initdb" -D "$DRILL_DIR/data" -A trust -U postgres -E UTF8 >/dev/null
  PG_PORT=$port
  pg_ctl_do start
}

pg_ctl_do() {
  as_postgres "$PGBIN/pg_ctl" -D "$DRILL_DIR/data" -l "$DRILL_DIR/postgres.log" -w -m fast \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$DRILL_DIR/sock" \
    "$@" >/dev/null
}

# Wait until $1 (a command) succeeds, at most $2 seconds.
wait_until() {
  local deadline=$((SECONDS + $2))
  until eval "$1" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then echo "timed out waiting for: $1" >&2; return 1; fi
    sleep 0.2
  done
}

drill_cleanup() {
  local pid
  for pid in "${DRILL_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${DRILL_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ -n "$DRILL_DIR" ] && [ -d "$DRILL_DIR/data" ]; then
    as_postgres "$PGBIN/pg_ctl" -D "$DRILL_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$DRILL_DIR"
  fi
}
