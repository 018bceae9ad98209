#include "config/values.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <vector>

#include "shared/ascii.h"

namespace wsup::config {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

// Splits "1.5MiB" into the number "1.5" and the unit "MiB" (spaces between them dropped).
std::pair<std::string_view, std::string_view> split_number_unit(std::string_view text) {
  size_t end = 0;
  while (end < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.' ||
          text[end] == '_' || text[end] == '+' || text[end] == '-'))
    ++end;
  return {text.substr(0, end), trim(text.substr(end))};
}

// A non-negative decimal number, possibly with a fraction ("1.5"); '_' separators allowed.
std::optional<double> parse_decimal(std::string_view text, std::string& error) {
  if (!text.empty() && text.front() == '-') {
    error = "must not be negative";
    return std::nullopt;
  }
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  double scale = 0;  // 0 while in the integer part, then 0.1, 0.01, ...
  bool any_digit = false;
  for (char c : text) {
    if (c == '_') continue;
    if (c == '.' && scale == 0) {
      scale = 0.1;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      any_digit = false;
      break;
    }
    any_digit = true;
    if (scale == 0) {
      value = value * 10 + (c - '0');
    } else {
      value += (c - '0') * scale;
      scale /= 10;
    }
  }
  if (!any_digit) {
    error = "is not a number";
    return std::nullopt;
  }
  return value;
}

bool valid_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}

}  // namespace

std::optional<uint64_t> parse_unsigned(std::string_view text, std::string& error) {
  text = trim(text);
  if (!text.empty() && text.front() == '-') {
    error = "must not be negative";
    return std::nullopt;
  }
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  uint64_t value = 0;
  bool any_digit = false;
  for (char c : text) {
    if (c == '_' && any_digit) continue;
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      error = "is not a whole number";
      return std::nullopt;
    }
    if (value > (std::numeric_limits<uint64_t>::max() - 9) / 10) {
      error = "is too large";
      return std::nullopt;
    }
    value = value * 10 + static_cast<uint64_t>(c - '0');
    any_digit = true;
  }
  if (!any_digit) {
    error = "is not a whole number";
    return std::nullopt;
  }
  return value;
}

std::optional<uint64_t> parse_size_bytes(std::string_view text, std::string& error) {
  static constexpr std::array<std::pair<std::string_view, uint64_t>, 8> kUnits{{
      {"b", 1},
      {"kb", 1000},
      {"mb", 1000 * 1000},
      {"gb", 1000 * 1000 * 1000},
      {"kib", 1ull << 10},
      {"mib", 1ull << 20},
      {"gib", 1ull << 30},
      {"", 1},
  }};
  auto [number, unit] = split_number_unit(trim(text));
  auto found = std::find_if(kUnits.begin(), kUnits.end(),
                            [&](auto& u) { return ascii_iequals(u.first, unit); });
  if (number.empty()) {
    error = "is not a size (write e.g. 65536, \"64KiB\" or \"16MiB\")";
    return std::nullopt;
  }
  if (found == kUnits.end()) {
    error =
        "has an unknown size unit '" + std::string(unit) + "' (use B, KiB, MiB, GiB, KB, MB or GB)";
    return std::nullopt;
  }
  std::optional<double> value = parse_decimal(number, error);
  if (!value) {
    if (error == "is not a number")
      error = "is not a size (write e.g. 65536, \"64KiB\" or \"16MiB\")";
    return std::nullopt;
  }
  double bytes = *value * static_cast<double>(found->second);
  if (bytes >= 0x1p63) {
    error = "is too large";
    return std::nullopt;
  }
  if (bytes != std::floor(bytes)) {
    error = "is not a whole number of bytes";
    return std::nullopt;
  }
  return static_cast<uint64_t>(bytes);
}

