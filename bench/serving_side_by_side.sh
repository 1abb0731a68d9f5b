#!/usr/bin/env bash
# Serving benchmark of `junction serve` and, when LLAMA_SERVER points at llama.cpp's
# llama-server, of llama-server on the same GGUF, one after the other in one run, with the same
# client (`junction bench`: synthetic prompts, ignore_eos, the same requests for both): TTFT and
# inter-token latency p50/p99 and output tokens/s at each concurrency level.
#   LLAMA_SERVER=/path/to/llama-server bench/serving_side_by_side.sh [-t 2] [-c 1,4,16]
#       [-i 128] [-o 64] [-n 16] FILE.gguf
# JUNCTION_SERVE_ARGS adds arguments to `junction serve` (e.g. "--itl-target-ms 0").
set -euo pipefail
threads=2 levels=1,4,16 input=128 output=64 prompts=16
while getopts "t:c:i:o:n:" opt; do
  case $opt in
    t) threads=$OPTARG ;; c) levels=$OPTARG ;; i) input=$OPTARG ;; o) output=$OPTARG ;;
    n) prompts=$OPTARG ;; *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
model=$1
here=$(cd "$(dirname "$0")/.." && pwd)
junction=$here/build/junction
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
max_parallel=$(tr , '\n' <<<"$levels" | sort -n | tail -1)
ctx_per_seq=$((input * 2 + output + 64))

wait_ready() {  # url
  for _ in $(seq 1 600); do
    curl -sf "$1/health" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { echo "server died" >&2; cat "$work/server.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "server did not become ready" >&2
  exit 1
}

run() {  # name, port, command...
  local name=$1 port=$2
  shift 2
  "$@" >"$work/server.log" 2>&1 &
  pid=$!
  wait_ready "http://127.0.0.1:$port"
  "$junction" bench --endpoint "http://127.0.0.1:$port/v1" --model bench --concurrency "$levels" \
    --num-prompts "$prompts" --input-len "$input" --output-len "$output" --pid "$pid" \
    --out "$work/$name.json" >"$work/$name.bench.log" 2>&1 || { echo "$name: bench failed" >&2; tail -5 "$work/$name.bench.log" >&2; }
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
}

port=18471
run junction $port "$junction" serve --model "$model" --port $port --threads "$threads" \
  --parallel "$max_parallel" --ctx-size "$ctx_per_seq" --served-model-name bench \
  ${JUNCTION_SERVE_ARGS:-}
if [ -n "${LLAMA_SERVER:-}" ] && [ -x "$LLAMA_SERVER" ]; then
  run llama $((port + 1)) "$LLAMA_SERVER" -m "$model" --port $((port + 1)) -t "$threads" \
    -np "$max_parallel" -c $((ctx_per_seq * max_parallel)) -a bench --no-webui
fi

node -e '
const fs = require("fs");
const [dir, ...names] = process.argv.slice(1);
const rows = [];
for (const name of names) {
  const f = `${dir}/${name}.json`;
  if (!fs.existsSync(f)) continue;
  for (const l of JSON.parse(fs.readFileSync(f)).levels)
    rows.push([name, l.concurrency, l.ttft_ms.p50, l.ttft_ms.p99, l.itl_ms.p50, l.itl_ms.p99,
               l.output_throughput, (l.process_rss_bytes ?? 0) / 2 ** 20]);
}
console.log("| server | concurrency | TTFT p50 ms | TTFT p99 ms | ITL p50 ms | ITL p99 ms | output tok/s | RSS MiB |");
console.log("|---|---|---|---|---|---|---|---|");
for (const r of rows)
  console.log(`| ${r[0]} | ${r[1]} | ${r.slice(2).map((x) => x.toFixed(1)).join(" | ")} |`);
' "$work" junction llama
