#!/usr/bin/env bash
# Migrate, load reference and demo data, then run the web server and, when REDIS_URL is
# set, a Celery worker and beat beside it. Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-$(command -v uv || echo "$PWD/.tools/bin/uv")}
PORT=${PORT:-8000}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.local}
# The site's own error pages, not Django's technical ones (DEBUG=true make run for those).
export DEBUG=${DEBUG:-false}
# Links in e-mails (password reset, invitations) lead to this server unless set otherwise.
export FRONTEND_BASE_URL=${FRONTEND_BASE_URL:-http://127.0.0.1:${PORT}}

"$UV" run python manage.py migrate --noinput -v0
"$UV" run python manage.py load_reference
"$UV" run python manage.py seed_demo

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

if [ -n "${REDIS_URL:-}" ]; then
  "$UV" run celery -A config worker --loglevel=INFO --concurrency="${CELERY_CONCURRENCY:-2}" &
  pids+=($!)
  "$UV" run celery -A config beat --loglevel=INFO --schedule var/celerybeat-schedule &
  pids+=($!)
  echo "Celery worker and beat started on ${REDIS_URL}"
else
  echo "REDIS_URL is not set: background tasks run in-process"
fi
mkdir -p var

cat <<MSG

  平台已启动 / service running — 从这里开始 / start here:
    http://127.0.0.1:${PORT}/              首页：机会清单、能力清单、登录 (home, lists, sign-in)
    http://127.0.0.1:${PORT}/login/        登录：agency360100-1（需求单位）、listfirm01（企业）、
                                           city360700（市级委员会）、province（省级委员会）、
                                           expert1-1（专家）
                                           密码 / password: ${DEMO_PASSWORD:-demo-pass-2026}
    http://127.0.0.1:${PORT}/admin/        运营管理后台 (admin)
    http://127.0.0.1:${PORT}/api/docs/     API 交互文档 (OpenAPI: /api/schema/)
    http://127.0.0.1:${PORT}/healthz       健康检查
  Ctrl-C 停止全部进程 / stops everything.

MSG
"$UV" run python manage.py runserver "127.0.0.1:${PORT}" --noreload &
pids+=($!)
wait -n "${pids[@]}"
