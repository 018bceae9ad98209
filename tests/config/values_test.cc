// Scalar conversions: sizes, durations, addresses, route patterns, edit distance.
#include <gtest/gtest.h>

#include "config/values.h"

namespace wsup::config {
namespace {

std::optional<uint64_t> size(std::string_view text) {
  std::string error;
  return parse_size_bytes(text, error);
}

std::optional<uint64_t> duration(std::string_view text, bool bare_is_ms = true) {
  std::string error;
  return parse_duration_ms(text, bare_is_ms, error);
}

TEST(ConfigValues, SizesAcceptBinaryAndDecimalUnits) {
  EXPECT_EQ(size("65536"), 65536u);
  EXPECT_EQ(size("512B"), 512u);
  EXPECT_EQ(size("64KiB"), 65536u);
  EXPECT_EQ(size("16MiB"), 16u << 20);
  EXPECT_EQ(size("16 mib"), 16u << 20);
  EXPECT_EQ(size("1.5GiB"), 3ull << 29);
  EXPECT_EQ(size("2MB"), 2'000'000u);
  EXPECT_EQ(size("1_000"), 1000u);
  EXPECT_FALSE(size("-1"));
  EXPECT_FALSE(size("16XB"));
  EXPECT_FALSE(size("MiB"));
  EXPECT_FALSE(size("1.5B"));
  EXPECT_FALSE(size("99999999999GiB"));
}

TEST(ConfigValues, DurationsAcceptUnitsAndRoundToMilliseconds) {
  EXPECT_EQ(duration("500ms"), 500u);
  EXPECT_EQ(duration("10s"), 10'000u);
  EXPECT_EQ(duration("1.5s"), 1'500u);
  EXPECT_EQ(duration("2m"), 120'000u);
  EXPECT_EQ(duration("1h"), 3'600'000u);
  EXPECT_EQ(duration("250"), 250u);
  EXPECT_FALSE(duration("250", false)) << "drain_timeout-style durations need a unit";
  EXPECT_FALSE(duration("10 sec"));
  EXPECT_FALSE(duration("s"));
}

TEST(ConfigValues, ListenAddressesTakeHostPortIpv6OrABarePort) {
  std::string error;
  auto v4 = parse_listen_address("0.0.0.0:80", error);
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "0.0.0.0");
  EXPECT_EQ(v4->port, 80);
  auto v6 = parse_listen_address("[::]:8080", error);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::");
  auto bare = parse_listen_address("9000", error);
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->host, "127.0.0.1");
  EXPECT_EQ(bare->port, 9000);
  EXPECT_FALSE(parse_listen_address("::1:80", error));
  EXPECT_NE(error.find("brackets"), std::string::npos);
  EXPECT_FALSE(parse_listen_address("host:0", error));
  EXPECT_FALSE(parse_listen_address("bad host:80", error));
  EXPECT_FALSE(parse_listen_address("[::1]8080", error));
}

TEST(ConfigValues, RoutesSplitIntoLowerCaseHostAndPathPattern) {
  std::string error;
  auto route = parse_route("Api.Example.com/v1/*", error);
  ASSERT_TRUE(route);
  EXPECT_EQ(route->host, "api.example.com");
  EXPECT_EQ(route->path, "/v1/*");
  EXPECT_EQ(route->pattern, "Api.Example.com/v1/*");
  route = parse_route("*/static/*", error);
  ASSERT_TRUE(route);
  EXPECT_EQ(route->host, "");
  EXPECT_EQ(route->path, "/static/*");
  route = parse_route("*.example.com/*", error);
  ASSERT_TRUE(route);
  EXPECT_EQ(route->host, "*.example.com");
  for (std::string_view bad : {"", "example.com", "/a/*/b", "a.*.com/*", "example.com:8080/*",
                               "/a?b=1", "/a b", "http://example.com/*"}) {
    EXPECT_FALSE(parse_route(bad, error)) << bad;
  }
}

TEST(ConfigValues, EditDistanceCountsTranspositionsAsOne) {
  EXPECT_EQ(edit_distance("workers", "workers"), 0u);
  EXPECT_EQ(edit_distance("worker", "workers"), 1u);
  EXPECT_EQ(edit_distance("wokrers", "workers"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

}  // namespace
}  // namespace wsup::config
