#!/usr/bin/env bash
# Scenario 9: a worker writes garbage into its response ring. The supervisor must reject those
# records, fail only the requests involved (502), restart that worker, and keep serving.
#
# Needs the test-only worker `wsup-worker-faults` (docs/RELIABILITY.md, "Test fault flag"):
#   WSUP_TEST_FAULT=corrupt-responses wsup-worker-faults ...
# The production wsup-worker has no fault code. A wrapper given to the supervisor as
# --worker-binary runs the faulty binary for the FIRST worker process only, so the restarted
# worker is the real, healthy one.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
chaos_init 09-corrupt-response-ring

workers=2
[[ -n ${WSUP_WORKER_FAULTS:-} && -x $WSUP_WORKER_FAULTS ]] ||
  fail "WSUP_WORKER_FAULTS is not set to the test-only worker (got '${WSUP_WORKER_FAULTS:-}'): build the target wsup-worker-faults"
"$WSUP_WORKER_FAULTS" --version >/dev/null 2>&1 || fail "$WSUP_WORKER_FAULTS --version failed"
new_cluster_ports
write_hello_config "$workers"

# The fault is armed once, in worker 0's first process (mkdir of the marker is atomic); its
# replacement and every other worker run clean. `--check` runs clean. Worker 0, because the
# dispatcher gives ties to the first worker: at this load, with a fast front, requests seldom
# overlap, so another worker might never be sent one.
cat >"$CHAOS_TMP/faulty-worker" <<EOF
#!/usr/bin/env bash
if [[ " \$* " == *" --worker-id 0 "* ]] && mkdir "$CHAOS_TMP/fault-armed" 2>/dev/null; then
  echo \$\$ >"$CHAOS_TMP/fault-armed/pid"
  WSUP_TEST_FAULT=corrupt-responses exec "$WSUP_WORKER_FAULTS" "\$@"
fi
exec "$WSUP_WORKER" "\$@"
EOF
chmod +x "$CHAOS_TMP/faulty-worker"
real_worker="$WSUP_WORKER"
WSUP_WORKER="$CHAOS_TMP/faulty-worker"
start_wsup "$CHAOS_TMP/cluster.yaml"
WSUP_WORKER="$real_worker"

[[ -f $CHAOS_TMP/fault-armed/pid ]] || fail "no worker was started through the fault wrapper"
faulty_pid=$(cat "$CHAOS_TMP/fault-armed/pid")
load_run load --path / --connections 4 --rate 200 --duration "$(pick 4 20)" --timeout-ms 10000
log "load: $(summary load)"

kill -0 "$WSUP_PID" 2>/dev/null || fail "the supervisor died on corrupt response records"
expect_nothing_lost load
n502=$(status_count load 502)
bad=$(unexpected_failures load 502)
[[ $bad == 0 ]] || fail "answers other than 2xx/502: $(field load '.status|tojson')"
((n502 > 0)) || fail "no request failed: the faulty worker did not corrupt its ring (does wsup-worker-faults honour WSUP_TEST_FAULT=corrupt-responses?)"
! alive "$faulty_pid" || fail "the worker that wrote garbage (pid $faulty_pid) was not restarted"
grep -Eiq 'corrupt|invalid|malformed|reject' "$CHAOS_TMP/wsup.log" || fail "the supervisor did not log the rejected records"
ready=$(wait_all_ready $workers 10000)
load_run after --path / --connections 4 --requests 200 --duration 10
[[ $(field after .failed_answers) == 0 && $(field after .lost) == 0 ]] || fail "requests still fail after the restart: $(summary after)"
restarts=$(status_json | jq '[.workers[].restarts] | add')
chaos_pass "sent=$(field load .sent) 200=$(status_count load 200) 502=$n502 lost=0 connect_errors=0; faulty worker restarted (restarts=$restarts), all ready within ${ready} ms of the check; supervisor alive; 200/200 afterwards"
