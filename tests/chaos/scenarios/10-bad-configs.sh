#!/usr/bin/env bash
# Scenario 10: the bad configs of tests/chaos/bad-configs/expected.tsv. Each is refused by
# `wsup check` and/or `wsup start` (as the table says) with its file:line and reason, a non-zero
# exit code, within 20 s, leaving no process running and no shared-memory segment behind.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
chaos_init 10-bad-configs

table="$CHAOS_DIR/bad-configs/expected.tsv"
work="$CHAOS_TMP/bad"
mkdir -p "$work"
chmod 755 "$CHAOS_TMP" "$work"  # the unreadable case runs as an unprivileged user
new_cluster_ports
"$WSUP_PROBE" hold-port 120 >"$CHAOS_TMP/busy-port" &
CHAOS_BACKGROUND_PIDS+=($!)
wait_for 5000 "could not hold a port busy" test -s "$CHAOS_TMP/busy-port"
busy_port=$(cat "$CHAOS_TMP/busy-port")

fill() {
  sed -e "s|@PORT@|$PORT|g; s|@ADMIN@|$ADMIN_PORT|g; s|@CONTROL@|$CONTROL|g" \
    -e "s|@SCRIPTS@|$CHAOS_DIR/scripts|g; s|@BUSY_PORT@|$busy_port|g" "$@"
}

# run_refused KIND FILE: runs `wsup KIND FILE` (bounded), prints its exit code; output to FILE.out.
run_refused() {
  local kind="$1" file="$2" as_user=()
  if [[ $(basename "$file") == unreadable.yaml && $(id -u) == 0 ]]; then
    # root reads mode-000 files; run this one as nobody, from a copy of wsup it may execute.
    cp "$WSUP" "$CHAOS_TMP/wsup-copy" && chmod 755 "$CHAOS_TMP/wsup-copy"
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  fi
  local wsup_bin="$WSUP"
  [[ ${#as_user[@]} -gt 0 ]] && wsup_bin="$CHAOS_TMP/wsup-copy"
  local extra=()
  [[ $kind == start ]] && extra=(--control "$CONTROL")
  local before
  before=$(compgen -G "/dev/shm/wsup-*" | sort || true)
  set +e
  (cd "$work" && exec setsid timeout -s KILL 20 "${as_user[@]}" "$wsup_bin" "$kind" "$file" \
    --worker-binary "$WSUP_WORKER" "${extra[@]}") >"$file.$kind.out" 2>&1 &
  local pid=$!
  wait $pid
  local rc=$?
  set -e
  # Nothing may outlive a refused start: no process in its group, no segment of its pid.
  if kill -0 -- "-$pid" 2>/dev/null; then
    kill -KILL -- "-$pid" 2>/dev/null
    echo "left-running"
    return
  fi
  # New segments whose supervisor is gone were left by this run ("wsup-<instance>-<pid>-w..").
  local left=()
  for segment in $(comm -13 <(echo "$before") <(compgen -G "/dev/shm/wsup-*" | sort || true)); do
    local owner
    owner=$(basename "$segment" | cut -d- -f3)
    kill -0 "$owner" 2>/dev/null || left+=("$segment")
  done
  if ((${#left[@]} > 0)); then
    rm -f "${left[@]}"
    echo "left-segments:${left[*]}"
    return
  fi
  echo "$rc"
}

checked=0
rows=()
while IFS=$'\t' read -r file refused_by location reason; do
  [[ -z $file || $file == \#* ]] && continue
  target="$work/$file"
  if [[ $file == a-directory.yaml ]]; then
    mkdir -p "$target"
  else
    fill "$CHAOS_DIR/bad-configs/$file" >"$target"
  fi
  [[ $file == unreadable.yaml ]] && chmod 000 "$target"
  reason=$(fill <<<"$reason")
  kinds=(start)
  [[ $refused_by == check+start ]] && kinds=(check start)
  for kind in "${kinds[@]}"; do
    rc=$(run_refused "$kind" "$target")
    out=$(cat "$target.$kind.out")
    [[ $rc =~ ^[0-9]+$ ]] || fail "wsup $kind $file: $rc (output: $out)"
    [[ $rc != 0 ]] || fail "wsup $kind $file exited 0; expected a refusal ($location: $reason). Output: $out"
    [[ $rc != 137 ]] || fail "wsup $kind $file did not exit within 20 s"
    grep -qF -- "$location" <<<"$out" || fail "wsup $kind $file: the message does not name '$location'. Output: $out"
    grep -qF -- "$reason" <<<"$out" || fail "wsup $kind $file: the message does not say '$reason'. Output: $out"
    checked=$((checked + 1))
  done
  rows+=("$file")
done <"$table"
((${#rows[@]} >= 15)) || fail "only ${#rows[@]} bad configs in $table (the suite covers at least 15)"
chaos_pass "${#rows[@]} bad configs, $checked refusals (wsup check and wsup start) each with file:line and reason, exit code non-zero, nothing left running, no segment left"
