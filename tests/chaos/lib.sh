# Shared helpers of the chaos scenarios (sourced, not run). Each scenario:
#   source lib.sh; chaos_init "NN-name"; ...; chaos_pass "figures"
#
# Inputs (environment; CTest and scripts/chaos set them):
#   WSUP, WSUP_WORKER, WSUP_LOADGEN, WSUP_PROBE   paths of the built binaries
#   CHAOS_MODE      short (default: a few seconds) | full (the long version)
#   CHAOS_RESULTS   a file to append this scenario's figures row to (optional)
#   CHAOS_KEEP      1: keep the scenario's temp folder even when it passes
#
# Guarantees: only 127.0.0.1 is used, on ports chosen free at run time; every loop is bounded;
# on any exit (pass, fail, ^C) everything started here is stopped (its whole process group) and
# the shared-memory segments of every supervisor started here are removed.
set -euo pipefail

CHAOS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CHAOS_MODE="${CHAOS_MODE:-short}"
CHAOS_NAME=""
CHAOS_TMP=""
CHAOS_SUPERVISOR_PIDS=()
CHAOS_BACKGROUND_PIDS=()
WSUP_PID=""
PORT=""
ADMIN_PORT=""
CONTROL=""

log() { printf '[%s %s] %s\n' "$(date -u +%H:%M:%S)" "$CHAOS_NAME" "$*" >&2; }

# Ends the scenario with a clear message; the EXIT trap cleans up.
fail() {
  printf '\nCHAOS FAIL [%s]: %s\n' "$CHAOS_NAME" "$*" >&2
  if [[ -n $CHAOS_TMP && -f $CHAOS_TMP/wsup.log ]]; then
    printf -- '--- last lines of the supervisor log (%s/wsup.log) ---\n' "$CHAOS_TMP" >&2
    tail -n 25 "$CHAOS_TMP/wsup.log" >&2 || true
  fi
  exit 1
}

is_full() { [[ $CHAOS_MODE == full ]]; }

# The worker binary is built with ASan or TSan (their quarantine and shadow memory make RSS say
# little). ldd's output is read whole first: `ldd | grep -q` under pipefail fails whenever grep
# exits before ldd has written everything (SIGPIPE), which made this answer "no" at random.
sanitizer_build() { [[ $(ldd "$WSUP_WORKER") =~ lib(a|t)san ]]; }

# pick SHORT FULL: the value for the current mode.
pick() { if is_full; then echo "$2"; else echo "$1"; fi; }

now_ms() { date +%s%3N; }

# poll_until TIMEOUT_MS COMMAND...: runs COMMAND (a condition) until it succeeds, then returns 0,
# or until TIMEOUT_MS have passed, then returns 1. Sets WAITED_MS to how long it waited. The one
# place the scenarios pause: everything else waits for a condition through it or wait_for.
WAITED_MS=0
poll_until() {
  local timeout="$1" started
  shift
  started=$(now_ms)
  until "$@"; do
    WAITED_MS=$(($(now_ms) - started))
    ((WAITED_MS < timeout)) || return 1
    sleep 0.02 # sleep-ok: the polling interval between two looks at the condition
  done
  WAITED_MS=$(($(now_ms) - started))
}

# wait_for TIMEOUT_MS DESCRIPTION COMMAND...: poll_until, and fail the scenario with
# DESCRIPTION when the condition never held.
wait_for() {
  local timeout="$1" description="$2"
  shift 2
  poll_until "$timeout" "$@" || fail "$description (waited $timeout ms)"
}

chaos_init() {
  CHAOS_NAME="$1"
  for tool in WSUP WSUP_WORKER WSUP_LOADGEN WSUP_PROBE; do
    [[ -n ${!tool:-} && -x ${!tool} ]] || fail "$tool is not set to an executable (got '${!tool:-}')"
  done
  command -v jq >/dev/null || fail "jq is needed (scripts/setup installs it)"
  command -v curl >/dev/null || fail "curl is needed (scripts/setup installs it)"
  CHAOS_TMP="$(mktemp -d "/tmp/wsup-chaos-${CHAOS_NAME}.XXXXXX")"
  trap chaos_cleanup EXIT
  trap 'fail "interrupted"' INT TERM
  log "mode=$CHAOS_MODE tmp=$CHAOS_TMP"
}

