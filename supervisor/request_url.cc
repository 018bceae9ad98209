#include "supervisor/request_url.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <vector>

#include "shared/ascii.h"

namespace wsup::supervisor {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The URL Standard's path percent-encode set (C0 controls, above U+007E, and space " # < > ? `
// { }) and its special-query set (C0 controls, above U+007E, and space " # < > ').
bool in_path_set(unsigned char c) {
  return c < 0x20 || c > 0x7E ||
         std::string_view(" \"#<>?`{}").find(static_cast<char>(c)) != std::string_view::npos;
}
bool in_query_set(unsigned char c) {
  return c < 0x20 || c > 0x7E ||
         std::string_view(" \"#<>'").find(static_cast<char>(c)) != std::string_view::npos;
}

void percent_encode(std::string_view text, bool (*in_set)(unsigned char), std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (!in_set(c)) {
      out += ch;
      continue;
    }
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
}

bool is_single_dot(std::string_view segment) {
  return segment == "." || ascii_iequals(segment, "%2e");
}

bool is_double_dot(std::string_view segment) {
  return segment == ".." || ascii_iequals(segment, ".%2e") || ascii_iequals(segment, "%2e.") ||
         ascii_iequals(segment, "%2e%2e");
}

// The URL Standard's path state for a special scheme, over `path` (which ends before the query):
// segments split at '/' and '\', dot segments applied, the rest percent-encoded.
void append_canonical_path(std::string_view path, std::string& out) {
  // Path start state: a leading slash is the root's, not a segment boundary.
  if (!path.empty() && (path.front() == '/' || path.front() == '\\')) path.remove_prefix(1);
  std::vector<size_t> starts;  // offsets in `out` of each segment's '/'
  size_t begin = 0;
  for (size_t i = 0;; ++i) {
    const bool end = i == path.size();
    if (!end && path[i] != '/' && path[i] != '\\') continue;
    std::string_view segment = path.substr(begin, i - begin);
    begin = i + 1;
    if (is_double_dot(segment)) {
      if (!starts.empty()) {
        out.resize(starts.back());
        starts.pop_back();
      }
      if (end) {
        starts.push_back(out.size());
        out += '/';
      }
    } else if (is_single_dot(segment)) {
      if (end) {
        starts.push_back(out.size());
        out += '/';
      }
    } else {
      starts.push_back(out.size());
      out += '/';
      percent_encode(segment, in_path_set, out);
    }
    if (end) break;
  }
}

// Bracketed IPv6 as the URL Standard serializes it: lower-case hex, no leading zeros, the first
// longest run of two or more zero pieces compressed to "::".
bool canonical_ipv6(std::string_view inside, std::string& out) {
  if (inside.empty() || inside.size() > 45) return false;
  char text[46] = {};
  inside.copy(text, inside.size());
  std::array<unsigned char, 16> bytes{};
  if (::inet_pton(AF_INET6, text, bytes.data()) != 1) return false;  // no zone ids either
  std::array<unsigned, 8> pieces{};
  for (size_t i = 0; i < 8; ++i) pieces[i] = bytes[2 * i] << 8 | bytes[2 * i + 1];
  size_t best = 8, best_length = 1;
  for (size_t i = 0; i < 8;) {
    size_t j = i;
    while (j < 8 && pieces[j] == 0) ++j;
    if (j - i > best_length) {
      best = i;
      best_length = j - i;
    }
    i = j == i ? i + 1 : j;
  }
  out += '[';
  for (size_t i = 0; i < 8; ++i) {
    if (i == best) {
      out += i == 0 ? "::" : ":";
      i += best_length - 1;
      continue;
    }
    char piece[5];
    auto [end, ec] = std::to_chars(piece, piece + sizeof piece, pieces[i], 16);
    out.append(piece, end);
    if (i != 7) out += ':';
  }
  out += ']';
  return true;
}

// "a.b.c.d" with each part 0-255 in decimal and no leading zeros.
bool is_dotted_decimal(std::string_view host) {
  int parts = 0;
  while (true) {
    size_t dot = host.find('.');
    std::string_view part = host.substr(0, dot);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || ec != std::errc{} || end != part.data() + part.size() || value > 255 ||
        (part.size() > 1 && part[0] == '0'))
      return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    host.remove_prefix(dot + 1);
  }
  return parts == 4;
}

