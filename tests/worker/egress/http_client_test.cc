// The client against a real upstream on loopback: requests and bodies both ways, framing,
// Content-Encoding, keep-alive, abort, timeouts, broken connections, the hop header.
#include <gtest/gtest.h>

#include "tests/support/eventually.h"
#include "tests/worker/egress/client_test_support.h"
#include "tests/worker/egress/test_upstream.h"

namespace wsup::worker::egress::testing {
namespace {

using wsup::testing::eventually;
using namespace std::chrono_literals;

class HttpClientTest : public ::testing::Test {
 protected:
  boost::asio::io_context loop;
  TestUpstream upstream;
  HttpClient client{loop, loopback_options()};

  FetchResult fetch(SubrequestSpec spec) { return fetch_and_wait(loop, client, std::move(spec)); }
};

TEST_F(HttpClientTest, GetDeliversStatusHeadersAndBody) {
  FetchResult result = fetch(get(upstream.url("/status/201")));
  ASSERT_TRUE(result.ended) << (result.error ? result.error->message : "");
  EXPECT_EQ(result.head->status, 201);
  EXPECT_EQ(result.head->url, upstream.url("/status/201"));
  EXPECT_FALSE(result.head->redirected);
  EXPECT_EQ(result.header("Content-Length"), "10");
  EXPECT_EQ(result.body, "status 201");
  ASSERT_EQ(upstream.request_count(), 1u);
  RecordedRequest seen = upstream.requests()[0];
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.header("Host"), "127.0.0.1:" + std::to_string(upstream.port()));
  EXPECT_EQ(seen.header("Accept-Encoding"), "gzip, deflate, br");
}

TEST_F(HttpClientTest, PostSendsABytesBodyWithItsLength) {
  SubrequestSpec spec = get(upstream.url("/echo"));
  spec.method = "POST";
  spec.headers = {{"Content-Type", "text/plain"}, {"X-Custom", "one"}, {"X-Custom", "two"}};
  spec.body.kind = RequestBody::Kind::bytes;
  spec.body.bytes = std::string(200'000, 'p');  // several slices
  FetchResult result = fetch(std::move(spec));
  ASSERT_TRUE(result.ended) << (result.error ? result.error->message : "");
  EXPECT_EQ(result.header("X-Method"), "POST");
  EXPECT_EQ(result.header("X-Body-Framing"), "length");
  EXPECT_EQ(result.body, std::string(200'000, 'p'));
  RecordedRequest seen = upstream.requests()[0];
  EXPECT_EQ(seen.header("Content-Length"), "200000");
  int custom = 0;
  for (const auto& [name, value] : seen.headers) custom += name == "X-Custom";
  EXPECT_EQ(custom, 2);
}

TEST_F(HttpClientTest, PostWithoutBodySaysContentLengthZero) {
  SubrequestSpec spec = get(upstream.url("/echo"));
  spec.method = "POST";
  FetchResult result = fetch(std::move(spec));
  ASSERT_TRUE(result.ended) << (result.error ? result.error->message : "");
  EXPECT_EQ(upstream.requests()[0].header("Content-Length"), "0");
}

TEST_F(HttpClientTest, StreamedBodyOfUnknownLengthGoesChunkedOneChunkAtATime) {
  SubrequestSpec spec = get(upstream.url("/echo"));
  spec.method = "PUT";
  spec.body.kind = RequestBody::Kind::stream;
  FetchResult result;
  SubrequestCallbacks callbacks = collect_into(result);
  Subrequest sub;
  int written = 0;
  bool refused_while_writing = false;
  callbacks.on_request_body_ready = [&] {
    if (written == 50) return sub.end_body();
    ASSERT_TRUE(sub.write_body(std::string(1000, static_cast<char>('a' + written % 26))));
    ++written;
    // Backpressure: nothing more until this chunk is on its way.
    refused_while_writing = refused_while_writing || !sub.write_body("too soon");
  };
  sub = client.fetch(std::move(spec), std::move(callbacks));
  EXPECT_FALSE(sub.write_body("before the head is out"));
  ASSERT_TRUE(run_until(loop, [&] { return result.done(); }));
  ASSERT_TRUE(result.ended) << (result.error ? result.error->message : "");
  EXPECT_TRUE(refused_while_writing);
  EXPECT_EQ(result.header("X-Body-Framing"), "chunked");
  std::string expected;
  for (int i = 0; i < 50; ++i) expected += std::string(1000, static_cast<char>('a' + i % 26));
  EXPECT_EQ(result.body, expected);
}

TEST_F(HttpClientTest, StreamedBodyOfKnownLengthSendsContentLengthAndChecksIt) {
  SubrequestSpec spec = get(upstream.url("/echo"));
  spec.method = "POST";
  spec.body.kind = RequestBody::Kind::stream;
  spec.body.length = 6;
  FetchResult result;
  SubrequestCallbacks callbacks = collect_into(result);
  Subrequest sub;
  int step = 0;
  callbacks.on_request_body_ready = [&] {
    if (step++ < 2)
      sub.write_body("abc");
    else
      sub.end_body();
  };
  sub = client.fetch(std::move(spec), std::move(callbacks));
  ASSERT_TRUE(run_until(loop, [&] { return result.done(); }));
  ASSERT_TRUE(result.ended) << (result.error ? result.error->message : "");
  EXPECT_EQ(result.header("X-Body-Framing"), "length");
  EXPECT_EQ(result.body, "abcabc");

  SubrequestSpec longer = get(upstream.url("/echo"));
  longer.method = "POST";
  longer.body.kind = RequestBody::Kind::stream;
  longer.body.length = 2;
  FetchResult failed;
  SubrequestCallbacks more = collect_into(failed);
  Subrequest second;
  more.on_request_body_ready = [&] { second.write_body("abc"); };
  second = client.fetch(std::move(longer), std::move(more));
  ASSERT_TRUE(run_until(loop, [&] { return failed.done(); }));
  ASSERT_TRUE(failed.error);
  EXPECT_EQ(failed.error->kind, FetchError::Kind::invalid_request);
  EXPECT_NE(failed.error->message.find("longer than its stated length of 2 bytes"),
            std::string::npos)
      << failed.error->message;
}

TEST_F(HttpClientTest, ChunkedResponseIsDeliveredWhole) {
  FetchResult result = fetch(get(upstream.url("/chunked")));
  ASSERT_TRUE(result.ended) << (result.error ? result.error->message : "");
  EXPECT_EQ(result.body, "one,two,three");
}

TEST_F(HttpClientTest, EveryContentEncodingIsDecodedAndNamed) {
  for (std::string coding : {"gzip", "deflate", "deflate-raw", "br"}) {
    FetchResult result = fetch(get(upstream.url("/encoded/" + coding)));
    ASSERT_TRUE(result.ended) << coding << ": " << (result.error ? result.error->message : "");
    EXPECT_EQ(result.body, encoded_text()) << coding;
    std::string name = coding == "deflate-raw" ? "deflate" : coding;
    EXPECT_EQ(result.head->decoded_from, name);
    EXPECT_EQ(result.header("Content-Encoding"), name) << "headers stay as received";
    EXPECT_GT(result.chunks, 1u) << coding << ": decoded in bounded pieces";
  }
}

TEST_F(HttpClientTest, DecodingOffDeliversTheEncodedBytesAndAsksForNoCoding) {
  SubrequestSpec spec = get(upstream.url("/encoded/gzip"));
  spec.decode_body = false;
  FetchResult result = fetch(std::move(spec));
  ASSERT_TRUE(result.ended);
  EXPECT_EQ(result.head->decoded_from, "");
  EXPECT_EQ(result.body.substr(0, 2), "\x1f\x8b");
  EXPECT_FALSE(upstream.requests()[0].has_header("Accept-Encoding"));
}

TEST_F(HttpClientTest, BrokenAndTruncatedEncodingsAreDecodeErrors) {
  FetchResult corrupt = fetch(get(upstream.url("/encoded/corrupt")));
  ASSERT_TRUE(corrupt.error);
  EXPECT_EQ(corrupt.error->kind, FetchError::Kind::decode);
  EXPECT_NE(corrupt.error->message.find("invalid gzip data"), std::string::npos)
      << corrupt.error->message;
  FetchResult truncated = fetch(get(upstream.url("/encoded/gzip-truncated")));
  ASSERT_TRUE(truncated.error);
  EXPECT_EQ(truncated.error->kind, FetchError::Kind::decode);
  EXPECT_NE(truncated.error->message.find("ends before its compressed stream does"),
            std::string::npos)
      << truncated.error->message;
}

TEST_F(HttpClientTest, HundredSequentialRequestsShareOneConnection) {
  for (int i = 0; i < 100; ++i) {
    FetchResult result = fetch(get(upstream.url("/status/200")));
    ASSERT_TRUE(result.ended) << i << ": " << (result.error ? result.error->message : "");
  }
  EXPECT_EQ(upstream.connections_accepted(), 1u);
  EXPECT_EQ(client.stats().connections_opened, 1u);
  EXPECT_EQ(client.stats().connections_reused, 99u);
  EXPECT_EQ(client.idle_connections(), 1u);
}

TEST_F(HttpClientTest, DestroyingTheClientClosesItsIdleConnections) {
  {
    HttpClient own(loop, loopback_options());
    ASSERT_TRUE(fetch_and_wait(loop, own, get(upstream.url("/status/200"))).ended);
    EXPECT_EQ(own.idle_connections(), 1u);
  }
  EXPECT_TRUE(eventually([&] { return upstream.connections_closed_by_client() == 1; }));
}

TEST_F(HttpClientTest, IdleConnectionsCloseAfterTheIdleTimeout) {
  ClientOptions options = loopback_options();
  options.outbound.idle_timeout = 100ms;
  HttpClient brief(loop, options);
  ASSERT_TRUE(fetch_and_wait(loop, brief, get(upstream.url("/status/200"))).ended);
  EXPECT_EQ(brief.idle_connections(), 1u);
  EXPECT_TRUE(run_until(loop, [&] { return brief.open_connections() == 0; }));
  EXPECT_TRUE(eventually([&] { return upstream.connections_closed_by_client() == 1; }));
}

TEST_F(HttpClientTest, PerOriginCapMakesSubrequestsWaitTheirTurn) {
  ClientOptions options = loopback_options();
  options.outbound.max_connections_per_origin = 1;
  HttpClient capped(loop, options);
  FetchResult results[3];
  std::vector<Subrequest> subs;
  for (FetchResult& result : results)
    subs.push_back(capped.fetch(get(upstream.url("/status/200")), collect_into(result)));
  EXPECT_LE(capped.open_connections(), 1u);
  ASSERT_TRUE(
      run_until(loop, [&] { return results[0].done() && results[1].done() && results[2].done(); }));
  for (FetchResult& result : results) EXPECT_TRUE(result.ended);
  EXPECT_EQ(upstream.connections_accepted(), 1u);
}

TEST_F(HttpClientTest, ConnectionCloseIsNotReused) {
  ASSERT_TRUE(fetch(get(upstream.url("/close"))).ended);
  ASSERT_TRUE(fetch(get(upstream.url("/status/200"))).ended);
  EXPECT_EQ(upstream.connections_accepted(), 2u);
}

TEST_F(HttpClientTest, AbortWhileWaitingClosesTheConnectionAndCallsNothing) {
  FetchResult result;
  Subrequest sub = client.fetch(get(upstream.url("/hang")), collect_into(result));
  ASSERT_TRUE(run_until(loop, [&] { return upstream.request_count() == 1; }));
  sub.abort();
  EXPECT_FALSE(sub.active());
  EXPECT_TRUE(eventually([&] { return upstream.connections_closed_by_client() == 1; }));
  loop.restart();
  loop.poll();
  EXPECT_FALSE(result.head);
  EXPECT_FALSE(result.done());
  EXPECT_EQ(client.open_connections(), 0u);
  EXPECT_EQ(client.stats().aborted, 1u);
}

TEST_F(HttpClientTest, AbortMidBodyNeverReturnsTheConnectionToThePool) {
  FetchResult result;
  SubrequestCallbacks callbacks = collect_into(result);
  Subrequest sub;
  callbacks.on_body = [&](std::string_view chunk) {
    result.body.append(chunk);
    sub.abort();  // from inside the callback
  };
  sub = client.fetch(get(upstream.url("/big?bytes=10000000")), std::move(callbacks));
  ASSERT_TRUE(run_until(loop, [&] { return !result.body.empty(); }));
  EXPECT_TRUE(eventually([&] { return upstream.connections_closed_by_client() == 1; }));
  EXPECT_FALSE(result.done());
  EXPECT_EQ(client.idle_connections(), 0u);
  EXPECT_EQ(client.open_connections(), 0u);
  // The next request needs a new connection.
  ASSERT_TRUE(fetch(get(upstream.url("/status/200"))).ended);
  EXPECT_EQ(upstream.connections_accepted(), 2u);
}

TEST_F(HttpClientTest, DestroyingTheHandleAborts) {
  FetchResult result;
  {
    Subrequest sub = client.fetch(get(upstream.url("/hang")), collect_into(result));
    ASSERT_TRUE(run_until(loop, [&] { return upstream.request_count() == 1; }));
  }
  EXPECT_TRUE(eventually([&] { return upstream.connections_closed_by_client() == 1; }));
  EXPECT_EQ(client.stats().aborted, 1u);
}

TEST_F(HttpClientTest, SlowUpstreamTimesOutWaitingForTheHead) {
  HttpClient quick(loop, loopback_options(300ms));
  FetchResult result = fetch_and_wait(loop, quick, get(upstream.url("/hang")));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->kind, FetchError::Kind::timeout);
  EXPECT_NE(result.error->message.find("no response within 300 ms"), std::string::npos)
      << result.error->message;
  EXPECT_TRUE(eventually([&] { return upstream.connections_closed_by_client() == 1; }));
}

TEST_F(HttpClientTest, StalledBodyTimesOut) {
  HttpClient quick(loop, loopback_options(300ms));
  FetchResult result = fetch_and_wait(loop, quick, get(upstream.url("/hang-body")));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.head->status, 200);
  EXPECT_EQ(result.body, "0123456789");
  EXPECT_EQ(result.error->kind, FetchError::Kind::timeout);
  EXPECT_NE(result.error->message.find("the response body stalled"), std::string::npos)
      << result.error->message;
}

TEST_F(HttpClientTest, ConnectionResetIsOneClearError) {
  FetchResult result = fetch(get(upstream.url("/reset")));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->kind, FetchError::Kind::network);
  EXPECT_EQ(result.error->message, "fetch to " + upstream.url("/reset") +
                                       " failed: the upstream reset the connection before "
                                       "sending a response");
}

TEST_F(HttpClientTest, RefusedConnectionNamesTheAddress) {
  uint16_t closed_port;
  {
    TestUpstream gone;
    closed_port = gone.port();
  }
  FetchResult result = fetch(get("http://127.0.0.1:" + std::to_string(closed_port) + "/"));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->kind, FetchError::Kind::connect);
  EXPECT_NE(result.error->message.find("cannot connect to 127.0.0.1:" +
                                       std::to_string(closed_port) + ": Connection refused"),
            std::string::npos)
      << result.error->message;
}

