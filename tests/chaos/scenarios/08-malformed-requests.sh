#!/usr/bin/env bash
# Scenario 8: oversized headers, oversized bodies, malformed request lines, invalid chunked
# encoding, HTTP/1.0 and pipelined requests, sent raw: each gets the right status (or answers),
# and a steady load running beside them sees nothing.
#
# KNOWN LIMITATION, asserted as such: HTTP/1.1 pipelining. cpp-httplib 0.11.4 (Debian's, compiled
# into libcpp-httplib.so, so the HTTP front cannot patch its reader) drops the pipelined requests
# after the first (yhirose/cpp-httplib#1271: the bytes read ahead are discarded with its per-request
# stream buffer). The front never sees those bytes, so it cannot detect or replay them. This
# scenario asserts what can be promised: the first pipelined request is answered 200 and a
# pipelined burst disturbs neither the steady load beside it nor the server. Should a later
# library answer all three, the scenario says so (and still passes).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
chaos_init 08-malformed-requests

rounds=$(pick 3 30)
new_cluster_ports
{
  config_head
  cat <<EOF
workers: 2
isolates_per_worker: 2
limits:
  max_header_bytes: 16KiB
  max_body_bytes: 64KiB
scripts:
  - name: hello
    path: $(script_path hello.js)
    routes: ["/hello*"]
EOF
} >"$CHAOS_TMP/cluster.yaml"
start_wsup "$CHAOS_TMP/cluster.yaml"

req="$CHAOS_TMP/requests"
mkdir -p "$req"
crlf() { printf '%s\r\n' "$@"; }
# name | expected output of `wsup-chaos-probe raw` (status codes, then closed/open)
declare -A expected=()
{ crlf "GET /hello HTTP/1.1" "Host: 127.0.0.1"
  for i in $(seq 1 24); do crlf "X-Filler-$i: $(head -c 1000 /dev/zero | tr '\0' a)"; done
  crlf ""; } >"$req/oversized-headers"
expected[oversized-headers]="431"
{ crlf "POST /hello HTTP/1.1" "Host: 127.0.0.1" "Content-Length: 131072" ""
  head -c 131072 /dev/zero | tr '\0' b; } >"$req/oversized-body"
expected[oversized-body]="413"
{ crlf "POST /hello HTTP/1.1" "Host: 127.0.0.1" "Transfer-Encoding: chunked" ""
  for i in $(seq 1 40); do crlf "800" "$(head -c 2048 /dev/zero | tr '\0' c)"; done
  crlf "0" ""; } >"$req/oversized-chunked-body"
expected[oversized-chunked-body]="413"
crlf "GARBAGE" "" >"$req/malformed-request-line"
expected[malformed-request-line]="400"
crlf "GET /hello HTTP/1.1 extra" "Host: 127.0.0.1" "" >"$req/request-line-extra-field"
expected[request-line-extra-field]="400"
{ crlf "POST /hello HTTP/1.1" "Host: 127.0.0.1" "Transfer-Encoding: chunked" ""
  crlf "zz" "hello" "0" ""; } >"$req/invalid-chunk-size"
expected[invalid-chunk-size]="400"
crlf "GET /hello HTTP/1.0" "" >"$req/http10"
expected[http10]="200 closed"
{ crlf "GET /hello HTTP/1.1" "Host: 127.0.0.1" ""
  crlf "GET /hello HTTP/1.1" "Host: 127.0.0.1" ""
  crlf "GET /hello HTTP/1.1" "Host: 127.0.0.1" "Connection: close" ""; } >"$req/pipelined"
expected[pipelined]="200"  # the known limitation above: only the first is answered today
crlf "GET /nowhere HTTP/1.1" "Host: 127.0.0.1" "Connection: close" "" >"$req/no-route"
expected[no-route]="404 closed"

load_start load --path /hello --connections 4 --rate 200 --duration 60 --timeout-ms 10000
results=()
wrong=()
for ((r = 0; r < rounds; r++)); do
  for name in $(printf '%s\n' "${!expected[@]}" | sort); do
    got=$("$WSUP_PROBE" raw "$PORT" "$req/$name" 1500 | tr '\n' ' ')
    got="${got% }"
    want="${expected[$name]}"
    # The status codes must match exactly; "closed" is only asserted where listed.
    if [[ "$got" != "$want"* ]]; then
      ((r == 0)) && wrong+=("$name: expected '$want', got '$got'")
    fi
    ((r == 0)) && results+=("$name=$got")
  done
  ((${#wrong[@]} == 0)) || break
done
load_stop load
log "load: $(summary load)"
((${#wrong[@]} == 0)) || fail "$(printf '%s; ' "${wrong[@]}")(all: ${results[*]})"
pipelined=$(printf '%s\n' "${results[@]}" | sed -n 's/^pipelined=//p')
if [[ $pipelined == "200 200 200"* ]]; then
  limitation="pipelining: all 3 pipelined requests answered (the known limitation is gone)"
else
  limitation="KNOWN LIMITATION: of 3 pipelined requests only the first is answered (got '$pipelined'; cpp-httplib 0.11.4, yhirose/cpp-httplib#1271); the burst disturbed nothing"
fi
log "$limitation"
expect_nothing_lost load
[[ $(field load .failed_answers) == 0 ]] || fail "the steady load was disturbed: $(field load '.status|tojson')"
healthy=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN_PORT/healthz")
[[ $healthy == 200 ]] || fail "healthz answered $healthy after the malformed requests"
chaos_pass "${#expected[@]} kinds x $rounds rounds all as expected (${results[*]}); steady load sent=$(field load .sent) failed=0 lost=0; $limitation"
