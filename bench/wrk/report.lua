-- wrk script shared by every benchmark run.
-- BENCH_BODY_BYTES=N (env) turns the request into a POST with an N-byte body (the echo scenarios).
-- BENCH_USER=name (env) sets the X-Bench-User header the json scenario reads.
-- done() prints one line "BENCH_RESULT {json}" that scripts/bench parses: latency in microseconds.
local body_bytes = tonumber(os.getenv("BENCH_BODY_BYTES") or "0") or 0
if body_bytes > 0 then
  wrk.method = "POST"
  wrk.body = string.rep("abcdefghijklmnop", math.floor(body_bytes / 16)) .. string.rep("x", body_bytes % 16)
  wrk.headers["Content-Type"] = "application/octet-stream"
end
wrk.headers["X-Bench-User"] = os.getenv("BENCH_USER") or "alice"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
