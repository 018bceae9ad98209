// Attacks on the HTTP front's request side, for the chaos scenarios (loopback only, bounded by
// count and time). Each prints one JSON line of what the server did.
#pragma once

#include <cstdint>

namespace wsup::chaos {

// Keeps `connections` connections each sending a POST whose body comes one byte per
// `interval_ms`, for `seconds`; a connection the server answers or closes is opened again when
// its next byte is due (a slow attacker, not a connect flood). Prints connects, cuts, the
// statuses the server answered with, and how many were still open at the end.
int slow_bodies(uint16_t port, int connections, int seconds, int interval_ms);

// `connections` connections at once, each sending a chunked POST whose trailer section grows by
// 64 KiB pieces up to `max_mib` MiB or until the server answers or closes. Prints the statuses
// and how many trailer bytes each got in before the server stopped it (the most).
int trailer_bombs(uint16_t port, int connections, int max_mib);

}  // namespace wsup::chaos
