#!/usr/bin/env bash
# Scenario 6: a script that throws (500), one that never responds (500 or 504, never a hang past
# the wall time), one that resolves with a non-Response (500). Each answer has a body saying
# what went wrong; the workers stay up and keep serving the well-behaved route.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
chaos_init 06-script-errors

per_kind=$(pick 20 200)
new_cluster_ports
{
  config_head
  cat <<EOF
workers: 2
isolates_per_worker: 2
limits:
  wall_ms: 1s
scripts:
  - name: throws
    path: $(script_path throws.js)
    routes: ["/throws"]
  - name: never-responds
    path: $(script_path never_responds.js)
    routes: ["/never-responds"]
  - name: not-a-response
    path: $(script_path not_a_response.js)
    routes: ["/not-a-response"]
  - name: hello
    path: $(script_path hello.js)
    routes: ["/*"]
EOF
} >"$CHAOS_TMP/cluster.yaml"
start_wsup "$CHAOS_TMP/cluster.yaml"
pids_before=$(worker_pids | sort | tr '\n' ' ')

load_start hello --path /hello --connections 2 --rate 100 --duration 60 --timeout-ms 10000
load_start throws --path /throws --connections 2 --requests "$per_kind" --duration 30
load_start never --path /never-responds --connections 4 --requests "$per_kind" --duration 30 --timeout-ms 5000
load_start notresp --path /not-a-response --connections 2 --requests "$per_kind" --duration 30
load_wait throws
load_wait never
load_wait notresp
load_stop hello
for name in throws never notresp hello; do log "$name: $(summary $name)"; done

for name in throws never notresp hello; do expect_nothing_lost $name; done
[[ $(status_count throws 500) == "$per_kind" ]] || fail "a throwing script must give 500: $(field throws '.status|tojson')"
[[ $(status_count notresp 500) == "$per_kind" ]] || fail "a non-Response must give 500: $(field notresp '.status|tojson')"
never_ok=$(($(status_count never 500) + $(status_count never 504)))
[[ $never_ok == "$per_kind" ]] || fail "a never-responding script must give 500 or 504: $(field never '.status|tojson')"
never_max=$(field never .latency_ms.max)
awk -v m="$never_max" 'BEGIN { exit !(m <= 2000) }' || fail "a never-responding request took ${never_max} ms (wall_ms is 1s)"
[[ $(field hello .failed_answers) == 0 ]] || fail "the well-behaved route failed: $(field hello '.status|tojson')"

# "Clear": each error answer says something (a non-empty body).
for route in throws never-responds not-a-response; do
  body=$(curl -s --max-time 5 "http://127.0.0.1:$PORT/$route")
  [[ -n $body ]] || fail "/$route answered with an empty body"
  log "/$route says: ${body:0:120}"
done
pids_after=$(worker_pids | sort | tr '\n' ' ')
[[ $pids_after == "$pids_before" ]] || fail "a worker died ($pids_before -> $pids_after)"
chaos_pass "throws: 500=$(status_count throws 500)/$per_kind; never responds: 500=$(status_count never 500) 504=$(status_count never 504) max=${never_max}ms; non-Response: 500=$(status_count notresp 500)/$per_kind; workers restarted=0; neighbour failed=0 p99=$(field hello .latency_ms.p99)ms"
