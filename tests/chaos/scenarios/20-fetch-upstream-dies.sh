#!/usr/bin/env bash
# Scenario 20: an upstream that dies in the middle of its body: it declares 64 KiB, sends 32 KiB,
# then resets the connection (every other one) or closes it (the rest), as a crashing server
# does. A script reading the body sees its read reject with a TypeError (and answers 502 saying
# so); a script returning the upstream's Response as it is gives its client an abrupt end (the
# head and the bytes that came, then the connection closes short of the declared length) or,
# when the break comes before the head went out, a 502. No client hangs, a control load beside
# it is unaffected, no worker restarts, and the workers hold no request afterwards.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
chaos_init 20-fetch-upstream-dies

reads=$(pick 40 400)
proxies=$(pick 20 200)
half=32768
start_bad_upstream half-body 120 $half
new_cluster_ports
write_fetcher_config 10s 5s
start_wsup "$CHAOS_TMP/cluster.yaml"
pids_before=$(worker_pids | sort | tr '\n' ' ')

load_start hello --path /hello --connections 2 --rate 100 --duration 60 --timeout-ms 10000
load_run reads --path /read/x --connections 4 --requests "$reads" --duration 60 --timeout-ms 10000
log "reads: $(summary reads)"
expect_nothing_lost reads
[[ $(status_count reads 502) == "$reads" ]] ||
  fail "every script reading the broken body must answer 502: $(field reads '.status|tojson')"
said=$(curl -s --max-time 10 "http://127.0.0.1:$PORT/read/said")
[[ $said == "read failed: TypeError: "* ]] || fail "the script's read did not reject with a TypeError: '$said'"
log "the script saw: ${said%$'\n'}"

# Returned as it is: each client gets an abrupt end or a 502, never the whole declared body and
# never a hang (curl's --max-time is far above the wall limit's reach here).
abrupt=0
refused=0
for ((i = 0; i < proxies; i++)); do
  rc=0
  out=$(curl -s -o "$CHAOS_TMP/proxy.body" -w '%{http_code} %{size_download}' --max-time 15 \
    "http://127.0.0.1:$PORT/proxy/$i") || rc=$?
  read -r code size <<<"$out"
  if [[ $code == 200 ]] && ((rc == 18 || rc == 56)) && ((size < 2 * half)); then
    abrupt=$((abrupt + 1))
  elif [[ $code == 502 ]]; then
    refused=$((refused + 1))
  else
    fail "proxy $i: status $code, $size bytes, curl exit $rc: neither an abrupt end nor a 502"
  fi
done
log "proxied: abrupt ends=$abrupt 502=$refused of $proxies"
load_stop hello
log "hello: $(summary hello)"
expect_nothing_lost hello
[[ $(field hello .failed_answers) == 0 ]] || fail "the control load failed: $(field hello '.status|tojson')"

pids_after=$(worker_pids | sort | tr '\n' ' ')
[[ $pids_before == "$pids_after" && $(restarts_total) == 0 ]] ||
  fail "workers restarted after the upstream died mid-body ($pids_before -> $pids_after)"
poll_until 10000 workers_hold_nothing || fail "workers still hold requests 10 s after the loads ended: $(status_json)"
errors=$(curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" | awk '/^wsup_worker_subrequest_errors_total/ { n += $2 } END { print n + 0 }')
((errors >= reads + proxies + 1)) || fail "/metrics counts $errors subrequest errors, fewer than the $((reads + proxies + 1)) broken bodies"
chaos_pass "upstream died mid-body (32 of 64 KiB, reset or closed) ${reads}x read: 502 TypeError=$reads; ${proxies}x proxied: abrupt end=$abrupt 502=$refused; subrequest errors in /metrics=$errors; control: sent=$(field hello .sent) 200=$(status_count hello 200) lost=0 p99=$(field hello .latency_ms.p99)ms; restarts=0"
