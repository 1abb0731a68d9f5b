#!/usr/bin/env bash
# The gateway's overhead: wrk against nginx serving a recorded chat completion on 127.0.0.1, and
# against `junction serve --config` in front of that nginx (an API key, rpm/tpm limits, credits
# reserved and settled, a usage record committed per request), alternating in the same run.
# Prints, per round: latency p50/p90/p99 at a paced rate (default 2,000 req/s) for both and the
# difference (the gateway's added latency), then the highest rate each sustains (wrk without
# pacing, every answer 200), and each server's CPU time per request ("cpu us/r": the gateway's
# includes its SQLite writes). For reference, a second nginx process configured as a plain
# reverse proxy (keep-alive upstream, no keys, limits or metering) in front of the same nginx is
# measured the same way: what an event-loop proxy adds on this machine for the extra hop alone.
# Needs wrk and nginx (Debian packages wrk, nginx).
#   bench/gateway_bench.sh [-b build/junction] [-r 2000] [-d 10] [-n 2] [-c 20] [-m 32]
#     -r paced rate (req/s)  -d seconds per measurement  -n rounds  -c connections when paced
#     -m connections for the maximum rate  -s store_sync (normal|full)  -R redis URL
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
junction=$here/build/junction rate=2000 duration=10 rounds=2 paced_conns=20 max_conns=32
store_sync=normal redis=""
while getopts "b:r:d:n:c:m:s:R:" opt; do
  case $opt in
    b) junction=$OPTARG ;; r) rate=$OPTARG ;; d) duration=$OPTARG ;; n) rounds=$OPTARG ;;
    c) paced_conns=$OPTARG ;; m) max_conns=$OPTARG ;; s) store_sync=$OPTARG ;; R) redis=$OPTARG ;;
    *) exit 2 ;;
  esac
done
for tool in wrk /usr/sbin/nginx curl python3; do
  command -v "$tool" >/dev/null || { echo "gateway_bench: $tool is missing (scripts/install_deps.sh)"; exit 1; }
done
[ -x "$junction" ] || { echo "gateway_bench: no junction binary at $junction"; exit 1; }

dir=$(mktemp -d /tmp/junction-gateway-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# nginx_conf NAME SERVER_BLOCKS: one single-process nginx configuration, written to $dir/NAME.conf.
nginx_conf() {
  cat >"$dir/$1.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $dir/$1.pid;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100000;
  client_body_temp_path $dir/tmp_body;
  proxy_temp_path $dir/tmp_proxy;
  fastcgi_temp_path $dir/tmp_fastcgi;
  uwsgi_temp_path $dir/tmp_uwsgi;
  scgi_temp_path $dir/tmp_scgi;
$2
}
CONF
}

nginx_port=$(free_port)
nginx_conf nginx "  server {
    listen 127.0.0.1:$nginx_port;
    error_page 405 =200 \$uri;
    location = /v1/chat/completions { default_type application/json; alias $here/tests/gateway/data/openai_chat.json; }
  }"
/usr/sbin/nginx -p "$dir/" -c "$dir/nginx.conf" -e "$dir/nginx-error.log" &
pids+=($!)

proxy_port=$(free_port)
nginx_conf proxy "  upstream origin { server 127.0.0.1:$nginx_port; keepalive 64; }
  server {
    listen 127.0.0.1:$proxy_port;
    location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
  }"
/usr/sbin/nginx -p "$dir/" -c "$dir/proxy.conf" -e "$dir/proxy-error.log" &
pids+=($!)
proxy_pid=$!

cat >"$dir/gateway.yaml" <<CONF
listen: 127.0.0.1:0
admin_key: bench-admin
store: sqlite://$dir/gateway.db
store_sync: $store_sync
${redis:+redis: $redis}
providers:
  - {name: nginx, kind: openai, base_url: "http://127.0.0.1:$nginx_port/v1"}
models:
  - name: bench
    context_length: 8192
    price: {input_per_mtok: 0.05, output_per_mtok: 0.10}
    deployments: [{provider: nginx, model: gpt-4.1}]
CONF
nginx_pid=${pids[0]}
"$junction" serve --config "$dir/gateway.yaml" >"$dir/gateway.log" 2>&1 &
gateway_pid=$!
pids+=($gateway_pid)
gateway_port=""
for _ in $(seq 100); do
  gateway_port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$dir/gateway.log")
  [ -n "$gateway_port" ] && break
  sleep 0.1
done
[ -n "$gateway_port" ] || { cat "$dir/gateway.log"; exit 1; }
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/v1/chat/completions" -X POST && break; sleep 0.1; done
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$proxy_port/v1/chat/completions" -X POST && break; sleep 0.1; done

