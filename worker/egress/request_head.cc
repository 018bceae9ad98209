#include "worker/egress/request_head.h"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <cctype>

#include "config/cluster_config.h"

namespace wsup::worker::egress {
namespace {

using boost::beast::iequals;

// RFC 9110 5.6.2 token characters.
bool is_token(std::string_view text) {
  static constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           kSymbols.find(c) != std::string_view::npos;
  });
}

bool is_field_value(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// Fields that describe this connection or this message's framing: the client writes its own.
bool owned_by_client(std::string_view name) {
  static constexpr std::string_view kOwned[] = {
      "Host", "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Content-Length",
      "TE",   "Trailer",    "Upgrade",    "Expect",           config::kHopHeader};
  return std::any_of(std::begin(kOwned), std::end(kOwned),
                     [&](std::string_view owned) { return iequals(name, owned); });
}

}  // namespace

std::optional<UpstreamExchange::RequestHead> build_request_head(const HopRequest& hop,
                                                                const RequestBody& body,
                                                                bool decode_body,
                                                                uint32_t incoming_hops,
                                                                std::string& error) {
  if (!is_token(hop.method)) {
    error = "the method '" + hop.method + "' is not a valid HTTP method";
    return std::nullopt;
  }
  for (std::string_view forbidden : {"CONNECT", "TRACE", "TRACK"}) {
    if (iequals(hop.method, forbidden)) {
      error = "the method '" + hop.method + "' is not allowed";
      return std::nullopt;
    }
  }
  UpstreamExchange::RequestHead head;
  head.method = hop.method;
  head.target = hop.url.target;
  head.headers.reserve(hop.headers.size() + 3);
  head.headers.emplace_back("Host", hop.url.origin.host_header());
  bool has_accept_encoding = false;
  for (const auto& [name, value] : hop.headers) {
    if (!is_token(name)) {
      error = "the header name '" + name + "' is not valid";
      return std::nullopt;
    }
    if (!is_field_value(value)) {
      error = "the header '" + name + "' has a line break or NUL in its value";
      return std::nullopt;
    }
    if (owned_by_client(name)) continue;
    has_accept_encoding = has_accept_encoding || iequals(name, "Accept-Encoding");
    head.headers.emplace_back(name, value);
  }
  if (decode_body && !has_accept_encoding)
    head.headers.emplace_back("Accept-Encoding", kAcceptEncoding);
  head.headers.emplace_back(config::kHopHeader, std::to_string(incoming_hops + 1));

  if (!hop.has_body || body.kind == RequestBody::Kind::none) {
    if (hop.method == "POST" || hop.method == "PUT")
      head.framing = UpstreamExchange::Framing::length;
  } else if (body.kind == RequestBody::Kind::bytes) {
    head.framing = UpstreamExchange::Framing::length;
    head.length = body.bytes.size();
  } else if (body.length) {
    head.framing = UpstreamExchange::Framing::length;
    head.length = *body.length;
  } else {
    head.framing = UpstreamExchange::Framing::chunked;
  }
  return head;
}

}  // namespace wsup::worker::egress
