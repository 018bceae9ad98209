#include "worker/egress/fetch_url.h"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <cctype>

#include "config/outbound_rule.h"

namespace wsup::worker::egress {
namespace urls = boost::urls;
namespace {

// Bytes RFC 3986 never allows in a URI reference; '%' stays (it may start an escape).
bool needs_escape(unsigned char c) {
  return c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' ||
         c == '`' || c == '{' || c == '|' || c == '}';
}

std::string escape_stray_bytes(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (!needs_escape(c)) {
      out += ch;
      continue;
    }
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::optional<FetchUrl> from_parsed(const urls::url_view& parsed, std::string& error) {
  std::string scheme(parsed.scheme());
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https") {
    error = "the scheme '" + scheme + "' is not supported: only http and https";
    return std::nullopt;
  }
  if (parsed.has_userinfo()) {
    error = "a URL with credentials (user:password@) is not allowed";
    return std::nullopt;
  }
  FetchUrl url;
  url.origin.tls = scheme == "https";
  switch (parsed.host_type()) {
    case urls::host_type::name:
    case urls::host_type::ipv4:
      url.origin.host = parsed.encoded_host();
      break;
    case urls::host_type::ipv6:
      url.origin.host = parsed.host_ipv6_address().to_string();
      break;
    default:
      error = "the URL has no host it can connect to";
      return std::nullopt;
  }
  std::string& host = url.origin.host;
  if (host.empty() || host.find('%') != std::string::npos) {
    error = "the host '" + host + "' is not an ASCII host name or address";
    return std::nullopt;
  }
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (host.size() > 1 && host.back() == '.') host.pop_back();
  if (parsed.host_type() != urls::host_type::name)
    url.origin.literal = [&] {
      std::optional<config::IpNetwork> address = config::parse_ip_address(host);
      return address ? std::optional<IpBytes>(address->bytes) : std::nullopt;
    }();
  if (parsed.has_port()) {
    if (parsed.port().empty()) {
      url.origin.port = url.origin.tls ? 443 : 80;
    } else if (parsed.port_number() == 0) {
      error = "the port '" + std::string(parsed.port()) + "' is not between 1 and 65535";
      return std::nullopt;
    } else {
      url.origin.port = parsed.port_number();
    }
  } else {
    url.origin.port = url.origin.tls ? 443 : 80;
  }
  url.target = parsed.encoded_path();
  if (url.target.empty()) url.target = "/";
  if (parsed.has_query()) {
    url.target += '?';
    url.target += parsed.encoded_query();
  }
  url.href = parsed.buffer();
  return url;
}

}  // namespace

std::string Origin::key() const {
  std::string bracketed = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return (tls ? "https://" : "http://") + bracketed + ":" + std::to_string(port);
}

std::string Origin::host_header() const {
  std::string text = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) text += ":" + std::to_string(port);
  return text;
}

std::optional<FetchUrl> parse_fetch_url(std::string_view url, std::string& error) {
  try {
    auto parsed = urls::parse_uri(url);
    if (!parsed) {
      error = "'" + std::string(url) + "' is not an absolute URL";
      return std::nullopt;
    }
    return from_parsed(*parsed, error);
  } catch (const std::exception& failure) {  // Boost.URL allocates and may throw
    error = std::string("the URL could not be parsed: ") + failure.what();
    return std::nullopt;
  }
}

std::optional<FetchUrl> resolve_location(const FetchUrl& base, std::string_view location,
                                         std::string& error) {
  try {
    std::string escaped = escape_stray_bytes(location);
    auto reference = urls::parse_uri_reference(escaped);
    if (!reference) {
      error = "the redirect's Location '" + std::string(location) + "' is not a valid URL";
      return std::nullopt;
    }
    urls::url_view base_view = *urls::parse_uri(base.href);
    urls::url resolved;
    if (auto result = urls::resolve(base_view, *reference, resolved); !result) {
      error = "the redirect's Location '" + std::string(location) + "' cannot be resolved";
      return std::nullopt;
    }
    if (!resolved.has_fragment() && base_view.has_fragment())
      resolved.set_encoded_fragment(base_view.encoded_fragment());
    std::optional<FetchUrl> url = from_parsed(resolved, error);
    if (!url) error = "the redirect goes to '" + std::string(location) + "': " + error;
    return url;
  } catch (const std::exception& failure) {
    error = std::string("the redirect's Location could not be resolved: ") + failure.what();
    return std::nullopt;
  }
}

}  // namespace wsup::worker::egress
