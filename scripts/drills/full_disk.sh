#!/usr/bin/env bash
# Drill: exports and a backup onto a file system that fills up. A real tmpfs (mounted for the
# drill, so root only) holds the output directory; the data comes from a THROWAWAY PostgreSQL
# cluster with the demo province. Everything is removed at the end, whatever happens.
#
#   scripts/drills/full_disk.sh
#
# Expected: with room, each command writes its file; with the disk full, each exits 1 with
# one line naming the file and "No space left on device", the previous file is byte for byte
# as it was, and no partial file is left beside it. docs/operations.md records a run.
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { echo "full_disk.sh mounts a tmpfs: run it as root" >&2; exit 2; }
PG_PORT=${DRILL_PG_PORT:-5498}
SIZE=${DRILL_TMPFS_SIZE:-8m}
export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/drill"
export DJANGO_SETTINGS_MODULE=config.settings.local DEBUG=false LOG_LEVEL=WARNING
unset REDIS_URL  # tasks in-process: the drill needs no broker
MOUNT=""

cleanup() {
  if [ -n "$MOUNT" ] && mountpoint -q "$MOUNT"; then umount "$MOUNT"; fi
  drill_cleanup
}
trap cleanup EXIT
cd "$ROOT"

# Run a command, show it, its output and its exit status.
run() {
  local status=0
  printf '  $ %s\n' "$*" | sed "s#$PY#python#; s#$MOUNT#\$MOUNT#g"
  "$@" >"$DRILL_DIR/out" 2>&1 || status=$?
  sed "s#$MOUNT#\$MOUNT#g; s/^/    /" "$DRILL_DIR/out"
  printf '    (exit %s)\n' "$status"
}

listing() {
  printf '  $ ls -l $MOUNT\n'
  (cd "$MOUNT" && ls -lA --time-style=+ | tail -n +2 | awk '{printf "    %8s  %s\n", $5, $NF}')
  printf '  $ df -k $MOUNT\n'
  df -k "$MOUNT" | tail -1 | awk '{printf "    %s KiB used of %s, %s KiB free\n", $3, $2, $4}'
}

checksums() { (cd "$MOUNT" && sha256sum 机会清单.json matches.csv site.dump | cut -c1-16,65-); }

say "throwaway PostgreSQL on 127.0.0.1:$PG_PORT with the demo province"
pg_cluster_start "$PG_PORT"
as_postgres "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres drill
export MATCHING_INDEX_DIR="$DRILL_DIR/matching"
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py load_reference >/dev/null
"$PY" manage.py seed_demo >/dev/null
"$PY" manage.py match --full >/dev/null
echo "  $("$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d drill -Atc \
  "SELECT (SELECT count(*) FROM scenarios_scenarioneed WHERE status = 'published') || ' published needs, '
       || (SELECT count(*) FROM matching_match) || ' match rows'")"

MOUNT="$DRILL_DIR/full"
mkdir -p "$MOUNT"
mount -t tmpfs -o "size=$SIZE" drill-full "$MOUNT"
say "1. a $SIZE tmpfs at \$MOUNT ($MOUNT) with room: each command writes its file"
run "$PY" manage.py export_opportunity_list --format json --output "$MOUNT/机会清单.json"
run "$PY" manage.py export_matches --format csv --output "$MOUNT/matches.csv"
run "$PY" manage.py backup "$MOUNT/site.dump"
listing
before=$(checksums)

say "2. the disk fills up (another file takes all but 16 KiB)"
free_kib=$(df -k "$MOUNT" | tail -1 | awk '{print $4}')
dd if=/dev/zero of="$MOUNT/filler" bs=1K count=$((free_kib - 16)) status=none
listing

say "3. the same commands again, on the full disk"
run "$PY" manage.py export_opportunity_list --format json --output "$MOUNT/机会清单.json"
run "$PY" manage.py export_matches --format csv --output "$MOUNT/matches.csv"
run "$PY" manage.py backup "$MOUNT/site.dump" --force
listing
after=$(checksums)
echo "  previous files (sha256, first 16 hex digits):"
paste <(echo "$before") <(echo "$after") | awk '{printf "    %s  before %s  after %s  %s\n", $2, $1, $3, ($1 == $3 ? "unchanged" : "CHANGED")}'

say "4. space again (the filler removed): the commands replace their files"
rm "$MOUNT/filler"
run "$PY" manage.py export_opportunity_list --format json --output "$MOUNT/机会清单.json"
run "$PY" manage.py backup "$MOUNT/site.dump" --force
listing
say "cleaning up (tmpfs, cluster)"
