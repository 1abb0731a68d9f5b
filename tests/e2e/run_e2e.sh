#!/usr/bin/env bash
# Starts `junction serve` on a free loopback port with a fixture model, runs the node --test
# suite (the official openai npm client) against it, then stops the server with SIGTERM and
# checks it exits 0. Usage: run_e2e.sh JUNCTION_BINARY MODEL_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
junction="$1"
model="$2"

# npm install only when the client is missing, so an installed tree works offline.
if [ ! -f "$here/node_modules/openai/package.json" ] ||
  [ ! -f "$here/node_modules/@anthropic-ai/sdk/package.json" ]; then
  (cd "$here" && npm install --no-audit --no-fund --loglevel=error) || {
    echo "e2e: npm install failed (offline?); run npm install in $here" >&2
    exit 1
  }
fi

log="$(mktemp)"
"$junction" serve --model "$model" --host 127.0.0.1 --port 0 --threads 2 --ctx-size 512 \
  --parallel 4 --max-queue 16 --max-body-mb 1 --api-key e2e-key --served-model-name e2e-model \
  --cache-type-k f32 --cache-type-v f32 >"$log" 2>&1 &
pid=$!
cleanup() { kill -9 "$pid" 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT

port=""
for _ in $(seq 1 300); do
  port="$(sed -n 's#.*listening on http://127.0.0.1:\([0-9]*\).*#\1#p' "$log")"
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "e2e: server did not start" >&2; cat "$log" >&2; exit 1; }

status=0
JUNCTION_URL="http://127.0.0.1:$port" JUNCTION_MODEL_DIR="$model" JUNCTION_BIN="$junction" \
  node --test --test-concurrency=1 "$here"/*.test.mjs || status=$?

kill -TERM "$pid"
server_status=0
wait "$pid" || server_status=$?
if [ "$server_status" -ne 0 ]; then
  echo "e2e: server exited $server_status after SIGTERM (want 0)" >&2
  cat "$log" >&2
  status=1
fi
exit "$status"
