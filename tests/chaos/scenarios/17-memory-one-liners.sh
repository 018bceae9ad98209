#!/usr/bin/env bash
# Scenario 17: the memory one-liners of issue #18 (array fill, global replace, encode and split of
# 2^28 characters, a WebAssembly memory of 3 GiB) under load on a neighbour route. Each gets the
# answer of a limit (503 for a heap the isolate lost, 500 for a RangeError), no worker process
# crashes (a worker that lost as many isolates as it runs is replaced on its own request, a
# surge replacement: nothing refused), the neighbour route loses nothing, and the workers'
# resident memory stays bounded (its peak is reported).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
chaos_init 17-memory-one-liners

rounds=$(pick 2 10)
new_cluster_ports
{
  config_head
  cat <<EOF
workers: 2
isolates_per_worker: 2
limits:
  cpu_ms: 10s
scripts:
  - name: one-liners
    path: $(script_path one_liners.js)
    routes: ["/one-liner/*"]
  - name: hello
    path: $(script_path hello.js)
    routes: ["/*"]
EOF
} >"$CHAOS_TMP/cluster.yaml"
start_wsup "$CHAOS_TMP/cluster.yaml"

load_run warmup --path /hello --connections 2 --requests 200 --duration 5
rss_before=$(workers_rss_kib)
# The RSS peak, sampled every 100 ms while the attacks run.
(
  peak=0
  while :; do
    now=$(workers_rss_kib 2>/dev/null || echo 0)
    if ((now > peak)); then
      peak=$now
      echo "$peak" >"$CHAOS_TMP/rss_peak"
    fi
    sleep 0.1 # sleep-ok: the RSS sampler's period
  done
) &
sampler=$!
CHAOS_BACKGROUND_PIDS+=("$sampler")

attacks=(fill replace encode split wasm)
load_start hello --path /hello --connections 2 --rate 100 --duration 120 --timeout-ms 30000
for ((r = 0; r < rounds; r++)); do
  for a in "${attacks[@]}"; do
    load_run "$a-$r" --path "/one-liner/$a" --connections 1 --requests 1 --duration 60 --timeout-ms 30000
  done
done
load_stop hello
kill "$sampler" 2>/dev/null || true
rss_peak=$(cat "$CHAOS_TMP/rss_peak" 2>/dev/null || echo 0)
log "hello: $(summary hello)"

count() {  # count ATTACK STATUS: answers with STATUS over every round of ATTACK
  local n=0
  for ((r = 0; r < rounds; r++)); do n=$((n + $(status_count "$1-$r" "$2"))); done
  echo $n
}
for ((r = 0; r < rounds; r++)); do
  for a in "${attacks[@]}"; do expect_nothing_lost "$a-$r"; done
done
expect_nothing_lost hello
for a in fill replace split; do
  [[ $(count $a 503) == "$rounds" ]] || fail "every /$a must get 503 (memory limit): 503=$(count $a 503) of $rounds"
done
encode_ok=$(($(count encode 500) + $(count encode 503)))
[[ $encode_ok == "$rounds" ]] || fail "every /encode must get 500 (RangeError) or 503: $encode_ok of $rounds"
[[ $(count wasm 500) == "$rounds" ]] || fail "every /wasm must get 500 (RangeError): $(count wasm 500) of $rounds"
[[ $(field hello .failed_answers) == 0 ]] || fail "the neighbour route failed requests: $(field hello '.status|tojson')"
crashes=$(grep -c 'msg="worker exited; restarting"\|msg="worker failed' "$CHAOS_TMP/wsup.log" || true)
[[ $crashes == 0 ]] || fail "a worker process crashed under the one-liners: $(grep 'worker exited\|worker failed' "$CHAOS_TMP/wsup.log" | head -3)"
lost=$(grep -c 'msg="isolate lost' "$CHAOS_TMP/wsup.log" || true)
replaced=$(grep -c 'msg="worker asks to be replaced' "$CHAOS_TMP/wsup.log" || true)
restarts=$(status_json | jq '[.workers[].restarts] | add')
# A lost isolate keeps its memory mapped until its worker is replaced: a few hundred MiB per
# worker at most, far below the 3 GiB one WebAssembly memory took before.
((rss_peak <= 3 * 1024 * 1024)) || fail "workers' resident memory peaked at ${rss_peak} KiB"
chaos_pass "rounds=$rounds of ${attacks[*]}: 503 fill/replace/split=$(count fill 503)/$(count replace 503)/$(count split 503) encode 500|503=$encode_ok wasm 500=$(count wasm 500); isolates lost=$lost, replacements asked=$replaced, worker restarts=$restarts, crashes=0; neighbour sent=$(field hello .sent) failed=0 lost=0 p99=$(field hello .latency_ms.p99)ms; worker RSS before ${rss_before} KiB, peak ${rss_peak} KiB"
