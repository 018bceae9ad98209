// Attacks by clients on the HTTP front, replayed through the real `wsup` with fake-worker: each
// gets its status, and the cluster goes on serving (a control request answers 200 afterwards).
// Raw sockets on loopback, bounded loops; slow clients are paced by the server's silence
// (read_some's wait), and nothing asserts how long anything took.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fake_cluster.h"
#include "harness.h"
#include "tests/support/raw_client.h"

using namespace wsup::e2e;
using namespace std::chrono_literals;
using wsup::testing::RawClient;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The reply to `bytes` sent on a fresh connection, read until the server closes.
std::string reply_to(uint16_t port, const std::string& bytes) {
  RawClient c(port);
  c.send(bytes);
  return c.read_until_close(5s);
}

// Sends `piece`, then waits up to 50 ms for an answer, at most 400 times (20 s); returns what
// the server answered, read until it closes.
std::string trickle(RawClient& client, const std::string& piece) {
  std::string reply;
  for (int i = 0; i < 400 && reply.empty() && !client.closed(); ++i) {
    client.send(piece);
    reply = client.read_some(4096, 50ms);
  }
  return reply + client.read_until_close(5s);
}

void expect_still_serving(const Cluster& c) {
  HttpResult control = http_get(c.port, "/control");
  EXPECT_EQ(control.status, 200) << c.supervisor->log();
}

const std::string kClose = "Connection: close\r\n\r\n";

const std::string kTwoScripts = R"(  - name: pub
    path: a.js
    routes: ["/pub/*", "pub.example/*"]
  - name: admin
    path: b.js
    routes: ["/admin/*", "admin.example/*"]
  - name: rest
    path: a.js
    routes: ["/*"]
)";

}  // namespace

TEST(HostileClient, TrailerBombIsRefusedWith431AndNeverGrowsPastTheHeadLimit) {
  Cluster c("workers: 1\nlimits:\n  max_header_bytes: 8KiB");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  RawClient bomb(c.port);
  bomb.send("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n");
  // Up to 4 MiB of trailer fields, 4 KiB at a time, until the front answers.
  const std::string field = "X-Pad: " + std::string(4089, 'p') + "\r\n";
  std::string reply;
  for (int i = 0; i < 1024 && reply.empty() && !bomb.closed(); ++i) {
    bomb.send(field);
    reply = bomb.read_some(4096, 1ms);
  }
  reply += bomb.read_until_close(5s);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 431 ")) << reply;
  expect_still_serving(c);
}

