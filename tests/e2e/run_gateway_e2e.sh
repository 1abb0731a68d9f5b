#!/usr/bin/env bash
# The official openai npm client through the gateway: starts a `junction serve` engine on a
# fixture model, nginx (when installed) serving the recorded Anthropic Messages answers of
# tests/gateway/data, and `junction serve --config` in front of both twice (two replicas on one
# SQLite store in a temp folder); runs gateway/*.test.mjs (node --test; it makes its own client
# key with the admin API), then stops the first gateway with SIGTERM and checks it exits 0.
# Usage: run_gateway_e2e.sh JUNCTION_BINARY MODEL_DIR GATEWAY_DATA_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
junction="$1"
model="$2"
data="$(cd "$3" && pwd)"
nginx=/usr/sbin/nginx

if [ ! -f "$here/node_modules/openai/package.json" ] ||
  [ ! -f "$here/node_modules/@anthropic-ai/sdk/package.json" ]; then
  (cd "$here" && npm install --no-audit --no-fund --loglevel=error) || {
    echo "gateway e2e: npm install failed (offline?); run npm install in $here" >&2
    exit 1
  }
fi

dir="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

# Waits for "listening on http://127.0.0.1:PORT" in a log; prints PORT.
port_from_log() {
  local log="$1" pid="$2" port=""
  for _ in $(seq 1 300); do
    port="$(sed -n 's#.*listening on http://127.0.0.1:\([0-9]*\).*#\1#p' "$log" | head -1)"
    [ -n "$port" ] && { echo "$port"; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "gateway e2e: $log shows no listening port" >&2
  cat "$log" >&2
  return 1
}

free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
    console.log(s.address().port); s.close(); });'
}

"$junction" serve --model "$model" --host 127.0.0.1 --port 0 --threads 2 --ctx-size 512 \
  --parallel 4 --served-model-name e2e-model >"$dir/engine.log" 2>&1 &
pids+=($!)
engine_port="$(port_from_log "$dir/engine.log" "${pids[-1]}")"

anthropic_providers=""
anthropic_models=""
if [ -x "$nginx" ]; then
  nginx_port="$(free_port)"
  # A recorded Messages answer, served only with the headers the Messages API requires.
  location() {
    cat <<LOC
    location = /$1/v1/messages {
      if (\$http_x_api_key != "sk-ant-test") { return 401 '{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}'; }
      if (\$http_anthropic_version != "2023-06-01") { return 400 '{"type":"error","error":{"type":"invalid_request_error","message":"anthropic-version: header is required"}}'; }
      default_type $2; alias $data/$3;
    }
LOC
  }
  mkdir -p "$dir/nginx"
  cat >"$dir/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx/nginx.pid;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $dir/nginx/body;
  proxy_temp_path $dir/nginx/proxy;
  fastcgi_temp_path $dir/nginx/fastcgi;
  uwsgi_temp_path $dir/nginx/uwsgi;
  scgi_temp_path $dir/nginx/scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    error_page 405 =200 \$uri;
$(location claude application/json anthropic_message.json)
$(location claude-sse text/event-stream anthropic_stream.sse)
$(location claude-tools application/json anthropic_tool_use.json)
$(location claude-tools-sse text/event-stream anthropic_tool_use_stream.sse)
  }
}
CONF
  "$nginx" -p "$dir/nginx/" -c "$dir/nginx.conf" -e "$dir/nginx/error.log" >"$dir/nginx.log" 2>&1 &
  pids+=($!)
  for p in claude claude-sse claude-tools claude-tools-sse; do
    anthropic_providers+="  - {name: $p, kind: anthropic, base_url: \"http://127.0.0.1:$nginx_port/$p\", api_key: sk-ant-test}
"
    anthropic_models+="  - name: $p
    price: {input_per_mtok: 3.0, output_per_mtok: 15.0, cached_input_per_mtok: 0.3}
    deployments: [{provider: $p, model: claude-sonnet-4-5}]
"
  done
else
  echo "gateway e2e: $nginx not found: the Anthropic-backed tests are skipped" >&2
fi

cat >"$dir/gateway.yaml" <<YAML
listen: 127.0.0.1:0
admin_key: e2e-admin
store: sqlite://$dir/gateway.db
providers:
  - {name: engine, kind: local, base_url: "http://127.0.0.1:$engine_port/v1"}
$anthropic_providers
models:
  - name: tiny
    context_length: 512
    price: {input_per_mtok: 1.0, output_per_mtok: 2.0}
    deployments: [{provider: engine, model: e2e-model}]
$anthropic_models
YAML
"$junction" serve --config "$dir/gateway.yaml" >"$dir/gateway.log" 2>&1 &
gateway_pid=$!
pids+=($gateway_pid)
gateway_port="$(port_from_log "$dir/gateway.log" "$gateway_pid")"
gateway="http://127.0.0.1:$gateway_port"
# A second replica on the same SQLite database (and its key pepper file), as a second gateway
# process behind a load balancer would be: responses kept by one are continued on the other.
"$junction" serve --config "$dir/gateway.yaml" >"$dir/gateway2.log" 2>&1 &
gateway2_pid=$!
pids+=($gateway2_pid)
gateway2_port="$(port_from_log "$dir/gateway2.log" "$gateway2_pid")"
gateway2="http://127.0.0.1:$gateway2_port"
if [ -x "$nginx" ]; then
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$nginx_port") 2>/dev/null && break
    sleep 0.05
  done
fi

status=0
GATEWAY_URL="$gateway" GATEWAY2_URL="$gateway2" GATEWAY_ADMIN_KEY=e2e-admin JUNCTION_MODEL_DIR="$model" \
  GATEWAY_ANTHROPIC="$([ -x "$nginx" ] && echo 1 || echo 0)" \
  node --test --test-concurrency=1 "$here"/gateway/*.test.mjs || status=$?

kill -TERM "$gateway_pid"
gateway_status=0
wait "$gateway_pid" || gateway_status=$?
if [ "$gateway_status" -ne 0 ]; then
  echo "gateway e2e: the gateway exited $gateway_status after SIGTERM (want 0)" >&2
  cat "$dir/gateway.log" >&2
  status=1
fi
exit "$status"
