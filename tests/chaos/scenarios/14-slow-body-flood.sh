#!/usr/bin/env bash
# Scenario 14: a slow-body flood. 4,096 connections each send a request head and then its body
# one byte every 5 s (reconnecting when cut), four times the connection cap (1,024), while a
# normal load runs. The normal clients are served without a failure (no 503: a newcomer over the
# cap takes the place of the slowest reading connection), the slow bodies are cut, and the
# supervisor's memory stays bounded.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
chaos_init 14-slow-body-flood

slow=4096
flood_seconds=$(pick 16 60)
new_cluster_ports
write_hello_config 2
start_wsup "$CHAOS_TMP/cluster.yaml"
rss_before=$(supervisor_kib VmRSS)

"$WSUP_PROBE" slowbody "$PORT" "$slow" "$flood_seconds" 5000 >"$CHAOS_TMP/slowbody.json" \
  2>"$CHAOS_TMP/slowbody.err" &
slow_pid=$!
CHAOS_BACKGROUND_PIDS+=("$slow_pid")
# The normal load starts once every slow connection has tried to get in (the probe says so on
# stderr after its first interval): the flood then holds every place.
wait_for 20000 "wsup-chaos-probe slowbody did not open its connections" \
  grep -q '^opened ' "$CHAOS_TMP/slowbody.err"
load_run normal --path /hello --connections 8 --rate 200 --duration $((flood_seconds - 6)) --timeout-ms 5000
wait "$slow_pid" || fail "wsup-chaos-probe slowbody failed"
rss_peak=$(supervisor_kib VmHWM)
log "normal: $(summary normal)"
log "slow:   $(cat "$CHAOS_TMP/slowbody.json")"

expect_nothing_lost normal
[[ $(field normal .failed_answers) == 0 ]] || fail "normal clients failed under the slow-body flood: $(field normal '.status|tojson')"
connects=$(jq .connects "$CHAOS_TMP/slowbody.json")
cut=$(jq .cut "$CHAOS_TMP/slowbody.json")
((connects >= slow)) || fail "only $connects of $slow slow connections could connect"
((cut > 0)) || fail "no slow body was cut in ${flood_seconds} s"
((rss_peak < 512 * 1024)) || fail "supervisor RSS peaked at ${rss_peak} KiB under the flood"
chaos_pass "slow bodies=$slow connects=$connects cut=$cut status=$(jq -c .status "$CHAOS_TMP/slowbody.json"); normal: sent=$(field normal .sent) failed=0 lost=0 p99=$(field normal .latency_ms.p99)ms; supervisor RSS ${rss_before} KiB, peak ${rss_peak} KiB"
