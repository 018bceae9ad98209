#!/usr/bin/env bash
# Scenario 12: shared-memory segments and the control socket are owner-only (mode 0600, our
# uid); concurrent requests with distinct secrets each get back exactly their own secret, from
# header, query and body, and never another request's globals, module state or prototype patch.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
chaos_init 12-isolation-and-permissions

requests=$(pick 2000 20000)
new_cluster_ports
{
  config_head
  cat <<EOF
workers: 2
isolates_per_worker: 2
scripts:
  - name: echo-secret
    path: $(script_path echo_secret.js)
    routes: ["/*"]
EOF
} >"$CHAOS_TMP/cluster.yaml"
start_wsup "$CHAOS_TMP/cluster.yaml"

# Owner-only: every segment of this supervisor and the control socket.
segments=($(segments_of "$WSUP_PID"))
((${#segments[@]} > 0)) || fail "no segment /dev/shm/wsup-*-$WSUP_PID-w* found"
uid=$(id -u)
for path in "${segments[@]}" "$CONTROL"; do
  mode=$(stat -c '%a' "$path")
  owner=$(stat -c '%u' "$path")
  [[ $mode == 600 ]] || fail "$path has mode $mode, expected 600 (owner-only)"
  [[ $owner == "$uid" ]] || fail "$path is owned by uid $owner, expected $uid"
done

# Distinct secrets, many at once: 16 connections, each request waits on a timer inside the script
# so that requests overlap in the same isolates.
load_run secrets --method POST --path /echo --connections 16 --requests "$requests" --duration 60 \
  --timeout-ms 10000 --expect-body 'h={secret} q={secret} b={secret} g={secret} m={secret} p={secret} prev='
log "secrets: $(summary secrets) mismatched=$(field secrets .mismatched)"
expect_nothing_lost secrets
[[ $(status_count secrets 200) == "$requests" ]] || fail "not every request answered 200: $(field secrets '.status|tojson')"
mismatched=$(field secrets .mismatched)
[[ $mismatched == 0 ]] || fail "$mismatched responses carried data of another request or state left by an earlier one, e.g. $(field secrets '.mismatch_examples[0]')"
chaos_pass "segments=${#segments[@]} + control socket: mode 600, owner uid $uid; $requests concurrent requests (16 connections) with distinct secrets: 200=$(status_count secrets 200) mismatched=0 lost=0 p99=$(field secrets .latency_ms.p99)ms"
