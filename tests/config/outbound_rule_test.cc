// outbound.allow / outbound.deny entries as text -> OutboundRule, and the errors for bad ones.
#include "config/outbound_rule.h"

#include <gtest/gtest.h>

namespace wsup::config {
namespace {

OutboundRule parsed(const std::string& text) {
  std::string error;
  std::optional<OutboundRule> rule = parse_outbound_rule(text, error);
  EXPECT_TRUE(rule) << text << ": " << error;
  return rule.value_or(OutboundRule{});
}

std::string error_of(const std::string& text) {
  std::string error;
  EXPECT_FALSE(parse_outbound_rule(text, error)) << text;
  return error;
}

TEST(OutboundRule, HostNamesAndSuffixes) {
  OutboundRule exact = parsed("API.Example.COM.");
  EXPECT_EQ(exact.kind, OutboundRule::Kind::host);
  EXPECT_EQ(exact.host, "api.example.com");
  EXPECT_EQ(exact.port_min, 1);
  EXPECT_EQ(exact.port_max, 65535);
  OutboundRule suffix = parsed("*.example.com:443");
  EXPECT_EQ(suffix.kind, OutboundRule::Kind::host_suffix);
  EXPECT_EQ(suffix.host, "example.com");
  EXPECT_EQ(suffix.port_min, 443);
  EXPECT_EQ(suffix.port_max, 443);
  EXPECT_EQ(parsed("*").kind, OutboundRule::Kind::any_host);
  OutboundRule range = parsed("*:8000-8999");
  EXPECT_EQ(range.port_min, 8000);
  EXPECT_EQ(range.port_max, 8999);
}

TEST(OutboundRule, AddressesAndNetworksInBothFamilies) {
  OutboundRule v4 = parsed("10.0.0.0/8");
  EXPECT_EQ(v4.kind, OutboundRule::Kind::network);
  EXPECT_EQ(v4.network.prefix, 104);
  EXPECT_EQ(v4.network.bytes[10], 0xff) << "IPv4 is kept IPv4-mapped";
  EXPECT_EQ(v4.network.bytes[12], 10);
  EXPECT_EQ(parsed("203.0.113.7").network.prefix, 128);
  OutboundRule v6 = parsed("fd00::/8");
  EXPECT_EQ(v6.network.prefix, 8);
  EXPECT_EQ(v6.network.bytes[0], 0xfd);
  OutboundRule bracketed = parsed("[fd00::1]:8080");
  EXPECT_EQ(bracketed.network.prefix, 128);
  EXPECT_EQ(bracketed.port_min, 8080);
  EXPECT_EQ(parsed("[2001:db8::/32]:443").network.prefix, 32);
  EXPECT_EQ(parsed("0.0.0.0/0").network.prefix, 96) << "all of IPv4";
}

TEST(OutboundRule, ClassNames) {
  EXPECT_EQ(parsed("loopback").address_class, AddressClass::loopback);
  EXPECT_EQ(parsed("private").address_class, AddressClass::private_network);
  EXPECT_EQ(parsed("Link-Local").address_class, AddressClass::link_local);
  EXPECT_EQ(parsed("metadata:80").address_class, AddressClass::metadata);
  for (AddressClass c :
       {AddressClass::loopback, AddressClass::private_network, AddressClass::link_local,
        AddressClass::cgnat, AddressClass::metadata, AddressClass::unspecified,
        AddressClass::multicast, AddressClass::broadcast, AddressClass::reserved})
    EXPECT_EQ(address_class_from_name(address_class_name(c)), c);
}

TEST(OutboundRule, BadRulesSayWhatIsWrong) {
  EXPECT_EQ(error_of("10.0.0.1/8"), "has host bits set (did you mean 10.0.0.0/8?)");
  EXPECT_EQ(error_of("fd00::1/8"), "has host bits set (did you mean fd00::/8?)");
  EXPECT_EQ(error_of("10.0.0.0/33"), "has a bad prefix length \"33\" (0-32)");
  EXPECT_EQ(error_of("10.0.0/8"), "is not a CIDR network (e.g. 10.0.0.0/8)");
  EXPECT_EQ(error_of("999.1.1.1"), "is not a valid IPv4 address");
  EXPECT_EQ(error_of("fd00::zz"), "is not a valid IPv6 address or network");
  EXPECT_EQ(error_of("example.com:0"), "has a bad port \"0\": port 0 is outside 1-65535");
  EXPECT_EQ(error_of("example.com:9-1"), "has a port range that ends before it starts (9-1)");
  EXPECT_EQ(error_of("example.com:"), "has ':' without a port after it");
  EXPECT_EQ(error_of("[fd00::1"), "has '[' without ']'");
  EXPECT_EQ(error_of("[example.com]:80"),
            "has brackets around something that is not an IPv6 address");
  EXPECT_NE(error_of("api.*.com").find("is not a host name, address, network or address class"),
            std::string::npos);
  EXPECT_EQ(error_of(""), "is empty");
  EXPECT_NE(error_of("loopbak").find("did you mean 'loopback'?"), std::string::npos);
  EXPECT_EQ(parsed("db").host, "db") << "a single-label name unlike any class is a host";
}

}  // namespace
}  // namespace wsup::config
