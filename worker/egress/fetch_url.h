// The URLs a subrequest goes to: an absolute http(s) URL taken apart into what a connection and
// a request line need, and a redirect's Location resolved against the URL it came from.
// RFC 3986 parsing and resolution by Boost.URL.
//
// The JavaScript side hands in URLs its WHATWG URL parser has already serialized (ASCII, host in
// lower case and punycode), which RFC 3986 parses the same way. A Location header may be
// anything: bytes RFC 3986 does not allow (spaces, non-ASCII, "<>^`{|}\"") are percent-encoded
// first, as a WHATWG parser would in a path or query; a non-ASCII host is refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "worker/egress/address_class.h"

namespace wsup::worker::egress {

// Where connections go and which of them may be shared: scheme, host and port.
struct Origin {
  bool tls = false;  // https
  std::string host;  // lower case; an IPv6 literal without brackets
  uint16_t port = 0;
  std::optional<IpBytes> literal;  // the host is an IP address: no DNS, no SNI

  // "https://example.com:443": the connection pool's key.
  std::string key() const;
  // "example.com:8443" or "[::1]:80": the Host header (port left out when it is the default).
  std::string host_header() const;
  bool operator==(const Origin& other) const {
    return tls == other.tls && host == other.host && port == other.port;
  }
};

struct FetchUrl {
  std::string href;  // the whole URL, fragment included (the response's url)
  Origin origin;
  std::string target;  // "/path?query": the request target (never empty)
};

// nullopt and a reason ("the scheme 'ftp' is not supported: only http and https") when `url` is
// not an absolute http(s) URL a subrequest can go to.
std::optional<FetchUrl> parse_fetch_url(std::string_view url, std::string& error);

// A redirect's Location resolved against the URL that answered with it (Fetch: a Location
// without a fragment keeps the fragment of `base`).
std::optional<FetchUrl> resolve_location(const FetchUrl& base, std::string_view location,
                                         std::string& error);

}  // namespace wsup::worker::egress
