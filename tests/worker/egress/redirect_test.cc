// Redirects against real upstreams: each mode, Fetch's method rewrites, credentials dropped on a
// cross-origin hop, the hop limit, and the outbound policy judging every hop.
#include <gtest/gtest.h>

#include "config/outbound_rule.h"
#include "tests/worker/egress/client_test_support.h"
#include "tests/worker/egress/test_upstream.h"

namespace wsup::worker::egress::testing {
namespace {

class RedirectTest : public ::testing::Test {
 protected:
  boost::asio::io_context loop;
  TestUpstream upstream;
  TestUpstream other;  // another origin (another port)
  HttpClient client{loop, loopback_options()};

  FetchResult fetch(SubrequestSpec spec) { return fetch_and_wait(loop, client, std::move(spec)); }

  SubrequestSpec post(const std::string& url, std::string body) {
    SubrequestSpec spec = get(url);
    spec.method = "POST";
    spec.headers = {{"Content-Type", "text/plain"}, {"Authorization", "Bearer secret"}};
    spec.body.kind = RequestBody::Kind::bytes;
    spec.body.bytes = std::move(body);
    return spec;
  }
};

TEST_F(RedirectTest, FollowReportsTheFinalUrlAndTheRedirectedFlag) {
  FetchResult result = fetch(get(upstream.url("/redirect/301?to=/status/200")));
  ASSERT_TRUE(result.ended) << (result.error ? result.error->message : "");
  EXPECT_EQ(result.head->status, 200);
  EXPECT_EQ(result.body, "status 200");
  EXPECT_TRUE(result.head->redirected);
  EXPECT_EQ(result.head->url, upstream.url("/status/200"));
  EXPECT_EQ(client.stats().redirects, 1u);
}

TEST_F(RedirectTest, PostBecomesGetOn302AndDropsTheBodyAndItsHeaders) {
  FetchResult result = fetch(post(upstream.url("/redirect/302?to=/echo"), "payload"));
  ASSERT_TRUE(result.ended) << (result.error ? result.error->message : "");
  EXPECT_EQ(result.header("X-Method"), "GET");
  EXPECT_EQ(result.body, "");
  RecordedRequest second = upstream.requests().at(1);
  EXPECT_FALSE(second.has_header("Content-Type"));
  EXPECT_FALSE(second.has_header("Content-Length"));
  EXPECT_EQ(second.header("Authorization"), "Bearer secret") << "same origin keeps it";
}

TEST_F(RedirectTest, SeeOtherMakesGetButKeepsHead) {
  FetchResult put = fetch([&] {
    SubrequestSpec spec = post(upstream.url("/redirect/303?to=/echo"), "x");
    spec.method = "PUT";
    return spec;
  }());
  ASSERT_TRUE(put.ended);
  EXPECT_EQ(put.header("X-Method"), "GET");
  SubrequestSpec head = get(upstream.url("/redirect/303?to=/echo"));
  head.method = "HEAD";
  FetchResult result = fetch(std::move(head));
  ASSERT_TRUE(result.ended);
  EXPECT_EQ(upstream.requests().back().method, "HEAD");
}

TEST_F(RedirectTest, TemporaryAndPermanentRedirectsResendMethodAndBody) {
  for (std::string status : {"307", "308"}) {
    FetchResult result = fetch(post(upstream.url("/redirect/" + status + "?to=/echo"), "again"));
    ASSERT_TRUE(result.ended) << status;
    EXPECT_EQ(result.header("X-Method"), "POST") << status;
    EXPECT_EQ(result.body, "again") << status;
  }
}

TEST_F(RedirectTest, StreamedBodyCannotFollowA307) {
  SubrequestSpec spec = get(upstream.url("/redirect/307?to=/echo"));
  spec.method = "POST";
  spec.body.kind = RequestBody::Kind::stream;
  FetchResult result;
  SubrequestCallbacks callbacks = collect_into(result);
  Subrequest sub;
  bool sent = false;
  callbacks.on_request_body_ready = [&] {
    if (!sent)
      sub.write_body("streamed");
    else
      sub.end_body();
    sent = true;
  };
  sub = client.fetch(std::move(spec), std::move(callbacks));
  ASSERT_TRUE(run_until(loop, [&] { return result.done(); }));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->kind, FetchError::Kind::redirect);
  EXPECT_NE(result.error->message.find("a streamed body cannot be sent twice"), std::string::npos)
      << result.error->message;
}

TEST_F(RedirectTest, ManualReturnsTheRedirectItself) {
  SubrequestSpec spec = get(upstream.url("/redirect/302?to=/elsewhere"));
  spec.redirect = RedirectMode::manual;
  FetchResult result = fetch(std::move(spec));
  ASSERT_TRUE(result.ended);
  EXPECT_EQ(result.head->status, 302);
  EXPECT_EQ(result.header("Location"), "/elsewhere");
  EXPECT_FALSE(result.head->redirected);
  EXPECT_EQ(upstream.request_count(), 1u);
}

TEST_F(RedirectTest, ErrorModeFailsOnARedirect) {
  SubrequestSpec spec = get(upstream.url("/redirect/301?to=/status/200"));
  spec.redirect = RedirectMode::error;
  FetchResult result = fetch(std::move(spec));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->kind, FetchError::Kind::redirect);
  EXPECT_NE(result.error->message.find("the redirect mode is 'error'"), std::string::npos);
}

