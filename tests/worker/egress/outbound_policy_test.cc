// The outbound policy without a network: address classes, CIDR, host and port matching, the
// order of deny, classes, allow and default.
#include "worker/egress/outbound_policy.h"

#include <gtest/gtest.h>

#include "config/outbound_rule.h"

namespace wsup::worker::egress {
namespace {

IpBytes ip(const char* text) {
  return config::parse_ip_address(text).value().bytes;
}

config::OutboundRule rule(const std::string& text) {
  std::string error;
  std::optional<config::OutboundRule> parsed = config::parse_outbound_rule(text, error);
  EXPECT_TRUE(parsed) << text << ": " << error;
  return parsed.value_or(config::OutboundRule{});
}

OutboundPolicy policy(std::vector<std::string> allow, std::vector<std::string> deny = {},
                      bool deny_unlisted = false) {
  config::Outbound outbound;
  for (const std::string& text : allow) outbound.allow.push_back(rule(text));
  for (const std::string& text : deny) outbound.deny.push_back(rule(text));
  outbound.deny_unlisted = deny_unlisted;
  return OutboundPolicy(outbound);
}

struct ClassCase {
  const char* address;
  std::optional<config::AddressClass> expected;
};

class AddressClassTest : public ::testing::TestWithParam<ClassCase> {};

TEST_P(AddressClassTest, IsClassified) {
  EXPECT_EQ(classify(ip(GetParam().address)), GetParam().expected) << GetParam().address;
}

using config::AddressClass;
INSTANTIATE_TEST_SUITE_P(
    SpecialPurposeRanges, AddressClassTest,
    ::testing::Values(
        ClassCase{"127.0.0.1", AddressClass::loopback},
        ClassCase{"127.255.0.9", AddressClass::loopback}, ClassCase{"::1", AddressClass::loopback},
        ClassCase{"::ffff:127.0.0.1", AddressClass::loopback},  // IPv4-mapped: judged as IPv4
        ClassCase{"10.0.0.1", AddressClass::private_network},
        ClassCase{"172.16.0.1", AddressClass::private_network},
        ClassCase{"172.31.255.255", AddressClass::private_network},
        ClassCase{"172.32.0.1", std::nullopt},
        ClassCase{"192.168.1.1", AddressClass::private_network},
        ClassCase{"fd00::1", AddressClass::private_network},
        ClassCase{"fc12::1", AddressClass::private_network},
        ClassCase{"169.254.1.1", AddressClass::link_local},
        ClassCase{"fe80::1", AddressClass::link_local},
        ClassCase{"169.254.169.254", AddressClass::metadata},
        ClassCase{"fd00:ec2::254", AddressClass::metadata},
        ClassCase{"100.100.100.200", AddressClass::metadata},
        ClassCase{"100.64.0.1", AddressClass::cgnat},
        ClassCase{"100.127.255.254", AddressClass::cgnat}, ClassCase{"100.128.0.1", std::nullopt},
        ClassCase{"0.0.0.0", AddressClass::unspecified}, ClassCase{"::", AddressClass::unspecified},
        ClassCase{"224.0.0.1", AddressClass::multicast},
        ClassCase{"ff02::1", AddressClass::multicast},
        ClassCase{"255.255.255.255", AddressClass::broadcast},
        ClassCase{"240.0.0.1", AddressClass::reserved},
        ClassCase{"64:ff9b::a00:1", AddressClass::private_network},  // NAT64 of 10.0.0.1
        ClassCase{"2002:7f00:1::", AddressClass::loopback},          // 6to4 of 127.0.0.1
        ClassCase{"2001::1", AddressClass::reserved},                // Teredo
        ClassCase{"8.8.8.8", std::nullopt}, ClassCase{"2606:4700::1111", std::nullopt},
        ClassCase{"64:ff9b::808:808", std::nullopt}));

TEST(OutboundPolicyTest, DefaultDeniesEverySpecialClassWithItsName) {
  OutboundPolicy defaults = policy({});
  PolicyDecision loopback = defaults.check_address("localhost", ip("127.0.0.1"), 8080);
  EXPECT_FALSE(loopback.allowed);
  EXPECT_EQ(loopback.reason, "loopback addresses are denied (outbound.allow to permit)");
  EXPECT_EQ(OutboundPolicy::refusal_message("127.0.0.1", 8080, "127.0.0.1", loopback.reason),
            "fetch to 127.0.0.1:8080 refused by outbound policy: loopback addresses are denied "
            "(outbound.allow to permit)");
  EXPECT_EQ(OutboundPolicy::refusal_message("localhost", 8080, "127.0.0.1", loopback.reason),
            "fetch to localhost:8080 (127.0.0.1) refused by outbound policy: loopback addresses "
            "are denied (outbound.allow to permit)");
  EXPECT_FALSE(defaults.check_address("x", ip("192.168.0.1"), 80).allowed);
  EXPECT_TRUE(defaults.check_address("example.com", ip("93.184.216.34"), 443).allowed);
}

TEST(OutboundPolicyTest, ClassRuleOpensItsClassButNotMetadata) {
  OutboundPolicy link_local = policy({"link-local", "private"});
  EXPECT_TRUE(link_local.check_address("x", ip("169.254.1.1"), 80).allowed);
  PolicyDecision metadata = link_local.check_address("x", ip("169.254.169.254"), 80);
  EXPECT_FALSE(metadata.allowed);
  EXPECT_NE(metadata.reason.find("cloud metadata addresses are denied"), std::string::npos);
  EXPECT_FALSE(link_local.check_address("x", ip("fd00:ec2::254"), 80).allowed);
  EXPECT_TRUE(policy({"metadata"}).check_address("x", ip("169.254.169.254"), 80).allowed);
  EXPECT_TRUE(policy({"169.254.169.254"}).check_address("x", ip("169.254.169.254"), 80).allowed);
}

TEST(OutboundPolicyTest, CidrRulesMatchTheirNetworkOnly) {
  OutboundPolicy cidr = policy({"10.1.0.0/16", "fd00:1::/32"});
  EXPECT_TRUE(cidr.check_address("x", ip("10.1.200.3"), 80).allowed);
  EXPECT_FALSE(cidr.check_address("x", ip("10.2.0.1"), 80).allowed);
  EXPECT_TRUE(cidr.check_address("x", ip("fd00:1:ffff::1"), 80).allowed);
  EXPECT_FALSE(cidr.check_address("x", ip("fd00:2::1"), 80).allowed);
  EXPECT_TRUE(cidr.check_address("x", ip("::ffff:10.1.0.1"), 80).allowed) << "mapped form";
}

TEST(OutboundPolicyTest, PortsNarrowARule) {
  OutboundPolicy ports = policy({"loopback:8000-8999", "10.0.0.5:5432"});
  EXPECT_TRUE(ports.check_address("x", ip("127.0.0.1"), 8080).allowed);
  EXPECT_FALSE(ports.check_address("x", ip("127.0.0.1"), 9000).allowed);
  EXPECT_TRUE(ports.check_address("x", ip("10.0.0.5"), 5432).allowed);
  EXPECT_FALSE(ports.check_address("x", ip("10.0.0.5"), 5433).allowed);
}

TEST(OutboundPolicyTest, HostRulesMatchExactNamesAndSubdomains) {
  OutboundPolicy hosts = policy({"db.internal", "*.corp.example"});
  EXPECT_TRUE(hosts.check_address("db.internal", ip("10.0.0.9"), 5432).allowed);
  EXPECT_FALSE(hosts.check_address("db2.internal", ip("10.0.0.9"), 5432).allowed);
  EXPECT_TRUE(hosts.check_address("api.corp.example", ip("10.0.0.9"), 443).allowed);
  EXPECT_FALSE(hosts.check_address("corp.example", ip("10.0.0.9"), 443).allowed);
  EXPECT_FALSE(hosts.check_address("evilcorp.example", ip("10.0.0.9"), 443).allowed);
  EXPECT_FALSE(hosts.check_address("db.internal", ip("169.254.169.254"), 80).allowed)
      << "a host rule never opens metadata";
  EXPECT_FALSE(policy({"*"}).check_address("x", ip("127.0.0.1"), 80).allowed)
      << "'*' opens no special class";
}

TEST(OutboundPolicyTest, DenyRulesComeFirstAndAreNamed) {
  config::Outbound outbound;
  outbound.allow.push_back(rule("loopback"));
  config::OutboundRule deny = rule("*:25");
  deny.where = {"cluster.yaml", 7, 5};
  outbound.deny.push_back(deny);
  outbound.deny.push_back(rule("*.evil.example"));
  OutboundPolicy with_deny(outbound);
  PolicyDecision smtp = with_deny.check_address("x", ip("127.0.0.1"), 25);
  EXPECT_FALSE(smtp.allowed);
  EXPECT_EQ(smtp.reason, "denied by outbound.deny rule \"*:25\" (cluster.yaml:7:5)");
  EXPECT_FALSE(with_deny.check_host("www.evil.example", 443).allowed) << "before DNS";
  EXPECT_TRUE(with_deny.check_host("good.example", 443).allowed);
}

TEST(OutboundPolicyTest, DefaultDenyAllowsOnlyWhatIsListed) {
  OutboundPolicy listed = policy({"api.example.com", "203.0.113.0/24"}, {}, true);
  EXPECT_TRUE(listed.check_address("api.example.com", ip("93.184.216.34"), 443).allowed);
  EXPECT_TRUE(listed.check_address("cdn.example.net", ip("203.0.113.9"), 443).allowed);
  PolicyDecision other = listed.check_address("other.example", ip("93.184.216.34"), 443);
  EXPECT_FALSE(other.allowed);
  EXPECT_EQ(other.reason, "no outbound.allow rule matches and outbound.default is deny");
}

}  // namespace
}  // namespace wsup::worker::egress
