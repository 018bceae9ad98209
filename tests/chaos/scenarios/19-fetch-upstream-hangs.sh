#!/usr/bin/env bash
# Scenario 19: an upstream that accepts fetch()'s connections and never answers, under load.
# Every request whose script fetches it ends with 504 at the wall limit (wall_ms 1 s, below the
# subrequest timeout), a control load on another route beside it is unaffected (all 200, nothing
# lost), no worker restarts, and once the loads end the workers hold no request: the hanging
# subrequests were aborted with their requests.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
chaos_init 19-fetch-upstream-hangs

duration=$(pick 4 30)
hang_connections=$(pick 16 64)
start_bad_upstream hang $((duration + 30))
new_cluster_ports
write_fetcher_config 1s 30s
start_wsup "$CHAOS_TMP/cluster.yaml"
pids_before=$(worker_pids | sort | tr '\n' ' ')

load_start hello --path /hello --connections 4 --rate 200 --duration "$duration" --timeout-ms 10000
# Each hanging request holds its connection for the wall time: the load is its connections.
load_start hang --path /read/x --connections "$hang_connections" --duration "$duration" --timeout-ms 10000
load_start hangproxy --path /proxy/x --connections 4 --duration "$duration" --timeout-ms 10000
load_wait hang
load_wait hangproxy
load_wait hello
for name in hang hangproxy hello; do log "$name: $(summary $name)"; done

for name in hang hangproxy hello; do expect_nothing_lost $name; done
hung=$(($(field hang .sent) + $(field hangproxy .sent)))
timed_out=$(($(status_count hang 504) + $(status_count hangproxy 504)))
[[ $timed_out == "$hung" ]] ||
  fail "every request fetching the hanging upstream must end 504: $(field hang '.status|tojson') $(field hangproxy '.status|tojson')"
((hung >= hang_connections)) || fail "only $hung requests reached the hanging route"
# A lower bound only (a loaded machine makes answers later, never earlier): they are the wall
# limit's 504s, not some earlier failure's.
p50_ms=$(field hang .latency_ms.p50)
max_ms=$(field hang .latency_ms.max)
awk -v t="$p50_ms" 'BEGIN { exit !(t >= 990) }' || fail "the 504s came before the wall limit (p50 ${p50_ms} ms)"
accepted=$(upstream_accepted)
((accepted > 0)) || fail "the hanging upstream saw no connection: the fetches never left the worker"
[[ $(field hello .failed_answers) == 0 && $(status_count hello 200) == $(field hello .sent) ]] ||
  fail "the control load failed: $(field hello '.status|tojson')"

pids_after=$(worker_pids | sort | tr '\n' ' ')
[[ $pids_before == "$pids_after" && $(restarts_total) == 0 ]] ||
  fail "workers restarted under the hanging upstream ($pids_before -> $pids_after)"
poll_until 10000 workers_hold_nothing ||
  fail "workers still hold requests 10 s after the loads ended: $(status_json)"
[[ $(curl -s --max-time 5 "http://127.0.0.1:$PORT/hello") == hello ]] || fail "/hello stopped answering"
chaos_pass "hanging fetches=$hung 504=$timed_out p50=${p50_ms}ms max=${max_ms}ms (wall_ms 1 s); upstream connections=$accepted; control: sent=$(field hello .sent) 200=$(status_count hello 200) lost=0 p99=$(field hello .latency_ms.p99)ms; restarts=0"