TEST_F(RedirectTest, TwentyRedirectsAreFollowedAndTheTwentyFirstFails) {
  FetchResult result = fetch(get(upstream.url("/loop")));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->kind, FetchError::Kind::redirect);
  EXPECT_NE(result.error->message.find("more than 20 redirects"), std::string::npos);
  EXPECT_EQ(upstream.request_count(), 21u);
}

TEST_F(RedirectTest, CrossOriginHopDropsCredentialsOnly) {
  SubrequestSpec spec = get(upstream.url("/redirect/302?to=" + other.url("/echo")));
  spec.headers = {{"Authorization", "Bearer secret"},
                  {"Cookie", "session=1"},
                  {"Proxy-Authorization", "Basic x"},
                  {"X-Kept", "yes"}};
  FetchResult result = fetch(std::move(spec));
  ASSERT_TRUE(result.ended) << (result.error ? result.error->message : "");
  ASSERT_EQ(other.request_count(), 1u);
  RecordedRequest seen = other.requests()[0];
  EXPECT_FALSE(seen.has_header("Authorization"));
  EXPECT_FALSE(seen.has_header("Cookie"));
  EXPECT_FALSE(seen.has_header("Proxy-Authorization"));
  EXPECT_EQ(seen.header("X-Kept"), "yes");
  EXPECT_EQ(result.head->url, other.url("/echo"));
}

TEST_F(RedirectTest, RedirectWithoutLocationIsAnOrdinaryResponse) {
  FetchResult result = fetch(get(upstream.url("/status/302")));
  ASSERT_TRUE(result.ended);
  EXPECT_EQ(result.head->status, 302);
}

TEST_F(RedirectTest, RedirectToANonHttpSchemeFails) {
  FetchResult result = fetch(get(upstream.url("/redirect/302?to=file:///etc/passwd")));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->kind, FetchError::Kind::redirect);
  EXPECT_NE(result.error->message.find("the scheme 'file' is not supported"), std::string::npos)
      << result.error->message;
}

TEST_F(RedirectTest, EveryHopIsJudgedByTheOutboundPolicy) {
  // Only the first upstream's port is allowed on loopback.
  ClientOptions options;
  std::string error;
  options.outbound.allow.push_back(
      *config::parse_outbound_rule("127.0.0.1:" + std::to_string(upstream.port()), error));
  HttpClient strict(loop, options);
  FetchResult to_other =
      fetch_and_wait(loop, strict, get(upstream.url("/redirect/302?to=" + other.url("/echo"))));
  ASSERT_TRUE(to_other.error);
  EXPECT_EQ(to_other.error->kind, FetchError::Kind::refused);
  EXPECT_EQ(to_other.error->message, "fetch to 127.0.0.1:" + std::to_string(other.port()) +
                                         " refused by outbound policy: loopback addresses are "
                                         "denied (outbound.allow to permit)");
  EXPECT_EQ(other.request_count(), 0u);
  FetchResult to_private =
      fetch_and_wait(loop, strict, get(upstream.url("/redirect/307?to=http://10.1.2.3/internal")));
  ASSERT_TRUE(to_private.error);
  EXPECT_NE(to_private.error->message.find("private network addresses are denied"),
            std::string::npos)
      << to_private.error->message;
  FetchResult same = fetch_and_wait(loop, strict, get(upstream.url("/redirect/302?to=/echo")));
  EXPECT_TRUE(same.ended) << "a hop to an allowed destination is followed";
}

}  // namespace
}  // namespace wsup::worker::egress::testing