TEST_F(HttpClientTest, HopHeaderCountsOnAndCannotBeSetByTheCaller) {
  SubrequestSpec spec = get(upstream.url("/echo"));
  spec.incoming_hops = 2;
  spec.headers = {{"wsup-hops", "0"}, {"Host", "evil.example"}, {"Connection", "close"}};
  ASSERT_TRUE(fetch(std::move(spec)).ended);
  RecordedRequest seen = upstream.requests()[0];
  EXPECT_EQ(seen.header("Wsup-Hops"), "3");
  int hop_headers = 0;
  for (const auto& [name, value] : seen.headers)
    hop_headers += name == "Wsup-Hops" || name == "wsup-hops";
  EXPECT_EQ(hop_headers, 1);
  EXPECT_EQ(seen.header("Host"), "127.0.0.1:" + std::to_string(upstream.port()));
  EXPECT_FALSE(seen.has_header("Connection"));
}

TEST_F(HttpClientTest, BadRequestsAreRefusedBeforeAnyConnection) {
  SubrequestSpec bad_header = get(upstream.url("/echo"));
  bad_header.headers = {{"X-Evil", "a\r\nInjected: yes"}};
  FetchResult header = fetch(std::move(bad_header));
  ASSERT_TRUE(header.error);
  EXPECT_EQ(header.error->kind, FetchError::Kind::invalid_request);
  SubrequestSpec connect = get(upstream.url("/echo"));
  connect.method = "CONNECT";
  FetchResult method = fetch(std::move(connect));
  ASSERT_TRUE(method.error);
  EXPECT_NE(method.error->message.find("the method 'CONNECT' is not allowed"), std::string::npos);
  FetchResult scheme = fetch(get("ftp://127.0.0.1/file"));
  ASSERT_TRUE(scheme.error);
  EXPECT_NE(scheme.error->message.find("the scheme 'ftp' is not supported"), std::string::npos);
  EXPECT_EQ(upstream.request_count(), 0u);
}

TEST_F(HttpClientTest, HeadResponsesHaveNoBody) {
  SubrequestSpec spec = get(upstream.url("/big?bytes=5000"));
  spec.method = "HEAD";
  FetchResult result = fetch(std::move(spec));
  ASSERT_TRUE(result.ended) << (result.error ? result.error->message : "");
  EXPECT_EQ(result.header("Content-Length"), "5000");
  EXPECT_EQ(result.body, "");
}

}  // namespace
}  // namespace wsup::worker::egress::testing
