// The one URL of a request: built once from the request target and the Host field, used both by
// the router and as the script's `request.url`, so the two can never disagree about where a
// request goes.
//
// Which authority (RFC 9112 §3.2.2, §3.3): an absolute-form target's ("GET http://a.example/x")
// wins over the Host field; otherwise the Host field's; an HTTP/1.0 request without Host gets the
// connection's local address. The Host field itself is always checked (the caller answers 400
// for a missing, repeated or invalid one in HTTP/1.1).
//
// What is canonical: the URL is what the WHATWG URL parser gives back for it unchanged, and what
// it would make of the raw target: scheme and host lower case, the scheme's default port left
// out, backslashes read as '/', dot segments removed (RFC 3986 §5.2.4; "%2e" counts as '.', as
// the URL Standard says), and the characters of the URL Standard's path and special-query
// percent-encode sets percent-encoded. Nothing else is decoded or re-encoded ("%41" stays "%41").
//
// What is refused (400): a target that is neither a path nor an absolute http(s) URL (so no
// asterisk- or authority-form), a '#' in it, userinfo in an absolute-form target, and any host
// other than a DNS name (letters, digits, '-', '_', '.'), a dotted-decimal IPv4 address or a
// bracketed IPv6 address, with an optional numeric port up to 65535. A host the URL Standard
// would read as an IPv4 number in another form ("127.1", "0x7f.0.0.1") is refused rather than
// rewritten.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wsup::supervisor {

class RequestUrl {
 public:
  // "http://example.com:8080/a/b?x=1"
  const std::string& text() const { return text_; }
  // "example.com:8080" (the router's host: it drops the port itself)
  std::string_view authority() const;
  // "/a/b?x=1"
  std::string_view path_and_query() const;
  std::string take_text() { return std::move(text_); }

 private:
  friend std::optional<RequestUrl> canonical_request_url(std::string_view,
                                                         std::optional<std::string_view>,
                                                         std::string_view, std::string_view&);
  std::string text_;
  size_t authority_begin_ = 0;
  size_t authority_end_ = 0;
};

// The URL of a request with this target and Host field value (nullopt: no Host field);
// `fallback_authority` (canonical, from canonical_authority) serves a request that names no
// authority at all. Nullopt, with a reason for the 400's body in `why`, when refused.
std::optional<RequestUrl> canonical_request_url(std::string_view target,
                                                std::optional<std::string_view> host,
                                                std::string_view fallback_authority,
                                                std::string_view& why);

// "Example.COM:080" -> "example.com" (with default_port 80). False for anything but a DNS name,
// a dotted-decimal IPv4 address or a bracketed IPv6 address, with an optional port.
bool canonical_authority(std::string_view authority, uint16_t default_port, std::string& out);

}  // namespace wsup::supervisor
