// The ranges of each address class (IANA's special-purpose registries, RFC 6890 and successors;
// the cloud metadata endpoints of AWS, GCP, Azure and Alibaba).
#include "worker/egress/address_class.h"

#include <arpa/inet.h>

#include <algorithm>
#include <vector>

#include "config/outbound_rule.h"

namespace wsup::worker::egress {
namespace {

using config::AddressClass;

struct Range {
  AddressClass address_class;
  config::IpNetwork network;
};

config::IpNetwork net(const char* text, unsigned prefix) {
  config::IpNetwork network = *config::parse_ip_address(text);
  const bool v4 = std::string_view(text).find(':') == std::string_view::npos;
  network.prefix = static_cast<uint8_t>(prefix + (v4 ? 96 : 0));
  return network;
}

// In order: the first range that holds an address gives its class, so specific ranges come first.
const std::vector<Range>& ranges() {
  static const std::vector<Range> table = {
      {AddressClass::metadata, net("169.254.169.254", 32)},  // AWS, GCP, Azure, OpenStack
      {AddressClass::metadata, net("169.254.170.2", 32)},    // AWS ECS task metadata
      {AddressClass::metadata, net("fd00:ec2::254", 128)},   // AWS over IPv6
      {AddressClass::metadata, net("100.100.100.200", 32)},  // Alibaba Cloud
      {AddressClass::unspecified, net("0.0.0.0", 8)},
      {AddressClass::unspecified, net("::", 128)},
      {AddressClass::loopback, net("127.0.0.0", 8)},
      {AddressClass::loopback, net("::1", 128)},
      {AddressClass::private_network, net("10.0.0.0", 8)},
      {AddressClass::private_network, net("172.16.0.0", 12)},
      {AddressClass::private_network, net("192.168.0.0", 16)},
      {AddressClass::private_network, net("fc00::", 7)},   // unique local (RFC 4193)
      {AddressClass::private_network, net("fec0::", 10)},  // site-local (deprecated)
      {AddressClass::link_local, net("169.254.0.0", 16)},
      {AddressClass::link_local, net("fe80::", 10)},
      {AddressClass::cgnat, net("100.64.0.0", 10)},
      {AddressClass::multicast, net("224.0.0.0", 4)},
      {AddressClass::multicast, net("ff00::", 8)},
      {AddressClass::broadcast, net("255.255.255.255", 32)},
      {AddressClass::reserved, net("240.0.0.0", 4)},
      {AddressClass::reserved, net("192.0.0.0", 24)},    // IETF protocol assignments
      {AddressClass::reserved, net("::", 96)},           // IPv4-compatible (deprecated)
      {AddressClass::reserved, net("100::", 64)},        // discard-only
      {AddressClass::reserved, net("2001::", 32)},       // Teredo: a tunnel to anywhere
      {AddressClass::reserved, net("64:ff9b:1::", 48)},  // local-use NAT64 (RFC 8215)
  };
  return table;
}

// The IPv4 address a translator would reach for this IPv6 address, if it is such a form.
std::optional<IpBytes> embedded_ipv4(const IpBytes& address) {
  static const config::IpNetwork nat64 = net("64:ff9b::", 96);
  static const config::IpNetwork six_to_four = net("2002::", 16);
  IpBytes v4{};
  v4[10] = v4[11] = 0xff;
  if (in_network(address, nat64)) {
    std::copy_n(address.begin() + 12, 4, v4.begin() + 12);
    return v4;
  }
  if (in_network(address, six_to_four)) {
    std::copy_n(address.begin() + 2, 4, v4.begin() + 12);
    return v4;
  }
  return std::nullopt;
}

}  // namespace

bool in_network(const IpBytes& address, const config::IpNetwork& network) {
  const unsigned whole = network.prefix / 8;
  if (!std::equal(address.begin(), address.begin() + whole, network.bytes.begin())) return false;
  const unsigned rest = network.prefix % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff00u >> rest);
  return (address[whole] & mask) == (network.bytes[whole] & mask);
}

std::optional<config::AddressClass> classify(const IpBytes& address) {
  if (std::optional<IpBytes> v4 = embedded_ipv4(address)) return classify(*v4);
  for (const Range& range : ranges())
    if (in_network(address, range.network)) return range.address_class;
  return std::nullopt;
}

bool in_class(const IpBytes& address, config::AddressClass address_class) {
  if (std::optional<IpBytes> v4 = embedded_ipv4(address)) return in_class(*v4, address_class);
  return std::any_of(ranges().begin(), ranges().end(), [&](const Range& range) {
    return range.address_class == address_class && in_network(address, range.network);
  });
}

std::string address_text(const IpBytes& address) {
  char text[INET6_ADDRSTRLEN] = {};
  static const config::IpNetwork mapped = net("::ffff:0.0.0.0", 96);
  if (in_network(address, mapped))
    ::inet_ntop(AF_INET, address.data() + 12, text, sizeof(text));
  else
    ::inet_ntop(AF_INET6, address.data(), text, sizeof(text));
  return text;
}

}  // namespace wsup::worker::egress
