// Parsing one outbound rule (see outbound_rule.h for the syntax).
#include "config/outbound_rule.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "config/values.h"

namespace wsup::config {
namespace {

struct ClassName {
  AddressClass address_class;
  std::string_view name;
  std::string_view description;
};

constexpr ClassName kClassNames[] = {
    {AddressClass::loopback, "loopback", "loopback addresses"},
    {AddressClass::private_network, "private", "private network addresses"},
    {AddressClass::link_local, "link-local", "link-local addresses"},
    {AddressClass::cgnat, "cgnat", "carrier-grade NAT (100.64.0.0/10) addresses"},
    {AddressClass::metadata, "metadata", "cloud metadata addresses"},
    {AddressClass::unspecified, "unspecified", "unspecified addresses"},
    {AddressClass::multicast, "multicast", "multicast addresses"},
    {AddressClass::broadcast, "broadcast", "broadcast addresses"},
    {AddressClass::reserved, "reserved", "reserved addresses"},
};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Letters, digits, '-' and '_' in dot-separated labels of 1-63 bytes.
bool is_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  size_t label = 0;
  for (char c : host) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    if (++label > 63) return false;
  }
  return label != 0;
}

std::optional<uint16_t> parse_port(std::string_view text, std::string& error) {
  std::optional<uint64_t> port = parse_unsigned(text, error);
  if (!port) return std::nullopt;
  if (*port < 1 || *port > 65535) {
    error = "port " + std::string(text) + " is outside 1-65535";
    return std::nullopt;
  }
  return static_cast<uint16_t>(*port);
}

bool parse_ports(std::string_view text, OutboundRule& rule, std::string& error) {
  size_t dash = text.find('-');
  std::string part_error;
  std::optional<uint16_t> low = parse_port(text.substr(0, dash), part_error);
  std::optional<uint16_t> high =
      dash == std::string_view::npos ? low : parse_port(text.substr(dash + 1), part_error);
  if (!low || !high) {
    error = "has a bad port \"" + std::string(text) + "\": " + part_error;
    return false;
  }
  if (*low > *high) {
    error = "has a port range that ends before it starts (" + std::string(text) + ")";
    return false;
  }
  rule.port_min = *low;
  rule.port_max = *high;
  return true;
}

// "10.0.0.0/8", "fd00::/8", "203.0.113.7": false when `text` is not an address at all.
bool parse_network(std::string_view text, OutboundRule& rule, std::string& error) {
  size_t slash = text.find('/');
  std::optional<IpNetwork> address = parse_ip_address(text.substr(0, slash));
  if (!address) {
    if (slash != std::string_view::npos) error = "is not a CIDR network (e.g. 10.0.0.0/8)";
    return false;
  }
  const bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
  const unsigned width = v4 ? 32 : 128;
  unsigned prefix = width;
  if (slash != std::string_view::npos) {
    std::string number_error;
    std::optional<uint64_t> bits = parse_unsigned(text.substr(slash + 1), number_error);
    if (!bits || *bits > width) {
      error = "has a bad prefix length \"" + std::string(text.substr(slash + 1)) + "\" (0-" +
              std::to_string(width) + ")";
      return false;
    }
    prefix = static_cast<unsigned>(*bits);
  }
  IpNetwork network = *address;
  network.prefix = static_cast<uint8_t>(prefix + (v4 ? 96 : 0));
  IpNetwork base = network;
  for (unsigned bit = network.prefix; bit < 128; ++bit)
    base.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  if (base.bytes != network.bytes) {
    char text_out[INET6_ADDRSTRLEN] = {};
    if (v4)
      ::inet_ntop(AF_INET, base.bytes.data() + 12, text_out, sizeof(text_out));
    else
      ::inet_ntop(AF_INET6, base.bytes.data(), text_out, sizeof(text_out));
    error = "has host bits set (did you mean " + std::string(text_out) + "/" +
            std::to_string(prefix) + "?)";
    return false;
  }
  rule.kind = OutboundRule::Kind::network;
  rule.network = network;
  return true;
}

}  // namespace

std::string_view address_class_name(AddressClass address_class) {
  for (const ClassName& entry : kClassNames)
    if (entry.address_class == address_class) return entry.name;
  return "?";
}

