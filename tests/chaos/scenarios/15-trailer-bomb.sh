#!/usr/bin/env bash
# Scenario 15: trailer bombs. Connections each send a chunked request whose trailer section grows
# without end (up to 256 MiB each), while a normal load runs. Each is answered 431 once its
# trailers pass limits.max_header_bytes, the supervisor's memory stays bounded (it once grew by
# the whole trailer), and the normal clients are served without a failure.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
chaos_init 15-trailer-bomb

bombs=$(pick 4 32)
new_cluster_ports
write_hello_config 2
start_wsup "$CHAOS_TMP/cluster.yaml"
rss_before=$(supervisor_kib VmRSS)

load_start normal --path /hello --connections 4 --rate 100 --duration $(pick 4 20) --timeout-ms 5000
"$WSUP_PROBE" trailerbomb "$PORT" "$bombs" 256 >"$CHAOS_TMP/trailerbomb.json" ||
  fail "wsup-chaos-probe trailerbomb failed"
load_wait normal
rss_peak=$(supervisor_kib VmHWM)
log "normal: $(summary normal)"
log "bombs:  $(cat "$CHAOS_TMP/trailerbomb.json")"

expect_nothing_lost normal
[[ $(field normal .failed_answers) == 0 ]] || fail "normal clients failed under trailer bombs: $(field normal '.status|tojson')"
answered=$(jq '.status["431"] // 0' "$CHAOS_TMP/trailerbomb.json")
((answered == bombs)) || fail "$answered of $bombs trailer bombs were answered 431: $(jq -c .status "$CHAOS_TMP/trailerbomb.json")"
((rss_peak < rss_before + 64 * 1024)) || fail "supervisor RSS grew from ${rss_before} KiB to a peak of ${rss_peak} KiB under trailer bombs"
chaos_pass "trailer bombs=$bombs 431=$answered most sent=$(jq .most_trailer_bytes_sent "$CHAOS_TMP/trailerbomb.json") B; normal: sent=$(field normal .sent) failed=0 lost=0 p99=$(field normal .latency_ms.p99)ms; supervisor RSS ${rss_before} KiB, peak ${rss_peak} KiB"
