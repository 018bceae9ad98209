#include "worker/egress/redirect.h"

#include <algorithm>
#include <boost/beast/core/string.hpp>

namespace wsup::worker::egress {
namespace {

bool named(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::any_of(names.begin(), names.end(),
                     [&](std::string_view n) { return boost::beast::iequals(name, n); });
}

void remove_headers(HeaderList& headers, std::initializer_list<std::string_view> names) {
  std::erase_if(headers, [&](const auto& header) { return named(header.first, names); });
}

}  // namespace

bool is_redirect_status(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::optional<HopRequest> next_hop(const HopRequest& hop, int status, std::string_view location,
                                   std::string& error) {
  std::optional<FetchUrl> url = resolve_location(hop.url, location, error);
  if (!url) return std::nullopt;
  if (status != 303 && hop.has_body && !hop.body_replayable) {
    error = "a " + std::to_string(status) +
            " redirect would send the request body again, and a streamed body cannot be sent "
            "twice";
    return std::nullopt;
  }
  HopRequest next = hop;
  next.url = std::move(*url);
  const bool post_to_get = (status == 301 || status == 302) && hop.method == "POST";
  const bool see_other = status == 303 && hop.method != "GET" && hop.method != "HEAD";
  if (post_to_get || see_other) {
    next.method = "GET";
    next.has_body = false;
    remove_headers(next.headers,
                   {"Content-Encoding", "Content-Language", "Content-Location", "Content-Type"});
  }
  if (!(next.url.origin == hop.url.origin))
    remove_headers(next.headers, {"Authorization", "Cookie", "Proxy-Authorization"});
  return next;
}

}  // namespace wsup::worker::egress
