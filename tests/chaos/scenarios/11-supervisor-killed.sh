#!/usr/bin/env bash
# Scenario 11: the supervisor itself dies by SIGKILL under load. Its workers notice and exit
# within 1 s (no orphans); the next `wsup start` removes the stale segments and serves.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
chaos_init 11-supervisor-killed

rounds=$(pick 1 5)
workers=2
write_cluster() {
  write_hello_config "$workers"
}
new_cluster_ports
write_cluster
start_wsup "$CHAOS_TMP/cluster.yaml"

# none_alive PID...: sets left_alive to how many of the PIDs still run; true when none does.
none_alive() {
  left_alive=0
  local pid
  for pid in "$@"; do alive "$pid" && left_alive=$((left_alive + 1)); done
  ((left_alive == 0))
}

exits=()
for ((r = 0; r < rounds; r++)); do
  pids=($(worker_pids))
  ((${#pids[@]} == workers)) || fail "expected $workers worker pids, got: ${pids[*]}"
  old_supervisor=$WSUP_PID
  segments=($(segments_of "$old_supervisor"))
  ((${#segments[@]} > 0)) || fail "no segment /dev/shm/wsup-*-$old_supervisor-w* while running"
  load_start "load$r" --path / --connections 4 --rate 200 --duration 10 --timeout-ms 3000
  wait_served_more 50
  killed_at=$(now_ms)
  kill -KILL "$old_supervisor"
  # Poll the workers until none is left (at most 3 s, the assertion is 1 s).
  poll_until 3000 none_alive "${pids[@]}" || true
  gone_ms=$(($(now_ms) - killed_at))
  ((left_alive == 0)) || fail "$left_alive worker(s) still running 3 s after the supervisor died (orphans: ${pids[*]})"
  ((gone_ms <= 1000)) || fail "workers took ${gone_ms} ms to exit after the supervisor died (limit 1000 ms)"
  exits+=("$gone_ms")
  load_stop "load$r"
  log "round $((r + 1)): workers gone ${gone_ms} ms after SIGKILL of the supervisor; load: $(summary "load$r")"

  # The next start on the same config removes what the dead one left and serves.
  left=($(segments_of "$old_supervisor"))
  log "stale segments after the kill: ${#left[@]}"
  start_wsup "$CHAOS_TMP/cluster.yaml"
  [[ -z $(segments_of "$old_supervisor") ]] || fail "stale segments of the killed supervisor survived the next start: $(segments_of "$old_supervisor")"
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT/")
  [[ $code == 200 ]] || fail "the restarted cluster answered $code"
done
max_exit=$(printf '%s\n' "${exits[@]}" | sort -n | tail -1)
chaos_pass "rounds=$rounds workers exited within max ${max_exit} ms of the supervisor's SIGKILL (limit 1000 ms), orphans=0; next start removed the stale segments (${#segments[@]} per run) and served 200"