# Limits on and high enough never to refuse: the limiter and the ledger run on every request.
key=$(curl -sf -X POST -H "Authorization: Bearer bench-admin" \
  -d '{"name":"bench","credits":1000000,"rpm":100000000,"tpm":100000000000}' \
  "http://127.0.0.1:$gateway_port/admin/keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')

nginx_url="http://127.0.0.1:$nginx_port/v1/chat/completions"
proxy_url="http://127.0.0.1:$proxy_port/v1/chat/completions"
gateway_url="http://127.0.0.1:$gateway_port/v1/chat/completions"
delay_ms=$(( (paced_conns * 1000 + rate / 2) / rate ))

# CPU time (user + system) of a process so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run PID URL KEY CONNECTIONS DELAY_MS -> "rps p50 p90 p99 errors cpu_us_per_request"
# (PID: the server measured; its CPU time per request is the cost independent of the machine's
# load, which shifts latency and throughput when other work shares the cores.)
run() {
  local out before after
  before=$(cpu_ticks "$1")
  out=$(BENCH_KEY=$3 BENCH_DELAY_MS=$5 wrk -t1 -c"$4" -d"${duration}s" --timeout 5s \
    -s "$here/bench/gateway_bench.lua" "$2" | grep '^RESULT')
  after=$(cpu_ticks "$1")
  python3 - "$out" "$((after - before))" "$(getconf CLK_TCK)" <<'PY'
import sys
kv = dict(p.split("=") for p in sys.argv[1].split()[1:])
cpu_us = int(sys.argv[2]) / int(sys.argv[3]) * 1e6 / max(1, int(kv["requests"]))
print(kv["rps"], kv["p50_us"], kv["p90_us"], kv["p99_us"],
      int(kv["non2xx"]) + int(kv["socket_errors"]), f"{cpu_us:.0f}")
PY
}

# Warm up both (connections, page cache, SQLite).
run "$nginx_pid" "$nginx_url" "" 8 0 >/dev/null
run "$proxy_pid" "$proxy_url" "" 8 0 >/dev/null
run "$gateway_pid" "$gateway_url" "$key" 8 0 >/dev/null

echo "gateway_bench: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), ${duration}s per run, store_sync=$store_sync${redis:+, redis}"
row() { printf "%-6s %-28s %9s %9s %9s %9s %7s %9s\n" "$@"; }
row round target "req/s" "p50 us" "p90 us" "p99 us" errors "cpu us/r"
for round in $(seq "$rounds"); do
  read -r n_rps n50 n90 n99 nerr ncpu <<<"$(run "$nginx_pid" "$nginx_url" "" "$paced_conns" "$delay_ms")"
  read -r g_rps g50 g90 g99 gerr gcpu <<<"$(run "$gateway_pid" "$gateway_url" "$key" "$paced_conns" "$delay_ms")"
  read -r p_rps p50 p90 p99 perr pcpu <<<"$(run "$proxy_pid" "$proxy_url" "" "$paced_conns" "$delay_ms")"
  row "$round" "nginx @${rate}/s" "$n_rps" "$n50" "$n90" "$n99" "$nerr" "$ncpu"
  row "$round" "nginx proxy @${rate}/s" "$p_rps" "$p50" "$p90" "$p99" "$perr" "$pcpu"
  row "$round" "added by the nginx proxy" "" "$((p50 - n50))" "$((p90 - n90))" "$((p99 - n99))" "" ""
  row "$round" "gateway @${rate}/s" "$g_rps" "$g50" "$g90" "$g99" "$gerr" "$gcpu"
  row "$round" "added by the gateway" "" "$((g50 - n50))" "$((g90 - n90))" "$((g99 - n99))" "" ""
  read -r n_rps n50 n90 n99 nerr ncpu <<<"$(run "$nginx_pid" "$nginx_url" "" "$max_conns" 0)"
  read -r g_rps g50 g90 g99 gerr gcpu <<<"$(run "$gateway_pid" "$gateway_url" "$key" "$max_conns" 0)"
  row "$round" "nginx max (${max_conns} conns)" "$n_rps" "$n50" "$n90" "$n99" "$nerr" "$ncpu"
  read -r p_rps p50 p90 p99 perr pcpu <<<"$(run "$proxy_pid" "$proxy_url" "" "$max_conns" 0)"
  row "$round" "nginx proxy max (${max_conns} conns)" "$p_rps" "$p50" "$p90" "$p99" "$perr" "$pcpu"
  row "$round" "gateway max (${max_conns} conns)" "$g_rps" "$g50" "$g90" "$g99" "$gerr" "$gcpu"
done
records=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from usage').fetchone()[0])" "$dir/gateway.db" 2>/dev/null || echo "?")
echo "gateway_bench: $records usage records written; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
