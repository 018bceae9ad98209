// fetch() from scripts through the real cluster (`wsup start`, the real `wsup-worker`, loopback
// HTTP) against real upstreams on loopback (tests/worker/egress/test_upstream.h, plain and TLS
// with a CA made by openssl at test time): JSON in, bodies out, the proxy idiom streaming a
// body byte for byte, redirects, the outbound policy's refusal, AbortSignal, a pending
// subrequest that holds no isolate, the subrequest limit, the hop count, and the client's
// figures in /metrics.
#include <gtest/gtest.h>
#include <strings.h>

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <regex>
#include <string>

#include "harness.h"
#include "tests/support/eventually.h"
#include "tests/worker/egress/test_certificates.h"
#include "tests/worker/egress/test_upstream.h"

using namespace wsup::e2e;
using wsup::testing::eventually;
using wsup::worker::egress::testing::pattern_bytes;
using wsup::worker::egress::testing::TestCertificates;
using wsup::worker::egress::testing::TestUpstream;

namespace {

const char* kApp = R"js(
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const path = url.pathname;
    if (path === '/json') {
      const r = await fetch(env.UP + '/json');
      return Response.json({status: r.status, type: r.headers.get('content-type'),
                            data: await r.json()});
    }
    if (path === '/https') {
      const r = await fetch(new URL('/json', env.UPS));
      return Response.json({status: r.status, data: await r.json()});
    }
    if (path === '/post') {
      const r = await fetch(env.UP + '/echo', {method: 'POST', body: request.body});
      return new Response(r.body, {headers: {'x-method': r.headers.get('x-method'),
                                             'x-framing': r.headers.get('x-body-framing')}});
    }
    if (path === '/post-stream') {
      let n = 0;
      const body = new ReadableStream({
        pull(controller) {
          if (++n > 3) return controller.close();
          controller.enqueue(new TextEncoder().encode(`part ${n};`));
        },
      });
      const r = await fetch(env.UP + '/echo', {method: 'PUT', body, duplex: 'half'});
      return new Response(await r.text(), {headers: {'x-framing': r.headers.get('x-body-framing')}});
    }
    if (path === '/proxy') {
      // The proxy idiom: the incoming request, pointed at the upstream, its answer handed back.
      return fetch(new Request(env.UP + '/pattern' + url.search, request));
    }
    if (path === '/proxy-rewrap') {
      // The body handed on untouched inside a new Response: still sent on by the runtime.
      const r = await fetch(env.UP + '/pattern' + url.search);
      return new Response(r.body, r);
    }
    if (path === '/proxy-to') {
      // Any route of the upstream, its answer handed back as it is.
      return fetch(env.UP + url.searchParams.get('to'));
    }
    if (path === '/proxy-touched') {
      // The first chunk read before returning: the rest must follow it through the script.
      const r = await fetch(env.UP + '/pattern' + url.search);
      const reader = r.body.getReader();
      const first = await reader.read();
      return new Response(new ReadableStream({
        start(controller) { controller.enqueue(first.value); },
        async pull(controller) {
          const {done, value} = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        },
      }), r);
    }
    if (path === '/proxy-teed') {
      const r = await fetch(env.UP + '/pattern' + url.search);
      const [mine, other] = r.body.tee();
      other.cancel();
      return new Response(mine, r);
    }
    if (path === '/redirect') {
      const r = await fetch(env.UP + '/redirect/302?to=/json');
      return Response.json({status: r.status, redirected: r.redirected, url: r.url,
                            data: await r.json()});
    }
    if (path === '/manual') {
      const r = await fetch(env.UP + '/redirect/301?to=/json', {redirect: 'manual'});
      return Response.json({status: r.status, redirected: r.redirected,
                            location: r.headers.get('location')});
    }
    if (path === '/timeout') {
      try {
        await fetch(env.UP + '/hang', {signal: AbortSignal.timeout(Number(url.searchParams.get('ms')))});
        return new Response('resolved?!');
      } catch (error) {
        return Response.json({name: error.name, message: error.message});
      }
    }
    if (path === '/refused') {
      try {
        await fetch(env.UP + '/json');
        return new Response('resolved?!');
      } catch (error) {
        return Response.json({type: error.constructor.name, message: error.message});
      }
    }
    if (path === '/limit') {
      let made = 0;
      try {
        for (;;) {
          const r = await fetch(env.UP + '/json', {cf: {cacheTtl: 5}, cache: 'no-store'});
          await r.arrayBuffer();
          made++;
        }
      } catch (error) {
        return Response.json({made, type: error.constructor.name, message: error.message});
      }
    }
    if (path === '/self') {
      // fetch(request) with the incoming request itself: it comes back to this cluster, one hop on.
      const hops = request.headers.get('wsup-hops');
      if (hops !== null) return new Response(`hop ${hops} ${request.method} ${await request.text()}`);
      return fetch(request);
    }
    if (path === '/read-one') {
      // Reads one chunk of a large body, then lets it be: the subrequest must pause.
      const r = await fetch(env.UP + '/big?bytes=' + (256 << 20));
      const reader = r.body.getReader();
      const {value} = await reader.read();
      await new Promise((resolve) => setTimeout(resolve, 300));
      return new Response(`first chunk ${value.byteLength}`);
    }
    if (path === '/closed-port') {
      try {
        await fetch('http://127.0.0.1:1/');  // nothing listens there: the connection is refused
        return new Response('resolved?!');
      } catch (error) {
        return new Response(error.message);
      }
    }
    if (path === '/hops') {
      const r = await fetch(env.UP + '/echo');
      return new Response(await r.text());
    }
    return new Response('not found', {status: 404});
  },
};
)js";