TEST(HostileClient, TrailersNeverReachTheScriptsHeaders) {
  Cluster c("workers: 1");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  RawClient client(c.port);
  client.send(
      "POST /headers HTTP/1.1\r\nHost: a\r\nX-Checked: yes\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2\r\nhi\r\n0\r\nAuthorization: Bearer smuggled\r\nX-Checked: no\r\n\r\n");
  std::string reply = client.read_responses(1);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200 ")) << reply;
  EXPECT_TRUE(has(reply, "X-Checked: yes\n")) << reply;
  EXPECT_FALSE(has(reply, "Authorization")) << reply;
  EXPECT_FALSE(has(reply, "X-Checked: no")) << reply;
  // The connection goes on: the trailers were read and dropped, not left in the stream.
  client.send("GET /control HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_TRUE(client.read_responses(1).starts_with("HTTP/1.1 200 "));
}

TEST(HostileClient, RouterAndRequestUrlAgreeOnDotSegments) {
  Cluster c("workers: 1", kTwoScripts);
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  for (const char* target : {"/pub/../admin/secret", "/pub/%2e%2E/admin/secret",
                             "/pub/.%2e/admin/secret", "/pub\\..\\admin\\secret"}) {
    std::string reply =
        reply_to(c.port, "GET " + std::string(target) + " HTTP/1.1\r\nHost: h\r\n" + kClose);
    EXPECT_TRUE(has(reply, "GET http://h/admin/secret script=admin ")) << target << "\n" << reply;
  }
  // Encoded slashes are not separators: the path stays under /pub/.
  std::string reply = reply_to(c.port, "GET /pub/..%2fadmin HTTP/1.1\r\nHost: h\r\n" + kClose);
  EXPECT_TRUE(has(reply, "GET http://h/pub/..%2fadmin script=pub ")) << reply;
}

TEST(HostileClient, AnAbsoluteFormTargetWinsOverHostForRouterAndUrlAlike) {
  Cluster c("workers: 1", kTwoScripts);
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  std::string reply = reply_to(c.port,
                               "GET http://Admin.Example/panel HTTP/1.1\r\nHost: pub.example\r\n"
                               "Connection: close\r\n\r\n");
  EXPECT_TRUE(has(reply, "GET http://admin.example/panel script=admin ")) << reply;
  // The script's Host header says the same as its URL.
  reply = reply_to(c.port,
                   "GET http://admin.example/headers HTTP/1.1\r\nHost: pub.example\r\n"
                   "Connection: close\r\n\r\n");
  EXPECT_TRUE(has(reply, "Host: admin.example\n")) << reply;
  EXPECT_FALSE(has(reply, "pub.example")) << reply;
}

TEST(HostileClient, MissingRepeatedOrInvalidHostGets400) {
  Cluster c("workers: 1");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  for (const char* head :
       {"GET /x HTTP/1.1\r\n\r\n", "GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: evil.example/admin?\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: a@b\r\n\r\n", "GET /x HTTP/1.1\r\nHost: a b\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: a:99999\r\n\r\n", "GET /x HTTP/1.1\r\nHost: \r\n\r\n",
        "GET /x#frag HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET http://u:p@a/x HTTP/1.1\r\nHost: a\r\n\r\n"}) {
    RawClient client(c.port);
    client.send(head);
    std::string reply = client.read_until_close(5s);
    EXPECT_TRUE(reply.starts_with("HTTP/1.1 400 ")) << head << reply;
    EXPECT_TRUE(client.closed()) << head;
  }
  // HTTP/1.0 may leave Host out: the URL gets the address the request came in on.
  std::string reply = reply_to(c.port, "GET /x HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(has(reply, "GET http://127.0.0.1:" + std::to_string(c.port) + "/x ")) << reply;
  expect_still_serving(c);
}

TEST(HostileClient, FaultyFramingIsRefusedAndTheConnectionClosed) {
  Cluster c("workers: 1");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  struct Case {
    std::string bytes, status;
  };
  // Each followed by what would be a smuggled second request if the front read on.
  const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
  for (const Case& k : std::vector<Case>{
           {"POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "400"},
           {"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            "501"},
           {"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "400"},
           {"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
            "0\r\n\r\n",
            "400"},
           {"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            "400"}}) {
    RawClient client(c.port);
    client.send(k.bytes + smuggled);
    std::string reply = client.read_until_close(5s);
    EXPECT_TRUE(reply.starts_with("HTTP/1.1 " + k.status + " ")) << k.bytes << reply;
    EXPECT_FALSE(has(reply, "smuggled")) << reply;
    EXPECT_TRUE(client.closed()) << k.bytes;
  }
  expect_still_serving(c);
}

TEST(HostileClient, EveryResponseCarriesADate) {
  Cluster c("workers: 1");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  HttpResult worker = http_get(c.port, "/x");
  EXPECT_EQ(worker.status, 200);
  ASSERT_EQ(worker.headers.count("Date"), 1u);
  EXPECT_TRUE(worker.headers.find("Date")->second.ends_with(" GMT"));
  HttpResult front = http_get(c.port, "/x", {{"X-Big", std::string(64 * 1024, 'h')}});
  EXPECT_EQ(front.status, 431);
  EXPECT_EQ(front.headers.count("Date"), 1u);
}

TEST(HostileClient, ASlowBodyIsCutWith408EvenThoughEveryByteResetsNoTimer) {
  Cluster c("workers: 1\nhttp:\n  body_timeout: 300ms\n  min_body_rate: 1KiB/s");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  RawClient slow(c.port);
  slow.send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n");
  // A byte each 50 ms: well below the 307 bytes each 300 ms window needs, yet never 300 ms
  // without a byte.
  std::string reply = trickle(slow, "b");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 408 ")) << reply;
  EXPECT_TRUE(has(c.supervisor->log(), "slow client cut")) << c.supervisor->log();
  expect_still_serving(c);
}

TEST(HostileClient, ASlowHeadIsCutWith408) {
  Cluster c("workers: 1\nhttp:\n  header_timeout: 300ms");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  RawClient slow(c.port);
  slow.send("GET /x HTTP/1.1\r\n");
  std::string reply = trickle(slow, "X-A: b\r\n");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 408 ")) << reply;
  expect_still_serving(c);
}
