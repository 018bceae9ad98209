#!/usr/bin/env bash
# Scenario 8: oversized headers, oversized bodies, malformed request lines, invalid chunked
# encoding, HTTP/1.0 and pipelined requests, sent raw: each gets the right status (or answers),
# and a steady load running beside them sees nothing.
#
# Pipelining: requests written in one send on one connection (GETs, a POST with a
# Content-Length body, a chunked POST) are each answered, in order, with their own response (an
# echo script numbers them), and the connection closes after the one that asked for it.
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
  - name: echo
    path: $CHAOS_TMP/echo.js
    routes: ["/echo*"]
EOF
} >"$CHAOS_TMP/cluster.yaml"
# Answers with the request's number (?n=) and its body, so that each pipelined response can be
# matched to its request.
cat >"$CHAOS_TMP/echo.js" <<'EOF'
addEventListener('fetch', (event) => event.respondWith(echo(event.request)));
async function echo(request) {
  const n = new URL(request.url).searchParams.get('n');
  return new Response(`n=${n} ${request.method} body=${await request.text()};`);
}
EOF
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
expected[pipelined]="200 200 200 closed"
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

# Pipelining, byte for byte: N requests in one write, N responses back in request order.
pipeline_count=$(pick 6 50)
pipeline_checked=0
for ((r = 0; r < rounds; r++)); do
  burst=""
  want=""
  for ((n = 1; n <= pipeline_count; n++)); do
    close_line=""
    ((n == pipeline_count)) && close_line=$'Connection: close\r\n'
    case $((n % 3)) in
      0) burst+="POST /echo?n=$n HTTP/1.1"$'\r\n'"Host: 127.0.0.1"$'\r\n'"Content-Length: 5"$'\r\n'"$close_line"$'\r\n'"b-$((n % 10))-x"
         want+="n=$n POST body=b-$((n % 10))-x;" ;;
      1) burst+="POST /echo?n=$n HTTP/1.1"$'\r\n'"Host: 127.0.0.1"$'\r\n'"Transfer-Encoding: chunked"$'\r\n'"$close_line"$'\r\n'"3"$'\r\n'"abc"$'\r\n'"2"$'\r\n'"de"$'\r\n'"0"$'\r\n\r\n'
         want+="n=$n POST body=abcde;" ;;
      2) burst+="GET /echo?n=$n HTTP/1.1"$'\r\n'"Host: 127.0.0.1"$'\r\n'"$close_line"$'\r\n'
         want+="n=$n GET body=;" ;;
    esac
  done
  exec 3<>"/dev/tcp/127.0.0.1/$PORT"
  printf '%s' "$burst" >&3
  reply=$(timeout 10 cat <&3 | tr -d '\r') || true
  exec 3<&- 3>&-
  statuses=$( (grep -o 'HTTP/1.1 200 OK' <<<"$reply" || true) | wc -l)
  bodies=$( (grep -o 'n=[0-9]* [A-Z]* body=[^;]*;' <<<"$reply" || true) | tr -d '\n')
  [[ $statuses == "$pipeline_count" ]] || fail "pipelined burst of $pipeline_count: $statuses answered 200 (reply: ${reply:0:600})"
  [[ $bodies == "$want" ]] || fail "pipelined responses out of order or wrong: expected '$want', got '$bodies'"
  pipeline_checked=$((pipeline_checked + pipeline_count))
done
limitation="pipelining: $pipeline_checked requests in bursts of $pipeline_count per write, all answered in order"
log "$limitation"
expect_nothing_lost load
[[ $(field load .failed_answers) == 0 ]] || fail "the steady load was disturbed: $(field load '.status|tojson')"
healthy=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN_PORT/healthz")
[[ $healthy == 200 ]] || fail "healthz answered $healthy after the malformed requests"
chaos_pass "${#expected[@]} kinds x $rounds rounds all as expected (${results[*]}); steady load sent=$(field load .sent) failed=0 lost=0; $limitation"
