#!/usr/bin/env bash
# Scenario 7: slowloris (many connections sending their headers a byte per second) while a normal
# load runs: the normal clients are served without failures, and the slow connections are cut by
# the server once its read timeout (10 s in the HTTP front) has passed, not held forever.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
chaos_init 07-slow-clients

slow=$(pick 128 400)
read_timeout_s=10
# Long enough for the read timeout plus a margin: the short version cannot be shorter than that.
slow_seconds=$((read_timeout_s + $(pick 4 20)))
new_cluster_ports
write_hello_config 2
start_wsup "$CHAOS_TMP/cluster.yaml"

"$WSUP_PROBE" slowloris "$PORT" "$slow" "$slow_seconds" 1000 >"$CHAOS_TMP/slowloris.json" \
  2>"$CHAOS_TMP/slowloris.err" &
slow_pid=$!
CHAOS_BACKGROUND_PIDS+=("$slow_pid")
# The normal load starts once the slow connections are open (the probe says so on stderr).
wait_for 10000 "wsup-chaos-probe slowloris did not open its connections" \
  grep -q '^opened ' "$CHAOS_TMP/slowloris.err"
load_run normal --path /hello --connections 8 --rate 200 --duration $((slow_seconds - 2)) --timeout-ms 5000
wait "$slow_pid" || fail "wsup-chaos-probe slowloris failed"
log "normal: $(summary normal)"
log "slow:   $(cat "$CHAOS_TMP/slowloris.json")"

expect_nothing_lost normal
[[ $(field normal .failed_answers) == 0 ]] || fail "normal clients failed under slowloris: $(field normal '.status|tojson')"
p99=$(field normal .latency_ms.p99)
awk -v p="$p99" 'BEGIN { exit !(p < 1000) }' || fail "normal clients waited: p99 ${p99} ms under slowloris"
opened=$(jq .opened "$CHAOS_TMP/slowloris.json")
still_open=$(jq .still_open "$CHAOS_TMP/slowloris.json")
((opened == slow)) || fail "only $opened of $slow slow connections were accepted"
((still_open == 0)) || fail "$still_open of $slow slow connections (a header byte per second) were still open after ${slow_seconds} s: the server has no deadline for a request's headers, so slow clients can hold its threads"
first_cut=$(jq .first_cut_ms "$CHAOS_TMP/slowloris.json")
last_cut=$(jq .last_cut_ms "$CHAOS_TMP/slowloris.json")
chaos_pass "slow connections=$slow cut=$opened first/last cut ${first_cut}/${last_cut} ms (read timeout ${read_timeout_s} s); normal: sent=$(field normal .sent) failed=0 lost=0 p99=${p99}ms"
