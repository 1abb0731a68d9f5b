-- wrk script for bench/gateway_bench.sh: POSTs one small chat completion request, with the
-- client key from BENCH_KEY (none for nginx direct). BENCH_DELAY_MS > 0 paces each connection
-- (connections x 1000 / delay ~ the request rate; plain wrk has no open-loop rate option).
-- Prints one RESULT line with the achieved rate and latency percentiles in microseconds.
local key = os.getenv("BENCH_KEY") or ""
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
wrk.method = "POST"
wrk.body = '{"model":"bench","messages":[{"role":"user","content":"Say hello"}],"max_tokens":16}'
wrk.headers["Content-Type"] = "application/json"
if key ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. key
end
if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.0f p50_us=%d p90_us=%d p99_us=%d requests=%d socket_errors=%d non2xx=%d\n",
    summary.requests / seconds, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), summary.requests, e.connect + e.read + e.write + e.timeout,
    e.status))
end
