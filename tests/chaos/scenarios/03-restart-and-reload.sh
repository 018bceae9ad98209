#!/usr/bin/env bash
# Scenario 3: `wsup restart-worker N` and `wsup reload` in a loop under load: zero failed requests.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
chaos_init 03-restart-and-reload

seconds=$(pick 8 30)
workers=2
new_cluster_ports
write_hello_config "$workers"
start_wsup "$CHAOS_TMP/cluster.yaml"

load_start load --path / --connections 8 --rate 300 --duration $((seconds + 2)) --timeout-ms 15000
wait_served_more 100
end=$(($(now_ms) + seconds * 1000))
restarts=0
reloads=0
while (($(now_ms) < end)); do
  for ((id = 0; id < workers; id++)); do
    wsupctl restart-worker $id >>"$CHAOS_TMP/control.log" 2>&1 ||
      fail "wsup restart-worker $id failed: $(tail -3 "$CHAOS_TMP/control.log")"
    restarts=$((restarts + 1))
  done
  wsupctl reload >>"$CHAOS_TMP/control.log" 2>&1 ||
    fail "wsup reload failed: $(tail -3 "$CHAOS_TMP/control.log")"
  reloads=$((reloads + 1))
done
load_wait load
log "load: $(summary load) after $restarts restarts and $reloads reloads"

expect_nothing_lost load
failed=$(field load .failed_answers)
[[ $failed == 0 ]] || fail "$failed failed answers during restart/reload: $(field load '.status|tojson')"
((restarts >= 2 && reloads >= 1)) || fail "the loop ran too few times ($restarts restarts, $reloads reloads)"
chaos_pass "restart-worker=$restarts reload=$reloads sent=$(field load .sent) 200=$(status_count load 200) failed=0 lost=0 connect_errors=0 p99=$(field load .latency_ms.p99)ms"
