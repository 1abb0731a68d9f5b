#!/usr/bin/env bash
# The web interface's browser tests (each *.test.mjs starts its own servers). Installs the pinned
# puppeteer-core from the lockfile when it is missing (it downloads no browser: Debian's
# Chromium is driven).
# Usage: run_web_e2e.sh JUNCTION_BINARY MODEL_DIR SCREENSHOT_DIR TEST_DATA_DIR TEST_FILE
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -f "$here/node_modules/puppeteer-core/package.json" ]; then
  (cd "$here" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) || {
    echo "web e2e: npm ci failed (offline?); install the lockfile's packages in $here" >&2
    exit 1
  }
fi
chromium="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] || { echo "web e2e: $chromium is missing (apt-get install chromium)" >&2; exit 1; }
JUNCTION_BIN="$1" JUNCTION_MODEL_DIR="$2" JUNCTION_WEB_SCREENSHOTS="$3" JUNCTION_TEST_DATA="$4" \
  CHROMIUM="$chromium" node --test --test-concurrency=1 "$here/$5"
