// The text of one outbound.allow / outbound.deny entry -> OutboundRule, independent of YAML so it
// can be tested alone (like config/values.h).
//
// Syntax: DESTINATION or DESTINATION:PORTS, where DESTINATION is one of
//   *                      every destination
//   api.example.com        a host name, exactly (case-insensitive, a trailing dot ignored)
//   *.example.com          every name under example.com, not example.com itself
//   203.0.113.7  10.0.0.0/8  fd00::/8  [fd00::1]   an address or a CIDR network (IPv6 with a port
//                          must be in brackets: [fd00::/8]:443)
//   loopback  private  link-local  cgnat  metadata  unspecified  multicast  broadcast  reserved
//                          a class of special-purpose addresses (cluster_config.h)
// and PORTS is a port (443) or an inclusive range (8000-8999).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/cluster_config.h"

namespace wsup::config {

// The rule, or nullopt and a user-facing reason in `error` ("has host bits set ...").
std::optional<OutboundRule> parse_outbound_rule(std::string_view text, std::string& error);

// "loopback", "private", "link-local", ...: the name a rule uses for the class.
std::string_view address_class_name(AddressClass address_class);
std::optional<AddressClass> address_class_from_name(std::string_view name);

// "fetch to ... refused: loopback addresses are denied": the class as messages name it.
std::string_view address_class_description(AddressClass address_class);

// An address as text (IPv4 dotted, IPv6 per RFC 5952) -> the IpNetwork of that one address.
std::optional<IpNetwork> parse_ip_address(std::string_view text);

}  // namespace wsup::config