std::optional<AddressClass> address_class_from_name(std::string_view name) {
  for (const ClassName& entry : kClassNames)
    if (entry.name == name) return entry.address_class;
  return std::nullopt;
}

std::string_view address_class_description(AddressClass address_class) {
  for (const ClassName& entry : kClassNames)
    if (entry.address_class == address_class) return entry.description;
  return "special-purpose addresses";
}

std::optional<IpNetwork> parse_ip_address(std::string_view text) {
  std::string copy(text);
  IpNetwork address;
  if (copy.find(':') == std::string::npos) {
    in_addr v4{};
    if (::inet_pton(AF_INET, copy.c_str(), &v4) != 1) return std::nullopt;
    address.bytes[10] = address.bytes[11] = 0xff;
    std::copy_n(reinterpret_cast<const uint8_t*>(&v4), 4, address.bytes.begin() + 12);
  } else {
    in6_addr v6{};
    if (::inet_pton(AF_INET6, copy.c_str(), &v6) != 1) return std::nullopt;
    std::copy_n(reinterpret_cast<const uint8_t*>(&v6), 16, address.bytes.begin());
  }
  return address;
}

std::optional<OutboundRule> parse_outbound_rule(std::string_view text, std::string& error) {
  OutboundRule rule;
  rule.text = text;
  if (text.empty()) {
    error = "is empty";
    return std::nullopt;
  }
  std::string_view destination = text;
  std::string_view ports;
  if (text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) {
      error = "has '[' without ']'";
      return std::nullopt;
    }
    destination = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      error = "has \"" + std::string(rest) + "\" after ']' (expected :PORT)";
      return std::nullopt;
    }
    if (!rest.empty()) ports = rest.substr(1);
    if (destination.find(':') == std::string_view::npos) {
      error = "has brackets around something that is not an IPv6 address";
      return std::nullopt;
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    size_t colon = text.find(':');
    destination = text.substr(0, colon);
    ports = text.substr(colon + 1);
    if (ports.empty()) {
      error = "has ':' without a port after it";
      return std::nullopt;
    }
  }
  if (!ports.empty() && !parse_ports(ports, rule, error)) return std::nullopt;

  if (destination == "*") {
    rule.kind = OutboundRule::Kind::any_host;
    return rule;
  }
  if (std::optional<AddressClass> address_class = address_class_from_name(lower(destination))) {
    rule.kind = OutboundRule::Kind::address_class;
    rule.address_class = *address_class;
    return rule;
  }
  if (parse_network(destination, rule, error)) return rule;
  if (!error.empty()) return std::nullopt;
  if (destination.find(':') != std::string_view::npos) {
    error = "is not a valid IPv6 address or network";
    return std::nullopt;
  }
  std::string host = lower(destination);
  if (host.size() > 1 && host.back() == '.') host.pop_back();
  const bool suffix = host.starts_with("*.");
  if (suffix) host.erase(0, 2);
  const std::string_view last_label = std::string_view(host).substr(host.rfind('.') + 1);
  if (!suffix && !last_label.empty() &&
      std::all_of(last_label.begin(), last_label.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    error = "is not a valid IPv4 address";
    return std::nullopt;
  }
  if (!is_host_name(host)) {
    error = "is not a host name, address, network or address class (" +
            std::string(suffix ? "'*' may only start a name, as \"*.\""
                               : "e.g. api.example.com, *.example.com, 10.0.0.0/8, loopback") +
            ")";
    return std::nullopt;
  }
  // "loopbak" would be a valid single-label host name that never matches: say what it resembles.
  if (!suffix && host.find('.') == std::string::npos) {
    for (const ClassName& entry : kClassNames) {
      if (edit_distance(host, entry.name) <= 2) {
        error = "looks like a misspelt address class (did you mean '" + std::string(entry.name) +
                "'? a single-label host name this close to one is refused)";
        return std::nullopt;
      }
    }
  }
  rule.kind = suffix ? OutboundRule::Kind::host_suffix : OutboundRule::Kind::host;
  rule.host = std::move(host);
  return rule;
}

}  // namespace wsup::config
