#!/usr/bin/env bash
# Scenario 1: kill -9 one worker every 2 s under load. The only failures allowed are 502s for
# requests that worker held when it died (bounded by its in-flight figure, summed over the
# kills); every killed worker serves again, and we measure how long that takes.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
chaos_init 01-kill-one-worker

kills=$(pick 3 15)
# The supervisor marks a worker failed after 5 crashes within 60 s, so the long run spreads its
# 15 kills over 4 workers (at most 4 kills each).
workers=$(pick 2 4)
connections=8
new_cluster_ports
write_hello_config "$workers"
start_wsup "$CHAOS_TMP/cluster.yaml"

duration=$((kills * 2 + 3))
load_start load --path / --connections $connections --rate 300 --duration $duration --timeout-ms 15000
wait_served_more 100

# ready_in_another_process ID OLD_PID: worker ID has a ready process other than OLD_PID.
ready_in_another_process() {
  [[ $(status_json 2>/dev/null | jq --argjson id "$1" --argjson old "$2" \
    '[.workers[] | select(.id == $id and .state == "ready" and .pid != $old)] | length' 2>/dev/null) -gt 0 ]]
}

in_flight_sum=0
recoveries=()
for ((k = 0; k < kills; k++)); do
  id=$((k % workers))
  status=$(status_json)
  # One row per worker id; take it only once it is ready.
  row=$(jq -c --argjson id $id '[.workers[] | select(.id == $id and .state == "ready")] | first' <<<"$status")
  pid=$(jq -r .pid <<<"$row")
  in_flight=$(jq -r .in_flight <<<"$row")
  [[ $pid =~ ^[0-9]+$ && $pid -gt 0 ]] || fail "no ready worker $id in status: $status"
  killed_at=$(now_ms)
  kill -KILL "$pid"
  in_flight_sum=$((in_flight_sum + in_flight))
  # Back when worker $id has another process in state ready.
  poll_until 10000 ready_in_another_process "$id" "$pid" ||
    fail "worker $id not ready 10 s after kill -9 (status: $(status_json 2>&1))"
  recovered=$(($(now_ms) - killed_at))
  recoveries+=("$recovered")
  log "kill $((k + 1))/$kills: worker $id pid $pid (in flight $in_flight) ready again after ${recovered} ms"
  # sleep-ok: pacing: the scenario kills a worker every 2 s, whatever the recovery took.
  sleep "$(awk -v r="$recovered" 'BEGIN { s = 2 - r / 1000; print (s > 0 ? s : 0) }')"
done
load_wait load
log "load: $(summary load)"

expect_nothing_lost load
bad=$(unexpected_failures load 502)
[[ $bad == 0 ]] || fail "answers other than 2xx/502 under kill -9: $(field load '.status|tojson')"
n502=$(status_count load 502)
# The in-flight figure is read just before each kill, so requests dispatched in between are not
# in it: allow one more per connection and kill, i.e. never more than the connections could hold.
bound=$((in_flight_sum + kills * connections))
((n502 <= bound)) || fail "$n502 requests got 502; the killed workers held at most $bound"
max_recovery=$(printf '%s\n' "${recoveries[@]}" | sort -n | tail -1)
mean_recovery=$(printf '%s\n' "${recoveries[@]}" | awk '{ s += $1 } END { printf "%.0f", s / NR }')
((max_recovery <= 5000)) || fail "a killed worker took ${max_recovery} ms to be ready again"
chaos_pass "kills=$kills workers=$workers sent=$(field load .sent) 200=$(status_count load 200) 502=$n502 (in flight at kill: $in_flight_sum) lost=0 connect_errors=0 kill-to-ready ms mean=$mean_recovery max=$max_recovery p99=$(field load .latency_ms.p99)ms"
