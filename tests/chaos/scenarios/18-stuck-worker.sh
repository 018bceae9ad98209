#!/usr/bin/env bash
# Scenario 18: workers stuck where the CPU limit cannot reach, under load on a neighbour route.
# 1. A built-in that never checks for termination (stuck_builtin.js, ~100 ms of ICU in C++)
#    against cpu_ms = cpu_hard_ms = 20: each such request ends its worker (exit status 75, the
#    hard CPU limit), which restarts at once and is never marked failed however often it happens.
# 2. One worker stopped (SIGSTOP: a loop that no longer turns): `status` shows it unresponsive,
#    /healthz says degraded, and past stuck_worker_timeout the supervisor kills and replaces it.
# Accounting as in scenario 1: nothing lost; the only failures are 502s for requests a dead
# worker held, bounded by what the connections could have put there.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
chaos_init 18-stuck-worker

stuck=$(pick 6 20)
connections=4
new_cluster_ports
{
  config_head
  cat <<EOF
workers: 2
isolates_per_worker: 2
stuck_worker_timeout: 3s
limits:
  cpu_ms: 20
  cpu_hard_ms: 20
scripts:
  - name: stuck
    path: $(script_path stuck_builtin.js)
    routes: ["/stuck"]
  - name: hello
    path: $(script_path hello.js)
    routes: ["/*"]
EOF
} >"$CHAOS_TMP/cluster.yaml"
start_wsup "$CHAOS_TMP/cluster.yaml"
load_run warmup --path /hello --connections 2 --requests 200 --duration 5

# Part 1: the hard CPU limit.
load_start hello --path /hello --connections $connections --rate 200 --duration 120 --timeout-ms 20000
load_run stuck --path /stuck --connections 1 --requests "$stuck" --duration 90 --timeout-ms 20000
wait_all_ready 2 10000 >/dev/null
load_stop hello
log "stuck: $(summary stuck)"
log "hello: $(summary hello)"
expect_nothing_lost stuck
expect_nothing_lost hello
[[ $(status_count stuck 502) == "$stuck" ]] || fail "every /stuck request must get 502 (its worker ended at the hard CPU limit): $(field stuck '.status|tojson')"
ended=$(grep -c 'worker ended a request past the hard CPU limit; restarting' "$CHAOS_TMP/wsup.log" || true)
[[ $ended == "$stuck" ]] || fail "$ended worker exits at the hard CPU limit for $stuck stuck requests"
grep -q 'msg="worker failed' "$CHAOS_TMP/wsup.log" && fail "a worker was marked failed for hard-limit exits"
[[ $(unexpected_failures hello 502) == 0 ]] || fail "the neighbour route got answers other than 2xx/502: $(field hello '.status|tojson')"
hello_502=$(status_count hello 502)
((hello_502 <= stuck * connections)) || fail "$hello_502 neighbour requests got 502; the ended workers held at most $((stuck * connections))"

# Part 2: a worker whose loop stops turning.
served_before=$(served)
load_start hello2 --path /hello --connections $connections --rate 200 --duration 60 --timeout-ms 20000
# The worker stops while the neighbour load is flowing: wait until it has been served some.
neighbour_flowing() { (($(served) >= served_before + 20)); }
wait_for 10000 "the neighbour load never reached the workers" neighbour_flowing
row=$(status_json | jq -c '[.workers[] | select(.state == "ready")] | first')
pid=$(jq -r .pid <<<"$row")
id=$(jq -r .id <<<"$row")
in_flight=$(jq -r .in_flight <<<"$row")
stopped_at=$(now_ms)
kill -STOP "$pid"
shown_unresponsive() { [[ $(worker_field "$id" state) == unresponsive ]]; }
wait_for 10000 "worker $id (pid $pid, stopped) never shown unresponsive" shown_unresponsive
unresponsive_ms=$(($(now_ms) - stopped_at))
health=$(curl -s "http://127.0.0.1:$ADMIN_PORT/healthz")
[[ $health == degraded* ]] || fail "/healthz with a stuck worker: $health"
replaced_and_ready() {
  [[ $(status_json | jq --argjson id "$id" --argjson old "$pid" \
    '[.workers[] | select(.id == $id and .state == "ready" and .pid != $old)] | length') -gt 0 ]]
}
wait_for 20000 "stopped worker $id not replaced" replaced_and_ready
replaced_ms=$(($(now_ms) - stopped_at))
load_stop hello2
log "hello2: $(summary hello2)"
expect_nothing_lost hello2
[[ $(unexpected_failures hello2 502) == 0 ]] || fail "answers other than 2xx/502 around the stuck worker: $(field hello2 '.status|tojson')"
hello2_502=$(status_count hello2 502)
((hello2_502 <= in_flight + connections)) || fail "$hello2_502 requests got 502; the stuck worker held at most $((in_flight + connections))"
grep -q 'worker stuck: its loop has not turned' "$CHAOS_TMP/wsup.log" || fail "no 'worker stuck' line in the log"
chaos_pass "hard CPU limit: stuck=$stuck 502=$(status_count stuck 502) worker exits=$ended failed=0, neighbour sent=$(field hello .sent) 502=$hello_502 lost=0; stopped worker: unresponsive after ${unresponsive_ms} ms, replaced after ${replaced_ms} ms (stuck_worker_timeout 3 s), neighbour sent=$(field hello2 .sent) 502=$hello2_502 lost=0 p99=$(field hello2 .latency_ms.p99)ms"