// One worker with one isolate, `extra` top-level settings, env.UP and env.UPS the upstreams.
std::string cluster_settings(const TestUpstream& plain, const TestUpstream& tls,
                             const std::string& extra) {
  return "workers: 1\nisolates_per_worker: 1\nlimits:\n  cpu_ms: 1000\n" + extra +
         "scripts:\n  - name: app\n    path: app.js\n    routes: [\"/*\"]\n    vars:\n"
         "      UP: \"http://127.0.0.1:" +
         std::to_string(plain.port()) +
         "\"\n      UPS: \"https://127.0.0.1:" + std::to_string(tls.port()) + "\"\n";
}

// The first value of a header, its name in any case; "" when absent.
std::string header(const HttpResult& result, const std::string& name) {
  for (const auto& [key, value] : result.headers)
    if (strcasecmp(key.c_str(), name.c_str()) == 0) return value;
  return {};
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class Fetch : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const TestCertificates& certs = TestCertificates::get();
    plain_ = std::make_unique<TestUpstream>();
    tls_ = std::make_unique<TestUpstream>(TestUpstream::Tls{certs.localhost, certs.server_key});
    cluster_ = std::make_unique<ClusterWithFiles>(
        std::map<std::string, std::string>{{"app.js", kApp}},
        cluster_settings(*plain_, *tls_,
                         "outbound:\n  allow: [loopback]\n  ca_bundle: \"" + certs.ca + "\"\n"),
        WSUP_WORKER_BINARY);
    ASSERT_TRUE(cluster_->supervisor->wait_serving(cluster_->port)) << cluster_->supervisor->log();
  }
  static void TearDownTestSuite() {
    cluster_.reset();
    tls_.reset();
    plain_.reset();
  }
  static uint16_t port() { return cluster_->port; }
  static std::string log() { return cluster_->supervisor->log(); }
  static std::unique_ptr<TestUpstream> plain_;
  static std::unique_ptr<TestUpstream> tls_;
  static std::unique_ptr<ClusterWithFiles> cluster_;
};
std::unique_ptr<TestUpstream> Fetch::plain_;
std::unique_ptr<TestUpstream> Fetch::tls_;
std::unique_ptr<ClusterWithFiles> Fetch::cluster_;

TEST_F(Fetch, GetsJsonFromAnUpstream) {
  HttpResult r = http_get(port(), "/json");
  ASSERT_EQ(r.status, 200) << r.body << log();
  EXPECT_EQ(
      r.body,
      R"({"status":200,"type":"application/json","data":{"greeting":"hello","items":[1,2,3]}})");
}

