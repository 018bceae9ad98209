// fetch() in the runtime without the supervisor: a real Runtime with an HttpClient on its loop
// against a real upstream on loopback (tests/worker/egress/test_upstream.h). The shape of the
// Response, errors and refusals, what waits for the subrequest budget, and what ends a
// subrequest: the request's end, the body's cancel(), an AbortSignal.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/support/eventually.h"
#include "tests/worker/egress/client_test_support.h"
#include "tests/worker/egress/test_upstream.h"
#include "tests/worker/runtime_harness.h"
#include "worker/startup_error.h"

namespace wsup::worker::testing {
namespace {

using egress::testing::encoded_text;
using egress::testing::loopback_options;
using egress::testing::RecordedRequest;
using egress::testing::TestUpstream;
using ::testing::HasSubstr;
using wsup::testing::eventually;

// The options the tests' client runs with: loopback allowed, no kept-alive connections (an idle
// one would keep the harness's loop running until it times out).
egress::ClientOptions options() {
  egress::ClientOptions options = loopback_options();
  options.outbound.idle_timeout = std::chrono::milliseconds(0);
  return options;
}

// A module whose handler runs `body` (statements of an async function, `UP` the upstream's
// base URL) and answers with what it returns, or "THROWS name: message".
std::string handler(const TestUpstream& upstream, const std::string& body) {
  return "const UP = 'http://127.0.0.1:" + std::to_string(upstream.port()) +
         "';\n"
         "export default { async fetch(request, env, ctx) {\n"
         "  try { return new Response(String(await (async () => {\n" +
         body +
         "\n  })())); } catch (e) { return new Response('THROWS ' + e.name + ': ' + e.message); }\n"
         "} };\n";
}

TEST(RuntimeFetchTest, WithoutAnOutboundClientFetchRejectsWithATypeError) {
  EXPECT_THAT(evaluate("return await fetch('http://example.com/');"),
              HasSubstr("THROWS TypeError: fetch() is not available"));
  EXPECT_EQ(evaluate("return typeof globalThis.fetch + ' ' + fetch.length;"), "\"function 1\"");
}

TEST(RuntimeFetchTest, TheResponseHasStatusHeadersUrlAndAStreamedBody) {
  TestUpstream upstream;
  auto harness = Harness::with_fetch(
      handler(upstream,
              "const r = await fetch(UP + '/status/404');\n"
              "let immutable = false;\n"
              "try { r.headers.set('x', 'y'); } catch (e) { immutable = e instanceof TypeError; }\n"
              "const isStream = r.body instanceof ReadableStream;\n"
              "return [r.status, r.ok, r.url === UP + '/status/404', r.redirected, immutable,\n"
              "        isStream, await r.text()].join(',');"),
      options());
  EXPECT_EQ(harness->fetch().body, "404,false,true,false,true,true,status 404");
}

TEST(RuntimeFetchTest, ADecodedBodyDropsTheHeadersOfTheEncodedOne) {
  TestUpstream upstream;
  auto harness = Harness::with_fetch(
      handler(upstream,
              "const r = await fetch(UP + '/encoded/gzip');\n"
              "const text = await r.text();\n"
              "return [r.headers.get('content-encoding'), r.headers.get('content-length'),\n"
              "        text.length].join(',');"),
      options());
  EXPECT_EQ(harness->fetch().body, ",," + std::to_string(encoded_text().size()));
}

TEST(RuntimeFetchTest, AHeadResponseHasANullBody) {
  TestUpstream upstream;
  auto harness = Harness::with_fetch(
      handler(upstream,
              "const r = await fetch(UP + '/big?bytes=100', {method: 'HEAD'});\n"
              "return [r.status, r.body, r.headers.get('content-length')].join(',');"),
      options());
  EXPECT_EQ(harness->fetch().body, "200,,100");
}

TEST(RuntimeFetchTest, AHostNameIsResolvedOffTheLoop) {
  // "localhost" goes through Asio's resolver thread (TSan watches it meet the loop's).
  TestUpstream upstream;
  auto harness = Harness::with_fetch(
      "export default { async fetch() {\n"
      "  const r = await fetch('http://localhost:" +
          std::to_string(upstream.port()) +
          "/status/201');\n"
          "  return new Response(r.status + ' ' + await r.text());\n"
          "} };\n",
      options());
  EXPECT_EQ(harness->fetch().body, "201 status 201");
}

TEST(RuntimeFetchTest, ClientErrorsRejectWithItsSentence) {
  TestUpstream upstream;
  auto harness = Harness::with_fetch(
      handler(upstream,
              "try { await fetch(UP + '/reset'); return 'resolved'; }\n"
              "catch (e) { return (e instanceof TypeError) + ' ' + e.message; }"),
      options());
  const std::string body = harness->fetch().body;
  EXPECT_THAT(body, HasSubstr("true fetch to http://127.0.0.1:"));
  EXPECT_THAT(body, HasSubstr("/reset failed: "));
}

TEST(RuntimeFetchTest, AnInvalidUrlRejectsWithATypeError) {
  TestUpstream upstream;
  auto harness =
      Harness::with_fetch(handler(upstream, "return await fetch('not a url');"), options());
  EXPECT_EQ(harness->fetch().body, "THROWS TypeError: Invalid URL: not a url");
}

TEST(RuntimeFetchTest, PastTheBudgetFetchRejectsWithItsMessage) {
  TestUpstream upstream;
  RuntimeLimits limits;
  limits.subrequests = 2;
  auto harness = Harness::with_fetch(handler(upstream,
                                             "await (await fetch(UP + '/echo')).text();\n"
                                             "await (await fetch(UP + '/echo')).text();\n"
                                             "return await fetch(UP + '/echo');"),
                                     options(), limits);
  EXPECT_EQ(harness->fetch().body,
            "THROWS TypeError: Too many subrequests: this request may make at most 2 "
            "(limits.subrequests)");
  EXPECT_EQ(upstream.request_count(), 2u);
}

TEST(RuntimeFetchTest, ASubrequestPastTheConcurrentLimitWaitsAndCanBeAbortedWhileWaiting) {
  TestUpstream upstream;
  RuntimeLimits limits;
  limits.concurrent_subrequests = 1;
  auto harness = Harness::with_fetch(
      handler(upstream,
              "const first = fetch(UP + '/hang');\n"
              "first.catch(() => {});\n"
              "try { await fetch(UP + '/echo', {signal: AbortSignal.timeout(50)}); }\n"
              "catch (e) { return e.name; }"),
      options(), limits);
  EXPECT_EQ(harness->fetch().body, "TimeoutError");
  // The second never went out. The first did, unless the request ended (and aborted it) before
  // its connection was made: on a loaded machine, 50 ms may not be enough for that.
  EXPECT_LE(upstream.request_count(), 1u);
  for (const RecordedRequest& r : upstream.requests()) EXPECT_EQ(r.target, "/hang");
  if (upstream.request_count() == 1) {
    EXPECT_TRUE(eventually([&] { return upstream.connections_closed_by_client() == 1; }));
  }
}

TEST(RuntimeFetchTest, TheRequestsEndAbortsItsPendingSubrequests) {
  TestUpstream upstream;
  auto harness = Harness::with_fetch(
      // The head arrives, the body never ends; nobody reads it.
      handler(upstream, "const r = await fetch(UP + '/hang-body'); return 'answered ' + r.status;"),
      options());
  EXPECT_EQ(harness->fetch().body, "answered 200");
  EXPECT_TRUE(eventually([&] { return upstream.connections_closed_by_client() == 1; }));
}

TEST(RuntimeFetchTest, WaitUntilKeepsASubrequestRunningAfterTheResponse) {
  TestUpstream upstream;
  auto harness = Harness::with_fetch(
      handler(upstream,
              "ctx.waitUntil(fetch(UP + '/echo?late', {method: 'POST', body: 'logged'}));\n"
              "return 'answered';"),
      options());
  EXPECT_EQ(harness->fetch().body, "answered");
  ASSERT_EQ(upstream.request_count(), 1u);
  EXPECT_EQ(upstream.requests()[0].body, "logged");
}

TEST(RuntimeFetchTest, CancellingTheBodyAbortsTheSubrequest) {
  TestUpstream upstream;
  auto harness =
      Harness::with_fetch(handler(upstream,
                                  "const r = await fetch(UP + '/big?bytes=' + (256 << 20));\n"
                                  "const reader = r.body.getReader();\n"
                                  "await reader.read();\n"
                                  "await reader.cancel();\n"
                                  "return 'cancelled';"),
                          options());
  EXPECT_EQ(harness->fetch().body, "cancelled");
  EXPECT_TRUE(eventually([&] { return upstream.connections_closed_by_client() == 1; }));
  EXPECT_LT(upstream.big_bytes_sent(), uint64_t{32} << 20);
}

TEST(RuntimeFetchTest, AnAbortedSignalRejectsWithItsReasonBeforeAnythingGoesOut) {
  TestUpstream upstream;
  auto harness =
      Harness::with_fetch(handler(upstream,
                                  "const controller = new AbortController();\n"
                                  "controller.abort(new RangeError('stop'));\n"
                                  "return await fetch(UP + '/echo', {signal: controller.signal});"),
                          options());
  EXPECT_EQ(harness->fetch().body, "THROWS RangeError: stop");
  EXPECT_EQ(upstream.request_count(), 0u);
}

TEST(RuntimeFetchTest, WorksOnAContextSharedByTheIsolatesRequests) {
  TestUpstream upstream;
  auto harness = Harness::with_fetch(
      handler(upstream, "const r = await fetch(UP + '/json'); return (await r.json()).greeting;"),
      options(), {}, [](ScriptSpec& spec) { spec.isolation = Isolation::isolate; });
  EXPECT_EQ(harness->fetch().body, "hello");
  EXPECT_EQ(harness->fetch().body, "hello");
  EXPECT_EQ(upstream.request_count(), 2u);
}

TEST(RuntimeFetchTest, AtTheGlobalScopeFetchIsRefusedAndTheWorkerDoesNotStart) {
  TestUpstream upstream;
  try {
    Harness::with_fetch("fetch('http://127.0.0.1:" + std::to_string(upstream.port()) +
                            "/json').catch(() => {});\n"
                            "export default { fetch() { return new Response('x'); } };\n",
                        options());
    ADD_FAILURE() << "the runtime started";
  } catch (const StartupError& error) {
    EXPECT_THAT(error.what(), HasSubstr("fetch()"));
  }
  EXPECT_EQ(upstream.request_count(), 0u);
}

}  // namespace
}  // namespace wsup::worker::testing
