// Which class of special-purpose addresses (config::AddressClass) an IP address belongs to: the
// ranges behind the outbound policy's names ("loopback", "private", ...). Pure functions.
//
// Addresses are 16 bytes, IPv4 in IPv4-mapped form (::ffff:a.b.c.d), so an IPv4 address written
// as IPv6 is judged as the IPv4 address it is. IPv6 forms that carry an IPv4 address on to a
// translator (NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by the IPv4 address they carry.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "config/cluster_config.h"

namespace wsup::worker::egress {

using IpBytes = std::array<uint8_t, 16>;

// The most specific class `address` is in (metadata before link-local), or nullopt for an
// ordinary public address.
std::optional<config::AddressClass> classify(const IpBytes& address);

// True when `address` is in any range of `address_class` (169.254.169.254 is both metadata and
// link-local).
bool in_class(const IpBytes& address, config::AddressClass address_class);

// True when the first network.prefix bits of `address` are those of the network.
bool in_network(const IpBytes& address, const config::IpNetwork& network);

// "127.0.0.1", "fd00::1" (IPv4-mapped addresses print as IPv4).
std::string address_text(const IpBytes& address);

}  // namespace wsup::worker::egress
