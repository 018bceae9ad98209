#!/usr/bin/env bash
# Scenario 4: a script with an infinite loop on one route, under load on another route. The
# looping requests get 503 (CPU limit); the other route's p99 latency stays within 2x of its
# baseline (CHAOS_P99_FACTOR overrides the factor for a noisy machine; the figure is reported).
#
# What wsup controls, always asserted (from the access log):
# - no /hello request held behind a loop: none arrived while its worker ran a looping request (2 ms
#   or more after the loop arrived) and waited 10 ms or more of that loop (a steal-back takes 1-2
#   ms);
# - /hello's p99 inside wsup (request read to response: dispatch, ring, script) during the loop
#   stays below half the loop's CPU limit (25 ms): a request that waited for a loop would take
#   up to 50 ms.
# The 2x bounds, inside wsup and at the client (wsup-loadgen), also measure the CPU the looping
# worker takes from everything else (a whole core for the phase): asserted when the machine has
# more than 2 CPUs; on 2 CPUs the loop takes half the machine, and both ratios are reported,
# labelled "NOT asserted". CHAOS_LATENCY_BOUNDS=on|off overrides.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
chaos_init 04-infinite-loop

seconds=$(pick 4 30)
factor=${CHAOS_P99_FACTOR:-2}
new_cluster_ports
{
  config_head | sed 's/  access_log: off/  format: json\n  access_log: on/'
  cat <<EOF
workers: 2
isolates_per_worker: 2
limits:
  cpu_ms: 50
scripts:
  - name: loop
    path: $(script_path loop.js)
    routes: ["/loop/*"]
  - name: hello
    path: $(script_path hello.js)
    routes: ["/*"]
EOF
} >"$CHAOS_TMP/cluster.yaml"
start_wsup "$CHAOS_TMP/cluster.yaml"

hello_load=(--path /hello --connections 4 --rate 200 --duration "$seconds" --timeout-ms 10000)
load_run warmup --path /hello --connections 4 --rate 200 --duration 1
t_base1=$(now_ms)
load_run baseline "${hello_load[@]}"
log "baseline before: $(summary baseline)"
t_loop=$(now_ms)

# One looping request at a time: each burns a worker's CPU for the whole limit.
load_start loop --path /loop/x --connections 1 --duration "$seconds" --timeout-ms 10000
load_start hello "${hello_load[@]}"
load_wait hello
load_wait loop
log "loop:  $(summary loop)"
log "hello: $(summary hello)"
# A second baseline after the loop phase: on a shared machine one measurement can be inflated by
# other load, which would make the 2x bound too lenient; the lower of the two is the baseline.
t_base2=$(now_ms)
load_run baseline_after "${hello_load[@]}"
log "baseline after: $(summary baseline_after)"
t_end=$(now_ms)

# The access log (JSON lines in wsup.log, msg "request"): end = ts in epoch ms, start = end - ms.
access_json() {
  grep '^{"ts".*"msg":"request"' "$CHAOS_TMP/wsup.log" |
    jq -c '{end: ((.ts[0:19] + "Z" | fromdate) * 1000 + (.ts[20:23] | tonumber)), ms, worker, path}' |
    jq -s .
}
access_json >"$CHAOS_TMP/access.json"
# inside_p99 FROM TO: p99 of /hello's in-wsup time for requests that ended in [FROM, TO).
inside_p99() {
  jq --argjson a "$1" --argjson b "$2" \
    '[.[] | select(.path == "/hello" and .end >= $a and .end < $b) | .ms] | sort |
     if length == 0 then 0 else .[((length * 99 / 100) | floor)] end' "$CHAOS_TMP/access.json"
}
in_base=$(awk -v a="$(inside_p99 "$t_base1" "$t_loop")" -v b="$(inside_p99 "$t_base2" "$t_end")" \
  'BEGIN { print (a < b ? a : b) }')
in_loop=$(inside_p99 "$t_loop" "$t_base2")
# A /hello that reached the supervisor within 2 ms of a loop may have been taken by that worker
# before the loop's JavaScript began (its poll keeps taking requests while its isolates have
# room): seen once in ~800 on a loaded machine. Only later arrivals count as held.
held=$(jq '[.[] | select(.path | startswith("/loop/"))] as $loops |
  [.[] | select(.path == "/hello" and .ms > 5) | . as $h |
   select(any($loops[]; .worker == $h.worker and ($h.end - $h.ms) >= (.end - .ms) + 2 and
                        ($h.end - $h.ms) <= .end - 10 and $h.end >= .end))] | length' \
  "$CHAOS_TMP/access.json")
log "inside wsup: /hello p99 ${in_loop} ms during the loop vs ${in_base} ms baseline; held behind a loop: $held"

expect_nothing_lost baseline
expect_nothing_lost baseline_after
expect_nothing_lost hello
expect_nothing_lost loop
looped=$(field loop .answered)
n503=$(status_count loop 503)
((looped > 0)) || fail "no looping request was answered"
[[ $n503 == "$looped" ]] || fail "looping requests must all get 503 (CPU limit): $(field loop '.status|tojson')"
[[ $(field hello .failed_answers) == 0 ]] || fail "the other route failed requests: $(field hello '.status|tojson')"
base_p99=$(awk -v a="$(field baseline .latency_ms.p99)" -v b="$(field baseline_after .latency_ms.p99)" \
  'BEGIN { print (a < b ? a : b) }')
p99=$(field hello .latency_ms.p99)
[[ $held == 0 ]] || fail "$held /hello requests were held behind a looping request in the same worker"
awk -v p="$in_loop" 'BEGIN { exit !(p < 25) }' ||
  fail "inside wsup, the other route's p99 ${in_loop} ms is not below 25 ms (half the loop's CPU limit): requests wait for the loop"
bounds_note="asserted"
if latency_bounds_asserted; then
  # A floor of 1 ms inside wsup: sub-millisecond baselines make 2x a bound on timer noise.
  awk -v p="$in_loop" -v b="$in_base" -v f="$factor" 'BEGIN { exit !(p <= f * (b < 1 ? 1 : b)) }' ||
    fail "inside wsup, the other route's p99 ${in_loop} ms is above ${factor}x its baseline ${in_base} ms"
  awk -v p="$p99" -v b="$base_p99" -v f="$factor" 'BEGIN { exit !(p <= f * b) }' ||
    fail "the other route's p99 ${p99} ms is above ${factor}x its baseline ${base_p99} ms"
else
  bounds_note="2x bounds NOT asserted: $(nproc) CPUs, the loop takes one"
fi
mean_loop=$(field loop .latency_ms.mean)
chaos_pass "loop: answered=$looped 503=$n503 mean=${mean_loop}ms (cpu_ms 50); other route: sent=$(field hello .sent) failed=0 lost=0 held-behind-loop=$held; inside wsup p99=${in_loop}ms (< 25 ms asserted) vs baseline ${in_base}ms; at the client p99=${p99}ms vs baseline ${base_p99}ms ($bounds_note)"
