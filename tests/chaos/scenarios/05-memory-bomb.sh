#!/usr/bin/env bash
# Scenario 5: a memory bomb on the V8 heap (and one in ArrayBuffer memory): 503s for the heap
# bomb's requests, no worker process aborts (same pids, no restarts), the neighbour route is
# served throughout, and the workers' memory returns to its baseline afterwards.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
chaos_init 05-memory-bomb

bombs=$(pick 6 40)
new_cluster_ports
{
  config_head
  cat <<EOF
workers: 2
isolates_per_worker: 2
limits:
  cpu_ms: 5s
  heap_mib: 64
scripts:
  - name: heap-bomb
    path: $(script_path heap_bomb.js)
    routes: ["/heap-bomb"]
  - name: buffer-bomb
    path: $(script_path buffer_bomb.js)
    routes: ["/buffer-bomb"]
  - name: hello
    path: $(script_path hello.js)
    routes: ["/*"]
EOF
} >"$CHAOS_TMP/cluster.yaml"
start_wsup "$CHAOS_TMP/cluster.yaml"

load_run warmup --path /hello --connections 2 --requests 200 --duration 5
pids_before=$(worker_pids | sort | tr '\n' ' ')
rss_before=$(workers_rss_kib)

load_start hello --path /hello --connections 2 --rate 100 --duration 30 --timeout-ms 20000
load_run heap --path /heap-bomb --connections 1 --requests "$bombs" --duration 60 --timeout-ms 30000
load_run buffer --path /buffer-bomb --connections 1 --requests "$bombs" --duration 60 --timeout-ms 30000
load_stop hello
log "heap bomb:   $(summary heap)"
log "buffer bomb: $(summary buffer)"
log "hello:       $(summary hello)"

expect_nothing_lost heap
expect_nothing_lost buffer
expect_nothing_lost hello
[[ $(status_count heap 503) == "$bombs" ]] || fail "every heap bomb must get 503 (memory limit): $(field heap '.status|tojson')"
buffer_ok=$(($(status_count buffer 500) + $(status_count buffer 503)))
[[ $buffer_ok == "$bombs" ]] || fail "every ArrayBuffer bomb must get 500 (RangeError) or 503: $(field buffer '.status|tojson')"
[[ $(field hello .failed_answers) == 0 ]] || fail "the neighbour route failed requests: $(field hello '.status|tojson')"
pids_after=$(worker_pids | sort | tr '\n' ' ')
[[ $pids_after == "$pids_before" ]] || fail "a worker process died under the memory bomb (pids $pids_before -> $pids_after)"
restarts=$(status_json | jq '[.workers[].restarts] | add')
[[ $restarts == 0 ]] || fail "workers restarted $restarts times under the memory bomb"

# Back to baseline: resident memory within 64 MiB of what it was before the bombs (V8 may keep
# some pages; a leaked 64 MiB heap per bomb would be far above that).
rss_at_baseline() {
  rss_after=$(workers_rss_kib)
  ((rss_after <= rss_before + 65536))
}
poll_until 10000 rss_at_baseline ||
  fail "worker memory did not return to baseline within 10 s: ${rss_before} KiB -> ${rss_after} KiB"
chaos_pass "heap bombs=$bombs 503=$(status_count heap 503) mean=$(field heap .latency_ms.mean)ms; buffer bombs=$bombs 500/503=$buffer_ok; worker aborts=0 restarts=0; neighbour failed=0 p99=$(field hello .latency_ms.p99)ms; worker RSS ${rss_before} -> ${rss_after} KiB"