std::optional<uint64_t> parse_duration_ms(std::string_view text, bool bare_number_is_ms,
                                          std::string& error) {
  static constexpr std::array<std::pair<std::string_view, double>, 4> kUnits{{
      {"ms", 1},
      {"s", 1000},
      {"m", 60'000},
      {"h", 3'600'000},
  }};
  auto [number, unit] = split_number_unit(trim(text));
  double unit_ms = 1;
  if (unit.empty()) {
    if (!bare_number_is_ms) {
      error = "needs a unit (write e.g. \"10s\" or \"500ms\")";
      return std::nullopt;
    }
  } else {
    auto found = std::find_if(kUnits.begin(), kUnits.end(),
                              [&](auto& u) { return ascii_iequals(u.first, unit); });
    if (found == kUnits.end()) {
      error = "has an unknown time unit '" + std::string(unit) + "' (use ms, s, m or h)";
      return std::nullopt;
    }
    unit_ms = found->second;
  }
  std::optional<double> value = parse_decimal(number, error);
  if (!value) {
    if (error == "is not a number") error = "is not a duration (write e.g. \"10s\" or \"500ms\")";
    return std::nullopt;
  }
  double ms = std::round(*value * unit_ms);
  if (ms >= 0x1p53) {
    error = "is too large";
    return std::nullopt;
  }
  return static_cast<uint64_t>(ms);
}

std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& error) {
  text = trim(text);
  ListenAddress address;
  std::string_view port_text = text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      error = "is not an address (write \"[::1]:8080\" for IPv6)";
      return std::nullopt;
    }
    address.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
    if (address.host.empty() ||
        address.host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos) {
      error = "has an invalid IPv6 address '" + address.host + "'";
      return std::nullopt;
    }
  } else if (size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    if (text.find(':') != colon) {
      error = "is ambiguous: put an IPv6 address in brackets, e.g. \"[::1]:8080\"";
      return std::nullopt;
    }
    address.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (!valid_host_name(address.host)) {
      error = "has an invalid host '" + address.host +
              "' (write \"host:port\", e.g. \"127.0.0.1:8080\")";
      return std::nullopt;
    }
  }
  std::string port_error;
  std::optional<uint64_t> port = parse_unsigned(port_text, port_error);
  if (!port) {
    error = "has no valid port (write \"host:port\" or a port number, e.g. \"127.0.0.1:8080\")";
    return std::nullopt;
  }
  if (*port < 1 || *port > 65535) {
    error = "port must be between 1 and 65535, got " + std::to_string(*port);
    return std::nullopt;
  }
  address.port = static_cast<uint16_t>(*port);
  return address;
}

std::optional<Route> parse_route(std::string_view text, std::string& error) {
  Route route;
  route.pattern = std::string(text);
  if (text.empty()) {
    error = "is empty (write e.g. \"/*\" or \"api.example.com/*\")";
    return std::nullopt;
  }
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return std::isspace(static_cast<unsigned char>(c)); })) {
    error = "must not contain spaces";
    return std::nullopt;
  }
  if (text.find("://") != std::string_view::npos) {
    error = "must not include a scheme: write \"host/path\", e.g. \"api.example.com/*\"";
    return std::nullopt;
  }
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    error = "has no path: write \"" + std::string(text) + "/*\" to match every path on that host";
    return std::nullopt;
  }
  std::string_view host = text.substr(0, slash);
  std::string_view path = text.substr(slash);
  if (host == "*") host = {};
  if (!host.empty()) {
    std::string_view name = host.substr(0, 2) == "*." ? host.substr(2) : host;
    if (host.find(':') != std::string_view::npos) {
      error = "must not name a port: routes match the Host header without its port";
      return std::nullopt;
    }
    if (name.find('*') != std::string_view::npos || !valid_host_name(name)) {
      error = "has an invalid host '" + std::string(host) +
              "' (a name, optionally starting with \"*.\")";
      return std::nullopt;
    }
  }
  size_t star = path.find('*');
  if (star != std::string_view::npos && star + 1 != path.size()) {
    error = "may only have '*' at the end of the path (and as \"*.\" at the start of the host)";
    return std::nullopt;
  }
  if (path.find_first_of("?#") != std::string_view::npos) {
    error = "must not contain a query or fragment ('?' or '#')";
    return std::nullopt;
  }
  route.host.resize(host.size());
  std::transform(host.begin(), host.end(), route.host.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  route.path = std::string(path);
  return route;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rolling rows: the transposition case looks two rows back.
  std::vector<size_t> two_back(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        current[j] = std::min(current[j], two_back[j - 2] + 1);
    }
    std::swap(two_back, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

}  // namespace wsup::config
