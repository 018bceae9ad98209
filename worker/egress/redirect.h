// One step of the Fetch standard's "HTTP-redirect fetch" (fetch.spec.whatwg.org, 4.4): given a
// 3xx answer with a Location, the request that goes to the next hop, or why there is none.
// Pure: the subrequest calls it, counts the hops (at most kMaxRedirects) and judges the new
// destination against the outbound policy like the first.
#pragma once

#include <optional>
#include <string>

#include "shared/http_message.h"
#include "worker/egress/fetch_url.h"

namespace wsup::worker::egress {

// Fetch's limit; the 21st redirect is a network error.
inline constexpr int kMaxRedirects = 20;

// 301, 302, 303, 307, 308.
bool is_redirect_status(int status);

// The request as the hop that got the redirect sent it.
struct HopRequest {
  std::string method;
  FetchUrl url;
  HeaderList headers;
  bool has_body = false;
  bool body_replayable = true;  // false for a streamed body: it cannot be sent twice
};

// The next hop's request: method rewritten (301/302 POST -> GET, 303 -> GET unless HEAD, the
// body and its Content-* headers dropped), Authorization, Cookie and Proxy-Authorization dropped
// when the new URL is of another origin. nullopt and `error` when Fetch makes it a network
// error: a Location that is no http(s) URL, or a streamed body that 301/302/307/308 would resend.
std::optional<HopRequest> next_hop(const HopRequest& hop, int status, std::string_view location,
                                   std::string& error);

}  // namespace wsup::worker::egress