TEST_F(Fetch, GetsJsonOverHttpsTrustingTheConfiguredCa) {
  HttpResult r = http_get(port(), "/https");
  ASSERT_EQ(r.status, 200) << r.body << log();
  EXPECT_EQ(r.body, R"({"status":200,"data":{"greeting":"hello","items":[1,2,3]}})");
}

TEST_F(Fetch, PostsTheIncomingBodyThrough) {
  const std::string body = pattern_bytes(200'000);
  HttpResult r = http_post(port(), "/post", body);
  ASSERT_EQ(r.status, 200) << log();
  EXPECT_EQ(header(r, "x-method"), "POST");
  EXPECT_EQ(header(r, "x-framing"), "length");  // a whole body goes with its length
  EXPECT_TRUE(r.body == body) << "got " << r.body.size() << " bytes";
}

TEST_F(Fetch, StreamsAScriptsOwnStreamAsTheRequestBody) {
  HttpResult r = http_get(port(), "/post-stream");
  ASSERT_EQ(r.status, 200) << r.body << log();
  EXPECT_EQ(header(r, "x-framing"), "chunked");
  EXPECT_EQ(r.body, "part 1;part 2;part 3;");
}

TEST_F(Fetch, ProxyIdiomStreamsAMultiMebibyteBodyByteForByte) {
  constexpr uint64_t kBytes = 6 << 20;
  HttpResult r = http_get(port(), "/proxy?bytes=" + std::to_string(kBytes));
  ASSERT_EQ(r.status, 200) << log();
  ASSERT_EQ(r.body.size(), kBytes);
  EXPECT_TRUE(r.body == pattern_bytes(kBytes)) << "the bytes differ";
}

TEST_F(Fetch, APassedThroughBodyKeepsTheUpstreamsContentLength) {
  // `return fetch(request)` and `new Response(r.body, r)`: the bytes as the upstream sent them,
  // with its length, as workerd sends them; no chunked coding.
  constexpr uint64_t kBytes = 300'000;
  for (const char* path : {"/proxy", "/proxy-rewrap"}) {
    HttpResult r = http_get(port(), path + ("?bytes=" + std::to_string(kBytes)));
    ASSERT_EQ(r.status, 200) << path << log();
    EXPECT_EQ(header(r, "content-length"), std::to_string(kBytes)) << path;
    EXPECT_EQ(header(r, "transfer-encoding"), "") << path;
    ASSERT_EQ(r.body.size(), kBytes) << path;
    EXPECT_TRUE(r.body == pattern_bytes(kBytes)) << path << ": the bytes differ";
  }
  // `new Response(r.body, {headers})`: the body's length goes with it, whatever the headers say.
  const std::string body = pattern_bytes(1000);
  HttpResult posted = http_post(port(), "/post", body);
  ASSERT_EQ(posted.status, 200) << log();
  EXPECT_EQ(header(posted, "content-length"), "1000");
  EXPECT_EQ(header(posted, "transfer-encoding"), "");
  EXPECT_TRUE(posted.body == body);
}

TEST_F(Fetch, APassedThroughBodyWithoutADeclaredLengthGoesChunked) {
  HttpResult chunked = http_get(port(), "/proxy-to?to=/chunked");
  ASSERT_EQ(chunked.status, 200) << log();
  EXPECT_EQ(header(chunked, "transfer-encoding"), "chunked");
  EXPECT_EQ(header(chunked, "content-length"), "");
  EXPECT_EQ(chunked.body, "one,two,three");
  // Decoded by wsup: the upstream's length is the compressed one, so it must not go on.
  HttpResult gzip = http_get(port(), "/proxy-to?to=/encoded/gzip");
  ASSERT_EQ(gzip.status, 200) << log();
  EXPECT_EQ(header(gzip, "transfer-encoding"), "chunked");
  EXPECT_EQ(header(gzip, "content-length"), "");
  EXPECT_EQ(header(gzip, "content-encoding"), "");
  EXPECT_TRUE(gzip.body == wsup::worker::egress::testing::encoded_text())
      << "got " << gzip.body.size() << " bytes";
}

TEST_F(Fetch, AnUpstreamThatEndsShortOfItsLengthClosesTheClientsConnection) {
  // The upstream declares 100 bytes, sends 10 and closes: the client gets the head with the
  // length, the 10 bytes, and then the connection's end (never a hang on a keep-alive request).
  RawReply reply =
      exchange_raw(port(), "GET /proxy-to?to=/short HTTP/1.1\r\nHost: localhost\r\n\r\n",
                   // A bound, as eventually() has one: the close comes at once, and below the
                   // request's wall limit (30 s), which would close a hanging connection too.
                   std::chrono::seconds(20));
  EXPECT_TRUE(reply.closed) << reply.bytes;
  const size_t head_end = reply.bytes.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << reply.bytes;
  const std::string head = reply.bytes.substr(0, head_end);
  EXPECT_TRUE(has(head, "HTTP/1.1 200")) << head;
  EXPECT_TRUE(has(head, "Content-Length: 100")) << head;
  EXPECT_FALSE(has(head, "chunked")) << head;
  EXPECT_EQ(reply.bytes.substr(head_end + 4), "0123456789");
}

TEST_F(Fetch, FollowsARedirectAndSaysSo) {
  HttpResult r = http_get(port(), "/redirect");
  ASSERT_EQ(r.status, 200) << r.body << log();
  EXPECT_EQ(r.body, R"({"status":200,"redirected":true,"url":"http://127.0.0.1:)" +
                        std::to_string(plain_->port()) +
                        R"(/json","data":{"greeting":"hello","items":[1,2,3]}})");
}

