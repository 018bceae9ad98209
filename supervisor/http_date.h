// The Date header of responses (RFC 9110 §6.6.1: an origin server with a clock sends it), in the
// IMF-fixdate format (§5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace wsup::supervisor {

std::string format_http_date(std::time_t time);

// The current second's date, formatted at most once per second per thread: each I/O thread keeps
// its own copy, so no lock and no formatting per response. Valid until this thread's next call.
std::string_view http_date_now();

}  // namespace wsup::supervisor