# Stops everything this scenario started; runs on every exit.
chaos_cleanup() {
  local rc=$?
  set +e
  for pid in "${CHAOS_BACKGROUND_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${CHAOS_SUPERVISOR_PIDS[@]}"; do
    # Each supervisor leads its own process group (setsid), workers included.
    kill -TERM -- "-$pid" 2>/dev/null
  done
  local deadline=$(($(now_ms) + 5000))
  for pid in "${CHAOS_SUPERVISOR_PIDS[@]}"; do
    poll_until $((deadline - $(now_ms))) group_gone "$pid"
    kill -KILL -- "-$pid" 2>/dev/null
    rm -f /dev/shm/wsup-*-"$pid"-w* 2>/dev/null
  done
  for pid in "${CHAOS_BACKGROUND_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  if [[ $rc == 0 && ${CHAOS_KEEP:-0} != 1 ]]; then
    rm -rf "$CHAOS_TMP"
  elif [[ -n $CHAOS_TMP ]]; then
    printf '[%s] logs kept in %s\n' "$CHAOS_NAME" "$CHAOS_TMP" >&2
  fi
  exit "$rc"
}

# group_gone PGID: no process of that process group is left.
group_gone() { ! kill -0 -- "-$1" 2>/dev/null; }

# alive PID: the process exists and is not a zombie (an exited child not yet reaped by its new
# parent still answers kill -0).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# free_ports N: N loopback ports free right now.
free_ports() { "$WSUP_PROBE" free-port "$1"; }

# The common head of every generated cluster.yaml: loopback listener, admin HTTP, control socket
# and logs inside the temp folder. Scenarios append workers/limits/scripts.
config_head() {
  cat <<EOF
listen: 127.0.0.1:$PORT
drain_timeout: 2s
logging:
  level: info
  access_log: off
admin:
  control_socket: $CONTROL
  http: 127.0.0.1:$ADMIN_PORT
EOF
}

# write_hello_config WORKERS: $CHAOS_TMP/cluster.yaml serving hello.js on every route.
write_hello_config() {
  {
    config_head
    cat <<EOF
workers: $1
isolates_per_worker: 2
scripts:
  - name: hello
    path: $(script_path hello.js)
    routes: ["/*"]
EOF
  } >"$CHAOS_TMP/cluster.yaml"
}

# new_cluster_ports: choose PORT, ADMIN_PORT and CONTROL for the next supervisor.
new_cluster_ports() {
  local ports
  ports=($(free_ports 2))
  PORT=${ports[0]}
  ADMIN_PORT=${ports[1]}
  CONTROL="$CHAOS_TMP/control-$PORT.sock"
}

# script_path NAME: absolute path of tests/chaos/scripts/NAME.
script_path() { echo "$CHAOS_DIR/scripts/$1"; }

# start_wsup CONFIG [EXTRA ARGS...]: starts `wsup start` in its own process group and waits
# (at most 30 s) until /healthz answers 200. Sets WSUP_PID.
start_wsup() {
  local config="$1"
  shift
  setsid "$WSUP" start "$config" --worker-binary "$WSUP_WORKER" "$@" >>"$CHAOS_TMP/wsup.log" 2>&1 &
  WSUP_PID=$!
  CHAOS_SUPERVISOR_PIDS+=("$WSUP_PID")
  wait_for 30000 "wsup not healthy on 127.0.0.1:$ADMIN_PORT" wsup_healthy
  log "wsup pid=$WSUP_PID serving 127.0.0.1:$PORT (admin $ADMIN_PORT)"
}

# wsup_healthy: /healthz of the supervisor WSUP_PID answers 200; fails the scenario if it exited.
wsup_healthy() {
  kill -0 "$WSUP_PID" 2>/dev/null || fail "wsup start exited before becoming healthy"
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN_PORT/healthz") == 200 ]]
}

wsupctl() { "$WSUP" "$@" --control "$CONTROL"; }

# status_json: the running supervisor's `wsup status --json`.
status_json() { wsupctl status --json; }
worker_pids() { status_json | jq -r '.workers[].pid'; }
# workers_rss_kib: the summed resident memory (VmRSS, KiB) of the running worker processes.
workers_rss_kib() {
  local total=0 kib
  for pid in $(worker_pids); do
    kib=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
    total=$((total + ${kib:-0}))
  done
  echo $total
}
worker_field() { status_json | jq -r --argjson id "$1" ".workers[] | select(.id == \$id) | .$2"; }