TEST_F(Fetch, ManualRedirectReturnsThe3xx) {
  HttpResult r = http_get(port(), "/manual");
  ASSERT_EQ(r.status, 200) << r.body << log();
  EXPECT_EQ(r.body, R"({"status":301,"redirected":false,"location":"/json"})");
}

TEST_F(Fetch, AbortSignalTimeoutRejectsWithItsReason) {
  HttpResult r = http_get(port(), "/timeout?ms=100");
  ASSERT_EQ(r.status, 200) << r.body << log();
  EXPECT_TRUE(has(r.body, R"("name":"TimeoutError")")) << r.body;
  // The upstream saw the connection closed: the subrequest was aborted, not left hanging.
  EXPECT_TRUE(eventually([] { return plain_->connections_closed_by_client() > 0; }));
}

TEST_F(Fetch, APendingSubrequestHoldsNoIsolate) {
  // One worker, one isolate: the hanging subrequest's request must leave it to the others.
  const size_t before = plain_->request_count();
  auto pending =
      std::async(std::launch::async, [] { return http_get(port(), "/timeout?ms=4000"); });
  ASSERT_TRUE(eventually([&] { return plain_->request_count() > before; }));
  for (int i = 0; i < 3; ++i) {
    HttpResult r = http_get(port(), "/json");
    EXPECT_EQ(r.status, 200) << r.body;
  }
  EXPECT_EQ(pending.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "the subrequest ended before the other requests were served";
  HttpResult r = pending.get();
  EXPECT_TRUE(has(r.body, R"("name":"TimeoutError")")) << r.body;
}

TEST_F(Fetch, TheFiftyFirstSubrequestIsRefused) {
  HttpResult r = http_get(port(), "/limit");
  ASSERT_EQ(r.status, 200) << r.body << log();
  EXPECT_TRUE(has(r.body, R"("made":50,"type":"TypeError")")) << r.body;
  EXPECT_TRUE(has(r.body, "Too many subrequests")) << r.body;
  EXPECT_TRUE(has(r.body, "limits.subrequests")) << r.body;
}

TEST_F(Fetch, FetchOfTheIncomingRequestItselfGoesOutWithItsMethodAndBody) {
  HttpResult r = http_post(port(), "/self", "the body");
  ASSERT_EQ(r.status, 200) << r.body << log();
  EXPECT_EQ(r.body, "hop 1 POST the body");
}

TEST_F(Fetch, AResponseBodyNobodyReadsPausesItsSubrequest) {
  HttpResult r = http_get(port(), "/read-one");
  ASSERT_EQ(r.status, 200) << r.body << log();
  EXPECT_TRUE(has(r.body, "first chunk")) << r.body;
  // The highWaterMark (64 KiB) plus the sockets' buffers, far from the 256 MiB on offer; the
  // request's end then aborted the subrequest.
  EXPECT_LT(plain_->big_bytes_sent(), uint64_t{32} << 20);
}

TEST_F(Fetch, SubrequestsCarryTheIncomingHopCountPlusOne) {
  ASSERT_EQ(http_get(port(), "/hops").status, 200) << log();
  EXPECT_EQ(plain_->requests().back().header("wsup-hops"), "1");
  ASSERT_EQ(http_get(port(), "/hops", {{"Wsup-Hops", "3"}}).status, 200) << log();
  EXPECT_EQ(plain_->requests().back().header("wsup-hops"), "4");
}

TEST(FetchPolicy, TheDefaultPolicyRefusesLoopbackWithATypeErrorNamingTheRule) {
  TestUpstream plain;
  TestUpstream unused;
  const uint16_t admin = free_port();
  ClusterWithFiles cluster(
      {{"app.js", kApp}},
      cluster_settings(plain, unused, "admin:\n  http: 127.0.0.1:" + std::to_string(admin) + "\n"),
      WSUP_WORKER_BINARY);
  ASSERT_TRUE(cluster.supervisor->wait_serving(cluster.port)) << cluster.supervisor->log();
  HttpResult r = http_get(cluster.port, "/refused");
  ASSERT_EQ(r.status, 200) << r.body << cluster.supervisor->log();
  EXPECT_TRUE(has(r.body, R"("type":"TypeError")")) << r.body;
  EXPECT_TRUE(has(r.body, "refused by outbound policy")) << r.body;
  EXPECT_TRUE(has(r.body, "loopback")) << r.body;
  EXPECT_EQ(plain.request_count(), 0u);
  // The worker's counters reach /metrics (at its heartbeat rate).
  const std::regex subrequests(R"(wsup_worker_subrequests_total\{worker="0"\} 1\n)");
  const std::regex errors(
      R"(wsup_worker_subrequest_errors_total\{worker="0",kind="refused"\} 1\n)");
  std::string metrics;
  EXPECT_TRUE(eventually([&] {
    metrics = http_get(admin, "/metrics").body;
    return std::regex_search(metrics, subrequests) && std::regex_search(metrics, errors);
  })) << metrics;
}

// One figure of /metrics, labels included in `series` (e.g. `name{worker="0"}`); -1 if absent.
long long metric(const std::string& text, const std::string& series) {
  const std::string start = series + " ";
  for (size_t at = text.find(start); at != std::string::npos; at = text.find(start, at + 1)) {
    if (at == 0 || text[at - 1] == '\n') return std::stoll(text.substr(at + start.size()));
  }
  return -1;
}

// kApp allowed to reach loopback, with /metrics on `admin`.
std::unique_ptr<ClusterWithFiles> cluster_with_metrics(const TestUpstream& plain,
                                                       const TestUpstream& unused, uint16_t admin) {
  return std::make_unique<ClusterWithFiles>(
      std::map<std::string, std::string>{{"app.js", kApp}},
      cluster_settings(plain, unused,
                       "outbound:\n  allow: [loopback]\nadmin:\n  http: 127.0.0.1:" +
                           std::to_string(admin) + "\n"),
      WSUP_WORKER_BINARY);
}

TEST(FetchMetrics, TheClientsFiguresReachMetricsFromARealCluster) {
  TestUpstream plain;
  TestUpstream unused;
  const uint16_t admin = free_port();
  auto cluster = cluster_with_metrics(plain, unused, admin);
  ASSERT_TRUE(cluster->supervisor->wait_serving(cluster->port)) << cluster->supervisor->log();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(http_get(cluster->port, "/json").status, 200);
  const std::string body = pattern_bytes(1000);
  ASSERT_EQ(http_post(cluster->port, "/post", body).status, 200);
  ASSERT_EQ(http_get(cluster->port, "/redirect").status, 200);
  HttpResult refused = http_get(cluster->port, "/closed-port");
  ASSERT_EQ(refused.status, 200) << cluster->supervisor->log();
  EXPECT_TRUE(has(refused.body, "127.0.0.1:1")) << refused.body;

  // 8 fetch() calls: 7 answered (the redirect is one call, two hops), 1 refused at connect.
  const std::string w = "{worker=\"0\"}";
  std::string text;
  ASSERT_TRUE(eventually([&] {
    text = http_get(admin, "/metrics").body;
    return metric(text, "wsup_worker_subrequests_total" + w) == 8 &&
           metric(text, "wsup_worker_subrequest_head_seconds_count" + w) == 7;
  })) << text;
  EXPECT_EQ(metric(text, "wsup_worker_subrequest_responses_total" + w), 7) << text;
  EXPECT_EQ(metric(text, "wsup_worker_subrequest_completed_total" + w), 7) << text;
  EXPECT_EQ(metric(text, "wsup_worker_subrequest_redirects_total" + w), 1) << text;
  EXPECT_EQ(metric(text, "wsup_worker_subrequest_errors_total{worker=\"0\",kind=\"connect\"}"), 1)
      << text;
  EXPECT_EQ(metric(text, "wsup_worker_subrequest_errors_total{worker=\"0\",kind=\"dns\"}"), 0)
      << text;
  // What the upstream saw: the connections it accepted are the ones the worker opened, and
  // every other hop went over one of them again.
  const long long opened = metric(text, "wsup_worker_subrequest_connections_opened_total" + w);
  EXPECT_EQ(opened, static_cast<long long>(plain.connections_accepted())) << text;
  EXPECT_EQ(opened + metric(text, "wsup_worker_subrequest_connections_reused_total" + w), 8)
      << text;  // 7 calls to the upstream, one of them over two hops
  EXPECT_EQ(metric(text, "wsup_worker_subrequest_sent_bytes_total" + w), 1000) << text;
  EXPECT_GE(metric(text, "wsup_worker_subrequest_received_bytes_total" + w), 1000) << text;
  EXPECT_EQ(metric(text, "wsup_worker_subrequest_head_seconds_bucket{worker=\"0\",le=\"+Inf\"}"), 7)
      << text;
}

TEST(FetchPassthrough, AnUntouchedFetchedBodyGoesThroughWithoutJavaScriptATouchedOneThroughIt) {
  TestUpstream plain;
  TestUpstream unused;
  const uint16_t admin = free_port();
  auto cluster = cluster_with_metrics(plain, unused, admin);
  ASSERT_TRUE(cluster->supervisor->wait_serving(cluster->port)) << cluster->supervisor->log();
  constexpr uint64_t kBytes = 3 << 20;
  const std::string query = "?bytes=" + std::to_string(kBytes);
  const std::string expected = pattern_bytes(kBytes);
  // Sent on by the runtime: `return fetch(request)` and `new Response(r.body, r)`.
  for (const char* path : {"/proxy", "/proxy-rewrap"}) {
    HttpResult r = http_get(cluster->port, path + query);
    ASSERT_EQ(r.status, 200) << path << cluster->supervisor->log();
    ASSERT_EQ(r.body.size(), kBytes) << path;
    EXPECT_TRUE(r.body == expected) << path << ": the bytes differ";
  }
  const std::string w = "{worker=\"0\"}";
  std::string text;
  EXPECT_TRUE(eventually([&] {
    text = http_get(admin, "/metrics").body;
    return metric(text, "wsup_worker_subrequest_completed_total" + w) == 2;
  })) << text;
  EXPECT_EQ(metric(text, "wsup_worker_subrequest_passthrough_total" + w), 2) << text;
  // Read from, or teed, before the return: the script's stream carries the body, every byte.
  for (const char* path : {"/proxy-touched", "/proxy-teed"}) {
    HttpResult r = http_get(cluster->port, path + query);
    ASSERT_EQ(r.status, 200) << path << cluster->supervisor->log();
    ASSERT_EQ(r.body.size(), kBytes) << path;
    EXPECT_TRUE(r.body == expected) << path << ": the bytes differ";
  }
  EXPECT_TRUE(eventually([&] {
    text = http_get(admin, "/metrics").body;
    return metric(text, "wsup_worker_subrequest_completed_total" + w) == 4;
  })) << text;
  EXPECT_EQ(metric(text, "wsup_worker_subrequest_passthrough_total" + w), 2) << text;
}

}  // namespace
