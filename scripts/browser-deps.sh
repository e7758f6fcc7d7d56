#!/usr/bin/env bash
# Debian's Chromium and a CJK font for the browser tests (Playwright drives the system
# Chromium; nothing is downloaded by Playwright itself). Without root or apt, say so: the
# browser tests then skip, except under CI=true where they fail.
set -euo pipefail
have_font() { fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; }
if command -v chromium >/dev/null 2>&1 && have_font; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
else
  echo "browser tests: install Debian's chromium and fonts-noto-cjk (apt-get install -y" \
    "chromium fonts-noto-cjk) to run them; they are skipped until then" >&2
fi