# ready_count OLD_JSON: how many workers are ready in a process not listed in OLD_JSON (a JSON
# array of pids).
ready_count() {
  status_json 2>/dev/null | jq --argjson old "$1" \
    '[.workers[] | select(.state == "ready" and (.pid as $p | $old | any(. == $p) | not))] | length' \
    2>/dev/null || echo 0
}
at_least_ready() { (($(ready_count "$2") >= $1)); }

# wait_all_ready N TIMEOUT_MS [OLD_PID...]: until N workers are ready, none of them one of the
# OLD_PIDs (processes just killed, which status may still show for a moment); prints the time
# it took in ms.
wait_all_ready() {
  local want="$1" timeout="$2"
  shift 2
  local old
  old=$(printf '%s\n' "$@" | jq -R 'select(length > 0) | tonumber' | jq -s -c .)
  poll_until "$timeout" at_least_ready "$want" "$old" ||
    fail "only $(ready_count "$old") of $want workers ready after $timeout ms"
  echo "$WAITED_MS"
}

# served: requests the workers have answered with a status below 500 (status requests_served,
# summed over the worker ids, each over all its processes).
served() { status_json 2>/dev/null | jq '[.workers[].requests_served] | add // 0' 2>/dev/null || echo 0; }
served_at_least() { (($(served) >= $1)); }
# wait_served_more N: until the workers have answered N more requests than when it was called
# (a load just started is flowing), at most 10 s.
wait_served_more() {
  local target=$(($(served) + $1))
  wait_for 10000 "the workers did not answer $1 more requests: the load is not flowing" \
    served_at_least "$target"
}

# load_start NAME ARGS...: runs wsup-loadgen in the background against 127.0.0.1:$PORT; its
# report lands in $CHAOS_TMP/NAME.json. load_wait NAME waits for it.
declare -A CHAOS_LOAD_PIDS=()
load_start() {
  local name="$1"
  shift
  "$WSUP_LOADGEN" --port "$PORT" --out "$CHAOS_TMP/$name.json" "$@" 2>>"$CHAOS_TMP/$name.err" &
  CHAOS_LOAD_PIDS[$name]=$!
  CHAOS_BACKGROUND_PIDS+=($!)
}
load_wait() {
  wait "${CHAOS_LOAD_PIDS[$1]}" || fail "wsup-loadgen $1 failed: $(cat "$CHAOS_TMP/$1.err")"
  [[ -s $CHAOS_TMP/$1.json ]] || fail "wsup-loadgen $1 wrote no report"
}
# load_stop NAME: ends a background load early (it still writes its report).
load_stop() { kill -TERM "${CHAOS_LOAD_PIDS[$1]}" 2>/dev/null || true; load_wait "$1"; }
# load_run NAME ARGS...: a load in the foreground.
load_run() { load_start "$@"; load_wait "$1"; }

# field NAME JQ: a figure from a load report.
field() { jq -r "$2" "$CHAOS_TMP/$1.json"; }
status_count() { jq -r --arg s "$2" '.status[$s] // 0' "$CHAOS_TMP/$1.json"; }
# Answered with a status outside 2xx and other than those listed: e.g. unexpected_failures r 502
unexpected_failures() {
  local name="$1"
  shift
  local allowed
  allowed=$(printf '"%s",' "$@")
  jq -r "[.status | to_entries[] | .key as \$k | select((\$k | tonumber) >= 300 and ([${allowed%,}] | map(. == \$k) | any | not)) | .value] | add // 0" \
    "$CHAOS_TMP/$name.json"
}
summary() {
  jq -r '"sent=\(.sent) answered=\(.answered) status=\(.status|tojson) lost=\(.lost) connect_errors=\(.connect_errors) p50=\(.latency_ms.p50)ms p99=\(.latency_ms.p99)ms"' \
    "$CHAOS_TMP/$1.json"
}

# expect DESCRIPTION TEST...: fails the scenario with DESCRIPTION unless the test command holds.
expect() {
  local description="$1"
  shift
  "$@" || fail "$description"
}