// The URL Standard's "ends in a number": such a host is parsed as an IPv4 address.
bool ends_in_a_number(std::string_view host) {
  if (host.ends_with('.')) host.remove_suffix(1);
  std::string_view last = host.substr(host.rfind('.') + 1);
  if (last.empty()) return false;
  bool all_digits = true;
  for (char c : last) all_digits = all_digits && is_digit(c);
  if (all_digits) return true;
  if (last.size() < 2 || last[0] != '0' || ascii_lower(last[1]) != 'x') return false;
  for (char c : last.substr(2))
    if (!is_hex(c)) return false;
  return true;
}

// A DNS name (lower-cased into `out`): labels of letters, digits, '-' and '_', none empty but an
// optional trailing one. An IPv4 address only in its canonical dotted-decimal form.
bool canonical_name(std::string_view host, std::string& out) {
  if (host.empty() || host.front() == '.') return false;
  const size_t start = out.size();
  char previous = 0;
  for (char c : host) {
    c = ascii_lower(c);
    const bool allowed = (c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '_' || c == '.';
    if (!allowed || (c == '.' && previous == '.')) return false;
    out += c;
    previous = c;
  }
  std::string_view name = std::string_view(out).substr(start);
  return !ends_in_a_number(name) || is_dotted_decimal(name);
}

}  // namespace

std::string_view RequestUrl::authority() const {
  return std::string_view(text_).substr(authority_begin_, authority_end_ - authority_begin_);
}

std::string_view RequestUrl::path_and_query() const {
  return std::string_view(text_).substr(authority_end_);
}

bool canonical_authority(std::string_view authority, uint16_t default_port, std::string& out) {
  const size_t start = out.size();
  std::string_view port;
  bool ok;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    ok = canonical_ipv6(authority.substr(1, close - 1), out);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') ok = false;
    if (!rest.empty()) port = rest.substr(1);
  } else {
    size_t colon = authority.find(':');
    ok = canonical_name(authority.substr(0, colon), out);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  unsigned number = 0;
  if (ok && !port.empty()) {
    for (char c : port) ok = ok && is_digit(c);
    while (ok && port.size() > 1 && port.front() == '0') port.remove_prefix(1);
    ok = ok && port.size() <= 5;
    if (ok) std::from_chars(port.data(), port.data() + port.size(), number);
    ok = ok && number <= 65535;
  }
  if (!ok) {
    out.resize(start);
    return false;
  }
  if (!port.empty() && number != default_port) {
    out += ':';
    out += port;
  }
  return true;
}

std::optional<RequestUrl> canonical_request_url(std::string_view target,
                                                std::optional<std::string_view> host,
                                                std::string_view fallback_authority,
                                                std::string_view& why) {
  if (target.find('#') != std::string_view::npos) {
    why = "wsup: a request target cannot carry a fragment ('#')\n";
    return std::nullopt;
  }
  RequestUrl url;
  std::string& text = url.text_;
  text.reserve(target.size() + 32);
  std::string_view path;  // from the first '/' (or '?') on
  if (target.starts_with('/')) {
    text = "http://";
    url.authority_begin_ = text.size();
    std::string host_authority;
    if (host && !canonical_authority(*host, 80, host_authority)) {
      why = "wsup: invalid Host header\n";
      return std::nullopt;
    }
    text += host ? std::string_view(host_authority) : fallback_authority;
    path = target;
  } else {
    std::string_view scheme = target.substr(0, target.find("://"));
    uint16_t default_port = 0;
    if (ascii_iequals(scheme, "http")) default_port = 80;
    if (ascii_iequals(scheme, "https")) default_port = 443;
    if (default_port == 0) {
      why = "wsup: the request target must be a path or an absolute http(s) URL\n";
      return std::nullopt;
    }
    std::string_view rest = target.substr(scheme.size() + 3);
    size_t authority_end = rest.find_first_of("/?\\");
    std::string_view authority = rest.substr(0, authority_end);
    path =
        authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
    text = default_port == 80 ? "http://" : "https://";
    url.authority_begin_ = text.size();
    std::string ignored;
    if (host && !canonical_authority(*host, 80, ignored)) {
      why = "wsup: invalid Host header\n";
      return std::nullopt;
    }
    if (authority.find('@') != std::string_view::npos ||
        !canonical_authority(authority, default_port, text)) {
      why = "wsup: invalid authority in the request target\n";
      return std::nullopt;
    }
  }
  url.authority_end_ = text.size();
  size_t query = path.find('?');
  append_canonical_path(path.substr(0, query), text);
  if (query != std::string_view::npos) {
    text += '?';
    percent_encode(path.substr(query + 1), in_query_set, text);
  }
  return url;
}

}  // namespace wsup::supervisor
