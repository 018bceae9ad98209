// The policy inside the client: names are judged after DNS (the address that is checked is the
// one connected to), literal addresses without DNS, and nothing reaches a refused upstream.
#include <gtest/gtest.h>

#include "tests/worker/egress/client_test_support.h"
#include "tests/worker/egress/test_upstream.h"

namespace wsup::worker::egress::testing {
namespace {

TEST(OutboundClientTest, ANameResolvingToLoopbackIsRefusedAfterDns) {
  boost::asio::io_context loop;
  TestUpstream upstream;
  HttpClient client(loop, ClientOptions{});  // wsup start's defaults
  FetchResult result = fetch_and_wait(loop, client, get(upstream.url("/echo", "localhost")));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->kind, FetchError::Kind::refused);
  EXPECT_EQ(result.error->message,
            "fetch to localhost:" + std::to_string(upstream.port()) +
                " (127.0.0.1) refused by outbound policy: loopback addresses are denied "
                "(outbound.allow to permit)");
  EXPECT_EQ(upstream.connections_accepted(), 0u);
  EXPECT_EQ(client.stats().errors[static_cast<size_t>(FetchError::Kind::refused)], 1u);
}

TEST(OutboundClientTest, EveryDefaultDeniedLiteralIsRefusedWithoutConnecting) {
  boost::asio::io_context loop;
  HttpClient client(loop, ClientOptions{});
  const std::pair<const char*, const char*> cases[] = {
      {"http://127.0.0.1:8080/", "loopback addresses"},
      {"http://[::1]/", "loopback addresses"},
      {"http://[::ffff:127.0.0.1]/", "loopback addresses"},
      {"http://10.0.0.1/", "private network addresses"},
      {"http://172.16.5.4/", "private network addresses"},
      {"http://192.168.1.1/", "private network addresses"},
      {"http://[fd00::1]/", "private network addresses"},
      {"http://169.254.10.10/", "link-local addresses"},
      {"http://[fe80::1]/", "link-local addresses"},
      {"http://169.254.169.254/latest/meta-data/", "cloud metadata addresses"},
      {"http://[fd00:ec2::254]/", "cloud metadata addresses"},
      {"http://100.64.0.1/", "carrier-grade NAT (100.64.0.0/10) addresses"},
      {"http://0.0.0.0/", "unspecified addresses"},
      {"http://[::]/", "unspecified addresses"},
      {"http://224.0.0.1/", "multicast addresses"},
      {"http://255.255.255.255/", "broadcast addresses"},
  };
  for (const auto& [url, reason] : cases) {
    FetchResult result = fetch_and_wait(loop, client, get(url));
    ASSERT_TRUE(result.error) << url;
    EXPECT_EQ(result.error->kind, FetchError::Kind::refused) << url;
    EXPECT_NE(result.error->message.find(std::string(reason) + " are denied"), std::string::npos)
        << url << ": " << result.error->message;
  }
  EXPECT_EQ(client.stats().connections_opened, 0u);
}

TEST(OutboundClientTest, LoopbackIsReachedOnceAllowed) {
  boost::asio::io_context loop;
  TestUpstream upstream;
  HttpClient client(loop, loopback_options());
  FetchResult by_name = fetch_and_wait(loop, client, get(upstream.url("/status/200", "localhost")));
  ASSERT_TRUE(by_name.ended) << (by_name.error ? by_name.error->message : "");
  FetchResult literal = fetch_and_wait(loop, client, get(upstream.url("/status/200")));
  ASSERT_TRUE(literal.ended) << (literal.error ? literal.error->message : "");
  EXPECT_EQ(upstream.request_count(), 2u);
}

}  // namespace
}  // namespace wsup::worker::egress::testing