# No request may be lost or refused at connect: the baseline of every scenario.
expect_nothing_lost() {
  local lost connect
  lost=$(field "$1" .lost)
  connect=$(field "$1" .connect_errors)
  [[ $lost == 0 ]] || fail "$1: $lost requests sent and never answered ($(summary "$1"); errors $(field "$1" '.errors|tojson'))"
  [[ $connect == 0 ]] || fail "$1: $connect connection errors ($(field "$1" '.errors|tojson'))"
}

# latency_bounds_asserted: whether the scenarios' p99 ratio bounds are asserted here: on machines
# with more than 2 CPUs (on 2, the load, the faults and wsup share both cores and the ratios are
# only reported); CHAOS_LATENCY_BOUNDS=on|off overrides.
latency_bounds_asserted() {
  local bounds=${CHAOS_LATENCY_BOUNDS:-auto}
  [[ $bounds == on ]] || { [[ $bounds == auto ]] && (($(nproc) > 2)); }
}

# supervisor_kib FIELD: a memory figure of the running supervisor in KiB from /proc/PID/status
# (VmRSS now, VmHWM its peak so far).
supervisor_kib() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$WSUP_PID/status"; }

# segments_of PID: the shared-memory segments of the supervisor with that pid.
segments_of() { compgen -G "/dev/shm/wsup-*-$1-w*" || true; }

# chaos_pass FIGURES: the scenario held; prints and records its figures row.
chaos_pass() {
  local figures="$1"
  printf 'CHAOS PASS [%s] %s\n' "$CHAOS_NAME" "$figures"
  if [[ -n ${CHAOS_RESULTS:-} ]]; then
    printf '%s\t%s\t%s\n' "$CHAOS_NAME" "$CHAOS_MODE" "$figures" >>"$CHAOS_RESULTS"
  fi
}

# start_bad_upstream MODE SECONDS [HALF_BODY_BYTES]: a misbehaving upstream for fetch()
# (`wsup-chaos-probe bad-upstream`, hang | half-body) on a free loopback port, stopped by the
# cleanup; sets UPSTREAM_PORT and UPSTREAM_LOG (its "accepted N" lines).
UPSTREAM_PORT=""
UPSTREAM_LOG=""
start_bad_upstream() {
  local port_file="$CHAOS_TMP/upstream-$1.port"
  UPSTREAM_LOG="$CHAOS_TMP/upstream-$1.log"
  "$WSUP_PROBE" bad-upstream "$@" >"$port_file" 2>"$UPSTREAM_LOG" &
  CHAOS_BACKGROUND_PIDS+=($!)
  wait_for 10000 "the $1 upstream never printed its port" test -s "$port_file"
  UPSTREAM_PORT=$(head -n1 "$port_file")
  log "bad upstream ($1) on 127.0.0.1:$UPSTREAM_PORT"
}
# write_fetcher_config WALL SUBREQUEST_TIMEOUT: $CHAOS_TMP/cluster.yaml for scenarios 19 and 20:
# 2 workers, fetch_upstream.js on /read/* and /proxy/* fetching the bad upstream (loopback
# allowed), hello.js on every other route.
write_fetcher_config() {
  {
    config_head
    cat <<YAML
workers: 2
isolates_per_worker: 2
limits:
  wall_ms: $1
  subrequest_timeout_ms: $2
outbound:
  allow: [loopback]
scripts:
  - name: fetcher
    path: $(script_path fetch_upstream.js)
    routes: ["/read/*", "/proxy/*"]
    vars:
      UPSTREAM: http://127.0.0.1:$UPSTREAM_PORT/
  - name: hello
    path: $(script_path hello.js)
    routes: ["/*"]
YAML
  } >"$CHAOS_TMP/cluster.yaml"
}
# upstream_accepted: connections the bad upstream has accepted so far.
upstream_accepted() { grep -c '^accepted ' "$UPSTREAM_LOG" || true; }
# ready_in_flight: the requests the ready workers hold ("null" while none is ready).
ready_in_flight() { status_json | jq '[.workers[] | select(.state == "ready") | .in_flight] | add'; }
workers_hold_nothing() { [[ $(ready_in_flight) == 0 ]]; }
# restarts_total: worker restarts over every slot, from status.
restarts_total() { status_json | jq '[.workers[].restarts] | add // 0'; }
