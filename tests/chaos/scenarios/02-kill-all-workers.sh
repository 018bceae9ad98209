#!/usr/bin/env bash
# Scenario 2: kill -9 every worker at once under load. The supervisor keeps accepting; requests
# that arrive while no worker lives wait (within their wall time) and are served by the restarted
# workers. Only requests held by the dead workers may fail, with 502.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
chaos_init 02-kill-all-workers

# At most 4 rounds: a 5th crash within 60 s marks a worker failed (restart policy, by design).
rounds=$(pick 1 4)
workers=2
connections=8
new_cluster_ports
{
  config_head
  cat <<EOF
workers: $workers
isolates_per_worker: 2
limits:
  wall_ms: 10s
scripts:
  - name: hello
    path: $(script_path hello.js)
    routes: ["/*"]
EOF
} >"$CHAOS_TMP/cluster.yaml"
start_wsup "$CHAOS_TMP/cluster.yaml"

duration=$((rounds * 4 + 2))
load_start load --path / --connections $connections --rate 200 --duration $duration \
  --timeout-ms 15000 --log "$CHAOS_TMP/requests.csv"
started=$(now_ms)
wait_served_more 100
outages=()
for ((r = 0; r < rounds; r++)); do
  pids=($(status_json | jq -r '.workers[] | select(.state == "ready") | .pid'))
  ((${#pids[@]} == workers)) || fail "expected $workers worker pids, got: ${pids[*]}"
  killed_at=$(now_ms)
  kill -KILL "${pids[@]}"
  outage=$(wait_all_ready $workers 15000 "${pids[@]}")
  outages+=("$outage")
  log "round $((r + 1)): killed ${pids[*]}; all workers ready again after ${outage} ms"
  echo "$((killed_at - started)) $outage" >>"$CHAOS_TMP/outages.txt"
  # sleep-ok: pacing: the rounds are spread over the load's duration (4 s each).
  sleep 3
done
load_wait load
log "load: $(summary load)"

expect_nothing_lost load
bad=$(unexpected_failures load 502)
[[ $bad == 0 ]] || fail "answers other than 2xx/502: $(field load '.status|tojson')"
n502=$(status_count load 502)
((n502 <= rounds * connections)) || fail "$n502 502s: more than the $connections connections could have had in flight"
# Requests that started while every worker was dead must have waited and then succeeded.
waited=0
while read -r at outage; do
  n=$(awk -F, -v a="$at" -v b="$((at + outage))" \
    'NR > 1 && $1 > a + 20 && $1 < b && $3 == "answered" && $4 == 200 { n++ } END { print n + 0 }' \
    "$CHAOS_TMP/requests.csv")
  waited=$((waited + n))
done <"$CHAOS_TMP/outages.txt"
((waited > 0)) || fail "no request sent during the outage was served: the supervisor did not hold them for the restarted workers"
max_outage=$(printf '%s\n' "${outages[@]}" | sort -n | tail -1)
chaos_pass "rounds=$rounds sent=$(field load .sent) 200=$(status_count load 200) 502=$n502 lost=0 connect_errors=0 served_after_waiting=$waited all-dead-to-ready ms max=$max_outage max_latency=$(field load .latency_ms.max)ms"
