// The misbehaving upstreams of the fetch() chaos scenarios (19, 20): an HTTP/1.1 server on a free
// loopback port that answers every request badly, for a bounded time.
//   hang       reads each request and never answers (connections held until the end)
//   half-body  answers 200 with a Content-Length of 2*N, sends N bytes of it, then dies: every
//              other connection is reset (RST), the rest closed (FIN) as an exiting server would
#pragma once

#include <cstdint>
#include <string>

namespace wsup::chaos {

// Prints the port on stdout, then serves `mode` for at most `seconds`; returns the exit code.
// Prints "accepted N" on stderr after each connection, so a scenario can wait for traffic.
int bad_upstream(const std::string& mode, int seconds, uint32_t half_body_bytes);

}  // namespace wsup::chaos
